// Package systemd talks to the system manager over D-Bus
// (github.com/coreos/go-systemd/v22/dbus): it reads a unit's state and
// command line, enables unit files, and starts, stops and restarts units,
// waiting for the job's result so that a failure is reported where it
// happened instead of being discovered later.
//
// The conversion of D-Bus property values into Go values lives in pure
// functions (decode.go) and the job handling runs against a small bus
// interface, so that both are unit tested without a bus; the real bus is
// exercised by the guest tests (systemd_guest_test.go).
package systemd

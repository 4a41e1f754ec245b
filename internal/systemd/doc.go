// Package systemd talks to the system manager over D-Bus
// (github.com/coreos/go-systemd/v22): unit state, enabling, starting,
// stopping and restarting units while waiting for the job's result.
package systemd

import (
	_ "github.com/coreos/go-systemd/v22/dbus" // pinned here until the package grows
)

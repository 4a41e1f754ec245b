// Package bench measures a direct-lvm rollout three ways on one guest, side
// by side: (a) this collection's role, (b) what a user would write with
// community.general's lvg/lvol, copy and systemd, (c) the manual runbook as
// a shell script over SSH. The guest itself counts what ran: Linux process
// accounting (package procacct) records every LVM command, dockerd exit and
// module process with its elapsed time, and ansible's kept remote files
// give the bytes of module code each host received.
//
// `make bench` runs it (cmd/bench) and writes BENCHMARKS.md.
package bench

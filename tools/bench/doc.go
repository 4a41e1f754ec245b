// Package bench measures a direct-lvm rollout three ways on one guest, side
// by side: (a) this collection's role, (b) what a user would write with
// community.general's lvg/lvol, copy and systemd, (c) the manual runbook as
// a shell script over SSH; then (d) the physical limit of a converged
// check, one SSH command that reads LVM and docker, and (e) the role on
// three guests at once. The guest itself counts what ran: Linux process
// accounting (package procacct) records every LVM command, dockerd exit,
// module process and SSH operation (a process sshd started) with its
// elapsed time; its network interface's counter gives the bytes it
// received, and its module cache the module code it was sent.
//
// `make bench` runs it (cmd/bench) and writes BENCHMARKS.md.
package bench

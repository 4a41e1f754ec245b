// Package badinput holds the catalogue of bad inputs: parameters and host
// states every module must refuse, leaving the host exactly as it was.
//
// The package has tests only. Each entry of the catalogue names a module
// (lvm_thinpool, lvm_profile, docker_storage), the task's options, an
// optional setup that puts the host into a bad state, and the words the
// failure message must contain: the problem (the option, value, device or
// file) and its fix (force=true, set ..., remove ..., install ...).
//
//   - catalogue_test.go holds the parameter cases and runs them on the build
//     host against scripted fakes: the modules must fail before they run a
//     single command, open D-Bus or resolve a device.
//   - catalogue_guest_test.go adds the host states (disks that hold data,
//     LVM that is not the module's, a broken daemon.json, conflicting unit
//     flags, Docker 25, no Docker, no D-Bus, ...) and runs every case in
//     the guest VM against the real host, comparing a snapshot of the host
//     taken before and after each run: LVM's full report, Docker's and
//     LVM's files, docker.service's state and the disk's signatures.
package badinput

package badinput

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/dockerstorage"
	"github.com/directlvm/docker/internal/lvmprofile"
	"github.com/directlvm/docker/internal/lvmthinpool"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// These cases run in the guest VM (see package guesttest): the modules run
// in-process exactly as their binaries do, against real LVM, udev,
// systemd and docker 20.10. The guest lends the catalogue one blank virtio
// disk; the cases run one after the other and each leaves the disk blank
// again (its setup's cleanups wipe it), which the next case checks first.

// Paths on the guest that a refusal must leave alone.
const (
	dockerConfigDir = "/etc/docker"
	dockerUnitFile  = "/lib/systemd/system/docker.service"
	dockerDropIns   = "/etc/systemd/system/docker.service.d"
	lvmProfileDir   = lvmprofile.DefaultProfileDir // what lvmconfig says in the guest
	dataRoot        = dockerstorage.DefaultDataRoot
)

// The system bus, and systemd's own socket that root may use without it.
const (
	systemBus      = "unix:path=/run/dbus/system_bus_socket"
	systemdPrivate = "/run/systemd/private"
)

// ownVG is the volume group the cases make when they need LVM objects
// that the modules did not make; otherVG stands for someone else's.
const (
	ownVG   = "badinput"
	otherVG = "otherapp"
)

// mountPoint is where the mounted-disk case mounts the disk.
const mountPoint = "/mnt/directlvm-badinput"

// guestDisk is the blank disk the catalogue borrows, by two names.
type guestDisk struct {
	dev  string // canonical: /dev/vdX
	byID string // /dev/disk/by-id/virtio-SERIAL, the same disk
}

// loopLink names the catalogue's loop device, whose number the kernel picks.
const loopLink = "/run/directlvm-badinput-loop"

// hostStateCases are the bad host states, each with valid options: the
// refusal comes from what the module finds on the host.
func hostStateCases(d guestDisk) []badInput {
	// The derived names again, on a real blank disk: nothing may be made of
	// it before the name that fails is reached.
	onDisk := derivedNameCases([]string{d.byID})
	for i := range onDisk {
		onDisk[i].name += " on a blank disk"
	}
	return append(onDisk, []badInput{
		// Disks that hold data, or are not disks.
		{
			name: "lvm_thinpool disk holding an ext4 filesystem", module: modThinpool,
			args: map[string]any{"devices": []string{d.byID}},
			setup: func(t *testing.T) standIns {
				wipeWhenDone(t, d.dev)
				run(t, "mkfs.ext4", "-q", "-F", d.dev)
				return standIns{}
			},
			problem: []string{"device " + d.byID + " (" + d.dev + ") carries a ext4 signature", "it may hold data"},
			fix:     []string{"blkid -p " + d.dev, "set force=true to wipe it"},
		},
		{
			name: "lvm_thinpool disk with a partition table", module: modThinpool,
			args: map[string]any{"devices": []string{d.dev}},
			setup: func(t *testing.T) standIns {
				wipeWhenDone(t, d.dev)
				runIn(t, "label: gpt\n,100M\n", "sfdisk", "-q", d.dev)
				settle(t)
				return standIns{}
			},
			problem: []string{"device " + d.dev + " has partitions (" + d.dev}, // /dev/vdX1
			fix:     []string{"set force=true to wipe it"},
		},
		{
			name: "lvm_thinpool mounted disk even with force=true", module: modThinpool,
			args: map[string]any{"devices": []string{d.dev}, "force": true},
			setup: func(t *testing.T) standIns {
				wipeWhenDone(t, d.dev)
				run(t, "mkfs.ext4", "-q", "-F", d.dev)
				mkdirWhileTesting(t, mountPoint)
				run(t, "mount", "-o", "ro", d.dev, mountPoint) // read-only: no background writes meanwhile
				t.Cleanup(func() { cleanupRun(t, "umount", mountPoint) })
				return standIns{}
			},
			problem: []string{"device " + d.dev + " is mounted at " + mountPoint},
			fix:     []string{"unmount it", "never taken while mounted, even with force"},
		},
		// What force never wipes: what another storage stack owns, stacked
		// on the disk, or a device that does not survive a reboot.
		{
			name: "lvm_thinpool PV on a partition of the disk even with force=true", module: modThinpool,
			args: map[string]any{"devices": []string{d.dev}, "force": true},
			setup: func(t *testing.T) standIns {
				wipeWhenDone(t, d.dev)
				runIn(t, "label: gpt\n,100M\n", "sfdisk", "-q", d.dev)
				settle(t)
				volumeGroup(t, d.dev+"1", "dlvmpart")
				return standIns{}
			},
			problem: []string{"device " + d.dev + " has a partition " + d.dev + "1 that carries LVM2_member"},
			fix:     []string{"never wiped, even with force", "pvs " + d.dev + "1"},
		},
		{
			name: "lvm_thinpool PV on a device-mapper device given by its name even with force=true", module: modThinpool,
			args: map[string]any{"devices": []string{"/dev/mapper/dlvm-linear"}, "force": true},
			setup: func(t *testing.T) standIns {
				wipeWhenDone(t, d.dev)
				// 1 MiB into the disk, as a stacked device (LUKS, a partition
				// map) starts: LVM then sees the PV only on the dm device,
				// not on the disk too.
				sectors, err := strconv.Atoi(strings.TrimSpace(run(t, "blockdev", "--getsz", d.dev)))
				if err != nil {
					t.Fatal(err)
				}
				run(t, "dmsetup", "create", "dlvm-linear", "--table", fmt.Sprintf("0 %d linear %s 2048", sectors-2048, d.dev))
				t.Cleanup(func() { cleanupRun(t, "dmsetup", "remove", "--retry", "dlvm-linear") })
				settle(t)
				volumeGroup(t, "/dev/mapper/dlvm-linear", "dlvmdm")
				return standIns{}
			},
			problem: []string{"is a physical volume of volume group dlvmdm, not docker"},
			fix:     []string{"pick another disk"},
		},
		{
			name: "lvm_thinpool loop device even with force=true", module: modThinpool,
			// The loop device's number is the kernel's choice: the task
			// names it through a link of fixed name.
			args: map[string]any{"devices": []string{loopLink}, "force": true},
			setup: func(t *testing.T) standIns {
				image := filepath.Join(t.TempDir(), "loop.img")
				run(t, "truncate", "-s", "256M", image)
				loop := strings.TrimSpace(run(t, "losetup", "--find", "--show", image))
				t.Cleanup(func() { cleanupRun(t, "losetup", "--detach", loop) })
				if err := os.Symlink(loop, loopLink); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = os.Remove(loopLink) })
				settle(t)
				return standIns{}
			},
			problem: []string{"device " + loopLink + " (/dev/loop", "is a loop device, whose content does not survive a reboot"},
			fix:     []string{"give a disk"},
		},
		{
			name: "lvm_thinpool physical volume of another volume group", module: modThinpool,
			args: map[string]any{"devices": []string{d.dev}},
			setup: func(t *testing.T) standIns {
				volumeGroup(t, d.dev, otherVG)
				return standIns{}
			},
			problem: []string{d.dev + ") is a physical volume of volume group " + otherVG + ", not docker"},
			fix:     []string{"pick another disk", "vgreduce " + otherVG + " " + d.dev},
		},
		{
			name: "lvm_thinpool the same disk under two names", module: modThinpool,
			args:    map[string]any{"devices": []string{d.dev, d.byID}},
			problem: []string{"devices " + d.dev + " and " + d.byID + " are the same disk"},
			fix:     []string{"list it once"},
		},
		{
			name: "lvm_thinpool nonexistent device", module: modThinpool,
			args:    map[string]any{"devices": []string{"/dev/disk/by-id/virtio-nope"}},
			problem: []string{"device /dev/disk/by-id/virtio-nope does not exist"},
			fix:     []string{"check the path (ls -l /dev/disk/by-id/ lists the disks)"},
		},
		{
			name: "lvm_thinpool regular file as a device", module: modThinpool,
			args:    map[string]any{"devices": []string{"/etc/hostname"}},
			problem: []string{"device /etc/hostname is a regular file, not a block device"},
			fix:     []string{"give the disk's device path (ls -l /dev/disk/by-id/ lists the disks)"},
		},

		// LVM that does not fit, or is not the module's.
		{
			name: "lvm_thinpool data_size of 100%VG leaves no room for metadata", module: modThinpool,
			args:    map[string]any{"devices": []string{d.dev}, "data_size": "100%VG"},
			problem: []string{"the pool does not fit in volume group docker", "data_size=100%VG"},
			fix:     []string{"lower data_size (e.g. 90%VG) or add a disk"},
		},
		{
			name: "lvm_thinpool LV named like the pool that the module did not make", module: modThinpool,
			args: map[string]any{"devices": []string{d.dev}, "vg": ownVG},
			setup: func(t *testing.T) standIns {
				volumeGroup(t, d.dev, ownVG, "thinpool") // untagged: not the module's
				return standIns{}
			},
			problem: []string{ownVG + "/thinpool exists but is not a thin pool", "was not made by this module"},
			fix:     []string{"choose another thinpool name", "lvremove " + ownVG + "/thinpool"},
		},
		{
			name: "lvm_profile lv that does not exist", module: modProfile,
			args:    map[string]any{"lv": ownVG + "/nosuchpool"},
			problem: []string{"lv=" + ownVG + "/nosuchpool: there is no such logical volume"},
			fix:     []string{"create the thin pool first (directlvm.docker.lvm_thinpool) or correct lv"},
		},
		{
			name: "lvm_profile lv that is a plain LV", module: modProfile,
			args: map[string]any{"lv": ownVG + "/plain"},
			setup: func(t *testing.T) standIns {
				volumeGroup(t, d.dev, ownVG, "plain")
				return standIns{}
			},
			problem: []string{"lv=" + ownVG + "/plain is not a thin pool", "segment type linear"},
			fix:     []string{"give the pool, e.g. docker/thinpool"},
		},
		{
			name: "lvm_profile profile_dir that is a file", module: modProfile,
			args:    map[string]any{"profile_dir": "/etc/hostname"},
			problem: []string{"profile directory /etc/hostname is not a directory"},
			fix:     []string{"give a directory as profile_dir, or leave profile_dir out"},
		},
		{
			name: "lvm_profile dm-event.socket masked", module: modProfile,
			args: map[string]any{},
			setup: func(t *testing.T) standIns {
				if state := unitProperty(t, "dm-event.socket", "LoadState"); state != "loaded" {
					t.Fatalf("dm-event.socket is %s, not loaded: the guest is not as this case expects", state)
				}
				t.Cleanup(func() { cleanupRun(t, "systemctl", "unmask", "dm-event.socket") })
				run(t, "systemctl", "mask", "dm-event.socket")
				return standIns{}
			},
			problem: []string{"dm-event.socket is masked"},
			fix:     []string{"unmask it (systemctl unmask dm-event.socket)", "or set monitor=false"},
		},
		{
			name: "lvm_profile no D-Bus", module: modProfile,
			args: map[string]any{},
			setup: func(t *testing.T) standIns {
				noSystemBus(t)
				return standIns{}
			},
			problem: []string{"cannot reach systemd over D-Bus (/nonexistent, then " + systemdPrivate + ")"},
			fix:     []string{"or set monitor=false"},
		},

		// Docker's configuration and engine.
		{
			name: "docker_storage no D-Bus", module: modStorage,
			args: map[string]any{"driver": "overlay2", "restart": false},
			setup: func(t *testing.T) standIns {
				noSystemBus(t)
				return standIns{}
			},
			problem: []string{"cannot reach systemd over D-Bus (/nonexistent, then " + systemdPrivate + ")"},
			fix:     []string{"this module needs a host running systemd", "dbus.service is active", "DBUS_SYSTEM_BUS_ADDRESS"},
		},
		{
			name: "docker_storage malformed daemon.json", module: modStorage,
			args: map[string]any{"thinpool_device": aPool},
			setup: func(t *testing.T) standIns {
				daemonJSONHolds(t, `{"storage-driver": `)
				return standIns{}
			},
			problem: []string{docker.DefaultDaemonJSON + " is not valid JSON: line 1"},
			fix:     []string{"fix it by hand (it was left untouched)"},
		},
		{
			name: "docker_storage daemon.json holding an array", module: modStorage,
			args: map[string]any{"thinpool_device": aPool},
			setup: func(t *testing.T) standIns {
				daemonJSONHolds(t, "[]\n")
				return standIns{}
			},
			problem: []string{docker.DefaultDaemonJSON + ": holds a JSON array, not an object"},
			fix:     []string{"fix it by hand (it was left untouched)"},
		},
		{
			name: "docker_storage storage flag in a docker.service drop-in", module: modStorage,
			args: map[string]any{"thinpool_device": aPool},
			setup: func(t *testing.T) standIns {
				dockerDropIn(t, "50-badinput-flags.conf",
					"[Service]\nExecStart=\nExecStart="+dockerdPath(t)+" -H fd:// --storage-driver=overlay2\n")
				return standIns{}
			},
			problem: []string{`"--storage-driver=overlay2" in ` + dockerDropIns + "/50-badinput-flags.conf", "moby#30726"},
			fix:     []string{"remove the flag(s) there (then systemctl daemon-reload)"},
		},
		{
			name: "docker_storage storage flags through an EnvironmentFile", module: modStorage,
			args: map[string]any{"thinpool_device": aPool},
			setup: func(t *testing.T) standIns {
				envFile := "/etc/default/directlvm-badinput-storage"
				writeWhileTesting(t, envFile, `DOCKER_STORAGE_OPTIONS="--storage-driver devicemapper --storage-opt dm.thinpooldev=`+aPool+`"`+"\n")
				dockerDropIn(t, "50-badinput-envfile.conf",
					"[Service]\nEnvironmentFile=-"+envFile+"\nExecStart=\nExecStart="+dockerdPath(t)+" -H fd:// $DOCKER_STORAGE_OPTIONS\n")
				return standIns{}
			},
			problem: []string{`"--storage-driver devicemapper" in /etc/default/directlvm-badinput-storage (through $DOCKER_STORAGE_OPTIONS)`},
			fix:     []string{"remove the flag(s) there (then systemctl daemon-reload)"},
		},
		{
			name: "docker_storage dockerd reading another --config-file", module: modStorage,
			args: map[string]any{"thinpool_device": aPool},
			setup: func(t *testing.T) standIns {
				dockerDropIn(t, "50-badinput-config-file.conf",
					"[Service]\nExecStart=\nExecStart="+dockerdPath(t)+" -H fd:// --config-file=/etc/docker/badinput-daemon.json\n")
				return standIns{}
			},
			problem: []string{"runs dockerd with --config-file /etc/docker/badinput-daemon.json", "never reads config_path " + docker.DefaultDaemonJSON},
			fix:     []string{"set config_path to /etc/docker/badinput-daemon.json"},
		},
		{
			name: "docker_storage thinpool_device that does not exist", module: modStorage,
			args:    map[string]any{"thinpool_device": "/dev/mapper/badinput-nopool"},
			problem: []string{"thinpool_device /dev/mapper/badinput-nopool does not exist"},
			fix:     []string{"create the thin pool first (directlvm.docker.lvm_thinpool)"},
		},
		{
			name: "docker_storage thinpool_device that is a plain LV", module: modStorage,
			args: map[string]any{"thinpool_device": "/dev/" + ownVG + "/plain"},
			setup: func(t *testing.T) standIns {
				volumeGroup(t, d.dev, ownVG, "plain")
				return standIns{}
			},
			problem: []string{"thinpool_device /dev/" + ownVG + "/plain is a linear device, not a thin pool"},
			fix:     []string{"give the device of an LVM thin pool, e.g. /dev/mapper/docker-thinpool"},
		},
		{
			name: "docker_storage Docker 25 answering the Engine API", module: modStorage,
			args: map[string]any{"thinpool_device": aPool},
			setup: func(t *testing.T) standIns {
				// docker.service runs (the module reads its state from
				// systemd), but the engine that answers is a stand-in: the
				// guest has Docker 20.10 and no network to install 25.
				if state := unitProperty(t, "docker.service", "ActiveState"); state != "active" {
					t.Fatalf("docker.service is %s: this case needs it running, as the guest boots it", state)
				}
				sock := filepath.Join(scratchDir(t), "docker.sock")
				serveEngine(t, sock, "25.0.3", "1.44")
				return standIns{engine: docker.NewClient(docker.ClientConfig{Socket: sock})}
			},
			problem: []string{"docker 25.0.3 cannot use devicemapper", "removed in Docker 25.0", "(version from the Engine API)"},
			fix:     []string{"use driver=overlay2, or stay on Docker 24 or older"},
		},
		{
			name: "docker_storage Docker 25 installed but stopped", module: modStorage,
			args: map[string]any{"thinpool_device": aPool},
			setup: func(t *testing.T) standIns {
				// With docker stopped the module asks dockerd --version; a
				// stand-in dockerd answers for Docker 25 (the guest has 20.10).
				stopDocker(t)
				fakeDockerd(t, "Docker version 25.0.3, build 4debf41")
				return standIns{}
			},
			problem: []string{"docker 25.0.3 cannot use devicemapper", "(version from dockerd --version)"},
			fix:     []string{"use driver=overlay2, or stay on Docker 24 or older"},
		},
		{
			name: "docker_storage no docker", module: modStorage,
			args: map[string]any{"thinpool_device": aPool},
			setup: func(t *testing.T) standIns {
				stopDocker(t)
				hideDockerd(t)
				return standIns{}
			},
			problem: []string{"docker is not installed", "dockerd: command not found"},
			fix:     []string{"install the package that provides it"},
		},
	}...)
}

// Every bad input fails with a message naming the problem and the fix, and
// leaves the host as it found it: LVM, docker's and LVM's files, docker's
// units and data root, the disk.
func TestGuestBadInputsFailAndLeaveTheHostUnchanged(t *testing.T) {
	guesttest.Require(t)
	waitUntilBooted(t)
	dev := guesttest.Disks(t, 1)[0]
	d := guestDisk{dev: dev, byID: byIDPath(t, dev)}
	cases := append(parameterCases(), hostStateCases(d)...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireBlank(t, d.dev)
			var stand standIns
			if c.setup != nil {
				stand = c.setup(t)
			}
			before := takeSnapshot(t, d.dev)
			res := ansibletest.Run(t, guestModule(t, c.module, stand), forReal(c.args))
			after := takeSnapshot(t, d.dev)
			checkRefusal(t, c, res)
			if diff := diffSnapshots(before, after); diff != "" {
				t.Errorf("%s changed the host:\n%s", c.module, diff)
			}
		})
	}
}

// guestModule is the module on this host, as its binary runs it, with the
// setup's stand-ins in place.
func guestModule(t *testing.T, name string, stand standIns) ansible.Module {
	t.Helper()
	switch name {
	case modThinpool:
		return lvmthinpool.Module(lvmthinpool.RealHost())
	case modProfile:
		return lvmprofile.Module(lvmprofile.RealHost())
	case modStorage:
		h := dockerstorage.RealHost()
		if stand.engine != nil {
			h.Engine = stand.engine
		}
		return dockerstorage.Module(h)
	}
	t.Fatalf("no module %q", name)
	return ansible.Module{}
}

// takeSnapshot reads what a refusal must leave alone.
func takeSnapshot(t *testing.T, disks ...string) snapshot {
	t.Helper()
	settle(t) // udev's view of the disks (lsblk) must not lag behind
	var s snapshot
	add := func(name, text string) { s = append(s, section{name, text}) }

	report, err := normaliseLVMReport([]byte(run(t, "lvm", "fullreport", "--reportformat", "json", "--units", "b", "--nosuffix", "-a")))
	if err != nil {
		t.Fatal(err)
	}
	add("lvm fullreport", report)
	add(dockerConfigDir, describeDir(t, dockerConfigDir, true)) // daemon.json (mode, bytes), and any backup of it
	add(dockerUnitFile, describeFile(t, dockerUnitFile))
	add(dockerDropIns, describeDir(t, dockerDropIns, true))
	add(lvmProfileDir, describeDir(t, lvmProfileDir, true))
	add("docker units", runCmd(t, runner.Cmd{
		Argv: []string{"systemctl", "show", "-p", "Id", "-p", "ActiveState", "-p", "MainPID", "docker.service", "docker.socket"},
		Env:  []string{"DBUS_SYSTEM_BUS_ADDRESS=" + systemBus}, // the no-D-Bus cases point the module elsewhere, not this
	}))
	add(dataRoot, describeDir(t, dataRoot, false))
	moved, err := filepath.Glob(dataRoot + ".*")
	if err != nil {
		t.Fatal(err)
	}
	add(dataRoot+".*", strings.Join(moved, "\n"))
	for _, dev := range disks {
		add("wipefs "+dev, run(t, "wipefs", "--no-act", "--json", dev))
		add("lsblk "+dev, run(t, "lsblk", "--json", "--bytes", "--paths", "--output", "NAME,TYPE,SIZE,FSTYPE,MOUNTPOINTS", dev))
	}
	return s
}

// describeFile gives what is at path, not following a symlink: absent, a
// directory, a link, or a file's mode and bytes.
func describeFile(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "(absent)"
	case err != nil:
		t.Fatal(err)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			t.Fatal(err)
		}
		return "symlink to " + target
	case !fi.Mode().IsRegular():
		return "mode " + fi.Mode().String()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("mode %v, %d bytes\n%s", fi.Mode(), len(b), b)
}

// describeDir lists a directory's entries, with what each holds when
// content is true; a missing directory is "(absent)".
func describeDir(t *testing.T, dir string, content bool) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "(absent)"
	} else if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries { // sorted by name
		if content {
			fmt.Fprintf(&b, "== %s: %s\n", e.Name(), describeFile(t, filepath.Join(dir, e.Name())))
		} else {
			fmt.Fprintln(&b, e.Name())
		}
	}
	return b.String()
}

// requireBlank stops the case when the shared disk is not blank: an earlier
// case's cleanup did not put it back.
func requireBlank(t *testing.T, dev string) {
	t.Helper()
	var problems []string
	if out := strings.TrimSpace(run(t, "wipefs", "--no-act", "--json", dev)); out != "" {
		var w struct {
			Signatures []struct {
				Type string `json:"type"`
			} `json:"signatures"`
		}
		if err := json.Unmarshal([]byte(out), &w); err != nil {
			t.Fatalf("wipefs %s: %v\n%s", dev, err, out)
		}
		for _, s := range w.Signatures {
			problems = append(problems, "a "+s.Type+" signature")
		}
	}
	children, mounts := stackedOn(t, dev)
	if len(children) > 0 {
		problems = append(problems, "devices on it: "+strings.Join(children, ", "))
	}
	if len(mounts) > 0 {
		problems = append(problems, "mounted at "+strings.Join(mounts, ", "))
	}
	if len(problems) > 0 {
		t.Fatalf("the catalogue's disk %s is not blank before this case (an earlier case's cleanup left it so): %s",
			dev, strings.Join(problems, "; "))
	}
}

// stackedOn lists what lsblk shows on dev (partitions, LVs) and where dev
// itself is mounted.
func stackedOn(t *testing.T, dev string) (children, mounts []string) {
	t.Helper()
	children, mounts, err := lsblkOf(dev)
	if err != nil {
		t.Fatal(err)
	}
	return children, mounts
}

// lsblkOf is stackedOn without the test, for cleanups.
func lsblkOf(dev string) (children, mounts []string, err error) {
	res, err := guesttest.Runner().Run(context.Background(), runner.Command("lsblk", "--json", "--paths", "--output", "NAME,MOUNTPOINTS", dev))
	if err != nil {
		return nil, nil, err
	}
	var l struct {
		Blockdevices []struct {
			Mountpoints []*string `json:"mountpoints"`
			Children    []struct {
				Name string `json:"name"`
			} `json:"children"`
		} `json:"blockdevices"`
	}
	if err := json.Unmarshal(res.Stdout, &l); err != nil || len(l.Blockdevices) != 1 {
		return nil, nil, fmt.Errorf("lsblk %s: want one device (%v):\n%s", dev, err, res.Stdout)
	}
	for _, c := range l.Blockdevices[0].Children {
		children = append(children, c.Name)
	}
	for _, m := range l.Blockdevices[0].Mountpoints {
		if m != nil && *m != "" {
			mounts = append(mounts, *m)
		}
	}
	return children, mounts, nil
}

// waitUntilBooted waits for the guest's start-up to end and, when docker
// runs, for its Engine API: a docker still starting would change the
// snapshot of the first cases.
func waitUntilBooted(t *testing.T) {
	t.Helper()
	res, err := guesttest.Runner().Run(context.Background(), runner.Command("systemctl", "is-system-running", "--wait"))
	// "degraded" exits 1: only the end of start-up matters here.
	t.Logf("systemctl is-system-running: %s (%v)", strings.TrimSpace(string(res.Stdout)), err)
	if unitProperty(t, "docker.service", "ActiveState") == "active" {
		if err := docker.NewClient(docker.ClientConfig{}).WaitReady(context.Background(), 3*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
}

// byIDPath finds dev's /dev/disk/by-id/virtio-* name.
func byIDPath(t *testing.T, dev string) string {
	t.Helper()
	links, err := filepath.Glob("/dev/disk/by-id/virtio-*")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(links)
	for _, l := range links {
		if target, err := filepath.EvalSymlinks(l); err == nil && target == dev {
			return l
		}
	}
	t.Fatalf("no /dev/disk/by-id/virtio-* name for %s among %v", dev, links)
	return ""
}

// run runs argv in the guest and returns its stdout; a failure stops the
// test (the error names argv and quotes stderr).
func run(t *testing.T, argv ...string) string {
	t.Helper()
	return runCmd(t, runner.Command(argv...))
}

// runIn is run with stdin.
func runIn(t *testing.T, stdin string, argv ...string) string {
	t.Helper()
	return runCmd(t, runner.Cmd{Argv: argv, Stdin: []byte(stdin)})
}

func runCmd(t *testing.T, cmd runner.Cmd) string {
	t.Helper()
	res, err := guesttest.Runner().Run(context.Background(), cmd)
	if err != nil {
		t.Fatalf("setting up or reading the host: %v", err)
	}
	return string(res.Stdout)
}

// cleanupRun runs argv in a cleanup: a failure is reported, and the other
// cleanups still run.
func cleanupRun(t *testing.T, argv ...string) error {
	t.Helper()
	_, err := guesttest.Runner().Run(context.Background(), runner.Command(argv...))
	if err != nil {
		t.Errorf("cleanup: %v", err)
	}
	return err
}

func settle(t *testing.T) {
	t.Helper()
	run(t, "udevadm", "settle", "--timeout=120")
}

// unitProperty reads one property of a unit over the real system bus.
func unitProperty(t *testing.T, unit, property string) string {
	t.Helper()
	return strings.TrimSpace(runCmd(t, runner.Cmd{
		Argv: []string{"systemctl", "show", "-p", property, "--value", unit},
		Env:  []string{"DBUS_SYSTEM_BUS_ADDRESS=" + systemBus},
	}))
}

// wipeWhenDone makes dev blank again when the case ends: every signature
// erased (a partition table's too, after which wipefs has the kernel
// re-read it), and any partition the kernel still shows dropped.
func wipeWhenDone(t *testing.T, dev string) {
	t.Helper()
	t.Cleanup(func() {
		if cleanupRun(t, "wipefs", "--all", dev) != nil {
			return
		}
		cleanupRun(t, "udevadm", "settle", "--timeout=120")
		if children, _, err := lsblkOf(dev); err != nil {
			t.Errorf("cleanup: %v", err)
		} else if len(children) > 0 {
			cleanupRun(t, "partx", "--delete", dev)
			cleanupRun(t, "udevadm", "settle", "--timeout=120")
		}
	})
}

// volumeGroup makes dev a PV of a new volume group vg holding a plain 8M
// LV for each of lvs, none tagged as the modules tag theirs; all of it is
// removed when the case ends.
func volumeGroup(t *testing.T, dev, vg string, lvs ...string) {
	t.Helper()
	t.Cleanup(func() {
		r, ctx := guesttest.Runner(), context.Background()
		if _, err := r.Run(ctx, runner.Command("vgs", vg)); err == nil {
			cleanupRun(t, "vgremove", "-ff", "-y", vg)
		}
		if _, err := r.Run(ctx, runner.Command("pvs", dev)); err == nil {
			cleanupRun(t, "pvremove", "-ff", "-y", dev)
		}
		cleanupRun(t, "udevadm", "settle", "--timeout=120")
	})
	run(t, "pvcreate", "-q", dev)
	run(t, "vgcreate", "-q", vg, dev)
	for _, lv := range lvs {
		run(t, "lvcreate", "-q", "-y", "-L", "8M", "-n", lv, vg)
	}
	settle(t)
}

// mkdirWhileTesting creates dir (it must not exist) and removes it when the
// case ends.
func mkdirWhileTesting(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s exists already (%v): it is not this test's to use", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// writeWhileTesting creates the file path (it must not exist) and removes
// it when the case ends.
func writeWhileTesting(t *testing.T, path, content string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s exists already (%v): it is not this test's to overwrite", path, err)
	}
	t.Cleanup(func() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("cleanup: %v", err)
		}
	})
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// daemonJSONHolds writes content to docker's daemon.json and puts the
// original back (bytes and mode, or its absence) when the case ends.
// Docker keeps running on what it read when it started.
func daemonJSONHolds(t *testing.T, content string) {
	t.Helper()
	path := docker.DefaultDaemonJSON
	orig, err := os.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var mode fs.FileMode
	if existed {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		mode = fi.Mode().Perm()
	}
	_, err = os.Stat(filepath.Dir(path))
	dirExisted := err == nil
	t.Cleanup(func() {
		if existed {
			if err := os.WriteFile(path, orig, mode); err != nil {
				t.Errorf("cleanup: %v", err)
			} else if err := os.Chmod(path, mode); err != nil {
				t.Errorf("cleanup: %v", err)
			}
			return
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("cleanup: %v", err)
		}
		if !dirExisted {
			if err := os.Remove(filepath.Dir(path)); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dockerDropIn adds a drop-in to docker.service and has systemd load it
// (docker keeps running as it is); it is removed, and systemd reloaded,
// when the case ends.
func dockerDropIn(t *testing.T, name, content string) {
	t.Helper()
	_, err := os.Stat(dockerDropIns)
	dirExisted := err == nil
	if !dirExisted {
		if err := os.MkdirAll(dockerDropIns, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dockerDropIns, name)
	t.Cleanup(func() {
		if !dirExisted {
			if err := os.Remove(dockerDropIns); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("cleanup: %v", err)
			}
		}
		cleanupRun(t, "systemctl", "daemon-reload")
	})
	writeWhileTesting(t, path, content) // its own cleanup runs first: the file goes before the directory
	run(t, "systemctl", "daemon-reload")
}

// dockerdPath is the dockerd the module would run, symlinks resolved.
func dockerdPath(t *testing.T) string {
	t.Helper()
	p, err := runner.New(runner.Config{}).LookPath("dockerd")
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return resolved
}

// stopDocker stops docker.service and docker.socket, and starts again
// those that ran when the case ends, waiting for the Engine API.
func stopDocker(t *testing.T) {
	t.Helper()
	var active []string
	for _, u := range []string{"docker.socket", "docker.service"} {
		if unitProperty(t, u, "ActiveState") == "active" {
			active = append(active, u)
		}
	}
	t.Cleanup(func() {
		if len(active) == 0 || cleanupRun(t, append([]string{"systemctl", "start"}, active...)...) != nil {
			return
		}
		if slices.Contains(active, "docker.service") {
			if err := docker.NewClient(docker.ClientConfig{}).WaitReady(context.Background(), 3*time.Minute); err != nil {
				t.Errorf("cleanup: docker did not come back: %v", err)
			}
		}
	})
	run(t, "systemctl", "stop", "docker.socket", "docker.service")
}

// bindOver mounts src over dst until the case ends.
func bindOver(t *testing.T, src, dst string) {
	t.Helper()
	run(t, "mount", "--bind", src, dst)
	t.Cleanup(func() { cleanupRun(t, "umount", dst) })
}

// hideDockerd makes dockerd unfindable, as on a host without docker: an
// empty, non-executable file (/dev/null) is mounted over it.
func hideDockerd(t *testing.T) {
	t.Helper()
	bindOver(t, "/dev/null", dockerdPath(t))
	if p, err := runner.New(runner.Config{}).LookPath("dockerd"); err == nil {
		t.Fatalf("dockerd is still found at %s: the case would not stand for a host without docker", p)
	}
}

// fakeDockerd mounts over dockerd a program that prints versionLine, as
// `dockerd --version` does.
func fakeDockerd(t *testing.T, versionLine string) {
	t.Helper()
	path := dockerdPath(t)
	script := filepath.Join(scratchDir(t), "dockerd")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho '"+versionLine+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	bindOver(t, script, path)
	if out := run(t, "dockerd", "--version"); !strings.Contains(out, versionLine) {
		t.Fatalf("the stand-in dockerd printed %q", out)
	}
}

// scratchDir is a directory of the case's own on the root filesystem
// (short paths, for unix sockets; executables allowed), removed when the
// case ends.
func scratchDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "directlvm-badinput-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return dir
}

// serveEngine answers for a Docker Engine of the given version on the unix
// socket sock until the case ends: GET /_ping, /version and /info, as far
// as docker_storage reads them.
func serveEngine(t *testing.T, sock, version, apiVersion string) {
	t.Helper()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	answer := func(v any) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if err := json.NewEncoder(w).Encode(v); err != nil {
				t.Errorf("stand-in engine: %v", err)
			}
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "OK") })
	mux.Handle("/version", answer(map[string]any{
		"Version": version, "ApiVersion": apiVersion, "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64",
	}))
	mux.Handle("/info", answer(map[string]any{
		"ServerVersion": version, "Driver": "overlay2", "DockerRootDir": dataRoot,
		"DriverStatus": [][2]string{{"Backing Filesystem", "extfs"}, {"Supports d_type", "true"}},
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }() // returns http.ErrServerClosed once closed
	t.Cleanup(func() { _ = srv.Close() })
}

// noSystemBus points the module at a system bus that is not there. godbus
// honours DBUS_SYSTEM_BUS_ADDRESS, but go-systemd, run as root, then tries
// systemd's private socket: an empty file is mounted over that too. PID 1
// keeps its listening socket, and systemctl (which the snapshot runs with
// the real bus address) falls back to the bus meanwhile.
func noSystemBus(t *testing.T) {
	t.Helper()
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent")
	bindOver(t, "/dev/null", systemdPrivate)
	for _, sock := range []string{"/nonexistent", systemdPrivate} {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			t.Fatalf("%s still answers: the module would reach systemd", sock)
		}
	}
}

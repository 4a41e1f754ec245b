package blockdev

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/runner"
)

// testdata/ holds real lsblk and wipefs outputs captured in the guest VM
// (util-linux 2.38, Debian bookworm) for each state of a disk.
func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func inspectFixture(t *testing.T, state, dev string) *Device {
	t.Helper()
	f := runner.NewFake(t)
	f.Expect(lsblkArgv(dev)...).Stdout(fixture(t, "lsblk-"+state+".json"))
	wipefs := "wipefs-" + state + ".json"
	if _, err := os.Stat(filepath.Join("testdata", wipefs)); err != nil {
		wipefs = "wipefs-ext4.json" // a mounted disk is refused on its mount; its signature is the ext4 one
	}
	f.Expect(wipefsArgv(dev)...).Stdout(fixture(t, wipefs))
	d, err := Inspect(context.Background(), f, "/dev/disk/by-id/virtio-data2", dev)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDiskSafety(t *testing.T) {
	for _, tc := range []struct {
		state        string
		dev          string
		refused      string // substring of the refusal without force; "" = safe
		refusedForce string // with force
	}{
		{state: "blank", dev: "/dev/vdd"},
		{state: "ext4", dev: "/dev/vdd", refused: "carries a ext4 signature"},
		{state: "gpt-partition", dev: "/dev/vdd", refused: "has partitions (/dev/vdd1)"},
		{state: "ext4-mounted", dev: "/dev/vdd", refused: "is mounted at /mnt/x", refusedForce: "is mounted at /mnt/x"},
		{state: "pv-with-pool", dev: "/dev/vdb", refused: "is in use: /dev/mapper/docker-thinpool_tmeta (lvm)", refusedForce: "is in use"},
	} {
		t.Run(tc.state, func(t *testing.T) {
			d := inspectFixture(t, tc.state, tc.dev)
			check := func(force bool, want string) {
				err := d.CheckSafe(force)
				switch {
				case want == "" && err != nil:
					t.Errorf("force=%v: refused a safe disk: %v", force, err)
				case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
					t.Errorf("force=%v: got %v, want a refusal saying %q", force, err, want)
				case err != nil && !strings.Contains(err.Error(), "/dev/disk/by-id/virtio-data2 ("+tc.dev+")"):
					t.Errorf("refusal does not name the device as given and as resolved: %v", err)
				}
			}
			check(false, tc.refused)
			check(true, tc.refusedForce)
		})
	}
}

func TestSignaturesAreReadFromTheDeviceNotUdev(t *testing.T) {
	// Right after mkfs, udev had not seen the filesystem (lsblk FSTYPE null)
	// but wipefs found it: the refusal must not depend on udev.
	d := inspectFixture(t, "ext4", "/dev/vdd")
	if got := d.SignatureTypes(); len(got) != 1 || got[0] != "ext4" {
		t.Fatalf("signatures = %v, want [ext4]", got)
	}
}

func TestGPTShowsAllItsSignatures(t *testing.T) {
	d := inspectFixture(t, "gpt-partition", "/dev/vdd")
	if got := strings.Join(d.SignatureTypes(), ","); got != "gpt,PMBR" {
		t.Fatalf("signatures = %s", got)
	}
}

func TestResolveRefusesWhatIsNotABlockDevice(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "by-id")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing"), "does not exist"},
		{file, "is a regular file, not a block device"},
		{link, "(" + file + ") is a regular file"},
		{dir, "is a directory"},
		{"/dev/null", "is a character device"},
	} {
		if _, err := Resolve(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Resolve(%s) = %v, want %q", tc.path, err, tc.want)
		}
	}
}

// What force may wipe and what it never may: force takes an empty
// partition table or a filesystem on the disk itself, never what another
// storage stack owns, on the disk or on a partition of it, nor a device
// whose content does not survive a reboot.
func TestForceNeverWipesWhatAnotherStackOwns(t *testing.T) {
	disk := func(mutate func(d *Device)) *Device {
		d := &Device{Path: "/dev/vdb", Given: "/dev/vdb", Type: "disk"}
		mutate(d)
		return d
	}
	for _, tc := range []struct {
		name string
		dev  *Device
		want string // "" when force may take it
	}{
		{"a filesystem on the disk", disk(func(d *Device) { d.Signatures = []Signature{{Type: "ext4"}} }), ""},
		{"an empty partition", disk(func(d *Device) {
			d.Signatures = []Signature{{Type: "gpt"}, {Type: "PMBR"}}
			d.Children = []Child{{Path: "/dev/vdb1", Type: "part"}}
		}), ""},
		{"a PV on a partition", disk(func(d *Device) { d.Children = []Child{{Path: "/dev/vdb1", Type: "part", FSType: "LVM2_member"}} }),
			"partition /dev/vdb1 that carries LVM2_member"},
		{"a filesystem on a partition", disk(func(d *Device) { d.Children = []Child{{Path: "/dev/vdb1", Type: "part", FSType: "xfs"}} }),
			"partition /dev/vdb1 that carries xfs"},
		{"a dm device on a partition", disk(func(d *Device) {
			d.Children = []Child{{Path: "/dev/vdb1", Type: "part", Holders: []string{"/dev/mapper/vg0-data"}}}
		}), "its partition /dev/vdb1 holds /dev/mapper/vg0-data"},
		{"a PV LVM does not show (filtered, foreign)", disk(func(d *Device) { d.Signatures = []Signature{{Type: "LVM2_member"}} }),
			"carries a LVM2_member signature that LVM does not show"},
		{"a RAID member", disk(func(d *Device) { d.Signatures = []Signature{{Type: "linux_raid_member"}} }),
			"carries a linux_raid_member signature"},
		{"a loop device", &Device{Path: "/dev/loop3", Given: "/dev/loop3", Type: "loop"}, "is a loop device, whose content does not survive a reboot"},
		{"a zram device", &Device{Path: "/dev/zram0", Given: "/dev/zram0", Type: "disk"}, "is a zram device"},
		{"a ram disk", &Device{Path: "/dev/ram1", Given: "/dev/ram1", Type: "disk"}, "is a ram device"},
		{"an nbd device", &Device{Path: "/dev/nbd0", Given: "/dev/nbd0", Type: "disk"}, "is a nbd device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.dev.CheckSafe(true)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("force=true: want it taken; got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("force=true: want a refusal saying %q; got %v", tc.want, err)
			case tc.want != "" && !strings.Contains(err.Error(), "even with force") && !strings.Contains(err.Error(), "survive a reboot"):
				t.Errorf("the refusal does not say force cannot override it: %v", err)
			}
		})
	}
}

// A device whose name only starts like a volatile kind is a disk.
func TestANamesPrefixAloneDoesNotMakeADeviceVolatile(t *testing.T) {
	for _, path := range []string{"/dev/nbdx", "/dev/ramdisk-backed-by-nvme", "/dev/loopback"} {
		d := &Device{Path: path, Given: path, Type: "disk"}
		if err := d.CheckSafe(false); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// Debian bullseye's lsblk (util-linux 2.36.1) refuses MOUNTPOINTS; the
// outputs below were captured on a bullseye guest: a disk with a GPT and
// an ext4 partition mounted at /mnt/x.
func TestBullseyesLsblkIsAskedForMountpointInstead(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect(lsblkArgv("/dev/vdb")...).Exit(1).Stderr("lsblk: unknown column: MOUNTPOINTS,PKNAME\n")
	f.Expect(lsblkOldArgv("/dev/vdb")...).Stdout(fixture(t, "lsblk-bullseye-partition-mounted.json"))
	f.Expect(wipefsArgv("/dev/vdb")...).Stdout(fixture(t, "wipefs-bullseye-partition-mounted.json"))
	d, err := Inspect(context.Background(), f, "/dev/disk/by-id/virtio-data0", "/dev/vdb")
	if err != nil {
		t.Fatal(err)
	}
	if d.SizeBytes != 1<<30 || len(d.Children) != 1 || d.Children[0].FSType != "ext4" {
		t.Fatalf("read %+v", d)
	}
	if got := strings.Join(d.Children[0].Mountpoints, ","); got != "/mnt/x" {
		t.Fatalf("partition mounts = %q, want /mnt/x", got)
	}
	err = d.CheckSafe(true)
	if err == nil || !strings.Contains(err.Error(), "/mnt/x") {
		t.Fatalf("a disk with a mounted partition: CheckSafe(force) = %v, want a refusal naming /mnt/x", err)
	}
}

// Any other lsblk failure is reported as it is, not retried.
func TestAnLsblkFailureIsNotRetriedAsAnOldLsblk(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect(lsblkArgv("/dev/vdb")...).Exit(32).Stderr("lsblk: /dev/vdb: not a block device\n")
	_, err := Inspect(context.Background(), f, "/dev/vdb", "/dev/vdb")
	if err == nil || !strings.Contains(err.Error(), "not a block device") || len(f.Calls()) != 1 {
		t.Fatalf("Inspect = %v after %d call(s), want the first failure, once", err, len(f.Calls()))
	}
}

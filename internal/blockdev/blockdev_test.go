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

package lvmvolume

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/xfs"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// These tests run in the guest VM against blank virtio disks (package
// guesttest): real LVM, udev and XFS, the module run in-process exactly as
// its binary runs it. Their VG is "voltest", which no other package's
// guest tests use.

func runReal(t *testing.T, args map[string]any) (map[string]any, [][]string) {
	t.Helper()
	rec := &runner.Recorder{Next: guesttest.Runner()}
	host := RealHost()
	host.Run = rec
	args["vg"] = "voltest"
	return ansibletest.Run(t, Module(host), args), rec.Calls()
}

func mustSucceed(t *testing.T, res map[string]any, changed bool) map[string]any {
	t.Helper()
	if res["failed"] == true {
		t.Fatalf("module failed: %v", res["msg"])
	}
	if res["changed"] != changed {
		t.Fatalf("changed = %v, want %v: %v", res["changed"], changed, res)
	}
	vol, ok := res["volume"].(map[string]any)
	if !ok {
		t.Fatalf("no volume in %v", res)
	}
	return vol
}

func sh(t *testing.T, argv ...string) string {
	t.Helper()
	res, err := guesttest.Runner().Run(context.Background(), runner.Command(argv...))
	if err != nil {
		t.Fatal(err)
	}
	return string(res.Stdout)
}

// superblock reads the XFS on the test's volume (through where it is
// mounted, when it is).
func superblock(t *testing.T) xfs.Superblock {
	t.Helper()
	mountpoint := ""
	// findmnt exits 1 when the volume is not mounted.
	if res, err := guesttest.Runner().Run(context.Background(), runner.Command("findmnt", "-rn", "-S", "/dev/mapper/voltest-data", "-o", "TARGET")); err == nil {
		mountpoint, _, _ = strings.Cut(strings.TrimSpace(string(res.Stdout)), "\n")
	}
	sb, err := xfs.Read(context.Background(), guesttest.Runner(), "/dev/voltest/data", mountpoint)
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// mountVolume mounts the volume as docker's data root would be (prjquota);
// it is unmounted, if it still is mounted, before the disks are cleaned up.
func mountVolume(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sh(t, "mount", "-t", "xfs", "-o", "prjquota", "/dev/voltest/data", dir)
	t.Cleanup(func() { _, _ = guesttest.Runner().Run(context.Background(), runner.Command("umount", dir)) })
	return dir
}

func TestGuestAVolumeWithXFSIsMadeOnABlankDiskAndARerunChangesNothing(t *testing.T) {
	disks := guesttest.Disks(t, 1)
	check, _ := runReal(t, map[string]any{"devices": disks, "_ansible_check_mode": true})
	mustSucceed(t, check, true)
	if out := sh(t, "pvs", "--noheadings", "-o", "pv_name"); strings.Contains(out, disks[0]) {
		t.Fatalf("check mode made %s a PV", disks[0])
	}

	res, calls := runReal(t, map[string]any{"devices": disks, "_ansible_diff": true})
	vol := mustSucceed(t, res, true)
	t.Logf("commands: %v", calls)
	sb := superblock(t)
	if !sb.FType || vol["fstype"] != "xfs" || vol["ftype"] != true {
		t.Fatalf("filesystem: %+v, reported %v", sb, vol)
	}
	size := int64(vol["size_bytes"].(float64))
	if size < 7<<30 || size-sb.SizeBytes >= xfs.MinGrowBytes || int64(vol["fs_size_bytes"].(float64)) != sb.SizeBytes {
		t.Fatalf("volume %d bytes, XFS %d bytes: %v", size, sb.SizeBytes, vol)
	}
	if blkid := strings.TrimSpace(sh(t, "blkid", "-p", "-o", "value", "-s", "TYPE", "/dev/voltest/data")); blkid != "xfs" {
		t.Fatalf("blkid says %q", blkid)
	}

	again, calls := runReal(t, map[string]any{"devices": disks})
	mustSucceed(t, again, false)
	for _, c := range calls {
		if c[0] != "lvm" && c[0] != "lsblk" && c[0] != "wipefs" && c[0] != "xfs_info" {
			t.Errorf("a converged rerun ran %v", c)
		}
	}
}

// A disk added to the VG grows the volume, and its XFS where it is
// mounted, online; a second added while it is not mounted grows it
// through a mount of the module's own, which is gone afterwards.
func TestGuestTheVolumeAndItsXFSGrowWithTheVGMountedOrNot(t *testing.T) {
	disks := guesttest.Disks(t, 3)
	created, _ := runReal(t, map[string]any{"devices": disks[:1]})
	mustSucceed(t, created, true)

	dir := mountVolume(t)
	if err := os.WriteFile(dir+"/keep", []byte("kept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := superblock(t).SizeBytes
	res, calls := runReal(t, map[string]any{"devices": disks[:2]})
	vol := mustSucceed(t, res, true)
	t.Logf("commands: %v", calls)
	grown := superblock(t).SizeBytes
	if grown < before+7<<30 || !strings.Contains(strings.Join(stringsOf(res["actions"]), "\n"), "xfs_growfs "+dir) {
		t.Fatalf("XFS %d -> %d bytes mounted at %s; actions %v", before, grown, dir, res["actions"])
	}
	if mounts := stringsOf(vol["mountpoints"]); len(mounts) != 1 || mounts[0] != dir {
		t.Errorf("reported mountpoints %v, want [%s]", mounts, dir)
	}
	if b, err := os.ReadFile(dir + "/keep"); err != nil || string(b) != "kept\n" {
		t.Fatalf("the file written before growing: %q, %v", b, err)
	}
	sh(t, "umount", dir)

	res, _ = runReal(t, map[string]any{"devices": disks})
	mustSucceed(t, res, true)
	if after := superblock(t).SizeBytes; after < grown+7<<30 {
		t.Fatalf("unmounted XFS %d -> %d bytes", grown, after)
	}
	if res, err := guesttest.Runner().Run(context.Background(), runner.Command("findmnt", "-rn", "-S", "/dev/mapper/voltest-data", "-o", "TARGET")); err == nil {
		t.Fatalf("the module's own mount is left: %q", res.Stdout)
	}
	res, _ = runReal(t, map[string]any{"devices": disks})
	mustSucceed(t, res, false)
}

func stringsOf(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

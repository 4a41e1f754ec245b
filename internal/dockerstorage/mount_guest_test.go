package dockerstorage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/xfs"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// guestVolume makes an XFS volume on disk as lvm_volume does, and returns
// its device.
func guestVolume(t *testing.T, r runner.Runner, disk, vg string) string {
	t.Helper()
	size, _ := lvm.ParseSize("100%VG")
	for _, argv := range [][]string{
		lvm.PVCreate(disk),
		lvm.VGCreate(vg, disk),
		lvm.LVCreate(vg, "data", size, true, ""),
		xfs.MkfsArgv("/dev/" + vg + "/data"),
	} {
		sh(t, r, argv...)
	}
	return "/dev/mapper/" + vg + "-data"
}

// unmountDataRootAtCleanup stops docker and takes the volume off the data
// root when the test ends, before guardDocker puts the original data root
// back (cleanups run last-registered first).
func unmountDataRootAtCleanup(t *testing.T, r runner.Runner) {
	unit := mountUnitName(guestDataRoot)
	t.Cleanup(func() {
		for _, argv := range [][]string{{"systemctl", "stop", dockerService, dockerSocket}, {"systemctl", "stop", unit}} {
			if _, err := r.Run(context.Background(), runner.Command(argv...)); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
		os.Remove(filepath.Join("/etc/systemd/system", unit))
		os.Remove(filepath.Join("/etc/systemd/system", dockerService+".d", dropInName))
		os.Remove(filepath.Join("/etc/systemd/system", dockerService+".d")) // only when empty
		if _, err := r.Run(context.Background(), runner.Command("systemctl", "daemon-reload")); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
}

// Docker on overlay2 on the root filesystem, with an image and a named
// volume, moves onto an XFS volume of its own: mounted by a real systemd
// mount unit over D-Bus, with project quotas, the image carried and the
// volume copied across filesystems. A second run changes nothing.
func TestGuestOverlay2MovesOntoAnXFSVolumeOfItsOwn(t *testing.T) {
	guesttest.Require(t)
	disk := guesttest.Disks(t, 1)[0]
	r := guesttest.Runner()
	dev := guestVolume(t, r, disk, "dlvmvolume")
	g := guardDocker(t, r)
	unmountDataRootAtCleanup(t, r)

	sh(t, r, tinyImage)
	sh(t, r, "docker", "volume", "create", "dlvmkeep")
	sh(t, r, "docker", "run", "--rm", "-v", "dlvmkeep:/data", "tiny:1", "/bin/sh", "-c", "echo kept > /data/kept.txt")

	args := map[string]any{"driver": "overlay2", "data_root_device": dev, "restart_timeout": 300}
	res := guestModule(t, args)
	s := storageOf(t, res)
	g.originalRoot, _ = s["data_root_backup"].(string)
	if res["failed"] == true || res["changed"] != true || s["data_root_device"] != dev {
		t.Fatalf("switch: %v", res)
	}
	mount := strings.Fields(sh(t, r, "findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", guestDataRoot))
	if len(mount) != 3 || mount[0] != dev || mount[1] != "xfs" || !strings.Contains(","+mount[2]+",", ",prjquota,") {
		t.Errorf("%s is mounted as %q, want %s xfs with prjquota", guestDataRoot, mount, dev)
	}
	if info := engineInfo(t); info.Driver != "overlay2" {
		t.Errorf("docker runs on %s", info.Driver)
	} else if v, _ := info.Status("Backing Filesystem"); v != "xfs" {
		t.Errorf("Backing Filesystem %q", v)
	}
	if out := sh(t, r, "docker", "run", "--rm", "-v", "dlvmkeep:/data", "tiny:1", "/bin/sh", "-c", "read -r l < /data/kept.txt; echo $l"); out != "kept" {
		t.Errorf("the volume's file on the new data root: %q", out)
	}
	// A size limit per container needs XFS project quotas.
	if out := sh(t, r, "docker", "run", "--rm", "--storage-opt", "size=64M", "tiny:1", "/bin/sh", "-c", "echo ok"); out != "ok" {
		t.Errorf("docker run --storage-opt size=64M printed %q", out)
	}
	if got := sh(t, r, "systemctl", "show", "-p", "RequiresMountsFor", "--value", dockerService); !strings.Contains(got, guestDataRoot) {
		t.Errorf("docker.service RequiresMountsFor=%q", got)
	}
	carried, _ := s["carried"].(map[string]any)
	if imgs := asStrings(carried["images"]); len(imgs) == 0 || !strings.Contains(strings.Join(imgs, " "), "tiny:1") {
		t.Errorf("carried: %v", carried)
	}

	pid := mainPID(t, r)
	again := guestModule(t, args)
	if again["failed"] == true || again["changed"] != false {
		t.Errorf("rerun: %v", again)
	}
	if now := mainPID(t, r); now != pid {
		t.Errorf("the rerun restarted docker (MainPID %s -> %s)", pid, now)
	}
}

package dockerstorage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/dmsetup"
	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// The guest runs Debian's docker.io 20.10 on overlay2, with its data root
// at /var/lib/docker and no /etc/docker/daemon.json changes of ours. Each
// test here leaves it that way: its cleanup (registered after the disks',
// so it runs before their VG is torn down) stops docker, puts daemon.json
// and the data root back, and starts docker on overlay2 again.

const (
	guestConfig   = "/etc/docker/daemon.json"
	guestDataRoot = "/var/lib/docker"
	tinyImage     = "/usr/local/sbin/directlvm-tiny-image"
)

func TestGuestSwitchesOverlay2ToThePoolAndRerunsQuietly(t *testing.T) {
	guesttest.Require(t)
	disk := guesttest.Disks(t, 1)[0]
	r := guesttest.Runner()
	pool := guestPool(t, r, disk, "dlvmswitch")
	g := guardDocker(t, r)

	image := sh(t, r, tinyImage)
	container := sh(t, r, "docker", "create", "--name", "directlvm-before-switch", image, "/bin/sh", "-c", "echo ok")

	res := guestModule(t, guestArgs(pool, nil))
	if res["failed"] == true || res["changed"] != true {
		t.Fatalf("switch: %v", res)
	}
	s := storageOf(t, res)
	status, _ := s["driver_status"].(map[string]any)
	// With dm.thinpooldev, docker 20.10 reports no "Data file" at all (a
	// loop-file setup names one): absent or empty both mean no loop file.
	dataFile, _ := status["data_file"].(string)
	if s["driver"] != Devicemapper || status["pool_name"] != "dlvmswitch-thinpool" || dataFile != "" || status["udev_sync_supported"] != "true" {
		t.Errorf("docker_storage: %v", s)
	}
	moved, _ := s["data_root_backup"].(string)
	g.originalRoot = moved
	if !strings.HasPrefix(moved, guestDataRoot+".directlvm-") {
		t.Fatalf("data_root_backup %q", moved)
	}
	for _, p := range []string{"overlay2", "image/overlay2", "containers/" + container} {
		if _, err := os.Stat(filepath.Join(moved, p)); err != nil {
			t.Errorf("the moved data root is not intact: %v", err)
		}
	}
	if b, _ := s["config_backup"].(string); g.configExisted && b == "" {
		t.Errorf("no config_backup although %s existed", guestConfig)
	}

	// Containers run on the pool.
	sh(t, r, tinyImage)
	if out := sh(t, r, "docker", "run", "--rm", "tiny:1", "/bin/sh", "-c", "echo ok"); out != "ok" {
		t.Errorf("docker run on the pool printed %q", out)
	}
	info := engineInfo(t)
	if info.Driver != Devicemapper {
		t.Fatalf("docker runs on %s", info.Driver)
	}

	pid := mainPID(t, r)
	again := guestModule(t, guestArgs(pool, nil))
	if again["failed"] == true || again["changed"] != false || storageOf(t, again)["restarted"] != false {
		t.Errorf("rerun: %v", again)
	}
	if now := mainPID(t, r); now != pid {
		t.Errorf("the rerun restarted docker (MainPID %s -> %s)", pid, now)
	}
}

func TestGuestAStorageFlagInADropInIsRefused(t *testing.T) {
	guesttest.Require(t)
	disk := guesttest.Disks(t, 1)[0]
	r := guesttest.Runner()
	pool := guestPool(t, r, disk, "dlvmdropin")
	guardDocker(t, r)

	// A drop-in that passes a storage option on dockerd's command line,
	// loaded but not applied (docker keeps running as it is).
	ctx := context.Background()
	m, err := systemd.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close) // registered first, so it runs after the cleanups that use m
	u, err := m.Unit(ctx, dockerService)
	if err != nil || len(u.ExecStart) != 1 {
		t.Fatalf("docker.service: %v %+v", err, u)
	}
	dropIn := "/etc/systemd/system/docker.service.d/x.conf"
	content := "[Service]\nExecStart=\nExecStart=" + runner.Join(u.ExecStart[0]) + " --storage-opt overlay2.override_kernel_check=true\n"
	if err := os.MkdirAll(filepath.Dir(dropIn), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dropIn, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Remove(dropIn)
		os.Remove(filepath.Dir(dropIn)) // only when empty
		if err := m.DaemonReload(context.Background()); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if err := m.DaemonReload(ctx); err != nil {
		t.Fatal(err)
	}

	before := hostSnapshot(t, r)
	res := guestModule(t, guestArgs(pool, nil))
	if res["failed"] != true {
		t.Fatalf("want a refusal: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), `"--storage-opt overlay2.override_kernel_check=true" in `+dropIn, "moby#30726", "nothing was changed")
	if after := hostSnapshot(t, r); !after.equal(before) {
		t.Errorf("the refusal changed the host:\n%+v\n%+v", before, after)
	}
}

func TestGuestAPlainLVIsRefused(t *testing.T) {
	guesttest.Require(t)
	disk := guesttest.Disks(t, 1)[0]
	r := guesttest.Runner()
	vg := "dlvmplain"
	size, _ := lvm.ParseSize("50%VG")
	for _, argv := range [][]string{lvm.PVCreate(disk), lvm.VGCreate(vg, disk), lvm.LVCreate(vg, "plain", size, true, "")} {
		sh(t, r, argv...)
	}
	guardDocker(t, r)

	before := hostSnapshot(t, r)
	res := guestModule(t, guestArgs("/dev/mapper/"+vg+"-plain", nil))
	if res["failed"] != true {
		t.Fatalf("want a refusal: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), "is a linear device, not a thin pool", "nothing was changed")
	if after := hostSnapshot(t, r); !after.equal(before) {
		t.Errorf("the refusal changed the host:\n%+v\n%+v", before, after)
	}
}

func TestGuestAPoolDockerCannotTakeIsRolledBack(t *testing.T) {
	guesttest.Require(t)
	disk := guesttest.Disks(t, 1)[0]
	r := guesttest.Runner()
	vg := "dlvmused"
	guestPool(t, r, disk, vg)
	// An LVM thin volume with data in it: the pool is not empty, and its
	// thin-pool target is VG-thinpool-tpool.
	sh(t, r, "lvcreate", "-y", "-T", vg+"/thinpool", "-V", "64M", "-n", "used")
	sh(t, r, "dd", "if=/dev/urandom", "of=/dev/"+vg+"/used", "bs=1M", "count=4", "oflag=direct")
	target := thinPoolTarget(t, r, vg+"-thinpool")
	guardDocker(t, r)
	image := sh(t, r, tinyImage)

	before := hostSnapshot(t, r)
	res := guestModule(t, guestArgs("/dev/mapper/"+target, nil))
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	msg := must[string](t, res, "msg")
	assertSays(t, msg, "rolled back", "docker's last log lines", "Unable to take ownership of thin-pool", "Fix: the thin pool is not empty")
	assertSays(t, strings.Join(asStrings(res["warnings"]), "\n"), "thin pool "+target+" is not empty")
	s := storageOf(t, res)
	if s["rolled_back"] != true || s["driver"] != "overlay2" {
		t.Errorf("docker_storage: %v", s)
	}
	// The rollback reports what is true after it: the data root is back
	// in place, so nothing names where it had been moved; and the socket
	// of this socket-activated docker runs again.
	if s["data_root_backup"] != "" || strings.Contains(msg, ".directlvm-2") {
		t.Errorf("the data root is back, but the result names a backup: data_root_backup=%q, msg %q", s["data_root_backup"], msg)
	}
	if state := sh(t, r, "systemctl", "is-active", dockerSocket); state != "active" {
		t.Errorf("docker.socket is %s after the rollback", state)
	}
	after := hostSnapshot(t, r)
	if !bytes.Equal(after.config, before.config) || after.configExists != before.configExists {
		t.Errorf("daemon.json was not restored:\n%s", after.config)
	}
	if after.driver != "overlay2" {
		t.Errorf("docker runs on %q after the rollback", after.driver)
	}
	if _, err := r.Run(context.Background(), runner.Command("docker", "image", "inspect", image)); err != nil {
		t.Errorf("the previous data root is not back: %v", err)
	}
}

// guestPool builds the runbook's pool on disk in volume group vg and
// returns its device.
func guestPool(t *testing.T, r runner.Runner, disk, vg string) string {
	t.Helper()
	data, _ := lvm.ParseSize("95%VG")
	meta, _ := lvm.ParseSize("1%VG")
	for _, argv := range [][]string{
		lvm.PVCreate(disk),
		lvm.VGCreate(vg, disk),
		lvm.LVCreate(vg, "thinpool", data, true, ""),
		lvm.LVCreate(vg, "thinpoolmeta", meta, true, ""),
		lvm.ConvertToThinPool(vg, "thinpool", "thinpoolmeta", 512<<10, false),
	} {
		sh(t, r, argv...)
	}
	return "/dev/mapper/" + vg + "-thinpool"
}

// guestArgs are the module's options for pool, with ext4 when the guest
// lacks mkfs.xfs.
func guestArgs(pool string, extra map[string]any) map[string]any {
	a := map[string]any{"thinpool_device": pool, "restart_timeout": 300}
	if _, err := exec.LookPath("mkfs.xfs"); err != nil {
		a["fs"] = "ext4"
	}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

// guestModule runs the module in-process on the guest.
func guestModule(t *testing.T, args map[string]any) map[string]any {
	t.Helper()
	res := ansibletest.Run(t, Module(RealHost()), args)
	t.Logf("module: changed=%v failed=%v msg=%v", res["changed"], res["failed"], res["msg"])
	return res
}

func sh(t *testing.T, r runner.Runner, argv ...string) string {
	t.Helper()
	res, err := r.Run(context.Background(), runner.Command(argv...))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(res.Stdout))
}

func mainPID(t *testing.T, r runner.Runner) string {
	t.Helper()
	return sh(t, r, "systemctl", "show", "-p", "MainPID", "--value", dockerService)
}

func engineInfo(t *testing.T) docker.Info {
	t.Helper()
	info, err := docker.NewClient(docker.ClientConfig{}).Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// thinPoolTarget returns the device-mapper device with the thin-pool
// target whose name starts with prefix.
func thinPoolTarget(t *testing.T, r runner.Runner, prefix string) string {
	t.Helper()
	// One line per device: "NAME: 0 LENGTH thin-pool ...".
	for _, line := range strings.Split(sh(t, r, "dmsetup", "status", "--target", "thin-pool"), "\n") {
		name, _, ok := strings.Cut(line, ": ") // names may hold colons (docker-254:1-...)
		if ok && strings.HasPrefix(name, prefix) {
			return name
		}
	}
	t.Fatalf("no thin-pool device named %s*", prefix)
	return ""
}

// snapshot is what a refusal must leave as it was.
type snapshot struct {
	config       []byte
	configExists bool
	driver       string
	pid          string
	siblings     []string // /var/lib/docker.* entries
}

func hostSnapshot(t *testing.T, r runner.Runner) snapshot {
	t.Helper()
	s := snapshot{driver: engineInfo(t).Driver, pid: mainPID(t, r), siblings: dataRootSiblings(t)}
	b, err := os.ReadFile(guestConfig)
	s.config, s.configExists = b, err == nil
	return s
}

func (s snapshot) equal(o snapshot) bool {
	return bytes.Equal(s.config, o.config) && s.configExists == o.configExists && s.driver == o.driver &&
		s.pid == o.pid && slices.Equal(s.siblings, o.siblings)
}

// daemon.json keeps what it is through the switch: a symlink to a file of
// mode 0600 and group adm (say, one holding credentials) stays a symlink to
// that file, with that mode and group, and with its other keys.
func TestGuestASymlinkedPrivateDaemonJSONKeepsItsLinkModeAndGroup(t *testing.T) {
	_, pool, g := onAPoolOfItsOwn(t, "dlvmlink")

	const private = "/etc/docker/directlvm-private"
	const linkText = "directlvm-private/daemon.json"
	target := filepath.Join(private, "daemon.json")
	if err := os.MkdirAll(private, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte(`{"labels": ["credentials=kept-private"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const admGID = 4
	if err := os.Chown(target, 0, admGID); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(guestConfig); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.Symlink(linkText, guestConfig); err != nil {
		t.Fatal(err)
	}
	// Runs before the guard's cleanup: daemon.json back as it was, then
	// the guard brings docker back to overlay2.
	t.Cleanup(func() {
		_ = os.Remove(guestConfig)
		if g.configExisted {
			_ = os.WriteFile(guestConfig, g.config, 0o644)
		}
		_ = os.RemoveAll(private)
	})

	res := guestModule(t, guestArgs(pool, nil))
	if res["failed"] == true || res["changed"] != true {
		t.Fatalf("switch: %v", res)
	}
	g.originalRoot, _ = storageOf(t, res)["data_root_backup"].(string)
	if link, err := os.Readlink(guestConfig); err != nil || link != linkText {
		t.Errorf("%s is no longer the symlink to %s: %q, %v", guestConfig, linkText, link, err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != 0o600 || st.Uid != 0 || st.Gid != admGID {
		t.Errorf("%s: mode %04o owner %d:%d, want 0600 0:%d", target, fi.Mode().Perm(), st.Uid, st.Gid, admGID)
	}
	content, _ := os.ReadFile(target)
	if !strings.Contains(string(content), "credentials=kept-private") || !strings.Contains(string(content), `"storage-driver": "devicemapper"`) {
		t.Errorf("%s lost a key or did not get the storage:\n%s", target, content)
	}
	if info := engineInfo(t); info.Driver != Devicemapper {
		t.Errorf("docker runs on %s, not on the pool", info.Driver)
	}
}

// A run cut after daemon.json was written and docker stopped, before the
// data root moved, is finished by the next run: the old data root moved
// aside, docker started on the pool and verified; not "ok" with docker down.
func TestGuestARunCutAfterDockerStoppedIsFinishedByTheNext(t *testing.T) {
	r, pool, g := onAPoolOfItsOwn(t, "dlvmcut")

	// The state the cut run left: daemon.json names the pool, docker is
	// stopped (service and socket), the overlay2 data root still in place.
	written := guestModule(t, guestArgs(pool, map[string]any{"restart": false}))
	if written["failed"] == true || written["changed"] != true {
		t.Fatalf("writing daemon.json: %v", written)
	}
	sh(t, r, "systemctl", "stop", dockerSocket, dockerService)

	res := guestModule(t, guestArgs(pool, nil))
	if res["failed"] == true || res["changed"] != true {
		t.Fatalf("want the switch finished (changed); got %v", res)
	}
	s := storageOf(t, res)
	moved, _ := s["data_root_backup"].(string)
	g.originalRoot = moved
	if _, err := os.Stat(filepath.Join(moved, "overlay2")); err != nil {
		t.Errorf("the overlay2 data root was not moved aside intact: %v (docker_storage: %v)", err, s)
	}
	if info := engineInfo(t); info.Driver != Devicemapper {
		t.Errorf("docker runs on %s, not on the pool", info.Driver)
	}
	again := guestModule(t, guestArgs(pool, nil))
	if again["failed"] == true || again["changed"] != false {
		t.Errorf("the run after it: %v", again)
	}
}

// What is mounted below the data root would move with it: a volume on a
// filesystem of its own is refused before docker is touched.
func TestGuestAFilesystemMountedBelowTheDataRootIsRefused(t *testing.T) {
	r, pool, _ := onAPoolOfItsOwn(t, "dlvmmount")
	volume := filepath.Join(guestDataRoot, "volumes", "directlvm-own-fs", "_data")
	if err := os.MkdirAll(volume, 0o755); err != nil {
		t.Fatal(err)
	}
	sh(t, r, "mount", "-t", "tmpfs", "-o", "size=8m", "directlvm-test", volume)
	t.Cleanup(func() {
		_, _ = r.Run(context.Background(), runner.Command("umount", volume))
		_ = os.RemoveAll(filepath.Dir(volume))
	})
	if err := os.WriteFile(filepath.Join(volume, "kept"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	pid := mainPID(t, r)

	res := guestModule(t, guestArgs(pool, nil))
	if msg, _ := res["msg"].(string); res["failed"] != true || !strings.Contains(msg, volume+" (tmpfs)") || !strings.Contains(msg, "unmount them") {
		t.Fatalf("want a refusal naming the mount: %v", res)
	}
	if got, err := os.ReadFile(filepath.Join(volume, "kept")); err != nil || string(got) != "data" {
		t.Errorf("the mounted volume is not where it was: %v", err)
	}
	if now := mainPID(t, r); now != pid || engineInfo(t).Driver != "overlay2" {
		t.Errorf("docker was touched: MainPID %s -> %s", pid, now)
	}
}

// live-restore keeps containers running through a docker stop, their
// shims holding the old data root: refused while any runs, nothing changed.
func TestGuestLiveRestoreWithARunningContainerIsRefused(t *testing.T) {
	r, pool, g := onAPoolOfItsOwn(t, "dlvmlive")
	if err := os.WriteFile(guestConfig, []byte(`{"live-restore": true}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Runs after the container's removal, before the guard: daemon.json as
	// it was, and a docker that no longer has live-restore in effect.
	t.Cleanup(func() {
		if g.configExisted {
			_ = os.WriteFile(guestConfig, g.config, 0o644)
		} else {
			_ = os.Remove(guestConfig)
		}
		_, _ = r.Run(context.Background(), runner.Command("systemctl", "restart", dockerService))
		_ = docker.NewClient(docker.ClientConfig{}).WaitReady(context.Background(), 2*time.Minute)
	})
	sh(t, r, "systemctl", "restart", dockerService)
	if err := docker.NewClient(docker.ClientConfig{}).WaitReady(context.Background(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	image := sh(t, r, tinyImage)
	container := sh(t, r, "docker", "run", "-d", "--name", "directlvm-live", image, "/bin/sh", "-c", "while :; do sleep 1; done")
	t.Cleanup(func() { _, _ = r.Run(context.Background(), runner.Command("docker", "rm", "-f", container)) })

	res := guestModule(t, guestArgs(pool, nil))
	if msg, _ := res["msg"].(string); res["failed"] != true || !strings.Contains(msg, "live-restore and 1 container(s) running") {
		t.Fatalf("want a refusal naming live-restore and the running container: %v", res)
	}
	if state := sh(t, r, "docker", "inspect", "-f", "{{.State.Running}}", container); state != "true" {
		t.Errorf("the container no longer runs: %s", state)
	}
	if _, err := os.Stat(filepath.Join(guestDataRoot, "containers", container)); err != nil {
		t.Errorf("the data root moved: %v", err)
	}
}

// onAPoolOfItsOwn is a guest test's start: a blank disk of its own made a
// thin pool in VG vg, and docker guarded (put back on overlay2 when the
// test ends).
func onAPoolOfItsOwn(t *testing.T, vg string) (runner.Runner, string, *dockerGuard) {
	t.Helper()
	guesttest.Require(t)
	disk := guesttest.Disks(t, 1)[0]
	r := guesttest.Runner()
	pool := guestPool(t, r, disk, vg)
	return r, pool, guardDocker(t, r)
}

func dataRootSiblings(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(guestDataRoot + ".*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// dockerGuard puts the guest's docker back when a test ends.
type dockerGuard struct {
	config        []byte
	configExisted bool
	siblings      []string
	// originalRoot is where a test's switch moved the original data root.
	originalRoot string
}

// guardDocker checks that docker runs on overlay2 and arranges for it to
// do so again, with the same daemon.json and data root, when t ends.
func guardDocker(t *testing.T, r runner.Runner) *dockerGuard {
	t.Helper()
	if info := engineInfo(t); info.Driver != "overlay2" {
		t.Fatalf("the guest's docker runs on %s: an earlier test did not restore overlay2", info.Driver)
	}
	g := &dockerGuard{siblings: dataRootSiblings(t)}
	b, err := os.ReadFile(guestConfig)
	if err == nil {
		g.config, g.configExisted = b, true
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.restore(t, r) })
	return g
}

func (g *dockerGuard) restore(t *testing.T, r runner.Runner) {
	ctx := context.Background()
	run := func(argv ...string) {
		if _, err := r.Run(ctx, runner.Command(argv...)); err != nil {
			t.Logf("cleanup: %v", err)
		}
	}
	// A switch whose result was lost still left its move behind: the one
	// new docker.directlvm-TIMESTAMP sibling is the original data root.
	if g.originalRoot == "" {
		var moved []string
		for _, p := range dataRootSiblings(t) {
			if !slices.Contains(g.siblings, p) && strings.HasPrefix(p, guestDataRoot+".directlvm-") && !strings.Contains(p, "-failed-") {
				moved = append(moved, p)
			}
		}
		if len(moved) == 1 {
			g.originalRoot = moved[0]
		}
	}
	current, _ := os.ReadFile(guestConfig)
	info, err := docker.NewClient(docker.ClientConfig{}).Info(ctx)
	clean := err == nil && info.Driver == "overlay2" && bytes.Equal(current, g.config) && g.originalRoot == ""
	if !clean {
		run("systemctl", "stop", dockerService, dockerSocket)
		// docker's own thin devices in the test's pool must go before the
		// pool can.
		if res, err := r.Run(ctx, runner.Command("dmsetup", "status", "--target", "thin")); err == nil {
			for _, line := range strings.Split(string(res.Stdout), "\n") {
				if name, _, ok := strings.Cut(line, ": "); ok && strings.HasPrefix(name, "docker-") {
					run("dmsetup", "remove", "--retry", name)
				}
			}
		}
		if g.configExisted {
			if err := os.WriteFile(guestConfig, g.config, 0o644); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		} else if err := os.Remove(guestConfig); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("cleanup: %v", err)
		}
		if g.originalRoot != "" && exists(g.originalRoot) {
			trash := fmt.Sprintf("%s.guesttest-trash-%d", guestDataRoot, time.Now().UnixNano())
			if err := os.Rename(guestDataRoot, trash); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("cleanup: %v", err)
			}
			if err := os.Rename(g.originalRoot, guestDataRoot); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	}
	// Whatever the module left beside the data root goes (this is the
	// test's guest: nothing there is anyone's data).
	for _, p := range dataRootSiblings(t) {
		if !slices.Contains(g.siblings, p) {
			if err := os.RemoveAll(p); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
	}
	if !clean {
		// Tests stop and start docker often: clear its start limit.
		run("systemctl", "reset-failed", dockerService, dockerSocket)
		run("systemctl", "start", dockerService)
		c := docker.NewClient(docker.ClientConfig{})
		if err := c.WaitReady(ctx, 5*time.Minute); err != nil {
			t.Errorf("cleanup: docker did not come back: %v", err)
			return
		}
		if info, err := c.Info(ctx); err != nil || info.Driver != "overlay2" {
			t.Errorf("cleanup: docker runs on %q (%v), not overlay2", info.Driver, err)
		}
	}
}

// failsFirstVerify is the real Engine API, except that the first GET /info
// after docker was (re)started fails: a verify that fails once dockerd has
// taken the pool, as a verify mismatch or a signal at that point does.
type failsFirstVerify struct {
	Engine
	started, failed bool
}

func (e *failsFirstVerify) WaitReady(ctx context.Context, timeout time.Duration) error {
	e.started = true
	return e.Engine.WaitReady(ctx, timeout)
}

func (e *failsFirstVerify) Info(ctx context.Context) (docker.Info, error) {
	if e.started && !e.failed {
		e.failed = true
		return docker.Info{}, errors.New("injected: verify failed after dockerd took the pool")
	}
	return e.Engine.Info(ctx)
}

// One failed attempt must not poison the pool: dockerd took the empty pool
// (its base device and a transaction ID in the pool's metadata), then the
// run failed and rolled back. The rollback gives the pool back empty, so
// the next run, with nothing changed, switches docker onto it.
func TestGuestARolledBackSwitchLeavesThePoolUsableForTheNextRun(t *testing.T) {
	r, pool, g := onAPoolOfItsOwn(t, "dlvmretry")
	image := sh(t, r, tinyImage)

	h := RealHost()
	h.Engine = &failsFirstVerify{Engine: h.Engine}
	res := ansibletest.Run(t, Module(h), guestArgs(pool, nil))
	if res["failed"] != true || storageOf(t, res)["rolled_back"] != true {
		t.Fatalf("want a failed, rolled back run: %v", res)
	}
	t.Logf("failed run: %v", res["msg"])
	if info := engineInfo(t); info.Driver != "overlay2" {
		t.Fatalf("docker runs on %s after the rollback", info.Driver)
	}
	st, err := dmsetup.ReadPoolOf(context.Background(), r, "dlvmretry-thinpool")
	if err != nil {
		t.Fatal(err)
	}
	if st.TransactionID != 0 || st.UsedDataBlocks != 0 {
		t.Errorf("the rollback left the pool in use: transaction ID %d, %d used data blocks", st.TransactionID, st.UsedDataBlocks)
	}

	retry := guestModule(t, guestArgs(pool, nil))
	if retry["failed"] == true || retry["changed"] != true {
		t.Fatalf("the retry: %v", retry)
	}
	g.originalRoot, _ = storageOf(t, retry)["data_root_backup"].(string)
	if info := engineInfo(t); info.Driver != Devicemapper {
		t.Errorf("docker runs on %s after the retry, not on the pool", info.Driver)
	}
	if _, err := os.Stat(filepath.Join(g.originalRoot, "image", "overlay2")); err != nil {
		t.Errorf("the images of before (%s) are not in the moved data root: %v", image, err)
	}
}

// A client that keeps knocking on docker's socket during the switch (a
// monitoring agent, a CI runner) must not wake dockerd up through socket
// activation while the data root moves: the switch succeeds, and the data
// root moved aside is whole.
func TestGuestAClientPollingTheSocketDuringTheSwitchDoesNotWakeDocker(t *testing.T) {
	r, pool, g := onAPoolOfItsOwn(t, "dlvmpoll")
	if state := sh(t, r, "systemctl", "is-enabled", dockerSocket); state != "enabled" {
		t.Fatalf("the guest's docker.socket is %s: this test needs socket activation", state)
	}
	image := sh(t, r, tinyImage)
	id := strings.TrimPrefix(sh(t, r, "docker", "image", "inspect", "-f", "{{.Id}}", image), "sha256:")

	stop := make(chan struct{})
	answered := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				answered <- n
				return
			case <-time.After(100 * time.Millisecond):
			}
			c := docker.NewClient(docker.ClientConfig{})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if _, err := c.Version(ctx); err == nil {
				n++
			}
			cancel()
		}
	}()
	res := guestModule(t, guestArgs(pool, nil))
	close(stop)
	t.Logf("the client was answered %d times", <-answered)
	if res["failed"] == true || res["changed"] != true {
		t.Fatalf("the switch: %v", res["msg"])
	}
	moved, _ := storageOf(t, res)["data_root_backup"].(string)
	g.originalRoot = moved
	if _, err := os.Stat(filepath.Join(moved, "image", "overlay2", "imagedb", "content", "sha256", id)); err != nil {
		t.Errorf("the data root moved aside is not whole: %v", err)
	}
	if info := engineInfo(t); info.Driver != Devicemapper {
		t.Errorf("docker runs on %s", info.Driver)
	}
	if state := sh(t, r, "systemctl", "is-active", dockerSocket); state != "active" {
		t.Errorf("docker.socket is %s after the switch", state)
	}
}

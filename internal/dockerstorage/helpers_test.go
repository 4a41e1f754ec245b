package dockerstorage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/module/moduletest"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// runStart is the fake clock: backups are named after it.
var runStart = time.Date(2024, 5, 6, 10, 11, 12, 0, time.UTC)

const (
	ts         = "20240506T101112"
	since      = "2024-05-06 10:11:12"
	thinpool   = "/dev/mapper/docker-thinpool"
	poolStatus = "0 8331264 thin-pool 0 141/10240 0/16272 - rw no_discard_passdown queue_if_no_space - 1024\n"
)

// fakeDocker is docker.service, docker.socket and dockerd on a test's
// temporary directory: it implements Systemd and Engine. Starting it reads
// daemon.json as dockerd would and fills its data root; it fails to start
// with journal text when told to.
type fakeDocker struct {
	t          *testing.T
	configPath string
	dataRoot   string
	// proc and mountTable stand for /proc and /proc/self/mountinfo.
	proc, mountTable string
	version          string

	running, socketActive bool
	socketEnabled         bool // docker.socket is enabled (started at boot)
	driver                string
	info                  docker.Info

	// The unit as systemd holds it.
	fragment, dropIns string
	execStart         [][]string
	envFiles          []string
	environment       []string

	// Failures to inject.
	refuseStart string // dockerd exits at start; what it logs
	wrongPool   string // the pool dockerd reports instead of the asked one
	takesPool   bool   // dockerd records a base device in its metadata
	failLoad    string // POST /images/load fails with this message
	// refuseOverlayOpts makes dockerd refuse overlay2 storage-opts, as
	// it does on a backing filesystem without project quotas.
	refuseOverlayOpts bool
	imageSize         int64 // what GET /images/json says each image takes; 10 MiB when 0

	calls []string // systemd jobs, e.g. "stop docker.service"

	// unitDir stands for /etc/systemd/system; mounted is what mount units
	// mounted (unit name -> "SOURCE POINT"), kept in mountTable.
	unitDir string
	mounted map[string]string
}

// newDocker is docker 20.10 on overlay2 with an image and a container in
// its data root, and a daemon.json with other settings.
func newDocker(t *testing.T) *fakeDocker {
	dir := t.TempDir()
	d := &fakeDocker{
		t:          t,
		configPath: filepath.Join(dir, "etc/docker/daemon.json"),
		dataRoot:   filepath.Join(dir, "var/lib/docker"),
		version:    "20.10.24+dfsg1",
		fragment:   filepath.Join(dir, "lib/systemd/system/docker.service"),
		execStart:  [][]string{{"/usr/sbin/dockerd", "-H", "fd://", "$DOCKER_OPTS", "--containerd=/run/containerd/containerd.sock"}},
	}
	d.write(d.fragment, "[Unit]\nDescription=Docker Application Container Engine\n\n[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS --containerd=/run/containerd/containerd.sock\n")
	d.write(d.configPath, `{
  "log-driver": "journald",
  "labels": ["site=café"]
}
`)
	if err := d.start(); err != nil {
		t.Fatal(err)
	}
	d.socketActive = true
	d.write(filepath.Join(d.dataRoot, "containers/c0ffee/config.v2.json"), "{}")
	// An empty process table and mount table: nothing holds the data root.
	d.proc, d.mountTable = filepath.Join(dir, "proc"), filepath.Join(dir, "mountinfo")
	d.write(filepath.Join(d.proc, "1", "comm"), "systemd\n")
	d.write(d.mountTable, "")
	d.unitDir, d.mounted = filepath.Join(dir, "etc/systemd/system"), map[string]string{}
	d.calls = nil
	return d
}

func (d *fakeDocker) write(path, content string) {
	d.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		d.t.Fatal(err)
	}
}

func (d *fakeDocker) read(path string) string {
	d.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		d.t.Fatal(err)
	}
	return string(b)
}

// start is dockerd starting: it reads daemon.json and sets up its driver
// in the data root.
func (d *fakeDocker) start() error {
	data, err := os.ReadFile(d.configPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	cfg, err := docker.ParseDaemonJSON(d.configPath, data)
	if err != nil {
		return err
	}
	driver := cfg.StorageDriver()
	if driver == "" {
		driver = "overlay2"
	}
	if d.refuseStart != "" && driver == Devicemapper || d.refuseOverlayOpts && driver == Overlay2 && len(cfg.StorageOpts()) > 0 {
		d.running = false
		return &systemd.JobError{Verb: "start", Unit: dockerService, Result: "failed"}
	}
	for _, sub := range []string{driver, "image/" + driver, "volumes"} {
		if err := os.MkdirAll(filepath.Join(d.dataRoot, sub), 0o711); err != nil {
			return err
		}
	}
	if driver == Devicemapper && d.takesPool {
		// What dockerd records of the base device it makes in the pool.
		meta := filepath.Join(d.dataRoot, "devicemapper", "metadata")
		if err := os.MkdirAll(meta, 0o700); err != nil {
			return err
		}
		for name, content := range map[string]string{
			"base":               `{"device_id":1,"size":10737418240,"transaction_id":1,"initialized":true,"deleted":false}`,
			"deviceset-metadata": `{"next_device_id":1,"BaseDeviceUUID":"3f1c","BaseDeviceFilesystem":"xfs"}`,
		} {
			if err := os.WriteFile(filepath.Join(meta, name), []byte(content), 0o600); err != nil {
				return err
			}
		}
	}
	d.running, d.socketActive, d.driver = true, true, driver
	backing := "extfs"
	for _, m := range d.mounted {
		if strings.HasSuffix(m, " "+d.dataRoot) {
			backing = "xfs"
		}
	}
	d.info = docker.Info{ServerVersion: d.version, Driver: driver, DockerRootDir: d.dataRoot,
		DriverStatus: [][2]string{{"Backing Filesystem", backing}, {"Supports d_type", "true"}}}
	if driver == Devicemapper {
		opts := map[string]string{}
		for _, o := range cfg.StorageOpts() {
			k, v, _ := strings.Cut(o, "=")
			opts[k] = v
		}
		pool := strings.TrimPrefix(opts["dm.thinpooldev"], "/dev/mapper/")
		if d.wrongPool != "" {
			pool = d.wrongPool
		}
		d.info.DriverStatus = [][2]string{
			{"Pool Name", pool}, {"Pool Blocksize", "524.3kB"}, {"Base Device Size", "10.74GB"},
			{"Backing Filesystem", "xfs"}, {"Udev Sync Supported", "true"}, {"Data file", ""}, {"Metadata file", ""},
			{"Data Space Used", "19.92MB"}, {"Data Space Total", "4.072GB"}, {"Data Space Available", "4.052GB"},
			{"Metadata Space Used", "151.6kB"}, {"Metadata Space Total", "41.94MB"}, {"Metadata Space Available", "41.79MB"},
			{"Thin Pool Minimum Free Space", "407.1MB"},
			{"Deferred Removal Enabled", opts["dm.use_deferred_removal"]},
			{"Deferred Deletion Enabled", opts["dm.use_deferred_deletion"]},
			{"Deferred Deleted Device Count", "0"}, {"Library Version", "1.02.185 (2022-05-18)"},
		}
		d.info.Warnings = []string{"WARNING: the devicemapper storage-driver is deprecated, and will be removed in a future release."}
	}
	return nil
}

// Systemd.

func (d *fakeDocker) Unit(_ context.Context, name string) (systemd.UnitState, error) {
	active := func(b bool) string {
		if b {
			return "active"
		}
		return "inactive"
	}
	switch name {
	case dockerService:
		u := systemd.UnitState{Name: name, LoadState: "loaded", ActiveState: active(d.running), FragmentPath: d.fragment,
			ExecStart: d.execStart, EnvironmentFiles: d.envFiles, Environment: d.environment}
		if d.dropIns != "" {
			u.DropInPaths = []string{d.dropIns}
		}
		return u, nil
	case dockerSocket:
		u := systemd.UnitState{Name: name, LoadState: "loaded", ActiveState: active(d.socketActive)}
		if d.socketEnabled {
			u.UnitFileState = "enabled"
		}
		return u, nil
	}
	return systemd.UnitState{Name: name, LoadState: "not-found", ActiveState: "inactive"}, nil
}

func (d *fakeDocker) Start(_ context.Context, name string, _ time.Duration) error {
	d.calls = append(d.calls, "start "+name)
	if strings.HasSuffix(name, ".mount") {
		return d.mount(name)
	}
	if name == dockerSocket {
		d.socketActive = true
		return nil
	}
	if d.running {
		return nil
	}
	return d.start()
}

func (d *fakeDocker) Stop(_ context.Context, name string, _ time.Duration) error {
	d.calls = append(d.calls, "stop "+name)
	if strings.HasSuffix(name, ".mount") {
		delete(d.mounted, name)
		d.writeMountTable()
		return nil
	}
	if name == dockerSocket {
		d.socketActive = false
	}
	d.running = false // docker.service requires docker.socket
	return nil
}

func (d *fakeDocker) Restart(_ context.Context, name string, _ time.Duration) error {
	d.calls = append(d.calls, "restart "+name)
	d.running = false
	return d.start()
}

func (d *fakeDocker) ResetFailed(_ context.Context, names ...string) error {
	d.calls = append(d.calls, "reset-failed "+strings.Join(names, " "))
	return nil
}

func (d *fakeDocker) DaemonReload(context.Context) error {
	d.calls = append(d.calls, "daemon-reload")
	return nil
}

// mount is systemd starting a mount unit written in unitDir: its What
// shows in the mount table at its Where.
func (d *fakeDocker) mount(name string) error {
	text, err := os.ReadFile(filepath.Join(d.unitDir, name))
	if err != nil {
		return &systemd.JobError{Verb: "start", Unit: name, Result: "failed"}
	}
	var what, where string
	for _, line := range strings.Split(string(text), "\n") {
		if v, ok := strings.CutPrefix(line, "What="); ok {
			what = v
		}
		if v, ok := strings.CutPrefix(line, "Where="); ok {
			where = v
		}
	}
	if err := os.MkdirAll(where, 0o755); err != nil {
		return err
	}
	d.mounted[name] = what + " " + where
	d.writeMountTable()
	return nil
}

func (d *fakeDocker) writeMountTable() {
	var b strings.Builder
	n := 40
	for _, m := range d.mounted {
		source, point, _ := strings.Cut(m, " ")
		fmt.Fprintf(&b, "%d 25 254:%d / %s rw,relatime shared:1 - xfs %s rw,prjquota\n", n, n, point, source)
		n++
	}
	d.write(d.mountTable, b.String())
}

func (d *fakeDocker) Close() {}

// Engine.

func (d *fakeDocker) unreachable() error {
	return fmt.Errorf("docker engine on unix:///var/run/docker.sock: %w: connect: no such file or directory", docker.ErrUnreachable)
}

func (d *fakeDocker) Version(context.Context) (docker.VersionInfo, error) {
	if !d.running {
		return docker.VersionInfo{}, d.unreachable()
	}
	return docker.VersionInfo{Version: d.version, APIVersion: "1.41"}, nil
}

func (d *fakeDocker) Info(context.Context) (docker.Info, error) {
	if !d.running {
		return docker.Info{}, d.unreachable()
	}
	return d.info, nil
}

// The fake engine keeps each image as a file in its data root, under
// image/DRIVER/fake-tags/, named by the tag and holding the image's ID:
// images belong to a data root and a driver, as docker's do.
func (d *fakeDocker) tagDir() string {
	return filepath.Join(d.dataRoot, "image", d.driver, "fake-tags")
}

// addImage stores an image in the running docker; an empty tag is an
// untagged image.
func (d *fakeDocker) addImage(tag, id string) {
	name := tag
	if name == "" {
		name = "<none>@" + id
	}
	d.write(filepath.Join(d.tagDir(), strings.ReplaceAll(name, "/", "%")), id)
}

func (d *fakeDocker) Images(context.Context) ([]docker.Image, error) {
	if !d.running {
		return nil, d.unreachable()
	}
	entries, _ := os.ReadDir(d.tagDir())
	var out []docker.Image
	for _, e := range entries {
		id := d.read(filepath.Join(d.tagDir(), e.Name()))
		im := docker.Image{ID: id, Size: cmp.Or(d.imageSize, 10<<20)}
		if !strings.HasPrefix(e.Name(), "<none>@") {
			im.RepoTags = []string{strings.ReplaceAll(e.Name(), "%", "/")}
		}
		out = append(out, im)
	}
	return out, nil
}

// ExportImages writes "TAG ID" lines: the fake's archive.
func (d *fakeDocker) ExportImages(_ context.Context, names []string, w io.Writer) (int64, error) {
	if !d.running {
		return 0, d.unreachable()
	}
	var b strings.Builder
	for _, n := range names {
		id, err := os.ReadFile(filepath.Join(d.tagDir(), strings.ReplaceAll(n, "/", "%")))
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(&b, "%s %s\n", n, id)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func (d *fakeDocker) LoadImages(_ context.Context, r io.Reader) ([]string, error) {
	if !d.running {
		return nil, d.unreachable()
	}
	if d.failLoad != "" {
		return nil, &docker.APIError{Method: "POST", Path: "/images/load", StatusCode: 200, Message: d.failLoad}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var loaded []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		tag, id, _ := strings.Cut(line, " ")
		d.addImage(tag, id)
		loaded = append(loaded, "Loaded image: "+tag)
	}
	return loaded, nil
}

func (d *fakeDocker) WaitReady(context.Context, time.Duration) error {
	if !d.running {
		return fmt.Errorf("the Docker Engine API did not answer within 3m0s: %w", d.unreachable())
	}
	return nil
}

// host is the module's view of the fake machine: commands through f, and
// no other run holding the lock.
func (d *fakeDocker) host(f *runner.Fake) Host {
	return Host{
		Run:      f,
		Connect:  func(context.Context) (Systemd, error) { return d, nil },
		Engine:   d,
		Now:      func() time.Time { return runStart },
		DataRoot: d.dataRoot,
		Lock:     func(context.Context, hostlock.Owner) (func(), error) { return func() {}, nil },
		Quiet:    Quiet{Proc: d.proc, MountTable: d.mountTable},
		UnitDir:  d.unitDir,
	}
}

// args are the module options of the runbook, on d's paths.
func (d *fakeDocker) args(extra map[string]any) map[string]any {
	a := map[string]any{"thinpool_device": thinpool, "config_path": d.configPath}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

// execute runs the module as Ansible would against the scripted host.
func execute(t *testing.T, h Host, args map[string]any) map[string]any {
	t.Helper()
	return ansibletest.Run(t, Module(h), args)
}

// expectPool scripts dmsetup's answer for the runbook's pool.
func expectPool(f *runner.Fake) {
	f.Expect("dmsetup", "status", "docker-thinpool").Stdout(poolStatus)
}

// expectPoolGivenBack scripts a rollback's look at the runbook's pool,
// empty before the run, that the failed dockerd did not take: no thin
// device on it, and still empty.
func expectPoolGivenBack(f *runner.Fake) {
	f.Expect("dmsetup", "info", "-c", "--noheadings", "-o", "major,minor", "docker-thinpool").Stdout("254:3\n")
	f.Expect("dmsetup", "table", "--target", "thin").Stdout("No devices found\n")
	expectPool(f)
}

// tree lists every file under dir with its content, for before/after
// comparisons.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if e.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(path)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertCalls(t *testing.T, d *fakeDocker, want ...string) {
	t.Helper()
	if !slices.Equal(d.calls, want) {
		t.Errorf("systemd jobs:\n  %s\nwant:\n  %s", strings.Join(d.calls, "\n  "), strings.Join(want, "\n  "))
	}
}

func assertSays(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%q does not say %q", text, w)
		}
	}
}

func storageOf(t *testing.T, res map[string]any) map[string]any {
	t.Helper()
	s, ok := res["docker_storage"].(map[string]any)
	if !ok {
		t.Fatalf("no docker_storage in %v", res)
	}
	return s
}

// noDockerUnit is a host where systemd knows no docker.service.
type noDockerUnit struct{ *fakeDocker }

func (n noDockerUnit) Unit(ctx context.Context, name string) (systemd.UnitState, error) {
	if name == dockerService {
		return systemd.UnitState{Name: name, LoadState: "not-found", ActiveState: "inactive"}, nil
	}
	return n.fakeDocker.Unit(ctx, name)
}

// noDockerd is a runner on a host without the dockerd binary.
type noDockerd struct{}

func (noDockerd) Run(_ context.Context, cmd runner.Cmd) (runner.Result, error) {
	return runner.Result{ExitCode: -1}, &runner.NotFoundError{Tool: cmd.Argv[0], Searched: []string{"/usr/bin", "/usr/sbin"}}
}

func asStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, e := range l {
		out[i], _ = e.(string)
	}
	return out
}

func newRequest(opts map[string]any) (*ansible.Request, error) {
	return ansible.NewRequest(ansible.Module{Name: Name, Spec: Spec()}, opts)
}

func must[T any](t testing.TB, m map[string]any, key string) T {
	t.Helper()
	return moduletest.Must[T](t, m, key)
}

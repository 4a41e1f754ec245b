package storageinfo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// The host most scenarios start from: the runbook's pool on one 4 GiB disk
// as the guest reported it (971 extents of data, 32 free in the VG, the
// docker-thinpool profile attached, dmeventd monitoring it), docker 20.10
// running on it, the profile asking for 80/20, /var/lib/docker on the root
// filesystem.
type host struct {
	t       *testing.T
	report  string
	service string // docker.service's ActiveState; "" when systemd does not answer
	info    *docker.Info
	profile string // lvmconfig's answer for the pool's profile
	mounts  string
}

func runbookHost(t *testing.T) *host {
	return &host{
		t:       t,
		report:  string(lvmtest.Raw(t, lvmtest.PoolInUseOther)),
		service: "active",
		info: &docker.Info{ServerVersion: "20.10.24+dfsg1", Driver: "devicemapper", DockerRootDir: "/var/lib/docker",
			DriverStatus: [][2]string{{"Pool Name", "docker-thinpool"}, {"Pool Blocksize", "524.3kB"}}},
		profile: "thin_pool_autoextend_threshold=80\nthin_pool_autoextend_percent=20\n",
		mounts:  "22 1 254:1 / / rw,relatime - ext4 /dev/vda rw\n",
	}
}

func (h *host) with(old, new string) *host {
	if !strings.Contains(h.report, old) {
		h.t.Fatalf("the report has no %s", old)
	}
	h.report = strings.Replace(h.report, old, new, 1)
	return h
}

type units struct{ state string }

func (u units) Unit(_ context.Context, name string) (systemd.UnitState, error) {
	return systemd.UnitState{Name: name, LoadState: "loaded", ActiveState: u.state}, nil
}
func (units) Close() {}

type engine struct {
	t    *testing.T
	info *docker.Info
}

func (e engine) Info(context.Context) (docker.Info, error) {
	if e.info == nil {
		return docker.Info{}, docker.ErrUnreachable
	}
	return *e.info, nil
}

// run runs the module on h with args and returns its result and the
// commands it ran.
func (h *host) run(args map[string]any) (map[string]any, [][]string) {
	h.t.Helper()
	f := runner.NewFake(h.t)
	f.Expect(lvm.ReportArgv()...).Stdout(h.report)
	switch {
	case strings.Contains(h.report, `"lv_profile":"docker-thinpool"`):
		f.Expect(AutoextendArgv("docker-thinpool")...).Stdout(h.profile)
	case strings.Contains(h.report, `"segtype":"thin-pool"`):
		// lvm.conf's own: autoextend off.
		f.Expect(AutoextendArgv("")...).Stdout("thin_pool_autoextend_threshold=100\nthin_pool_autoextend_percent=20\n")
	}
	table := filepath.Join(h.t.TempDir(), "mountinfo")
	if err := os.WriteFile(table, []byte(h.mounts), 0o600); err != nil {
		h.t.Fatal(err)
	}
	connect := func(context.Context) (Units, error) {
		if h.service == "" {
			return nil, errors.New("no system bus")
		}
		return units{h.service}, nil
	}
	m := Module(Host{Run: f, Connect: connect, Engine: engine{h.t, h.info}, MountTable: table, DataRoot: "/var/lib/docker"})
	res := ansibletest.Run(h.t, m, args)
	if res["changed"] != false {
		h.t.Errorf("an info module reported changed=%v", res["changed"])
	}
	return res, f.Calls()
}

func storage(t *testing.T, res map[string]any) map[string]any {
	t.Helper()
	s, ok := res["storage"].(map[string]any)
	if !ok {
		t.Fatalf("no storage in %v", res)
	}
	if fact := res["ansible_facts"].(map[string]any)["directlvm_storage"]; fact == nil {
		t.Errorf("no directlvm_storage fact in %v", res)
	}
	return s
}

func flags(t *testing.T, res map[string]any) string {
	t.Helper()
	var out []string
	for _, f := range storage(t, res)["flags"].([]any) {
		out = append(out, f.(string))
	}
	return strings.Join(out, "; ")
}

func firstPool(t *testing.T, res map[string]any) map[string]any {
	t.Helper()
	pools := storage(t, res)["pools"].([]any)
	if len(pools) != 1 {
		t.Fatalf("pools: %v", pools)
	}
	return pools[0].(map[string]any)
}

func TestTheRunbooksPoolUnderDockerIsOkAndShowsItHasNoRoomForAStep(t *testing.T) {
	res, _ := runbookHost(t).run(map[string]any{})
	if res["failed"] == true || flags(t, res) != "" {
		t.Fatalf("a healthy pool was flagged: %v", res)
	}
	p := firstPool(t, res)
	a := p["autoextend"].(map[string]any)
	// 20% of 971 extents is 195 extents (780 MiB); the VG has 32 free.
	if p["dm_name"] != "docker-thinpool" || p["used_by_docker"] != true || p["monitored"] != true || p["profile"] != "docker-thinpool" ||
		a["threshold_percent"] != 80.0 || a["step_percent"] != 20.0 || a["enabled"] != true ||
		a["vg_free_bytes"] != 134217728.0 || a["next_step_bytes"] != 195*4194304.0 || a["steps_left"] != 0.0 {
		t.Errorf("pool: %v", p)
	}
	if res["msg"] != "docker 20.10.24+dfsg1 on devicemapper, pool docker-thinpool: ok" {
		t.Errorf("msg: %v", res["msg"])
	}
}

func TestANearlyFullPoolWithoutRoomToGrowIsFlaggedWithWhatItLacks(t *testing.T) {
	res, _ := runbookHost(t).with(`"data_percent":"0.00", "metadata_percent":"10.10"`, `"data_percent":"85.31", "metadata_percent":"10.10"`).run(map[string]any{})
	if got, want := flags(t, res), "data over 80%; no room to autoextend (VG docker: 128.0 MiB free, a step is 780.0 MiB)"; got != want {
		t.Errorf("flags: %s, want %s", got, want)
	}
}

func TestAFullPoolWhoseProfileIsGoneSaysSo(t *testing.T) {
	h := runbookHost(t).with(`"data_percent":"0.00", "metadata_percent":"10.10"`, `"data_percent":"91.00", "metadata_percent":"10.10"`)
	h.profile = "" // lvmconfig printed nothing usable
	res, _ := h.run(map[string]any{})
	if got := flags(t, res); got != "data over 80%; autoextend settings unreadable (profile docker-thinpool)" {
		t.Errorf("flags: %s", got)
	}
	if a := firstPool(t, res)["autoextend"].(map[string]any); !strings.Contains(a["error"].(string), "printed no autoextend settings") || a["enabled"] != false {
		t.Errorf("autoextend: %v", a)
	}
}

func TestTheThresholdIsTheUsersChoice(t *testing.T) {
	res, _ := runbookHost(t).with(`"data_percent":"0.00", "metadata_percent":"10.10"`, `"data_percent":"85.31", "metadata_percent":"10.10"`).run(map[string]any{"max_percent": 90})
	if got := flags(t, res); got != "" {
		t.Errorf("85%% flagged with max_percent=90: %s", got)
	}
	res, _ = runbookHost(t).run(map[string]any{"max_percent": 10})
	if got := flags(t, res); !strings.HasPrefix(got, "metadata over 10%") {
		t.Errorf("10.1%% metadata with max_percent=10: %s", got)
	}
}

func TestAPoolDmeventdDoesNotWatchIsFlagged(t *testing.T) {
	res, _ := runbookHost(t).with(`"seg_monitor":"monitored"`, `"seg_monitor":"not monitored"`).run(map[string]any{})
	if got := flags(t, res); got != "unmonitored" {
		t.Errorf("flags: %s", got)
	}
	if p := firstPool(t, res); p["monitored"] != false || p["monitor"] != "not monitored" {
		t.Errorf("pool: %v", p)
	}
}

func TestDockerOnOverlay2IsFlaggedOnADevicemapperCheck(t *testing.T) {
	h := runbookHost(t)
	h.info = &docker.Info{ServerVersion: "20.10.24+dfsg1", Driver: "overlay2", DockerRootDir: "/var/lib/docker"}
	res, _ := h.run(map[string]any{})
	if got := flags(t, res); got != "on overlay2, not devicemapper" {
		t.Errorf("flags: %s", got)
	}
	// docker names no pool: the pool checked is the one vg/thinpool name.
	if s := storage(t, res); s["pool"] != "docker-thinpool" || firstPool(t, res)["used_by_docker"] != false {
		t.Errorf("storage: %v", s)
	}
}

func TestAStoppedDockerIsNotAskedSoThatTheCheckDoesNotStartIt(t *testing.T) {
	h := runbookHost(t)
	h.service = "inactive"
	h.info = nil // a request would fail: the engine is not there
	res, _ := h.run(map[string]any{})
	d := storage(t, res)["docker"].(map[string]any)
	if d["answering"] != false || d["service"] != "inactive" || !strings.Contains(d["error"].(string), "docker.service is inactive") {
		t.Errorf("docker: %v", d)
	}
	if got := flags(t, res); got != "docker does not answer" {
		t.Errorf("flags: %s", got)
	}
}

func TestWithoutSystemdDockerIsAskedDirectly(t *testing.T) {
	h := runbookHost(t)
	h.service = ""
	res, _ := h.run(map[string]any{})
	if d := storage(t, res)["docker"].(map[string]any); d["answering"] != true || d["service"] != "" || d["pool_name"] != "docker-thinpool" {
		t.Errorf("docker: %v", d)
	}
}

func TestNoPoolAtAll(t *testing.T) {
	h := runbookHost(t)
	h.report = string(lvmtest.Raw(t, lvmtest.VGOnly))
	h.info = &docker.Info{ServerVersion: "20.10.24+dfsg1", Driver: "overlay2", DockerRootDir: "/var/lib/docker"}
	res, calls := h.run(map[string]any{"vg": "vg-1", "thinpool": "pool"})
	if got := flags(t, res); got != "on overlay2, not devicemapper; no thin pool vg--1-pool" {
		t.Errorf("flags: %s", got)
	}
	if len(calls) != 1 {
		t.Errorf("asked lvmconfig without a pool: %v", calls)
	}
}

func TestAnOverlay2HostNeedsItsDataRootOnAVolumeOfItsOwn(t *testing.T) {
	h := runbookHost(t)
	h.info = &docker.Info{ServerVersion: "26.1.5+dfsg1", Driver: "overlay2", DockerRootDir: "/var/lib/docker"}
	res, _ := h.run(map[string]any{"driver": "overlay2"})
	if got := flags(t, res); got != "data root not on a volume of its own" {
		t.Errorf("flags: %s", got)
	}
	if s := storage(t, res); s["pool"] != "" {
		t.Errorf("an overlay2 check named a pool: %v", s["pool"])
	}
	dir := t.TempDir() // the data root, so that its symlinks resolve
	h.info.DockerRootDir = dir
	h.mounts += "40 22 254:2 / " + dir + " rw,relatime - xfs /dev/mapper/docker-data rw,prjquota\n"
	res, _ = h.run(map[string]any{"driver": "overlay2"})
	if got := flags(t, res); got != "" {
		t.Errorf("flags: %s", got)
	}
	if m := storage(t, res)["docker"].(map[string]any)["root_mount"]; m == nil || m.(map[string]any)["source"] != "/dev/mapper/docker-data" || m.(map[string]any)["fstype"] != "xfs" {
		t.Errorf("root_mount: %v", m)
	}
}

func TestCheckModeReadsTheSame(t *testing.T) {
	res, _ := runbookHost(t).run(map[string]any{"_ansible_check_mode": true})
	if res["skipped"] == true || res["failed"] == true || flags(t, res) != "" {
		t.Errorf("check mode: %v", res)
	}
}

func TestBadOptionsFailBeforeAnythingIsRead(t *testing.T) {
	f := runner.NewFake(t) // no command expected
	m := Module(Host{Run: f, Connect: func(context.Context) (Units, error) { t.Fatal("systemd asked"); return nil, nil }, Engine: engine{t, nil}})
	res := ansibletest.Run(t, m, map[string]any{"max_percent": 0, "vg": "-x", "driver": "zfs"})
	msg, _ := res["msg"].(string)
	if res["failed"] != true || !strings.Contains(msg, "driver") {
		t.Fatalf("result: %v", res)
	}
	res = ansibletest.Run(t, m, map[string]any{"max_percent": 0, "vg": "-x"})
	msg, _ = res["msg"].(string)
	for _, want := range []string{"max_percent=0 is out of range", `vg="-x" is not a valid LVM name`} {
		if res["failed"] != true || !strings.Contains(msg, want) {
			t.Errorf("msg %q lacks %q", msg, want)
		}
	}
}

func TestRoomCountsStepsThatGrowWithThePool(t *testing.T) {
	const ext = 4 << 20
	for _, c := range []struct {
		name            string
		pool, free      int64 // extents
		step, wantSteps int64
		wantNext        int64 // extents
		threshold       int64
	}{
		{name: "the runbook's 95%VG", pool: 971, free: 32, step: 20, wantSteps: 0, wantNext: 195, threshold: 80},
		{name: "75%VG leaves one step", pool: 767, free: 236, step: 20, wantSteps: 1, wantNext: 154, threshold: 80},
		{name: "a second disk", pool: 971, free: 1023 + 32, step: 20, wantSteps: 4, wantNext: 195, threshold: 80},
		{name: "autoextend off", pool: 971, free: 1023, step: 20, wantSteps: 0, wantNext: 0, threshold: 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := Autoextend{ThresholdPercent: c.threshold, StepPercent: c.step, Enabled: c.threshold < 100}
			a.room(c.pool*ext, lvm.VG{ExtentSizeBytes: ext, FreeBytes: c.free * ext, FreeExtents: c.free})
			if a.StepsLeft != c.wantSteps || a.NextStepBytes != c.wantNext*ext {
				t.Errorf("steps %d next %d extents, want %d and %d", a.StepsLeft, a.NextStepBytes/ext, c.wantSteps, c.wantNext)
			}
		})
	}
}

package lvmprofile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// profileDirIn makes a profile directory under a test's temp dir and
// returns it with the profile's path in it.
func profileDirIn(t *testing.T) (dir, path string) {
	dir = filepath.Join(t.TempDir(), "profile")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, ProfilePath(dir, "docker-thinpool")
}

func writeProfile(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSucceed(t *testing.T, res map[string]any, changed bool) {
	t.Helper()
	if res["failed"] == true {
		t.Fatalf("module failed: %v", res["msg"])
	}
	if res["changed"] != changed {
		t.Fatalf("changed = %v, want %v: %v", res["changed"], changed, res)
	}
}

func actionsOf(t *testing.T, res map[string]any) []string {
	t.Helper()
	var out []string
	for _, a := range must[[]any](t, res, "actions") {
		s, ok := a.(string)
		if !ok {
			t.Fatalf("actions holds %T %v, not a string", a, a)
		}
		out = append(out, s)
	}
	return out
}

func TestAConvergedHostRunsTwoLVMCommandsAndChangesNothing(t *testing.T) {
	dir, path := profileDirIn(t)
	writeProfile(t, path, golden(t))
	f := runner.NewFake(t)
	lvmconfigSays(f, dir)
	fullreport(f, raw(t, lvmtest.PoolInUseOther)) // attached and monitored
	sd := servicesUp()
	res := execute(t, host(f, sd), map[string]any{"lv": "docker/thinpool", "_ansible_diff": true})
	mustSucceed(t, res, false)
	if len(f.Calls()) != 2 || len(must[[]any](t, res, "actions")) != 0 || len(sd.calls) != 0 {
		t.Errorf("a converged host must only read: commands %v, systemd %v", f.Calls(), sd.calls)
	}
	profile := must[map[string]any](t, res, "profile")
	if profile["path"] != path || profile["threshold"] != float64(80) || profile["percent"] != float64(20) ||
		profile["monitored"] != true || !slices.Equal(toStrings(profile["attached_to"]), []string{"docker/thinpool"}) {
		t.Errorf("profile: %v", profile)
	}
	if facts := must[map[string]any](t, res, "ansible_facts"); facts["directlvm_profile"] == nil {
		t.Errorf("fact directlvm_profile missing: %v", facts)
	}
	if !sd.closed {
		t.Error("the systemd connection was not closed")
	}
}

func TestAGivenProfileDirSkipsAskingLVM(t *testing.T) {
	dir, path := profileDirIn(t)
	writeProfile(t, path, golden(t))
	f := runner.NewFake(t)
	fullreport(f, raw(t, lvmtest.PoolInUseOther))
	res := execute(t, host(f, servicesUp()), map[string]any{"lv": "docker/thinpool", "profile_dir": dir})
	mustSucceed(t, res, false)
	if len(f.Calls()) != 1 {
		t.Errorf("want only the LVM report, ran %v", f.Calls())
	}
}

func TestCheckModeChangesNothingAndSaysWhatItWouldDo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile") // does not exist yet
	path := ProfilePath(dir, "docker-thinpool")
	f := runner.NewFake(t)
	lvmconfigSays(f, dir)
	fullreport(f, unmonitored(raw(t, lvmtest.Pool)))
	sd := servicesUp().with("lvm2-monitor.service", func(u *systemd.UnitState) { u.UnitFileState, u.ActiveState = "disabled", "inactive" })
	res := execute(t, host(f, sd), map[string]any{"lv": "docker/thinpool", "_ansible_check_mode": true, "_ansible_diff": true})
	mustSucceed(t, res, true)

	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("check mode created %s: %v", dir, err)
	}
	if len(f.Calls()) != 2 || len(sd.calls) != 0 {
		t.Errorf("check mode must only read: commands %v, systemd %v", f.Calls(), sd.calls)
	}
	want := []string{validate(t), "create directory " + dir + " (mode 0755)", "write " + path, attach,
		"systemctl enable lvm2-monitor.service", "systemctl start lvm2-monitor.service", monitor}
	if got := actionsOf(t, res); !slices.Equal(got, want) {
		t.Errorf("actions:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	diff := must[map[string]any](t, res, "diff")
	if diff["before"] != "" || diff["after"] != string(golden(t)) || diff["before_header"] != path || diff["after_header"] != path {
		t.Errorf("diff: %v", diff)
	}
	profile := must[map[string]any](t, res, "profile")
	if profile["present"] != true || profile["monitored"] != true || !slices.Contains(toStrings(profile["attached_to"]), "docker/thinpool") {
		t.Errorf("check mode must report the state it would lead to: %v", profile)
	}
	if !strings.HasPrefix(must[string](t, res, "msg"), "check mode: 7 step(s) would run") {
		t.Errorf("msg: %v", res["msg"])
	}
}

func TestCheckModeBeforeLVMIsInstalledPlansTheProfileAndTheUnits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile") // LVM's package makes it
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).NotFound()
	sd := servicesUp()
	for _, u := range Units {
		sd = sd.with(u.Name, func(st *systemd.UnitState) {
			*st = systemd.UnitState{Name: u.Name, LoadState: "not-found", ActiveState: "inactive"}
		})
	}
	res := execute(t, host(f, sd), map[string]any{"lv": "docker/thinpool", "profile_dir": dir, "_ansible_check_mode": true})
	mustSucceed(t, res, true)
	got := strings.Join(actionsOf(t, res), "\n")
	for _, want := range []string{"write " + ProfilePath(dir, "docker-thinpool"), attach, monitor,
		"systemctl enable dm-event.socket lvm2-monitor.service", "systemctl start lvm2-monitor.service"} {
		if !strings.Contains(got, want) {
			t.Errorf("the plan lacks %q:\n%s", want, got)
		}
	}
	if w := strings.Join(toStrings(res["warnings"]), "\n"); !strings.Contains(w, "LVM's tools are not installed yet") {
		t.Errorf("warnings: %s", w)
	}

	t.Run("a real run refuses the missing units", func(t *testing.T) {
		f := runner.NewFake(t)
		f.Expect(lvm.ReportArgv()...).Stdout(raw(t, lvmtest.Pool))
		res := execute(t, host(f, sd), map[string]any{"lv": "docker/thinpool", "profile_dir": dir})
		if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "install the package that provides it") {
			t.Errorf("result: %v", res)
		}
	})
}

// applyOnThePool runs the module in diff mode on a host whose profile
// holds other settings, whose pool is unmonitored and without the profile,
// and whose dm-event.socket is disabled: it writes, attaches, monitors and
// enables. It returns the result, the profile directory and file, and the
// systemd fake.
func applyOnThePool(t *testing.T) (res map[string]any, dir, path string, sd *fakeSystemd) {
	t.Helper()
	dir, path = profileDirIn(t)
	writeProfile(t, path, []byte("activation { thin_pool_autoextend_threshold=70 }\n"))
	f := runner.NewFake(t)
	lvmconfigSays(f, dir)
	fullreport(f, unmonitored(raw(t, lvmtest.Pool)))
	f.Expect(lvm.ValidateConfig(golden(t))...).Stdout("LVM configuration valid.\n")
	f.Expect(strings.Fields(attach)...)
	f.Expect(strings.Fields(monitor)...)
	fullreport(f, attached(raw(t, lvmtest.Pool)))
	sd = servicesUp().with("dm-event.socket", func(u *systemd.UnitState) { u.UnitFileState = "disabled" })
	res = execute(t, host(f, sd), map[string]any{"lv": "docker/thinpool", "_ansible_diff": true})
	return res, dir, path, sd
}

func TestApplyWritesValidatesAttachesMonitorsAndReReads(t *testing.T) {
	res, dir, path, sd := applyOnThePool(t)
	mustSucceed(t, res, true)

	got, err := os.ReadFile(path)
	if err != nil || string(got) != string(golden(t)) {
		t.Fatalf("profile file: %q, %v", got, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %04o, want 0644", fi.Mode().Perm())
	}
	if !slices.Equal(sd.calls, []string{"enable dm-event.socket"}) {
		t.Errorf("systemd: %v", sd.calls)
	}
	diff := must[map[string]any](t, res, "diff")
	if diff["before"] != "activation { thin_pool_autoextend_threshold=70 }\n" || diff["after"] != string(golden(t)) {
		t.Errorf("diff: %v", diff)
	}
	if msg := must[string](t, res, "msg"); !strings.Contains(msg, "attached to docker/thinpool, monitored by dmeventd") {
		t.Errorf("msg: %s", msg)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the profile directory should hold only the profile: %v", entries)
	}
}

func TestThreshold30IsRefusedBeforeAnythingRuns(t *testing.T) {
	dir, path := profileDirIn(t)
	f := runner.NewFake(t) // any command fails the test
	res := execute(t, host(f, servicesUp()), map[string]any{"autoextend_threshold": 30, "autoextend_percent": 0, "profile_dir": dir})
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	msg := must[string](t, res, "msg")
	for _, want := range []string{"autoextend_threshold=30 is below 50", "autoextend_percent=0 must be greater than 0"} {
		if !strings.Contains(msg, want) {
			t.Errorf("msg does not say %q: %s", want, msg)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused run wrote %s", path)
	}
}

func TestAProfileLVMRejectsIsNeverWritten(t *testing.T) {
	dir, path := profileDirIn(t)
	f := runner.NewFake(t)
	fullreport(f, raw(t, lvmtest.Pool))
	f.Expect(lvm.ValidateConfig(golden(t))...).Stderr("  Configuration setting \"activation/thin_pool_autoextend_percent\" unknown.\n  LVM configuration invalid.").Exit(5)
	fullreport(f, raw(t, lvmtest.Pool))
	res := execute(t, host(f, servicesUp()), map[string]any{"lv": "docker/thinpool", "profile_dir": dir})
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	msg := must[string](t, res, "msg")
	for _, want := range []string{"step 1 of 3", "LVM must accept the profile", "LVM configuration invalid", "0 step(s) before it completed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("msg does not say %q: %s", want, msg)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a profile LVM rejected was written")
	}
	if len(must[[]any](t, res, "actions")) != 0 {
		t.Errorf("actions should list only what completed: %v", res["actions"])
	}
}

func TestAPoolThatStaysUnmonitoredFailsTheRun(t *testing.T) {
	dir, path := profileDirIn(t)
	writeProfile(t, path, golden(t))
	f := runner.NewFake(t)
	fullreport(f, unmonitored(attached(raw(t, lvmtest.Pool))))
	f.Expect(strings.Fields(monitor)...)
	fullreport(f, unmonitored(attached(raw(t, lvmtest.Pool))))
	res := execute(t, host(f, servicesUp()), map[string]any{"lv": "docker/thinpool", "profile_dir": dir})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "docker/thinpool is not monitored by dmeventd") {
		t.Fatalf("want a failure naming the unmonitored pool: %v", res)
	}
	if res["changed"] != true {
		t.Errorf("the run did change something: %v", res)
	}
}

func TestThePoolsRoomToGrowIsReported(t *testing.T) {
	dir, path := profileDirIn(t)
	writeProfile(t, path, golden(t))
	// The runbook's 95%VG pool: 128 MiB free, one 20% step is 776.8 MiB.
	f := runner.NewFake(t)
	fullreport(f, raw(t, lvmtest.PoolInUseOther))
	res := execute(t, host(f, servicesUp()), map[string]any{"lv": "docker/thinpool", "profile_dir": dir})
	mustSucceed(t, res, false)
	profile := must[map[string]any](t, res, "profile")
	if profile["autoextend_possible"] != false || profile["vg_free_bytes"] != float64(128<<20) {
		t.Errorf("profile: %v", profile)
	}
	warnings := toStrings(res["warnings"])
	if len(warnings) != 1 {
		t.Fatalf("want one warning, got %q", warnings)
	}
	for _, want := range []string{"volume group docker has 128.0 MiB free", "20% autoextend step", "776.8 MiB", "add a disk", "data_size"} {
		if !strings.Contains(warnings[0], want) {
			t.Errorf("warning does not say %q: %s", want, warnings[0])
		}
	}

	// With 2 GiB free, a step fits.
	f = runner.NewFake(t)
	fullreport(f, edit(raw(t, lvmtest.PoolInUseOther), dockerVG, "vg_free", "2147483648"))
	res = execute(t, host(f, servicesUp()), map[string]any{"lv": "docker/thinpool", "profile_dir": dir})
	if must[map[string]any](t, res, "profile")["autoextend_possible"] != true || res["warnings"] != nil {
		t.Errorf("with room: %v", res)
	}
}

func TestAbsentDetachesAndRemovesTheFile(t *testing.T) {
	dir, path := profileDirIn(t)
	writeProfile(t, path, golden(t))
	f := runner.NewFake(t)
	fullreport(f, raw(t, lvmtest.PoolInUseOther))
	f.Expect(strings.Fields(detach)...)
	fullreport(f, raw(t, lvmtest.Pool))
	h := host(f, nil)
	h.Systemd = func(context.Context) (Systemd, error) { return nil, errors.New("state=absent must not need systemd") }
	res := execute(t, h, map[string]any{"lv": "docker/thinpool", "state": "absent", "profile_dir": dir})
	mustSucceed(t, res, true)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there", path)
	}
	if got := actionsOf(t, res); !slices.Equal(got, []string{detach, "remove " + path}) {
		t.Errorf("actions: %v", got)
	}
}

func TestAbsentIsRefusedWhileAnotherPoolUsesTheProfile(t *testing.T) {
	dir, path := profileDirIn(t)
	writeProfile(t, path, golden(t))
	f := runner.NewFake(t)
	fullreport(f, raw(t, lvmtest.PoolInUseOther))
	res := execute(t, host(f, nil), map[string]any{"state": "absent", "profile_dir": dir})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "still attached to docker/thinpool") {
		t.Fatalf("want a refusal naming the pool: %v", res)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the profile must be kept: %v", err)
	}
}

func TestAHostWithoutSystemdFailsWithAWayOut(t *testing.T) {
	f := runner.NewFake(t)
	h := host(f, nil)
	h.Systemd = func(context.Context) (Systemd, error) {
		return nil, errors.New("cannot reach systemd over D-Bus (/run/dbus/system_bus_socket): no such file")
	}
	res := execute(t, h, map[string]any{"lv": "docker/thinpool"})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "monitor=false") {
		t.Fatalf("want a failure suggesting monitor=false: %v", res)
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, item := range l {
		out = append(out, item.(string))
	}
	return out
}

func TestARunThatCannotTakeTheHostLockFailsBeforeTouchingAnything(t *testing.T) {
	f := runner.NewFake(t) // no command expected: any would fail the test
	connected := false
	h := Host{Run: f, Systemd: func(context.Context) (Systemd, error) { connected = true; return servicesUp(), nil },
		Lock: heldBy(hostlock.Owner{Module: "lvm_thinpool", PID: 1234, Since: time.Date(2026, 11, 25, 19, 4, 5, 0, time.UTC)})}
	res := execute(t, h, map[string]any{"lv": "docker/thinpool"})
	if res["failed"] != true || res["changed"] == true {
		t.Fatalf("want a failure that changed nothing: %v", res)
	}
	msg, _ := res["msg"].(string)
	if !strings.Contains(msg, "is held by lvm_thinpool, pid 1234, since 2026-11-25T19:04:05Z") || !strings.Contains(msg, "Wait for it to finish") {
		t.Errorf("msg does not name the holder and the fix: %s", msg)
	}
	if connected || len(f.Calls()) != 0 {
		t.Errorf("ran without the lock: systemd connected %v, commands %v", connected, f.Calls())
	}
}

func TestARefusalStillCarriesTheWarningsOfTheObservation(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect(ProfileDirArgv()...).Stderr("  Configuration node config/profile_dir not found").Exit(5)
	fullreport(f, raw(t, lvmtest.Pool))
	res := execute(t, host(f, servicesUp()), map[string]any{"lv": "docker/nosuch", "monitor": false})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "there is no such logical volume") {
		t.Fatalf("want the refusal of a missing pool: %v", res)
	}
	if w := toStrings(res["warnings"]); len(w) != 1 || !strings.Contains(w[0], "cannot ask LVM for its profile directory") {
		t.Errorf("warnings: %q", w)
	}
}

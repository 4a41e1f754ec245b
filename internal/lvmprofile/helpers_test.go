package lvmprofile

import (
	"context"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/module/moduletest"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// fakeSystemd plays the system manager: the units' states, and the
// enabling and starting that change them.
type fakeSystemd struct {
	units  map[string]systemd.UnitState
	calls  []string // mutations only: "enable A B", "start A"
	closed bool
}

// servicesUp is a host where dmeventd's socket and lvm2-monitor are enabled
// and active, as on a Debian host with lvm2 and dmeventd installed.
func servicesUp() *fakeSystemd {
	sd := &fakeSystemd{units: map[string]systemd.UnitState{}}
	for _, u := range Units {
		sd.units[u.Name] = systemd.UnitState{Name: u.Name, LoadState: "loaded", ActiveState: "active", UnitFileState: "enabled"}
	}
	return sd
}

// with changes one unit's state.
func (f *fakeSystemd) with(name string, change func(*systemd.UnitState)) *fakeSystemd {
	u := f.units[name]
	change(&u)
	f.units[name] = u
	return f
}

func (f *fakeSystemd) Unit(_ context.Context, name string) (systemd.UnitState, error) {
	if u, ok := f.units[name]; ok {
		return u, nil
	}
	return systemd.UnitState{Name: name, LoadState: "not-found", ActiveState: "inactive"}, nil
}

func (f *fakeSystemd) Enable(_ context.Context, names ...string) (bool, error) {
	f.calls = append(f.calls, "enable "+strings.Join(names, " "))
	for _, n := range names {
		f.with(n, func(u *systemd.UnitState) { u.UnitFileState = "enabled" })
	}
	return true, nil
}

func (f *fakeSystemd) Start(_ context.Context, name string, timeout time.Duration) error {
	f.calls = append(f.calls, "start "+name)
	f.with(name, func(u *systemd.UnitState) { u.ActiveState = "active" })
	return nil
}

func (f *fakeSystemd) Close() { f.closed = true }

// host is the scripted machine: commands from f, units from sd, and no
// other run holding the lock.
func host(f *runner.Fake, sd *fakeSystemd) Host {
	return Host{Run: f, Systemd: func(context.Context) (Systemd, error) { return sd, nil }, Lock: unlocked}
}

// unlocked is a host lock that no other run holds.
func unlocked(context.Context, hostlock.Owner) (func(), error) { return func() {}, nil }

// heldBy is a host lock that another run keeps for as long as we wait.
func heldBy(holder hostlock.Owner) hostlock.Lock {
	return func(context.Context, hostlock.Owner) (func(), error) {
		return nil, &hostlock.HeldError{Path: hostlock.DefaultPath, Holder: &holder, Waited: hostlock.DefaultWait}
	}
}

// execute runs the module as Ansible would against the scripted host.
func execute(t *testing.T, h Host, args map[string]any) map[string]any {
	t.Helper()
	return ansibletest.Run(t, Module(h), args)
}

// lvmconfigSays scripts LVM's answer to "where are profiles": dir.
func lvmconfigSays(f *runner.Fake, dir string) {
	f.Expect(ProfileDirArgv()...).Stdout(`profile_dir="` + dir + `"` + "\n")
}

// fullreport scripts one `lvm fullreport` printing raw.
func fullreport(f *runner.Fake, raw string) {
	f.Expect(lvm.ReportArgv()...).Stdout(raw)
}

// raw is a captured LVM state (see lvmtest), optionally edited.
func raw(t *testing.T, name string) string { return string(lvmtest.Raw(t, name)) }

// edit sets field to value on the report rows (lines) that contain marker,
// e.g. edit(s, `"lv_name":"thinpool"`, "lv_profile", "docker-thinpool").
func edit(s, marker, field, value string) string {
	re := regexp.MustCompile(`"` + regexp.QuoteMeta(field) + `":"[^"]*"`)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.Contains(l, marker) {
			lines[i] = re.ReplaceAllLiteralString(l, `"`+field+`":"`+value+`"`)
		}
	}
	return strings.Join(lines, "\n")
}

// Markers of the rows of docker/thinpool in the fixtures.
const (
	poolRow    = `"lv_name":"thinpool",`
	poolSegRow = `"segtype":"thin-pool"`
	dockerVG   = `"vg_name":"docker", "vg_uuid"`
)

// attached is a report row edit: the pool uses profile docker-thinpool.
func attached(s string) string { return edit(s, poolRow, "lv_profile", "docker-thinpool") }

// unmonitored is a report row edit: dmeventd does not watch the pool.
func unmonitored(s string) string { return edit(s, poolSegRow, "seg_monitor", "not monitored") }

// report parses a (possibly edited) captured state.
func report(t *testing.T, s string) *lvm.Report {
	t.Helper()
	rep, err := lvm.ParseReport([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// config builds a Config from module options, as Ansible would pass them.
func config(t *testing.T, opts map[string]any) Config {
	t.Helper()
	return moduletest.Config(t, Name, Spec(), ParseConfig, opts)
}

func assertActions(t *testing.T, p *Plan, want ...string) {
	t.Helper()
	moduletest.AssertSteps(t, p, want...)
}

func assertRefused(t *testing.T, p *Plan, err error, want ...string) {
	t.Helper()
	moduletest.AssertRefused(t, p, err, want...)
}

// golden is the profile with the default settings, byte for byte.
func golden(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/docker-thinpool.profile")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validate is the action string of LVM's check of the default profile.
func validate(t *testing.T) string {
	return runner.Join(lvm.ValidateConfig(golden(t)))
}

// fsMode and dirBit build FileState modes in tests.
func fsMode(perm uint32) fs.FileMode { return fs.FileMode(perm) }

const dirBit = fs.ModeDir

func must[T any](t testing.TB, m map[string]any, key string) T {
	t.Helper()
	return moduletest.Must[T](t, m, key)
}

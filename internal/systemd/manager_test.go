package systemd

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/dbus"
)

// fakeBus plays systemd: units with their properties, and the result each
// queued job will end with ("" leaves the job running forever).
type fakeBus struct {
	mu       sync.Mutex
	units    map[string]map[string]any
	services map[string]map[string]any
	results  map[string]string // "start foo.service" -> "done"
	queueErr map[string]error  // "start foo.service" -> D-Bus error
	enabled  map[string]bool
	reloads  int
	calls    []string
}

func newFakeBus() *fakeBus {
	return &fakeBus{units: map[string]map[string]any{}, services: map[string]map[string]any{},
		results: map[string]string{}, queueErr: map[string]error{}, enabled: map[string]bool{}}
}

func (b *fakeBus) record(call string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, call)
}

func (b *fakeBus) GetUnitPropertiesContext(_ context.Context, unit string) (map[string]any, error) {
	b.record("unit " + unit)
	if p, ok := b.units[unit]; ok {
		return p, nil
	}
	return map[string]any{"Id": unit, "LoadState": "not-found", "ActiveState": "inactive"}, nil
}

func (b *fakeBus) GetUnitTypePropertiesContext(_ context.Context, unit, unitType string) (map[string]any, error) {
	b.record(strings.ToLower(unitType) + " " + unit)
	return b.services[unit], nil
}

func (b *fakeBus) EnableUnitFilesContext(_ context.Context, files []string, runtime, force bool) (bool, []dbus.EnableUnitFileChange, error) {
	b.record("enable " + strings.Join(files, " "))
	var changes []dbus.EnableUnitFileChange
	for _, f := range files {
		if _, ok := b.units[f]; !ok {
			return false, nil, errors.New("Unit file " + f + " does not exist.")
		}
		if !b.enabled[f] {
			b.enabled[f] = true
			changes = append(changes, dbus.EnableUnitFileChange{Type: "symlink", Filename: "/etc/systemd/system/x.wants/" + f, Destination: "/lib/systemd/system/" + f})
		}
	}
	return true, changes, nil
}

func (b *fakeBus) ResetFailedUnitContext(context.Context, string) error { return nil }

func (b *fakeBus) ReloadContext(context.Context) error {
	b.record("reload")
	b.reloads++
	return nil
}

func (b *fakeBus) queue(verb, name string, ch chan<- string) (int, error) {
	b.record(verb + " " + name)
	if err := b.queueErr[verb+" "+name]; err != nil {
		return 0, err
	}
	if r := b.results[verb+" "+name]; r != "" {
		go func() { ch <- r }() // the result arrives later, as a signal
	}
	return 42, nil
}

func (b *fakeBus) StartUnitContext(_ context.Context, name, _ string, ch chan<- string) (int, error) {
	return b.queue("start", name, ch)
}

func (b *fakeBus) StopUnitContext(_ context.Context, name, _ string, ch chan<- string) (int, error) {
	return b.queue("stop", name, ch)
}

func (b *fakeBus) RestartUnitContext(_ context.Context, name, _ string, ch chan<- string) (int, error) {
	return b.queue("restart", name, ch)
}

func (b *fakeBus) Close() { b.record("close") }

func TestUnitReadsServicePropertiesOnlyForLoadedServices(t *testing.T) {
	b := newFakeBus()
	unit, service := dockerUnit()
	b.units["docker.service"] = unit
	b.services["docker.service"] = service
	b.units["dm-event.socket"] = map[string]any{"Id": "dm-event.socket", "LoadState": "loaded", "ActiveState": "active"}
	m := &Manager{conn: b}
	ctx := context.Background()

	docker, err := m.Unit(ctx, "docker.service")
	if err != nil || docker.ExecStart[0][0] != "/usr/sbin/dockerd" {
		t.Fatalf("docker.service: %+v, %v", docker, err)
	}
	if _, err := m.Unit(ctx, "dm-event.socket"); err != nil {
		t.Fatal(err)
	}
	missing, err := m.Unit(ctx, "nosuch.service")
	if err != nil || missing.LoadState != "not-found" {
		t.Fatalf("nosuch.service: %+v, %v", missing, err)
	}
	want := []string{"unit docker.service", "service docker.service", "unit dm-event.socket", "unit nosuch.service"}
	if strings.Join(b.calls, "; ") != strings.Join(want, "; ") {
		t.Errorf("bus calls: %q, want %q", b.calls, want)
	}
}

func TestEnableReloadsOnlyWhenSomethingChanged(t *testing.T) {
	b := newFakeBus()
	b.units["dm-event.socket"] = map[string]any{}
	b.units["lvm2-monitor.service"] = map[string]any{}
	m := &Manager{conn: b}
	ctx := context.Background()

	changed, err := m.Enable(ctx, "dm-event.socket", "lvm2-monitor.service")
	if err != nil || !changed || b.reloads != 1 {
		t.Fatalf("first enable: changed=%v err=%v reloads=%d", changed, err, b.reloads)
	}
	changed, err = m.Enable(ctx, "dm-event.socket", "lvm2-monitor.service")
	if err != nil || changed || b.reloads != 1 {
		t.Fatalf("second enable must change nothing and not reload: changed=%v err=%v reloads=%d", changed, err, b.reloads)
	}
	if _, err := m.Enable(ctx, "nosuch.service"); err == nil || !strings.Contains(err.Error(), "nosuch.service") {
		t.Errorf("enabling a missing unit: %v", err)
	}
}

func TestStartWaitsForTheJobResult(t *testing.T) {
	b := newFakeBus()
	b.results["start dm-event.socket"] = "done"
	m := &Manager{conn: b}
	if err := m.Start(context.Background(), "dm-event.socket", time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestAJobThatDoesNotEndInDoneNamesTheUnitAndTheJournal(t *testing.T) {
	for _, result := range []string{"failed", "dependency", "timeout", "canceled"} {
		t.Run(result, func(t *testing.T) {
			b := newFakeBus()
			b.results["restart docker.service"] = result
			m := &Manager{conn: b}
			err := m.Restart(context.Background(), "docker.service", time.Second)
			var je *JobError
			if !errors.As(err, &je) || je.Result != result {
				t.Fatalf("want a JobError with result %s, got %v", result, err)
			}
			for _, want := range []string{"restart of docker.service", `"` + result + `"`, "journalctl -u docker.service"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not say %q", err, want)
				}
			}
		})
	}
}

func TestAJobThatCannotBeQueuedNamesTheUnit(t *testing.T) {
	b := newFakeBus()
	b.queueErr["start nosuch.service"] = errors.New("Unit nosuch.service not found.")
	m := &Manager{conn: b}
	err := m.Start(context.Background(), "nosuch.service", time.Second)
	if err == nil || !strings.Contains(err.Error(), "cannot start nosuch.service") {
		t.Fatalf("got %v", err)
	}
}

func TestAJobThatOutlivesTheTimeoutIsReportedAsStillRunning(t *testing.T) {
	b := newFakeBus() // no result: the job never finishes
	m := &Manager{conn: b}
	start := time.Now()
	err := m.Stop(context.Background(), "docker.service", 50*time.Millisecond)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stop of docker.service did not finish") {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the timeout was not honoured")
	}
}

func TestConnectErrorsSayWhatWasTriedAndWhatIsNeeded(t *testing.T) {
	cause := errors.New("dial unix /run/dbus/system_bus_socket: connect: no such file or directory")
	err := connectError("", true, cause)
	for _, want := range []string{"cannot reach systemd over D-Bus", "/run/dbus/system_bus_socket", "/run/systemd/private", "needs a host running systemd"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if !errors.Is(err, cause) {
		t.Errorf("the cause must be wrapped")
	}
	if err := connectError("unix:path=/tmp/bus", false, cause); !strings.Contains(err.Error(), "(/tmp/bus)") {
		t.Errorf("a bus address from the environment must be named: %v", err)
	}
}

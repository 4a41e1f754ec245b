package systemd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/tools/guest/guesttest"
)

// These tests run in the guest VM against the real systemd (see package
// guesttest). They start and stop only a unit of their own, never a unit
// other tests rely on: restarting dm-event.service, for example, would
// make a dmeventd that monitors pools refuse SIGTERM until systemd kills it.

func connect(t *testing.T) *Manager {
	t.Helper()
	m, err := Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// testUnit installs a unit of the test's own under /etc/systemd/system and
// removes it, and any enablement of it, when the test ends.
func testUnit(t *testing.T, m *Manager, name, execStart string) {
	t.Helper()
	path := filepath.Join("/etc/systemd/system", name)
	unit := "[Unit]\nDescription=directlvm guest test unit\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=" +
		execStart + "\n\n[Install]\nWantedBy=multi-user.target\n"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() {
		_ = m.Stop(ctx, name, 30*time.Second)
		_ = os.Remove("/etc/systemd/system/multi-user.target.wants/" + name)
		_ = os.Remove(path)
		if err := m.DaemonReload(ctx); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	if err := m.DaemonReload(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestGuestDockerServiceIsReadWithItsCommandLine(t *testing.T) {
	guesttest.Require(t)
	m := connect(t)
	u, err := m.Unit(context.Background(), "docker.service")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("docker.service: %+v", u)
	if u.LoadState != "loaded" {
		t.Fatalf("LoadState = %q, want loaded", u.LoadState)
	}
	if len(u.ExecStart) == 0 || len(u.ExecStart[0]) == 0 || !strings.HasSuffix(u.ExecStart[0][0], "dockerd") {
		t.Errorf("ExecStart = %q, want argv[0] ending in dockerd", u.ExecStart)
	}
	if u.FragmentPath == "" || u.UnitFileState == "" {
		t.Errorf("FragmentPath %q, UnitFileState %q: want both", u.FragmentPath, u.UnitFileState)
	}
}

func TestGuestAUnitIsEnabledRestartedAndStoppedWaitingForEachJob(t *testing.T) {
	guesttest.Require(t)
	m := connect(t)
	ctx := context.Background()
	const name = "directlvm-guesttest-ok.service"
	testUnit(t, m, name, "/bin/true")

	changed, err := m.Enable(ctx, name)
	if err != nil || !changed {
		t.Fatalf("first Enable: changed=%v, %v", changed, err)
	}
	if changed, err := m.Enable(ctx, name); err != nil || changed {
		t.Fatalf("second Enable must change nothing: changed=%v, %v", changed, err)
	}
	if err := m.Restart(ctx, name, time.Minute); err != nil {
		t.Fatal(err)
	}
	u, err := m.Unit(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if u.ActiveState != "active" || u.UnitFileState != "enabled" || u.SubState != "exited" {
		t.Errorf("after Restart: %+v, want active/exited and enabled", u)
	}
	if len(u.ExecStart) != 1 || u.ExecStart[0][0] != "/bin/true" {
		t.Errorf("ExecStart = %q", u.ExecStart)
	}
	if err := m.Stop(ctx, name, time.Minute); err != nil {
		t.Fatal(err)
	}
	if u, _ := m.Unit(ctx, name); u.ActiveState != "inactive" {
		t.Errorf("after Stop: ActiveState %q", u.ActiveState)
	}
}

func TestGuestAFailingStartReportsTheResultAndTheJournal(t *testing.T) {
	guesttest.Require(t)
	m := connect(t)
	const name = "directlvm-guesttest-fails.service"
	testUnit(t, m, name, "/bin/false")
	err := m.Start(context.Background(), name, time.Minute)
	if err == nil || !strings.Contains(err.Error(), `"failed"`) || !strings.Contains(err.Error(), "journalctl -u "+name) {
		t.Fatalf("want a failed job naming the journal, got %v", err)
	}
}

func TestGuestStartingAMissingUnitFailsNamingIt(t *testing.T) {
	guesttest.Require(t)
	m := connect(t)
	const name = "directlvm-no-such-unit.service"
	err := m.Start(context.Background(), name, 30*time.Second)
	if err == nil || !strings.Contains(err.Error(), name) {
		t.Fatalf("want an error naming %s, got %v", name, err)
	}
	u, err := m.Unit(context.Background(), name)
	if err != nil || u.LoadState != "not-found" {
		t.Errorf("Unit of a missing unit: %+v, %v", u, err)
	}
}

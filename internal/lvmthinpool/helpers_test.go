package lvmthinpool

import (
	"context"
	"slices"
	"testing"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/blockdev"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/module/moduletest"
	"github.com/directlvm/docker/internal/runner"
)

// report parses one of the captured real LVM states (see lvmtest).
func report(t *testing.T, name string) *lvm.Report {
	t.Helper()
	rep, err := lvm.ParseReport(lvmtest.Raw(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// madeByUs tags LVs as this module's lvcreate would have.
func madeByUs(rep *lvm.Report, names ...string) *lvm.Report {
	for i := range rep.LVs {
		if slices.Contains(names, rep.LVs[i].Name) {
			rep.LVs[i].Tags = append(rep.LVs[i].Tags, OwnerTag)
		}
	}
	return rep
}

// blankDisk is a 4 GiB disk with nothing on it, as lsblk and wipefs see it.
func blankDisk(path string) Device {
	return Device{Given: path, Path: path, Disk: &blockdev.Device{Given: path, Path: path, SizeBytes: 4 << 30, Type: "disk"}}
}

// pvOf is a device that the report shows as a PV.
func pvOf(t *testing.T, rep *lvm.Report, path string) Device {
	t.Helper()
	pv, ok := rep.PV(path)
	if !ok {
		t.Fatalf("%s is not a PV in the fixture", path)
	}
	return Device{Given: path, Path: path, PV: &pv}
}

// config builds a Config from module options, as Ansible would pass them.
func config(t *testing.T, opts map[string]any) Config {
	t.Helper()
	return moduletest.Config(t, Name, Spec(), ParseConfig, opts)
}

func assertCommands(t *testing.T, p *Plan, want ...string) {
	t.Helper()
	moduletest.AssertSteps(t, p, want...)
}

func assertRefused(t *testing.T, p *Plan, err error, want ...string) {
	t.Helper()
	moduletest.AssertRefused(t, p, err, want...)
}

func newRequest(opts map[string]any) (*ansible.Request, error) {
	return ansible.NewRequest(ansible.Module{Name: Name, Spec: Spec()}, opts)
}

// fakeLock plays the host lock. It refuses with err when that is set;
// otherwise it grants the lock and notes how many commands had run when
// it was taken and when it was released.
type fakeLock struct {
	f      *runner.Fake
	err    error
	owners []hostlock.Owner

	granted, released           bool
	callsAtTake, callsAtRelease int
}

func (l *fakeLock) lock(_ context.Context, o hostlock.Owner) (func(), error) {
	l.owners = append(l.owners, o)
	if l.err != nil {
		return nil, l.err
	}
	l.granted, l.callsAtTake = true, len(l.f.Calls())
	return func() { l.released, l.callsAtRelease = true, len(l.f.Calls()) }, nil
}

// heldThroughout is a lock that fails t unless the run took it before its
// first command and released it after its last, or, when the run never
// took it, ran no command at all.
func heldThroughout(t *testing.T, f *runner.Fake) hostlock.Lock {
	l := &fakeLock{f: f}
	t.Cleanup(func() {
		calls := len(f.Calls())
		switch {
		case !l.granted && calls > 0:
			t.Errorf("%d command(s) ran without the host lock", calls)
		case !l.granted:
		case len(l.owners) != 1:
			t.Errorf("the lock was taken %d times, want once", len(l.owners))
		case l.callsAtTake != 0:
			t.Errorf("%d command(s) ran before the host lock was taken", l.callsAtTake)
		case !l.released:
			t.Errorf("the host lock was never released")
		case l.callsAtRelease != calls:
			t.Errorf("the host lock was released after %d of %d commands", l.callsAtRelease, calls)
		}
	})
	return l.lock
}

func must[T any](t testing.TB, m map[string]any, key string) T {
	t.Helper()
	return moduletest.Must[T](t, m, key)
}

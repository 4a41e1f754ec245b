package lvmthinpool

import (
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/blockdev"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
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
	req, err := ansible.NewRequest(ansible.Module{Name: Name, Spec: Spec()}, opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(req.Params)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func commands(p *Plan) []string {
	var out []string
	for _, a := range p.Actions {
		out = append(out, a.String())
	}
	return out
}

func assertCommands(t *testing.T, p *Plan, want ...string) {
	t.Helper()
	got := commands(p)
	if !slices.Equal(got, want) {
		t.Errorf("plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func assertRefused(t *testing.T, p *Plan, err error, want ...string) {
	t.Helper()
	if _, ok := err.(*Refusal); !ok {
		t.Fatalf("want a refusal, got plan %v, error %v", p, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("refusal %q does not say %q", err, w)
		}
	}
}

func newRequest(opts map[string]any) (*ansible.Request, error) {
	return ansible.NewRequest(ansible.Module{Name: Name, Spec: Spec()}, opts)
}

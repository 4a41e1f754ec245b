package lvmvolume

import (
	"cmp"
	"context"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/lvmvg"
	"github.com/directlvm/docker/internal/module/moduletest"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// fakeUnits is systemd's view of docker's units: name -> ActiveState
// (inactive when not listed).
type fakeUnits map[string]string

func (u fakeUnits) Unit(_ context.Context, name string) (systemd.UnitState, error) {
	return systemd.UnitState{Name: name, LoadState: "loaded", ActiveState: cmp.Or(u[name], "inactive")}, nil
}
func (fakeUnits) Close() {}

// observeRunbookPool observes the captured runbook pool (lvmtest.Pool: a
// thin pool of 95%VG, its metadata and spare on one 4 GiB disk) as the
// pool to replace, with docker's units as given and thinDevices active on
// it.
func observeRunbookPool(t *testing.T, c Config, units fakeUnits, thinDevices string) *Observed {
	t.Helper()
	rep := report(t, lvmtest.Pool)
	f := runner.NewFake(t)
	f.Expect("dmsetup", "info", "-c", "--noheadings", "-o", "major,minor", "docker-thinpool").Stdout("254:3\n")
	f.Expect("dmsetup", "table", "--target", "thin").Stdout(cmp.Or(thinDevices, "No devices found\n"))
	h := Host{Host: lvmvg.Host{Run: f}, Units: func(context.Context) (Units, error) { return units, nil }}
	rp, err := observePool(t.Context(), h, rep, c)
	if err != nil {
		t.Fatal(err)
	}
	return &Observed{LVM: rep, Devices: []lvmvg.Device{pvOf(t, rep, "/dev/vdb")}, Pool: rp}
}

var replacing = map[string]any{"devices": []string{"/dev/vdb"}, "replaces_thinpool": "thinpool"}

// The way off devicemapper: once docker is stopped, the pool goes and the
// volume takes the whole VG (the pool's data, metadata and spare: all
// 1023 extents, as lvremove gave back on the guest).
func TestTheVolumeTakesThePoolsPlaceOnceDockerIsOffIt(t *testing.T) {
	c := config(t, replacing)
	obs := observeRunbookPool(t, c, fakeUnits{}, "")
	p, err := PlanPresent(c, obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	moduletest.AssertSteps(t, p, "lvremove -y docker/thinpool", createLV, mkfs)
	if p.After.SizeBytes != 1023*(4<<20) {
		t.Errorf("predicted volume: %d bytes, want all 1023 extents", p.After.SizeBytes)
	}
	if p.Before.ReplacesThinpool != "docker/thinpool" || p.After.ReplacesThinpool != "" {
		t.Errorf("thin pool to replace: before %q, after %q", p.Before.ReplacesThinpool, p.After.ReplacesThinpool)
	}
}

func TestThePoolIsKeptWhileDockerUsesIt(t *testing.T) {
	c := config(t, replacing)
	obs := observeRunbookPool(t, c, fakeUnits{"docker.service": "active"}, "")
	p, err := PlanPresent(c, obs, nil)
	moduletest.AssertRefused(t, p, err, "thin pool docker/thinpool is still in use (docker.service is active)", "state=released")

	// A thin device of the pool still active (docker's, left by a dockerd
	// that died): refused too.
	obs = observeRunbookPool(t, c, fakeUnits{}, "docker-254:1-1234-base: 0 20971520 thin 254:3 1\nother: 0 8 thin 254:9 1\n")
	p, err = PlanPresent(c, obs, nil)
	moduletest.AssertRefused(t, p, err, "thin device(s) docker-254:1-1234-base active on it")

	// Check mode plans it with a warning: the role's earlier task stops docker.
	c.CheckMode = true
	obs = observeRunbookPool(t, c, fakeUnits{"docker.service": "active", "docker.socket": "active"}, "")
	p, err = PlanPresent(c, obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	moduletest.AssertSteps(t, p, "lvremove -y docker/thinpool", createLV, mkfs)
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, "check mode: replaces_thinpool: thin pool docker/thinpool is still in use (docker.service is active; docker.socket is active)") {
		t.Errorf("warnings: %s", w)
	}
}

func TestAPoolHoldingLVMThinVolumesIsNotReplaced(t *testing.T) {
	rep := report(t, lvmtest.PoolInUseOther)
	pool, _ := rep.LV("docker", "thinpool")
	c := config(t, replacing)
	obs := &Observed{LVM: rep, Devices: []lvmvg.Device{pvOf(t, rep, "/dev/vdb")},
		Pool: &replacedPool{LV: pool, ThinVolumes: []string{"docker/vol1"}}}
	p, err := PlanPresent(c, obs, nil)
	moduletest.AssertRefused(t, p, err, "thin pool docker/thinpool holds LVM thin volume(s) docker/vol1, which are not docker's", "lvremove docker/vol1")
}

func TestReplacesThinpoolCannotNameTheVolume(t *testing.T) {
	_, err := ParseConfig(Options{Devices: []string{"/dev/vdb"}, VG: "docker", LV: "data", Size: "100%VG", FSType: "xfs", ReplacesPool: "data"})
	if err == nil || !strings.Contains(err.Error(), "replaces_thinpool=\"data\" names the volume itself") {
		t.Errorf("replaces_thinpool=lv: %v", err)
	}
}

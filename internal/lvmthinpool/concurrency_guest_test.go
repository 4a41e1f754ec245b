package lvmthinpool

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// lockTimes is when one run asked for the host lock, got it and let it go.
type lockTimes struct{ asked, granted, released time.Time }

// timed is l, noting in lt when it is asked for, granted and released.
func timed(l hostlock.Lock, lt *lockTimes) hostlock.Lock {
	return func(ctx context.Context, o hostlock.Owner) (func(), error) {
		lt.asked = time.Now()
		release, err := l(ctx, o)
		if err != nil {
			return nil, err
		}
		lt.granted = time.Now()
		return func() {
			lt.released = time.Now() // before the unlock, so that no waiter is granted earlier
			release()
		}, nil
	}
}

// TestGuestTwoRunsAtOnceOnOneDiskMakeOnePool is two ansible-playbook runs
// (or two plays) reaching the same host with the same task at the same
// time: without the host lock both would see a blank disk and both would
// pvcreate, vgcreate and lvcreate on it.
func TestGuestTwoRunsAtOnceOnOneDiskMakeOnePool(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	args := map[string]any{"devices": []string{disk}}
	recs := []*runner.Recorder{{Next: guesttest.Runner()}, {Next: guesttest.Runner()}}
	times := make([]lockTimes, len(recs))
	var calls []ansibletest.Call
	for i, rec := range recs {
		h := RealHost()
		h.Run = rec
		h.Lock = timed(h.Lock, &times[i])
		calls = append(calls, ansibletest.Call{Module: Module(h), Args: args})
	}

	res := ansibletest.RunAtOnce(t, calls...)
	for i, r := range res {
		if r["failed"] == true {
			t.Fatalf("run %d failed: %v", i, r["msg"])
		}
	}
	first, second := 0, 1
	if res[1]["changed"] == true {
		first, second = 1, 0
	}
	if res[first]["changed"] != true || res[second]["changed"] != false {
		t.Fatalf("want exactly one run to report a change: changed = %v and %v", res[0]["changed"], res[1]["changed"])
	}
	if w, f := times[second], times[first]; !w.asked.Before(f.released) || w.granted.Before(f.released) {
		t.Errorf("the second run did not wait for the first: it asked for the lock at %s and got it at %s; the first held it from %s to %s",
			w.asked.Format(time.StampMicro), w.granted.Format(time.StampMicro), f.granted.Format(time.StampMicro), f.released.Format(time.StampMicro))
	}
	if c := recs[second].Calls(); len(c) != 1 || c[0][0] != "lvm" {
		t.Errorf("the run that waited should find the pool made and run one LVM command, ran: %v", c)
	}

	rep := lvmState(t)
	if pv, ok := rep.PV(disk); !ok || pv.VG != "docker" {
		t.Fatalf("%s is not a PV of VG docker: %+v", disk, rep.PVs)
	}
	vgs := 0
	for _, vg := range rep.VGs {
		if vg.Name == "docker" {
			vgs++
		}
	}
	vg, _ := rep.VG("docker")
	if vgs != 1 || vg.PVCount != 1 {
		t.Fatalf("want one VG docker on one PV, got %d VG(s): %+v", vgs, rep.VGs)
	}
	var pools []string
	for _, lv := range rep.LVsOf("docker") {
		if lv.Attr.ThinPool() {
			pools = append(pools, lv.Name)
		}
		if !lv.Hidden() && lv.Name != "thinpool" {
			t.Errorf("unexpected LV docker/%s", lv.Name)
		}
	}
	pool, _ := rep.LV("docker", "thinpool")
	if len(pools) != 1 || pools[0] != "thinpool" {
		t.Fatalf("want the one thin pool docker/thinpool, got %v", pools)
	}
	ext := vg.ExtentSizeBytes
	if pool.SizeBytes/ext != 95*vg.ExtentCount/100 || pool.MetadataSizeBytes/ext != vg.ExtentCount/100 ||
		pool.ChunkSizeBytes != 512<<10 || pool.Attr.Zeroing() {
		t.Errorf("want 95%%VG data, 1%%VG metadata of %d extents, 512K chunks, no zeroing; got %d and %d extents, chunk %d, attr %s",
			vg.ExtentCount, pool.SizeBytes/ext, pool.MetadataSizeBytes/ext, pool.ChunkSizeBytes, pool.Attr)
	}

	if fi, err := os.Stat(hostlock.DefaultPath); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("lock file %s: %v", hostlock.DefaultPath, err)
	}
	release, err := hostlock.Acquire(context.Background(), hostlock.DefaultPath, hostlock.Self("guest test", false), 0)
	if err != nil {
		t.Fatalf("the lock is still held after both runs: %v", err)
	}
	release()
}

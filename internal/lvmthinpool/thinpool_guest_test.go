package lvmthinpool

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// These tests run in the guest VM against blank virtio disks (see package
// guesttest): real LVM, real udev, the module run in-process exactly as
// its binary runs it.

// runReal runs the module on this host and returns its result and every
// command it ran.
func runReal(t *testing.T, args map[string]any) (map[string]any, [][]string) {
	t.Helper()
	rec := &runner.Recorder{Next: guesttest.Runner()}
	host := RealHost()
	host.Run = rec
	return ansibletest.Run(t, Module(host), args), rec.Calls()
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

func sh(t *testing.T, argv ...string) string {
	t.Helper()
	res, err := guesttest.Runner().Run(context.Background(), runner.Command(argv...))
	if err != nil {
		t.Fatal(err)
	}
	return string(res.Stdout)
}

func lvmState(t *testing.T) *lvm.Report {
	t.Helper()
	rep, err := lvm.Read(context.Background(), guesttest.Runner())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func mutating(calls [][]string) []string {
	var m []string
	for _, c := range calls {
		if c[0] == "lvm" && c[1] == "fullreport" || c[0] == "lsblk" || (c[0] == "wipefs" && c[1] == "--no-act") || (c[0] == "dmsetup" && c[1] == "status") {
			continue
		}
		m = append(m, strings.Join(c, " "))
	}
	return m
}

func TestGuestFreshDiskGetsTheRunbookLayoutAndARerunChangesNothing(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	res, _ := runReal(t, map[string]any{"devices": []string{disk}, "_ansible_diff": true})
	mustSucceed(t, res, true)

	rep := lvmState(t)
	vg, _ := rep.VG("docker")
	pool, ok := rep.LV("docker", "thinpool")
	if !ok || !pool.Attr.ThinPool() {
		t.Fatalf("no thin pool docker/thinpool: %+v", rep.LVs)
	}
	ext := vg.ExtentSizeBytes
	if pool.SizeBytes/ext != 95*vg.ExtentCount/100 || pool.MetadataSizeBytes/ext != vg.ExtentCount/100 {
		t.Errorf("want 95%%VG data and 1%%VG metadata of %d extents, got %d and %d",
			vg.ExtentCount, pool.SizeBytes/ext, pool.MetadataSizeBytes/ext)
	}
	if pool.ChunkSizeBytes != 512<<10 || pool.Attr.Zeroing() {
		t.Errorf("want 512K chunks without zeroing: chunk %d, attr %s", pool.ChunkSizeBytes, pool.Attr)
	}
	if _, err := os.Stat("/dev/mapper/docker-thinpool"); err != nil {
		t.Errorf("pool device: %v", err)
	}
	if w, _ := res["warnings"].([]any); len(w) == 0 {
		t.Errorf("95%%VG leaves no room for autoextend; the module must warn")
	}

	res, calls := runReal(t, map[string]any{"devices": []string{disk}})
	mustSucceed(t, res, false)
	if len(calls) != 1 || calls[0][0] != "lvm" {
		t.Errorf("a converged run must execute exactly one LVM command, ran: %v", calls)
	}
}

// The longest names the module accepts are names LVM and device-mapper
// take: "dl" and the hidden "POOL_tdata" add up to 2 + 116 + 6 = 124.
func TestGuestTheLongestNamesAcceptedBuildAPool(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	pool := strings.Repeat("p", 116)
	res, _ := runReal(t, map[string]any{"devices": []string{disk}, "vg": "dl", "thinpool": pool})
	mustSucceed(t, res, true)
	if lv, ok := lvmState(t).LV("dl", pool); !ok || !lv.Attr.ThinPool() {
		t.Fatalf("no thin pool dl/%s after a run that succeeded", pool)
	}
	if _, err := os.Stat("/dev/mapper/dl-" + pool); err != nil {
		t.Errorf("pool device: %v", err)
	}
}

func TestGuestCheckModeOnAFreshDiskChangesNothing(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	res, calls := runReal(t, map[string]any{"devices": []string{disk}, "_ansible_check_mode": true})
	mustSucceed(t, res, true)
	if m := mutating(calls); len(m) != 0 {
		t.Errorf("check mode ran mutating commands: %v", m)
	}
	if len(must[[]any](t, res, "actions")) != 5 {
		t.Errorf("check mode should list the 5 commands it would run: %v", res["actions"])
	}
	if _, isPV := lvmState(t).PV(disk); isPV {
		t.Errorf("check mode made %s a PV", disk)
	}
	if sigs := sh(t, "wipefs", "--no-act", disk); strings.TrimSpace(sigs) != "" {
		t.Errorf("check mode left signatures on %s: %s", disk, sigs)
	}
}

func TestGuestAnInterruptedRunIsFinishedByTheNext(t *testing.T) {
	data, _ := lvm.ParseSize("95%VG")
	meta, _ := lvm.ParseSize("1%VG")
	for _, tc := range []struct {
		name string
		done func(disk string) [][]string
	}{
		{"pv only", func(d string) [][]string { return [][]string{lvm.PVCreate(d)} }},
		{"vg without lvs", func(d string) [][]string { return [][]string{lvm.PVCreate(d), lvm.VGCreate("docker", d)} }},
		{"data lv only", func(d string) [][]string {
			return [][]string{lvm.PVCreate(d), lvm.VGCreate("docker", d), lvm.LVCreate("docker", "thinpool", data, true, OwnerTag)}
		}},
		{"data and metadata not converted", func(d string) [][]string {
			return [][]string{lvm.PVCreate(d), lvm.VGCreate("docker", d), lvm.LVCreate("docker", "thinpool", data, true, OwnerTag),
				lvm.LVCreate("docker", "thinpoolmeta", meta, true, OwnerTag)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disk := guesttest.Disks(t, 1)[0]
			for _, argv := range tc.done(disk) {
				sh(t, argv...)
			}
			res, calls := runReal(t, map[string]any{"devices": []string{disk}})
			mustSucceed(t, res, true)
			if m := mutating(calls); len(m) == 0 || !strings.HasPrefix(m[len(m)-1], "lvconvert") {
				t.Errorf("want the remaining steps ending in lvconvert, ran %v", m)
			}
			if pool, _ := lvmState(t).LV("docker", "thinpool"); !pool.Attr.ThinPool() || pool.ChunkSizeBytes != 512<<10 {
				t.Errorf("not converged to the pool: %+v", pool)
			}
			res, _ = runReal(t, map[string]any{"devices": []string{disk}})
			mustSucceed(t, res, false)
		})
	}
}

func TestGuestADiskWithAFilesystemIsRefusedAndKeepsItsData(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	sh(t, "mkfs.ext4", "-q", disk)
	mnt := t.TempDir()
	sh(t, "mount", disk, mnt)
	if err := os.WriteFile(filepath.Join(mnt, "precious"), []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sh(t, "umount", mnt)
	before := sh(t, "lvm", "fullreport", "--reportformat", "json")

	res, calls := runReal(t, map[string]any{"devices": []string{disk}})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "ext4 signature") || !strings.Contains(must[string](t, res, "msg"), "force=true") {
		t.Fatalf("want a refusal naming the ext4 signature and the fix: %v", res)
	}
	if m := mutating(calls); len(m) != 0 {
		t.Errorf("a refusal ran mutating commands: %v", m)
	}
	if after := sh(t, "lvm", "fullreport", "--reportformat", "json"); after != before {
		t.Errorf("LVM state changed")
	}
	sh(t, "mount", "-o", "ro", disk, mnt)
	defer sh(t, "umount", mnt)
	if b, err := os.ReadFile(filepath.Join(mnt, "precious")); err != nil || string(b) != "keep me\n" {
		t.Errorf("the file on the refused disk: %q, %v", b, err)
	}
}

func TestGuestAMountedDiskIsRefusedEvenWithForce(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	sh(t, "mkfs.ext4", "-q", disk)
	mnt := t.TempDir()
	sh(t, "mount", disk, mnt)
	defer sh(t, "umount", mnt)
	res, _ := runReal(t, map[string]any{"devices": []string{disk}, "force": true})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "is mounted at "+mnt) {
		t.Fatalf("want a refusal naming the mountpoint: %v", res)
	}
}

func TestGuestAPartitionedDiskIsRefused(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	if _, err := guesttest.Runner().Run(context.Background(), runner.Cmd{Argv: []string{"sfdisk", "-q", disk}, Stdin: []byte("label: gpt\n,100M\n")}); err != nil {
		t.Fatal(err)
	}
	sh(t, "udevadm", "settle")
	res, _ := runReal(t, map[string]any{"devices": []string{disk}})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "has partitions") {
		t.Fatalf("want a refusal naming the partitions: %v", res)
	}
}

func TestGuestAPVOfAnotherVGIsRefused(t *testing.T) {
	disks := guesttest.Disks(t, 1)
	sh(t, "pvcreate", "-q", disks[0])
	sh(t, "vgcreate", "-q", "precious", disks[0])
	res, calls := runReal(t, map[string]any{"devices": disks})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "volume group precious") {
		t.Fatalf("want a refusal naming VG precious: %v", res)
	}
	if m := mutating(calls); len(m) != 0 {
		t.Errorf("a refusal ran mutating commands: %v", m)
	}
	if _, ok := lvmState(t).VG("precious"); !ok {
		t.Error("VG precious is gone")
	}
}

func TestGuestASecondDiskGrowsThePool(t *testing.T) {
	disks := guesttest.Disks(t, 2)
	res, _ := runReal(t, map[string]any{"devices": disks[:1]})
	mustSucceed(t, res, true)
	small, _ := lvmState(t).LV("docker", "thinpool")

	res, _ = runReal(t, map[string]any{"devices": disks})
	mustSucceed(t, res, true)
	rep := lvmState(t)
	vg, _ := rep.VG("docker")
	big, _ := rep.LV("docker", "thinpool")
	if vg.PVCount != 2 || big.SizeBytes/vg.ExtentSizeBytes != 95*vg.ExtentCount/100 {
		t.Errorf("want the pool grown to 95%% of both disks: %d PVs, %d bytes (was %d)", vg.PVCount, big.SizeBytes, small.SizeBytes)
	}
	if big.MetadataSizeBytes <= small.MetadataSizeBytes {
		t.Errorf("metadata not grown in proportion: %d -> %d", small.MetadataSizeBytes, big.MetadataSizeBytes)
	}
	res, _ = runReal(t, map[string]any{"devices": disks})
	mustSucceed(t, res, false)
}

// A pool docker used holds docker's thin devices, which are not LVM
// volumes: lvs shows none. Made here the way docker makes them (a thin
// device created by a pool message, written to, deactivated), the pool is
// refused for removal and stays, data and all.
func TestGuestAbsentRefusesAPoolHoldingDockersThinDevices(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	res, _ := runReal(t, map[string]any{"devices": []string{disk}})
	mustSucceed(t, res, true)
	sh(t, "dmsetup", "message", "/dev/mapper/docker-thinpool", "0", "create_thin 0")
	sh(t, "dmsetup", "create", "directlvm-thin0", "--table", "0 131072 thin /dev/mapper/docker-thinpool 0")
	// Registered after Disks' teardown, so it runs before it: a step that
	// fails below must not leave the device holding the pool for later tests.
	t.Cleanup(func() {
		if _, err := os.Stat("/dev/mapper/directlvm-thin0"); err == nil {
			_, _ = guesttest.Runner().Run(context.Background(), runner.Command("dmsetup", "remove", "--retry", "directlvm-thin0"))
		}
	})
	sh(t, "dd", "if=/dev/urandom", "of=/dev/mapper/directlvm-thin0", "bs=1M", "count=8", "oflag=direct", "status=none")
	// Closing a device written to makes udev probe it; removing it while the
	// probe holds it open fails with EBUSY, so wait for udev and retry.
	sh(t, "udevadm", "settle")
	sh(t, "dmsetup", "remove", "--retry", "directlvm-thin0")

	res, calls := runReal(t, map[string]any{"state": "absent", "remove_vg": true})
	if msg, _ := res["msg"].(string); res["failed"] != true || !strings.Contains(msg, "holds data") || !strings.Contains(msg, "Move docker off the pool first") {
		t.Fatalf("want a refusal saying the pool holds data: %v", res)
	}
	if m := mutating(calls); len(m) != 0 {
		t.Errorf("commands that change the host ran: %v", m)
	}
	if _, ok := lvmState(t).LV("docker", "thinpool"); !ok {
		t.Error("the pool is gone")
	}
}

func TestGuestAbsentRemovesThePoolAndWithRemoveVGTheDisksLabels(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	res, _ := runReal(t, map[string]any{"devices": []string{disk}})
	mustSucceed(t, res, true)

	// A thin volume held open stands for a running docker: refused.
	sh(t, "lvcreate", "-q", "-V", "64M", "-T", "docker/thinpool", "-n", "inuse")
	hold, err := os.Open("/dev/docker/inuse")
	if err != nil {
		t.Fatal(err)
	}
	res, _ = runReal(t, map[string]any{"state": "absent"})
	hold.Close()
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "docker/inuse") {
		t.Fatalf("want a refusal naming the open thin volume: %v", res)
	}

	// Closed, it still holds its data: refused until it is removed.
	res, _ = runReal(t, map[string]any{"state": "absent"})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "holds thin volume(s) docker/inuse") {
		t.Fatalf("want a refusal naming the thin volume: %v", res)
	}
	sh(t, "lvremove", "-y", "docker/inuse")

	res, _ = runReal(t, map[string]any{"state": "absent", "remove_vg": true})
	mustSucceed(t, res, true)
	rep := lvmState(t)
	if _, ok := rep.VG("docker"); ok {
		t.Error("VG docker still there")
	}
	if _, ok := rep.PV(disk); ok {
		t.Errorf("%s still carries a PV label", disk)
	}
	res, _ = runReal(t, map[string]any{"state": "absent", "remove_vg": true})
	mustSucceed(t, res, false)
}

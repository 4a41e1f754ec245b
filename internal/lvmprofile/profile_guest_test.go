package lvmprofile

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-json"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// These tests run in the guest VM (see package guesttest): real LVM,
// dmeventd and systemd, the module run in-process exactly as its binary
// runs it. They use a VG and profile names of their own, and remove both.

// runReal runs the module on this host and returns its result and every
// command it ran.
func runReal(t *testing.T, args map[string]any) (map[string]any, [][]string) {
	t.Helper()
	rec := &runner.Recorder{Next: guesttest.Runner()}
	h := RealHost()
	h.Run = rec
	return ansibletest.Run(t, Module(h), args), rec.Calls()
}

func mustRun(t *testing.T, argv ...string) string {
	t.Helper()
	res, err := guesttest.Runner().Run(context.Background(), runner.Command(argv...))
	if err != nil {
		t.Fatal(err)
	}
	return string(res.Stdout)
}

// guestProfilePath is where LVM in the guest reads profile name from; the
// file is removed when the test ends.
func guestProfilePath(t *testing.T, name string) string {
	t.Helper()
	dir, warning := profileDir(context.Background(), guesttest.Runner())
	if warning != "" {
		t.Fatalf("lvmconfig: %s", warning)
	}
	path := ProfilePath(dir, name)
	_ = os.Remove(path)
	t.Cleanup(func() { _ = os.Remove(path) })
	return path
}

// roomyPool builds VG/thinpool on disk with the runbook's commands, a pool
// that leaves the VG room to grow: 256 MiB of data on a 4 GiB disk. The VG
// is removed when the test ends, before the profile file (cleanups run
// last-in first-out, and LVM wants the file of a profile an LV still
// names): call guestProfilePath first.
func roomyPool(t *testing.T, disk, vg string) {
	t.Helper()
	t.Cleanup(func() {
		if _, err := guesttest.Runner().Run(context.Background(), runner.Command("vgremove", "-ff", "-y", vg)); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	for _, argv := range [][]string{
		lvm.PVCreate(disk),
		lvm.VGCreate(vg, disk),
		lvm.LVCreate(vg, "thinpool", lvm.Size{Bytes: 256 << 20}, true, ""),
		lvm.LVCreate(vg, "thinpoolmeta", lvm.Size{Percent: 1, Of: "VG"}, true, ""),
		lvm.ConvertToThinPool(vg, "thinpool", "thinpoolmeta", 512<<10, false),
	} {
		mustRun(t, argv...)
	}
}

// lvRow is vg/lv as `lvs` reports it, independently of the module's reader.
func lvRow(t *testing.T, vgLV string) map[string]string {
	t.Helper()
	out := mustRun(t, "lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
		"-o", "lv_name,lv_profile,seg_monitor,lv_size,data_percent", vgLV)
	var rep struct {
		Report []struct {
			LV []map[string]string `json:"lv"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Report) != 1 || len(rep.Report[0].LV) != 1 {
		t.Fatalf("lvs %s: %v\n%s", vgLV, err, out)
	}
	return rep.Report[0].LV[0]
}

// readOnly tells whether every command only read: the profile directory
// and the LVM report.
func readOnly(calls [][]string) bool {
	for _, c := range calls {
		if !(c[0] == "lvmconfig" && c[1] == "--typeconfig") && !(c[0] == "lvm" && c[1] == "fullreport") {
			return false
		}
	}
	return true
}

func TestGuestAProfiledPoolIsMonitoredAndGrowsByItself(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	const vg, name = "lvmprofile", "directlvm-guesttest"
	pool := vg + "/thinpool"
	path := guestProfilePath(t, name)
	roomyPool(t, disk, vg)
	// Unmonitored, so that the module has to turn monitoring on.
	mustRun(t, "lvchange", "--monitor", "n", pool)
	if row := lvRow(t, pool); row["seg_monitor"] == "monitored" {
		t.Fatalf("setup: %s is still monitored: %v", pool, row)
	}

	args := map[string]any{"name": name, "lv": pool, "autoextend_threshold": 50, "autoextend_percent": 20, "_ansible_diff": true}
	res, calls := runReal(t, args)
	if res["failed"] == true || res["changed"] != true {
		t.Fatalf("first run: %v", res)
	}
	t.Logf("actions: %v", res["actions"])
	ran := map[string]bool{}
	for _, c := range calls {
		ran[strings.Join(c, " ")] = true
	}
	for _, want := range []string{"lvchange --metadataprofile " + name + " " + pool, "lvchange --monitor y " + pool} {
		if !ran[want] {
			t.Errorf("the first run did not run %q: %v", want, calls)
		}
	}
	row := lvRow(t, pool)
	if row["lv_profile"] != name || row["seg_monitor"] != "monitored" {
		t.Errorf("after the first run lvs says profile %q, seg_monitor %q", row["lv_profile"], row["seg_monitor"])
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, Render(50, 20)) {
		t.Errorf("%s: %q, %v", path, got, err)
	}
	if profile := must[map[string]any](t, res, "profile"); profile["autoextend_possible"] != true || profile["monitored"] != true {
		t.Errorf("profile: %v", profile)
	}

	res, calls = runReal(t, args)
	if res["failed"] == true || res["changed"] != false {
		t.Fatalf("second run must change nothing: %v", res)
	}
	if len(calls) > 2 || !readOnly(calls) {
		t.Errorf("a converged run may only read, with at most 2 LVM commands; ran %v", calls)
	}

	check := map[string]any{"name": name, "lv": pool, "autoextend_threshold": 60, "_ansible_check_mode": true}
	res, calls = runReal(t, check)
	if res["failed"] == true || res["changed"] != true || !readOnly(calls) {
		t.Errorf("check mode with another threshold: %v, ran %v", res, calls)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, Render(50, 20)) {
		t.Errorf("check mode changed %s: %q", path, got)
	}

	// The proof: a thin volume larger than the pool, filled past the 50%
	// threshold; dmeventd must grow the pool by itself. Random data, so
	// that nothing about the content can spare an allocation.
	sizeBefore, _ := strconv.ParseInt(row["lv_size"], 10, 64)
	mustRun(t, "lvcreate", "-y", "-V", "1G", "-T", pool, "-n", "thinvol")
	rep, err := lvm.Read(context.Background(), guesttest.Runner())
	if err != nil {
		t.Fatal(err)
	}
	vol, ok := rep.LV(vg, "thinvol")
	if !ok || vol.DMPath == "" {
		t.Fatalf("no thin volume %s/thinvol", vg)
	}
	mustRun(t, "dd", "if=/dev/urandom", "of="+vol.DMPath, "bs=1M", "count=160", "oflag=direct", "conv=fsync", "status=none")
	t.Logf("after writing 160 MiB: %v", lvRow(t, pool))
	deadline := time.Now().Add(90 * time.Second)
	for {
		row = lvRow(t, pool)
		size, _ := strconv.ParseInt(row["lv_size"], 10, 64)
		if size > sizeBefore {
			t.Logf("the pool grew by itself from %d to %d bytes (data %s%%)", sizeBefore, size, row["data_percent"])
			break
		}
		if time.Now().After(deadline) {
			journal, _ := guesttest.Runner().Run(context.Background(), runner.Command("journalctl", "-u", "dm-event.service", "--no-pager", "-n", "40"))
			t.Fatalf("the pool did not grow within 90 s: %v\ndm-event.service journal:\n%s", row, journal.Stdout)
		}
		time.Sleep(3 * time.Second)
	}

	// state=absent detaches the profile and removes the file.
	res, _ = runReal(t, map[string]any{"name": name, "lv": pool, "state": "absent"})
	if res["failed"] == true || res["changed"] != true {
		t.Fatalf("absent: %v", res)
	}
	if row := lvRow(t, pool); row["lv_profile"] != "" {
		t.Errorf("after state=absent lvs still shows profile %q", row["lv_profile"])
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there: %v", path, err)
	}
}

func TestGuestThreshold30IsRefusedAndNothingIsWritten(t *testing.T) {
	guesttest.Require(t)
	const name = "directlvm-guesttest-30"
	path := guestProfilePath(t, name)
	res, calls := runReal(t, map[string]any{"name": name, "autoextend_threshold": 30})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "below 50") {
		t.Fatalf("want a refusal saying the threshold is below 50: %v", res)
	}
	if len(calls) != 0 {
		t.Errorf("a refused request must run nothing, ran %v", calls)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s was written: %v", path, err)
	}
}

// The validation step must be able to say no: LVM rejects a profile whose
// text is malformed or whose setting has the wrong type.
func TestGuestLVMValidationRejectsABrokenProfile(t *testing.T) {
	guesttest.Require(t)
	r := guesttest.Runner()
	if _, err := r.Run(context.Background(), runner.Command(lvm.ValidateConfig(Render(80, 20))...)); err != nil {
		t.Fatalf("LVM rejects the profile we write: %v", err)
	}
	for _, bad := range []string{
		"activation {\n\tthin_pool_autoextend_threshold=\"eighty\"\n}\n",
		"activation {\n\tthin_pool_autoextend_threshold=80\n", // unclosed section
	} {
		if _, err := r.Run(context.Background(), runner.Command(lvm.ValidateConfig([]byte(bad))...)); err == nil {
			t.Errorf("LVM accepted a broken profile:\n%s", bad)
		}
	}
}

// The profiles LVM ships (thin-performance, thin-generic, ...) are not the
// module's: asked to write or remove one by name, it refuses and the file
// stays as LVM installed it.
func TestGuestAProfileLVMShipsIsNeitherRewrittenNorRemoved(t *testing.T) {
	guesttest.Require(t)
	dir, warning := profileDir(context.Background(), guesttest.Runner())
	if warning != "" {
		t.Fatalf("lvmconfig: %s", warning)
	}
	for _, tc := range []struct {
		name, state, refusal string
	}{
		{"thin-performance", "present", "is not rewritten"},
		{"thin-generic", "absent", "is not removed"},
	} {
		path := ProfilePath(dir, tc.name)
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("lvm2 ships %s: %v", path, err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		res, calls := runReal(t, map[string]any{"name": tc.name, "state": tc.state, "monitor": false})
		if msg, _ := res["msg"].(string); res["failed"] != true || !strings.Contains(msg, path+" holds settings other than") || !strings.Contains(msg, tc.refusal) {
			t.Errorf("%s %s: want a refusal saying %q; got %v", tc.state, path, tc.refusal, res)
		}
		if !readOnly(calls) {
			t.Errorf("%s %s: commands ran that change the host: %v", tc.state, path, calls)
		}
		after, err := os.ReadFile(path)
		if err != nil || string(after) != string(before) {
			t.Errorf("%s %s: the file changed (%v):\n%s", tc.state, path, err, after)
		}
		if info2, err := os.Stat(path); err != nil || info2.Mode() != info.Mode() || !info2.ModTime().Equal(info.ModTime()) {
			t.Errorf("%s %s: mode or mtime changed: %v", tc.state, path, err)
		}
	}
}

// The profile Docker's runbook has operators write by hand is taken over:
// rewritten with this module's header, no refusal.
func TestGuestTheRunbooksHandWrittenProfileIsTakenOver(t *testing.T) {
	guesttest.Require(t)
	path := guestProfilePath(t, "directlvm-runbook")
	runbook := "activation {\n  thin_pool_autoextend_threshold=80\n  thin_pool_autoextend_percent=20\n}\n"
	if err := os.WriteFile(path, []byte(runbook), 0o644); err != nil {
		t.Fatal(err)
	}
	res, _ := runReal(t, map[string]any{"name": "directlvm-runbook", "monitor": false})
	if res["failed"] == true || res["changed"] != true {
		t.Fatalf("want the runbook's profile rewritten (changed); got %v", res)
	}
	if got, _ := os.ReadFile(path); string(got) != string(Render(80, 20)) {
		t.Errorf("want the module's own profile text; got:\n%s", got)
	}
}

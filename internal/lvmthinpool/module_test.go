package lvmthinpool

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/runner"
)

// execute runs the module as Ansible would against the scripted host,
// whose lock must cover every command the run makes.
func execute(t *testing.T, f *runner.Fake, args map[string]any) map[string]any {
	t.Helper()
	return ansibletest.Run(t, Module(Host{Run: f, Resolve: func(p string) (string, error) { return p, nil }, Lock: heldThroughout(t, f)}), args)
}

func lsblkBlank(dev string) string {
	return `{"blockdevices":[{"name":"` + dev + `","type":"disk","size":4294967296,"fstype":null,"mountpoints":[null],"pkname":null}]}`
}

func TestAConvergedHostRunsOneLVMCommandAndChangesNothing(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.Pool)))
	res := execute(t, f, map[string]any{"devices": []string{"/dev/vdb"}, "_ansible_diff": true})
	if res["changed"] != false || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	pool := must[map[string]any](t, res, "thinpool")
	if pool["dm_path"] != "/dev/mapper/docker-thinpool" || pool["monitored"] != true || pool["chunk_size_bytes"] != float64(512<<10) {
		t.Errorf("thinpool: %v", pool)
	}
	if facts := must[map[string]any](t, res, "ansible_facts"); facts["directlvm_thinpool"] == nil {
		t.Errorf("fact directlvm_thinpool missing: %v", facts)
	}
	if len(must[[]any](t, res, "actions")) != 0 || len(f.Calls()) != 1 {
		t.Errorf("a converged host must run exactly one (read-only) command, ran %v", f.Calls())
	}
}

func TestCheckModeOnABlankDiskOnlyReads(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.Empty)))
	f.Expect("lsblk", "--json", "--bytes", "--paths", "--output", "NAME,TYPE,SIZE,FSTYPE,MOUNTPOINTS,PKNAME", "/dev/vdb").Stdout(lsblkBlank("/dev/vdb"))
	f.Expect("wipefs", "--no-act", "--json", "/dev/vdb").Stdout(`{"signatures":[]}`)
	res := execute(t, f, map[string]any{"devices": []string{"/dev/vdb"}, "_ansible_check_mode": true, "_ansible_diff": true})
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("check mode on a blank disk should report a change: %v", res)
	}
	actions := must[[]any](t, res, "actions")
	if len(actions) != 5 || actions[0] != "pvcreate /dev/vdb" || actions[4] != convert {
		t.Errorf("actions: %v", actions)
	}
	diff := must[map[string]any](t, res, "diff")
	if must[map[string]any](t, diff, "before")["present"] != false || must[map[string]any](t, diff, "after")["present"] != true {
		t.Errorf("diff: %v", diff)
	}
	if !strings.Contains(must[string](t, res, "msg"), "check mode: 5 step(s) would run") {
		t.Errorf("msg: %v", res["msg"])
	}
}

func TestCheckModeBeforeLVMIsInstalledPlansThePool(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).NotFound()
	f.Expect("lsblk", "--json", "--bytes", "--paths", "--output", "NAME,TYPE,SIZE,FSTYPE,MOUNTPOINTS,PKNAME", "/dev/vdb").Stdout(lsblkBlank("/dev/vdb"))
	f.Expect("wipefs", "--no-act", "--json", "/dev/vdb").Stdout(`{"signatures":[]}`)
	res := execute(t, f, map[string]any{"devices": []string{"/dev/vdb"}, "_ansible_check_mode": true})
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	if actions := must[[]any](t, res, "actions"); len(actions) != 5 || actions[0] != "pvcreate /dev/vdb" {
		t.Errorf("actions: %v", actions)
	}
	if w := fmt.Sprint(res["warnings"]); !strings.Contains(w, "check mode: LVM's tools are not installed yet") || !strings.Contains(w, "install lvm2") {
		t.Errorf("warnings: %s", w)
	}

	t.Run("a real run says what is missing", func(t *testing.T) {
		f := runner.NewFake(t)
		f.Expect(lvm.ReportArgv()...).NotFound()
		res := execute(t, f, map[string]any{"devices": []string{"/dev/vdb"}})
		if res["failed"] != true || !strings.Contains(fmt.Sprint(res["msg"]), "lvm: command not found") {
			t.Errorf("result: %v", res)
		}
	})
}

// createThePool runs the module with args on a host whose VG exists
// without a pool: it creates the data and metadata LVs, converts them, and
// re-reads the pool.
func createThePool(t *testing.T, args map[string]any) map[string]any {
	t.Helper()
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.VGOnly)))
	f.Expect(strings.Fields(createData)...)
	f.Expect(strings.Fields(createMeta)...)
	f.Expect(strings.Fields(convert)...)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.Pool)))
	return execute(t, f, args)
}

func TestApplyRunsThePlanThenReReadsTheState(t *testing.T) {
	res := createThePool(t, map[string]any{"devices": []string{"/dev/vdb"}})
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	if pool := must[map[string]any](t, res, "thinpool"); pool["present"] != true || pool["size_bytes"] != float64(971*(4<<20)) {
		t.Errorf("reported pool is not the re-read one: %v", pool)
	}
	if !strings.Contains(must[string](t, res, "msg"), "/dev/mapper/docker-thinpool ready") {
		t.Errorf("msg: %v", res["msg"])
	}
}

func TestAFailedStepSaysWhatWasDoneAndHowToGoOn(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.VGOnly)))
	f.Expect(strings.Fields(createData)...)
	f.Expect(strings.Fields(createMeta)...).Stderr("  Volume group \"docker\" has insufficient free space (2 extents): 10 required.").Exit(5)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.DataLVOnly)))
	res := execute(t, f, map[string]any{"devices": []string{"/dev/vdb"}})
	if res["failed"] != true {
		t.Fatalf("want failure: %v", res)
	}
	msg := must[string](t, res, "msg")
	for _, want := range []string{"step 2 of 3", "metadata volume", "insufficient free space", "1 step(s) before it completed", "run again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("msg does not say %q: %s", want, msg)
		}
	}
	if done := must[[]any](t, res, "actions"); len(done) != 1 || done[0] != createData {
		t.Errorf("actions should list only what completed: %v", done)
	}
}

func TestARefusalChangesNothing(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.Empty)))
	f.Expect("lsblk", "--json", "--bytes", "--paths", "--output", "NAME,TYPE,SIZE,FSTYPE,MOUNTPOINTS,PKNAME", "/dev/vdb").Stdout(lsblkBlank("/dev/vdb"))
	f.Expect("wipefs", "--no-act", "--json", "/dev/vdb").Stdout(`{"signatures":[{"device":"vdb","offset":"0x438","type":"ext4","uuid":"x","label":null}]}`)
	res := execute(t, f, map[string]any{"devices": []string{"/dev/vdb"}})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "ext4 signature") {
		t.Fatalf("want a refusal naming the signature: %v", res)
	}
	// The fake fails the test on any command beyond the three reads.
}

func TestARunThatCannotTakeTheHostLockFailsAndRunsNothing(t *testing.T) {
	f := runner.NewFake(t) // no command expected: any would fail the test
	since := time.Date(2026, 11, 25, 19, 4, 5, 0, time.UTC)
	lock := &fakeLock{f: f, err: &hostlock.HeldError{Path: hostlock.DefaultPath, Waited: hostlock.DefaultWait,
		Holder: &hostlock.Owner{Module: "lvm_profile", PID: 1234, Since: since}}}
	host := Host{Run: f, Resolve: func(p string) (string, error) { return p, nil }, Lock: lock.lock}

	res := ansibletest.Run(t, Module(host), map[string]any{"devices": []string{"/dev/vdb"}, "_ansible_check_mode": true})
	if res["failed"] != true || res["changed"] == true {
		t.Fatalf("want a failure that changed nothing: %v", res)
	}
	msg, _ := res["msg"].(string)
	for _, want := range []string{
		"another directlvm.docker task is changing this host",
		"lock file /run/directlvm-docker/lock is held by lvm_profile, pid 1234, since 2026-11-25T19:04:05Z",
		"gave up after waiting 10m0s",
		"Wait for it to finish and run again",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("msg does not say %q: %s", want, msg)
		}
	}
	if len(f.Calls()) != 0 {
		t.Errorf("commands ran without the lock: %v", f.Calls())
	}
	if len(lock.owners) != 1 || lock.owners[0].Module != Name || !lock.owners[0].CheckMode {
		t.Errorf("the lock was asked for by %+v, want one lvm_thinpool run in check mode", lock.owners)
	}
}

func TestBadOptionsFailBeforeWaitingForTheLock(t *testing.T) {
	f := runner.NewFake(t)
	lock := &fakeLock{f: f}
	res := ansibletest.Run(t, Module(Host{Run: f, Lock: lock.lock}), map[string]any{"devices": []string{"/dev/vdb"}, "chunk_size": "100K"})
	if res["failed"] != true || len(lock.owners) != 0 {
		t.Errorf("invalid options must fail at once, without the lock: %v, lock asked %d time(s)", res, len(lock.owners))
	}
}

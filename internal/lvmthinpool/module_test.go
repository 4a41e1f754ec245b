package lvmthinpool

import (
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/runner"
)

// execute runs the module as Ansible would against the scripted host.
func execute(t *testing.T, f *runner.Fake, args map[string]any) map[string]any {
	t.Helper()
	return ansibletest.Run(t, Module(Host{Run: f, Resolve: func(p string) (string, error) { return p, nil }}), args)
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
	pool := res["thinpool"].(map[string]any)
	if pool["dm_path"] != "/dev/mapper/docker-thinpool" || pool["monitored"] != true || pool["chunk_size_bytes"] != float64(512<<10) {
		t.Errorf("thinpool: %v", pool)
	}
	if facts := res["ansible_facts"].(map[string]any); facts["directlvm_thinpool"] == nil {
		t.Errorf("fact directlvm_thinpool missing: %v", facts)
	}
	if len(res["actions"].([]any)) != 0 || len(f.Calls()) != 1 {
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
	actions := res["actions"].([]any)
	if len(actions) != 5 || actions[0] != "pvcreate /dev/vdb" || actions[4] != convert {
		t.Errorf("actions: %v", actions)
	}
	diff := res["diff"].(map[string]any)
	if diff["before"].(map[string]any)["present"] != false || diff["after"].(map[string]any)["present"] != true {
		t.Errorf("diff: %v", diff)
	}
	if !strings.Contains(res["msg"].(string), "check mode: 5 command(s) would run") {
		t.Errorf("msg: %v", res["msg"])
	}
}

func TestApplyRunsThePlanThenReReadsTheState(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.VGOnly)))
	f.Expect(strings.Fields(createData)...)
	f.Expect(strings.Fields(createMeta)...)
	f.Expect(strings.Fields(convert)...)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.Pool)))
	res := execute(t, f, map[string]any{"devices": []string{"/dev/vdb"}})
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	if pool := res["thinpool"].(map[string]any); pool["present"] != true || pool["size_bytes"] != float64(971*(4<<20)) {
		t.Errorf("reported pool is not the re-read one: %v", pool)
	}
	if !strings.Contains(res["msg"].(string), "/dev/mapper/docker-thinpool ready") {
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
	msg := res["msg"].(string)
	for _, want := range []string{"step 2 of 3", "metadata volume", "insufficient free space", "1 step(s) before it completed", "run again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("msg does not say %q: %s", want, msg)
		}
	}
	if done := res["actions"].([]any); len(done) != 1 || done[0] != createData {
		t.Errorf("actions should list only what completed: %v", done)
	}
}

func TestARefusalChangesNothing(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.Empty)))
	f.Expect("lsblk", "--json", "--bytes", "--paths", "--output", "NAME,TYPE,SIZE,FSTYPE,MOUNTPOINTS,PKNAME", "/dev/vdb").Stdout(lsblkBlank("/dev/vdb"))
	f.Expect("wipefs", "--no-act", "--json", "/dev/vdb").Stdout(`{"signatures":[{"device":"vdb","offset":"0x438","type":"ext4","uuid":"x","label":null}]}`)
	res := execute(t, f, map[string]any{"devices": []string{"/dev/vdb"}})
	if res["failed"] != true || !strings.Contains(res["msg"].(string), "ext4 signature") {
		t.Fatalf("want a refusal naming the signature: %v", res)
	}
	// The fake fails the test on any command beyond the three reads.
}

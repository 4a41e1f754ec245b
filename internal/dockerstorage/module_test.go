package dockerstorage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/journal"
	"github.com/directlvm/docker/internal/module/moduletest"
	"github.com/directlvm/docker/internal/runner"
)

const converged = `{
  "log-driver": "journald",
  "labels": ["site=café"],
  "storage-driver": "devicemapper",
  "storage-opts": [
    "dm.thinpooldev=/dev/mapper/docker-thinpool",
    "dm.use_deferred_removal=true",
    "dm.use_deferred_deletion=true"
  ]
}
`

func TestTheFirstSwitchBacksUpMovesRestartsAndVerifies(t *testing.T) {
	d := newDocker(t)
	oldConfig := d.read(d.configPath)
	oldRoot := tree(t, d.dataRoot)
	f := runner.NewFake(t)
	expectPool(f)

	res := execute(t, d.host(f), d.args(nil))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	if got := d.read(d.configPath); got != converged {
		t.Errorf("daemon.json:\n%s\nwant:\n%s", got, converged)
	}
	if fi, _ := os.Stat(d.configPath); fi.Mode().Perm() != 0o644 {
		t.Errorf("daemon.json mode %v, want 0644", fi.Mode().Perm())
	}
	configBackup := d.configPath + "." + ts + ".bak"
	if got := d.read(configBackup); got != oldConfig {
		t.Errorf("backup %s holds %q, want the previous file", configBackup, got)
	}
	rootBackup := d.dataRoot + ".directlvm-" + ts
	if got := tree(t, rootBackup); !maps.Equal(got, oldRoot) {
		t.Errorf("the moved data root is not the old one intact:\n%v\nwant\n%v", got, oldRoot)
	}
	assertCalls(t, d, "stop docker.socket", "stop docker.service", "reset-failed docker.service docker.socket", "start docker.service", "start docker.socket")
	if !d.running || d.driver != Devicemapper {
		t.Errorf("docker runs on %s (running %v)", d.driver, d.running)
	}

	s := storageOf(t, res)
	status, _ := s["driver_status"].(map[string]any)
	if s["driver"] != Devicemapper || status["pool_name"] != "docker-thinpool" || status["deferred_deletion_enabled"] != "true" || status["data_space_total"] != "4.072GB" {
		t.Errorf("docker_storage: %v", s)
	}
	if s["config_backup"] != configBackup || s["data_root_backup"] != rootBackup || s["restarted"] != true || s["rolled_back"] != false || s["docker_version"] != "20.10.24+dfsg1" {
		t.Errorf("docker_storage: %v", s)
	}
	if facts, _ := res["ansible_facts"].(map[string]any); facts["directlvm_docker_storage"] == nil {
		t.Errorf("fact directlvm_docker_storage missing: %v", res["ansible_facts"])
	}
	assertSays(t, must[string](t, res, "msg"), "docker switched to devicemapper with thin pool docker-thinpool", "verified", "previous data root is at "+rootBackup, configBackup)
	actions := asStrings(must[[]any](t, res, "actions"))
	// daemon.json is written only once the old data root is aside.
	if len(actions) != 7 || !strings.HasPrefix(actions[1], "move the data root "+d.dataRoot+" aside to "+rootBackup) || !strings.HasPrefix(actions[3], "write ") {
		t.Errorf("actions: %q", actions)
	}
	if w := asStrings(res["warnings"]); len(w) != 1 || !strings.Contains(w[0], "deprecated since Docker 18.09") {
		t.Errorf("warnings: %q", w)
	}

	t.Run("the rerun changes nothing and restarts nothing", func(t *testing.T) {
		d.calls = nil
		f := runner.NewFake(t)
		expectPool(f)
		res := execute(t, d.host(f), d.args(nil))
		if res["changed"] != false || res["failed"] == true {
			t.Fatalf("result: %v", res)
		}
		assertCalls(t, d)
		if got := d.read(d.configPath); got != converged {
			t.Errorf("daemon.json changed: %s", got)
		}
		backups, _ := filepath.Glob(d.configPath + ".*.bak")
		if len(backups) != 1 {
			t.Errorf("a rerun made another backup: %q", backups)
		}
		assertSays(t, must[string](t, res, "msg"), "docker runs on devicemapper with thin pool docker-thinpool as requested")
	})
}

func TestAConvergedHostIsNotRestarted(t *testing.T) {
	d := newDocker(t)
	d.write(d.configPath, converged)
	d.running = false
	if err := d.start(); err != nil {
		t.Fatal(err)
	}
	d.calls = nil
	f := runner.NewFake(t)
	expectPool(f)
	res := execute(t, d.host(f), d.args(map[string]any{"_ansible_diff": true}))
	if res["changed"] != false || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	assertCalls(t, d)
	if len(must[[]any](t, res, "actions")) != 0 {
		t.Errorf("actions: %v", res["actions"])
	}
	if res["diff"] != nil {
		t.Errorf("no diff without a change: %v", res["diff"])
	}
}

func TestAFailedVerificationRollsEverythingBack(t *testing.T) {
	d := newDocker(t)
	d.wrongPool = "docker-8:1-1234-pool" // dockerd fell back to its own loop-file pool
	oldConfig := d.read(d.configPath)
	oldRoot := tree(t, d.dataRoot)
	f := runner.NewFake(t)
	expectPool(f)
	f.Expect("journalctl", "-u", "docker.service", "--no-pager", "-o", "cat", "--since", since).
		Stdout("Starting Docker Application Container Engine...\nlevel=warning msg=\"[graphdriver] WARNING: the devicemapper storage-driver is deprecated\"\nStarted Docker Application Container Engine.\n")
	expectPoolGivenBack(f)

	res := execute(t, d.host(f), d.args(nil))
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	if got := d.read(d.configPath); got != oldConfig {
		t.Errorf("daemon.json not restored:\n%s", got)
	}
	if got := tree(t, d.dataRoot); !maps.Equal(got, oldRoot) {
		t.Errorf("data root not restored:\n%v\nwant\n%v", got, oldRoot)
	}
	failedRoot := d.dataRoot + ".directlvm-failed-" + ts
	if _, err := os.Stat(filepath.Join(failedRoot, "devicemapper")); err != nil {
		t.Errorf("the failed attempt's data root should be kept aside: %v", err)
	}
	if !d.running || d.driver != "overlay2" {
		t.Errorf("docker should run again on overlay2, runs on %s (running %v)", d.driver, d.running)
	}
	// The data root is back in place: nothing names the backup it had been moved to.
	if b := storageOf(t, res)["data_root_backup"]; b != "" {
		t.Errorf("data_root_backup is %v after the data root was moved back", b)
	}
	if msg := must[string](t, res, "msg"); strings.Contains(msg, d.dataRoot+".directlvm-"+ts) {
		t.Errorf("the message names the backup the data root was moved back from: %s", msg)
	}
	assertCalls(t, d, "stop docker.socket", "stop docker.service", "reset-failed docker.service docker.socket", "start docker.service", "start docker.socket",
		"stop docker.socket", "stop docker.service", "reset-failed docker.service docker.socket", "start docker.socket", "start docker.service")
	msg := must[string](t, res, "msg")
	assertSays(t, msg, "rolled back", `Pool Name is "docker-8:1-1234-pool", not "docker-thinpool"`,
		"moved the data root back to "+d.dataRoot, "restored "+d.configPath,
		"kept at "+failedRoot, "runs again on overlay2", "Started Docker Application Container Engine.")
	s := storageOf(t, res)
	if s["rolled_back"] != true || s["driver"] != "overlay2" {
		t.Errorf("docker_storage: %v", s)
	}
}

func TestDockerRefusingThePoolIsRolledBackQuotingDocker(t *testing.T) {
	d := newDocker(t)
	d.refuseStart = "used data blocks"
	oldConfig := d.read(d.configPath)
	f := runner.NewFake(t)
	f.Expect("dmsetup", "status", "docker-thinpool").Stdout("0 8331264 thin-pool 1 150/10240 8/16272 - rw no_discard_passdown queue_if_no_space - 1024\n")
	f.Expect("journalctl", "-u", "docker.service", "--no-pager", "-o", "cat", "--since", since).
		Stdout("Starting Docker Application Container Engine...\nfailed to start daemon: error initializing graphdriver: devmapper: Unable to take ownership of thin-pool (docker-thinpool) that already has used data blocks\ndocker.service: Main process exited, code=exited, status=1/FAILURE\n")

	res := execute(t, d.host(f), d.args(nil))
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	msg := must[string](t, res, "msg")
	assertSays(t, msg, "rolled back: start docker.service failed", `finished with result "failed"`,
		"docker's last log lines (journalctl -u docker.service):\n  failed to start daemon: error initializing graphdriver",
		"Unable to take ownership of thin-pool (docker-thinpool) that already has used data blocks",
		"Fix: the thin pool is not empty")
	assertSays(t, strings.Join(asStrings(res["warnings"]), "\n"), "thin pool docker-thinpool is not empty (8 used data blocks, transaction ID 1)")
	if got := d.read(d.configPath); got != oldConfig {
		t.Errorf("daemon.json not restored:\n%s", got)
	}
	if _, err := os.Stat(d.dataRoot + ".directlvm-" + ts); !os.IsNotExist(err) {
		t.Errorf("the data root should be back in place: %v", err)
	}
	if !d.running || d.driver != "overlay2" {
		t.Errorf("docker should run again on overlay2")
	}
}

func TestWithoutRollbackAFailureLeavesTheHostAndSaysWhereThingsAre(t *testing.T) {
	d := newDocker(t)
	d.refuseStart = "x"
	f := runner.NewFake(t)
	expectPool(f)
	f.Expect("journalctl", "-u", "docker.service", "--no-pager", "-o", "cat", "--since", since).Stdout("devmapper: Device docker-thinpool is not a thin pool\n")
	res := execute(t, d.host(f), d.args(map[string]any{"rollback": false}))
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), "rollback=false: the host is left as it is", "previous data root is at "+d.dataRoot+".directlvm-"+ts, "Fix: thinpool_device does not name")
	if d.read(d.configPath) != converged || d.running {
		t.Errorf("the host should be left as the failure left it")
	}
}

func TestAStorageFlagInADropInIsRefusedAndNothingChanges(t *testing.T) {
	d := newDocker(t)
	d.dropIns = filepath.Join(filepath.Dir(d.fragment), "../../../etc/systemd/system/docker.service.d/x.conf")
	d.write(d.dropIns, "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// --storage-opt dm.basesize=20G\n")
	d.execStart = [][]string{{"/usr/sbin/dockerd", "-H", "fd://", "--storage-opt", "dm.basesize=20G"}}
	oldConfig := d.read(d.configPath)
	oldRoot := tree(t, d.dataRoot)
	f := runner.NewFake(t)
	expectPool(f)
	res := execute(t, d.host(f), d.args(nil))
	if res["failed"] != true {
		t.Fatalf("want a refusal: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), `"--storage-opt dm.basesize=20G" in `+d.dropIns, "moby#30726", "daemon-reload", "nothing was changed")
	assertCalls(t, d)
	if d.read(d.configPath) != oldConfig || !maps.Equal(tree(t, d.dataRoot), oldRoot) || !d.running {
		t.Error("a refusal must leave the host as it was")
	}
}

func TestAStorageFlagFromAnEnvironmentFileIsRefused(t *testing.T) {
	d := newDocker(t)
	sysconfig := filepath.Join(t.TempDir(), "docker-storage")
	d.write(sysconfig, "DOCKER_STORAGE_OPTIONS=\"--storage-driver devicemapper --storage-opt dm.fs=xfs\"\n")
	d.envFiles = []string{filepath.Join(t.TempDir(), "missing-optional-file"), sysconfig}
	d.execStart = [][]string{{"/usr/bin/dockerd-current", "$DOCKER_STORAGE_OPTIONS"}}
	f := runner.NewFake(t)
	expectPool(f)
	res := execute(t, d.host(f), d.args(nil))
	if res["failed"] != true {
		t.Fatalf("want a refusal: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), `"--storage-driver devicemapper" in `+sysconfig+" (through $DOCKER_STORAGE_OPTIONS)", `"--storage-opt dm.fs=xfs"`)
	assertCalls(t, d)
}

func TestCheckModeReturnsThePlanAndChangesNothing(t *testing.T) {
	d := newDocker(t)
	oldConfig := d.read(d.configPath)
	oldRoot := tree(t, d.dataRoot)
	f := runner.NewFake(t)
	expectPool(f)
	res := execute(t, d.host(f), d.args(map[string]any{"_ansible_check_mode": true, "_ansible_diff": true}))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	assertCalls(t, d)
	if d.read(d.configPath) != oldConfig || !maps.Equal(tree(t, d.dataRoot), oldRoot) {
		t.Error("check mode changed the host")
	}
	if backups, _ := filepath.Glob(d.configPath + ".*"); len(backups) != 0 {
		t.Errorf("check mode made files: %q", backups)
	}
	diff := must[map[string]any](t, res, "diff")
	if diff["before"] != oldConfig || diff["after"] != converged || diff["before_header"] != d.configPath || diff["after_header"] != d.configPath {
		t.Errorf("diff: %v", diff)
	}
	actions := asStrings(res["actions"])
	want := []string{"stop docker.service and docker.socket", "move the data root", "copy ", "write ", "start docker.service", "wait up to 3m0s", "verify GET /info"}
	if len(actions) != len(want) {
		t.Fatalf("actions: %q", actions)
	}
	for i, w := range want {
		if !strings.HasPrefix(actions[i], w) {
			t.Errorf("action %d is %q, want %q...", i, actions[i], w)
		}
	}
	assertSays(t, must[string](t, res, "msg"), "check mode: 7 step(s) would run")
	// Like the other modules, check mode reports the storage the plan leads to.
	st, ok := res["docker_storage"].(map[string]any)
	if !ok {
		t.Fatalf("docker_storage: %v", res["docker_storage"])
	}
	status, _ := st["driver_status"].(map[string]any)
	if st["driver"] != "devicemapper" || st["restarted"] != true || status["pool_name"] != "docker-thinpool" ||
		!strings.HasPrefix(fmt.Sprint(st["data_root_backup"]), d.dataRoot+".directlvm-") {
		t.Errorf("check mode must report the storage it would lead to: %v", st)
	}
}

func TestDocker25IsRefusedBeforeAnythingElse(t *testing.T) {
	d := newDocker(t)
	d.version = "5:25.0.3-1~debian.12~bookworm"
	f := runner.NewFake(t) // not even dmsetup runs
	res := execute(t, d.host(f), d.args(nil))
	if res["failed"] != true {
		t.Fatalf("want a refusal: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), "25.0.3", "removed in Docker 25.0", "overlay2", "Docker 24", "from the Engine API", "nothing was changed")
	assertCalls(t, d)
}

func TestAStoppedDockerIsAskedForItsVersionAndStarted(t *testing.T) {
	d := newDocker(t)
	d.running, d.socketActive = false, false
	f := runner.NewFake(t)
	f.Expect("dockerd", "--version").Stdout("Docker version 24.0.7, build 311b9ff\n")
	expectPool(f)
	res := execute(t, d.host(f), d.args(nil))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	// The data root holds overlay2's images: moved aside all the same.
	assertCalls(t, d, "stop docker.socket", "stop docker.service", "reset-failed docker.service docker.socket", "start docker.service")
	assertSays(t, strings.Join(asStrings(res["warnings"]), "\n"), "no longer picks devicemapper by itself")
	if storageOf(t, res)["data_root_backup"] != d.dataRoot+".directlvm-"+ts {
		t.Errorf("docker_storage: %v", res["docker_storage"])
	}
}

func TestThePoolMustBeAThinPool(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script func(f *runner.Fake)
		want   []string
	}{
		{"missing", func(f *runner.Fake) {
			f.Expect("dmsetup", "status", "docker-thinpool").Stderr("Device does not exist.\nCommand failed.\n").Exit(1)
		}, []string{"thinpool_device /dev/mapper/docker-thinpool does not exist", "lvm_thinpool"}},
		{"a plain LV", func(f *runner.Fake) {
			f.Expect("dmsetup", "status", "docker-thinpool").Stdout("0 8388608 linear \n")
			f.Expect("dmsetup", "status", "docker-thinpool-tpool").Stderr("Device does not exist.\nCommand failed.\n").Exit(1)
		}, []string{"is a linear device, not a thin pool"}},
		{"a pool holding LVM thin volumes", func(f *runner.Fake) {
			f.Expect("dmsetup", "status", "docker-thinpool").Stdout("0 8388608 linear \n")
			f.Expect("dmsetup", "status", "docker-thinpool-tpool").Stdout(poolStatus)
		}, []string{"docker-thinpool-tpool", "holds LVM thin volumes", "not docker's to take"}},
		{"a failed pool", func(f *runner.Fake) {
			f.Expect("dmsetup", "status", "docker-thinpool").Stdout("0 8388608 thin-pool Fail\n")
		}, []string{"thin pool docker-thinpool has failed", "dmsetup status says Fail", "lvconvert --repair"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDocker(t)
			f := runner.NewFake(t)
			tc.script(f)
			res := execute(t, d.host(f), d.args(nil))
			if res["failed"] != true {
				t.Fatalf("want a refusal: %v", res)
			}
			assertSays(t, must[string](t, res, "msg"), append(tc.want, "nothing was changed")...)
			assertCalls(t, d)
		})
	}
}

func TestAMissingDockerOrSystemdIsSaidPlainly(t *testing.T) {
	d := newDocker(t)

	h := d.host(runner.NewFake(t))
	h.Connect = func(context.Context) (Systemd, error) {
		return nil, errors.New("cannot reach systemd over D-Bus (/run/dbus/system_bus_socket): no such file or directory; this module needs a host running systemd")
	}
	res := execute(t, h, d.args(nil))
	assertSays(t, must[string](t, res, "msg"), "cannot reach systemd over D-Bus")

	h = d.host(runner.NewFake(t))
	h.Connect = func(context.Context) (Systemd, error) { return noDockerUnit{d}, nil }
	res = execute(t, h, d.args(nil))
	assertSays(t, must[string](t, res, "msg"), "docker is not installed: systemd knows no docker.service")

	d.running = false
	h = d.host(nil)
	h.Run = noDockerd{}
	res = execute(t, h, d.args(nil))
	assertSays(t, must[string](t, res, "msg"), "docker is not installed: dockerd: command not found")
	assertCalls(t, d)
}

func TestParseConfigReportsEveryProblemAtOnce(t *testing.T) {
	req, err := newRequest(map[string]any{
		"thinpool_device":    "docker-thinpool",
		"deferred_removal":   false,
		"min_free_space":     "10",
		"basesize":           "lots",
		"extra_storage_opts": []string{"dm.thinpooldev=/dev/x", "dm.directlvm_device=/dev/vdb", "noequals", "dm.blkdiscard=false", "dm.blkdiscard=true"},
		"config_path":        "daemon.json",
		"restart_timeout":    0,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = moduletest.Parse(req.Params, ParseConfig)
	if err == nil {
		t.Fatal("want errors")
	}
	assertSays(t, err.Error(),
		`thinpool_device: "docker-thinpool" is neither /dev/mapper/NAME nor /dev/VG/LV`,
		"deferred_deletion=true needs deferred_removal=true",
		`min_free_space="10" is not valid`,
		`basesize="lots" is not a size`,
		"which option thinpool_device sets",
		"Docker's own direct-lvm setup",
		`"noequals" is not KEY=VALUE`,
		"dm.blkdiscard is given twice",
		`config_path="daemon.json" is not an absolute path`,
		"restart_timeout=0")
}

func TestParseConfigNormalisesThePoolAndBuildsTheOptions(t *testing.T) {
	req, err := newRequest(map[string]any{"thinpool_device": "/dev/docker-vg/thin-pool", "basesize": "20G", "min_free_space": "5%", "fs": "ext4",
		"extra_storage_opts": []string{"dm.blkdiscard=false"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := moduletest.Parse(req.Params, ParseConfig)
	if err != nil {
		t.Fatal(err)
	}
	if c.PoolDMName != "docker--vg-thin--pool" || c.PoolDevice != "/dev/mapper/docker--vg-thin--pool" {
		t.Errorf("pool: %q %q", c.PoolDMName, c.PoolDevice)
	}
	want := "dm.thinpooldev=/dev/mapper/docker--vg-thin--pool dm.use_deferred_removal=true dm.use_deferred_deletion=true dm.basesize=20G dm.min_free_space=5% dm.fs=ext4 dm.blkdiscard=false"
	if got := strings.Join(c.Storage().Opts, " "); got != want {
		t.Errorf("opts:\n%s\nwant\n%s", got, want)
	}

	req, _ = newRequest(map[string]any{"driver": "overlay2", "thinpool_device": thinpool, "deferred_removal": true, "extra_storage_opts": []string{"dm.fs=xfs"}})
	_, err = moduletest.Parse(req.Params, ParseConfig)
	assertSays(t, err.Error(), "thinpool_device is an option of driver=devicemapper", "deferred_removal is an option", `"dm.fs=xfs" is a devicemapper option`)
}

func TestSpecIsValid(t *testing.T) {
	if err := Spec().Validate(); err != nil {
		t.Fatal(err)
	}
}

// A pool that was empty before the run goes back empty when the run fails
// after dockerd took it: its base device deleted, the transaction ID 0
// again, so that the next run can switch onto it.
func TestARollbackGivesBackThePoolTheFailedDockerdTook(t *testing.T) {
	d := newDocker(t)
	d.wrongPool = "docker-8:1-1234-pool" // verify fails
	d.takesPool = true
	f := runner.NewFake(t)
	expectPool(f)
	f.Expect("journalctl", "-u", "docker.service", "--no-pager", "-o", "cat", "--since", since).Stdout("Started Docker Application Container Engine.\n")
	f.Expect("dmsetup", "info", "-c", "--noheadings", "-o", "major,minor", "docker-thinpool").Stdout("254:3\n")
	f.Expect("dmsetup", "table", "--target", "thin").Stdout("docker-254:1-99-base: 0 20971520 thin 254:3 1\nother: 0 8192 thin 254:7 1\n")
	f.Expect("dmsetup", "remove", "--retry", "docker-254:1-99-base")
	f.Expect("dmsetup", "message", "docker-thinpool", "0", "delete 1")
	f.Expect("dmsetup", "status", "docker-thinpool").Stdout("0 8331264 thin-pool 1 141/10240 0/16272 - rw no_discard_passdown queue_if_no_space - 1024\n")
	f.Expect("dmsetup", "message", "docker-thinpool", "0", "set_transaction_id 1 0")
	expectPool(f)

	res := execute(t, d.host(f), d.args(nil))
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), "rolled back", "gave thin pool docker-thinpool back empty (deleted the 1 thin device(s)", "runs again on overlay2")
}

func TestWithoutADaemonJSONOneIsCreatedAndARollbackRemovesIt(t *testing.T) {
	d := newDocker(t)
	if err := os.Remove(d.configPath); err != nil {
		t.Fatal(err)
	}
	d.refuseStart = "x"
	f := runner.NewFake(t)
	expectPool(f)
	res := execute(t, d.host(f), d.args(map[string]any{"_ansible_check_mode": true, "_ansible_diff": true}))
	diff, _ := res["diff"].(map[string]any)
	if diff["before"] != "" || !strings.HasPrefix(must[string](t, diff, "after"), "{\n  \"storage-driver\": \"devicemapper\",") {
		t.Errorf("check mode diff of a new file: %v", diff)
	}
	if a := asStrings(res["actions"]); len(a) < 3 || !strings.HasPrefix(a[2], "write ") {
		t.Errorf("no backup of a file that does not exist, and the write after the data root's move: %q", res["actions"])
	}
	expectPool(f)
	f.Expect("journalctl", "-u", "docker.service", "--no-pager", "-o", "cat", "--since", since).Stdout("failed to start daemon\n")
	expectPoolGivenBack(f)
	res = execute(t, d.host(f), d.args(nil))
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	if _, err := os.Stat(d.configPath); !os.IsNotExist(err) {
		t.Errorf("the rollback should remove the daemon.json it created: %v", err)
	}
	assertSays(t, must[string](t, res, "msg"), "rolled back", "restored "+d.configPath)
}

func TestAMalformedDaemonJSONIsRefusedUntouched(t *testing.T) {
	d := newDocker(t)
	d.write(d.configPath, "{\n  \"debug\": true,\n}\n")
	f := runner.NewFake(t)
	res := execute(t, d.host(f), d.args(nil))
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), d.configPath+" is not valid JSON: line 3, column 1", "left untouched")
	if d.read(d.configPath) != "{\n  \"debug\": true,\n}\n" {
		t.Error("the file was touched")
	}
	assertCalls(t, d)
}

func TestWithoutRestartOnlyTheFileChanges(t *testing.T) {
	d := newDocker(t)
	f := runner.NewFake(t)
	expectPool(f)
	res := execute(t, d.host(f), d.args(map[string]any{"restart": false}))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	assertCalls(t, d)
	if d.read(d.configPath) != converged || d.driver != "overlay2" {
		t.Error("want the file written and docker left alone")
	}
	assertSays(t, strings.Join(asStrings(res["warnings"]), "\n"), "restart=false: docker keeps its current storage", "was not moved aside")
	if s := storageOf(t, res); s["restarted"] != false || s["driver"] != "overlay2" || s["data_root_backup"] != "" {
		t.Errorf("docker_storage: %v", s)
	}
}

func TestNamingTheDriverInUseNeedsNoRestart(t *testing.T) {
	d := newDocker(t)
	f := runner.NewFake(t)
	res := execute(t, d.host(f), map[string]any{"driver": "overlay2", "config_path": d.configPath})
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	assertCalls(t, d)
	assertSays(t, d.read(d.configPath), `"storage-driver": "overlay2"`)
	assertSays(t, must[string](t, res, "msg"), "names overlay2 explicitly; docker already runs on it")
}

func TestTheQuotedLogIsDockersErrorNotItsStartupChatter(t *testing.T) {
	log := strings.Join([]string{
		`time="2026-11-25T16:04:56Z" level=info msg="Starting up"`,
		`time="2026-11-25T16:04:56Z" level=info msg="[core] parsed scheme: \"unix\"" module=grpc`,
		`time="2026-11-25T16:04:58Z" level=error msg="[graphdriver] prior storage driver devicemapper failed: devmapper: Unable to take ownership of thin-pool (x-thinpool-tpool) that already has used data blocks"`,
		`failed to start daemon: error initializing graphdriver: devmapper: Unable to take ownership of thin-pool (x-thinpool-tpool) that already has used data blocks`,
		`docker.service: Main process exited, code=exited, status=1/FAILURE`,
	}, "\n")
	lines, hasError := quotedLines(journal.Lines([]byte(log)))
	if !hasError || len(lines) != 2 || !strings.Contains(lines[0], "level=error") || !strings.HasPrefix(lines[1], "failed to start daemon") {
		t.Errorf("quoted %q (error found: %v)", lines, hasError)
	}
	lines, hasError = quotedLines(journal.Lines([]byte("Starting Docker Application Container Engine...\nStarted Docker Application Container Engine.")))
	if hasError || len(lines) != 2 {
		t.Errorf("without errors the last lines are quoted: %q", lines)
	}
}

func TestCheckModeBeforeThePoolExistsShowsTheSwitchInsteadOfRefusing(t *testing.T) {
	d := newDocker(t)
	oldConfig := d.read(d.configPath)
	f := runner.NewFake(t)
	f.Expect("dmsetup", "status", "docker-thinpool").Stderr("Device does not exist.\nCommand failed.\n").Exit(1)
	res := execute(t, d.host(f), d.args(map[string]any{"_ansible_check_mode": true}))
	if res["failed"] == true || res["changed"] != true {
		t.Fatalf("check mode on a host whose pool an earlier task would create: %v", res)
	}
	assertSays(t, strings.Join(asStrings(res["warnings"]), "\n"), "does not exist yet")
	assertSays(t, strings.Join(asStrings(res["actions"]), "\n"), "write "+d.configPath)
	if got := d.read(d.configPath); got != oldConfig {
		t.Errorf("check mode wrote daemon.json:\n%s", got)
	}
	assertCalls(t, d)
}

func TestCheckModeBeforeLVMIsInstalledShowsTheSwitch(t *testing.T) {
	d := newDocker(t)
	f := runner.NewFake(t)
	f.Expect("dmsetup", "status", "docker-thinpool").NotFound() // lvm2 brings dmsetup
	res := execute(t, d.host(f), d.args(map[string]any{"_ansible_check_mode": true}))
	if res["failed"] == true || res["changed"] != true {
		t.Fatalf("check mode on a host without dmsetup yet: %v", res)
	}
	assertSays(t, strings.Join(asStrings(res["warnings"]), "\n"), "does not exist yet")

	t.Run("a real run says what is missing", func(t *testing.T) {
		f := runner.NewFake(t)
		f.Expect("dmsetup", "status", "docker-thinpool").NotFound()
		res := execute(t, d.host(f), d.args(nil))
		assertSays(t, fmt.Sprint(res["msg"]), "dmsetup: command not found")
	})
}

func TestARunThatCannotTakeTheHostLockFailsBeforeTouchingAnything(t *testing.T) {
	d := newDocker(t)
	d.calls = nil
	config, root := d.read(d.configPath), tree(t, d.dataRoot)
	f := runner.NewFake(t) // no command expected: any would fail the test
	h := d.host(f)
	connected := false
	h.Connect = func(context.Context) (Systemd, error) { connected = true; return d, nil }
	var asked []hostlock.Owner
	h.Lock = func(_ context.Context, o hostlock.Owner) (func(), error) {
		asked = append(asked, o)
		return nil, &hostlock.HeldError{Path: hostlock.DefaultPath, Waited: hostlock.DefaultWait,
			Holder: &hostlock.Owner{Module: "lvm_profile", PID: 1234, Since: runStart}}
	}

	res := execute(t, h, d.args(nil))
	if res["failed"] != true || res["changed"] == true {
		t.Fatalf("want a failure that changed nothing: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), "lock file /run/directlvm-docker/lock is held by lvm_profile, pid 1234, since 2024-05-06T10:11:12Z",
		"gave up after waiting 10m0s", "Wait for it to finish and run again")
	if len(asked) != 1 || asked[0].Module != Name || asked[0].CheckMode {
		t.Errorf("the lock was asked for by %+v, want one docker_storage run", asked)
	}
	if connected || len(f.Calls()) != 0 {
		t.Errorf("ran without the lock: systemd connected %v, commands %v", connected, f.Calls())
	}
	assertCalls(t, d)
	if d.read(d.configPath) != config || !maps.Equal(tree(t, d.dataRoot), root) {
		t.Error("daemon.json or the data root changed")
	}
}

// A run cut after docker was stopped, before the data root moved: the next
// run finds daemon.json already asking for the pool and docker stopped. It
// finishes the switch (moves the old data root aside, starts docker,
// verifies) instead of reporting the host converged with docker down.
func TestARunCutAfterDockerStoppedIsFinishedByTheNext(t *testing.T) {
	d := newDocker(t)
	d.write(d.configPath, converged)
	d.running, d.socketActive = false, false
	f := runner.NewFake(t)
	f.Expect("dockerd", "--version").Stdout("Docker version 20.10.24+dfsg1, build 297e128\n")
	expectPool(f)
	res := execute(t, d.host(f), d.args(nil))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("want the switch finished (changed); got %v", res)
	}
	assertCalls(t, d, "stop docker.socket", "stop docker.service", "reset-failed docker.service docker.socket", "start docker.service")
	if storageOf(t, res)["data_root_backup"] != d.dataRoot+".directlvm-"+ts {
		t.Errorf("the old data root was not moved aside: %v", res["docker_storage"])
	}
	if storageOf(t, res)["running"] != true {
		t.Errorf("docker is not running after the run: %v", res["docker_storage"])
	}
}

// With restart=false a stopped docker is left stopped: the operator asked
// for the switch to wait for their own restart.
func TestWithoutRestartAStoppedDockerIsLeftStopped(t *testing.T) {
	d := newDocker(t)
	d.write(d.configPath, converged)
	d.running, d.socketActive = false, false
	f := runner.NewFake(t)
	f.Expect("dockerd", "--version").Stdout("Docker version 20.10.24+dfsg1, build 297e128\n")
	expectPool(f)
	res := execute(t, d.host(f), d.args(map[string]any{"restart": false}))
	if res["changed"] != false || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	assertCalls(t, d)
	assertSays(t, strings.Join(asStrings(res["warnings"]), "\n"), "takes effect when it starts")
}

// A volume mounted on its own filesystem below the data root would move
// with it: refused before docker is touched.
func TestAMountBelowTheDataRootIsRefusedBeforeAnythingChanges(t *testing.T) {
	d := newDocker(t)
	d.mountTable = mountTableOf(t, d.dataRoot+"/volumes/db/_data")
	f := runner.NewFake(t)
	expectPool(f)
	res := execute(t, d.host(f), d.args(nil))
	assertSays(t, must[string](t, res, "msg"), "filesystems docker did not mount are mounted below it", d.dataRoot+"/volumes/db/_data (tmpfs)", "unmount them")
	if res["failed"] != true || res["changed"] != false {
		t.Errorf("result: %v", res)
	}
	assertCalls(t, d)
}

// live-restore keeps containers running through a docker stop, on the old
// storage and holding the data root: refused while any runs.
func TestLiveRestoreWithRunningContainersIsRefusedBeforeAnythingChanges(t *testing.T) {
	d := newDocker(t)
	d.info.LiveRestoreEnabled, d.info.ContainersRunning = true, 2
	f := runner.NewFake(t)
	expectPool(f)
	res := execute(t, d.host(f), d.args(nil))
	assertSays(t, must[string](t, res, "msg"), "live-restore and 2 container(s) running", "stop them first", "set live-restore to false")
	if res["failed"] != true || res["changed"] != false {
		t.Errorf("result: %v", res)
	}
	assertCalls(t, d)
}

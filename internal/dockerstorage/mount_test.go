package dockerstorage

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/runner"
)

// withVolume gives d a device standing for lvm_volume's /dev/mapper/docker-data
// (a file: the fake systemd only notes what it mounts) and returns the
// module options that put docker's data root on it.
func withVolume(t *testing.T, d *fakeDocker) map[string]any {
	dev := filepath.Join(filepath.Dir(d.unitDir), "..", "..", "dev/mapper/docker-data")
	d.write(dev, "")
	return map[string]any{"driver": "overlay2", "config_path": d.configPath, "data_root_device": dev}
}

func TestOverlay2MovesOntoAVolumeOfItsOwnWithTheImagesAndVolumes(t *testing.T) {
	d := newDockerWithWork(t)
	args := withVolume(t, d)
	dev := args["data_root_device"].(string)
	f := runner.NewFake(t)

	res := execute(t, d.host(f), args)
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	actions := asStrings(must[[]any](t, res, "actions"))
	var order []string
	for _, a := range actions {
		order = append(order, strings.Fields(a)[0])
	}
	want := []string{"export", "stop", "move", "move", "mount", "move", "copy", "write", "start", "wait", "verify", "load"}
	if !slices.Equal(order, want) {
		t.Errorf("actions:\n  %s\nwant verbs %q", strings.Join(actions, "\n  "), want)
	}
	unit := filepath.Join(d.unitDir, mountUnitName(d.dataRoot))
	assertSays(t, d.read(unit), "What="+dev, "Where="+d.dataRoot, "Type=xfs", "Options=defaults,prjquota")
	assertSays(t, d.read(filepath.Join(d.unitDir, "docker.service.d", dropInName)), "RequiresMountsFor="+d.dataRoot)
	assertCalls(t, d, "stop docker.socket", "stop docker.service", "daemon-reload", "start "+mountUnitName(d.dataRoot),
		"reset-failed docker.service docker.socket", "start docker.service", "start docker.socket")
	assertSays(t, d.read(d.mountTable), dev+" rw,prjquota")

	images, _ := d.Images(t.Context())
	if tags, _ := imageTags(images); !slices.Equal(tags, []string{"registry.example/web:2.4", "tiny:1"}) {
		t.Errorf("images on the volume: %q", tags)
	}
	if got := d.read(filepath.Join(d.dataRoot, "volumes/keep/_data/kept.txt")); got != "kept\n" {
		t.Errorf("the volume's file on the new data root: %q", got)
	}
	assertSays(t, must[string](t, res, "msg"), "docker switched to overlay2 with its data root on "+dev,
		"Backing Filesystem xfs with d_type", "carried 2 image(s)")

	// Converged: nothing to do, docker untouched.
	d.calls = nil
	again := execute(t, d.host(runner.NewFake(t)), args)
	if again["changed"] != false || again["failed"] == true {
		t.Fatalf("second run: %v", again)
	}
	assertCalls(t, d)
}

func TestCheckModeOnAVolumeSaysTheMountAndChangesNothing(t *testing.T) {
	d := newDockerWithWork(t)
	args := withVolume(t, d)
	args["_ansible_check_mode"] = true
	before := tree(t, filepath.Dir(filepath.Dir(filepath.Dir(d.dataRoot))))
	res := execute(t, d.host(runner.NewFake(t)), args)
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	assertSays(t, strings.Join(asStrings(must[[]any](t, res, "actions")), "\n"), "mount "+args["data_root_device"].(string)+" at "+d.dataRoot+" with defaults,prjquota")
	if after := tree(t, filepath.Dir(filepath.Dir(filepath.Dir(d.dataRoot)))); !maps.Equal(before, after) {
		t.Errorf("check mode changed files")
	}
	assertCalls(t, d)
}

func TestAVolumeThatCannotBeTheDataRootIsRefusedBeforeAnyChange(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(d *fakeDocker, dev string)
		want  []string
	}{
		{"missing", func(d *fakeDocker, dev string) { _ = os.Remove(dev) },
			[]string{"does not exist", "directlvm.docker.lvm_volume"}},
		{"mounted elsewhere", func(d *fakeDocker, dev string) {
			d.write(d.mountTable, "40 25 254:1 / /srv rw - xfs "+dev+" rw\n")
		}, []string{"is mounted at /srv", "unmount it"}},
		{"the data root mounted from another device", func(d *fakeDocker, dev string) {
			d.write(d.mountTable, "40 25 254:1 / "+d.dataRoot+" rw - ext4 /dev/vdc rw\n")
		}, []string{"is a mount of /dev/vdc, not of data_root_device"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDockerWithWork(t)
			args := withVolume(t, d)
			tc.setup(d, args["data_root_device"].(string))
			res := execute(t, d.host(runner.NewFake(t)), args)
			if res["failed"] != true || res["changed"] != false {
				t.Fatalf("want a refusal: %v", res)
			}
			assertSays(t, must[string](t, res, "msg"), append(tc.want, "nothing was changed")...)
			assertCalls(t, d)
		})
	}
}

func TestDataRootDeviceIsAnOptionOfOverlay2Only(t *testing.T) {
	d := newDocker(t)
	res := execute(t, d.host(runner.NewFake(t)), d.args(map[string]any{"data_root_device": "/dev/mapper/docker-data"}))
	assertSays(t, must[string](t, res, "msg"), "data_root_device is an option of driver=overlay2")
}

// A failed start on the volume puts everything back: docker on its old
// data root, the volume unmounted, the unit files gone.
func TestAFailedSwitchOntoAVolumeIsRolledBack(t *testing.T) {
	d := newDockerWithWork(t)
	args := withVolume(t, d)
	d.version = "20.10.24+dfsg1"
	args["extra_storage_opts"] = []string{"overlay2.size=10G"}
	d.refuseOverlayOpts = true
	f := runner.NewFake(t)
	f.Expect("journalctl", "-u", "docker.service", "--no-pager", "-o", "cat", "--since", since).
		Stdout("failed to start daemon: error initializing graphdriver: Storage Option overlay2.size only supported for backingFS XFS. Found <unknown>\n")
	res := execute(t, d.host(f), args)
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), "rolled back", "unmounted "+d.dataRoot, "overlay2.size only supported for backingFS XFS")
	if len(d.mounted) != 0 || exists(filepath.Join(d.unitDir, mountUnitName(d.dataRoot))) || exists(filepath.Join(d.unitDir, "docker.service.d", dropInName)) {
		t.Errorf("left behind: mounts %v, unit files in %s", d.mounted, d.unitDir)
	}
	if !exists(filepath.Join(d.dataRoot, "containers/c0ffee/config.v2.json")) || !d.running || d.driver != "overlay2" {
		t.Errorf("docker is not back on its old data root (running %v, %s)", d.running, d.driver)
	}
	if got := d.read(filepath.Join(d.dataRoot, "volumes/keep/_data/kept.txt")); got != "kept\n" {
		t.Errorf("the volume is not back: %q", got)
	}
}

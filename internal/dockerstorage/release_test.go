package dockerstorage

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/runner"
)

// The way off devicemapper, as the role takes it: docker is released (its
// images exported, docker stopped), the storage under it is replaced, and
// a state=present run finishes the switch from the export.
func TestAReleasedDockerIsSwitchedOntoItsVolumeFromTheExport(t *testing.T) {
	d := newDockerWithWork(t)
	d.socketEnabled = true
	config := d.read(d.configPath)
	release := map[string]any{"driver": "overlay2", "config_path": d.configPath, "state": "released"}
	f := runner.NewFake(t)

	// Check mode plans the export and the stop, and does neither.
	before := tree(t, filepath.Dir(d.dataRoot))
	check := maps.Clone(release)
	check["_ansible_check_mode"] = true
	res := execute(t, d.host(f), check)
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("check mode: %v", res)
	}
	assertSays(t, strings.Join(asStrings(must[[]any](t, res, "actions")), "\n"), "export 2 image(s)", "stop docker.service and docker.socket")
	if after := tree(t, filepath.Dir(d.dataRoot)); !maps.Equal(before, after) || !d.running || len(d.calls) > 0 {
		t.Fatalf("check mode changed the host: running=%v calls=%q", d.running, d.calls)
	}
	if s := storageOf(t, res); s["running"] != false {
		t.Errorf("check mode predicts running=%v, want false", s["running"])
	}

	res = execute(t, d.host(f), release)
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("release: %v", res)
	}
	assertCalls(t, d, "stop docker.socket", "stop docker.service")
	if !exists(filepath.Join(carryDir(d.dataRoot), carryImages)) {
		t.Fatalf("no export in %s", carryDir(d.dataRoot))
	}
	if got := d.read(d.configPath); got != config {
		t.Errorf("daemon.json changed on release:\n%s", got)
	}
	if !exists(filepath.Join(d.dataRoot, "volumes/keep/_data/kept.txt")) || !exists(filepath.Join(d.dataRoot, "containers/c0ffee/config.v2.json")) {
		t.Errorf("the release moved the data root's content")
	}
	if s := storageOf(t, res); s["running"] != false {
		t.Errorf("docker_storage.running=%v after the release", s["running"])
	}
	assertSays(t, must[string](t, res, "msg"), "docker stopped off its storage", "2 image(s)", "the next run finishes it")

	// Released again: nothing to do. (docker stopped: its version comes
	// from dockerd --version.)
	d.calls = nil
	f.Expect("dockerd", "--version").Stdout("Docker version 20.10.24+dfsg1, build 297e128\n")
	res = execute(t, d.host(f), release)
	if res["changed"] != false || res["failed"] == true || len(d.calls) > 0 {
		t.Fatalf("second release: %v, calls %q", res, d.calls)
	}

	// The storage is replaced; state=present finishes from the export.
	args := withVolume(t, d)
	f.Expect("dockerd", "--version").Stdout("Docker version 20.10.24+dfsg1, build 297e128\n")
	res = execute(t, d.host(f), args)
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("switch: %v", res)
	}
	images, _ := d.Images(t.Context())
	if tags, _ := imageTags(images); !slices.Equal(tags, []string{"registry.example/web:2.4", "tiny:1"}) {
		t.Errorf("images on the volume: %q, want the exported ones", tags)
	}
	if got := d.read(filepath.Join(d.dataRoot, "volumes/keep/_data/kept.txt")); got != "kept\n" {
		t.Errorf("the volume's file on the new data root: %q", got)
	}
	if exists(carryDir(d.dataRoot)) {
		t.Errorf("the carry directory is left behind")
	}
	if !d.socketActive {
		t.Errorf("docker.socket (enabled) was not started again")
	}
}

func TestAReleaseRefusesWhenTheImagesCannotBeExported(t *testing.T) {
	d := newDockerWithWork(t)
	d.imageSize = 1 << 60 // no disk has room for that
	f := runner.NewFake(t)
	before := tree(t, filepath.Dir(d.dataRoot))

	res := execute(t, d.host(f), map[string]any{"driver": "overlay2", "config_path": d.configPath, "state": "released"})
	if res["failed"] != true {
		t.Fatalf("result: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), "exporting docker's 2 image(s) needs about", "destroys them", "carry_images=false", "nothing was changed")
	if after := tree(t, filepath.Dir(d.dataRoot)); !maps.Equal(before, after) || !d.running || len(d.calls) > 0 {
		t.Fatalf("a refused release changed the host: running=%v calls=%q", d.running, d.calls)
	}
}

func TestDataRootDeviceIsNoOptionOfARelease(t *testing.T) {
	d := newDocker(t)
	res := execute(t, d.host(runner.NewFake(t)), map[string]any{"driver": "overlay2", "config_path": d.configPath,
		"state": "released", "data_root_device": "/dev/mapper/docker-data"})
	if res["failed"] != true {
		t.Fatalf("result: %v", res)
	}
	assertSays(t, must[string](t, res, "msg"), "data_root_device is an option of state=present")
}

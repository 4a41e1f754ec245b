package dockerstorage

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/runner"
)

// newDockerWithWork is docker on overlay2 holding two tagged images, an
// untagged one, two containers and a named volume with a file in it.
func newDockerWithWork(t *testing.T) *fakeDocker {
	d := newDocker(t)
	d.addImage("tiny:1", "sha256:aaa")
	d.addImage("registry.example/web:2.4", "sha256:bbb")
	d.addImage("", "sha256:ccc")
	d.info.Containers = 2
	d.write(filepath.Join(d.dataRoot, "volumes/keep/_data/kept.txt"), "kept\n")
	d.write(filepath.Join(d.dataRoot, "volumes/metadata.db"), "bolt")
	return d
}

func carriedOf(t *testing.T, res map[string]any) map[string]any {
	t.Helper()
	c, ok := storageOf(t, res)["carried"].(map[string]any)
	if !ok {
		t.Fatalf("no docker_storage.carried in %v", res)
	}
	return c
}

func TestASwitchCarriesTheTaggedImagesAndMovesTheVolumes(t *testing.T) {
	d := newDockerWithWork(t)
	f := runner.NewFake(t)
	expectPool(f)

	res := execute(t, d.host(f), d.args(nil))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	if d.driver != Devicemapper {
		t.Fatalf("docker runs on %s", d.driver)
	}
	images, _ := d.Images(t.Context())
	tags, untagged := imageTags(images)
	if !slices.Equal(tags, []string{"registry.example/web:2.4", "tiny:1"}) || untagged != 0 {
		t.Errorf("images on the pool: %q (+%d untagged), want the two tagged ones", tags, untagged)
	}
	if got := d.read(filepath.Join(d.dataRoot, "volumes/keep/_data/kept.txt")); got != "kept\n" {
		t.Errorf("the volume's file in the new data root: %q", got)
	}
	backup := d.dataRoot + ".directlvm-" + ts
	if exists(filepath.Join(backup, "volumes")) {
		t.Errorf("the volumes were copied, not moved: %s/volumes is still there", backup)
	}
	if !exists(filepath.Join(backup, "containers/c0ffee/config.v2.json")) {
		t.Errorf("the old data root lost its containers")
	}
	if exists(carryDir(d.dataRoot)) {
		t.Errorf("the carry directory %s is left behind", carryDir(d.dataRoot))
	}

	actions := asStrings(must[[]any](t, res, "actions"))
	var order []string
	for _, a := range actions {
		order = append(order, strings.Fields(a)[0])
	}
	want := []string{"export", "stop", "move", "move", "move", "copy", "write", "start", "wait", "verify", "load"}
	if !slices.Equal(order, want) {
		t.Errorf("actions:\n  %s\nwant verbs %q", strings.Join(actions, "\n  "), want)
	}
	c := carriedOf(t, res)
	if got := asStrings(c["images"]); !slices.Equal(got, []string{"registry.example/web:2.4", "tiny:1"}) {
		t.Errorf("carried.images: %q", got)
	}
	if got := asStrings(c["volumes"]); !slices.Equal(got, []string{"keep"}) {
		t.Errorf("carried.volumes: %q", got)
	}
	if c["bytes"].(float64) <= 0 || c["pending"] != "" {
		t.Errorf("carried: %v", c)
	}
	notCarried := strings.Join(asStrings(c["not_carried"]), "\n")
	assertSays(t, notCarried, "1 untagged image(s)", "2 container(s): containers are not carried; recreate them", backup+"/containers")
	assertSays(t, must[string](t, res, "msg"), "carried 2 image(s)", "moved 1 volume(s) into the new data root", "2 container(s)")
}

func TestCheckModeSaysWhatASwitchWouldCarryAndChangesNothing(t *testing.T) {
	d := newDockerWithWork(t)
	before := tree(t, filepath.Dir(d.dataRoot))
	f := runner.NewFake(t)
	expectPool(f)

	res := execute(t, d.host(f), d.args(map[string]any{"_ansible_check_mode": true}))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	if after := tree(t, filepath.Dir(d.dataRoot)); len(after) != len(before) {
		t.Errorf("check mode changed %s", filepath.Dir(d.dataRoot))
	}
	assertCalls(t, d)
	c := carriedOf(t, res)
	if got := asStrings(c["images"]); len(got) != 2 || !slices.Equal(asStrings(c["volumes"]), []string{"keep"}) {
		t.Errorf("carried (planned): %v", c)
	}
}

func TestWithoutRoomForTheExportNothingIsCarriedAndTheDataRootStaysIntact(t *testing.T) {
	d := newDockerWithWork(t)
	d.addImage("huge:1", "sha256:ddd")
	d.imageSize = 1 << 60 // more than any test machine has free
	oldRoot := tree(t, d.dataRoot)
	f := runner.NewFake(t)
	expectPool(f)

	res := execute(t, d.host(f), d.args(nil))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	backup := d.dataRoot + ".directlvm-" + ts
	if got := tree(t, backup); len(got) != len(oldRoot) {
		t.Errorf("the old data root is not intact in %s", backup)
	}
	images, _ := d.Images(t.Context())
	if len(images) != 0 {
		t.Errorf("images were carried: %v", images)
	}
	c := carriedOf(t, res)
	if len(asStrings(c["images"])) != 0 || len(asStrings(c["volumes"])) != 0 {
		t.Errorf("carried: %v", c)
	}
	assertSays(t, strings.Join(asStrings(res["warnings"]), "\n"), "nothing was carried", "free", backup)
}

func TestALoadThatFailsRollsTheSwitchBackWithTheImagesAndVolumesInPlace(t *testing.T) {
	d := newDockerWithWork(t)
	d.failLoad = "write /var/lib/docker/tmp/docker-import-1/blobs: no space left on device"
	oldConfig := d.read(d.configPath)
	oldRoot := tree(t, d.dataRoot)
	f := runner.NewFake(t)
	expectPool(f)
	expectPoolGivenBack(f)

	res := execute(t, d.host(f), d.args(nil))
	if res["failed"] != true {
		t.Fatalf("want a failure: %v", res)
	}
	if d.read(d.configPath) != oldConfig || d.driver != "overlay2" || !d.running {
		t.Errorf("not rolled back: driver %s, running %v", d.driver, d.running)
	}
	if got := tree(t, d.dataRoot); len(got) != len(oldRoot) || got["volumes/keep/_data/kept.txt"] != "kept\n" {
		t.Errorf("the data root is not back as it was:\n%v\nwant\n%v", got, oldRoot)
	}
	if exists(carryDir(d.dataRoot)) {
		t.Errorf("the carry directory outlived the rollback")
	}
	assertSays(t, must[string](t, res, "msg"), "rolled back", "no space left on device", "moved the volumes back")
	if c := carriedOf(t, res); len(asStrings(c["images"])) != 0 || len(asStrings(c["volumes"])) != 0 {
		t.Errorf("a rolled-back switch carried nothing: %v", c)
	}
}

func TestAnExportLeftByACutRunIsLoadedByTheNext(t *testing.T) {
	d := newDockerWithWork(t)
	// The cut run exported, switched docker to the pool and was cut
	// before the load: docker runs on the pool without the images.
	dir := carryDir(d.dataRoot)
	d.write(filepath.Join(dir, carryImages), "tiny:1 sha256:aaa\n")
	d.write(filepath.Join(dir, carryManifest), `{"tags":["tiny:1"],"bytes":18,"export_seconds":1.5,"untagged":0,"containers":1}`)
	d.write(d.configPath, converged)
	d.running = false
	if err := os.RemoveAll(d.dataRoot); err != nil {
		t.Fatal(err)
	}
	if err := d.start(); err != nil {
		t.Fatal(err)
	}
	d.calls = nil
	f := runner.NewFake(t)
	expectPool(f)

	res := execute(t, d.host(f), d.args(nil))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	assertCalls(t, d) // docker is not restarted for a load
	images, _ := d.Images(t.Context())
	if tags, _ := imageTags(images); !slices.Equal(tags, []string{"tiny:1"}) {
		t.Errorf("images: %q", tags)
	}
	if exists(dir) {
		t.Errorf("%s is left behind", dir)
	}
	assertSays(t, must[string](t, res, "msg"), "finished carrying", "carried 1 image(s)")

	t.Run("the next run changes nothing", func(t *testing.T) {
		f := runner.NewFake(t)
		expectPool(f)
		if res := execute(t, d.host(f), d.args(nil)); res["changed"] != false {
			t.Errorf("result: %v", res)
		}
	})
}

func TestVolumesLeftInTransitGoIntoTheNewDataRootBeforeDockerStarts(t *testing.T) {
	d := newDockerWithWork(t)
	// Cut after the data root moved aside: docker stopped, the volumes
	// and the export wait in the carry directory, no data root.
	dir := carryDir(d.dataRoot)
	d.write(filepath.Join(dir, carryImages), "tiny:1 sha256:aaa\n")
	d.write(filepath.Join(dir, carryManifest), `{"tags":["tiny:1"],"bytes":18,"export_seconds":1.5}`)
	if err := os.Rename(filepath.Join(d.dataRoot, "volumes"), filepath.Join(dir, carryVolumes)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(d.dataRoot, d.dataRoot+".directlvm-20240506T090000"); err != nil {
		t.Fatal(err)
	}
	d.running, d.socketActive = false, false
	f := runner.NewFake(t)
	f.Expect("dockerd", "--version").Stdout("Docker version 20.10.24+dfsg1, build 297e128\n")
	expectPool(f)

	res := execute(t, d.host(f), d.args(nil))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	if d.driver != Devicemapper || !d.running {
		t.Fatalf("docker: %s, running %v", d.driver, d.running)
	}
	if got := d.read(filepath.Join(d.dataRoot, "volumes/keep/_data/kept.txt")); got != "kept\n" {
		t.Errorf("volume file: %q", got)
	}
	images, _ := d.Images(t.Context())
	if tags, _ := imageTags(images); !slices.Equal(tags, []string{"tiny:1"}) {
		t.Errorf("images: %q", tags)
	}
	if exists(dir) {
		t.Errorf("%s is left behind", dir)
	}
}

package dockerstorage

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// A switch killed (SIGKILL, no rollback) right after stopping docker or
// right after moving its data root aside is finished by the next run. The
// other steps are in TestFaultsDockerStorageKilledAfterEachStep (make
// faults).
func TestGuestASwitchKilledAfterStoppingOrMovingIsFinishedByTheNextRun(t *testing.T) {
	for i, action := range []string{"stop ", "move the data root "} {
		t.Run(strings.TrimSpace(action), func(t *testing.T) {
			killedAfter(t, fmt.Sprintf("dlvmkill%d", i), func(steps []string) int {
				return slices.IndexFunc(steps, func(s string) bool { return strings.HasPrefix(s, action) }) + 1
			})
		})
	}
}

// Every step of the switch from overlay2 to the pool, killed right after
// it: the next run converges, the one after it changes nothing, and the
// images of before are kept in the moved data root.
func TestFaultsDockerStorageKilledAfterEachStep(t *testing.T) {
	guesttest.Require(t)
	for n := 1; ; n++ {
		more := false // the plan has a step after n
		t.Run(fmt.Sprintf("step %d", n), func(t *testing.T) {
			killedAfter(t, fmt.Sprintf("dlvmfault%d", n), func(steps []string) int {
				more = n < len(steps)
				return n
			})
		})
		if !more {
			return
		}
	}
}

// killedAfter switches docker onto a pool of its own in VG vg, the run
// killed right after the step that pick chooses among the plan's (from 1),
// then checks that the next run finishes the switch.
func killedAfter(t *testing.T, vg string, pick func(steps []string) int) {
	r, pool, g := onAPoolOfItsOwn(t, vg)
	image := sh(t, r, tinyImage)
	id := strings.TrimPrefix(sh(t, r, "docker", "image", "inspect", "-f", "{{.Id}}", image), "sha256:")

	plan := ansibletest.Run(t, Module(RealHost()), guestArgs(pool, map[string]any{"_ansible_check_mode": true}))
	steps := asStrings(plan["actions"])
	n := pick(steps)
	if n < 1 || n > len(steps) {
		t.Fatalf("no such step in the plan %q", steps)
	}
	t.Logf("killed after step %d of %d: %s", n, len(steps), steps[n-1])
	killed, res := ansibletest.RunFaulted(t, Module(RealHost()), guestArgs(pool, nil), fmt.Sprintf("%s:%d:kill", Name, n))
	if !killed {
		t.Fatalf("the run was not killed after step %d: %v", n, res)
	}

	next := guestModule(t, guestArgs(pool, nil))
	if next["failed"] == true {
		t.Fatalf("the run after the kill failed: %v", next["msg"])
	}
	info := engineInfo(t)
	if p, _ := info.Status("Pool Name"); info.Driver != Devicemapper || p != vg+"-thinpool" {
		t.Errorf("docker runs on %s (pool %q), not on %s", info.Driver, p, pool)
	}
	if again := guestModule(t, guestArgs(pool, nil)); again["failed"] == true || again["changed"] != false {
		t.Errorf("the run after that: changed=%v failed=%v msg=%v", again["changed"], again["failed"], again["msg"])
	}

	// The images of before are in the one data root moved aside.
	var moved []string
	for _, p := range dataRootSiblings(t) {
		if !slices.Contains(g.siblings, p) && !strings.Contains(p, "-failed-") {
			if _, err := os.Stat(filepath.Join(p, "image", "overlay2", "imagedb", "content", "sha256", id)); err == nil {
				moved = append(moved, p)
			}
		}
	}
	if len(moved) != 1 {
		t.Fatalf("want docker's data of before (image %s) in one moved data root, found it in %q", image, moved)
	}
	g.originalRoot = moved[0]
}

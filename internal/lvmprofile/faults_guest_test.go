package lvmprofile

import (
	"fmt"
	"os"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// A profile run killed (SIGKILL, no rollback) right after any of its steps
// (the file written, the profile attached, monitoring turned on) is
// finished by the next run; the run after that changes nothing. Part of
// make faults.
func TestFaultsAProfileRunKilledAfterAnyStepIsFinishedByTheNextRun(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	const vg, name = "lvmprofilekill", "directlvm-guesttest-kill"
	pool := vg + "/thinpool"
	path := guestProfilePath(t, name)
	roomyPool(t, disk, vg)
	// The state before each cut run: no profile, pool unprofiled and
	// unmonitored.
	reset := func() {
		mustRun(t, "lvchange", "--monitor", "n", "--detachprofile", pool)
		_ = os.Remove(path)
	}
	args := map[string]any{"name": name, "lv": pool}
	reset()
	plan, _ := runReal(t, map[string]any{"name": name, "lv": pool, "_ansible_check_mode": true})
	steps, _ := plan["actions"].([]any)
	if len(steps) < 2 {
		t.Fatalf("the plan has %d steps: %v", len(steps), plan)
	}
	for n := 1; n <= len(steps); n++ {
		t.Run(fmt.Sprintf("step %d", n), func(t *testing.T) {
			reset()
			t.Logf("killed after step %d of %d: %v", n, len(steps), steps[n-1])
			killed, res := ansibletest.RunFaulted(t, Module(RealHost()), args, fmt.Sprintf("%s:%d:kill", Name, n))
			if !killed {
				t.Fatalf("the run was not killed after step %d: %v", n, res)
			}
			if next, _ := runReal(t, args); next["failed"] == true {
				t.Fatalf("the run after the kill failed: %v", next["msg"])
			}
			if row := lvRow(t, pool); row["lv_profile"] != name || row["seg_monitor"] != "monitored" {
				t.Errorf("want %s profiled with %s and monitored: %v", pool, name, row)
			}
			if again, _ := runReal(t, args); again["failed"] == true || again["changed"] != false {
				t.Errorf("the run after that: %v", again)
			}
		})
	}
}

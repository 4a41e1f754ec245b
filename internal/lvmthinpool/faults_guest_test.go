package lvmthinpool

import (
	"fmt"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// A pool build killed (SIGKILL, no rollback) right after any of its steps
// is finished by the next run, which builds the runbook's pool; the run
// after that changes nothing. Part of make faults (the role's rows cut
// lvm_thinpool in make test).
func TestFaultsAPoolBuildKilledAfterAnyStepIsFinishedByTheNextRun(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	args := map[string]any{"devices": []string{disk}}
	plan, _ := runReal(t, map[string]any{"devices": []string{disk}, "_ansible_check_mode": true})
	steps := must[[]any](t, plan, "actions")
	if len(steps) < 4 {
		t.Fatalf("a blank disk's plan has %d steps: %v", len(steps), steps)
	}
	for n := 1; n <= len(steps); n++ {
		t.Run(fmt.Sprintf("step %d", n), func(t *testing.T) {
			t.Cleanup(func() { guesttest.TeardownLVM(t, []string{disk}) })
			t.Logf("killed after step %d of %d: %v", n, len(steps), steps[n-1])
			killed, res := ansibletest.RunFaulted(t, Module(RealHost()), args, fmt.Sprintf("%s:%d:kill", Name, n))
			if !killed {
				t.Fatalf("the run was not killed after step %d: %v", n, res)
			}
			next, _ := runReal(t, args)
			if next["failed"] == true {
				t.Fatalf("the run after the kill failed: %v", next["msg"])
			}
			pool, ok := lvmState(t).LV("docker", "thinpool")
			if !ok || !pool.Attr.ThinPool() || pool.ChunkSizeBytes != 512<<10 || pool.Attr.Zeroing() || pool.Monitor != "monitored" {
				t.Errorf("want the runbook's pool (512K chunks, no zeroing, monitored): %+v", pool)
			}
			again, _ := runReal(t, args)
			mustSucceed(t, again, false)
		})
	}
}

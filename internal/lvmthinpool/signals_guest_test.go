package lvmthinpool

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// A signal that reaches the module while lvconvert turns the volumes
// into the pool (SIGHUP: the controller's SSH connection dropped; SIGTERM:
// a timeout or an operator) does not cut the command: it finishes, no
// device is left suspended, and since it was the last step the run
// reports the pool it made, which the next run leaves as it is.
func TestGuestASignalDuringLvconvertLetsItFinish(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	args := map[string]any{"devices": []string{disk}}
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Cleanup(func() { guesttest.TeardownLVM(t, []string{disk}) })
			child := ansibletest.StartChild(t, Module(RealHost()), args)
			pid, err := waitForProcess("lvconvert", 5*time.Minute)
			if err != nil {
				child.Wait(t)
				t.Fatal(err)
			}
			if err := syscall.Kill(child.PID(), sig); err != nil {
				t.Fatal(err)
			}
			t.Logf("sent %s to the module while lvconvert (pid %d) ran", sig, pid)
			res, died := child.Wait(t)
			if died != 0 {
				t.Fatalf("the module died of %s without a result; lvconvert was left to itself", died)
			}
			if suspended := suspendedDevices(t); len(suspended) > 0 {
				t.Errorf("devices left suspended: %s", strings.Join(suspended, ", "))
			}
			if res["failed"] == true {
				t.Fatalf("the run failed although its last step completed: %v", res["msg"])
			}
			pool, ok := lvmState(t).LV("docker", "thinpool")
			if !ok || !pool.Attr.ThinPool() {
				t.Fatalf("no thin pool after the signal: %+v", pool)
			}
			again, _ := runReal(t, args)
			mustSucceed(t, again, false)
		})
	}
}

// waitForProcess waits until a process named comm runs and returns its
// PID.
func waitForProcess(comm string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		dirs, _ := filepath.Glob("/proc/[0-9]*/comm")
		for _, d := range dirs {
			if b, err := os.ReadFile(d); err == nil && strings.TrimSpace(string(b)) == comm {
				if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(d))); err == nil {
					return pid, nil
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("no %s process within %s", comm, timeout)
}

// suspendedDevices lists the device-mapper devices that are suspended.
func suspendedDevices(t *testing.T) []string {
	t.Helper()
	out := sh(t, "dmsetup", "info", "-c", "--noheadings", "-o", "name,suspended", "--separator", " ")
	var bad []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[1] != "Active" {
			bad = append(bad, line)
		}
	}
	return bad
}

package ansibletest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/fault"
)

// envChild makes a test binary run a module instead of its tests (see
// ServeChild).
const envChild = "DIRECTLVM_TEST_MODULE"

// ServeChild makes the test binary the module m when RunFaulted started
// it: call it first in the package's TestMain. Otherwise it returns.
func ServeChild(m ansible.Module) {
	if os.Getenv(envChild) == m.Name {
		ansible.Main(m)
	}
}

// RunFaulted runs m in a process of its own, the test binary started again
// as the module (see ServeChild), with the fault point (package fault's
// MODULE:STEP:KIND) in its environment. It reports whether the process was
// killed by SIGKILL, and the module's result when it finished instead
// (the plan had fewer steps).
func RunFaulted(t testing.TB, m ansible.Module, args map[string]any, point string) (killed bool, res map[string]any) {
	t.Helper()
	cmd := exec.Command(os.Args[0], writeArgs(t, args))
	cmd.Env = append(os.Environ(), envChild+"="+m.Name, fault.EnvVar+"="+point)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, nil
		}
	} else if err != nil {
		t.Fatalf("running %s as a module: %v", m.Name, err)
	}
	if len(out) == 0 {
		t.Fatalf("%s with %s=%s printed nothing (%v); stderr: %s", m.Name, fault.EnvVar, point, err, stderr.String())
	}
	return false, decode(t, m.Name, bytes.NewBuffer(out))
}

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

// ServeChild makes the test binary the module m when RunFaulted or
// StartChild started it: call it first in the package's TestMain.
// Otherwise it returns.
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
	res, sig := StartChild(t, m, args, fault.EnvVar+"="+point).Wait(t)
	return sig == syscall.SIGKILL, res
}

// Child is a module running in a process of its own (see StartChild).
type Child struct {
	name   string
	cmd    *exec.Cmd
	out    bytes.Buffer
	stderr strings.Builder
}

// StartChild starts m in a process of its own, the test binary started
// again as the module (see ServeChild), with env added to its
// environment, and returns without waiting for it.
func StartChild(t testing.TB, m ansible.Module, args map[string]any, env ...string) *Child {
	t.Helper()
	c := &Child{name: m.Name, cmd: exec.Command(os.Args[0], writeArgs(t, args))}
	c.cmd.Env = append(append(os.Environ(), envChild+"="+m.Name), env...)
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("starting %s as a module: %v", m.Name, err)
	}
	return c
}

// PID is the module's process.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Wait waits for the module and returns its result, or the signal that
// ended it without one.
func (c *Child) Wait(t testing.TB) (map[string]any, syscall.Signal) {
	t.Helper()
	err := c.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return nil, ws.Signal()
		}
	} else if err != nil {
		t.Fatalf("running %s as a module: %v", c.name, err)
	}
	if c.out.Len() == 0 {
		t.Fatalf("%s printed nothing (%v); stderr: %s", c.name, err, c.stderr.String())
	}
	return decode(t, c.name, &c.out), 0
}

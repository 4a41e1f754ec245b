// Package fault ends a module run on purpose right after one of its steps,
// as a crash or a power cut would: the hook of the fault-injection tests
// (make faults), which show that the next run finishes what the cut one
// left. Nothing fires unless the environment names the point:
//
//	DIRECTLVM_DOCKER_FAULT=MODULE:STEP:KIND
//
// MODULE is the module's name (docker_storage; docker_storage@released for
// its release, which runs before the switch), STEP counts its plan's
// steps from 1, and KIND is "kill" (the module SIGKILLs itself) or
// "powercut" (the kernel reboots at once, without syncing or unmounting,
// through /proc/sysrq-trigger).
package fault

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// EnvVar names the fault point in a module's environment.
const EnvVar = "DIRECTLVM_DOCKER_FAULT"

// Kind is how a run ends.
type Kind string

const (
	Kill     Kind = "kill"     // SIGKILL: the process dies, the host goes on
	PowerCut Kind = "powercut" // the host stops, unsynced writes are lost
)

// Point is where and how a run ends. The zero Point, and a nil one, never
// fire.
type Point struct {
	Module string
	Step   int
	Kind   Kind
}

// Parse reads MODULE:STEP:KIND; an empty text is no point (nil).
func Parse(text string) (*Point, error) {
	if text == "" {
		return nil, nil
	}
	f := strings.Split(text, ":")
	if len(f) != 3 {
		return nil, fmt.Errorf("%s=%q is not MODULE:STEP:KIND (e.g. docker_storage:3:kill)", EnvVar, text)
	}
	step, err := strconv.Atoi(f[1])
	if err != nil || step < 1 {
		return nil, fmt.Errorf("%s=%q: the step %q is not a number from 1", EnvVar, text, f[1])
	}
	k := Kind(f[2])
	if k != Kill && k != PowerCut {
		return nil, fmt.Errorf("%s=%q: the kind %q is neither %s nor %s", EnvVar, text, f[2], Kill, PowerCut)
	}
	return &Point{Module: f[0], Step: step, Kind: k}, nil
}

// Matches says whether p fires after step (from 1) of module.
func (p *Point) Matches(module string, step int) bool {
	return p != nil && p.Module == module && p.Step == step
}

// After fires p when it matches: it does not return then.
func (p *Point) After(module string, step int) {
	if !p.Matches(module, step) {
		return
	}
	switch p.Kind {
	case Kill:
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	case PowerCut:
		// "b": reboot now, no sync, no unmount (the kernel's sysrq.rst).
		_ = os.WriteFile("/proc/sysrq-trigger", []byte("b"), 0o200)
	}
	// Whatever happens, nothing after the step may run.
	for {
		time.Sleep(time.Hour)
	}
}

package module

import (
	"context"
	"errors"
	"fmt"

	"github.com/directlvm/docker/internal/runner"
)

// Step is one step of a plan: why it is there, what it runs, and how to
// do and undo it. A step runs a command (Argv, through the module's
// runner) or anything else (Do): exactly one of the two is set; Command
// and Func build them so.
type Step struct {
	// Why says why the plan holds the step; a failure names it.
	Why string
	// What says what the step does the way an operator would type it: the
	// result's actions list these.
	What string
	// Argv is the command the step runs, when it runs one.
	Argv []string
	// Do is what the step does when it runs no command.
	Do func(ctx context.Context) error
	// Undo puts back what the step changed, when the plan rolls back.
	Undo *Undo
}

// Undo is how a step is undone.
type Undo struct {
	// Done says what undoing achieved, for the failure message ("restored
	// /etc/docker/daemon.json"); empty when not worth saying.
	Done string
	// Do undoes the step.
	Do func(ctx context.Context) error
	// EvenIfFailed undoes the step when its own Do failed, too: a start
	// that failed may still have left a daemon to stop.
	EvenIfFailed bool
}

// Command is a step that runs argv.
func Command(why string, argv []string) Step {
	return Step{Why: why, What: runner.Join(argv), Argv: argv}
}

// Func is a step that calls do.
func Func(why, what string, do func(ctx context.Context) error) Step {
	return Step{Why: why, What: what, Do: do}
}

// String is What.
func (s Step) String() string { return s.What }

// Plan is what a run will do (or, in check mode, would do), in order, and
// the state before and after it. It is data: check mode returns it, apply
// executes it.
type Plan[S any] struct {
	Steps    []Step
	Warnings []string
	// Before is the observed state; After the state the plan leads to,
	// which check mode reports.
	Before, After S
	// Unchanged is the msg of a run with nothing to do.
	Unchanged string
	// Rollback undoes the completed steps, in reverse, when one fails.
	Rollback bool
}

// Add appends steps.
func (p *Plan[S]) Add(steps ...Step) { p.Steps = append(p.Steps, steps...) }

// Warn adds a warning Ansible shows after the task.
func (p *Plan[S]) Warn(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

// Actions lists the steps' What, never nil.
func (p *Plan[S]) Actions() []string {
	out := make([]string, 0, len(p.Steps))
	for _, s := range p.Steps {
		out = append(out, s.What)
	}
	return out
}

// Refusal is a request a module will not carry out on this host. It is
// raised while observing or planning, so nothing has been changed; its
// message names the fix.
type Refusal struct{ Msg string }

func (r *Refusal) Error() string { return r.Msg }

// Refuse is a Refusal with a formatted message.
func Refuse(format string, args ...any) error {
	return &Refusal{Msg: fmt.Sprintf(format, args...)}
}

// Problems collects what is wrong with a request, so that a module
// reports every problem at once.
type Problems []error

// Add adds a problem.
func (p *Problems) Add(format string, args ...any) { *p = append(*p, fmt.Errorf(format, args...)) }

// Err joins the problems; nil when there are none.
func (p Problems) Err() error { return errors.Join(p...) }

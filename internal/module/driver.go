// Package module is the one driver of this collection's modules. Each run
// parses its options, takes the host lock, observes and plans, reports the
// plan in check mode, or applies it step by step (undoing the completed
// steps after a failure when the plan says so), re-reads the state and
// verifies it. A module supplies its options, its observation and plan,
// and its checks; the driver does the rest, the same way for all.
package module

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/runner"
)

// Definition is what a module supplies to the driver. O is the struct its
// options decode into (see ansible.Params.Decode), C its validated
// configuration, S the state it reports.
type Definition[O, C, S any] struct {
	Name string
	Spec ansible.Spec
	// ResultKey names the state among the result's values, FactKey in
	// ansible_facts.
	ResultKey, FactKey string
	// Lock keeps other runs of the collection off the host, from the first
	// read to the last, in check mode too.
	Lock hostlock.Lock
	// Run runs the plan's commands.
	Run runner.Runner
	// Parse validates the decoded options and reports every problem at
	// once.
	Parse func(o O) (C, error)
	// Start observes the host and plans, under the lock.
	Start func(ctx context.Context, req *ansible.Request, c C) (Job[S], error)
}

// Job is one run of a module once it has observed the host and planned.
type Job[S any] interface {
	// Plan is what the run does.
	Plan() *Plan[S]
	// Reread reads the state after the plan ran (or failed).
	Reread(ctx context.Context) (S, error)
	// Verify checks the re-read state against the request.
	Verify(ctx context.Context, after S) error
	// Summary is the msg of a run that applied its plan.
	Summary(after S) string
	// Diff shows the change from before to after; nil shows none.
	Diff(before, after S) *ansible.Diff
	// Close releases what the run opened.
	Close()
}

// Recoverer is a Job with work to do after its undo steps ran: the driver
// calls Recover once the plan rolled back, and counts its error as the
// rollback's.
type Recoverer interface {
	Recover(ctx context.Context, rb *Rollback) error
}

// Noter is a Job with warnings about the state it reports.
type Noter[S any] interface {
	Notes(s S) []string
}

// FaultNamer is a Job that one module runs in more than one role (e.g.
// docker_storage's state=released before the switch): the fault hook
// (package fault) knows the run by this name instead of the module's.
type FaultNamer interface {
	FaultName() string
}

// Explainer is a Job that words its own failure message: the driver hands
// it the failed step, and the rollback when there was one, before it
// re-reads the state.
type Explainer interface {
	Explain(e *StepError) error
}

// Module is the ansible.Module that runs d.
func (d Definition[O, C, S]) Module() ansible.Module {
	return ansible.Module{Name: d.Name, Spec: d.Spec, Run: d.run}
}

func (d Definition[O, C, S]) run(ctx context.Context, req *ansible.Request) (*ansible.Result, error) {
	var o O
	if err := req.Params.Decode(&o); err != nil {
		return nil, err
	}
	c, err := d.Parse(o)
	if err != nil {
		return nil, err
	}
	release, err := d.Lock(ctx, hostlock.Self(d.Name, req.CheckMode))
	if err != nil {
		return nil, err
	}
	defer release()
	job, err := d.Start(ctx, req, c)
	if err != nil {
		return nil, err
	}
	defer job.Close()
	plan := job.Plan()
	for _, w := range plan.Warnings {
		req.Warn(w)
	}
	res := &ansible.Result{Changed: len(plan.Steps) > 0}
	report := func(s S, actions []string) {
		res.Values = map[string]any{d.ResultKey: s, "actions": actions}
		res.Facts = map[string]any{d.FactKey: s}
		res.Diff = job.Diff(plan.Before, s)
		if n, ok := job.(Noter[S]); ok {
			for _, w := range n.Notes(s) {
				req.Warn(w)
			}
		}
	}
	switch {
	case !res.Changed:
		report(plan.Before, plan.Actions())
		res.Msg = plan.Unchanged
		return res, nil
	case req.CheckMode:
		report(plan.After, plan.Actions())
		res.Msg = fmt.Sprintf("check mode: %d step(s) would run: %s", len(plan.Steps), strings.Join(plan.Actions(), "; "))
		return res, nil
	}

	faultName := d.Name
	if f, ok := job.(FaultNamer); ok {
		faultName = f.FaultName()
	}
	done, stepErr := apply(ctx, d.Run, plan, job, func(step int) { req.Fault.After(faultName, step) })
	res.Changed = len(done) > 0
	if stepErr != nil {
		var failure error = stepErr
		if x, ok := job.(Explainer); ok {
			failure = x.Explain(stepErr)
		}
		after, err := job.Reread(context.WithoutCancel(ctx))
		if err != nil {
			after = plan.Before
		}
		report(after, done)
		return res, failure
	}
	// Every step completed: a signal now must not make the run report a
	// failure it did not have.
	ctx = context.WithoutCancel(ctx)
	after, err := job.Reread(ctx)
	if err != nil {
		report(plan.Before, done)
		return res, fmt.Errorf("all %d step(s) ran, but re-reading the state failed: %w", len(done), err)
	}
	report(after, done)
	if err := job.Verify(ctx, after); err != nil {
		return res, err
	}
	res.Msg = job.Summary(after)
	return res, nil
}

// StepError is a step that failed.
type StepError struct {
	Step Step
	// Index counts from 1 among Total steps.
	Index, Total int
	// Done lists the steps that completed before it.
	Done []string
	Err  error
	// Rollback is what undoing the completed steps did; nil when the plan
	// does not roll back.
	Rollback *Rollback
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %d of %d (%s) failed: %v; %d step(s) before it completed; fix the cause and run again: the module continues from the state it finds",
		e.Index, e.Total, e.Step.Why, e.Err, len(e.Done))
}

func (e *StepError) Unwrap() error { return e.Err }

// Rollback is what undoing a failed plan's completed steps did.
type Rollback struct {
	// Restored lists what the undo steps put back (Undo.Done).
	Restored []string
	// Err joins every undo step's error; nil when all went back.
	Err error
}

// apply runs the plan's steps in order and stops at the first failure,
// after undoing the completed steps when the plan rolls back. It returns
// what completed, as the steps' What.
//
// A step, once started, finishes: it runs under a context that a signal
// does not cancel (its own timeouts still bound it), since a command cut
// in the middle can leave the host worse than either side of it (an LVM
// command killed between suspending and resuming a device leaves it
// suspended). When ctx is cancelled (SIGTERM, SIGINT, SIGHUP), the run
// stops before the next step and undoes what it did, as for a failure.
//
// after is called once each step has completed, with its number from 1:
// the fault-injection tests end the run there.
func apply[S any](ctx context.Context, r runner.Runner, plan *Plan[S], job Job[S], after func(step int)) ([]string, *StepError) {
	done := []string{}
	var undo []*Undo
	for i, s := range plan.Steps {
		err := ctx.Err()
		if err != nil {
			err = fmt.Errorf("not started: the run was interrupted (%w); the steps before it completed", err)
		} else {
			err = runStep(context.WithoutCancel(ctx), r, s)
		}
		if s.Undo != nil && (err == nil || s.Undo.EvenIfFailed) {
			undo = append(undo, s.Undo)
		}
		if err == nil {
			done = append(done, s.What)
			after(i + 1)
			continue
		}
		e := &StepError{Step: s, Index: i + 1, Total: len(plan.Steps), Done: done, Err: err}
		if plan.Rollback {
			e.Rollback = rollback(context.WithoutCancel(ctx), undo, job)
		}
		return done, e
	}
	return done, nil
}

func runStep(ctx context.Context, r runner.Runner, s Step) error {
	switch {
	case s.Argv != nil && s.Do == nil:
		_, err := r.Run(ctx, runner.Cmd{Argv: s.Argv})
		return err
	case s.Argv == nil && s.Do != nil:
		return s.Do(ctx)
	}
	return fmt.Errorf("internal error: step %q must either run a command or do something else", s.What)
}

// rollback runs the undo steps in reverse. It goes on after a failed one,
// so that as much as possible is back, and collects every error.
func rollback[S any](ctx context.Context, undo []*Undo, job Job[S]) *Rollback {
	rb := &Rollback{}
	var errs []error
	for i := len(undo) - 1; i >= 0; i-- {
		if err := undo[i].Do(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		if undo[i].Done != "" {
			rb.Restored = append(rb.Restored, undo[i].Done)
		}
	}
	if r, ok := job.(Recoverer); ok {
		rb.Err = errors.Join(errs...)
		if err := r.Recover(ctx, rb); err != nil {
			errs = append(errs, err)
		}
	}
	rb.Err = errors.Join(errs...)
	return rb
}

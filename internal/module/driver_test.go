package module

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/runner"
)

// fakeJob plans the given steps on a state that is a plain string.
type fakeJob struct {
	plan      *Plan[string]
	log       *[]string
	recovered *Rollback
	closed    bool
}

func (j *fakeJob) Plan() *Plan[string]                    { return j.plan }
func (j *fakeJob) Reread(context.Context) (string, error) { return "reread", nil }
func (j *fakeJob) Verify(context.Context, string) error   { return nil }
func (j *fakeJob) Summary(after string) string            { return "done: " + after }
func (j *fakeJob) Diff(before, after string) *ansible.Diff {
	return &ansible.Diff{Before: before, After: after}
}
func (j *fakeJob) Close()                                         { j.closed = true }
func (j *fakeJob) Recover(_ context.Context, rb *Rollback) error  { j.recovered = rb; return nil }
func (j *fakeJob) logged(what string) func(context.Context) error { return j.logStep(what, nil) }

func (j *fakeJob) logStep(what string, err error) func(context.Context) error {
	return func(context.Context) error { *j.log = append(*j.log, what); return err }
}

func unlocked(context.Context, hostlock.Owner) (func(), error) { return func() {}, nil }

func execute(t *testing.T, f *runner.Fake, j *fakeJob, args map[string]any) map[string]any {
	t.Helper()
	d := Definition[struct{}, struct{}, string]{
		Name: "fake", Spec: ansible.Spec{SupportsCheckMode: true}, ResultKey: "state", FactKey: "fake_state",
		Lock: unlocked, Run: f,
		Parse: func(struct{}) (struct{}, error) { return struct{}{}, nil },
		Start: func(context.Context, *ansible.Request, struct{}) (Job[string], error) { return j, nil },
	}
	return ansibletest.Run(t, d.Module(), args)
}

// definition is a module that runs j through f, and a request for it
// without options, for tests that call the driver directly.
func definition(t *testing.T, f *runner.Fake, j *fakeJob) (Definition[struct{}, struct{}, string], *ansible.Request) {
	t.Helper()
	d := Definition[struct{}, struct{}, string]{Name: "fake", ResultKey: "state", FactKey: "fake_state", Lock: unlocked, Run: f,
		Parse: func(struct{}) (struct{}, error) { return struct{}{}, nil },
		Start: func(context.Context, *ansible.Request, struct{}) (Job[string], error) { return j, nil }}
	req, err := ansible.NewRequest(d.Module(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, req
}

func TestCheckModeReportsThePredictedStateAndRunsNothing(t *testing.T) {
	f := runner.NewFake(t) // any command fails the test
	var log []string
	j := &fakeJob{log: &log}
	j.plan = &Plan[string]{Before: "before", After: "after",
		Steps: []Step{Command("make it", []string{"make", "it"}), Func("then this", "do this", j.logged("this"))}}
	res := execute(t, f, j, map[string]any{"_ansible_check_mode": true})
	if res["changed"] != true || res["state"] != "after" || len(log) != 0 || !j.closed {
		t.Errorf("check mode: %v, ran %v", res, log)
	}
	if msg := must[string](t, res, "msg"); msg != "check mode: 2 step(s) would run: make it; do this" {
		t.Errorf("msg: %q", msg)
	}
}

func TestAFailedStepIsUndoneInReverseUnderAnUncancelledContext(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect("make", "it")
	var log []string
	j := &fakeJob{log: &log}
	ctx, cancel := context.WithCancel(context.Background())
	undo := func(what string) func(context.Context) error {
		return func(c context.Context) error {
			if c.Err() != nil {
				t.Errorf("undo %s ran under a cancelled context", what)
			}
			log = append(log, "undo "+what)
			return nil
		}
	}
	failing := Func("start it", "start", func(context.Context) error { cancel(); log = append(log, "start"); return errors.New("boom") })
	failing.Undo = &Undo{Done: "stopped it", Do: undo("start"), EvenIfFailed: true}
	first := Command("make it", []string{"make", "it"})
	first.Undo = &Undo{Done: "unmade it", Do: undo("make")}
	never := Func("never", "never", j.logged("never"))
	never.Undo = &Undo{Do: undo("never")}
	j.plan = &Plan[string]{Before: "before", Rollback: true, Steps: []Step{first, failing, never}}
	d, req := definition(t, f, j)
	res, err := d.run(ctx, req)
	if want := []string{"start", "undo start", "undo make"}; !slices.Equal(log, want) {
		t.Errorf("ran %v, want %v", log, want)
	}
	var se *StepError
	if !errors.As(err, &se) || se.Index != 2 || se.Total != 3 || !strings.Contains(err.Error(), "step 2 of 3 (start it) failed: boom; 1 step(s) before it completed") {
		t.Fatalf("error: %v", err)
	}
	if j.recovered == nil || !slices.Equal(j.recovered.Restored, []string{"stopped it", "unmade it"}) || se.Rollback != j.recovered {
		t.Errorf("rollback: %+v", j.recovered)
	}
	if !res.Changed || !slices.Equal(must[[]string](t, res.Values, "actions"), []string{"make it"}) || res.Values["state"] != "reread" {
		t.Errorf("result: %+v", res)
	}
}

func TestAStepMustRunACommandOrAFunctionNotBoth(t *testing.T) {
	f := runner.NewFake(t)
	j := &fakeJob{}
	both := Command("both", []string{"true"})
	both.Do = func(context.Context) error { return nil }
	j.plan = &Plan[string]{Steps: []Step{both}}
	res := execute(t, f, j, map[string]any{})
	if res["failed"] != true || !strings.Contains(must[string](t, res, "msg"), "internal error") {
		t.Errorf("result: %v", res)
	}
}

// must is m[key] as a T; it fails the test, instead of panicking, when
// the value is missing or of another type.
func must[T any](t testing.TB, m map[string]any, key string) T {
	t.Helper()
	v, ok := m[key].(T)
	if !ok {
		t.Fatalf("%q is %T (%v), want a %T", key, m[key], m[key], v)
	}
	return v
}

// A signal during a step lets the step finish (an LVM command cut in the
// middle can leave a device suspended), then stops the run before the next
// step and undoes what was done.
func TestASignalLetsTheRunningStepFinishThenStopsAndUndoes(t *testing.T) {
	f := runner.NewFake(t)
	var log []string
	j := &fakeJob{log: &log}
	ctx, cancel := context.WithCancel(context.Background())
	first := Func("convert", "lvconvert", func(c context.Context) error {
		cancel() // SIGTERM arrives while the command runs
		if c.Err() != nil {
			t.Error("the running step saw the cancellation")
		}
		log = append(log, "converted")
		return nil
	})
	first.Undo = &Undo{Done: "unconverted", Do: func(c context.Context) error {
		if c.Err() != nil {
			t.Error("undo ran under a cancelled context")
		}
		log = append(log, "undo convert")
		return nil
	}}
	j.plan = &Plan[string]{Before: "before", Rollback: true, Steps: []Step{first, Func("next", "next", j.logged("next"))}}
	d, req := definition(t, f, j)
	_, err := d.run(ctx, req)
	if want := []string{"converted", "undo convert"}; !slices.Equal(log, want) {
		t.Errorf("ran %v, want %v", log, want)
	}
	var se *StepError
	if !errors.As(err, &se) || se.Index != 2 || !strings.Contains(err.Error(), "not started: the run was interrupted (context canceled)") {
		t.Errorf("error: %v", err)
	}
}

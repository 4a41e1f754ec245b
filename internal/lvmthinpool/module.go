package lvmthinpool

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/blockdev"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/runner"
)

// Module is lvm_thinpool reaching the machine through h.
func Module(h Host) ansible.Module {
	return ansible.Module{Name: Name, Spec: Spec(), Run: func(ctx context.Context, req *ansible.Request) (*ansible.Result, error) {
		return run(ctx, h, req)
	}}
}

// RealHost is this machine.
func RealHost() Host {
	return Host{
		Run:     runner.New(runner.Config{DefaultTimeout: 10 * time.Minute}),
		Resolve: blockdev.Resolve,
		Lock:    hostlock.At(hostlock.DefaultPath, hostlock.DefaultWait),
	}
}

func run(ctx context.Context, h Host, req *ansible.Request) (*ansible.Result, error) {
	c, err := ParseConfig(req.Params)
	if err != nil {
		return nil, err
	}
	// Held from the first read to the last, in check mode too: another
	// run changing the host meanwhile would make the plan wrong.
	release, err := h.Lock(ctx, hostlock.Self(Name, req.CheckMode))
	if err != nil {
		return nil, err
	}
	defer release()
	var obs *Observed
	if c.Absent {
		rep, err := lvm.Read(ctx, h.Run)
		if err != nil {
			return nil, err
		}
		obs = &Observed{LVM: rep}
	} else if obs, err = observe(ctx, h, c); err != nil {
		return nil, err
	}
	before := stateOf(obs.LVM, c.VG, c.Pool)

	var plan *Plan
	if c.Absent {
		plan, err = PlanAbsent(c, obs)
	} else {
		plan, err = PlanPresent(c, obs)
	}
	if err != nil {
		return nil, err
	}
	for _, w := range plan.Warnings {
		req.Warn(w)
	}
	res := &ansible.Result{Changed: len(plan.Actions) > 0}
	actions := make([]string, 0, len(plan.Actions))
	for _, a := range plan.Actions {
		actions = append(actions, a.String())
	}
	report := func(after PoolState, done []string) {
		res.Values = map[string]any{"thinpool": after, "actions": done}
		res.Facts = map[string]any{"directlvm_thinpool": after}
		res.Diff = &ansible.Diff{Before: before.diffView(), After: after.diffView(),
			BeforeHeader: c.VG + "/" + c.Pool + " (before)", AfterHeader: c.VG + "/" + c.Pool + " (after)"}
	}

	switch {
	case !res.Changed:
		report(before, actions)
		res.Msg = fmt.Sprintf("thin pool %s/%s is as requested", c.VG, c.Pool)
		if c.Absent {
			res.Msg = fmt.Sprintf("thin pool %s/%s is absent", c.VG, c.Pool)
		}
		return res, nil
	case req.CheckMode:
		after := plan.After
		if !c.Absent {
			after.DMName, after.DMPath = dmName(c.VG, c.Pool), "/dev/mapper/"+dmName(c.VG, c.Pool)
		}
		report(after, actions)
		res.Msg = fmt.Sprintf("check mode: %d command(s) would run: %s", len(actions), strings.Join(actions, "; "))
		return res, nil
	}

	var done []string
	for i, a := range plan.Actions {
		if _, err := h.Run.Run(ctx, runner.Cmd{Argv: a.Argv}); err != nil {
			after := before
			if rep, rerr := lvm.Read(context.WithoutCancel(ctx), h.Run); rerr == nil {
				after = stateOf(rep, c.VG, c.Pool)
			}
			report(after, done)
			return res, fmt.Errorf("step %d of %d (%s) failed: %w; %d step(s) before it completed; fix the cause and run again: the module continues from the state it finds",
				i+1, len(plan.Actions), a.Why, err, len(done))
		}
		done = append(done, a.String())
	}

	rep, err := lvm.Read(ctx, h.Run)
	if err != nil {
		report(before, done)
		return res, fmt.Errorf("all %d step(s) ran, but re-reading the state failed: %w", len(done), err)
	}
	after := stateOf(rep, c.VG, c.Pool)
	report(after, done)
	if err := verify(c, after); err != nil {
		return res, err
	}
	if c.Absent {
		res.Msg = fmt.Sprintf("thin pool %s/%s removed", c.VG, c.Pool)
	} else {
		res.Msg = fmt.Sprintf("thin pool %s ready: %s data, %s metadata on %s", after.DMPath,
			lvm.HumanBytes(after.SizeBytes), lvm.HumanBytes(after.MetadataSizeBytes), strings.Join(after.Devices, ", "))
	}
	return res, nil
}

// verify checks the re-read state against the request.
func verify(c Config, s PoolState) error {
	var errs []error
	if c.Absent {
		if s.Present {
			errs = append(errs, fmt.Errorf("thin pool %s/%s is still present after removal", c.VG, c.Pool))
		}
		return errors.Join(errs...)
	}
	if !s.Present {
		return fmt.Errorf("the commands ran but LVM reports no thin pool %s/%s", c.VG, c.Pool)
	}
	if s.ChunkSizeBytes != c.ChunkSizeBytes || s.Zero != c.Zero {
		errs = append(errs, fmt.Errorf("thin pool %s/%s has chunk size %s and zero=%v after creation, requested %s and zero=%v",
			c.VG, c.Pool, lvm.FormatBytes(s.ChunkSizeBytes), s.Zero, lvm.FormatBytes(c.ChunkSizeBytes), c.Zero))
	}
	return errors.Join(errs...)
}

// dmName is device-mapper's name for vg/lv: each "-" inside a name doubled,
// the two joined by "-".
func dmName(vg, lv string) string {
	return strings.ReplaceAll(vg, "-", "--") + "-" + strings.ReplaceAll(lv, "-", "--")
}

package lvmthinpool

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvmvg"
	"github.com/directlvm/docker/internal/module"
)

// Module is lvm_thinpool reaching the machine through h.
func Module(h Host) ansible.Module {
	return module.Definition[Options, Config, PoolState]{Name: Name, Spec: Spec(), ResultKey: "thinpool", FactKey: "directlvm_thinpool",
		Lock: h.Lock, Run: h.Run, Parse: ParseConfig, Start: func(ctx context.Context, req *ansible.Request, c Config) (module.Job[PoolState], error) {
			return start(ctx, h, req, c)
		}}.Module()
}

// RealHost is this machine.
func RealHost() Host { return lvmvg.RealHost() }

// job is one run: the request, the host and the plan.
type job struct {
	h    Host
	c    Config
	plan *Plan
}

// start observes the host and plans.
func start(ctx context.Context, h Host, req *ansible.Request, c Config) (module.Job[PoolState], error) {
	j := &job{h: h, c: c}
	if c.Absent {
		obs, err := observeForRemoval(ctx, h, c)
		if err != nil {
			return nil, err
		}
		if j.plan, err = PlanAbsent(c, obs); err != nil {
			return nil, err
		}
		return j, nil
	}
	obs, err := observe(ctx, h, c, req.CheckMode)
	if err != nil {
		return nil, err
	}
	if j.plan, err = PlanPresent(c, obs); err != nil {
		return nil, err
	}
	j.plan.Warnings = append(obs.Warnings, j.plan.Warnings...)
	return j, nil
}

func (j *job) Plan() *Plan { return j.plan }
func (j *job) Close()      {}

func (j *job) Reread(ctx context.Context) (PoolState, error) {
	rep, err := lvm.Read(ctx, j.h.Run)
	if err != nil {
		return PoolState{}, err
	}
	return stateOf(rep, j.c.VG, j.c.Pool), nil
}

func (j *job) Verify(_ context.Context, after PoolState) error { return verify(j.c, after) }

func (j *job) Diff(before, after PoolState) *ansible.Diff {
	name := j.c.VG + "/" + j.c.Pool
	return &ansible.Diff{Before: before.diffView(), After: after.diffView(),
		BeforeHeader: name + " (before)", AfterHeader: name + " (after)"}
}

func (j *job) Summary(after PoolState) string {
	if j.c.Absent {
		return fmt.Sprintf("thin pool %s/%s removed", j.c.VG, j.c.Pool)
	}
	return fmt.Sprintf("thin pool %s ready: %s data, %s metadata on %s", after.DMPath,
		lvm.HumanBytes(after.SizeBytes), lvm.HumanBytes(after.MetadataSizeBytes), strings.Join(after.Devices, ", "))
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

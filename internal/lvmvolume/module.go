package lvmvolume

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvmvg"
	"github.com/directlvm/docker/internal/module"
	"github.com/directlvm/docker/internal/systemd"
	"github.com/directlvm/docker/internal/xfs"
)

// Module is lvm_volume reaching the machine through h.
func Module(h Host) ansible.Module {
	return module.Definition[Options, Config, VolumeState]{Name: Name, Spec: Spec(), ResultKey: "volume", FactKey: "directlvm_volume",
		Lock: h.Lock, Run: h.Run, Parse: ParseConfig, Start: func(ctx context.Context, req *ansible.Request, c Config) (module.Job[VolumeState], error) {
			return start(ctx, h, req, c)
		}}.Module()
}

// RealHost is this machine.
func RealHost() Host {
	return Host{Host: lvmvg.RealHost(), Units: systemd.ConnectAs[Units]}
}

type job struct {
	h    Host
	c    Config
	plan *Plan
}

func start(ctx context.Context, h Host, req *ansible.Request, c Config) (module.Job[VolumeState], error) {
	c.CheckMode = req.CheckMode
	obs, err := observe(ctx, h, c, req.CheckMode)
	if err != nil {
		return nil, err
	}
	j := &job{h: h, c: c}
	if j.plan, err = PlanPresent(c, obs, h.Run); err != nil {
		return nil, err
	}
	j.plan.Warnings = append(obs.Warnings, j.plan.Warnings...)
	return j, nil
}

func (j *job) Plan() *Plan { return j.plan }
func (j *job) Close()      {}

func (j *job) Reread(ctx context.Context) (VolumeState, error) {
	rep, err := lvm.Read(ctx, j.h.Run)
	if err != nil {
		return VolumeState{}, err
	}
	vol, fs, err := readVolume(ctx, j.h, rep, j.c)
	if err != nil {
		return VolumeState{}, err
	}
	return stateOf(rep, j.c, vol, fs), nil
}

func (j *job) Verify(_ context.Context, s VolumeState) error {
	name := j.c.VG + "/" + j.c.LV
	var errs []error
	switch {
	case !s.Present:
		return fmt.Errorf("the commands ran but LVM reports no volume %s", name)
	case s.FSType != "xfs":
		errs = append(errs, fmt.Errorf("volume %s holds %q after the run, not an XFS filesystem", name, s.FSType))
	case !s.FType:
		errs = append(errs, fmt.Errorf("the XFS filesystem on %s has no d_type (ftype=0) after the run", name))
	case s.SizeBytes-s.FSSizeBytes >= xfs.MinGrowBytes:
		errs = append(errs, fmt.Errorf("the XFS filesystem on %s is %s, the volume %s: it did not grow", name,
			lvm.HumanBytes(s.FSSizeBytes), lvm.HumanBytes(s.SizeBytes)))
	}
	return errors.Join(errs...)
}

func (j *job) Diff(before, after VolumeState) *ansible.Diff {
	name := j.c.VG + "/" + j.c.LV
	return &ansible.Diff{Before: before.diffView(), After: after.diffView(),
		BeforeHeader: name + " (before)", AfterHeader: name + " (after)"}
}

func (j *job) Summary(s VolumeState) string {
	where := "not mounted"
	if len(s.Mountpoints) > 0 {
		where = "mounted at " + strings.Join(s.Mountpoints, ", ")
	}
	return fmt.Sprintf("volume %s ready: %s, XFS %s, %s, on %s", s.DMPath, lvm.HumanBytes(s.SizeBytes),
		lvm.HumanBytes(s.FSSizeBytes), where, strings.Join(s.Devices, ", "))
}

package lvmvolume

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvmvg"
	"github.com/directlvm/docker/internal/module"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/xfs"
)

// Plan is what a run will do (or, in check mode, would do).
type Plan = module.Plan[VolumeState]

func refuse(format string, args ...any) error { return module.Refuse(format, args...) }

// planner accumulates a plan while tracking the VG as the plan changes it.
type planner struct {
	c    Config
	obs  *Observed
	run  runner.Runner
	plan Plan
	vg   lvm.VG
	name string // vg/lv
	// sizeBytes is the volume's size once the plan has run.
	sizeBytes int64
}

func (p *planner) add(why string, argv []string) { p.plan.Add(module.Command(why, argv)) }

func (p *planner) bytes(extents int64) string { return lvm.HumanBytes(extents * p.vg.ExtentSizeBytes) }

// PlanPresent plans the volume and its filesystem on the observed host; run
// is what a step that is not one command (growing an unmounted XFS) runs
// its commands with.
func PlanPresent(c Config, obs *Observed, run runner.Runner) (*Plan, error) {
	p := &planner{c: c, obs: obs, run: run, name: c.VG + "/" + c.LV}
	p.plan.Before = stateOf(obs.LVM, c, obs.Volume, obs.FS)
	vgp, err := lvmvg.PlanVG(lvmvg.Request{VG: c.VG, Force: c.Force, Grow: c.Grow}, obs.LVM, obs.Devices)
	if err != nil {
		return nil, err
	}
	p.plan.Add(vgp.Steps...)
	p.plan.Warnings = append(p.plan.Warnings, vgp.Warnings...)
	p.vg = vgp.VG
	if obs.Pool != nil {
		if err := p.replacePool(obs.Pool); err != nil {
			return nil, err
		}
	}
	if lv, ok := obs.LVM.LV(c.VG, c.LV); ok {
		err = p.existing(lv)
	} else {
		err = p.create()
	}
	if err != nil {
		return nil, err
	}
	p.plan.After = p.after()
	p.plan.Unchanged = fmt.Sprintf("volume %s with its XFS filesystem is as requested", p.name)
	return &p.plan, nil
}

// create makes the volume and its filesystem.
func (p *planner) create() error {
	ext := p.c.Size.Extents(p.vg)
	switch {
	case ext == 0 || ext*p.vg.ExtentSizeBytes < minXFSBytes:
		return refuse("size=%s gives %s of volume group %s, less than the 300 MiB mkfs.xfs needs: give a larger size or add a disk",
			p.c.Size, p.bytes(ext), p.c.VG)
	case ext > p.vg.FreeExtents:
		return refuse("volume %s does not fit in volume group %s: size=%s needs %s but the VG has %s free; lower size (e.g. 100%%FREE) or add a disk",
			p.name, p.c.VG, p.c.Size, p.bytes(ext), p.bytes(p.vg.FreeExtents))
	}
	p.add("create the volume "+p.name, lvm.LVCreate(p.c.VG, p.c.LV, p.c.Size, p.c.WipeSignatures, OwnerTag))
	p.add("make an XFS filesystem with d_type (ftype=1) on it", xfs.MkfsArgv(p.devPath()))
	p.vg.FreeExtents -= ext
	p.sizeBytes = ext * p.vg.ExtentSizeBytes
	return nil
}

// existing checks a volume that is there, finishes its filesystem when an
// interrupted run made none, and grows both with the VG.
func (p *planner) existing(lv lvm.LV) error {
	if !lv.Attr.Plain() {
		return refuse("%s exists but is not a plain volume (lv_attr %s, segment type %s): it is left alone; choose another lv name",
			p.name, lv.Attr, lv.Segtype)
	}
	if p.obs.Volume == nil {
		return refuse("volume %s exists but is not active, so what it holds cannot be read: activate it (lvchange -ay %s) and run again", p.name, p.name)
	}
	p.sizeBytes = lv.SizeBytes
	switch types := p.obs.Volume.SignatureTypes(); {
	case p.obs.FS != nil && !p.obs.FS.FType:
		return refuse("the XFS filesystem on %s was made without d_type (ftype=0), which overlay2 cannot use: make it again with mkfs.xfs -n ftype=1 once its data is saved elsewhere",
			p.name)
	case p.obs.FS == nil && len(types) > 0:
		return refuse("volume %s carries a %s signature: it holds data this module did not make; it is left alone: choose another lv name, or remove the volume yourself (lvremove %s) once its data is not needed",
			p.name, strings.Join(types, ", "), p.name)
	case p.obs.FS == nil && !lv.HasTag(OwnerTag) && !p.c.Force:
		return refuse("volume %s exists, holds no filesystem and was not made by this module: give force=true to make XFS on it, or choose another lv name", p.name)
	case p.obs.FS == nil:
		p.add("make an XFS filesystem with d_type (ftype=1) on it (an earlier run stopped before)", xfs.MkfsArgv(p.devPath()))
		return p.growVolume(lv)
	}
	if err := p.growVolume(lv); err != nil {
		return err
	}
	if p.sizeBytes-p.obs.FS.SizeBytes >= xfs.MinGrowBytes {
		p.growFS()
	}
	return nil
}

// growVolume extends the volume to its share of the VG (only sizes given
// as %VG grow). It never shrinks one.
func (p *planner) growVolume(lv lvm.LV) error {
	if !p.c.Grow || p.c.Size.Of != "VG" {
		return nil
	}
	cur, want := lv.SizeBytes/p.vg.ExtentSizeBytes, p.c.Size.Extents(p.vg)
	if want <= cur {
		return nil
	}
	if want-cur > p.vg.FreeExtents {
		p.plan.Warn("volume %s is smaller than size=%s of volume group %s, but the VG has only %s free: not grown; add a disk",
			p.name, p.c.Size, p.c.VG, p.bytes(p.vg.FreeExtents))
		return nil
	}
	p.add(fmt.Sprintf("grow the volume to size=%s", p.c.Size), lvm.ExtendToExtents(p.c.VG, p.c.LV, want))
	p.vg.FreeExtents -= want - cur
	p.sizeBytes = want * p.vg.ExtentSizeBytes
	return nil
}

// growFS grows the XFS to fill the volume: where it is mounted, or, when
// it is not, through a mount of its own for the time of xfs_growfs (XFS
// grows only while mounted).
func (p *planner) growFS() {
	if mounts := p.obs.Volume.Mountpoints; len(mounts) > 0 {
		p.add("grow the XFS filesystem to fill the volume", xfs.GrowfsArgv(mounts[0]))
		return
	}
	dev, run := p.devPath(), p.run
	p.plan.Add(module.Func("grow the XFS filesystem to fill the volume (mounted for that time only)",
		"mount -t xfs "+dev+" DIR; xfs_growfs DIR; umount DIR",
		func(ctx context.Context) error { return growUnmounted(ctx, run, dev) }))
}

// growUnmounted mounts dev in a directory of its own, grows it, and
// unmounts it, whatever happened.
func growUnmounted(ctx context.Context, run runner.Runner, dev string) (err error) {
	dir, err := os.MkdirTemp("/run", "directlvm-growfs-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	if _, err := run.Run(ctx, runner.Command("mount", "-t", "xfs", dev, dir)); err != nil {
		return err
	}
	defer func() {
		if _, uerr := run.Run(context.WithoutCancel(ctx), runner.Command("umount", dir)); uerr != nil && err == nil {
			err = uerr
		}
	}()
	_, err = run.Run(ctx, runner.Command(xfs.GrowfsArgv(dir)...))
	return err
}

// devPath is the volume's device as LVM links it.
func (p *planner) devPath() string { return "/dev/" + p.c.VG + "/" + p.c.LV }

// after predicts the volume the plan leads to: its filesystem fills it.
func (p *planner) after() VolumeState {
	s := p.plan.Before
	s.Present, s.SizeBytes, s.FSType, s.FType = true, p.sizeBytes, "xfs", true
	if p.obs.FS == nil || p.sizeBytes-p.obs.FS.SizeBytes >= xfs.MinGrowBytes {
		s.FSSizeBytes = p.sizeBytes
	}
	s.ReplacesThinpool = ""
	s.Devices = append([]string{}, s.Devices...)
	for _, d := range p.obs.Devices {
		if !slices.Contains(s.Devices, d.Path) {
			s.Devices = append(s.Devices, d.Path)
		}
	}
	return s
}

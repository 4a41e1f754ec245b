// Package lvmvg is the volume group on the disks a module is given: it
// reads what stands on each disk and plans the commands that make them one
// VG (pvcreate, vgcreate, vgextend, pvresize), refusing any disk that is
// unsafe to take. lvm_thinpool builds its pool on it, lvm_volume its
// filesystem's LV.
package lvmvg

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/blockdev"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/module"
	"github.com/directlvm/docker/internal/runner"
)

// Host is how an LVM module reaches the machine: commands through the
// runner, device paths through Resolve (blockdev.Resolve on a real host),
// and the lock that keeps other runs of the collection off the host
// meanwhile.
type Host struct {
	Run     runner.Runner
	Resolve func(path string) (string, error)
	Lock    hostlock.Lock
}

// RealHost is this machine.
func RealHost() Host {
	return Host{
		Run:     runner.New(runner.Config{DefaultTimeout: 10 * time.Minute}),
		Resolve: blockdev.Resolve,
		Lock:    hostlock.At(hostlock.DefaultPath, hostlock.DefaultWait),
	}
}

// Device is one requested device and what stands on it. Disk is read only
// for devices that are not PVs yet: a PV of our VG is ours, and an orphan
// PV holds no data.
type Device struct {
	Given string
	Path  string
	PV    *lvm.PV
	Disk  *blockdev.Device
}

// Observe resolves each requested device and reads what stands on it: its
// PV in LVM's report, or, for a disk that is not a PV yet, lsblk and
// wipefs. A device that does not exist or is not a block device fails
// here, before anything is planned.
func Observe(ctx context.Context, run runner.Runner, resolve func(string) (string, error), rep *lvm.Report, devices []string) ([]Device, error) {
	var out []Device
	for _, given := range devices {
		path, err := resolve(given)
		if err != nil {
			return nil, err
		}
		d := Device{Given: given, Path: path}
		if pv, ok := pvOnDevice(rep, resolve, path); ok {
			d.PV = &pv
		} else if d.Disk, err = blockdev.Inspect(ctx, run, given, path); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// pvOnDevice finds the PV on the device path (canonical) names, however LVM
// names it: a multipath or LUKS device is /dev/mapper/NAME in LVM's report
// and /dev/dm-N once resolved.
func pvOnDevice(rep *lvm.Report, resolve func(string) (string, error), path string) (lvm.PV, bool) {
	if pv, ok := rep.PV(path); ok {
		return pv, true
	}
	for _, pv := range rep.PVs {
		if real, err := resolve(pv.Name); err == nil && real == path {
			return pv, true
		}
	}
	return lvm.PV{}, false
}

// Request is what the VG must become.
type Request struct {
	VG string
	// Force lets a disk with an empty partition table or a filesystem be
	// wiped (blockdev.Device.CheckSafe says what it never takes).
	Force bool
	// Grow takes listed disks not in the VG yet, and the space a disk of
	// the VG gained in place; without it they are left alone, with a
	// warning.
	Grow bool
}

// Default LVM geometry for a VG that does not exist yet: 4 MiB extents and
// the first 1 MiB of each PV for its label and metadata area (pe_start).
const (
	DefaultExtentBytes = 4 << 20
	DefaultPEStart     = 1 << 20
)

// Plan is the VG's part of a module's plan.
type Plan struct {
	Steps    []module.Step
	Warnings []string
	// VG is the volume group as it will be once Steps have run: its
	// extents and free extents count what the plan adds.
	VG lvm.VG
	// Exists says the VG exists before the plan.
	Exists bool
}

func refuse(format string, args ...any) error { return module.Refuse(format, args...) }

// PlanVG makes every requested device a PV of the VG, refusing any that is
// unsafe to take, and refuses a VG that holds PVs not requested.
func PlanVG(req Request, rep *lvm.Report, devices []Device) (*Plan, error) {
	p := &Plan{}
	vg, vgExists := rep.VG(req.VG)
	p.VG, p.Exists = vg, vgExists
	if !vgExists {
		p.VG = lvm.VG{Name: req.VG, ExtentSizeBytes: DefaultExtentBytes}
	}
	add := func(why string, argv []string) { p.Steps = append(p.Steps, module.Command(why, argv)) }
	human := func(extents int64) string { return lvm.HumanBytes(extents * p.VG.ExtentSizeBytes) }
	seen := map[string]string{}
	var pvcreate, join, grown []string
	var grownBy int64
	for _, d := range devices {
		if first, dup := seen[d.Path]; dup {
			return nil, refuse("devices %s and %s are the same disk (%s): list it once", first, d.Given, d.Path)
		}
		seen[d.Path] = d.Given
		switch {
		case d.PV != nil && d.PV.VG == req.VG:
			if n := d.PV.GrownExtents(p.VG.ExtentSizeBytes); n > 0 {
				grown = append(grown, d.Path)
				grownBy += n
				p.VG.ExtentCount += n
				p.VG.FreeExtents += n
			}
			continue
		case d.PV != nil && d.PV.VG != "":
			return nil, refuse("device %s (%s) is a physical volume of volume group %s, not %s: it is never taken from another VG; pick another disk, or move it out of %s yourself (vgreduce %s %s)",
				d.Given, d.Path, d.PV.VG, req.VG, d.PV.VG, d.PV.VG, d.Path)
		case d.PV != nil: // an orphan PV, e.g. from an interrupted run
			join = append(join, d.Path)
			p.VG.ExtentCount += extentsOf(d.PV.SizeBytes-DefaultPEStart, p.VG)
		default:
			if err := d.Disk.CheckSafe(req.Force); err != nil {
				return nil, &module.Refusal{Msg: err.Error()}
			}
			if len(d.Disk.Signatures) > 0 {
				add(fmt.Sprintf("force: erase the %s signature(s) on %s", strings.Join(d.Disk.SignatureTypes(), ", "), d.Given), blockdev.WipeArgv(d.Path))
			}
			pvcreate = append(pvcreate, d.Path)
			join = append(join, d.Path)
			p.VG.ExtentCount += extentsOf(d.Disk.SizeBytes-DefaultPEStart, p.VG)
		}
	}
	if vgExists {
		var foreign []string
		for _, pv := range rep.PVsOf(req.VG) {
			if _, listed := seen[pv]; !listed {
				foreign = append(foreign, pv)
			}
		}
		if len(foreign) > 0 {
			return nil, refuse("volume group %s also has PV(s) %s that are not in devices: add them to devices (this module never removes a PV from a VG)",
				req.VG, strings.Join(foreign, ", "))
		}
	}
	if (len(join) > 0 || len(grown) > 0) && vgExists && !req.Grow {
		if len(join) > 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("device(s) %s are not in volume group %s and grow=false: left alone", strings.Join(join, ", "), req.VG))
		}
		if len(grown) > 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("device(s) %s of volume group %s grew by %s that LVM does not use, and grow=false: left alone (pvresize would take it)",
				strings.Join(grown, ", "), req.VG, human(grownBy)))
		}
		p.VG = vg
		p.Steps = nil
		return p, nil
	}
	for _, dev := range grown {
		add(fmt.Sprintf("use the space %s gained (the disk grew in place)", dev), lvm.PVResize(dev))
	}
	if len(pvcreate) > 0 {
		add("initialise the new disk(s) as LVM physical volumes", lvm.PVCreate(pvcreate...))
	}
	switch {
	case !vgExists:
		add("create volume group "+req.VG, lvm.VGCreate(req.VG, join...))
		p.VG.FreeExtents = p.VG.ExtentCount
	case len(join) > 0:
		add("add the new disk(s) to volume group "+req.VG, lvm.VGExtend(req.VG, join...))
		p.VG.FreeExtents += p.VG.ExtentCount - vg.ExtentCount
	}
	return p, nil
}

func extentsOf(bytes int64, vg lvm.VG) int64 {
	if bytes <= 0 {
		return 0
	}
	return bytes / vg.ExtentSizeBytes
}

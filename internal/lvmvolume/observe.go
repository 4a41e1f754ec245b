package lvmvolume

import (
	"context"

	"github.com/directlvm/docker/internal/blockdev"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvmvg"
	"github.com/directlvm/docker/internal/xfs"
)

// Host is how the module reaches the machine: LVM and the disks
// (lvmvg.Host), and systemd's units, read only when a thin pool is to be
// replaced (replace.go).
type Host struct {
	lvmvg.Host
	Units func(ctx context.Context) (Units, error)
}

// Observed is the host's state as far as this module cares.
type Observed struct {
	LVM     *lvm.Report
	Devices []lvmvg.Device
	// Volume is what stands on the LV when it exists and is active: its
	// signatures and mounts (lsblk, wipefs), and FS its XFS superblock
	// when it has one.
	Volume *blockdev.Device
	FS     *xfs.Superblock
	// Pool is the thin pool replaces_thinpool names, while it exists.
	Pool *replacedPool
	// Warnings are what observing found worth saying.
	Warnings []string
}

// observe reads the state: one LVM report, the requested disks, and the
// volume's filesystem. In check mode, a host without LVM's tools yet is
// planned as one without LVM state, with a warning.
func observe(ctx context.Context, h Host, c Config, checkMode bool) (*Observed, error) {
	rep, warning, err := lvm.ReadPlanning(ctx, h.Run, checkMode)
	if err != nil {
		return nil, err
	}
	obs := &Observed{LVM: rep}
	if warning != "" {
		obs.Warnings = append(obs.Warnings, warning)
	}
	if obs.Devices, err = lvmvg.Observe(ctx, h.Run, h.Resolve, rep, c.Devices); err != nil {
		return nil, err
	}
	if obs.Pool, err = observePool(ctx, h, rep, c); err != nil {
		return nil, err
	}
	obs.Volume, obs.FS, err = readVolume(ctx, h, rep, c)
	return obs, err
}

// readVolume reads what stands on vg/lv: nothing when it does not exist or
// is not active (an inactive LV has no device to read).
func readVolume(ctx context.Context, h Host, rep *lvm.Report, c Config) (*blockdev.Device, *xfs.Superblock, error) {
	lv, ok := rep.LV(c.VG, c.LV)
	if !ok || !lv.Active || lv.DMPath == "" {
		return nil, nil, nil
	}
	dev, err := h.Resolve(lv.DMPath)
	if err != nil {
		return nil, nil, err
	}
	d, err := blockdev.Inspect(ctx, h.Run, lv.DMPath, dev)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range d.SignatureTypes() {
		if s == "xfs" {
			mountpoint := ""
			if len(d.Mountpoints) > 0 {
				mountpoint = d.Mountpoints[0]
			}
			sb, err := xfs.Read(ctx, h.Run, lv.DMPath, mountpoint)
			if err != nil {
				return nil, nil, err
			}
			return d, &sb, nil
		}
	}
	return d, nil, nil
}

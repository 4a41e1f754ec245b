package lvmthinpool

import (
	"context"
	"errors"

	"github.com/directlvm/docker/internal/dmsetup"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvmvg"
)

// Observed is the host's state as far as this module cares.
type Observed struct {
	LVM     *lvm.Report
	Devices []Device
	// PoolUse is the pool's thin-pool status from device-mapper, read for
	// state=absent: what it holds beyond LVM's own thin volumes (docker's
	// thin devices are not LVM volumes). Nil when the pool is not active.
	PoolUse *dmsetup.ThinPool
	// Warnings are what observing found worth saying.
	Warnings []string
}

// Device is one requested device and what stands on it (lvmvg).
type Device = lvmvg.Device

// Host is how the module reaches the machine (lvmvg.Host).
type Host = lvmvg.Host

// observeForRemoval reads what removal needs: the LVM report and, when the
// pool exists and is active, what device-mapper says it holds.
func observeForRemoval(ctx context.Context, h Host, c Config) (*Observed, error) {
	rep, err := lvm.Read(ctx, h.Run)
	if err != nil {
		return nil, err
	}
	obs := &Observed{LVM: rep}
	if _, ok := rep.LV(c.VG, c.Pool); !ok {
		return obs, nil
	}
	switch use, err := dmsetup.ReadPoolOf(ctx, h.Run, lvm.DMName(c.VG, c.Pool)); {
	case err == nil:
		obs.PoolUse = &use
	case !errors.Is(err, dmsetup.ErrNotFound):
		return nil, err
	}
	return obs, nil
}

// observe reads the state: one LVM report, and for each requested device
// that is not a PV yet, lsblk and wipefs. A device that does not exist or
// is not a block device fails here, before anything is planned.
// In check mode, a host without LVM's tools yet is planned as one without
// LVM state, with a warning (lvm.ReadPlanning).
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
	return obs, nil
}

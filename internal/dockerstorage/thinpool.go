package dockerstorage

import (
	"context"
	"errors"
	"fmt"

	"github.com/directlvm/docker/internal/dmsetup"
	"github.com/directlvm/docker/internal/runner"
)

// PoolStatus is what device-mapper says about thinpool_device.
type PoolStatus struct {
	DMName string
	Exists bool
	// Target is the device's target type: "thin-pool" for a pool.
	Target string
	// For a thin pool (dmsetup status, thin-pool target: "<transaction id>
	// <used>/<total metadata blocks> <used>/<total data blocks> ..."):
	TransactionID  uint64
	UsedDataBlocks uint64
	// TpoolTarget is the target of NAME-tpool when NAME is not a thin pool:
	// LVM shows a pool that holds thin volumes under that name.
	TpoolTarget string
}

// readPool reads the pool's status, and that of NAME-tpool when NAME is
// some other device.
func readPool(ctx context.Context, r runner.Runner, name string) (*PoolStatus, error) {
	p := &PoolStatus{DMName: name}
	st, err := dmsetup.ReadStatus(ctx, r, name)
	if errors.Is(err, dmsetup.ErrNotFound) {
		return p, nil
	} else if err != nil {
		return p, fmt.Errorf("reading thin pool %s: %w", name, err)
	}
	p.Exists, p.Target = true, st.Target
	if st.Target == "thin-pool" {
		pool, err := dmsetup.ParseThinPool(st)
		if errors.Is(err, dmsetup.ErrPoolFailed) {
			return p, refuse("thin pool %s has failed: %v; docker cannot use it: repair it first (lvconvert --repair VG/POOL, thin_check), or give another pool", name, err)
		} else if err != nil {
			return p, fmt.Errorf("reading thin pool %s: %w", name, err)
		}
		p.TransactionID, p.UsedDataBlocks = pool.TransactionID, pool.UsedDataBlocks
		return p, nil
	}
	switch tpool, err := dmsetup.ReadStatus(ctx, r, name+"-tpool"); {
	case err == nil:
		p.TpoolTarget = tpool.Target
	case !errors.Is(err, dmsetup.ErrNotFound):
		return p, fmt.Errorf("reading thin pool %s: %w", name, err)
	}
	return p, nil
}

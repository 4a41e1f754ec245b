package dockerstorage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/directlvm/docker/internal/dmsetup"
	"github.com/directlvm/docker/internal/docker"
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

// empty says that docker has not used the pool: no thin device was ever
// created in it (transaction ID 0) and no data block is in use. Only such
// a pool is given back empty after a failed attempt: whatever is in it
// then came from that attempt.
func (p *PoolStatus) empty() bool {
	return p != nil && p.Exists && p.Target == "thin-pool" && p.TransactionID == 0 && p.UsedDataBlocks == 0
}

// giveBackPool undoes what a failed attempt's dockerd did to a pool that
// was empty before it: docker takes only an empty pool, or one its own
// metadata describes, and the rollback moves that metadata away with the
// failed data root, so a pool left as dockerd made it would refuse every
// later run ("Unable to take ownership of thin-pool"). docker must be
// stopped. It removes the attempt's active thin devices, deletes the thin
// devices docker recorded in dataRoot's devicemapper metadata, resets the
// transaction ID to 0, and checks that the pool is empty again. It returns
// how many thin devices it deleted.
func giveBackPool(ctx context.Context, r runner.Runner, pool, dataRoot string) (int, error) {
	active, err := dmsetup.ThinDevicesOf(ctx, r, pool)
	if err != nil {
		return 0, err
	}
	for _, name := range active {
		if err := dmsetup.Remove(ctx, r, name); err != nil {
			return 0, err
		}
	}
	ids, idsErr := docker.DevicemapperDeviceIDs(os.DirFS(filepath.Join(dataRoot, "devicemapper", "metadata")))
	deleted := 0
	for _, id := range ids {
		// An ID docker handed out but whose device it never created (or
		// already deleted) is refused by the pool: nothing to delete.
		if dmsetup.Message(ctx, r, pool, fmt.Sprintf("delete %d", id)) == nil {
			deleted++
		}
	}
	st, err := dmsetup.ReadPoolOf(ctx, r, pool)
	if err != nil {
		return deleted, err
	}
	if st.TransactionID != 0 {
		if err := dmsetup.Message(ctx, r, pool, fmt.Sprintf("set_transaction_id %d 0", st.TransactionID)); err != nil {
			return deleted, err
		}
		if st, err = dmsetup.ReadPoolOf(ctx, r, pool); err != nil {
			return deleted, err
		}
	}
	if st.TransactionID != 0 || st.UsedDataBlocks != 0 {
		why := ""
		if idsErr != nil {
			why = fmt.Sprintf(" (docker's record of its devices could not be read: %v)", idsErr)
		}
		return deleted, fmt.Errorf("thin pool %s still holds %d used data blocks (transaction ID %d) after deleting the %d thin device(s) the failed attempt made%s; docker will refuse it: remove and recreate it (lvremove, then directlvm.docker.lvm_thinpool) before the next run",
			pool, st.UsedDataBlocks, st.TransactionID, deleted, why)
	}
	return deleted, nil
}

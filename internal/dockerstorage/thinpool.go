package dockerstorage

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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

// dmsetupStatus asks device-mapper for one device's status. Exit status 1
// with "Device does not exist." means there is no such device.
func dmsetupStatus(name string) []string { return []string{"dmsetup", "status", name} }

// readPool reads the pool's status, and that of NAME-tpool when NAME is
// some other device.
func readPool(ctx context.Context, r runner.Runner, name string) (*PoolStatus, error) {
	p := &PoolStatus{DMName: name}
	target, fields, exists, err := statusOf(ctx, r, name)
	if err != nil || !exists {
		return p, err
	}
	p.Exists, p.Target = true, target
	if target == "thin-pool" {
		if len(fields) >= 3 {
			p.TransactionID, _ = strconv.ParseUint(fields[0], 10, 64)
			used, _, _ := strings.Cut(fields[2], "/")
			p.UsedDataBlocks, _ = strconv.ParseUint(used, 10, 64)
		}
		return p, nil
	}
	if t, _, ok, err := statusOf(ctx, r, name+"-tpool"); err == nil && ok {
		p.TpoolTarget = t
	}
	return p, nil
}

// statusOf runs dmsetup status and returns the first segment's target type
// and the target's own fields.
func statusOf(ctx context.Context, r runner.Runner, name string) (target string, fields []string, exists bool, err error) {
	res, err := r.Run(ctx, runner.Command(dmsetupStatus(name)...))
	if err != nil {
		if runner.ExitCodeOf(err) == 1 && strings.Contains(string(res.Stderr)+string(res.Stdout), "does not exist") {
			return "", nil, false, nil
		}
		return "", nil, false, fmt.Errorf("reading thin pool %s: %w", name, err)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(res.Stdout)), "\n")
	// "<start> <length> <target> <target fields...>"
	f := strings.Fields(line)
	if len(f) < 3 {
		return "", nil, false, fmt.Errorf("reading thin pool %s: unexpected dmsetup status output %q", name, line)
	}
	return f[2], f[3:], true, nil
}

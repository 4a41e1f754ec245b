package guest

import (
	"context"
	"fmt"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

// Reinstall powers the guest whose state is in stateDir off and boots it
// again from img (another Debian release) on the same data disks, as they
// were: a host reinstalled with a newer release whose data disks are kept.
// The guests have no network, so this is how a test gets a newer docker
// onto the data a host's older docker wrote. The new guest answers on the
// same SSH port with the same key file, so an inventory that reached the
// old one reaches it, and restarts on reboot if the old one did. On error nothing is left running.
func Reinstall(ctx context.Context, r runner.Runner, stateDir string, img Image, logf func(string, ...any)) (*VM, error) {
	old, err := Load(stateDir)
	if err != nil {
		return nil, err
	}
	if !old.Alive() {
		return nil, fmt.Errorf("no guest runs from %s (pid %d): nothing to reinstall", stateDir, old.PID)
	}
	start := time.Now()
	if err := old.Attach(r).PowerOff(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	logf("guest powered off in %s, disks kept", time.Since(start).Round(100*time.Millisecond))
	return Boot(ctx, r, Options{Image: img, StateDir: old.StateDir, Disks: old.Disks, SSHPort: old.SSHPort, Reboot: old.Reboot}, logf)
}

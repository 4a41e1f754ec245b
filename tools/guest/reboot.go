package guest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

// BootID is the guest kernel's boot ID: it changes with every boot, so a
// test can tell that the guest really restarted.
func (vm *VM) BootID(ctx context.Context) (string, error) {
	res, err := vm.SSH(ctx, runner.Cmd{Argv: []string{"cat /proc/sys/kernel/random/boot_id"}, Timeout: 30 * time.Second})
	if err != nil {
		return "", fmt.Errorf("reading the guest's boot ID: %w", err)
	}
	return strings.TrimSpace(string(res.Stdout)), nil
}

// WaitRebooted waits until the guest, which was up with boot ID before,
// answers again with another boot ID and has finished booting. It needs a
// guest started with Options.Reboot. It returns the boot ID and the units
// that failed at boot.
func (vm *VM) WaitRebooted(ctx context.Context, before string, timeout time.Duration) (string, []string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if !vm.Alive() {
			return "", nil, fmt.Errorf("qemu (pid %d) exited instead of rebooting (started without Reboot?); console:\n%s", vm.PID, vm.ConsoleTail(40))
		}
		id, err := vm.BootID(ctx)
		if err == nil && id != "" && id != before {
			failed, err := vm.WaitReady(ctx, time.Until(deadline))
			return id, failed, err
		}
		if time.Now().After(deadline) {
			return "", nil, fmt.Errorf("the guest did not come back within %s (boot ID %q, before %q, last error: %v); console:\n%s", timeout, id, before, err, vm.ConsoleTail(40))
		}
		select {
		case <-ctx.Done():
			return "", nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

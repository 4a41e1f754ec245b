package guest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

// InventoryEnv names the environment variables a command run by With
// receives: Ansible's own ANSIBLE_INVENTORY pointing at an inventory with
// the guest, and the guest's state directory.
const (
	InventoryEnv = "ANSIBLE_INVENTORY"
	StateEnv     = "DIRECTLVM_GUEST_STATE"
)

// Inventory renders an Ansible INI inventory that reaches the guest as
// host `guest` in group `group`.
func (vm *VM) Inventory(group string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\n", group)
	fmt.Fprintf(&b, "guest ansible_host=%s ansible_port=%d ansible_user=%s ansible_ssh_private_key_file=%s", vm.Address, vm.SSHPort, vm.User, vm.Key)
	b.WriteString(" ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'")
	b.WriteString(" ansible_python_interpreter=/usr/bin/python3")
	var disks []string
	for _, d := range vm.Disks {
		disks = append(disks, d.GuestPath())
	}
	fmt.Fprintf(&b, " guest_disks='%s'\n", strings.Join(disks, ","))
	return b.String()
}

// With boots a guest, runs argv with an inventory that reaches it (see
// InventoryEnv), streams its output, and stops the guest whatever happens.
// It returns argv's exit code.
func With(ctx context.Context, r runner.Runner, o Options, group string, argv []string, logf func(string, ...any)) (int, error) {
	dir, err := os.MkdirTemp("", "directlvm-guest-with-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	o.StateDir = filepath.Join(dir, "vm")
	vm, err := Boot(ctx, r, o, logf)
	if err != nil {
		return 1, err
	}
	defer func() {
		t := time.Now()
		if err := vm.Stop(context.WithoutCancel(ctx)); err != nil {
			logf("stopping the guest: %v", err)
			return
		}
		logf("guest stopped in %s", time.Since(t).Round(100*time.Millisecond))
	}()
	inv := filepath.Join(dir, "inventory.ini")
	if err := os.WriteFile(inv, []byte(vm.Inventory(group)), 0o600); err != nil {
		return 1, err
	}
	_, err = r.Run(ctx, runner.Cmd{Argv: argv, Env: []string{InventoryEnv + "=" + inv, StateEnv + "=" + vm.StateDir},
		Stdout: os.Stdout, Stderr: os.Stderr, Timeout: 2 * time.Hour})
	if code := runner.ExitCodeOf(err); code > 0 {
		return code, nil
	}
	if err != nil {
		return 1, err
	}
	return 0, nil
}

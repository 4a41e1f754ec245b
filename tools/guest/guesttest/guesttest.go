// Package guesttest is what integration tests use inside the guest VM:
// Require skips them anywhere else, Disks hands each test its own blank
// disks and tears down whatever LVM the test left on them.
//
// Integration tests live in files named *_guest_test.go and their names
// start with TestGuest; `make test` (through `guest test`) compiles them on
// the host and runs them in the guest against its blank disks.
package guesttest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

// Same names as package guest's EnvInGuest and EnvGuestDisks; repeated here
// so that test binaries do not link the harness.
const (
	envInGuest    = "DIRECTLVM_GUEST"
	envGuestDisks = "DIRECTLVM_GUEST_DISKS"
	claimDir      = "/run/directlvm-guest-disks"
)

// Require skips the test outside the guest. Inside the guest, a missing
// prerequisite is a failure, never a skip.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv(envInGuest) != "1" {
		t.Skip("guest integration test: needs root, device-mapper and blank disks; `make test` runs it in the guest VM (or: go run ./tools/guest/cmd/guest test ./PKG)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("guest integration tests must run as root")
	}
	if _, err := os.Stat("/dev/mapper/control"); err != nil {
		t.Fatalf("no device-mapper in this kernel: %v", err)
	}
}

// Runner returns the real command runner for guest tests.
func Runner() runner.Runner { return runner.New(runner.Config{DefaultTimeout: 5 * time.Minute}) }

// Disks claims n blank disks that no other test of this guest boot has
// used, and returns their device paths (/dev/vdX). When the test ends,
// any volume group on them is removed so that the next test can reuse VG
// names.
func Disks(t testing.TB, n int) []string {
	t.Helper()
	Require(t)
	if err := os.MkdirAll(claimDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, serial := range strings.Split(os.Getenv(envGuestDisks), ",") {
		if len(paths) == n {
			break
		}
		if serial == "" {
			continue
		}
		f, err := os.OpenFile(filepath.Join(claimDir, serial), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		_, _ = f.WriteString(t.Name() + "\n")
		f.Close()
		dev, err := filepath.EvalSymlinks("/dev/disk/by-id/virtio-" + serial)
		if err != nil {
			t.Fatalf("blank disk %s: %v", serial, err)
		}
		paths = append(paths, dev)
	}
	if len(paths) < n {
		t.Fatalf("test needs %d blank disks but only %d are left in this guest; boot it with more (guest test --disks N)", n, len(paths))
	}
	t.Cleanup(func() { TeardownLVM(t, paths) })
	return paths
}

// TeardownLVM removes the volume groups and PVs a test left on its disks,
// as Disks does when the test ends.
func TeardownLVM(t testing.TB, devs []string) {
	r := Runner()
	ctx := context.Background()
	for _, dev := range devs {
		res, err := r.Run(ctx, runner.Command("pvs", "--noheadings", "-o", "vg_name", dev))
		if err != nil {
			continue // not a PV
		}
		if vg := strings.TrimSpace(string(res.Stdout)); vg != "" {
			removeForeignHolders(t, r, vg)
			if _, err := r.Run(ctx, runner.Command("vgremove", "-ff", "-y", vg)); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
		if _, err := r.Run(ctx, runner.Command("pvremove", "-ff", "-y", dev)); err != nil {
			t.Logf("cleanup: %v", err)
		}
	}
}

// removeForeignHolders removes device-mapper devices that a test stacked on
// the volume group's LVs itself (dmsetup create, not lvcreate): LVM does not
// know them, and while they exist vgremove fails with "used by another device".
func removeForeignHolders(t testing.TB, r runner.Runner, vg string) {
	prefix := strings.ReplaceAll(vg, "-", "--") + "-"
	names, _ := filepath.Glob("/sys/block/dm-*/dm/name")
	for _, nameFile := range names {
		name, err := os.ReadFile(nameFile)
		if err != nil || !strings.HasPrefix(string(name), prefix) {
			continue
		}
		holders, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(nameFile)), "holders", "*", "dm", "name"))
		for _, hf := range holders {
			holder, err := os.ReadFile(hf)
			if err != nil || strings.HasPrefix(string(holder), prefix) {
				continue
			}
			h := strings.TrimSpace(string(holder))
			if _, err := r.Run(context.Background(), runner.Command("dmsetup", "remove", "--retry", h)); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
	}
}

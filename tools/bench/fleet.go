package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/guest"
)

// Case (e): the role on FleetHosts fresh guests at once (forks = hosts),
// first rollout and converged rerun. Each guest has FleetCPUs vCPU and
// FleetMemoryMiB, so that the three fit on the machine's two cores; the
// single-host cases' guest has two vCPUs.
const (
	FleetHosts     = 3
	FleetCPUs      = 1
	FleetMemoryMiB = 1536
)

// measureFleet boots the guests, runs the role on all of them twice and
// stops them, whatever happens.
func (b *bench) measureFleet(ctx context.Context) (ms []Measure, err error) {
	var vms []*guest.VM
	defer func() {
		for _, vm := range vms {
			if stopErr := vm.Stop(context.WithoutCancel(ctx)); stopErr != nil {
				b.o.Logf("stopping guest %s: %v", vm.StateDir, stopErr)
			}
		}
	}()
	var inv strings.Builder
	inv.WriteString("[docker_hosts]\n")
	for i := 1; i <= FleetHosts; i++ {
		vm, err := guest.Boot(ctx, b.r, guest.Options{Image: b.o.Image, StateDir: filepath.Join(b.o.WorkDir, fmt.Sprintf("fleet%d", i)),
			Disks: []guest.Disk{{Serial: diskSerials["a"], SizeBytes: 8 << 30}}, CPUs: FleetCPUs, MemoryMiB: FleetMemoryMiB}, b.o.Logf)
		if err != nil {
			return nil, err
		}
		vms = append(vms, vm)
		line, _, _ := strings.Cut(strings.SplitN(vm.Inventory("docker_hosts"), "\n", 2)[1], "\n")
		fmt.Fprintf(&inv, "host%d%s\n", i, strings.TrimPrefix(line, "guest"))
	}
	invPath := filepath.Join(b.o.WorkDir, "fleet-inventory.ini")
	if err := os.WriteFile(invPath, []byte(inv.String()), 0o600); err != nil {
		return nil, err
	}
	for _, vm := range vms {
		// docker answering: the guests boot with it starting.
		if _, err := vm.SSH(ctx, runner.Cmd{Argv: []string{"timeout 120 sh -c 'until docker info >/dev/null 2>&1; do sleep 1; done'"}, Timeout: 3 * time.Minute}); err != nil {
			return nil, fmt.Errorf("docker on %s: %w", vm.StateDir, err)
		}
	}
	for _, run := range []string{firstRollout, rerun} {
		m := Measure{Case: "e", Run: run, Hosts: FleetHosts, ModuleCode: -1}
		rx0, err := fleetReceived(ctx, vms)
		if err != nil {
			return nil, err
		}
		logPath := filepath.Join(b.o.WorkDir, fmt.Sprintf("e-%s-%d.log", strings.ReplaceAll(run, " ", "-"), time.Now().Unix()))
		log, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		cpu0 := childrenCPU()
		start := time.Now()
		_, runErr := b.r.Run(ctx, runner.Cmd{
			Argv: []string{b.o.AnsiblePlaybook, "-i", invPath, "-f", strconv.Itoa(FleetHosts),
				"-e", "bench_disk=/dev/disk/by-id/virtio-" + diskSerials["a"], filepath.Join(b.o.WorkDir, "role.yml")},
			Env: playbookEnv(b.o.CollectionsPath), Stdout: log, Stderr: log, Timeout: 30 * time.Minute})
		m.Wall = time.Since(start)
		m.ControllerCPU = childrenCPU() - cpu0
		log.Close()
		if runErr != nil {
			return nil, fmt.Errorf("case e, %s: %w (log: %s)", run, runErr, logPath)
		}
		rx1, err := fleetReceived(ctx, vms)
		if err != nil {
			return nil, err
		}
		// Per host, less one idle window's cost per host (the reads here
		// are one command each side, as a window's are).
		m.Received = (rx1-rx0)/FleetHosts - b.idle
		b.o.Logf("%s", m.Summary())
		ms = append(ms, m)
	}
	return ms, nil
}

// fleetReceived sums the bytes each guest's network interface received.
func fleetReceived(ctx context.Context, vms []*guest.VM) (int64, error) {
	var total int64
	for _, vm := range vms {
		res, err := vm.SSH(ctx, runner.Cmd{Argv: []string{"cat " + rxBytes}, Timeout: time.Minute})
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(res.Stdout)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s said %q", rxBytes, res.Stdout)
		}
		total += n
	}
	return total, nil
}

// fileSHA256 is a file's SHA-256, in hex, and its size.
func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

package guest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

// Boot starts a guest and waits until it is ready. Whatever goes wrong,
// no QEMU process is left behind: a guest that does not come up is stopped
// before Boot returns its error.
func Boot(ctx context.Context, r runner.Runner, o Options, logf func(string, ...any)) (*VM, error) {
	start := time.Now()
	vm, err := Start(ctx, r, o)
	if err != nil {
		return nil, err
	}
	failed, err := vm.WaitReady(ctx, 5*time.Minute)
	if err != nil {
		_ = vm.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	logf("guest up in %s (pid %d, ssh 127.0.0.1:%d)", time.Since(start).Round(100*time.Millisecond), vm.PID, vm.SSHPort)
	if len(failed) > 0 {
		logf("guest booted degraded; failed units: %s", strings.Join(failed, "; "))
	}
	return vm, nil
}

// ParseSize reads sizes such as 512M, 8G or a byte count.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q: want a positive number with an optional K, M or G suffix", s)
	}
	return n * mult, nil
}

// Supervise runs argv with SessionEnv pointing at a fresh session
// directory, passing its output through, and then stops every guest it
// started and left running: after success, failure, or an interrupt.
func Supervise(ctx context.Context, r runner.Runner, argv []string, logf func(string, ...any)) (int, error) {
	dir, err := os.MkdirTemp("", "directlvm-guest-session-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	_, runErr := r.Run(ctx, runner.Cmd{Argv: argv, Env: []string{SessionEnv + "=" + dir}, Stdout: os.Stdout, Stderr: os.Stderr, Timeout: 24 * time.Hour})
	stopped, stopErr := StopSession(context.WithoutCancel(ctx), r, dir)
	for _, s := range stopped {
		logf("stopped guest left running by %s: %s", argv[0], s)
	}
	if stopErr != nil {
		return 1, stopErr
	}
	if code := runner.ExitCodeOf(runErr); code > 0 {
		return code, nil
	} else if runErr != nil {
		return 1, runErr
	}
	return 0, nil
}

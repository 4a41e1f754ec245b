// Command guest builds, boots and stops the throwaway QEMU guest that the
// collection's integration tests, molecule scenarios and demo run on.
// The logic lives in package guest; this file only parses flags.
//
//	guest image [--suite S]                  build (or find) the cached image, print its directory
//	                                         (every subcommand that boots takes --suite: bullseye, bookworm, trixie)
//	guest up --state DIR [--disk SERIAL:SIZE]... [--reboot] [--cpus N] [--memory MIB]
//	                                         boot a guest, wait until ready, print state JSON
//	                                         (--reboot: it restarts when rebooted; else QEMU exits then;
//	                                         --cpus, --memory: 2 and 2048 unless given, e.g. 1 each for
//	                                         three guests at once on two cores)
//	guest down --state DIR                   stop it (poweroff, then quit, then kill)
//	guest reinstall --state DIR --suite S    power it off, boot S's root on the same data disks
//	guest ssh --state DIR -- COMMAND...      run a command in it
//	guest resize --state DIR --disk SERIAL:SIZE  grow a data disk while the guest runs
//	guest test [--disks N] [--disk-size SIZE] [--run RE] [--skip RE] [PACKAGES]  run Go guest tests in one guest
//	guest session -- COMMAND...              run COMMAND; stop every guest it left running
//	guest with [--disk SERIAL:SIZE]... [--group G] -- COMMAND...
//	                                         boot a guest, run COMMAND with ANSIBLE_INVENTORY reaching it, stop it
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/guest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	code, err := run(ctx, os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "guest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "guest: "+format+"\n", args...)
}

const usage = "usage: guest image | up --state DIR [--disk SERIAL:SIZE]... [--reboot] [--cpus N] [--memory MIB] | down --state DIR | reinstall --state DIR --suite S | ssh --state DIR -- CMD... | resize --state DIR --disk SERIAL:SIZE | test [flags] [PACKAGES] | session -- CMD... | with [--disk S:SIZE]... -- CMD..."

func run(ctx context.Context, args []string) (int, error) {
	if len(args) == 0 {
		//lint:ignore ST1005 the usage line ends as usage lines do
		return 2, errors.New(usage)
	}
	r := runner.New(runner.Config{DefaultTimeout: 10 * time.Minute, Locale: "C.UTF-8"})
	fs := flag.NewFlagSet("guest "+args[0], flag.ContinueOnError)
	state := fs.String("state", "", "state directory of the guest")
	var disks diskFlags
	fs.Var(&disks, "disk", "blank data disk SERIAL:SIZE (repeatable), e.g. data0:4G")
	ndisks := fs.Int("disks", 20, "test: number of blank data disks")
	diskSize := fs.String("disk-size", "8G", "test: size of each blank data disk")
	reboot := fs.Bool("reboot", false, "up: the guest restarts when it reboots (otherwise QEMU exits then)")
	cpus := fs.Int("cpus", 0, "up: virtual CPUs of the guest (default 2)")
	memory := fs.Int("memory", 0, "up: memory of the guest in MiB (default 2048)")
	group := fs.String("group", "docker_hosts", "with: inventory group of the guest")
	runPattern := fs.String("run", "", "test: only tests matching this -test.run pattern (default ^TestGuest)")
	skipPattern := fs.String("skip", "", "test: leave out the tests matching this -test.skip pattern")
	timeout := fs.Duration("timeout", 30*time.Minute, "test: time limit for the guest test binaries")
	suite := fs.String("suite", envOr("DIRECTLVM_GUEST_SUITE", guest.DefaultSuite), "Debian release of the guest: "+strings.Join(guest.Suites, ", ")+" ($DIRECTLVM_GUEST_SUITE)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2, err
	}
	rest := fs.Args()
	if *cpus < 0 || *memory < 0 || (*memory > 0 && *memory < 512) {
		return 2, fmt.Errorf("--cpus and --memory must be positive, and --memory at least 512 (MiB): got %d and %d", *cpus, *memory)
	}

	switch args[0] {
	case "image":
		_, err := ensureImage(ctx, r, *suite)
		return 0, err
	case "up":
		if *state == "" {
			return 2, fmt.Errorf("up needs --state DIR")
		}
		img, err := ensureImage(ctx, r, *suite)
		if err != nil {
			return 1, err
		}
		vm, err := guest.Boot(ctx, r, guest.Options{Image: img, StateDir: *state, Disks: disks, Reboot: *reboot, CPUs: *cpus, MemoryMiB: *memory}, logf)
		if err != nil {
			return 1, err
		}
		return 0, json.NewEncoder(os.Stdout).Encode(vm)
	case "down":
		return down(ctx, r, *state)
	case "reinstall":
		if *state == "" {
			return 2, fmt.Errorf("reinstall needs --state DIR [--suite S]")
		}
		img, err := ensureImage(ctx, r, *suite)
		if err != nil {
			return 1, err
		}
		vm, err := guest.Reinstall(ctx, r, *state, img, logf)
		if err != nil {
			return 1, err
		}
		return 0, json.NewEncoder(os.Stdout).Encode(vm)
	case "ssh":
		if *state == "" || len(rest) == 0 {
			return 2, fmt.Errorf("ssh needs --state DIR -- COMMAND")
		}
		vm, err := guest.Load(*state)
		if err != nil {
			return 1, err
		}
		_, err = vm.Attach(r).SSH(ctx, runner.Cmd{Argv: []string{strings.Join(rest, " ")}, Stdout: os.Stdout, Stderr: os.Stderr, Timeout: time.Hour})
		if code := runner.ExitCodeOf(err); code > 0 {
			return code, nil
		}
		return 0, err
	case "resize":
		if *state == "" || len(disks) != 1 {
			return 2, fmt.Errorf("resize needs --state DIR --disk SERIAL:SIZE")
		}
		vm, err := guest.Load(*state)
		if err != nil {
			return 1, err
		}
		return 0, vm.ResizeDisk(disks[0].Serial, disks[0].SizeBytes)
	case "test":
		if len(rest) == 0 {
			rest = []string{"./..."}
		}
		return test(ctx, r, guest.TestOptions{Packages: rest, Disks: *ndisks, Timeout: *timeout, Run: *runPattern, Skip: *skipPattern, Log: logf}, *diskSize, *suite)
	case "with":
		if len(rest) == 0 {
			return 2, fmt.Errorf("with needs -- COMMAND")
		}
		img, err := ensureImage(ctx, r, *suite)
		if err != nil {
			return 1, err
		}
		return guest.With(ctx, r, guest.Options{Image: img, Disks: disks}, *group, rest, logf)
	case "session":
		if len(rest) == 0 {
			return 2, fmt.Errorf("session needs -- COMMAND")
		}
		return guest.Supervise(ctx, r, rest, logf)
	}
	return 2, fmt.Errorf("unknown subcommand %q; %s", args[0], usage)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func ensureImage(ctx context.Context, r runner.Runner, suite string) (guest.Image, error) {
	start := time.Now()
	img, built, err := guest.SuiteImage(ctx, r, suite, logf)
	if err != nil {
		return guest.Image{}, err
	}
	if built {
		logf("image built in %s", time.Since(start).Round(time.Second))
	} else {
		logf("image cached: %s", img.Dir)
	}
	return img, nil
}

type diskFlags []guest.Disk

func (d *diskFlags) String() string { return fmt.Sprint(*d) }

func (d *diskFlags) Set(v string) error {
	serial, size, ok := strings.Cut(v, ":")
	if !ok || serial == "" {
		return fmt.Errorf("want SERIAL:SIZE, got %q", v)
	}
	n, err := guest.ParseSize(size)
	if err != nil {
		return err
	}
	*d = append(*d, guest.Disk{Serial: serial, SizeBytes: n})
	return nil
}

// down stops the guest whose state is in the directory state.
func down(ctx context.Context, r runner.Runner, state string) (int, error) {
	if state == "" {
		return 2, fmt.Errorf("down needs --state DIR")
	}
	vm, err := guest.Load(state)
	if os.IsNotExist(err) {
		logf("no guest state in %s: nothing to stop", state)
		return 0, nil
	} else if err != nil {
		return 1, err
	}
	start := time.Now()
	if err := vm.Attach(r).Stop(context.WithoutCancel(ctx)); err != nil {
		return 1, err
	}
	logf("guest stopped in %s", time.Since(start).Round(100*time.Millisecond))
	return 0, nil
}

// test runs the guest integration tests on disks of diskSize each.
func test(ctx context.Context, r runner.Runner, opts guest.TestOptions, diskSize, suite string) (int, error) {
	size, err := guest.ParseSize(diskSize)
	if err != nil {
		return 2, err
	}
	if opts.Image, err = ensureImage(ctx, r, suite); err != nil {
		return 1, err
	}
	opts.DiskSizeBytes = size
	ok, err := guest.RunGoTests(ctx, r, opts)
	if err != nil {
		return 1, err
	}
	if !ok {
		return 1, fmt.Errorf("guest integration tests failed")
	}
	return 0, nil
}

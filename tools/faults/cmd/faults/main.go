// Command faults runs the role's fault matrix (package faults) on one
// guest and prints the table step × cut → result. `make faults` runs every
// row; `make test` a few (see the Makefile's FAULT_ROWS).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/faults"
	"github.com/directlvm/docker/tools/guest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	code, err := run(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
	}
	os.Exit(code)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "faults: "+format+"\n", args...)
}

func run(ctx context.Context) (int, error) {
	rows := flag.String("rows", "all", `"all" (every step that changes the host), "every", or MODULE:STEP:KIND,... (STEP a number or the start of the step's text)`)
	work := flag.String("work", "bin/faults-work", "directory for the guest, the playbook and every run's log (in a subdirectory per journey)")
	playbook := flag.String("ansible-playbook", ".venv/bin/ansible-playbook", "ansible-playbook to run")
	collections := flag.String("collections", "bin/collections", "ANSIBLE_COLLECTIONS_PATH that finds directlvm.docker")
	journeyName := flag.String("journey", "direct-lvm", "the way the role takes the host: "+faults.JourneyNames())
	flag.Parse()
	journey, ok := faults.Journeys[*journeyName]
	if !ok {
		return 2, fmt.Errorf("-journey %q: choose one of %s", *journeyName, faults.JourneyNames())
	}

	r := runner.New(runner.Config{DefaultTimeout: 30 * time.Minute, Locale: "C.UTF-8"})
	img, _, err := guest.DefaultImage(ctx, r, logf)
	if err != nil {
		return 1, err
	}
	workDir, err := filepath.Abs(filepath.Join(*work, journey.Name))
	if err != nil {
		return 1, err
	}
	colls, err := filepath.Abs(*collections)
	if err != nil {
		return 1, err
	}
	start := time.Now()
	out, err := faults.Run(ctx, r, faults.Options{Image: img, Journey: journey, Rows: *rows, WorkDir: workDir,
		AnsiblePlaybook: *playbook, CollectionsPath: colls, Logf: logf})
	faults.Table(os.Stdout, journey, out)
	failed := 0
	for _, o := range out {
		if !o.OK {
			failed++
		}
	}
	fmt.Printf("faults (journey %s): %d row(s), %d converged, %d failed, in %s (logs in %s)\n", journey.Name, len(out), len(out)-failed, failed, time.Since(start).Round(time.Second), workDir)
	if err != nil {
		return 1, err
	}
	if failed > 0 || len(out) == 0 {
		return 1, nil
	}
	return 0, nil
}

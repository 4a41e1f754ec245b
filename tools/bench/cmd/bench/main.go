// Command bench runs the side-by-side benchmark (package bench) on one
// guest and writes BENCHMARKS.md. `make bench` builds what it needs and
// runs it; the flags name those parts.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/bench"
	"github.com/directlvm/docker/tools/guest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func run(ctx context.Context) error {
	work := flag.String("work", "bin/bench-work", "directory for the guest, playbooks and logs")
	playbook := flag.String("ansible-playbook", ".venv/bin/ansible-playbook", "ansible-playbook to run")
	collections := flag.String("collections", "", "ANSIBLE_COLLECTIONS_PATH with directlvm.docker and community.general")
	procacct := flag.String("procacct", "bin/procacct", "linux/amd64 procacct binary for the guest")
	binary := flag.String("binary", "bin/installed/ansible_collections/directlvm/docker/binaries/linux_amd64/directlvm", "the installed collection's linux/amd64 binary (hosts cache it by its SHA-256)")
	out := flag.String("out", "BENCHMARKS.md", "file to write")
	template := flag.String("template", "", "BENCHMARKS.md text with a line <!-- results --> the tables replace")
	flag.Parse()

	r := runner.New(runner.Config{DefaultTimeout: 30 * time.Minute, Locale: "C.UTF-8"})
	img, _, err := guest.DefaultImage(ctx, r, logf)
	if err != nil {
		return err
	}
	workDir, err := filepath.Abs(*work)
	if err != nil {
		return err
	}
	start := time.Now()
	rep, err := bench.Run(ctx, r, bench.Options{Image: img, WorkDir: workDir, AnsiblePlaybook: *playbook,
		CollectionsPath: *collections, ProcAcct: *procacct, Binary: *binary, Logf: logf})
	if err != nil {
		return err
	}
	rep.Versions["host"] = hostInfo(ctx, r)
	for _, tool := range [][]string{{*playbook, "--version"}, {"qemu-system-x86_64", "--version"}} {
		if res, err := r.Run(ctx, runner.Command(tool...)); err == nil {
			first, _, _ := strings.Cut(string(res.Stdout), "\n")
			rep.Versions[filepath.Base(tool[0])] = strings.TrimSpace(first)
		}
	}
	results := fmt.Sprintf("Measured %s by `make bench` (%s in all).\n\n%s", time.Now().UTC().Format("2006-01-02 15:04 MST"),
		time.Since(start).Round(time.Second), rep.Markdown())
	text := results
	if *template != "" {
		tmpl, err := os.ReadFile(*template)
		if err != nil {
			return err
		}
		before, after, found := strings.Cut(string(tmpl), "<!-- results -->")
		if !found {
			return fmt.Errorf("%s has no <!-- results --> line", *template)
		}
		if _, rest, ok := strings.Cut(after, "<!-- /results -->"); ok {
			after = rest
		}
		text = before + "<!-- results -->\n" + results + "<!-- /results -->" + after
	}
	fmt.Print(results)
	tmp := *out + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, *out)
}

func hostInfo(ctx context.Context, r runner.Runner) string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s; guest under QEMU TCG (no KVM), 2 vCPUs, 2 GiB", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}

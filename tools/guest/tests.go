package guest

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

// Environment variables that the guest test binaries read (see package
// guesttest): whether they run in the guest, and the serials of the blank
// disks they may claim.
const (
	EnvInGuest    = "DIRECTLVM_GUEST"
	EnvGuestDisks = "DIRECTLVM_GUEST_DISKS"
)

// guestTestSuffix marks the files that hold integration tests for the guest.
const guestTestSuffix = "_guest_test.go"

// TestOptions configure RunGoTests.
type TestOptions struct {
	Image         Image
	Packages      []string // go list patterns, e.g. ./...
	Disks         int      // blank data disks attached to the guest
	DiskSizeBytes int64
	Timeout       time.Duration
	Run           string // -test.run pattern; default ^TestGuest
	Skip          string // -test.skip pattern; default none
	Log           func(string, ...any)
	Out           io.Writer // test output; default os.Stdout
}

// testPackage is a package that has guest tests, compiled for the guest.
type testPackage struct {
	ImportPath string
	Dir        string
	Binary     string
}

// RunGoTests compiles every package under o.Packages that has
// *_guest_test.go files, boots one guest with fresh blank disks, runs each
// test binary in it (only its TestGuest* tests), prints their output, and
// stops the guest. It reports whether all of them passed.
func RunGoTests(ctx context.Context, r runner.Runner, o TestOptions) (bool, error) {
	if o.Out == nil {
		o.Out = os.Stdout
	}
	start := time.Now()
	pkgs, err := findGuestTests(ctx, r, o.Packages)
	if err != nil {
		return false, err
	}
	if len(pkgs) == 0 {
		return false, fmt.Errorf("no *%s files under %s: nothing to run in the guest", guestTestSuffix, strings.Join(o.Packages, " "))
	}
	build, err := os.MkdirTemp("", "directlvm-guest-tests-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(build)
	if err := compileGuestTests(ctx, r, build, pkgs); err != nil {
		return false, err
	}
	o.Log("compiled %d guest test binaries in %s", len(pkgs), time.Since(start).Round(100*time.Millisecond))

	stateDir, err := os.MkdirTemp("", "directlvm-guest-vm-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(stateDir)
	var disks []Disk
	var serials []string
	for i := 0; i < o.Disks; i++ {
		s := fmt.Sprintf("data%02d", i)
		disks = append(disks, Disk{Serial: s, SizeBytes: o.DiskSizeBytes})
		serials = append(serials, s)
	}
	vm, err := Boot(ctx, r, Options{Image: o.Image, StateDir: stateDir, Disks: disks}, o.Log)
	if err != nil {
		return false, err
	}
	defer func() {
		t := time.Now()
		if err := vm.Stop(context.WithoutCancel(ctx)); err != nil {
			o.Log("stopping the guest: %v", err)
			return
		}
		o.Log("guest stopped in %s", time.Since(t).Round(100*time.Millisecond))
	}()

	if o.Run == "" {
		o.Run = "^TestGuest"
	}
	total, allOK, err := runInGuest(ctx, vm, pkgs, serials, o)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(o.Out, "guest: %d passed, %d failed, %d skipped\n", total.passed, total.failed, total.skipped)
	if total.passed == 0 {
		return false, fmt.Errorf("no guest test passed")
	}
	return allOK, nil
}

// findGuestTests lists the packages that have *_guest_test.go files.
func findGuestTests(ctx context.Context, r runner.Runner, patterns []string) ([]testPackage, error) {
	argv := append([]string{"go", "list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .TestGoFiles \" \"}} {{join .XTestGoFiles \" \"}}"}, patterns...)
	res, err := r.Run(ctx, runner.Cmd{Argv: argv})
	if err != nil {
		return nil, err
	}
	var pkgs []testPackage
	for _, line := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) == 3 && strings.Contains(f[2], guestTestSuffix) {
			pkgs = append(pkgs, testPackage{ImportPath: f[0], Dir: f[1]})
		}
	}
	return pkgs, nil
}

// uploadTestdata copies the package's testdata directory, if any, next to
// the test binary, since tests run in their package directory.
func uploadTestdata(ctx context.Context, vm *VM, pkgDir, remoteDir string) error {
	src := filepath.Join(pkgDir, "testdata")
	if _, err := os.Stat(src); err != nil {
		return nil
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(pkgDir, path)
		hdr, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		hdr.Name = rel
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("packing %s: %w", src, err)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	_, err = vm.SSH(ctx, runner.Cmd{Argv: []string{runner.Join([]string{"tar", "-x", "-C", remoteDir})}, Stdin: buf.Bytes()})
	return err
}

type testCounts struct{ passed, failed, skipped int }

func (c *testCounts) add(o testCounts) {
	c.passed += o.passed
	c.failed += o.failed
	c.skipped += o.skipped
}

var topLevelResult = regexp.MustCompile(`(?m)^--- (PASS|FAIL|SKIP): `)

// countTests counts top-level test results in `go test -v` output.
func countTests(out string) testCounts {
	var c testCounts
	for _, m := range topLevelResult.FindAllStringSubmatch(out, -1) {
		switch m[1] {
		case "PASS":
			c.passed++
		case "FAIL":
			c.failed++
		case "SKIP":
			c.skipped++
		}
	}
	return c
}

// compileGuestTests builds each package's test binary into dir, static for
// the guest.
func compileGuestTests(ctx context.Context, r runner.Runner, dir string, pkgs []testPackage) error {
	for i := range pkgs {
		p := &pkgs[i]
		p.Binary = filepath.Join(dir, strings.ReplaceAll(p.ImportPath, "/", "_")+".test")
		if _, err := r.Run(ctx, runner.Cmd{Argv: []string{"go", "test", "-c", "-o", p.Binary, p.ImportPath},
			Env: []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"}}); err != nil {
			return fmt.Errorf("compiling guest tests of %s: %w", p.ImportPath, err)
		}
	}
	return nil
}

// runInGuest uploads each package's test binary and testdata to the guest
// and runs it there, with the data disks' serials in the environment. It
// stops early when the guest dies.
func runInGuest(ctx context.Context, vm *VM, pkgs []testPackage, serials []string, o TestOptions) (testCounts, bool, error) {
	var total testCounts
	allOK := true
	for _, p := range pkgs {
		remoteDir := "/root/guest-tests/" + filepath.Base(p.Binary) + ".d"
		if err := vm.Upload(ctx, p.Binary, remoteDir+"/pkg.test", 0o755); err != nil {
			return total, false, err
		}
		if err := uploadTestdata(ctx, vm, p.Dir, remoteDir); err != nil {
			return total, false, err
		}
		remote := runner.Join([]string{"env", EnvInGuest + "=1", EnvGuestDisks + "=" + strings.Join(serials, ","),
			"sh", "-c", `cd "$1" && exec ./pkg.test -test.v -test.count=1 -test.run "$3" -test.skip "$4" -test.timeout "$2"`,
			"sh", remoteDir, o.Timeout.String(), o.Run, o.Skip})
		fmt.Fprintf(o.Out, "=== guest: %s\n", p.ImportPath)
		var buf bytes.Buffer
		t := time.Now()
		_, err := vm.SSH(ctx, runner.Cmd{Argv: []string{remote}, Stdout: io.MultiWriter(o.Out, &buf), Stderr: io.MultiWriter(o.Out, &buf), Timeout: o.Timeout + time.Minute})
		c := countTests(buf.String())
		total.add(c)
		if err != nil || c.failed > 0 {
			allOK = false
			fmt.Fprintf(o.Out, "=== guest: %s FAILED after %s: %v\n", p.ImportPath, time.Since(t).Round(100*time.Millisecond), err)
			if !vm.Alive() {
				fmt.Fprintf(o.Out, "the guest died; console:\n%s\n", vm.ConsoleTail(60))
				break
			}
			continue
		}
		fmt.Fprintf(o.Out, "=== guest: %s ok in %s\n", p.ImportPath, time.Since(t).Round(100*time.Millisecond))
	}
	return total, allOK, nil
}

// Package guest boots throwaway Debian guests under QEMU so that the
// collection's claims about LVM, dmeventd, dockerd and systemd are proven on
// a real kernel. This host has neither KVM nor device-mapper.
//
// image.go builds the guest's root filesystem once per recipe and caches it;
// vm.go starts, reaches and stops one guest; tests.go runs Go integration
// test binaries inside it.
package guest

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

//go:embed recipe/*.sh
var recipeHooks embed.FS

// Recipe says what goes into the guest image. Any change to it, or to the
// hook scripts in recipe/, changes its hash and so the cache entry.
type Recipe struct {
	Suite    string
	Mirror   string
	Packages []string
	// RootSizeBytes is the apparent size of the (sparse) root disk.
	RootSizeBytes int64
}

// DefaultSuite is the Debian release guests run unless told otherwise.
const DefaultSuite = "bookworm"

// Suites are the Debian releases the harness builds guests of: the
// platforms meta/main.yml claims. bullseye has docker 20.10.5, LVM 2.03.11
// and an lsblk without MOUNTPOINTS; trixie has docker 26 (no devicemapper)
// and LVM 2.03.31.
var Suites = []string{"bullseye", "bookworm", "trixie"}

// DefaultRecipe is Debian bookworm with everything the collection drives.
func DefaultRecipe() Recipe {
	r, _ := SuiteRecipe(DefaultSuite)
	return r
}

// SuiteRecipe is the guest recipe of one Debian release: the same packages
// on each (docker's CLI named where it is split out), so a difference
// between guests is the release's own.
func SuiteRecipe(suite string) (Recipe, error) {
	known := false
	for _, s := range Suites {
		known = known || s == suite
	}
	if !known {
		return Recipe{}, fmt.Errorf("guest: no recipe for Debian %q; the harness builds %s", suite, strings.Join(Suites, ", "))
	}
	pkgs := []string{
		"linux-image-amd64", "initramfs-tools", "systemd-sysv", "udev", "dbus", "kmod",
		"lvm2", "thin-provisioning-tools", "docker.io", "apparmor", "xfsprogs",
		"openssh-server", "python3", "iproute2", "procps", "e2fsprogs", "fdisk",
	}
	if suite == "trixie" {
		// From trixie on, the docker command is its own package, which
		// docker.io only recommends (the image takes no recommends).
		pkgs = append(pkgs, "docker-cli")
	}
	return Recipe{
		Suite:         suite,
		Mirror:        "http://deb.debian.org/debian",
		Packages:      pkgs,
		RootSizeBytes: 4 << 30,
	}, nil
}

// recipeFormat is bumped whenever the build steps in this file change in a
// way that makes older cached images wrong.
const recipeFormat = "1"

// Hash identifies the recipe and the hook scripts.
func (r Recipe) Hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "format %s\nsuite %s\nmirror %s\nroot %d\n", recipeFormat, r.Suite, r.Mirror, r.RootSizeBytes)
	pkgs := append([]string(nil), r.Packages...)
	sort.Strings(pkgs)
	fmt.Fprintf(h, "packages %s\n", strings.Join(pkgs, " "))
	_ = fs.WalkDir(recipeHooks, "recipe", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := recipeHooks.ReadFile(path)
		fmt.Fprintf(h, "file %s %d\n", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Image is a built guest: a pristine root disk that every run overlays, and
// the kernel and initrd QEMU boots directly.
type Image struct {
	Dir    string
	Rootfs string // raw ext4, labelled "root"
	Kernel string
	Initrd string
}

func imageAt(dir string) Image {
	return Image{
		Dir:    dir,
		Rootfs: filepath.Join(dir, "rootfs.img"),
		Kernel: filepath.Join(dir, "vmlinuz"),
		Initrd: filepath.Join(dir, "initrd.img"),
	}
}

// CacheDir is where images live: $DIRECTLVM_GUEST_CACHE, else
// $XDG_CACHE_HOME/directlvm-docker/guest, else ~/.cache/directlvm-docker/guest.
func CacheDir() (string, error) {
	if d := os.Getenv("DIRECTLVM_GUEST_CACHE"); d != "" {
		return d, nil
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("guest image cache: no $XDG_CACHE_HOME and no home directory: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "directlvm-docker", "guest"), nil
}

// DefaultImage returns the cached image of the default recipe in
// CacheDir, building it first when there is none; built says it was.
func DefaultImage(ctx context.Context, r runner.Runner, logf func(string, ...any)) (img Image, built bool, err error) {
	return SuiteImage(ctx, r, DefaultSuite, logf)
}

// SuiteImage is DefaultImage for the Debian release suite.
func SuiteImage(ctx context.Context, r runner.Runner, suite string, logf func(string, ...any)) (img Image, built bool, err error) {
	recipe, err := SuiteRecipe(suite)
	if err != nil {
		return Image{}, false, err
	}
	cache, err := CacheDir()
	if err != nil {
		return Image{}, false, err
	}
	return (&Builder{Run: r, Cache: cache, Log: logf}).Ensure(ctx, recipe)
}

// Builder builds images with host tools run through one runner.
type Builder struct {
	Run   runner.Runner
	Cache string
	Log   func(format string, args ...any)
}

// Ensure returns the cached image for r, building it first when the cache
// has none. Concurrent callers wait for one build.
func (b *Builder) Ensure(ctx context.Context, r Recipe) (Image, bool, error) {
	dir := filepath.Join(b.Cache, r.Suite+"-"+r.Hash())
	img := imageAt(dir)
	if complete(img) {
		return img, false, nil
	}
	if err := os.MkdirAll(b.Cache, 0o755); err != nil {
		return Image{}, false, fmt.Errorf("guest image cache %s: %w", b.Cache, err)
	}
	unlock, err := lockFile(filepath.Join(b.Cache, ".build.lock"))
	if err != nil {
		return Image{}, false, err
	}
	defer unlock()
	if complete(img) { // another process built it while we waited
		return img, false, nil
	}
	if err := b.build(ctx, r, dir); err != nil {
		return Image{}, false, err
	}
	return img, true, nil
}

func complete(img Image) bool {
	for _, p := range []string{img.Rootfs, img.Kernel, img.Initrd, filepath.Join(img.Dir, "recipe.txt")} {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

func (b *Builder) build(ctx context.Context, r Recipe, dir string) error {
	if os.Geteuid() != 0 {
		return errors.New("building the guest image needs root (mmdebstrap --mode=root); run as root")
	}
	work, err := os.MkdirTemp(b.Cache, ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	hooks := filepath.Join(work, "hooks")
	if err := writeHooks(hooks); err != nil {
		return err
	}
	rootfs := filepath.Join(work, "rootfs")
	argv := []string{"mmdebstrap", "--mode=root", "--variant=apt",
		"--include=" + strings.Join(r.Packages, ","),
		"--aptopt=Acquire::Retries \"3\"",
		"--dpkgopt=path-exclude=/usr/share/man/*",
		"--dpkgopt=path-exclude=/usr/share/doc/*",
		"--dpkgopt=path-exclude=/usr/share/locale/*",
		"--dpkgopt=path-exclude=/usr/share/info/*",
		"--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata",
		"--hook-dir=" + hooks,
		r.Suite, rootfs, r.Mirror}
	b.logf("building guest image %s with mmdebstrap (a few minutes, once per recipe)", filepath.Base(dir))
	start := time.Now()
	if _, err := b.Run.Run(ctx, runner.Cmd{Argv: argv, Timeout: 30 * time.Minute}); err != nil {
		return fmt.Errorf("guest image: mmdebstrap failed: %w", err)
	}
	b.logf("mmdebstrap done in %s", time.Since(start).Round(time.Second))

	out := filepath.Join(work, "image")
	if err := os.Mkdir(out, 0o755); err != nil {
		return err
	}
	img := imageAt(out)
	for src, dst := range map[string]string{"vmlinuz-*": img.Kernel, "initrd.img-*": img.Initrd} {
		matches, _ := filepath.Glob(filepath.Join(rootfs, "boot", src))
		if len(matches) != 1 {
			return fmt.Errorf("guest image: want one /boot/%s in the root filesystem, found %d", src, len(matches))
		}
		if err := copyFile(matches[0], dst, 0o644); err != nil {
			return err
		}
	}
	if _, err := b.Run.Run(ctx, runner.Cmd{Argv: []string{"mke2fs", "-q", "-t", "ext4", "-L", "root",
		"-d", rootfs, img.Rootfs, fmt.Sprintf("%dk", r.RootSizeBytes/1024)}, Timeout: 10 * time.Minute}); err != nil {
		return fmt.Errorf("guest image: mke2fs failed: %w", err)
	}
	desc := fmt.Sprintf("suite %s\nmirror %s\npackages %s\nbuilt %s\n", r.Suite, r.Mirror,
		strings.Join(r.Packages, " "), time.Now().UTC().Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(out, "recipe.txt"), []byte(desc), 0o644); err != nil {
		return err
	}
	_ = os.RemoveAll(dir) // a half-built entry from an interrupted run
	if err := os.Rename(out, dir); err != nil {
		return fmt.Errorf("guest image: %w", err)
	}
	b.logf("guest image ready in %s: %s", time.Since(start).Round(time.Second), dir)
	return nil
}

func writeHooks(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := recipeHooks.ReadDir("recipe")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := recipeHooks.ReadFile("recipe/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o755); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}

// lockFile takes an exclusive flock, waiting for it.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

func (b *Builder) logf(format string, args ...any) {
	if b.Log != nil {
		b.Log(format, args...)
	}
}

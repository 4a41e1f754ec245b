package lvmprofile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/module"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// Systemd is what the module needs from the system manager;
// *systemd.Manager provides it.
type Systemd interface {
	Unit(ctx context.Context, name string) (systemd.UnitState, error)
	Enable(ctx context.Context, names ...string) (changed bool, err error)
	Start(ctx context.Context, name string, timeout time.Duration) error
	Close()
}

var _ Systemd = (*systemd.Manager)(nil)

// Host is how the module reaches the machine: commands through Run, the
// system manager through Systemd (opened only when monitor=true), unit
// jobs bounded by UnitTimeout, and the lock that keeps other runs of the
// collection off the host meanwhile.
type Host struct {
	Run         runner.Runner
	Systemd     func(ctx context.Context) (Systemd, error)
	UnitTimeout time.Duration
	Lock        hostlock.Lock
}

// Units are the services that keep a pool monitored after a reboot, in the
// order they start: dmeventd's socket, then lvm2-monitor, which re-enables
// monitoring of every active LV at boot. Each comes with the packages that
// ship it, for the message when it is missing.
var Units = []struct{ Name, Packages string }{
	{"dm-event.socket", "dmeventd on Debian and Ubuntu, device-mapper-event on Fedora and RHEL"},
	{"lvm2-monitor.service", "lvm2"},
}

// DefaultProfileDir is LVM's compiled-in config/profile_dir, used when
// lvmconfig cannot tell.
const DefaultProfileDir = "/etc/lvm/profile"

// ProfileDirArgv asks LVM where it reads profiles from. --typeconfig full
// prints the value in effect, the default included: profile_dir="/etc/lvm/profile".
func ProfileDirArgv() []string {
	return []string{"lvmconfig", "--typeconfig", "full", "config/profile_dir"}
}

// Observed is the host's state as far as this module cares.
type Observed struct {
	Dir       string // the profile directory
	DirExists bool
	Path      string      // the profile file: Dir/NAME.profile
	File      *FileState  // nil when there is no file
	LVM       *lvm.Report // one lvm fullreport
	// Units holds the state of each of Units, read only when monitor=true
	// and state=present.
	Units    map[string]systemd.UnitState
	Warnings []string
	// LVMMissing says that LVM's tools are not installed (check mode only:
	// a real run fails on it).
	LVMMissing bool

	// systemd is the connection the plan's unit steps use (nil when
	// monitor=false), bounding each start by unitTimeout.
	systemd     Systemd
	unitTimeout time.Duration
}

// FileState is what is at the profile's path.
type FileState struct {
	Content []byte // nil unless Regular
	Mode    fs.FileMode
	Regular bool // false for a directory, a symlink, a device, ...
}

// observe reads the state. sd is nil when the units are not needed.
func observe(ctx context.Context, h Host, sd Systemd, c Config) (*Observed, error) {
	obs := &Observed{Dir: c.ProfileDir, systemd: sd, unitTimeout: h.UnitTimeout}
	if obs.unitTimeout <= 0 {
		obs.unitTimeout = defaultUnitTimeout
	}
	if obs.Dir == "" {
		dir, warning := profileDir(ctx, h.Run)
		obs.Dir = dir
		if warning != "" {
			obs.Warnings = append(obs.Warnings, warning)
		}
	}
	switch fi, err := os.Stat(obs.Dir); {
	case err == nil && fi.IsDir():
		obs.DirExists = true
	case err == nil:
		return nil, module.Refuse("profile directory %s is not a directory: give a directory as profile_dir, or leave profile_dir out to use LVM's own", obs.Dir)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("profile directory: %w", err)
	}
	obs.Path = ProfilePath(obs.Dir, c.Name)
	var err error
	if obs.File, err = readFile(obs.Path); err != nil {
		return nil, err
	}
	var warning string
	if obs.LVM, warning, err = lvm.ReadPlanning(ctx, h.Run, c.CheckMode); err != nil {
		return nil, err
	}
	if warning != "" {
		obs.LVMMissing = true
		obs.Warnings = append(obs.Warnings, warning)
	}
	if sd != nil {
		if obs.Units, err = readUnits(ctx, sd); err != nil {
			return nil, err
		}
	}
	return obs, nil
}

// profileDir asks LVM for config/profile_dir, falling back to
// DefaultProfileDir with a warning when it cannot tell.
func profileDir(ctx context.Context, r runner.Runner) (dir, warning string) {
	res, err := r.Run(ctx, runner.Command(ProfileDirArgv()...))
	if err != nil {
		return DefaultProfileDir, fmt.Sprintf("cannot ask LVM for its profile directory (%v); using %s", err, DefaultProfileDir)
	}
	dir, ok := profileDirOf(res.Stdout)
	if !ok || !strings.HasPrefix(dir, "/") {
		return DefaultProfileDir, fmt.Sprintf("lvmconfig printed no usable config/profile_dir (%q); using %s", res.Stdout, DefaultProfileDir)
	}
	return dir, ""
}

// profileDirOf reads lvmconfig's answer, a line `profile_dir="/etc/lvm/profile"`:
// the first such line whose value is one quoted string.
func profileDirOf(out []byte) (string, bool) {
	for value := range settingValues(out, "profile_dir") {
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' && !strings.Contains(value[1:len(value)-1], `"`) {
			return value[1 : len(value)-1], true
		}
	}
	return "", false
}

// readFile reads what is at path without following a symlink.
func readFile(path string) (*FileState, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("profile file: %w", err)
	}
	f := &FileState{Mode: fi.Mode(), Regular: fi.Mode().IsRegular()}
	if f.Regular {
		if f.Content, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("profile file: %w", err)
		}
	}
	return f, nil
}

// readUnits reads the state of each of Units.
func readUnits(ctx context.Context, sd Systemd) (map[string]systemd.UnitState, error) {
	units := map[string]systemd.UnitState{}
	for _, u := range Units {
		st, err := sd.Unit(ctx, u.Name)
		if err != nil {
			return nil, err
		}
		units[u.Name] = st
	}
	return units, nil
}

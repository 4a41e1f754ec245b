// Package dockerstorage is the docker_storage module: it points Docker's
// storage driver at an LVM thin pool (direct-lvm), or back to overlay2.
//
// Every run observes (docker.service over D-Bus, the engine's version and
// GET /info, daemon.json, the unit's command lines and EnvironmentFiles,
// the pool with dmsetup, the data root), plans (pure data: what to write,
// stop, move aside, restart and check), applies the plan unless in check
// mode, re-reads the engine and verifies it. A failed restart or
// verification rolls every change back and quotes docker's own log.
package dockerstorage

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/module"
)

// Name is the module's name.
const Name = "docker_storage"

// The storage drivers the module sets up.
const (
	Devicemapper = "devicemapper"
	Overlay2     = "overlay2"
)

// Spec declares the module's options: the public interface.
func Spec() ansible.Spec {
	return ansible.Spec{
		Options: map[string]ansible.Option{
			"driver":             {Type: ansible.TypeStr, Default: Devicemapper, Choices: []any{Devicemapper, Overlay2}},
			"thinpool_device":    {Type: ansible.TypePath},
			"deferred_removal":   {Type: ansible.TypeBool, Default: true},
			"deferred_deletion":  {Type: ansible.TypeBool, Default: true},
			"basesize":           {Type: ansible.TypeStr},
			"min_free_space":     {Type: ansible.TypeStr},
			"fs":                 {Type: ansible.TypeStr, Choices: []any{"xfs", "ext4"}},
			"extra_storage_opts": {Type: ansible.TypeList, Elements: ansible.TypeStr},
			"config_path":        {Type: ansible.TypePath, Default: docker.DefaultDaemonJSON},
			"backup_data_root":   {Type: ansible.TypeBool, Default: true},
			"carry_images":       {Type: ansible.TypeBool, Default: true},
			"restart":            {Type: ansible.TypeBool, Default: true},
			"restart_timeout":    {Type: ansible.TypeInt, Default: 180},
			"verify":             {Type: ansible.TypeBool, Default: true},
			"rollback":           {Type: ansible.TypeBool, Default: true},
			"data_root_device":   {Type: ansible.TypePath},
			"state":              {Type: ansible.TypeStr, Default: "present", Choices: []any{"present", "released"}},
		},
		RequiredIf:        []ansible.RequiredIf{{Key: "driver", Value: Devicemapper, Requires: []string{"thinpool_device"}}},
		SupportsCheckMode: true,
	}
}

// Config is the validated request.
type Config struct {
	// CheckMode is set for a check-mode run: a thin pool that does not
	// exist yet is then expected (an earlier task would have made it), not
	// refused.
	CheckMode bool
	// Released is state=released: docker is stopped off its storage, its
	// images exported, so that what lies under it can be replaced
	// (release.go); the next run with state=present finishes the switch.
	Released bool
	Driver   string
	// ThinpoolDevice is thinpool_device as given; PoolDMName is the pool's
	// device-mapper name (docker-thinpool), which docker reports as its
	// "Pool Name"; PoolDevice is /dev/mapper/PoolDMName, what
	// dm.thinpooldev gets.
	ThinpoolDevice   string
	PoolDMName       string
	PoolDevice       string
	DeferredRemoval  bool
	DeferredDeletion bool
	BaseSize         string
	MinFreeSpace     string
	FS               string
	ExtraOpts        []string
	ConfigPath       string
	BackupDataRoot   bool
	// CarryImages carries the images and volumes across a switch that
	// moves the data root aside (carry.go).
	CarryImages bool
	// DataRootDevice is the block device (an XFS volume, lvm_volume) that
	// a systemd mount unit mounts at docker's data root (mount.go);
	// overlay2 only. Empty leaves the data root on whatever holds it.
	DataRootDevice string
	Restart        bool
	RestartTimeout time.Duration
	Verify         bool
	Rollback       bool
}

// Options are the module's options as Ansible passes them, one field each,
// and which of them the user gave.
type Options struct {
	Driver                string   `ansible:"driver"`
	ThinpoolDevice        string   `ansible:"thinpool_device"`
	DeferredRemoval       bool     `ansible:"deferred_removal"`
	DeferredDeletion      bool     `ansible:"deferred_deletion"`
	BaseSize              string   `ansible:"basesize"`
	MinFreeSpace          string   `ansible:"min_free_space"`
	FS                    string   `ansible:"fs"`
	ExtraOpts             []string `ansible:"extra_storage_opts"`
	ConfigPath            string   `ansible:"config_path"`
	BackupDataRoot        bool     `ansible:"backup_data_root"`
	CarryImages           bool     `ansible:"carry_images"`
	Restart               bool     `ansible:"restart"`
	RestartTimeoutSeconds int64    `ansible:"restart_timeout"`
	Verify                bool     `ansible:"verify"`
	Rollback              bool     `ansible:"rollback"`
	DataRootDevice        string   `ansible:"data_root_device"`
	State                 string   `ansible:"state"`
	Given                 ansible.Given
}

// The devicemapper options the module's own options set; extra_storage_opts
// may not set them again.
var managedOpts = map[string]string{
	"dm.thinpooldev":           "thinpool_device",
	"dm.use_deferred_removal":  "deferred_removal",
	"dm.use_deferred_deletion": "deferred_deletion",
	"dm.basesize":              "basesize",
	"dm.min_free_space":        "min_free_space",
	"dm.fs":                    "fs",
}

// Docker's own automatic direct-lvm setup cannot be combined with
// dm.thinpooldev (moby daemon/graphdriver/devmapper/device_setup.go).
var directLVMOpts = []string{"dm.directlvm_device", "dm.thinp_percent", "dm.thinp_metapercent",
	"dm.thinp_autoextend_threshold", "dm.thinp_autoextend_percent", "dm.directlvm_device_force"}

var (
	// dm.min_free_space: a whole percentage below 100 (docker parses it
	// with strconv.ParseUint after cutting the "%").
	minFreeSpace = regexp.MustCompile(`^[0-9]{1,2}%$`)
	// dm.basesize: what docker's units.RAMInBytes accepts, e.g. 20G, 10GB, 512m.
	baseSize = regexp.MustCompile(`^[0-9]+(\.[0-9]+)? ?[kKmMgGtTpP]?[iI]?[bB]?$`)
	// A device-mapper name as LVM makes them.
	dmName = regexp.MustCompile(`^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$`)
)

// ParseConfig validates the options and reports every problem at once.
func ParseConfig(o Options) (Config, error) {
	c := Config{
		Driver:           o.Driver,
		ThinpoolDevice:   o.ThinpoolDevice,
		DeferredRemoval:  o.DeferredRemoval,
		DeferredDeletion: o.DeferredDeletion,
		BaseSize:         o.BaseSize,
		MinFreeSpace:     o.MinFreeSpace,
		FS:               o.FS,
		ExtraOpts:        o.ExtraOpts,
		ConfigPath:       o.ConfigPath,
		BackupDataRoot:   o.BackupDataRoot,
		CarryImages:      o.CarryImages,
		Restart:          o.Restart,
		RestartTimeout:   time.Duration(o.RestartTimeoutSeconds) * time.Second,
		Verify:           o.Verify,
		Rollback:         o.Rollback,
		DataRootDevice:   o.DataRootDevice,
		Released:         o.State == "released",
	}
	var bad module.Problems

	if c.Released && c.DataRootDevice != "" {
		bad.Add("data_root_device is an option of state=present: state=released only stops docker with its images exported; leave data_root_device out, and give it to the state=present run that follows")
	}

	if c.Driver == Devicemapper && o.Given["data_root_device"] {
		bad.Add("data_root_device is an option of driver=overlay2: devicemapper keeps images in its thin pool, not in the data root; leave data_root_device out, or set driver=overlay2")
	}
	if c.Driver == Devicemapper {
		// The spec requires thinpool_device here, but "" is a value: it
		// must not become an empty dm.thinpooldev, with which dockerd falls
		// back to loop devices (FuzzParseConfig found it).
		name, err := poolDMName(c.ThinpoolDevice)
		if err != nil {
			bad.Add("thinpool_device: %v", err)
		}
		c.PoolDMName, c.PoolDevice = name, "/dev/mapper/"+name
		if c.DeferredDeletion && !c.DeferredRemoval {
			bad.Add("deferred_deletion=true needs deferred_removal=true: docker only defers deleting devices it defers removing; set both, or deferred_deletion=false")
		}
		if c.MinFreeSpace != "" && !minFreeSpace.MatchString(c.MinFreeSpace) {
			bad.Add("min_free_space=%q is not valid: docker wants a whole percentage below 100 with its %% sign, e.g. 10%%", c.MinFreeSpace)
		}
		if c.BaseSize != "" && !baseSize.MatchString(c.BaseSize) {
			bad.Add("basesize=%q is not a size: use e.g. 20G (it can only grow once docker has used it)", c.BaseSize)
		}
	} else {
		if c.DataRootDevice != "" && !filepath.IsAbs(c.DataRootDevice) {
			bad.Add("data_root_device=%q is not an absolute path: give the volume's device, e.g. /dev/mapper/docker-data (directlvm.docker.lvm_volume makes it)", c.DataRootDevice)
		}
		for _, name := range []string{"thinpool_device", "basesize", "min_free_space", "fs", "deferred_removal", "deferred_deletion"} {
			if o.Given[name] {
				bad.Add("%s is an option of driver=devicemapper, not driver=%s: leave %s out, or set driver=devicemapper", name, c.Driver, name)
			}
		}
	}
	seen := map[string]bool{}
	for _, o := range c.ExtraOpts {
		key, _, ok := strings.Cut(o, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		switch {
		case !ok || key == "":
			bad.Add("extra_storage_opts: %q is not KEY=VALUE", o)
		case managedOpts[key] != "" && c.Driver == Devicemapper:
			bad.Add("extra_storage_opts: %q sets %s, which option %s sets: use that option", o, key, managedOpts[key])
		case containsFold(directLVMOpts, key):
			bad.Add("extra_storage_opts: %q belongs to Docker's own direct-lvm setup, which cannot be combined with dm.thinpooldev: this module uses a pool you made (directlvm.docker.lvm_thinpool): remove %q from extra_storage_opts", o, o)
		case c.Driver != Devicemapper && strings.HasPrefix(key, "dm."):
			bad.Add("extra_storage_opts: %q is a devicemapper option, but driver=%s", o, c.Driver)
		case seen[key]:
			bad.Add("extra_storage_opts: %s is given twice", key)
		}
		seen[key] = true
	}
	if !filepath.IsAbs(c.ConfigPath) {
		bad.Add("config_path=%q is not an absolute path: give the file dockerd reads, /etc/docker/daemon.json unless its --config-file says otherwise", c.ConfigPath)
	}
	if c.RestartTimeout <= 0 {
		bad.Add("restart_timeout=%d must be a positive number of seconds", o.RestartTimeoutSeconds)
	}
	return c, bad.Err()
}

// poolDMName returns the device-mapper name of a pool given as
// /dev/mapper/NAME or as LVM's /dev/VG/LV.
func poolDMName(dev string) (string, error) {
	clean := filepath.Clean(dev)
	if name, ok := strings.CutPrefix(clean, "/dev/mapper/"); ok && dmName.MatchString(name) && !strings.Contains(name, "/") {
		return name, nil
	}
	parts := strings.Split(strings.TrimPrefix(clean, "/dev/"), "/")
	if strings.HasPrefix(clean, "/dev/") && len(parts) == 2 && dmName.MatchString(parts[0]) && dmName.MatchString(parts[1]) {
		return lvm.DMName(parts[0], parts[1]), nil
	}
	return "", fmt.Errorf("%q is neither /dev/mapper/NAME nor /dev/VG/LV: give the thin pool's device, e.g. /dev/mapper/docker-thinpool", dev)
}

func containsFold(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}

// Storage is what daemon.json's storage keys must hold.
func (c Config) Storage() docker.Storage {
	s := docker.Storage{Driver: c.Driver}
	if c.Driver == Devicemapper {
		s.Opts = []string{
			"dm.thinpooldev=" + c.PoolDevice,
			fmt.Sprintf("dm.use_deferred_removal=%t", c.DeferredRemoval),
			fmt.Sprintf("dm.use_deferred_deletion=%t", c.DeferredDeletion),
		}
		if c.BaseSize != "" {
			s.Opts = append(s.Opts, "dm.basesize="+c.BaseSize)
		}
		if c.MinFreeSpace != "" {
			s.Opts = append(s.Opts, "dm.min_free_space="+c.MinFreeSpace)
		}
		if c.FS != "" {
			s.Opts = append(s.Opts, "dm.fs="+c.FS)
		}
	}
	s.Opts = append(s.Opts, c.ExtraOpts...)
	return s
}

// Package storageinfo is the storage_info module: a read-only report of a
// host's docker storage. One run reads LVM's state (one lvm fullreport),
// each thin pool's autoextend settings (lvmconfig with the pool's
// profile), docker.service's state over D-Bus, docker's /info over its
// socket and the mount table; it reports the thin pools with their use,
// monitoring and room to autoextend, docker's driver and pool, and flags
// what needs a fix. It never changes the host, in check mode or not, and
// it never starts a stopped docker (asking a socket-activated docker
// would).
package storageinfo

import (
	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/module"
)

// Name is the module's name.
const Name = "storage_info"

// The storage drivers a host can be checked for.
const (
	DriverDevicemapper = "devicemapper"
	DriverOverlay2     = "overlay2"
)

// Spec declares the module's options: the public interface.
func Spec() ansible.Spec {
	return ansible.Spec{
		Options: map[string]ansible.Option{
			"driver":      {Type: ansible.TypeStr, Default: DriverDevicemapper, Choices: []any{DriverDevicemapper, DriverOverlay2}},
			"max_percent": {Type: ansible.TypeInt, Default: 80},
			"vg":          {Type: ansible.TypeStr, Default: "docker"},
			"thinpool":    {Type: ansible.TypeStr, Default: "thinpool"},
		},
		SupportsCheckMode: true,
	}
}

// Options are the module's options as Ansible passes them.
type Options struct {
	Driver     string `ansible:"driver"`
	MaxPercent int64  `ansible:"max_percent"`
	VG         string `ansible:"vg"`
	Pool       string `ansible:"thinpool"`
}

// Config is the validated request.
type Config struct {
	// Driver is the storage driver docker should be on.
	Driver string
	// MaxPercent is the use of a pool's data or metadata above which the
	// pool is flagged.
	MaxPercent float64
	// VG and Pool name the thin pool docker should use when docker does
	// not name one itself (it is stopped, or on another driver).
	VG, Pool string
}

// ParseConfig validates the options and reports every problem at once.
func ParseConfig(o Options) (Config, error) {
	var bad module.Problems
	if o.MaxPercent < 1 || o.MaxPercent > 100 {
		bad.Add("max_percent=%d is out of range: give a percentage from 1 to 100 (80 is LVM's and Docker's usual autoextend threshold)", o.MaxPercent)
	}
	if !lvm.ValidName(o.VG) {
		bad.Add("vg=%q is not a valid LVM name: use letters, digits and + _ . - (not starting with -)", o.VG)
	}
	if !lvm.ValidName(o.Pool) {
		bad.Add("thinpool=%q is not a valid LVM name: use letters, digits and + _ . - (not starting with -)", o.Pool)
	}
	if err := bad.Err(); err != nil {
		return Config{}, err
	}
	return Config{Driver: o.Driver, MaxPercent: float64(o.MaxPercent), VG: o.VG, Pool: o.Pool}, nil
}

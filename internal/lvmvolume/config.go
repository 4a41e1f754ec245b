// Package lvmvolume is the lvm_volume module: a plain LVM logical volume
// with an XFS filesystem (ftype=1, as overlay2 needs) on the disks it is
// given, for docker's data root on overlay2, which works on every Docker
// version. It grows the volume and the filesystem with the VG (a disk
// added, or grown in place). Every run observes (one LVM report, lsblk and
// wipefs for new disks and the volume, the XFS superblock), plans, applies
// unless in check mode, and re-reads what it reports.
package lvmvolume

import (
	"strings"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/module"
)

// Name is the module's name.
const Name = "lvm_volume"

// OwnerTag marks the LVs this module creates: only those get a filesystem
// made on them.
const OwnerTag = "directlvm.docker"

// Spec declares the module's options: the public interface.
func Spec() ansible.Spec {
	return ansible.Spec{
		Options: map[string]ansible.Option{
			"devices":           {Type: ansible.TypeList, Elements: ansible.TypePath, Required: true},
			"vg":                {Type: ansible.TypeStr, Default: "docker"},
			"lv":                {Type: ansible.TypeStr, Default: "data"},
			"size":              {Type: ansible.TypeStr, Default: "100%VG"},
			"fstype":            {Type: ansible.TypeStr, Default: "xfs", Choices: []any{"xfs"}},
			"wipe_signatures":   {Type: ansible.TypeBool, Default: true},
			"force":             {Type: ansible.TypeBool, Default: false},
			"grow":              {Type: ansible.TypeBool, Default: true},
			"replaces_thinpool": {Type: ansible.TypeStr},
		},
		SupportsCheckMode: true,
	}
}

// Options are the module's options as Ansible passes them.
type Options struct {
	Devices        []string `ansible:"devices"`
	VG             string   `ansible:"vg"`
	LV             string   `ansible:"lv"`
	Size           string   `ansible:"size"`
	FSType         string   `ansible:"fstype"`
	WipeSignatures bool     `ansible:"wipe_signatures"`
	Force          bool     `ansible:"force"`
	Grow           bool     `ansible:"grow"`
	ReplacesPool   string   `ansible:"replaces_thinpool"`
}

// Config is the validated request.
type Config struct {
	Devices        []string
	VG             string
	LV             string
	Size           lvm.Size
	FSType         string
	WipeSignatures bool
	Force          bool
	Grow           bool
	// ReplacesPool is the thin pool in VG whose place the volume takes
	// (replace.go): removed once docker no longer uses it, its space
	// given to the volume. Empty for none.
	ReplacesPool string
	// CheckMode is set for a check-mode run: a docker still on the pool to
	// replace is then a warning (an earlier task would have stopped it).
	CheckMode bool
}

// ParseConfig validates the options and reports every problem at once.
func ParseConfig(o Options) (Config, error) {
	c := Config{Devices: o.Devices, VG: o.VG, LV: o.LV, FSType: o.FSType,
		WipeSignatures: o.WipeSignatures, Force: o.Force, Grow: o.Grow, ReplacesPool: o.ReplacesPool}
	var bad module.Problems
	for option, name := range map[string]string{"vg": c.VG, "lv": c.LV} {
		if !lvm.ValidName(name) {
			bad.Add("%s=%q is not a valid LVM name: use letters, digits and + _ . - (not starting with -)", option, name)
		}
	}
	if c.ReplacesPool != "" && !lvm.ValidName(c.ReplacesPool) {
		bad.Add("replaces_thinpool=%q is not a valid LVM name: give the thin pool's LV name in vg, e.g. thinpool", c.ReplacesPool)
	} else if c.ReplacesPool != "" && c.ReplacesPool == c.LV {
		bad.Add("replaces_thinpool=%q names the volume itself (lv): give the thin pool the volume takes the place of", c.ReplacesPool)
	}
	var err error
	if c.Size, err = lvm.ParseSize(o.Size); err != nil {
		bad.Add("size: %v", err)
	} else if c.Size.Bytes != 0 && c.Size.Bytes < minXFSBytes {
		bad.Add("size=%s is too small: mkfs.xfs refuses filesystems under 300 MiB; give 1G or more, or a share like 100%%VG", o.Size)
	}
	if len(c.Devices) == 0 {
		bad.Add("devices is empty: list the spare disk(s) the volume goes on, by stable name (/dev/disk/by-id/...)")
	}
	seen := map[string]bool{}
	for _, d := range c.Devices {
		if !strings.HasPrefix(d, "/") {
			bad.Add("devices: %q is not an absolute path (e.g. /dev/vdb or /dev/disk/by-id/...)", d)
		}
		if seen[d] {
			bad.Add("devices: %s is listed twice", d)
		}
		seen[d] = true
	}
	return c, bad.Err()
}

// minXFSBytes is the smallest filesystem mkfs.xfs makes (xfsprogs 5.19 and
// later refuse less than 300 MiB).
const minXFSBytes = 300 << 20

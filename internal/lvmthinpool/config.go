// Package lvmthinpool is the lvm_thinpool module: it turns raw disks into
// the LVM thin pool Docker uses, grows it when disks are added, removes it,
// and reports on it. Every run observes (one LVM report, plus lsblk and
// wipefs for disks not yet in the VG), plans a list of commands, applies
// them unless in check mode, and re-reads the state it reports.
package lvmthinpool

import (
	"strings"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/module"
)

// Name is the module's name.
const Name = "lvm_thinpool"

// OwnerTag marks the LVs this module creates, so that a half-finished run
// can be told apart from someone else's LV of the same name.
const OwnerTag = "directlvm.docker"

// Spec declares the module's options: the public interface.
func Spec() ansible.Spec {
	return ansible.Spec{
		Options: map[string]ansible.Option{
			"devices":         {Type: ansible.TypeList, Elements: ansible.TypePath},
			"vg":              {Type: ansible.TypeStr, Default: "docker"},
			"thinpool":        {Type: ansible.TypeStr, Default: "thinpool"},
			"data_size":       {Type: ansible.TypeStr, Default: "95%VG"},
			"metadata_size":   {Type: ansible.TypeStr, Default: "1%VG"},
			"chunk_size":      {Type: ansible.TypeStr, Default: "512K"},
			"zero":            {Type: ansible.TypeBool, Default: false},
			"wipe_signatures": {Type: ansible.TypeBool, Default: true},
			"force":           {Type: ansible.TypeBool, Default: false},
			"grow":            {Type: ansible.TypeBool, Default: true},
			"state":           {Type: ansible.TypeStr, Default: "present", Choices: []any{"present", "absent"}},
			"remove_vg":       {Type: ansible.TypeBool, Default: false},
		},
		RequiredIf:        []ansible.RequiredIf{{Key: "state", Value: "present", Requires: []string{"devices"}}},
		SupportsCheckMode: true,
	}
}

// Options are the module's options as Ansible passes them, one field each.
type Options struct {
	Devices        []string `ansible:"devices"`
	VG             string   `ansible:"vg"`
	Pool           string   `ansible:"thinpool"`
	DataSize       string   `ansible:"data_size"`
	MetadataSize   string   `ansible:"metadata_size"`
	ChunkSize      string   `ansible:"chunk_size"`
	Zero           bool     `ansible:"zero"`
	WipeSignatures bool     `ansible:"wipe_signatures"`
	Force          bool     `ansible:"force"`
	Grow           bool     `ansible:"grow"`
	State          string   `ansible:"state"`
	RemoveVG       bool     `ansible:"remove_vg"`
}

// Config is the validated request.
type Config struct {
	Devices        []string
	VG             string
	Pool           string
	DataSize       lvm.Size
	MetadataSize   lvm.Size
	ChunkSizeBytes int64
	Zero           bool
	WipeSignatures bool
	Force          bool
	Grow           bool
	Absent         bool
	RemoveVG       bool
}

// MetaLV is the name of the metadata LV before conversion (the runbook's
// thinpoolmeta).
func (c Config) MetaLV() string { return c.Pool + "meta" }

// reservedSuffixes are LV name endings LVM keeps for itself (lvm(8)).
var reservedSuffixes = []string{"_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_imeta", "_iorig",
	"_mimage", "_mlog", "_pmspare", "_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata", "_vorig", "_wcorig"}

// maxDMName is the longest device-mapper name the kernel takes (DM_NAME_LEN
// is 128 bytes with the terminating NUL).
const maxDMName = 127

// maxVGAndLV is the longest a VG's name and an LV's may be together: LVM
// 2.03 refuses a longer pair as `LV name "VG/LV" length N is not supported`,
// N counting three more than the two names (seen in the guest for a pair
// of 2 + 124 characters, reported as 129).
const maxVGAndLV = 124

// hiddenSuffix stands for what LVM appends to a thin pool's device-mapper
// name for the devices it makes of it: VG-POOL_tdata, VG-POOL_tmeta and
// VG-POOL-tpool, each six characters longer than the pool's own name.
const hiddenSuffix = "_tdata"

// checkDerivedNames checks the names LVM will derive from vg and thinpool
// before anything is created: the metadata volume (THINPOOLmeta) must be a
// name LVM takes, and every device-mapper name must fit the kernel's limit.
// A name that fails only at its derived form would otherwise fail halfway,
// after the VG and the data volume exist, and every rerun the same way.
func checkDerivedNames(bad *module.Problems, c Config) {
	meta := c.MetaLV()
	for _, s := range reservedSuffixes {
		if strings.Contains(meta, s) && !strings.Contains(c.Pool, s) {
			bad.Add("thinpool=%q makes the metadata volume %q, which contains %q, a suffix LVM reserves for its hidden volumes: choose another thinpool name", c.Pool, meta, s)
		}
	}
	if n := len(c.VG) + len(c.Pool) + len(hiddenSuffix); n > maxVGAndLV {
		bad.Add("vg=%q and thinpool=%q are too long together: LVM names the pool's hidden volumes %s/%s%s, and takes a VG's and an LV's names only while they add up to %d characters at most (these add up to %d): choose shorter vg or thinpool names",
			c.VG, c.Pool, c.VG, c.Pool, hiddenSuffix, maxVGAndLV, n)
		return
	}
	for _, name := range []string{lvm.DMName(c.VG, meta), lvm.DMName(c.VG, c.Pool) + hiddenSuffix} {
		if len(name) > maxDMName {
			bad.Add("vg=%q and thinpool=%q make the device-mapper name %q, %d characters; the kernel takes at most %d (a \"-\" counts twice): choose shorter vg or thinpool names",
				c.VG, c.Pool, name, len(name), maxDMName)
			return
		}
	}
}

// ParseConfig validates the options and reports every problem at once.
func ParseConfig(o Options) (Config, error) {
	c := Config{
		Devices:        o.Devices,
		VG:             o.VG,
		Pool:           o.Pool,
		Zero:           o.Zero,
		WipeSignatures: o.WipeSignatures,
		Force:          o.Force,
		Grow:           o.Grow,
		Absent:         o.State == "absent",
		RemoveVG:       o.RemoveVG,
	}
	var bad module.Problems

	checkName := func(option, name string) {
		switch {
		case !lvm.ValidName(name):
			bad.Add("%s=%q is not a valid LVM name: use letters, digits and + _ . - (not starting with -)", option, name)
		case strings.HasPrefix(name, "snapshot") || strings.HasPrefix(name, "pvmove"):
			bad.Add("%s=%q starts with a prefix LVM reserves (snapshot, pvmove): choose another %s name", option, name, option)
		}
		for _, s := range reservedSuffixes {
			if strings.Contains(name, s) {
				bad.Add("%s=%q contains %q, which LVM reserves for its hidden volumes: choose another %s name", option, name, s, option)
			}
		}
	}
	checkName("vg", c.VG)
	checkName("thinpool", c.Pool)
	checkDerivedNames(&bad, c)

	var err error
	if c.DataSize, err = lvm.ParseSize(o.DataSize); err != nil {
		bad.Add("data_size: %v", err)
	}
	if c.MetadataSize, err = lvm.ParseSize(o.MetadataSize); err != nil {
		bad.Add("metadata_size: %v", err)
	} else if b := c.MetadataSize.Bytes; b != 0 && (b < 2<<20 || b > 16192<<20) {
		bad.Add("metadata_size=%s is out of range: a thin pool's metadata is 2M to 16192M (lvmthin(7))", o.MetadataSize)
	}
	if c.ChunkSizeBytes, err = lvm.ParseBytes(o.ChunkSize); err != nil {
		bad.Add("chunk_size: %v", err)
	} else if c.ChunkSizeBytes < 64<<10 || c.ChunkSizeBytes > 1<<30 || c.ChunkSizeBytes%(64<<10) != 0 {
		bad.Add("chunk_size=%s is not valid: it must be a multiple of 64K from 64K to 1G (lvmthin(7)); Docker's runbook uses 512K", o.ChunkSize)
	}
	if c.RemoveVG && !c.Absent {
		bad.Add("remove_vg=true is only valid with state=absent")
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

// Package lvmprofile is the lvm_profile module: it writes the LVM metadata
// profile that makes a thin pool grow by itself (thin_pool_autoextend_*),
// attaches it to the pool, makes sure dmeventd monitors the pool and that
// the services which keep it monitored after a reboot are enabled and
// running, and removes all of that again. Every run observes (LVM's
// profile directory, the profile file, one LVM report, the systemd units),
// plans, applies unless in check mode, and re-reads the state it reports.
package lvmprofile

import (
	"path/filepath"
	"strings"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/module"
)

// Name is the module's name.
const Name = "lvm_profile"

// Limits of the options, from lvm.conf(5): LVM raises a threshold under 50
// to 50 without a word, 100 disables autoextend, and a percent of 0 is an
// error.
const (
	minThreshold      = 50
	disabledThreshold = 100
)

// Spec declares the module's options: the public interface.
func Spec() ansible.Spec {
	return ansible.Spec{
		Options: map[string]ansible.Option{
			"name":                 {Type: ansible.TypeStr, Default: "docker-thinpool"},
			"autoextend_threshold": {Type: ansible.TypeInt, Default: 80},
			"autoextend_percent":   {Type: ansible.TypeInt, Default: 20},
			"profile_dir":          {Type: ansible.TypePath},
			"lv":                   {Type: ansible.TypeStr},
			"monitor":              {Type: ansible.TypeBool, Default: true},
			"state":                {Type: ansible.TypeStr, Default: "present", Choices: []any{"present", "absent"}},
		},
		SupportsCheckMode: true,
	}
}

// Options are the module's options as Ansible passes them, one field each.
type Options struct {
	Name       string `ansible:"name"`
	Threshold  int64  `ansible:"autoextend_threshold"`
	Percent    int64  `ansible:"autoextend_percent"`
	ProfileDir string `ansible:"profile_dir"`
	LV         string `ansible:"lv"`
	Monitor    bool   `ansible:"monitor"`
	State      string `ansible:"state"`
}

// Config is the validated request.
type Config struct {
	// CheckMode is set for a check-mode run: a pool that does not exist
	// yet is then expected (an earlier task would have made it), not refused.
	CheckMode bool
	Name      string // profile name: the file is NAME.profile
	Threshold int    // thin_pool_autoextend_threshold, percent used
	Percent   int    // thin_pool_autoextend_percent, percent of the size added
	// ProfileDir is the directory given by the user; empty means LVM's own
	// config/profile_dir.
	ProfileDir string
	VG, LV     string // the pool to attach to; both empty when lv is not given
	Monitor    bool
	Absent     bool
}

// Pool is lv as given (VG/LV), or "" when there is none.
func (c Config) Pool() string {
	if c.LV == "" {
		return ""
	}
	return c.VG + "/" + c.LV
}

// ParseConfig validates the options and reports every problem at once.
func ParseConfig(o Options) (Config, error) {
	c := Config{
		Name:       o.Name,
		ProfileDir: o.ProfileDir,
		Monitor:    o.Monitor,
		Absent:     o.State == "absent",
	}
	var bad module.Problems

	if !lvm.ValidName(c.Name) {
		bad.Add("name=%q is not a valid profile name: use letters, digits and + _ . - (not starting with -); LVM reads it from NAME.profile", c.Name)
	}
	threshold, percent := o.Threshold, o.Percent
	switch {
	case threshold < minThreshold:
		bad.Add("autoextend_threshold=%d is below %d: LVM would silently use %d instead; give %d to 100 (100 disables autoextend)",
			threshold, minThreshold, minThreshold, minThreshold)
	case threshold > disabledThreshold:
		bad.Add("autoextend_threshold=%d is above 100: it is the percentage of the pool in use at which it grows; give %d to 100 (100 disables autoextend)",
			threshold, minThreshold)
	}
	if percent <= 0 {
		bad.Add("autoextend_percent=%d must be greater than 0: it is how much of its current size the pool grows by each time (Docker's documentation uses 20)", percent)
	}
	c.Threshold, c.Percent = int(threshold), int(percent)

	if c.ProfileDir != "" {
		if !filepath.IsAbs(c.ProfileDir) {
			bad.Add("profile_dir=%q is not an absolute path; leave it out to use LVM's own (lvmconfig config/profile_dir)", c.ProfileDir)
		}
		c.ProfileDir = filepath.Clean(c.ProfileDir)
	}
	if lv := o.LV; lv != "" {
		vg, name, ok := strings.Cut(lv, "/")
		if !ok || !lvm.ValidName(vg) || !lvm.ValidName(name) {
			bad.Add("lv=%q is not VG/LV: give the thin pool as volume group and LV name, e.g. docker/thinpool", lv)
		} else {
			c.VG, c.LV = vg, name
		}
	}
	return c, bad.Err()
}

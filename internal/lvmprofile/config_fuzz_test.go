package lvmprofile

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/module/moduletest"
)

// FuzzParseConfig validates any arguments as the module does before it
// looks at the host (the spec, then ParseConfig; nothing runs), and checks
// that a Config it accepts is safe to act on: the profile file stays
// directly inside the profile directory, the settings are ones LVM applies
// as written and read back from the rendered file as given, and the pool's
// names cannot pass for options. The seeds are the arguments files in
// testdata/args.
func FuzzParseConfig(f *testing.F) {
	moduletest.FuzzConfig(f, Name, Spec(), ParseConfig, func(t *testing.T, c Config) {
		dir := c.ProfileDir
		if dir == "" {
			dir = "/etc/lvm/profile"
		} else if !filepath.IsAbs(dir) || filepath.Clean(dir) != dir {
			t.Errorf("profile_dir %q accepted: not a clean absolute path", dir)
		}
		if path := ProfilePath(dir, c.Name); filepath.Dir(path) != filepath.Clean(dir) || filepath.Base(path) != c.Name+".profile" {
			t.Errorf("name %q accepted: the profile would be written to %s, not directly in %s", c.Name, path, dir)
		}
		if c.Threshold < minThreshold || c.Threshold > disabledThreshold || c.Percent <= 0 {
			t.Errorf("threshold %d and percent %d accepted: LVM would change or refuse them", c.Threshold, c.Percent)
		}
		threshold, percent := settingsOf(Render(c.Threshold, c.Percent))
		if threshold == nil || *threshold != c.Threshold || percent == nil || *percent != c.Percent {
			t.Errorf("the rendered profile reads back as threshold %v, percent %v; want %d, %d", deref(threshold), deref(percent), c.Threshold, c.Percent)
		}
		if (c.VG == "") != (c.LV == "") {
			t.Errorf("half a pool accepted: VG %q, LV %q", c.VG, c.LV)
		}
		for _, name := range []string{c.Name, c.VG, c.LV} {
			if strings.HasPrefix(name, "-") || strings.ContainsAny(name, "/ \t\n") {
				t.Errorf("name %q accepted: LVM commands would read it as an option or a path", name)
			}
		}
	})
}

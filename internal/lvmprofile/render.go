package lvmprofile

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
)

// FileMode is the profile file's mode; DirMode the profile directory's
// when this module creates it.
const (
	FileMode = 0o644
	DirMode  = 0o755
)

// header is the profile's first line: it tells whoever opens the file
// where it comes from.
const header = "# Managed by directlvm.docker.lvm_profile: thin pool autoextend for Docker.\n"

// Render is the profile file's content, byte for byte. It depends only on
// the two values, so every run writes the same bytes.
func Render(threshold, percent int) []byte {
	return fmt.Appendf(nil, "%sactivation {\n\tthin_pool_autoextend_threshold=%d\n\tthin_pool_autoextend_percent=%d\n}\n",
		header, threshold, percent)
}

// ProfilePath is where LVM looks for profile name in dir (lvm.conf(5)).
func ProfilePath(dir, name string) string {
	return filepath.Join(dir, name+".profile")
}

var (
	thresholdSetting = regexp.MustCompile(`(?m)^\s*thin_pool_autoextend_threshold\s*=\s*(\d+)\s*$`)
	percentSetting   = regexp.MustCompile(`(?m)^\s*thin_pool_autoextend_percent\s*=\s*(\d+)\s*$`)
)

// settingsOf reads the two values back from a profile's text (nil where a
// value is not there), to report what a file on disk says.
func settingsOf(content []byte) (threshold, percent *int) {
	find := func(re *regexp.Regexp) *int {
		m := re.FindSubmatch(content)
		if m == nil {
			return nil
		}
		n, err := strconv.Atoi(string(m[1]))
		if err != nil {
			return nil
		}
		return &n
	}
	return find(thresholdSetting), find(percentSetting)
}

package lvmprofile

import (
	"fmt"
	"iter"
	"path/filepath"
	"strconv"
	"strings"
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

// settingsOf reads the two values back from a profile's text (nil where a
// value is not there), to report what a file on disk says.
func settingsOf(content []byte) (threshold, percent *int) {
	return intSetting(content, "thin_pool_autoextend_threshold"), intSetting(content, "thin_pool_autoextend_percent")
}

// intSetting is the value of the first line of text that sets name to a
// number (ASCII digits), or nil.
func intSetting(text []byte, name string) *int {
	for value := range settingValues(text, name) {
		if value == "" || strings.Trim(value, "0123456789") != "" {
			continue
		}
		n, err := strconv.Atoi(value)
		if err != nil {
			return nil // out of range
		}
		return &n
	}
	return nil
}

// settingValues yields, in order, the value of each line of text that
// reads `name = value`, white space around each part dropped: the way
// lvmconfig prints a setting and profiles usually spell one.
func settingValues(text []byte, name string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for line := range strings.Lines(string(text)) {
			key, value, ok := strings.Cut(line, "=")
			if ok && strings.TrimSpace(key) == name && !yield(strings.TrimSpace(value)) {
				return
			}
		}
	}
}

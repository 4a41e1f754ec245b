package lvmprofile

import (
	"fmt"
	"iter"
	"path/filepath"
	"slices"
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

// ours says whether a profile's text is one this module may rewrite or
// remove: one it wrote (its header line), or one that sets nothing but the
// runbook's two autoextend settings, as Docker's runbook has operators
// write by hand (so a host set up from the runbook is taken over). Any
// other profile, such as the ones LVM ships (thin-performance, cache-smq,
// ...), is someone else's.
func ours(content []byte) bool {
	if strings.HasPrefix(string(content), header) {
		return true
	}
	settings := profileSettings(string(content))
	for _, s := range settings {
		if s != "activation/thin_pool_autoextend_threshold" && s != "activation/thin_pool_autoextend_percent" {
			return false
		}
	}
	return len(settings) > 0
}

// profileSettings lists the settings an LVM config text sets, each as
// "section/name", comments dropped. It reads both of LVM's layouts, one
// setting a line or a whole section on one line.
func profileSettings(text string) []string {
	var lines []string
	for line := range strings.Lines(text) {
		line, _, _ = strings.Cut(line, "#")
		lines = append(lines, line)
	}
	var sections, settings []string
	s := strings.Join(lines, " ")
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '}':
			if len(sections) > 0 {
				sections = sections[:len(sections)-1]
			}
			i++
		case isNameByte(c):
			j := i
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			name := s[i:j]
			k := j
			for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n') {
				k++
			}
			switch {
			case k < len(s) && s[k] == '{':
				sections = append(sections, name)
				i = k + 1
			case k < len(s) && s[k] == '=':
				settings = append(settings, strings.Join(append(slices.Clone(sections), name), "/"))
				i = skipValue(s, k+1)
			default:
				i = j
			}
		default:
			i++
		}
	}
	return settings
}

// skipValue returns the index just past the value that starts at or after
// s[i]: a quoted string, a [list], or a bare word or number.
func skipValue(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '"':
		if end := strings.IndexByte(s[i+1:], '"'); end >= 0 {
			return i + 1 + end + 1
		}
		return len(s)
	case '[':
		if end := strings.IndexByte(s[i:], ']'); end >= 0 {
			return i + end + 1
		}
		return len(s)
	}
	for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '}' {
		i++
	}
	return i
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

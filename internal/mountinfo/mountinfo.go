// Package mountinfo reads the kernel's table of mounts, /proc/PID/mountinfo
// (proc(5)), which lists every mount, bind mounts of a directory of the
// same filesystem included.
package mountinfo

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// SelfPath is this process's view of the mounts.
const SelfPath = "/proc/self/mountinfo"

// Mount is one line of mountinfo.
type Mount struct {
	// Root is the directory of the filesystem mounted (not "/" for a bind
	// mount of a subdirectory); Point is where it is mounted.
	Root, Point string
	// FSType is the filesystem's type, Source the device or other source.
	FSType, Source string
}

// Parse reads mountinfo lines: "ID PARENT MAJOR:MINOR ROOT POINT OPTIONS
// [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS", with spaces, tabs,
// newlines and backslashes in paths written as octal escapes (\040).
func Parse(r io.Reader) ([]Mount, error) {
	var mounts []Mount
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 7 || sep < 0 || sep+2 >= len(f) {
			return nil, fmt.Errorf("mountinfo line %d: %q is not ID PARENT DEV ROOT POINT OPTIONS ... - TYPE SOURCE OPTIONS", n, sc.Text())
		}
		root, err1 := unescape(f[3])
		point, err2 := unescape(f[4])
		source, err3 := unescape(f[sep+2])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("mountinfo line %d: a bad octal escape in %q", n, sc.Text())
		}
		mounts = append(mounts, Mount{Root: root, Point: point, FSType: f[sep+1], Source: source})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading mountinfo: %w", err)
	}
	return mounts, nil
}

// unescape undoes the kernel's \NNN octal escapes.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+4 > len(s) {
			return "", fmt.Errorf("truncated escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}

// IsMountPoint says whether dir (symlinks in it resolved) is where
// something is mounted, according to mounts (a table read with Parse).
func IsMountPoint(mounts []Mount, dir string) (bool, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false, err
	}
	for _, m := range mounts {
		if m.Point == real {
			return true, nil
		}
	}
	return false, nil
}

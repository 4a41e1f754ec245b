package lvm

import (
	"fmt"
	"strconv"
	"strings"
)

// Size is a requested LV size: either a percentage of the VG's extents
// (95%VG), of its free extents (100%FREE), or a byte count (100G).
type Size struct {
	Percent int    // 1..100 when Of is set
	Of      string // "VG" or "FREE"; empty for Bytes
	Bytes   int64
}

var unitShift = map[byte]uint{'K': 10, 'M': 20, 'G': 30, 'T': 40, 'P': 50}

// ParseSize reads sizes the way lvcreate does for -l N%VG / -l N%FREE and
// -L N[KMGTP] (binary units, either case; a bare number is MiB in LVM, so
// here it is refused to avoid surprises: write 512M or 536870912B).
func ParseSize(s string) (Size, error) {
	orig := s
	s = strings.ToUpper(strings.TrimSpace(s))
	if num, of, ok := strings.Cut(s, "%"); ok {
		p, err := strconv.Atoi(num)
		if err != nil || p < 1 || p > 100 || (of != "VG" && of != "FREE") {
			return Size{}, fmt.Errorf("%q is not a size: a percentage is 1-100 followed by %%VG or %%FREE, e.g. 95%%VG", orig)
		}
		return Size{Percent: p, Of: of}, nil
	}
	n, err := ParseBytes(s)
	if err != nil {
		return Size{}, err
	}
	return Size{Bytes: n}, nil
}

// ParseBytes reads 512K, 100G, 4096B (binary units, either case).
func ParseBytes(s string) (int64, error) {
	orig := s
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return 0, fmt.Errorf("empty size")
	}
	shift := uint(0)
	last := s[len(s)-1]
	switch {
	case last == 'B':
		s = s[:len(s)-1]
		if len(s) > 0 {
			if sh, ok := unitShift[s[len(s)-1]]; ok { // "512KB" style
				shift, s = sh, s[:len(s)-1]
			}
		}
	case unitShift[last] != 0:
		shift, s = unitShift[last], s[:len(s)-1]
	default:
		return 0, fmt.Errorf("%q is not a size: give a unit, e.g. 512M, 100G or 4096B", orig)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is not a size: want a positive whole number with a unit (K, M, G, T, P or B)", orig)
	}
	return n << shift, nil
}

// FormatBytes writes n in the largest binary unit that divides it: 512K, 1G.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"P", 50}, {"T", 40}, {"G", 30}, {"M", 20}, {"K", 10}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// String renders the size as lvcreate takes it.
func (s Size) String() string {
	if s.Of != "" {
		return fmt.Sprintf("%d%%%s", s.Percent, s.Of)
	}
	return FormatBytes(s.Bytes)
}

// Extents is how many extents of vg lvcreate would allocate for s:
// percentages round down, byte sizes round up to whole extents.
func (s Size) Extents(vg VG) int64 {
	switch s.Of {
	case "VG":
		return int64(s.Percent) * vg.ExtentCount / 100
	case "FREE":
		return int64(s.Percent) * vg.FreeExtents / 100
	}
	if vg.ExtentSizeBytes == 0 {
		return 0
	}
	return (s.Bytes + vg.ExtentSizeBytes - 1) / vg.ExtentSizeBytes
}

// Arg is the lvcreate/lvextend size argument: -l for extents, -L for bytes.
func (s Size) Arg() []string {
	if s.Of != "" {
		return []string{"-l", s.String()}
	}
	return []string{"-L", strconv.FormatInt(s.Bytes, 10) + "b"}
}

// HumanBytes writes n for people: one decimal in the largest binary unit
// (3.8 GiB, 776.0 MiB).
func HumanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

package lvm

import (
	"slices"
	"testing"
)

func TestParseSize(t *testing.T) {
	vg := VG{ExtentCount: 1023, FreeExtents: 52, ExtentSizeBytes: 4 << 20}
	for _, tc := range []struct {
		in      string
		want    Size
		extents int64
		arg     []string
	}{
		{"95%VG", Size{Percent: 95, Of: "VG"}, 971, []string{"-l", "95%VG"}},
		{"1%vg", Size{Percent: 1, Of: "VG"}, 10, []string{"-l", "1%VG"}},
		{"100%FREE", Size{Percent: 100, Of: "FREE"}, 52, []string{"-l", "100%FREE"}},
		{"100G", Size{Bytes: 100 << 30}, 25600, []string{"-L", "107374182400b"}},
		{"512m", Size{Bytes: 512 << 20}, 128, []string{"-L", "536870912b"}},
		{"5M", Size{Bytes: 5 << 20}, 2, []string{"-L", "5242880b"}}, // rounds up to whole extents
		{"4096B", Size{Bytes: 4096}, 1, []string{"-L", "4096b"}},
	} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if e := got.Extents(vg); e != tc.extents {
			t.Errorf("%s of a 1023-extent VG = %d extents, want %d", tc.in, e, tc.extents)
		}
		if a := got.Arg(); !slices.Equal(a, tc.arg) {
			t.Errorf("%s as an argument = %v, want %v", tc.in, a, tc.arg)
		}
	}
}

func TestParseSizeRefusesWhatLVMWouldReadDifferently(t *testing.T) {
	for _, in := range []string{"", "95", "0%VG", "101%VG", "95%PV", "-5G", "1.5G", "12Q", "G", "99999999999P"} {
		if s, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %+v, want an error", in, s)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{512 << 10: "512K", 1 << 30: "1G", 64 << 10: "64K", 1536 << 20: "1536M", 1000: "1000B"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestCommandsSpellTheRunbook(t *testing.T) {
	size, _ := ParseSize("95%VG")
	for _, tc := range []struct{ got, want []string }{
		{LVCreate("docker", "thinpool", size, true, "directlvm"), []string{"lvcreate", "-y", "--wipesignatures", "y", "-n", "thinpool", "-l", "95%VG", "--addtag", "directlvm", "docker"}},
		{ConvertToThinPool("docker", "thinpool", "thinpoolmeta", 512<<10, false), []string{"lvconvert", "-y", "--zero", "n", "-c", "512K", "--thinpool", "docker/thinpool", "--poolmetadata", "docker/thinpoolmeta"}},
		{VGCreate("docker", "/dev/vdb", "/dev/vdc"), []string{"vgcreate", "docker", "/dev/vdb", "/dev/vdc"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("got  %q\nwant %q", tc.got, tc.want)
		}
	}
}

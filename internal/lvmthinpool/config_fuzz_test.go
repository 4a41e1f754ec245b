package lvmthinpool

import (
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/module/moduletest"
)

// FuzzParseConfig validates any arguments as the module does before it
// looks at the host (the spec, then ParseConfig; no command runs), and
// checks that a Config it accepts is safe to build LVM commands from:
// names LVM takes and that cannot pass for options, absolute devices
// given once, a chunk size lvmthin(7) allows, and sizes that read back as
// written. The seeds are the arguments files in testdata/args.
func FuzzParseConfig(f *testing.F) {
	moduletest.FuzzConfig(f, Name, Spec(), ParseConfig, func(t *testing.T, c Config) {
		for option, name := range map[string]string{"vg": c.VG, "thinpool": c.Pool} {
			if !lvm.ValidName(name) {
				t.Errorf("%s=%q accepted: not a name LVM takes", option, name)
			}
		}
		for i, d := range c.Devices {
			if !strings.HasPrefix(d, "/") {
				t.Errorf("device %q accepted: not an absolute path", d)
			}
			if slices.Contains(c.Devices[:i], d) {
				t.Errorf("device %q accepted twice", d)
			}
		}
		if c.ChunkSizeBytes < 64<<10 || c.ChunkSizeBytes > 1<<30 || c.ChunkSizeBytes%(64<<10) != 0 {
			t.Errorf("chunk size %d accepted: lvmthin(7) wants a multiple of 64K from 64K to 1G", c.ChunkSizeBytes)
		}
		for option, s := range map[string]lvm.Size{"data_size": c.DataSize, "metadata_size": c.MetadataSize} {
			checkSize(t, option, s)
		}
		if c.RemoveVG && !c.Absent {
			t.Errorf("remove_vg accepted with state=present")
		}
	})
}

// checkSize fails unless s is a percentage of the VG or of its free space,
// or a positive byte count, and renders as an lvcreate argument that reads
// back as s.
func checkSize(t *testing.T, option string, s lvm.Size) {
	t.Helper()
	switch s.Of {
	case "VG", "FREE":
		if s.Percent < 1 || s.Percent > 100 {
			t.Errorf("%s=%s accepted: a percentage is 1 to 100", option, s)
		}
	case "":
		if s.Bytes <= 0 {
			t.Errorf("%s=%d bytes accepted", option, s.Bytes)
		}
	default:
		t.Errorf("%s=%+v accepted: a percentage of what?", option, s)
	}
	if back, err := lvm.ParseSize(s.String()); err != nil || back != s {
		t.Errorf("%s=%+v renders as %q, which reads back as %+v (%v)", option, s, s.String(), back, err)
	}
	arg := s.Arg()
	if len(arg) != 2 || strings.HasPrefix(arg[1], "-") {
		t.Errorf("%s=%+v gives the lvcreate arguments %q", option, s, arg)
	}
}

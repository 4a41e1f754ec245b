package dockerstorage

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/module/moduletest"
)

// FuzzParseConfig validates any arguments as the module does before it
// looks at the host (the spec, then ParseConfig; nothing runs), and checks
// that a Config it accepts gives daemon.json storage settings dockerd
// takes as meant: devicemapper always on a named thin pool (an empty
// dm.thinpooldev would make dockerd fall back to loop devices), each
// option KEY=VALUE and given once, and a daemon.json that holds exactly
// them after the merge. The seeds are the arguments files in testdata/args.
func FuzzParseConfig(f *testing.F) {
	moduletest.FuzzConfig(f, Name, Spec(), ParseConfig, func(t *testing.T, c Config) {
		if !filepath.IsAbs(c.ConfigPath) || c.RestartTimeout <= 0 {
			t.Errorf("config_path %q and restart timeout %s accepted", c.ConfigPath, c.RestartTimeout)
		}
		s := c.Storage()
		if s.Driver != Devicemapper && s.Driver != Overlay2 {
			t.Fatalf("driver %q accepted", s.Driver)
		}
		var keys []string
		for _, o := range s.Opts {
			key, _, ok := strings.Cut(o, "=")
			key = strings.ToLower(strings.TrimSpace(key))
			if !ok || key == "" || slices.Contains(keys, key) {
				t.Errorf("storage option %q accepted among %q: not KEY=VALUE, or its key is set twice", o, s.Opts)
			}
			keys = append(keys, key)
		}
		if s.Driver == Devicemapper {
			name, ok := strings.CutPrefix(c.PoolDevice, "/dev/mapper/")
			if !ok || name == "" || name != c.PoolDMName || strings.ContainsAny(name, "/") || !slices.Contains(s.Opts, "dm.thinpooldev="+c.PoolDevice) {
				t.Errorf("thinpool_device %q accepted as pool %q (%q): dockerd would not use that thin pool", c.ThinpoolDevice, c.PoolDevice, c.PoolDMName)
			}
		}
		merged, err := docker.MergeDaemonJSON("daemon.json", []byte("{}\n"), s.Changes())
		if err != nil {
			t.Fatalf("merging %+v into an empty daemon.json: %v", s, err)
		}
		d, err := docker.ParseDaemonJSON("daemon.json", merged)
		if err != nil || d.StorageDriver() != s.Driver || !slices.Equal(d.StorageOpts(), s.Opts) {
			t.Errorf("daemon.json holds driver %q and options %q after the merge, want %q and %q (%v)\n%s",
				d.StorageDriver(), d.StorageOpts(), s.Driver, s.Opts, err, merged)
		}
	})
}

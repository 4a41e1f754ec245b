package docker

import (
	"errors"
	"strings"
	"testing"
)

func TestParseVersionReadsWhatPackagersWrite(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"20.10.24+dfsg1", "20.10.24"},                // Debian bookworm docker.io
		{"24.0.7-0ubuntu1~22.04.1", "24.0.7"},         // Ubuntu docker.io
		{"5:24.0.7-1~debian.12~bookworm", "24.0.7"},   // docker-ce with its epoch
		{"28.2.2", "28.2.2"},                          // upstream
		{"17.03.2-ce", "17.3.2"},                      // calendar versions with leading zeros
		{"18.09.1~3-0~ubuntu-bionic", "18.9.1"},       // old docker-ce packages
		{"1.13.1", "1.13.1"},                          // RHEL 7 docker
		{"25.0.0-rc.1", "25.0.0"},                     // a release candidate is its release
		{" 23.0 ", "23.0.0"},                          // no patch
		{"v26.1.4", "26.1.4"},                         // with a v
		{"5:27.3.1-1~ubuntu.24.04~noble", "27.3.1"},   // docker-ce on noble
		{"20.10.21-0ubuntu1~20.04.2", "20.10.21"},     // Ubuntu focal
		{"26.1.5+dfsg1-9+b2", "26.1.5"},               // Debian trixie
		{"24.0.9-1.fc39", "24.0.9"},                   // Fedora moby-engine
		{"2:24.0.7-1.module+el8.9.0+2", "24.0.7"},     // an epoch of another number
		{"20.10.24+dfsg1, build 297e128", "20.10.24"}, // a line of dockerd --version, not cut
	} {
		v, err := ParseVersion(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if v.Release.String() != tc.want {
			t.Errorf("%q: release %s, want %s", tc.in, v.Release, tc.want)
		}
	}
	for _, bad := range []string{"", "latest", "dev", "24", "x24.0.7", "24.0.7.1"} {
		if v, err := ParseVersion(bad); err == nil {
			t.Errorf("%q: parsed as %s, want an error", bad, v.Release)
		}
	}
}

func TestParseDockerdVersion(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"Docker version 20.10.24+dfsg1, build 297e128\n", "20.10.24"},
		{"Docker version 24.0.7, build 311b9ff\n", "24.0.7"},
		{"Docker version 1.13.1, build 7d71120/1.13.1\n", "1.13.1"},
	} {
		v, err := ParseDockerdVersion([]byte(tc.out))
		if err != nil || v.Release.String() != tc.want {
			t.Errorf("%q: %v, %v", tc.out, v.Release, err)
		}
	}
	if _, err := ParseDockerdVersion([]byte("dockerd: command not found\n")); err == nil {
		t.Error("want an error for output without a version")
	}
}

func TestDevicemapperVersionGate(t *testing.T) {
	for _, tc := range []struct {
		version  string
		refused  bool
		warnings []string // substrings, one per expected warning
	}{
		{"1.13.1", false, nil},
		{"17.06.2-ce", false, nil},
		{"18.06.3-ce", false, nil},
		{"18.09.0", false, []string{"deprecated since Docker 18.09"}},
		{"20.10.24+dfsg1", false, []string{"deprecated"}},
		{"22.06.0-beta.0", false, []string{"deprecated"}},
		{"23.0.0", false, []string{"deprecated", "no longer picks devicemapper by itself"}},
		{"5:24.0.7-1~debian.12~bookworm", false, []string{"deprecated", "hold the docker package"}},
		{"24.0.9", false, []string{"deprecated", "Docker 25"}},
		{"25.0.0", true, nil},
		{"25.0.0-rc.1", true, nil},
		{"26.1.5+dfsg1", true, nil},
		{"28.2.2", true, nil},
	} {
		t.Run(tc.version, func(t *testing.T) {
			v, err := ParseVersion(tc.version)
			if err != nil {
				t.Fatal(err)
			}
			warnings, err := CheckDevicemapper(v)
			if tc.refused {
				if !errors.Is(err, ErrDevicemapperRemoved) {
					t.Fatalf("want a refusal, got %v (warnings %q)", err, warnings)
				}
				for _, w := range []string{tc.version, "removed in Docker 25.0", "overlay2", "Docker 24"} {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("refusal %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != len(tc.warnings) {
				t.Fatalf("warnings %q, want %d", warnings, len(tc.warnings))
			}
			for i, w := range tc.warnings {
				if !strings.Contains(warnings[i], w) || !strings.Contains(warnings[i], tc.version) {
					t.Errorf("warning %q does not say %q and the version", warnings[i], w)
				}
			}
		})
	}
}

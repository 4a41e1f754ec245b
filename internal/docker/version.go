package docker

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Version is a Docker Engine version as a package or the engine spells it
// ("5:24.0.7-1~debian.12~bookworm", "20.10.24+dfsg1", "28.2.2"), reduced
// to the upstream release it names (24.0.7).
type Version struct {
	// Raw is the version as reported, for messages.
	Raw string
	// Release is the upstream release: major.minor.patch, without the
	// packager's epoch, revision or suffix.
	Release *semver.Version
}

func (v Version) String() string {
	if v.Release != nil && v.Raw != v.Release.String() {
		return fmt.Sprintf("%s (%s)", v.Release, v.Raw)
	}
	return v.Raw
}

// releaseCore matches the upstream part of a version after any Debian epoch
// ("5:"): two or three numbers, then the end or a packager's separator.
// Docker's old calendar versions have leading zeros ("17.03.2"), which
// strconv reads fine.
var releaseCore = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?(?:$|[-+~_ a-zA-Z])`)

// ParseVersion reads a version string as the Engine API (GET /version
// "Version"), `dockerd --version` or a package manager reports it.
func ParseVersion(s string) (Version, error) {
	raw := strings.TrimSpace(s)
	core := raw
	// A Debian epoch ("5:" in docker-ce's packages) is digits and a colon.
	if i := strings.IndexByte(core, ':'); i > 0 && strings.Trim(core[:i], "0123456789") == "" {
		core = core[i+1:]
	}
	m := releaseCore.FindStringSubmatch(core)
	if m == nil {
		return Version{}, fmt.Errorf("%q is not a Docker version (expected e.g. 24.0.7 or 20.10.24+dfsg1)", raw)
	}
	var n [3]uint64
	for i, part := range m[1:4] {
		if part == "" {
			continue
		}
		var err error
		if n[i], err = strconv.ParseUint(part, 10, 64); err != nil {
			return Version{}, fmt.Errorf("%q is not a Docker version: %w", raw, err)
		}
	}
	return Version{Raw: raw, Release: semver.New(n[0], n[1], n[2], "", "")}, nil
}

// DockerdVersionArgv asks the installed daemon binary for its version; it
// answers without a running engine.
func DockerdVersionArgv() []string { return []string{"dockerd", "--version"} }

var dockerdVersionLine = regexp.MustCompile(`Docker version ([^\s,]+)`)

// ParseDockerdVersion reads `dockerd --version` output, e.g.
// "Docker version 20.10.24+dfsg1, build 297e128".
func ParseDockerdVersion(out []byte) (Version, error) {
	m := dockerdVersionLine.FindSubmatch(out)
	if m == nil {
		return Version{}, fmt.Errorf("cannot find a version in the output of dockerd --version: %q", strings.TrimSpace(string(out)))
	}
	return ParseVersion(string(m[1]))
}

// ErrDevicemapperRemoved says the engine has no devicemapper driver at all.
var ErrDevicemapperRemoved = errors.New("the devicemapper storage driver was removed in Docker 25.0")

// The devicemapper milestones (docker/cli docs/deprecated.md; moby
// daemon/graphdriver/driver.go): deprecated in 18.09, no longer picked
// automatically from 23.0 (naming it still works, with a warning), gone in
// 25.0.
var (
	dmRemoved      = mustConstraint(">= 25.0.0")
	dmDeprecated   = mustConstraint(">= 18.9.0")
	dmExplicitOnly = mustConstraint(">= 23.0.0, < 25.0.0")
)

func mustConstraint(c string) *semver.Constraints {
	cs, err := semver.NewConstraint(c)
	if err != nil {
		panic(err)
	}
	return cs
}

// CheckDevicemapper says whether engine version v can run the devicemapper
// driver. It refuses 25.0 and later (wrapping ErrDevicemapperRemoved) and
// returns the warnings an operator should see for the versions that still
// have it.
func CheckDevicemapper(v Version) (warnings []string, err error) {
	if v.Release == nil {
		return nil, fmt.Errorf("docker version %q was not parsed", v.Raw)
	}
	if dmRemoved.Check(v.Release) {
		return nil, fmt.Errorf("docker %s cannot use devicemapper: %w (deprecated since 18.09); use driver=overlay2, or stay on Docker 24 or older (install that version and hold the package)",
			v, ErrDevicemapperRemoved)
	}
	if dmDeprecated.Check(v.Release) {
		warnings = append(warnings, fmt.Sprintf("docker %s: the devicemapper storage driver is deprecated since Docker 18.09 and removed in 25.0; plan the move to overlay2", v))
	}
	if dmExplicitOnly.Check(v.Release) {
		warnings = append(warnings, fmt.Sprintf("docker %s no longer picks devicemapper by itself: it runs only because daemon.json names it, and `docker info` warns about it; upgrading to Docker 25 or later leaves docker unable to start on this storage: hold the docker package until the move to overlay2", v))
	}
	return warnings, nil
}

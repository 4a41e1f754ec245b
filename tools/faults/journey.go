package faults

import (
	"fmt"
	"strings"
)

// Journey is a way the role takes a host that the matrix cuts: how the
// starting host is made after reset.sh, how the role runs, in which
// order its modules run, and what converged means.
type Journey struct {
	Name string
	// Modules are the role's module runs in order, as the fault hook
	// (package fault) names them.
	Modules []string
	// Setup is the driver of an uncut run of the role that makes the
	// starting host once reset.sh ran; empty for none.
	Setup string
	// Driver is direct_lvm_driver for the runs the matrix cuts.
	Driver string
	// judge compares check.sh's report (facts) with what converged means.
	judge func(facts map[string][]string) []string
}

// Journeys are the matrix's journeys by name.
var Journeys = map[string]Journey{
	// From docker on overlay2 holding an image, a container and a volume,
	// to direct-lvm.
	"direct-lvm": {Name: "direct-lvm", Modules: []string{"lvm_thinpool", "lvm_profile", "docker_storage"},
		Driver: "devicemapper", judge: judgeDirectLVM},
	// From that direct-lvm host (the role made it) off devicemapper, onto
	// overlay2 on the XFS volume that takes the pool's place.
	"overlay2": {Name: "overlay2", Modules: []string{"docker_storage@released", "lvm_volume", "lvm_profile", "docker_storage"},
		Setup: "devicemapper", Driver: "overlay2", judge: judgeOverlay2},
}

// JourneyNames lists the journeys for a flag's help.
func JourneyNames() string { return "direct-lvm, overlay2" }

func (j Journey) order(module string) int {
	for i, m := range j.Modules {
		if m == module {
			return i
		}
	}
	return len(j.Modules)
}

// one is the only value of key k, or all of them joined.
func one(facts map[string][]string, k string) string {
	if v := facts[k]; len(v) == 1 {
		return v[0]
	}
	return strings.Join(facts[k], " | ")
}

func judgeDirectLVM(facts map[string][]string) []string {
	var bad []string
	if v := one(facts, "pool"); v != "thin,pool monitored docker-thinpool" {
		bad = append(bad, fmt.Sprintf("the pool is %q, not a monitored thin pool with profile docker-thinpool", v))
	}
	if v := one(facts, "docker"); v != "devicemapper docker-thinpool" {
		bad = append(bad, fmt.Sprintf("docker runs on %q, not devicemapper with docker-thinpool", v))
	}
	if v := one(facts, "container"); !strings.HasPrefix(v, "ran on /dev/mapper/docker-") {
		bad = append(bad, fmt.Sprintf("a container did not run on a thin device of the pool: %q", v))
	}
	return bad
}

func judgeOverlay2(facts map[string][]string) []string {
	var bad []string
	if v := one(facts, "lvs"); v != "data" {
		bad = append(bad, fmt.Sprintf("VG docker holds %q, not the volume data alone (the pool gone)", v))
	}
	if v := one(facts, "vg free extents"); v != "0" {
		bad = append(bad, fmt.Sprintf("VG docker has %s extents free: the volume did not take the pool's space", v))
	}
	if v := one(facts, "profile file"); v != "absent" {
		bad = append(bad, fmt.Sprintf("the pool's profile file is %s", v))
	}
	if v := one(facts, "data root"); v != "/dev/mapper/docker-data xfs prjquota" {
		bad = append(bad, fmt.Sprintf("/var/lib/docker is %q, not the volume's XFS with prjquota", v))
	}
	if v := one(facts, "docker"); v != "overlay2" {
		bad = append(bad, fmt.Sprintf("docker runs on %q, not overlay2", v))
	}
	if v := one(facts, "container"); v != "ran on overlay" {
		bad = append(bad, fmt.Sprintf("a container did not run on overlay2: %q", v))
	}
	return bad
}

// judge compares check.sh's report with what a converged host shows on
// journey j: j's own facts, and those of every journey: the image carried,
// nothing left in transit, the volume in the new data root, the old
// container's layer in one moved-aside data root, the other disk intact.
func judge(j Journey, report, otherSum string) []string {
	facts := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(report), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		facts[k] = append(facts[k], strings.TrimSpace(v))
	}
	bad := j.judge(facts)
	if v := one(facts, "image"); v != "tiny:1" {
		bad = append(bad, fmt.Sprintf("the image tiny:1 was not carried: %q", v))
	}
	if v, ok := facts["carry left"]; ok {
		bad = append(bad, fmt.Sprintf("/var/lib/docker.directlvm-carry is left behind holding %q", v))
	}
	// The volume is carried into the new data root; the container's
	// layer stays in the one moved aside.
	var volume, layers []string
	for _, f := range facts["kept"] {
		if strings.Contains(f, "/volumes/") {
			volume = append(volume, f)
		} else {
			layers = append(layers, f)
		}
	}
	if len(volume) != 1 || volume[0] != "/var/lib/docker/volumes/keep/_data/kept.txt" {
		bad = append(bad, fmt.Sprintf("the volume keep (its kept.txt) is not in the new data root, and only there: %q", volume))
	}
	if len(layers) != 1 || !strings.HasPrefix(layers[0], "/var/lib/docker.directlvm-") {
		bad = append(bad, fmt.Sprintf("the container's layer (its kept.txt) is not in one moved-aside data root: %q", layers))
	}
	if v := one(facts, "other disk"); v != otherSum {
		bad = append(bad, fmt.Sprintf("the other disk changed: sha256 %s, was %s", v, otherSum))
	}
	return bad
}

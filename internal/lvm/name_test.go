package lvm

import (
	"strings"
	"testing"
)

func TestValidNameFollowsLVMsRule(t *testing.T) {
	for name, want := range map[string]bool{
		"docker": true, "thin-pool_1.a+b": true, strings.Repeat("a", 127): true,
		"": false, "-bad": false, ".": false, "..": false, "a/b": false, "a b": false,
		"é": false, strings.Repeat("a", 128): false,
	} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestDMNameDoublesTheDashesInsideEachName(t *testing.T) {
	for vg, want := range map[string]string{"docker": "docker-thinpool", "vg-1": "vg--1-thinpool"} {
		if got := DMName(vg, "thinpool"); got != want {
			t.Errorf("DMName(%q, thinpool) = %q, want %q", vg, got, want)
		}
	}
	if got := DMName("a-b", "c-d"); got != "a--b-c--d" {
		t.Errorf("DMName(a-b, c-d) = %q", got)
	}
}

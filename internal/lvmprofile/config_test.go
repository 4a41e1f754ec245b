package lvmprofile

import (
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/module/moduletest"
)

func TestTheDefaultsAreDockersDocumentedProfile(t *testing.T) {
	c := config(t, map[string]any{})
	if c.Name != "docker-thinpool" || c.Threshold != 80 || c.Percent != 20 || !c.Monitor || c.Absent || c.ProfileDir != "" || c.Pool() != "" {
		t.Errorf("defaults: %+v", c)
	}
	if err := Spec().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLvIsSplitIntoVGAndLV(t *testing.T) {
	c := config(t, map[string]any{"lv": "docker/thinpool", "profile_dir": "/etc/lvm/profile/"})
	if c.VG != "docker" || c.LV != "thinpool" || c.Pool() != "docker/thinpool" || c.ProfileDir != "/etc/lvm/profile" {
		t.Errorf("%+v", c)
	}
}

func TestEveryBadOptionIsReportedAtOnce(t *testing.T) {
	req, err := ansible.NewRequest(ansible.Module{Name: Name, Spec: Spec()}, map[string]any{
		"name":                 "../evil",
		"autoextend_threshold": 30,
		"autoextend_percent":   0,
		"profile_dir":          "relative/dir",
		"lv":                   "thinpool",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = moduletest.Parse(req.Params, ParseConfig)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`name="../evil" is not a valid profile name`,
		"autoextend_threshold=30 is below 50: LVM would silently use 50",
		"autoextend_percent=0 must be greater than 0",
		`profile_dir="relative/dir" is not an absolute path`,
		`lv="thinpool" is not VG/LV`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestThresholdsFrom50To100AreAccepted(t *testing.T) {
	for _, tc := range []struct {
		threshold int
		ok        bool
	}{{49, false}, {50, true}, {80, true}, {100, true}, {101, false}} {
		req, err := ansible.NewRequest(ansible.Module{Name: Name, Spec: Spec()}, map[string]any{"autoextend_threshold": tc.threshold})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := moduletest.Parse(req.Params, ParseConfig); (err == nil) != tc.ok {
			t.Errorf("threshold %d: accepted=%v, want %v (%v)", tc.threshold, err == nil, tc.ok, err)
		}
	}
}

func TestSurveyAnswersArriveAsStrings(t *testing.T) {
	c := config(t, map[string]any{"autoextend_threshold": "90", "autoextend_percent": "10", "monitor": "no"})
	if c.Threshold != 90 || c.Percent != 10 || c.Monitor {
		t.Errorf("%+v", c)
	}
}

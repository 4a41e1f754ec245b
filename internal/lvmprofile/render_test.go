package lvmprofile

import (
	"bytes"
	"testing"
)

func TestTheProfileIsRenderedByteForByte(t *testing.T) {
	got := Render(80, 20)
	if want := golden(t); !bytes.Equal(got, want) {
		t.Errorf("Render(80, 20):\n%q\nwant (testdata/docker-thinpool.profile):\n%q", got, want)
	}
	if !bytes.Equal(Render(80, 20), got) {
		t.Error("two renders of the same settings differ")
	}
}

func TestTheSettingsAreReadBackFromAFile(t *testing.T) {
	threshold, percent := settingsOf(Render(65, 15))
	if threshold == nil || *threshold != 65 || percent == nil || *percent != 15 {
		t.Errorf("got %v %v", threshold, percent)
	}
	// A hand-written profile, as the runbook has it on one line, is read too.
	threshold, percent = settingsOf([]byte("activation {\n  thin_pool_autoextend_threshold = 70\n}\n"))
	if threshold == nil || *threshold != 70 || percent != nil {
		t.Errorf("got %v %v", threshold, percent)
	}
}

func TestTheProfileLivesInTheDirectoryUnderItsName(t *testing.T) {
	if got := ProfilePath("/etc/lvm/profile", "docker-thinpool"); got != "/etc/lvm/profile/docker-thinpool.profile" {
		t.Errorf("got %s", got)
	}
}

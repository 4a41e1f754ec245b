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
	// The bytes depend on the settings and on nothing else: other
	// settings give another file, read back as those settings.
	other := Render(81, 20)
	if bytes.Equal(other, got) {
		t.Error("Render(81, 20) gives the same bytes as Render(80, 20)")
	}
	if threshold, percent := settingsOf(other); threshold == nil || *threshold != 81 || percent == nil || *percent != 20 {
		t.Errorf("Render(81, 20) reads back as %v %v", threshold, percent)
	}
}

func TestTheSettingsAreReadBackFromAFile(t *testing.T) {
	threshold, percent := settingsOf(Render(65, 15))
	if threshold == nil || *threshold != 65 || percent == nil || *percent != 15 {
		t.Errorf("got %v %v", threshold, percent)
	}
	// A hand-written profile, one setting a line with spaces around "=",
	// is read too; a setting it lacks is nil.
	threshold, percent = settingsOf([]byte("activation {\n  thin_pool_autoextend_threshold = 70\n}\n"))
	if threshold == nil || *threshold != 70 || percent != nil {
		t.Errorf("got %v %v", threshold, percent)
	}
	// The runbook's one-line form is not read: both settings are reported
	// as nil, and the module rewrites such a file since its bytes differ.
	threshold, percent = settingsOf([]byte("activation { thin_pool_autoextend_threshold=80 thin_pool_autoextend_percent=20 }\n"))
	if threshold != nil || percent != nil {
		t.Errorf("the one-line form: got %v %v, want nil nil", threshold, percent)
	}
}

func TestTheProfileLivesInTheDirectoryUnderItsName(t *testing.T) {
	if got := ProfilePath("/etc/lvm/profile", "docker-thinpool"); got != "/etc/lvm/profile/docker-thinpool.profile" {
		t.Errorf("got %s", got)
	}
}

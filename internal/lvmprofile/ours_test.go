package lvmprofile

import "testing"

// Which profiles the module may rewrite or remove: its own, and the one
// Docker's runbook has operators write by hand; never LVM's or a user's.
func TestOnlyOurOwnOrTheRunbooksProfileIsTouched(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		ours       bool
	}{
		{"what this module writes", string(Render(80, 20)), true},
		{"the runbook's profile, one setting a line",
			"activation {\n  thin_pool_autoextend_threshold=80\n  thin_pool_autoextend_percent=20\n}\n", true},
		{"the runbook's profile on one line",
			"activation { thin_pool_autoextend_threshold=80 thin_pool_autoextend_percent=20 }\n", true},
		{"the runbook's profile with a comment and spaces around =",
			"# docker\nactivation {\n\tthin_pool_autoextend_threshold = 90 # grow late\n}\n", true},
		// As lvm2 2.03 ships it in /etc/lvm/profile/thin-performance.profile.
		{"LVM's thin-performance profile",
			"# Thin pool performance profile\nallocation {\n\tthin_pool_chunk_size_policy=\"performance\"\n\tthin_pool_zero=0\n}\n", false},
		{"autoextend plus another activation setting",
			"activation {\n\tthin_pool_autoextend_threshold=80\n\tmonitoring=0\n}\n", false},
		{"the autoextend names in another section",
			"allocation {\n\tthin_pool_autoextend_threshold=80\n}\n", false},
		{"a list value holding a name-like word",
			"activation {\n\tthin_pool_autoextend_percent=20\n\tvolume_list=[\"vg0\", \"thin_pool_autoextend_threshold\"]\n}\n", false},
		{"an empty file", "", false},
		{"only comments", "# nothing here\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ours([]byte(tc.text)); got != tc.ours {
				t.Errorf("ours = %v, want %v for:\n%s\n(settings read: %v)", got, tc.ours, tc.text, profileSettings(tc.text))
			}
		})
	}
}

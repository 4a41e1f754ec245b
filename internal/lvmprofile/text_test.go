package lvmprofile

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/lvm"
)

// The module used to read names, lvmconfig's answer and profile files with
// regular expressions. It no longer does, so that the binary does without
// the regexp package; these tests hold the plain code to what the
// expressions accepted.
var (
	oldLVMName      = regexp.MustCompile(`^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$`)
	oldProfileDir   = regexp.MustCompile(`(?m)^\s*profile_dir\s*=\s*"([^"]*)"\s*$`)
	oldThreshold    = regexp.MustCompile(`(?m)^\s*thin_pool_autoextend_threshold\s*=\s*(\d+)\s*$`)
	oldPercent      = regexp.MustCompile(`(?m)^\s*thin_pool_autoextend_percent\s*=\s*(\d+)\s*$`)
	oldValidName    = func(s string) bool { return oldLVMName.MatchString(s) && s != "." && s != ".." && len(s) <= 127 }
	nameSeeds       = []string{"docker-thinpool", "thinpool", "a", "A.b_c+d-9", "", "-docker", ".", "..", "...", "x y", "a/b", "docker\n", "thïnpool", "\xff", strings.Repeat("x", 127), strings.Repeat("x", 128)}
	profileTextSeed = []string{
		`profile_dir="/etc/lvm/profile"` + "\n", // lvmconfig config/profile_dir
		"  profile_dir = \"/srv/lvm profiles\"  \r\n",
		`profile_dir="/etc/lvm/profile"`, // no final newline
		"# profile_dir=\"/commented\"\nprofile_dir=\"/etc/lvm/profile\"\n",
		`profile_dir="a"b"` + "\nprofile_dir=\"/later\"\n",
		`profile_dir=""` + "\n",
		`profile_dir=/etc/lvm/profile` + "\n",
		`xprofile_dir="/x"` + "\n",
		"config {\n\tprofile_dir=\"/etc/lvm/profile\"\n}\n",
		string(Render(80, 20)),
		"activation {\n  thin_pool_autoextend_threshold = 70\n}\n",
		"activation { thin_pool_autoextend_threshold=80 thin_pool_autoextend_percent=20 }\n", // the runbook's one line
		"thin_pool_autoextend_threshold=\nthin_pool_autoextend_threshold=75\n",
		"thin_pool_autoextend_threshold=-5\nthin_pool_autoextend_percent=+5\n",
		"thin_pool_autoextend_threshold=99999999999999999999\nthin_pool_autoextend_threshold=70\n",
		"thin_pool_autoextend_percent=0020\n",
		"thin_pool_autoextend_percent=20 # grow by a fifth\n",
	}
)

func FuzzValidNameAcceptsWhatTheOldExpressionDid(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := lvm.ValidName(s), oldValidName(s); got != want {
			t.Errorf("lvm.ValidName(%q) = %v, the expression said %v", s, got, want)
		}
	})
}

// FuzzSettingsReadAsTheOldExpressionsDid compares on ASCII text: \v and
// the Unicode spaces are white space to strings.TrimSpace but not to \s,
// and neither occurs in what lvmconfig prints or a profile holds. A match
// of the old expressions that runs over a line break (`\s*` and `[^"]*`
// cross them) is no setting either, and is left out.
func FuzzSettingsReadAsTheOldExpressionsDid(f *testing.F) {
	for _, s := range profileTextSeed {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for i := 0; i < len(text); i++ {
			if text[i] >= 0x80 || text[i] == '\v' {
				return
			}
		}
		old := func(re *regexp.Regexp) (value string, found, ok bool) {
			m := re.FindStringSubmatch(text)
			if m == nil {
				return "", false, true
			}
			return m[1], true, !strings.Contains(strings.TrimSpace(m[0]), "\n")
		}

		want, wantFound, ok := old(oldProfileDir)
		got, gotFound := profileDirOf([]byte(text))
		if ok && (got != want || gotFound != wantFound) {
			t.Errorf("profileDirOf(%q) = %q, %v; the expression found %q, %v", text, got, gotFound, want, wantFound)
		}

		threshold, percent := settingsOf([]byte(text))
		for _, c := range []struct {
			re  *regexp.Regexp
			got *int
		}{{oldThreshold, threshold}, {oldPercent, percent}} {
			digits, found, ok := old(c.re)
			if !ok {
				continue
			}
			var want *int
			if n, err := strconv.Atoi(digits); found && err == nil {
				want = &n
			}
			if (c.got == nil) != (want == nil) || c.got != nil && *c.got != *want {
				t.Errorf("settingsOf(%q) gives %v for %s; the expression gave %v", text, deref(c.got), c.re, deref(want))
			}
		}
	})
}

func TestProfileDirIsReadFromLvmconfig(t *testing.T) {
	tests := []struct {
		out  string
		want string // "" for none
	}{
		{`profile_dir="/etc/lvm/profile"` + "\n", "/etc/lvm/profile"},
		{"  profile_dir = \"/srv/lvm profiles\"  \r\n", "/srv/lvm profiles"},
		{`profile_dir="a"b"` + "\nprofile_dir=\"/later\"\n", "/later"},
		{`profile_dir=/etc/lvm/profile` + "\n", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got, _ := profileDirOf([]byte(tt.out)); got != tt.want {
			t.Errorf("profileDirOf(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
}

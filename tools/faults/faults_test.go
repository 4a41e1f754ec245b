package faults

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The logs in testdata are ansible-playbook's output of real runs of the
// role on the guest: uncut, cut by SIGKILL of docker_storage, and cut by
// a power cut.
func readPlay(t *testing.T, name string) Play {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return Play{Output: string(b)}
}

func TestTheRowsAreTheStepsAnUncutRunOfTheRoleTook(t *testing.T) {
	steps, err := readPlay(t, "uncut.log").Steps(Journeys["direct-lvm"])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range steps {
		got = append(got, s.Module+":"+strings.Fields(s.What)[0])
	}
	want := "lvm_thinpool:pvcreate lvm_thinpool:vgcreate lvm_thinpool:lvcreate lvm_thinpool:lvcreate lvm_thinpool:lvconvert " +
		"lvm_profile:lvmconfig lvm_profile:write lvm_profile:lvchange " +
		"docker_storage:stop docker_storage:move docker_storage:write docker_storage:start docker_storage:wait docker_storage:verify"
	if strings.Join(got, " ") != want {
		t.Errorf("steps:\n  %s\nwant:\n  %s", strings.Join(got, " "), want)
	}
	if steps[5].What != "lvmconfig --validate --config '# Managed by directlvm.docker.lvm_profile: thin pool autoextend for Docker." || steps[5].N != 1 {
		t.Errorf("a step's text is its first line: %+v", steps[5])
	}
	all, err := Select(steps, "all")
	if err != nil {
		t.Fatal(err)
	}
	// Every step that changes the host, cut both ways; the profile's
	// validation, docker's wait and the verification read only.
	if len(all) != 2*11 {
		t.Errorf("all: %d rows, want 22", len(all))
	}
	for _, p := range all {
		if !p.Changes() {
			t.Errorf("all has the read-only %s", p)
		}
	}
	every, _ := Select(steps, "every")
	if len(every) != 2*14 {
		t.Errorf("every: %d rows, want 28", len(every))
	}
}

func TestARowIsNamedByStepNumberOrByTheStartOfItsText(t *testing.T) {
	steps, _ := readPlay(t, "uncut.log").Steps(Journeys["direct-lvm"])
	rows, err := Select(steps, "docker_storage:write:powercut, lvm_thinpool:5:kill")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Env() != "docker_storage:3:powercut" || rows[1].Env() != "lvm_thinpool:5:kill" {
		t.Errorf("rows: %+v", rows)
	}
	for _, bad := range []string{"docker_storage:9:kill", "docker_storage:write:reboot", "lvm_thinpool:5"} {
		if _, err := Select(steps, bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestAKilledModuleAndAPowerCutAreToldApart(t *testing.T) {
	killed := readPlay(t, "killed.log")
	if !killed.Killed("docker_storage") || killed.Killed("lvm_thinpool") || !killed.Killed("docker_storage@released") {
		t.Error("the kill of docker_storage is not recognised as such")
	}
	cut := readPlay(t, "powercut.log")
	if cut.Killed("docker_storage") {
		t.Error("a power cut is taken for a kill")
	}
	if _, unreachable, _, ok := cut.Recap(); !ok || unreachable != 1 {
		t.Errorf("power cut recap: unreachable=%d ok=%t", unreachable, ok)
	}
	if f := cut.Failure(); !strings.Contains(f, "Failed to connect to the host via ssh") {
		t.Errorf("failure: %q", f)
	}
}

const converged = `pool: thin,pool monitored docker-thinpool
docker: devicemapper docker-thinpool
image: tiny:1
container: ran on /dev/mapper/docker-254:0-1234-abc
kept: /var/lib/docker/volumes/keep/_data/kept.txt
kept: /var/lib/docker.directlvm-20261130T132841/overlay2/0f3e/diff/kept.txt
other disk: 5e3a
`

func TestAConvergedHostPassesAndEachShortfallIsNamed(t *testing.T) {
	if bad := judge(Journeys["direct-lvm"], converged, "5e3a"); len(bad) != 0 {
		t.Errorf("a converged host failed: %q", bad)
	}
	cases := map[string]struct{ from, to, says string }{
		"unmonitored pool":    {"thin,pool monitored", "thin,pool not monitored", "not a monitored thin pool"},
		"docker on overlay2":  {"docker: devicemapper docker-thinpool", "docker: overlay2 ", "docker runs on"},
		"container failed":    {"ran on /dev/mapper/docker-254:0-1234-abc", "Error response from daemon", "a container did not run"},
		"layer left in place": {"docker.directlvm-20261130T132841/overlay2", "docker/overlay2", "not in one moved-aside data root"},
		"layer lost":          {"kept: /var/lib/docker.directlvm-20261130T132841/overlay2/0f3e/diff/kept.txt\n", "", "not in one moved-aside data root"},
		"volume not carried":  {"/var/lib/docker/volumes", "/var/lib/docker.directlvm-20261130T132841/volumes", "the volume keep"},
		"volume copied":       {"kept: /var/lib/docker/volumes/keep/_data/kept.txt\n", "kept: /var/lib/docker/volumes/keep/_data/kept.txt\nkept: /var/lib/docker.directlvm-carry/volumes/keep/_data/kept.txt\n", "the volume keep"},
		"image not carried":   {"image: tiny:1", "image: Error: No such image: tiny:1", "tiny:1 was not carried"},
		"carry left behind":   {"other disk: 5e3a", "carry left: images.tar images.json\nother disk: 5e3a", "left behind"},
		"other disk written":  {"other disk: 5e3a", "other disk: 77aa", "the other disk changed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			report := strings.Replace(converged, c.from, c.to, 1)
			bad := judge(Journeys["direct-lvm"], report, "5e3a")
			if len(bad) != 1 || !strings.Contains(bad[0], c.says) {
				t.Errorf("judge said %q, want one finding saying %q", bad, c.says)
			}
		})
	}
}

func TestTheTableHasOneLinePerStepAndOneColumnPerCut(t *testing.T) {
	s := Step{Module: "docker_storage", N: 2, What: "move the data root /var/lib/docker aside"}
	var b bytes.Buffer
	Table(&b, Journeys["direct-lvm"], []Outcome{
		{Point: Point{Step: s, Kind: "kill"}, OK: true, Says: "converged"},
		{Point: Point{Step: s, Kind: "powercut"}, Says: "the next run failed: boom"},
		{Point: Point{Step: Step{Module: "lvm_thinpool", N: 1, What: "pvcreate /dev/vdc"}, Kind: "kill"}, OK: true},
	})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "lvm_thinpool") || !strings.Contains(lines[2], "converged") || !strings.Contains(lines[2], "FAILED: the next run failed: boom") || !strings.HasSuffix(lines[1], "-") {
		t.Errorf("table:\n%s", b.String())
	}
}

// uncut-overlay2.log is the role's overlay2 mode on the direct-lvm host
// the role made (the overlay2 journey's uncut run on the guest).
func TestTheOverlay2JourneysRowsAreItsModulesStepsInTurn(t *testing.T) {
	steps, err := readPlay(t, "uncut-overlay2.log").Steps(Journeys["overlay2"])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range steps {
		got = append(got, s.Module+":"+strings.Fields(s.What)[0])
	}
	want := "docker_storage@released:export docker_storage@released:stop lvm_volume:lvremove lvm_volume:lvcreate lvm_volume:mkfs.xfs lvm_profile:remove " +
		"docker_storage:stop docker_storage:move docker_storage:move docker_storage:mount docker_storage:move docker_storage:copy docker_storage:write docker_storage:start docker_storage:wait docker_storage:verify docker_storage:load"
	if strings.Join(got, " ") != want {
		t.Errorf("steps:\n  %s\nwant:\n  %s", strings.Join(got, " "), want)
	}
	rows, err := Select(steps, "docker_storage@released:2:powercut,docker_storage:2:kill")
	if err != nil || len(rows) != 2 || rows[0].Env() != "docker_storage@released:2:powercut" || rows[1].What != "move the volumes (keep) out of the data root to /var/lib/docker.directlvm-carry/volumes" {
		t.Errorf("rows: %+v, %v", rows, err)
	}
}

const convergedOverlay2 = `pool: Failed to find logical volume "docker/thinpool"
lvs: data
vg free extents: 0
profile file: absent
data root: /dev/mapper/docker-data xfs prjquota
docker: overlay2
image: tiny:1
container: ran on overlay
kept: /var/lib/docker/volumes/keep/_data/kept.txt
kept: /var/lib/docker.directlvm-20261130T132841/overlay2/0f3e/diff/kept.txt
other disk: 5e3a
`

func TestAHostOffDevicemapperPassesAndEachShortfallIsNamed(t *testing.T) {
	j := Journeys["overlay2"]
	if bad := judge(j, convergedOverlay2, "5e3a"); len(bad) != 0 {
		t.Errorf("a converged host failed: %q", bad)
	}
	cases := map[string]struct{ from, to, says string }{
		"pool left":          {"lvs: data", "lvs: data thinpool", "not the volume data alone"},
		"space not given":    {"vg free extents: 0", "vg free extents: 42", "did not take the pool's space"},
		"profile left":       {"profile file: absent", "profile file: present", "profile file is present"},
		"not mounted":        {"data root: /dev/mapper/docker-data xfs prjquota", "data root:  ", "not the volume's XFS"},
		"no project quota":   {"xfs prjquota", "xfs", "not the volume's XFS with prjquota"},
		"still devicemapper": {"docker: overlay2", "docker: devicemapper docker-thinpool", "not overlay2"},
		"container failed":   {"ran on overlay", "Error response from daemon", "did not run on overlay2"},
		"image lost":         {"image: tiny:1", "image: Error: No such image: tiny:1", "tiny:1 was not carried"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			bad := judge(j, strings.Replace(convergedOverlay2, c.from, c.to, 1), "5e3a")
			if len(bad) != 1 || !strings.Contains(bad[0], c.says) {
				t.Errorf("judge said %q, want one finding saying %q", bad, c.says)
			}
		})
	}
}

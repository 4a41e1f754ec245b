package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/tools/procacct"
)

func TestCountingARollout(t *testing.T) {
	ms := time.Millisecond
	records := []procacct.Record{
		// ansible's shell runs the lvm_thinpool binary, which runs lvm twice
		// and forks a child that exits before exec.
		{Comm: "sh", PID: 10, PPID: 9, Elapsed: 1200 * ms},
		{Comm: "AnsiballZ_lvm_t", PID: 11, PPID: 10, Elapsed: 1000 * ms, CPU: 40 * ms},
		{Comm: "lvm", PID: 12, PPID: 11, Elapsed: 300 * ms},
		{Comm: "lvcreate", PID: 13, PPID: 11, Elapsed: 500 * ms},
		{Comm: "AnsiballZ_lvm_t", PID: 14, PPID: 11},
		// udev's rules run pvscan by themselves.
		{Comm: "pvscan", PID: 20, PPID: 5, Elapsed: 100 * ms},
		// docker_storage waits for docker's restart: the old daemon exits;
		// dockerd --version is not a daemon.
		{Comm: "AnsiballZ_docke", PID: 30, PPID: 29, Elapsed: 9000 * ms, CPU: 90 * ms},
		{Comm: "dockerd", PID: 31, PPID: 30, Elapsed: 50 * ms},
		{Comm: "dockerd", PID: 40, PPID: 1, Elapsed: 3600 * time.Second},
	}
	live := map[uint32]string{5: "(udev-worker)", 1: "systemd"}

	var m Measure
	count(&m, records, live)
	if m.LVMCommands != 2 || m.LVMByUdev != 1 || m.DockerRestarts != 1 {
		t.Errorf("got %d LVM commands, %d by udev, %d docker restarts; want 2, 1, 1", m.LVMCommands, m.LVMByUdev, m.DockerRestarts)
	}

	got := overhead(records, 8000*ms)
	if len(got) != 2 {
		t.Fatalf("got %d modules, want 2: %+v", len(got), got)
	}
	thin, docker := got[0], got[1]
	if thin.Module != "lvm_thinpool" || thin.Runs != 1 || thin.Commands != 800*ms || thin.Own() != 200*ms || thin.CPU != 40*ms {
		t.Errorf("lvm_thinpool: %+v (own %v)", thin, thin.Own())
	}
	if docker.Module != "docker_storage" || docker.DockerRestart != 8000*ms || docker.Commands != 50*ms || docker.Own() != 950*ms {
		t.Errorf("docker_storage: %+v (own %v)", docker, docker.Own())
	}
}

func TestTheRerunRatioUsesTheMedians(t *testing.T) {
	s := time.Second
	rep := Report{Versions: map[string]string{}, Measures: []Measure{
		{Case: "a", Run: rerun, Wall: 10 * s}, {Case: "a", Run: rerun, Wall: 30 * s}, {Case: "a", Run: rerun, Wall: 12 * s},
		{Case: "b", Run: rerun, Wall: 40 * s}, {Case: "b", Run: rerun, Wall: 20 * s}, {Case: "b", Run: rerun, Wall: 24 * s},
	}}
	// medians 12 s and 24 s
	if md := rep.Markdown(); !strings.Contains(md, "| converged rerun, a/b (target ≤ 0.3×) | 0.50× |") {
		t.Errorf("want the ratio of the medians, 0.50×, in:\n%s", md)
	}
}

func TestAModuleProcessIsKnownByEitherNameItRunsUnder(t *testing.T) {
	for comm, want := range map[string]string{
		"lvm_thinpool":    "lvm_thinpool",   // the collection's action plugin
		"docker_storage":  "docker_storage", // 14 bytes: the kernel keeps it whole
		"AnsiballZ_lvm_p": "lvm_profile",    // ansible's own name, cut to 15 bytes
		"lvm":             "",
	} {
		got, ok := moduleOf(comm)
		if got != want || ok != (want != "") {
			t.Errorf("moduleOf(%q) = %q, %v; want %q", comm, got, ok, want)
		}
	}
}

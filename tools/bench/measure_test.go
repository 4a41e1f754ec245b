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
		{Comm: "lvm_thinpool", PID: 11, PPID: 10, Elapsed: 1000 * ms, CPU: 40 * ms},
		{Comm: "lvm", PID: 12, PPID: 11, Elapsed: 300 * ms},
		{Comm: "lvcreate", PID: 13, PPID: 11, Elapsed: 500 * ms},
		{Comm: "lvm_thinpool", PID: 14, PPID: 11},
		// udev's rules run pvscan by themselves.
		{Comm: "pvscan", PID: 20, PPID: 5, Elapsed: 100 * ms},
		// docker_storage waits for docker's restart: the old daemon exits;
		// dockerd --version is not a daemon.
		{Comm: "docker_storage", PID: 30, PPID: 29, Elapsed: 9000 * ms, CPU: 90 * ms},
		{Comm: "dockerd", PID: 31, PPID: 30, Elapsed: 50 * ms},
		{Comm: "dockerd", PID: 40, PPID: 1, Elapsed: 3600 * time.Second},
	}
	live := map[uint32]string{5: "(udev-worker)", 1: "systemd"}

	var m Measure
	count(&m, records, live, "")
	if m.LVMCommands != 2 || m.LVMByUdev != 1 || m.DockerRestarts != 1 {
		t.Errorf("got %d LVM commands, %d by udev, %d docker restarts; want 2, 1, 1", m.LVMCommands, m.LVMByUdev, m.DockerRestarts)
	}

	got, runs := overhead(records, 8000*ms, "")
	if len(got) != 2 || runs != 2 {
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
	if md := rep.Markdown(); !strings.Contains(md, "| converged rerun, a/b (target ≤ 0.15×) | 0.50× |") {
		t.Errorf("want the ratio of the medians, 0.50×, in:\n%s", md)
	}
}

func TestAModuleProcessIsKnownByTheNameItRunsUnder(t *testing.T) {
	const cached = "3f9a0c1d2e4b5a6"
	for comm, want := range map[string]string{
		"lvm_thinpool":   "lvm_thinpool",   // sent with the task, named after the module
		"docker_storage": "docker_storage", // 14 bytes: the kernel keeps it whole
		"storage_info":   "storage_info",
		cached:           "", // the cached binary: a module, which one it does not say
		"lvm":            "",
	} {
		got, ok := moduleOf(comm, cached)
		if got != want || ok != (want != "" || comm == cached) {
			t.Errorf("moduleOf(%q) = %q, %v; want %q", comm, got, ok, want)
		}
	}
}

// A converged rerun on a warm host: the role's raw probe, then each
// module task one command that runs the cached binary, which runs lvm.
func TestAWarmRerunIsOneSSHOperationPerModuleTask(t *testing.T) {
	const cached = "3f9a0c1d2e4b5a6"
	ms := time.Millisecond
	records := []procacct.Record{
		// The measuring window's own connections: a connection's sshd, the
		// accounting turned on, and the message of the day at a login.
		{Comm: "sshd", PID: 90, PPID: 20},
		{Comm: "procacct", PID: 93, PPID: 90},
		{Comm: "sh", PID: 91, PPID: 50},
		{Comm: "run-parts", PID: 92, PPID: 91},
		{Comm: "sh", PID: 100, PPID: 50, Elapsed: 40 * ms}, // the raw probe
		{Comm: "sh", PID: 110, PPID: 50},
		{Comm: cached, PID: 111, PPID: 110, Elapsed: 900 * ms, CPU: 300 * ms},
		// The cache's check, run by the shell the binary then replaced.
		{Comm: "id", PID: 113, PPID: 111, Elapsed: 40 * ms},
		{Comm: "sha256sum", PID: 114, PPID: 111, Elapsed: 220 * ms},
		{Comm: "lvm", PID: 112, PPID: 111, Elapsed: 400 * ms},
		{Comm: "sh", PID: 120, PPID: 50},
		{Comm: cached, PID: 121, PPID: 120, Elapsed: 800 * ms, CPU: 250 * ms},
		{Comm: "sh", PID: 130, PPID: 50},
		{Comm: cached, PID: 131, PPID: 130, Elapsed: 700 * ms, CPU: 200 * ms},
	}
	var m Measure
	count(&m, records, map[uint32]string{20: "sshd", 50: "sshd", 1: "systemd"}, cached)
	if m.SSHOps != 4 || m.ModuleOps != 3 {
		t.Errorf("SSH operations %d, with a module %d; want 4 and 3", m.SSHOps, m.ModuleOps)
	}
	got, runs := overhead(records, 0, cached)
	if runs != 3 || len(got) != 3 || got[0].Module != "lvm_thinpool" || got[1].Module != "lvm_profile" || got[2].Module != "docker_storage" {
		t.Fatalf("the cached binary's runs, in the role's order: %+v", got)
	}
	if got[0].Commands != 400*ms || got[0].CacheCheck != 260*ms || got[0].Own() != 240*ms || got[0].CPU != 300*ms {
		t.Errorf("lvm_thinpool: %+v", got[0])
	}
}

func TestTheTargetsTableSaysWhatIsMissed(t *testing.T) {
	s := time.Second
	rep := Report{Versions: map[string]string{}, Measures: []Measure{
		{Case: "a", Run: firstRollout, Wall: 36 * s, Received: 9_800_000, SSHOps: 8, ModuleOps: 3, ModuleTasks: 3, ModuleCode: 9_531_554,
			Overhead: []ModuleTime{{Module: "lvm_thinpool", CPU: 1 * s, Commands: 10 * s}}},
		{Case: "a", Run: rerun, Wall: 5 * s, Received: 30_000, SSHOps: 4, ModuleOps: 3, ModuleTasks: 3},
		{Case: "b", Run: rerun, Wall: 50 * s},
		{Case: "c", Run: firstRollout, Wall: 24 * s},
	}}
	md := rep.Markdown()
	for _, want := range []string{
		"| converged rerun: ≤ 64 KB of module code sent per host | 0 bytes of module code (median of 1); 30,000 bytes received",
		"| converged rerun: 1 SSH operation per module task | 1.00 (3 module tasks in 1 reruns",
		"| converged rerun: ≤ 0.15× the community.general equivalent's wall time | 0.10× (medians 5.0 s vs 50.0 s) | yes |",
		"| first rollout: ≤ 1.2× the runbook's own commands | 1.50× (36.0 s vs 24.0 s) | **no** |",
		"| first rollout: module CPU ≤ 5% of the LVM and docker work it drives | 10.0% (1000 ms of 10000 ms) | **no** |",
		"Projected to 1000 hosts",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("want %q in:\n%s", want, md)
		}
	}
}

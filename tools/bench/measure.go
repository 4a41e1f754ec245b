package bench

import (
	"strings"
	"time"

	"github.com/directlvm/docker/tools/procacct"
)

// Measure is one measured run of one case.
type Measure struct {
	Case string // "a", "b" or "c"
	Run  string // "first rollout" or "converged rerun"
	// Wall is the time the user waits: ansible-playbook (or ssh) from start
	// to exit, on the host.
	Wall time.Duration
	// LVMCommands counts LVM tool processes the rollout ran in the guest;
	// LVMByUdev those udev's rules ran on their own (pvscan on a new PV).
	LVMCommands, LVMByUdev int
	// DockerRestarts counts docker daemons that exited: dockerd processes
	// whose parent is systemd (PID 1). Each restart stops one; `dockerd
	// --version` and dockerd's re-executions of itself are not daemons.
	DockerRestarts int
	// ModuleBytes is the module code the host received: the AnsiballZ_*
	// files ansible left in its remote tmp (ANSIBLE_KEEP_REMOTE_FILES), or
	// the script's size for the runbook.
	ModuleBytes int64
	// ModuleFiles counts them.
	ModuleFiles int
	// Overhead splits the Go modules' time (case a only).
	Overhead []ModuleTime
}

// ModuleTime is where one Go module's time went, summed over its runs.
type ModuleTime struct {
	Module string // e.g. lvm_thinpool
	Runs   int    // module processes
	// Wall is the module processes' elapsed time.
	Wall time.Duration
	// CPU is the CPU time the module processes themselves used.
	CPU time.Duration
	// Commands is the elapsed time of the commands they ran (their direct
	// children: lvm, lsblk, wipefs, ...).
	Commands time.Duration
	// DockerRestart is the time docker took to stop and start again while
	// docker_storage waited for it over D-Bus.
	DockerRestart time.Duration
}

// Own is the module's own time: what is left after the work it drives.
func (m ModuleTime) Own() time.Duration { return m.Wall - m.Commands - m.DockerRestart }

// Work is the LVM and docker work the module drives.
func (m ModuleTime) Work() time.Duration { return m.Commands + m.DockerRestart }

// goModules are the collection's binary modules.
var goModules = []string{"lvm_thinpool", "lvm_profile", "docker_storage"}

// moduleOf names the Go module an accounting record belongs to: the
// kernel keeps 15 bytes of the binary's name in the host's tmp, NAME as
// the collection's action plugin sends it (AnsiballZ_NAME when ansible
// sends a module itself).
func moduleOf(comm string) (string, bool) {
	for _, name := range goModules {
		full := "AnsiballZ_" + name
		if comm == name || comm == full[:min(len(full), 15)] {
			return name, true
		}
	}
	return "", false
}

// count fills m's counters from the window's accounting records. live maps
// the PIDs of processes still running after the window to their command
// names, so that commands whose parent did not exit can be attributed too.
func count(m *Measure, records []procacct.Record, live map[uint32]string) {
	comm := map[uint32]string{}
	parent := map[uint32]uint32{}
	for pid, c := range live {
		comm[pid] = c
	}
	for _, r := range records {
		comm[r.PID] = r.Comm
		parent[r.PID] = r.PPID
	}
	byUdev := func(r procacct.Record) bool {
		for p, hops := r.PPID, 0; p > 1 && hops < 32; p, hops = parent[p], hops+1 {
			if c := comm[p]; c == "systemd-udevd" || strings.HasPrefix(c, "(udev-worker") {
				return true
			}
		}
		return false
	}
	for _, r := range records {
		switch {
		case procacct.IsLVM(r) && byUdev(r):
			m.LVMByUdev++
		case procacct.IsLVM(r):
			m.LVMCommands++
		case r.Comm == "dockerd" && r.PPID == 1:
			m.DockerRestarts++
		}
	}
}

// overhead splits each Go module's time into its commands, the docker
// restart it waited for (restart: stop began to active again, zero when
// docker did not restart) and its own.
func overhead(records []procacct.Record, restart time.Duration) []ModuleTime {
	tree := procacct.NewTree(records)
	commOf := map[uint32]string{}
	for _, r := range records {
		commOf[r.PID] = r.Comm
	}
	byName := map[string]*ModuleTime{}
	var order []string
	for _, r := range records {
		name, ok := moduleOf(r.Comm)
		// A child forked by the module that exits before it could exec
		// keeps the module's name: it is not another run.
		if !ok || commOf[r.PPID] == r.Comm {
			continue
		}
		mt := byName[name]
		if mt == nil {
			mt = &ModuleTime{Module: name}
			byName[name] = mt
			order = append(order, name)
		}
		mt.Runs++
		mt.Wall += r.Elapsed
		mt.CPU += r.CPU
		for _, child := range tree.Descendants(r.PID) {
			if child.PPID == r.PID {
				mt.Commands += child.Elapsed
			}
		}
		if name == "docker_storage" && restart > 0 && r.Elapsed > restart {
			mt.DockerRestart += restart
			restart = 0
		}
	}
	out := make([]ModuleTime, 0, len(order))
	for _, name := range order {
		out = append(out, *byName[name])
	}
	return out
}

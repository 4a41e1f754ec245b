package bench

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/directlvm/docker/tools/procacct"
)

// Measure is one measured run of one case.
type Measure struct {
	Case string // "a", "b", "c", "d" or "e"
	Run  string // "first rollout" or "converged rerun"
	// Hosts is how many hosts the run rolled out to (1 but for case e).
	Hosts int
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
	// Received is what the host's network interface received during the
	// run (rx_bytes), less what the measuring itself costs (an idle
	// window's); per host for case e.
	Received int64
	// SSHOps counts the SSH operations the host served: each command and
	// each file transfer is a process sshd starts (a shell, sftp-server).
	// ModuleOps counts those in which a module process ran (case a).
	SSHOps, ModuleOps int
	// ModuleTasks counts the module processes (case a): one per module
	// task.
	ModuleTasks int
	// ModuleCode is the module code the host was sent: for case a, the
	// bytes its module cache gained; for case c, the script; -1 when not
	// measured apart from Received (case b's AnsiballZ payloads).
	ModuleCode int64
	// ControllerCPU is the CPU time ansible-playbook and everything it ran
	// on this machine (ssh included) used: user plus system.
	ControllerCPU time.Duration
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
	// CacheCheck is the elapsed time of the module cache's checks before
	// the binary ran (sha256sum above all; see cacheCommands).
	CacheCheck time.Duration
}

// Own is the module's own time: what is left after the work it drives and
// the cache's checks.
func (m ModuleTime) Own() time.Duration { return m.Wall - m.Commands - m.DockerRestart - m.CacheCheck }

// Work is the LVM and docker work the module drives.
func (m ModuleTime) Work() time.Duration { return m.Commands + m.DockerRestart }

// cacheCommands are what the action plugin's scripts run before they exec
// the binary (plugin_utils/remote_scripts.py): the module cache's checks.
// The shell that runs them becomes the module process, so they show as its
// children; they are not the LVM and docker work the module drives (the
// modules run no such command themselves).
var cacheCommands = map[string]bool{"uname": true, "id": true, "sha256sum": true, "chmod": true, "mkdir": true,
	"chown": true, "find": true, "cp": true, "mv": true, "rm": true}

// roleModules are the modules the role runs, in the order it runs them;
// all five are one binary (binaries/linux_GOARCH/directlvm).
var roleModules = []string{"lvm_thinpool", "lvm_profile", "docker_storage"}

// allModules are every module of the collection.
var allModules = []string{"lvm_thinpool", "lvm_profile", "docker_storage", "lvm_volume", "storage_info"}

// moduleOf tells whether an accounting record's command name is a module
// process: the binary cached on the host runs under its file's name, the
// first 15 bytes of its SHA-256 (cached, the kernel keeps 15 bytes); sent
// with a task the standard way it runs under the module's name. It returns
// that name, or "" for the cached binary, which does not say.
func moduleOf(comm, cachedComm string) (string, bool) {
	if cachedComm != "" && comm == cachedComm {
		return "", true
	}
	for _, name := range allModules {
		if comm == name[:min(len(name), 15)] {
			return name, true
		}
	}
	return "", false
}

// count fills m's counters from the window's accounting records. live maps
// the PIDs of processes still running after the window to their command
// names, so that commands whose parent did not exit can be attributed too.
// cachedComm is the cached binary's command name (see moduleOf).
func count(m *Measure, records []procacct.Record, live map[uint32]string, cachedComm string) {
	tree := procacct.NewTree(records)
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
		if sshOperation(r, comm, tree) {
			m.SSHOps++
			for _, d := range tree.Descendants(r.PID) {
				if _, ok := moduleOf(d.Comm, cachedComm); ok {
					m.ModuleOps++
					break
				}
			}
		}
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

// sshOperation tells whether r is an SSH operation: a process sshd started
// for a command (its shell) or a file transfer (sftp-server). sshd's own
// processes (a connection's, privilege separation) and the message of the
// day PAM shows at login (a shell running run-parts) belong to opening a
// connection, not to an operation; procacct, which turned accounting on
// for the window, is the measuring's own.
func sshOperation(r procacct.Record, comm map[uint32]string, tree *procacct.Tree) bool {
	if !strings.HasPrefix(comm[r.PPID], "sshd") || strings.HasPrefix(r.Comm, "sshd") || r.Comm == "procacct" {
		return false
	}
	for _, d := range tree.Descendants(r.PID) {
		if d.PPID == r.PID && d.Comm == "run-parts" {
			return false
		}
	}
	return true
}

// overhead splits each Go module's time into its commands, the docker
// restart it waited for (restart: stop began to active again, zero when
// docker did not restart) and its own. cachedComm is the command name of
// the cached binary: its runs are named after the role's modules in the
// order they started (by PID).
func overhead(records []procacct.Record, restart time.Duration, cachedComm string) (out []ModuleTime, runs int) {
	tree := procacct.NewTree(records)
	commOf := map[uint32]string{}
	for _, r := range records {
		commOf[r.PID] = r.Comm
	}
	var mods []procacct.Record
	for _, r := range records {
		// A child forked by the module that exits before it could exec
		// keeps the module's name: it is not another run.
		if _, ok := moduleOf(r.Comm, cachedComm); ok && commOf[r.PPID] != r.Comm {
			mods = append(mods, r)
		}
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].PID < mods[j].PID })
	byName := map[string]*ModuleTime{}
	var order []string
	for i, r := range mods {
		name, _ := moduleOf(r.Comm, cachedComm)
		if name == "" {
			name = fmt.Sprintf("module run %d", i+1)
			if i < len(roleModules) {
				name = roleModules[i]
			}
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
			switch {
			case child.PPID != r.PID:
			case cacheCommands[child.Comm]:
				mt.CacheCheck += child.Elapsed
			default:
				mt.Commands += child.Elapsed
			}
		}
		if name == "docker_storage" && restart > 0 && r.Elapsed > restart {
			mt.DockerRestart += restart
			restart = 0
		}
	}
	out = make([]ModuleTime, 0, len(order))
	for _, name := range order {
		out = append(out, *byName[name])
	}
	return out, len(mods)
}

package bench

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/guest"
	"github.com/directlvm/docker/tools/procacct"
)

var (
	//go:embed cases/role.yml
	rolePlaybook []byte
	//go:embed cases/community_general.yml
	communityGeneralPlaybook []byte
	//go:embed cases/runbook.sh
	runbookScript []byte
	//go:embed cases/reset.sh
	resetScript []byte
	//go:embed cases/carry-prepare.sh
	carryPrepareScript []byte
)

// Options say where the tools are.
type Options struct {
	Image guest.Image
	// WorkDir receives the guest's state, the playbooks and each run's log.
	WorkDir string
	// AnsiblePlaybook is the ansible-playbook to run.
	AnsiblePlaybook string
	// CollectionsPath finds directlvm.docker (installed from the tarball)
	// and community.general.
	CollectionsPath string
	// ProcAcct is the linux/amd64 procacct binary to copy into the guest.
	ProcAcct string
	// Binary is the collection's linux/amd64 binary of every module, as
	// installed: a host caches it under its SHA-256.
	Binary string
	Logf   func(string, ...any)
}

// The guest's spare disks: one fresh disk per case.
var diskSerials = map[string]string{"a": "bench-a", "b": "bench-b", "c": "bench-c"}

// Reruns is how many converged reruns of (a) and (b), and reads of (d),
// are measured.
const Reruns = 3

const (
	guestDir     = "/root/bench"
	guestAcct    = "/usr/local/sbin/procacct"
	firstRollout = "first rollout"
	rerun        = "converged rerun"
	// rxBytes counts what the guest's one network interface received.
	rxBytes = "/sys/class/net/eth0/statistics/rx_bytes"
	// moduleCache is the action plugin's default cache directory.
	moduleCache = "/var/cache/directlvm-docker/modules"
)

// Run boots one guest, measures the cases and stops the guest.
func Run(ctx context.Context, r runner.Runner, o Options) (Report, error) {
	var rep Report
	disks := []guest.Disk{}
	for _, c := range []string{"a", "b", "c"} {
		disks = append(disks, guest.Disk{Serial: diskSerials[c], SizeBytes: 8 << 30})
	}
	disks = append(disks, guest.Disk{Serial: carryDisk, SizeBytes: 8 << 30})
	vm, err := guest.Boot(ctx, r, guest.Options{Image: o.Image, StateDir: filepath.Join(o.WorkDir, "vm"), Disks: disks}, o.Logf)
	if err != nil {
		return rep, err
	}
	defer func() {
		if err := vm.Stop(context.WithoutCancel(ctx)); err != nil {
			o.Logf("stopping the guest: %v", err)
		}
	}()
	b := &bench{o: o, r: r, vm: vm}
	if b.sha, b.binarySize, err = fileSHA256(o.Binary); err != nil {
		return rep, fmt.Errorf("the collection's binary: %w", err)
	}
	rep.BinaryBytes = b.binarySize
	if err := b.setUp(ctx); err != nil {
		return rep, err
	}
	if b.idle, err = b.idleWindow(ctx); err != nil {
		return rep, err
	}
	if rep.Versions, err = b.versions(ctx); err != nil {
		return rep, err
	}
	// Converged reruns are short and vary from run to run under emulation:
	// each is taken Reruns times and the ratio uses their medians.
	var steps []struct{ c, run string }
	for _, c := range []string{"a", "b", "c"} {
		steps = append(steps, struct{ c, run string }{c, firstRollout})
		for i := 0; c != "c" && i < Reruns; i++ {
			steps = append(steps, struct{ c, run string }{c, rerun})
		}
	}
	// (d), the physical limit, reads the converged host (c) left.
	for i := 0; i < Reruns; i++ {
		steps = append(steps, struct{ c, run string }{"d", rerun})
	}
	prev := ""
	for _, s := range steps {
		if s.run == firstRollout && s.c != "d" {
			if err := b.reset(ctx, prev); err != nil {
				return rep, err
			}
			prev = b.disk(s.c)
		}
		m, err := b.measure(ctx, s.c, s.run)
		if err != nil {
			return rep, err
		}
		o.Logf("%s", m.Summary())
		rep.Measures = append(rep.Measures, m)
	}
	carry, err := b.measureCarry(ctx, prev)
	if err != nil {
		return rep, err
	}
	o.Logf("carry: %d images, %d bytes in %.1f s (role %s)", len(carry.Carried), carry.Bytes, carry.Seconds, secs(carry.Wall))
	rep.Carry = &carry
	// (e) boots guests of its own: this one stops first (two cores).
	if err := vm.Stop(context.WithoutCancel(ctx)); err != nil {
		return rep, err
	}
	fleet, err := b.measureFleet(ctx)
	if err != nil {
		return rep, err
	}
	rep.Measures = append(rep.Measures, fleet...)
	return rep, nil
}

type bench struct {
	o  Options
	r  runner.Runner
	vm *guest.VM
	// sha and binarySize are the collection's binary's; idle is what an
	// empty measuring window costs in bytes received.
	sha        string
	binarySize int64
	idle       int64
}

func (b *bench) disk(c string) string { return "/dev/disk/by-id/virtio-" + diskSerials[c] }

func (b *bench) ssh(ctx context.Context, argv ...string) (string, error) {
	res, err := b.vm.SSH(ctx, runner.Cmd{Argv: []string{runner.Join(argv)}, Timeout: 10 * time.Minute})
	return string(res.Stdout), err
}

func (b *bench) setUp(ctx context.Context) error {
	if err := os.MkdirAll(b.o.WorkDir, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"role.yml": rolePlaybook, "community_general.yml": communityGeneralPlaybook} {
		if err := os.WriteFile(filepath.Join(b.o.WorkDir, name), data, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(b.o.WorkDir, "inventory.ini"), []byte(b.vm.Inventory("docker_hosts")), 0o600); err != nil {
		return err
	}
	if err := b.vm.Upload(ctx, b.o.ProcAcct, guestAcct, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"reset.sh": resetScript, "carry-prepare.sh": carryPrepareScript} {
		local := filepath.Join(b.o.WorkDir, name)
		if err := os.WriteFile(local, data, 0o755); err != nil {
			return err
		}
		if err := b.vm.Upload(ctx, local, guestDir+"/"+name, 0o755); err != nil {
			return err
		}
	}
	// Warm the guest's caches (docker, LVM, Python) so that the first case
	// does not pay for the others.
	for _, argv := range [][]string{{"docker", "info"}, {"lvs"}, {"python3", "-c", "pass"}} {
		if _, err := b.ssh(ctx, argv...); err != nil {
			return fmt.Errorf("warming the guest up: %w", err)
		}
	}
	return nil
}

func (b *bench) reset(ctx context.Context, prevDisk string) error {
	argv := []string{guestDir + "/reset.sh"}
	if prevDisk != "" {
		argv = append(argv, prevDisk)
	}
	if _, err := b.ssh(ctx, argv...); err != nil {
		return fmt.Errorf("resetting the guest between cases: %w", err)
	}
	return nil
}

func (b *bench) measure(ctx context.Context, c, run string) (Measure, error) {
	m := Measure{Case: c, Run: run, Hosts: 1, ModuleCode: -1}
	id := fmt.Sprintf("%s-%s-%d", c, strings.ReplaceAll(run, " ", "-"), time.Now().UnixNano())
	acct := guestDir + "/acct-" + id
	before, err := b.dockerTimes(ctx)
	if err != nil {
		return m, err
	}
	cacheBefore, err := b.cacheBytes(ctx)
	if err != nil {
		return m, err
	}
	rx0, err := b.startWindow(ctx, acct)
	if err != nil {
		return m, err
	}
	logPath := filepath.Join(b.o.WorkDir, id+".log")
	cpu0 := childrenCPU()
	start := time.Now()
	runErr := b.runCase(ctx, c, logPath)
	m.Wall = time.Since(start)
	m.ControllerCPU = childrenCPU() - cpu0
	rx1, err := b.endWindow(ctx)
	if err != nil {
		return m, err
	}
	if runErr != nil {
		return m, fmt.Errorf("case %s, %s: %w (log: %s)", c, run, runErr, logPath)
	}
	m.Received = rx1 - rx0 - b.idle
	records, err := b.records(ctx, acct)
	if err != nil {
		return m, err
	}
	if err := saveRecords(filepath.Join(b.o.WorkDir, id+".acct.jsonl"), records); err != nil {
		return m, err
	}
	live, err := b.liveProcesses(ctx)
	if err != nil {
		return m, err
	}
	count(&m, records, live, b.sha[:15])
	after, err := b.dockerTimes(ctx)
	if err != nil {
		return m, err
	}
	var restart time.Duration
	if after.invocation != before.invocation && after.activeEnter > after.activeExit {
		restart = after.activeEnter - after.activeExit
	}
	switch c {
	case "a":
		m.Overhead, m.ModuleTasks = overhead(records, restart, b.sha[:15])
		cacheAfter, err := b.cacheBytes(ctx)
		if err != nil {
			return m, err
		}
		m.ModuleCode = cacheAfter - cacheBefore
	case "c":
		m.ModuleCode = int64(len(runbookScript))
	case "d":
		m.ModuleCode = int64(len(limitCommand()))
	}
	return m, nil
}

// startWindow reads the bytes the guest received so far and turns process
// accounting on, in one command that exits before accounting starts.
func (b *bench) startWindow(ctx context.Context, acct string) (int64, error) {
	out, err := b.ssh(ctx, "sh", "-c", "cat "+rxBytes+" && exec "+guestAcct+" on "+acct)
	if err != nil {
		return 0, fmt.Errorf("turning process accounting on: %w", err)
	}
	return strconv.ParseInt(strings.TrimSpace(out), 10, 64)
}

// endWindow turns process accounting off, then reads the bytes received:
// neither process is recorded.
func (b *bench) endWindow(ctx context.Context) (int64, error) {
	out, err := b.ssh(ctx, "sh", "-c", guestAcct+" off && cat "+rxBytes)
	if err != nil {
		return 0, fmt.Errorf("turning process accounting off: %w", err)
	}
	return strconv.ParseInt(strings.TrimSpace(out), 10, 64)
}

// idleWindow is what opening and closing a window costs in bytes received
// with nothing run in it: the two commands' own SSH connections. The
// smallest of three.
func (b *bench) idleWindow(ctx context.Context) (int64, error) {
	best := int64(-1)
	for i := 0; i < 3; i++ {
		rx0, err := b.startWindow(ctx, guestDir+"/acct-idle")
		if err != nil {
			return 0, err
		}
		rx1, err := b.endWindow(ctx)
		if err != nil {
			return 0, err
		}
		if d := rx1 - rx0; best < 0 || d < best {
			best = d
		}
	}
	b.o.Logf("an idle measuring window costs %d bytes received", best)
	return best, nil
}

// cacheBytes sums the sizes of the files in the host's module cache.
func (b *bench) cacheBytes(ctx context.Context) (int64, error) {
	out, err := b.ssh(ctx, "sh", "-c", "find "+moduleCache+" -type f -printf '%s\\n' 2>/dev/null || true")
	if err != nil {
		return 0, fmt.Errorf("sizing the module cache: %w", err)
	}
	var total int64
	for _, f := range strings.Fields(out) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("find printed %q", f)
		}
		total += n
	}
	return total, nil
}

// childrenCPU is the CPU time this process's waited-for children (and
// theirs) used so far.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// limitCommand is case (d): the one command a converged host needs at the
// least, LVM's report and docker's /info, over one SSH connection.
func limitCommand() string {
	return runner.Join(lvm.ReportArgv()) + " >/dev/null && docker info --format '{{json .}}' >/dev/null"
}

func (b *bench) runCase(ctx context.Context, c, logPath string) error {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	switch c {
	case "c":
		// The runbook is a shell script by definition: an operator pastes
		// it into a root shell on the host.
		_, err := b.vm.SSH(ctx, runner.Cmd{Argv: []string{runner.Join([]string{"bash", "-s", "--", b.disk(c)})},
			Stdin: runbookScript, Stdout: log, Stderr: log, Timeout: 30 * time.Minute})
		return err
	case "d":
		_, err := b.vm.SSH(ctx, runner.Cmd{Argv: []string{limitCommand()}, Stdout: log, Stderr: log, Timeout: 10 * time.Minute})
		return err
	}
	playbook := map[string]string{"a": "role.yml", "b": "community_general.yml"}[c]
	_, err = b.r.Run(ctx, runner.Cmd{
		Argv: []string{b.o.AnsiblePlaybook, "-i", filepath.Join(b.o.WorkDir, "inventory.ini"),
			"-e", "bench_disk=" + b.disk(c), filepath.Join(b.o.WorkDir, playbook)},
		Env: playbookEnv(b.o.CollectionsPath), Stdout: log, Stderr: log, Timeout: 30 * time.Minute})
	return err
}

// playbookEnv is how every case runs ansible-playbook: as a user would,
// with SSH connections kept open between tasks.
func playbookEnv(collections string) []string {
	return []string{"ANSIBLE_COLLECTIONS_PATH=" + collections, "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false",
		"ANSIBLE_HOST_KEY_CHECKING=False", "ANSIBLE_NOCOLOR=1", "ANSIBLE_SSH_ARGS=-o ControlMaster=auto -o ControlPersist=120s"}
}

func (b *bench) records(ctx context.Context, acct string) ([]procacct.Record, error) {
	out, err := b.ssh(ctx, guestAcct, "dump", acct)
	if err != nil {
		return nil, fmt.Errorf("reading process accounting: %w", err)
	}
	var records []procacct.Record
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec procacct.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("process accounting line %q: %w", sc.Text(), err)
		}
		records = append(records, rec)
	}
	return records, sc.Err()
}

func (b *bench) liveProcesses(ctx context.Context) (map[uint32]string, error) {
	out, err := b.ssh(ctx, "ps", "-eo", "pid=,comm=")
	if err != nil {
		return nil, err
	}
	live := map[uint32]string{}
	for _, line := range strings.Split(out, "\n") {
		pid, comm, ok := strings.Cut(strings.TrimSpace(line), " ")
		if n, err := strconv.ParseUint(pid, 10, 32); ok && err == nil {
			live[uint32(n)] = strings.TrimSpace(comm)
		}
	}
	return live, nil
}

type dockerTimes struct {
	invocation              string
	activeExit, activeEnter time.Duration // CLOCK_MONOTONIC
}

func (b *bench) dockerTimes(ctx context.Context) (dockerTimes, error) {
	out, err := b.ssh(ctx, "systemctl", "show", "docker.service", "-p", "InvocationID",
		"-p", "ActiveExitTimestampMonotonic", "-p", "ActiveEnterTimestampMonotonic")
	if err != nil {
		return dockerTimes{}, err
	}
	var t dockerTimes
	for _, line := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(line, "=")
		us, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "InvocationID":
			t.invocation = v
		case "ActiveExitTimestampMonotonic":
			t.activeExit = time.Duration(us) * time.Microsecond
		case "ActiveEnterTimestampMonotonic":
			t.activeEnter = time.Duration(us) * time.Microsecond
		}
	}
	return t, nil
}

func (b *bench) versions(ctx context.Context) (map[string]string, error) {
	v := map[string]string{}
	for key, argv := range map[string][]string{
		"guest kernel": {"uname", "-r"},
		"guest LVM":    {"lvm", "version"},
		"guest docker": {"docker", "version", "--format", "{{.Server.Version}}"},
		"guest python": {"python3", "--version"},
	} {
		out, err := b.ssh(ctx, argv...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		v[key] = strings.TrimSpace(out)
		if key == "guest LVM" {
			first, _, _ := strings.Cut(v[key], "\n")
			v[key] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(first), "LVM version:"))
		}
	}
	return v, nil
}

// saveRecords keeps a window's accounting records beside its log.
func saveRecords(path string, records []procacct.Record) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range records {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

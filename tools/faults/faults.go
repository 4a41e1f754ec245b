package faults

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/guest"
)

var (
	//go:embed cases/role.yml
	rolePlaybook []byte
	//go:embed cases/reset.sh
	resetScript []byte
	//go:embed cases/check.sh
	checkScript []byte
	//go:embed cases/other.sh
	otherScript []byte
)

// Options say what to run and where the tools are.
type Options struct {
	Image guest.Image
	// Journey is the way the role takes the host (Journeys).
	Journey Journey
	// Rows is "all", "every" or a list of points (see Select).
	Rows string
	// WorkDir receives the guest's state, the playbook and every run's log.
	WorkDir string
	// AnsiblePlaybook is the ansible-playbook to run; CollectionsPath
	// finds directlvm.docker.
	AnsiblePlaybook, CollectionsPath string
	Logf                             func(string, ...any)
}

const (
	guestDir = "/root/faults"
	// The disk beside the role's that holds a filesystem nobody may touch.
	otherDisk = "/dev/disk/by-id/virtio-other"
	// At most this many data disks: one per row (and the uncut run), and
	// the other disk; rows past it reuse disks, which reset.sh empties.
	maxDisks = 38
	// A run cut by a power cut waits this long for the guest to come back.
	rebootTimeout = 6 * time.Minute
)

// Run boots one guest that reboots on its own disks, runs the role uncut
// to learn its steps (and to check that it converges at all), then each
// selected row, and stops the guest. It returns every row's outcome.
func Run(ctx context.Context, r runner.Runner, o Options) ([]Outcome, error) {
	n := maxDisks
	if o.Rows != "all" && o.Rows != "every" {
		n = min(maxDisks, strings.Count(o.Rows, ",")+2)
	}
	disks := []guest.Disk{{Serial: "other", SizeBytes: 64 << 20}}
	for i := 0; i < n; i++ {
		disks = append(disks, guest.Disk{Serial: fmt.Sprintf("row%02d", i), SizeBytes: 4 << 30})
	}
	vm, err := guest.Boot(ctx, r, guest.Options{Image: o.Image, StateDir: filepath.Join(o.WorkDir, "vm"), Disks: disks, Reboot: true}, o.Logf)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := vm.Stop(context.WithoutCancel(ctx)); err != nil {
			o.Logf("stopping the guest: %v", err)
		}
	}()
	m := &matrix{o: o, r: r, vm: vm, disks: n}
	if err := m.setUp(ctx); err != nil {
		return nil, err
	}
	steps, err := m.uncut(ctx)
	if err != nil {
		return nil, err
	}
	o.Logf("the role's steps on the starting host: %s", describeSteps(steps))
	points, err := Select(steps, o.Rows)
	if err != nil {
		return nil, err
	}
	var out []Outcome
	for i, p := range points {
		start := time.Now()
		says, err := m.row(ctx, i+1, p)
		if err != nil { // the guest itself failed: no row after it can run
			return out, fmt.Errorf("row %s: %w", p, err)
		}
		oc := Outcome{Point: p, OK: says == "", Says: says, Took: time.Since(start)}
		if oc.OK {
			oc.Says = "converged"
		}
		o.Logf("row %d/%d, %s: %s (%s)", i+1, len(points), p, oc.Says, oc.Took.Round(time.Second))
		out = append(out, oc)
	}
	return out, nil
}

type matrix struct {
	o        Options
	r        runner.Runner
	vm       *guest.VM
	disks    int
	otherSum string // the other disk's sha256 before any row
}

func (m *matrix) disk(row int) string {
	return fmt.Sprintf("/dev/disk/by-id/virtio-row%02d", row%m.disks)
}

func (m *matrix) ssh(ctx context.Context, argv ...string) (string, error) {
	res, err := m.vm.SSH(ctx, runner.Cmd{Argv: []string{runner.Join(argv)}, Timeout: 10 * time.Minute})
	if err != nil {
		return string(res.Stdout), fmt.Errorf("%s in the guest: %w", argv[0], err)
	}
	return string(res.Stdout), nil
}

func (m *matrix) setUp(ctx context.Context) error {
	if err := os.MkdirAll(m.o.WorkDir, 0o755); err != nil {
		return err
	}
	files := map[string][]byte{"role.yml": rolePlaybook, "inventory.ini": []byte(m.vm.Inventory("docker_hosts")), "reset.sh": resetScript, "check.sh": checkScript, "other.sh": otherScript}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(m.o.WorkDir, name), data, 0o700); err != nil {
			return err
		}
	}
	for _, script := range []string{"reset.sh", "check.sh", "other.sh"} {
		if err := m.vm.Upload(ctx, filepath.Join(m.o.WorkDir, script), guestDir+"/"+script, 0o755); err != nil {
			return err
		}
	}
	sum, err := m.ssh(ctx, guestDir+"/other.sh", otherDisk)
	m.otherSum = strings.TrimSpace(sum)
	return err
}

// uncut runs the role on the starting host without a fault: it must
// converge and then change nothing; the steps it took are the rows.
func (m *matrix) uncut(ctx context.Context) ([]Step, error) {
	if err := m.reset(ctx, "uncut", m.disk(0)); err != nil {
		return nil, err
	}
	first := m.play(ctx, "uncut-1", m.disk(0), "")
	if first.Err != nil {
		return nil, fmt.Errorf("the role does not converge on the starting host even uncut: %s (log in %s)", first.Failure(), m.o.WorkDir)
	}
	steps, err := first.Steps(m.o.Journey)
	if err != nil {
		return nil, err
	}
	if says, err := m.converged(ctx, "uncut", m.disk(0)); err != nil || says != "" {
		return nil, fmt.Errorf("the uncut run: %s%v", says, err)
	}
	return steps, nil
}

// row runs point p on a reset host and returns "" when the host
// converged, or what went wrong; err is for a guest that cannot go on.
func (m *matrix) row(ctx context.Context, n int, p Point) (string, error) {
	disk := m.disk(n)
	name := fmt.Sprintf("row%02d-%s-%d-%s", n, p.Module, p.N, p.Kind)
	if err := m.reset(ctx, name, disk); err != nil {
		return "", err
	}
	boot, err := m.vm.BootID(ctx)
	if err != nil {
		return "", err
	}
	cut := m.play(ctx, name+"-cut", disk, p.Env())
	if cut.Err == nil {
		return fmt.Sprintf("not cut: the run finished (is there a step %d?)", p.N), nil
	}
	switch p.Kind {
	case "kill":
		if !cut.Killed(p.Module) {
			return "not cut: the run failed otherwise: " + cut.Failure(), nil
		}
	case "powercut":
		if _, unreachable, _, ok := cut.Recap(); !ok || unreachable == 0 {
			return "not cut: the run failed, but the host did not go away: " + cut.Failure(), nil
		}
		id, failed, err := m.vm.WaitRebooted(ctx, boot, rebootTimeout)
		if err != nil {
			return "", fmt.Errorf("after the power cut: %w", err)
		}
		if len(failed) > 0 {
			m.o.Logf("%s: the guest came back degraded (boot %s): %s", name, id, strings.Join(failed, "; "))
		}
	}
	return m.converged(ctx, name, disk)
}

// reset makes the journey's starting host on disk: reset.sh, then the
// journey's setup run of the role, uncut.
func (m *matrix) reset(ctx context.Context, name, disk string) error {
	if _, err := m.ssh(ctx, guestDir+"/reset.sh"); err != nil {
		return err
	}
	if m.o.Journey.Setup == "" {
		return nil
	}
	if setup := m.playAs(ctx, name+"-setup", disk, "", m.o.Journey.Setup); setup.Err != nil {
		return fmt.Errorf("making the starting host (the role with direct_lvm_driver=%s): %s (log in %s)", m.o.Journey.Setup, setup.Failure(), m.o.WorkDir)
	}
	_, err := m.ssh(ctx, "sync")
	return err
}

// converged runs the role again (it must succeed), once more (it must
// change nothing), and checks the host.
func (m *matrix) converged(ctx context.Context, name, disk string) (string, error) {
	next := m.play(ctx, name+"-next", disk, "")
	if next.Err != nil {
		return "the next run failed: " + next.Failure(), nil
	}
	// The run after the one that converged must change nothing. When the
	// next run itself changed nothing (the host had converged as it
	// booted), it is that run.
	if changed, _, _, ok := next.Recap(); !ok || changed > 0 {
		again := m.play(ctx, name+"-again", disk, "")
		changed, _, _, ok := again.Recap()
		if again.Err != nil || !ok || changed != 0 {
			return fmt.Sprintf("the run after the next one did not report changed=0 (changed=%d, %s)", changed, again.Failure()), nil
		}
	}
	out, err := m.ssh(ctx, guestDir+"/check.sh", otherDisk)
	if err != nil {
		return "", err
	}
	if bad := judge(m.o.Journey, out, m.otherSum); len(bad) > 0 {
		return strings.Join(bad, "; "), nil
	}
	return "", nil
}

// play runs the role of the journey once with the fault point env (""
// for none) and keeps its output in WorkDir/NAME.log.
func (m *matrix) play(ctx context.Context, name, disk, fault string) Play {
	return m.playAs(ctx, name, disk, fault, m.o.Journey.Driver)
}

// playAs is play with direct_lvm_driver=driver.
func (m *matrix) playAs(ctx context.Context, name, disk, fault, driver string) Play {
	ctl, err := os.MkdirTemp("", "faults-ssh-")
	if err != nil {
		return Play{Err: err}
	}
	defer os.RemoveAll(ctl)
	argv := []string{m.o.AnsiblePlaybook, "-v", "-i", filepath.Join(m.o.WorkDir, "inventory.ini"),
		"-e", "matrix_disk=" + disk, "-e", "matrix_driver=" + driver, filepath.Join(m.o.WorkDir, "role.yml")}
	if fault != "" {
		argv = append(argv, "-e", "matrix_fault="+fault)
	}
	res, err := m.r.Run(ctx, runner.Cmd{Argv: argv, Timeout: 20 * time.Minute,
		Env: []string{"ANSIBLE_COLLECTIONS_PATH=" + m.o.CollectionsPath, "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false",
			"ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default", "ANSIBLE_CALLBACK_RESULT_FORMAT=json", "ANSIBLE_CALLBACK_FORMAT_PRETTY=false",
			"ANSIBLE_HOST_KEY_CHECKING=False", "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=false",
			// A power cut leaves the connection hanging: notice within ~10 s.
			"ANSIBLE_SSH_ARGS=-o ControlMaster=auto -o ControlPersist=60s -o ServerAliveInterval=2 -o ServerAliveCountMax=5",
			"ANSIBLE_SSH_CONTROL_PATH_DIR=" + ctl}})
	out := string(res.Stdout) + string(res.Stderr)
	_ = os.WriteFile(filepath.Join(m.o.WorkDir, name+".log"), []byte(out), 0o644)
	return Play{Err: err, Output: out}
}

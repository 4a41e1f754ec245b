package guest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

// Disk is one data disk attached to the guest: a blank one, or, when File
// names a disk image that exists, that image as it is (Reinstall keeps a
// guest's disks this way). Inside the guest it is
// /dev/disk/by-id/virtio-<Serial>.
type Disk struct {
	Serial    string `json:"serial"`
	SizeBytes int64  `json:"size_bytes"`
	File      string `json:"file"`
}

// GuestPath is the disk's stable path inside the guest.
func (d Disk) GuestPath() string { return "/dev/disk/by-id/virtio-" + d.Serial }

// Options describe one guest to boot.
type Options struct {
	Image     Image
	StateDir  string // holds the overlay, disks, key, pid file, console log
	Disks     []Disk // Serial and SizeBytes; File is filled in
	MemoryMiB int    // default 2048
	CPUs      int    // default 2
	// Reboot lets the guest restart on its own disks when it reboots or
	// its kernel is told to (a power cut through /proc/sysrq-trigger);
	// otherwise QEMU exits then.
	Reboot bool
	// SSHPort is the host port forwarded to the guest's SSH; 0 takes a
	// free one.
	SSHPort int
}

// VM is a running (or stopped) guest. It is saved as state.json in its
// state directory so that other processes (molecule's create and destroy
// playbooks, `guest ssh`) can reach and stop it.
type VM struct {
	StateDir string `json:"state_dir"`
	PID      int    `json:"pid"`
	SSHPort  int    `json:"ssh_port"`
	Key      string `json:"identity_file"`
	User     string `json:"user"`
	Address  string `json:"address"`
	Console  string `json:"console_log"`
	QMP      string `json:"qmp_socket"`
	Disks    []Disk `json:"disks"`
	// Reboot is Options.Reboot: the guest restarts when it reboots.
	Reboot bool `json:"reboot,omitempty"`

	run runner.Runner
}

// Start boots a guest from a fresh copy-on-write overlay of img and its
// data disks: blank sparse ones, or the kept images that Disk.File names.
// It returns once QEMU runs; call WaitReady next. On error nothing is left
// running.
func Start(ctx context.Context, r runner.Runner, o Options) (*VM, error) {
	if o.MemoryMiB == 0 {
		o.MemoryMiB = 2048
	}
	if o.CPUs == 0 {
		o.CPUs = 2
	}
	dir, err := filepath.Abs(o.StateDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("guest state dir: %w", err)
	}
	if st, err := Load(dir); err == nil && st.Alive() {
		return nil, fmt.Errorf("a guest from %s is still running (pid %d); stop it with `guest down --state %s`", dir, st.PID, dir)
	}
	vm := &VM{StateDir: dir, User: "root", Address: "127.0.0.1", run: r, Reboot: o.Reboot,
		Key:     filepath.Join(dir, "id_ed25519"),
		Console: filepath.Join(dir, "console.log"),
		QMP:     filepath.Join(dir, "qmp.sock"),
	}
	for _, stale := range []string{vm.Key, vm.Key + ".pub", vm.Console, vm.QMP, filepath.Join(dir, "qemu.pid")} {
		_ = os.Remove(stale)
	}
	if _, err := r.Run(ctx, runner.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "directlvm-guest", "-f", vm.Key)); err != nil {
		return nil, fmt.Errorf("per-run SSH key: %w", err)
	}
	overlay := filepath.Join(dir, "root.qcow2")
	_ = os.Remove(overlay)
	if _, err := r.Run(ctx, runner.Command("qemu-img", "create", "-q", "-f", "qcow2", "-b", o.Image.Rootfs, "-F", "raw", overlay)); err != nil {
		return nil, fmt.Errorf("root disk overlay: %w", err)
	}
	for _, d := range o.Disks {
		if d.File != "" {
			if _, err := os.Stat(d.File); err != nil {
				return nil, fmt.Errorf("kept disk %s: %w", d.Serial, err)
			}
		} else {
			d.File = filepath.Join(dir, "disk-"+d.Serial+".img")
			if err := blankDisk(d.File, d.SizeBytes); err != nil {
				return nil, err
			}
		}
		vm.Disks = append(vm.Disks, d)
	}
	vm.SSHPort = o.SSHPort
	if vm.SSHPort == 0 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		vm.SSHPort = port
	}
	pidFile := filepath.Join(dir, "qemu.pid")
	argv := qemuArgv(o, vm, overlay, pidFile)
	if _, err := r.Run(ctx, runner.Cmd{Argv: argv, Timeout: time.Minute}); err != nil {
		// Interrupted while qemu daemonized: its child (a session of its
		// own) may run on, and nobody else knows its PID.
		if pid, perr := readPID(pidFile); perr == nil {
			vm.PID = pid
			vm.kill()
		}
		return nil, fmt.Errorf("starting qemu: %w", err)
	}
	pid, err := readPID(pidFile)
	if err != nil {
		return nil, fmt.Errorf("qemu started but left no pid file: %w", err)
	}
	vm.PID = pid
	if err := vm.save(); err != nil {
		vm.kill()
		return nil, err
	}
	registerInSession(vm.StateDir)
	return vm, nil
}

// qemuArgv builds the QEMU command line. Every disk gets an explicit
// virtio-blk device in a fixed order and a serial, so the guest names them
// by id rather than by a letter that may move. Networking is user-mode and
// restricted: the guest reaches nothing but the forwarded SSH port on the
// host's loopback.
// disksOnRootBus is how many data disks sit on the PCI root bus beside the
// root disk, the network and the random number generator (24 would not fit).
const disksOnRootBus = 20

func qemuArgv(o Options, vm *VM, overlay, pidFile string) []string {
	a := []string{"qemu-system-x86_64",
		"-name", "directlvm-guest",
		"-accel", "tcg,thread=multi", "-cpu", "max",
		"-smp", strconv.Itoa(o.CPUs), "-m", strconv.Itoa(o.MemoryMiB),
		"-display", "none", "-vga", "none",
		"-serial", "file:" + vm.Console,
		"-qmp", "unix:" + vm.QMP + ",server=on,wait=off",
		"-pidfile", pidFile, "-daemonize",
		"-kernel", o.Image.Kernel, "-initrd", o.Image.Initrd,
		"-append", "root=LABEL=root rw console=ttyS0 net.ifnames=0 panic=-1",
		"-fw_cfg", "name=opt/directlvm/authorized_keys,file=" + vm.Key + ".pub",
		"-drive", "file=" + overlay + ",format=qcow2,if=none,id=root,cache=unsafe,discard=unmap",
		"-device", "virtio-blk-pci,drive=root,serial=root",
	}
	if !o.Reboot {
		a = append(a, "-no-reboot")
	}
	for i, d := range vm.Disks {
		a = append(a, "-drive", "file="+d.File+",format=raw,if=none,id="+d.Serial+",cache=unsafe,discard=unmap")
		device := "virtio-blk-pci,drive=" + d.Serial + ",serial=" + d.Serial
		if i >= disksOnRootBus {
			// The root bus has 32 slots, some taken by the machine: the
			// disks past the first ones go behind PCI bridges, 31 each.
			n := (i - disksOnRootBus) / 31
			if (i-disksOnRootBus)%31 == 0 {
				a = append(a, "-device", fmt.Sprintf("pci-bridge,id=bridge%d,chassis_nr=%d", n, n+1))
			}
			device += fmt.Sprintf(",bus=bridge%d,addr=%#x", n, (i-disksOnRootBus)%31+1)
		}
		a = append(a, "-device", device)
	}
	return append(a,
		"-netdev", fmt.Sprintf("user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:22", vm.SSHPort),
		"-device", "virtio-net-pci,netdev=n0",
		"-device", "virtio-rng-pci")
}

func blankDisk(path string, size int64) error {
	_ = os.Remove(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("blank disk: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("blank disk %s: %w", path, err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("no free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// Load reads the state of a guest started earlier, possibly by another
// process.
func Load(stateDir string) (*VM, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, "state.json"))
	if err != nil {
		return nil, err
	}
	vm := &VM{}
	if err := json.Unmarshal(b, vm); err != nil {
		return nil, fmt.Errorf("%s/state.json: %w", stateDir, err)
	}
	return vm, nil
}

// Attach gives a loaded VM a runner to reach it with.
func (vm *VM) Attach(r runner.Runner) *VM { vm.run = r; return vm }

func (vm *VM) save() error {
	b, err := json.MarshalIndent(vm, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(vm.StateDir, ".state.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(vm.StateDir, "state.json"))
}

// Alive tells whether this guest's QEMU still runs. The PID is checked
// against the process's command line so that a recycled PID is never
// mistaken for the guest.
func (vm *VM) Alive() bool {
	if vm.PID <= 0 {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", vm.PID))
	if err != nil {
		return false
	}
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", vm.PID)); err == nil {
		if f := strings.Fields(string(st)); len(f) > 2 && f[2] == "Z" {
			return false
		}
	}
	return strings.Contains(string(b), vm.StateDir)
}

// sshArgv is the ssh command line that reaches the guest.
func (vm *VM) sshArgv(connectTimeout int, remote ...string) []string {
	a := []string{"ssh", "-i", vm.Key, "-p", strconv.Itoa(vm.SSHPort),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-o", "ConnectTimeout=" + strconv.Itoa(connectTimeout),
		"-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=8",
		vm.User + "@" + vm.Address, "--"}
	return append(a, remote...)
}

// SSH runs a command in the guest. The remote side is a shell command line,
// as with any ssh: build it with runner.Join.
func (vm *VM) SSH(ctx context.Context, cmd runner.Cmd) (runner.Result, error) {
	cmd.Argv = vm.sshArgv(10, cmd.Argv...)
	return vm.run.Run(ctx, cmd)
}

// Upload copies a local file into the guest with the given mode.
func (vm *VM) Upload(ctx context.Context, local, remote string, mode os.FileMode) error {
	b, err := os.ReadFile(local)
	if err != nil {
		return err
	}
	_, err = vm.SSH(ctx, runner.Cmd{
		Argv:  []string{runner.Join([]string{"install", "-D", "-m", fmt.Sprintf("%04o", mode), "/dev/stdin", remote})},
		Stdin: b, Timeout: 5 * time.Minute})
	if err != nil {
		return fmt.Errorf("copying %s into the guest: %w", local, err)
	}
	return nil
}

// WaitReady waits until SSH answers and systemd has finished booting. It
// returns the failed units when the system came up degraded.
func (vm *VM) WaitReady(ctx context.Context, timeout time.Duration) ([]string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if !vm.Alive() {
			return nil, fmt.Errorf("qemu (pid %d) exited while booting; console:\n%s", vm.PID, vm.ConsoleTail(40))
		}
		res, err := vm.run.Run(ctx, runner.Cmd{Argv: vm.sshArgv(5, "systemctl is-system-running --wait"), Timeout: 2 * time.Minute})
		state := strings.TrimSpace(string(res.Stdout))
		switch {
		case state == "running":
			return nil, nil
		case state == "degraded":
			out, _ := vm.SSH(ctx, runner.Command("systemctl --failed --plain --no-legend"))
			return strings.Split(strings.TrimSpace(string(out.Stdout)), "\n"), nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("guest not ready after %s (systemd says %q, last error: %v); console:\n%s", timeout, state, err, vm.ConsoleTail(40))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// ConsoleTail returns the last n lines of the guest's serial console.
func (vm *VM) ConsoleTail(n int) string {
	f, err := os.Open(vm.Console)
	if err != nil {
		return "(no console log: " + err.Error() + ")"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// Stop shuts the guest down (PowerOff) and removes its disk images.
func (vm *VM) Stop(ctx context.Context) error {
	defer vm.removeDisks()
	return vm.PowerOff(ctx)
}

// PowerOff shuts the guest down and keeps its disks: a clean poweroff over
// SSH, a bounded wait, then QEMU's monitor "quit", then SIGKILL of its
// PID. It always ends with the process gone (or says why not).
func (vm *VM) PowerOff(ctx context.Context) error {
	if !vm.Alive() {
		return nil
	}
	// The connection drops as the guest goes down; its error means nothing.
	_, _ = vm.run.Run(ctx, runner.Cmd{Argv: vm.sshArgv(5, "systemctl poweroff --no-block"), Timeout: 20 * time.Second})
	if vm.waitGone(45 * time.Second) {
		return nil
	}
	_ = qmpQuit(vm.QMP)
	if vm.waitGone(10 * time.Second) {
		return nil
	}
	vm.kill()
	if vm.waitGone(10 * time.Second) {
		return nil
	}
	return fmt.Errorf("qemu pid %d did not exit after SIGKILL", vm.PID)
}

func (vm *VM) kill() {
	if vm.Alive() {
		_ = syscall.Kill(vm.PID, syscall.SIGKILL)
	}
}

func (vm *VM) waitGone(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !vm.Alive() {
			return true
		}
		time.Sleep(250 * time.Millisecond)
	}
	return !vm.Alive()
}

func (vm *VM) removeDisks() {
	if vm.Alive() {
		return
	}
	for _, d := range vm.Disks {
		_ = os.Remove(d.File)
	}
	_ = os.Remove(filepath.Join(vm.StateDir, "root.qcow2"))
}

// qmpQuit asks QEMU to exit through its monitor socket.
func qmpQuit(sock string) error {
	c, rd, err := qmpDial(sock, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte(`{"execute":"quit"}` + "\n")); err != nil {
		return err
	}
	_, _ = rd.ReadString('\n') // QEMU may close the socket as it quits
	return nil
}

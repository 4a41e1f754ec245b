package storageinfo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/mountinfo"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// Units is the part of the system manager the module reads;
// *systemd.Manager provides it.
type Units interface {
	Unit(ctx context.Context, name string) (systemd.UnitState, error)
	Close()
}

var _ Units = (*systemd.Manager)(nil)

// Engine is the part of the Docker Engine API the module reads;
// *docker.Client provides it.
type Engine interface {
	Info(ctx context.Context) (docker.Info, error)
}

var _ Engine = (*docker.Client)(nil)

// Host is how the module reaches the machine.
type Host struct {
	// Run runs lvm fullreport and lvmconfig.
	Run runner.Runner
	// Connect opens the connection to systemd.
	Connect func(ctx context.Context) (Units, error)
	// Engine reads docker's /info.
	Engine Engine
	// MountTable is the mountinfo file to read (mountinfo.SelfPath).
	MountTable string
	// DataRoot is docker's data root when docker does not say.
	DataRoot string
}

// RealHost is this machine.
func RealHost() Host {
	return Host{
		Run:        runner.New(runner.Config{DefaultTimeout: time.Minute}),
		Connect:    systemd.ConnectAs[Units],
		Engine:     docker.NewClient(docker.ClientConfig{RequestTimeout: 20 * time.Second}),
		MountTable: mountinfo.SelfPath,
		DataRoot:   "/var/lib/docker",
	}
}

const dockerService = "docker.service"

// observe reads everything the report needs. Nothing it fails to read
// fails the run: the failure becomes part of the report.
func observe(ctx context.Context, h Host) Storage {
	s := Storage{Pools: []Pool{}, Flags: []string{}}
	s.Docker = readDocker(ctx, h)
	rep, err := lvm.Read(ctx, h.Run)
	if err != nil {
		s.LVMError = err.Error()
		return s
	}
	for _, lv := range rep.LVs {
		if !lv.Attr.ThinPool() {
			continue
		}
		p := Pool{VG: lv.VG, Name: lv.Name, DMName: lvm.DMName(lv.VG, lv.Name), SizeBytes: lv.SizeBytes, MetadataBytes: lv.MetadataSizeBytes,
			DataPercent: lv.DataPercent, MetadataPercent: lv.MetadataPercent, Monitor: lv.Monitor, Monitored: lv.Monitor == "monitored",
			Profile: lv.Profile, UsedByDocker: s.Docker.PoolName != "" && lvm.DMName(lv.VG, lv.Name) == s.Docker.PoolName}
		p.Autoextend = readAutoextend(ctx, h.Run, lv.Profile)
		if vg, ok := rep.VG(lv.VG); ok {
			p.Autoextend.room(lv.SizeBytes, vg)
		}
		s.Pools = append(s.Pools, p)
	}
	return s
}

// readDocker asks systemd whether docker runs, and only then docker
// itself: connecting to the socket of a socket-activated docker that is
// stopped would start it. Without systemd, docker is asked directly.
func readDocker(ctx context.Context, h Host) Docker {
	d := Docker{}
	if units, err := h.Connect(ctx); err == nil {
		st, err := units.Unit(ctx, dockerService)
		units.Close()
		if err == nil {
			d.Service = st.ActiveState
			if st.LoadState != "loaded" {
				d.Service = st.LoadState
			}
		}
	}
	switch d.Service {
	case "", "active", "reloading", "activating":
	case "not-found":
		d.Error = fmt.Sprintf("%s is not installed (systemd does not know it)", dockerService)
		d.RootMount = rootMount(h, h.DataRoot)
		return d
	default:
		d.Error = fmt.Sprintf("%s is %s: not asked, since asking a socket-activated docker would start it; start it with systemctl start %s", dockerService, d.Service, dockerService)
		d.RootMount = rootMount(h, h.DataRoot)
		return d
	}
	info, err := h.Engine.Info(ctx)
	if err != nil {
		d.Error = err.Error()
		d.RootMount = rootMount(h, h.DataRoot)
		return d
	}
	d.Answering, d.Version, d.Driver, d.RootDir = true, info.ServerVersion, info.Driver, info.DockerRootDir
	d.PoolName, _ = info.Status("Pool Name")
	root := info.DockerRootDir
	if root == "" {
		root = h.DataRoot
	}
	d.RootMount = rootMount(h, root)
	return d
}

// rootMount is what is mounted at dir; nil when dir is not a mount point
// or the mount table cannot be read.
func rootMount(h Host, dir string) *Mount {
	f, err := os.Open(h.MountTable)
	if err != nil {
		return nil
	}
	defer f.Close()
	mounts, err := mountinfo.Parse(f)
	if err != nil {
		return nil
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	var found *Mount
	for _, m := range mounts {
		if m.Point == dir {
			found = &Mount{Source: m.Source, FSType: m.FSType} // the last one mounted there wins
		}
	}
	return found
}

// AutoextendArgv asks LVM for the autoextend settings in effect for a pool
// with the given metadata profile ("" for none): the profile's values, or
// lvm.conf's and the compiled-in defaults.
func AutoextendArgv(profile string) []string {
	argv := []string{"lvmconfig", "--typeconfig", "full"}
	if profile != "" {
		argv = append(argv, "--metadataprofile", profile)
	}
	return append(argv, "activation/thin_pool_autoextend_threshold", "activation/thin_pool_autoextend_percent")
}

func readAutoextend(ctx context.Context, r runner.Runner, profile string) Autoextend {
	a := Autoextend{}
	res, err := r.Run(ctx, runner.Command(AutoextendArgv(profile)...))
	if err != nil {
		a.Error = err.Error()
		return a
	}
	values := map[string]int64{}
	for line := range strings.Lines(string(res.Stdout)) {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			values[key] = n
		}
	}
	threshold, ok1 := values["thin_pool_autoextend_threshold"]
	step, ok2 := values["thin_pool_autoextend_percent"]
	if !ok1 || !ok2 {
		a.Error = fmt.Sprintf("%s printed no autoextend settings: %q", runner.Join(AutoextendArgv(profile)), res.Stdout)
		return a
	}
	// LVM raises a threshold under 50 to 50 (lvmthin(7)).
	a.ThresholdPercent, a.StepPercent = max(threshold, 50), step
	a.Enabled = threshold < 100 && step > 0
	return a
}

// room works out how many autoextend steps the VG has space for, the pool
// growing by StepPercent of its size each time, rounded up to extents.
func (a *Autoextend) room(poolBytes int64, vg lvm.VG) {
	a.VGFreeBytes = vg.FreeBytes
	if !a.Enabled || vg.ExtentSizeBytes <= 0 {
		return
	}
	size, free := poolBytes, vg.FreeBytes
	for i := 0; i < 1000; i++ {
		step := stepBytes(size, a.StepPercent, vg.ExtentSizeBytes)
		if i == 0 {
			a.NextStepBytes = step
		}
		if step > free {
			return
		}
		free -= step
		size += step
		a.StepsLeft++
	}
}

func stepBytes(size, percent, extent int64) int64 {
	extents := (size/extent*percent + 99) / 100
	return max(extents, 1) * extent
}

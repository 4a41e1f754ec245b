package dockerstorage

import (
	"context"
	"io"
	"time"

	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/mountinfo"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// The units the module drives. docker.socket is stopped with the service
// while the data root moves, so that no client wakes docker up meanwhile.
const (
	dockerService = "docker.service"
	dockerSocket  = "docker.socket"
)

// DefaultDataRoot is docker's data root when nothing else names one.
const DefaultDataRoot = "/var/lib/docker"

// Systemd is the part of the system manager the module uses;
// *systemd.Manager implements it.
type Systemd interface {
	Unit(ctx context.Context, name string) (systemd.UnitState, error)
	Start(ctx context.Context, name string, timeout time.Duration) error
	Stop(ctx context.Context, name string, timeout time.Duration) error
	Restart(ctx context.Context, name string, timeout time.Duration) error
	ResetFailed(ctx context.Context, names ...string) error
	DaemonReload(ctx context.Context) error
	Close()
}

var _ Systemd = (*systemd.Manager)(nil)

// Engine is the part of the Docker Engine API the module uses;
// *docker.Client implements it.
type Engine interface {
	Version(ctx context.Context) (docker.VersionInfo, error)
	Info(ctx context.Context) (docker.Info, error)
	WaitReady(ctx context.Context, timeout time.Duration) error
	Images(ctx context.Context) ([]docker.Image, error)
	ExportImages(ctx context.Context, names []string, w io.Writer) (int64, error)
	LoadImages(ctx context.Context, r io.Reader) ([]string, error)
}

var _ Engine = (*docker.Client)(nil)

// Host is how the module reaches the machine.
type Host struct {
	// Run runs dmsetup, dockerd --version and journalctl.
	Run runner.Runner
	// Connect opens the connection to systemd.
	Connect func(ctx context.Context) (Systemd, error)
	// Engine reads the Docker Engine API.
	Engine Engine
	// Now gives the time for backup names and the journal's --since.
	Now func() time.Time
	// DataRoot is docker's default data root (DefaultDataRoot).
	DataRoot string
	// Lock keeps other runs of the collection off the host while this
	// one runs.
	Lock hostlock.Lock
	// Quiet reads the processes and the mount table: what still holds the
	// data root once docker stopped, and what is mounted below it.
	Quiet Quiet
	// UnitDir is where the data root's mount unit and docker.service's
	// drop-in go (data_root_device): /etc/systemd/system.
	UnitDir string
}

// RealHost is this machine.
func RealHost() Host {
	return Host{
		Run:      runner.New(runner.Config{DefaultTimeout: 2 * time.Minute}),
		Connect:  systemd.ConnectAs[Systemd],
		Engine:   docker.NewClient(docker.ClientConfig{}),
		Now:      time.Now,
		DataRoot: DefaultDataRoot,
		Lock:     hostlock.At(hostlock.DefaultPath, hostlock.DefaultWait),
		Quiet:    Quiet{Proc: "/proc", MountTable: mountinfo.SelfPath, Wait: 15 * time.Second},
		UnitDir:  "/etc/systemd/system",
	}
}

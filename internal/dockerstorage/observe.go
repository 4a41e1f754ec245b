package dockerstorage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/mountinfo"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// EngineState is what the module knows about the engine before it reads
// the rest of the host: enough for the version gate.
type EngineState struct {
	Service systemd.UnitState // docker.service
	Socket  systemd.UnitState // docker.socket
	Running bool
	Version docker.Version
	// VersionFrom says where the version came from: the Engine API, or
	// dockerd --version when the engine is not running.
	VersionFrom string
	// Info is GET /info; nil when the engine is not running.
	Info *docker.Info
}

// Observed is the host's state as far as this module cares.
type Observed struct {
	EngineState
	// Config is daemon.json as found (parsed); ConfigExists is false for a
	// missing file, whose Bytes are empty.
	Config       *docker.DaemonJSON
	ConfigBytes  []byte
	ConfigExists bool
	ConfigMode   fs.FileMode
	// Flags is what docker.service's command lines pass to dockerd.
	Flags docker.DaemonFlags
	// Pool is thinpool_device's status; nil for overlay2.
	Pool *PoolStatus
	// DataRoot is docker's data root; DataRootDrivers the storage drivers
	// whose images it holds (its image/ subdirectories).
	DataRoot           string
	DataRootHasContent bool
	DataRootDrivers    []string
	DataRootIsMount    bool
	// ForeignMounts are the filesystems mounted below the data root that
	// docker did not mount ("POINT (FSTYPE)").
	ForeignMounts []string
	// Carry is what waits in the carry directory beside the data root.
	Carry carryState
	// Mount is the data root's mount and its unit files, when
	// data_root_device is given (mount.go); nil otherwise.
	Mount *mountState
	// Images are the running engine's images, and CarryRoom the free
	// space beside the data root, when a switch may carry them.
	Images    []docker.Image
	CarryRoom int64
}

// observeEngine reads docker.service and the engine: over the Engine API
// when docker runs, else through dockerd --version.
func observeEngine(ctx context.Context, h Host, sd Systemd) (EngineState, error) {
	var e EngineState
	var err error
	if e.Service, err = sd.Unit(ctx, dockerService); err != nil {
		return e, err
	}
	if e.Service.LoadState == "not-found" {
		return e, errors.New("docker is not installed: systemd knows no docker.service; install docker first (docker.io on Debian/Ubuntu; docker-ce 24 or older for devicemapper)")
	}
	if e.Socket, err = sd.Unit(ctx, dockerSocket); err != nil {
		return e, err
	}
	e.Running = e.Service.ActiveState == "active" || e.Service.ActiveState == "reloading"
	if e.Running {
		v, err := h.Engine.Version(ctx)
		if err != nil {
			return e, fmt.Errorf("docker.service is %s, but the Engine API does not answer: %w; check `systemctl status docker` and run again", e.Service.ActiveState, err)
		}
		if e.Version, err = docker.ParseVersion(v.Version); err != nil {
			return e, fmt.Errorf("the Engine API reports %w", err)
		}
		e.VersionFrom = "the Engine API"
		info, err := h.Engine.Info(ctx)
		if err != nil {
			return e, fmt.Errorf("reading docker's state (GET /info): %w", err)
		}
		e.Info = &info
		return e, nil
	}
	res, err := h.Run.Run(ctx, runner.Command(docker.DockerdVersionArgv()...))
	if err != nil {
		var nf *runner.NotFoundError
		if errors.As(err, &nf) {
			return e, fmt.Errorf("docker is not installed: %w", err)
		}
		return e, fmt.Errorf("docker is not running and asking dockerd for its version failed: %w", err)
	}
	if e.Version, err = docker.ParseDockerdVersion(res.Stdout); err != nil {
		return e, err
	}
	e.VersionFrom = "dockerd --version"
	return e, nil
}

// observe reads everything else.
func observe(ctx context.Context, h Host, c Config, e EngineState) (*Observed, error) {
	obs := &Observed{EngineState: e}
	data, err := os.ReadFile(c.ConfigPath)
	switch {
	case err == nil:
		obs.ConfigExists, obs.ConfigBytes = true, data
		if fi, err := os.Stat(c.ConfigPath); err == nil {
			obs.ConfigMode = fi.Mode().Perm()
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("reading %s: %w", c.ConfigPath, err)
	}
	if obs.Config, err = docker.ParseDaemonJSON(c.ConfigPath, obs.ConfigBytes); err != nil {
		return nil, err
	}

	cmds, env, err := unitCommands(e.Service)
	if err != nil {
		return nil, fmt.Errorf("reading docker.service's command line: %w", err)
	}
	obs.Flags = docker.ScanCommands(cmds, env)

	if c.Driver == Devicemapper {
		obs.Pool, err = readPool(ctx, h.Run, c.PoolDMName)
		var nf *runner.NotFoundError
		if err != nil && c.CheckMode && errors.As(err, &nf) {
			// Check mode before lvm2 (and its dmsetup) is installed: the
			// pool does not exist yet, as planned for.
			obs.Pool, err = &PoolStatus{DMName: c.PoolDMName}, nil
		}
		if err != nil {
			return nil, err
		}
	}

	switch {
	case e.Info != nil && e.Info.DockerRootDir != "":
		obs.DataRoot = e.Info.DockerRootDir
	case obs.Flags.DataRoot != "":
		obs.DataRoot = obs.Flags.DataRoot
	case obs.Config.DataRoot() != "":
		obs.DataRoot = obs.Config.DataRoot()
	default:
		obs.DataRoot = h.DataRoot
	}
	if obs.DataRootHasContent, err = hasContent(obs.DataRoot); err != nil {
		return nil, err
	}
	if obs.Carry, err = observeCarry(obs.DataRoot); err != nil {
		return nil, err
	}
	if c.DataRootDevice != "" {
		if obs.Mount, err = observeMount(h, c, obs.DataRoot); err != nil {
			return nil, err
		}
	}
	// Only a running docker lists its images: a stopped one (released, or
	// cut) carries what an earlier run exported, if anything.
	moves := c.Released && !obs.Carry.Export || runsOtherStorage(c, e.Info) || obs.Mount != nil && !obs.Mount.OnDevice
	if c.CarryImages && obs.DataRootHasContent && e.Info != nil && moves {
		if obs.Images, err = h.Engine.Images(ctx); err != nil {
			return nil, fmt.Errorf("listing docker's images to carry them (GET /images/json): %w", err)
		}
		if obs.CarryRoom, err = freeBytes(filepath.Dir(filepath.Clean(obs.DataRoot))); err != nil {
			return nil, err
		}
	}
	if obs.DataRootHasContent {
		mounts, err := h.Quiet.mounts()
		if err != nil {
			return nil, err
		}
		if obs.DataRootIsMount, err = isMountPoint(mounts, obs.DataRoot); err != nil {
			return nil, err
		}
		obs.ForeignMounts = foreignMounts(mounts, obs.DataRoot)
		entries, _ := os.ReadDir(filepath.Join(obs.DataRoot, "image"))
		for _, d := range entries {
			if d.IsDir() {
				obs.DataRootDrivers = append(obs.DataRootDrivers, d.Name())
			}
		}
	}
	return obs, nil
}

// runsOtherStorage says whether the running engine (info; nil when it
// does not run) uses other storage than requested.
func runsOtherStorage(c Config, info *docker.Info) bool {
	if info == nil {
		return false
	}
	pool, _ := info.Status("Pool Name")
	return info.Driver != c.Driver || c.Driver == Devicemapper && pool != c.PoolDMName
}

// hasContent says whether dir exists and holds anything.
func hasContent(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading docker's data root: %w", err)
	}
	return len(entries) > 0, nil
}

// isMountPoint says whether dir is where a filesystem, or a bind mount,
// is mounted: it cannot be moved aside by renaming. A symlink is not: renaming
// it moves the link.
func isMountPoint(mounts []mountinfo.Mount, dir string) (bool, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return false, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return false, nil
	}
	return mountinfo.IsMountPoint(mounts, dir)
}

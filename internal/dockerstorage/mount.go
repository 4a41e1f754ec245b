package dockerstorage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/directlvm/docker/internal/atomicfile"
	"github.com/directlvm/docker/internal/module"
)

// Docker's data root on a device of its own (data_root_device, overlay2):
// a systemd mount unit mounts the device at the data root with prjquota
// (so that overlay2.size works on XFS), and a drop-in makes docker.service
// require that mount (RequiresMountsFor), so that docker never starts on
// the filesystem below it, at boot or after a failed mount. The mount
// unit is not enabled: docker.service pulls it in.

// mountOptions are the mount unit's Options: project quotas, which XFS
// takes only at mount time.
const mountOptions = "defaults,prjquota"

// dropInName is the docker.service drop-in the module owns.
const dropInName = "directlvm-data-root.conf"

// mountState is the data root's mount as observed, and the unit files the
// request wants.
type mountState struct {
	// Unit is the mount unit's name (var-lib-docker.mount), UnitPath and
	// DropInPath the files; UnitBytes and DropInBytes their content (nil
	// when missing), WantUnit and WantDropIn what they must hold.
	Unit, UnitPath, DropInPath string
	UnitBytes, DropInBytes     []byte
	WantUnit, WantDropIn       []byte
	// DeviceExists says data_root_device exists; OnDevice that it is
	// mounted at the data root; MountedElsewhere where else it is.
	DeviceExists     bool
	OnDevice         bool
	MountedElsewhere []string
	// DataRootSource is what is mounted at the data root, "" when nothing
	// (the data root is a directory of the filesystem below).
	DataRootSource string
}

// unitsCurrent says the unit files hold what the request wants.
func (m *mountState) unitsCurrent() bool {
	return bytes.Equal(m.UnitBytes, m.WantUnit) && bytes.Equal(m.DropInBytes, m.WantDropIn)
}

// mountUnitName is systemd's name for the mount unit of path:
// /var/lib/docker -> var-lib-docker.mount.
func mountUnitName(path string) string {
	return unit.UnitNamePathEscape(filepath.Clean(path)) + ".mount"
}

func mountUnitText(device, dataRoot string) []byte {
	return []byte(fmt.Sprintf(`# Written by directlvm.docker (docker_storage, data_root_device): docker's
# data root on a volume of its own. docker.service requires this mount
# (drop-in %s), so docker never starts without it.
[Unit]
Description=Docker's data root on %s (directlvm.docker)
Before=docker.service

[Mount]
What=%s
Where=%s
Type=xfs
Options=%s
`, dropInName, device, device, filepath.Clean(dataRoot), mountOptions))
}

func dropInText(dataRoot string) []byte {
	return []byte(fmt.Sprintf(`# Written by directlvm.docker (docker_storage, data_root_device): docker
# starts only once its data root's volume is mounted.
[Unit]
RequiresMountsFor=%s
`, filepath.Clean(dataRoot)))
}

// observeMount reads the data root's mount and the unit files.
func observeMount(h Host, c Config, dataRoot string) (*mountState, error) {
	m := &mountState{Unit: mountUnitName(dataRoot)}
	m.UnitPath = filepath.Join(h.UnitDir, m.Unit)
	m.DropInPath = filepath.Join(h.UnitDir, dockerService+".d", dropInName)
	m.WantUnit, m.WantDropIn = mountUnitText(c.DataRootDevice, dataRoot), dropInText(dataRoot)
	var err error
	if m.UnitBytes, err = readIfExists(m.UnitPath); err != nil {
		return nil, err
	}
	if m.DropInBytes, err = readIfExists(m.DropInPath); err != nil {
		return nil, err
	}
	device, err := filepath.EvalSymlinks(c.DataRootDevice)
	switch {
	case err == nil:
		m.DeviceExists = true
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("data_root_device %s: %w", c.DataRootDevice, err)
	}
	mounts, err := h.Quiet.mounts()
	if err != nil {
		return nil, err
	}
	root := filepath.Clean(dataRoot)
	for _, mt := range mounts {
		// Only a device path can be the device: "overlay", "proc" and
		// the like are no paths to resolve.
		same := false
		if m.DeviceExists && filepath.IsAbs(mt.Source) {
			real, err := filepath.EvalSymlinks(mt.Source)
			same = err == nil && real == device
		}
		switch {
		case mt.Point == root:
			m.DataRootSource, m.OnDevice = mt.Source, same
		case same:
			m.MountedElsewhere = append(m.MountedElsewhere, mt.Point)
		}
	}
	return m, nil
}

func readIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return b, nil
}

// mountRefusals are the reasons not to mount data_root_device.
func mountRefusals(c Config, obs *Observed) error {
	m := obs.Mount
	if m == nil || m.OnDevice {
		return nil
	}
	switch {
	case !m.DeviceExists && !c.CheckMode:
		return refuse("data_root_device %s does not exist: create the volume first (directlvm.docker.lvm_volume) and make sure it is active", c.DataRootDevice)
	case len(m.MountedElsewhere) > 0:
		return refuse("data_root_device %s is mounted at %s: it becomes docker's data root %s only while nothing else uses it; unmount it (and remove its fstab line) and run again",
			c.DataRootDevice, strings.Join(m.MountedElsewhere, ", "), obs.DataRoot)
	case m.DataRootSource != "":
		return refuse("docker's data root %s is a mount of %s, not of data_root_device %s: unmount it (and remove what mounts it at boot), or give data_root_device %s",
			obs.DataRoot, m.DataRootSource, c.DataRootDevice, m.DataRootSource)
	}
	return nil
}

// mountStep fills in the step that mounts data_root_device at the data
// root: the unit files written, systemd reloaded, the mount unit started,
// and the mount checked. Undoing it unmounts and removes the files.
func (j *job) mountStep(s *module.Step) {
	m := j.obs.Mount
	s.Undo = &module.Undo{EvenIfFailed: true, Done: fmt.Sprintf("unmounted %s and removed %s", j.obs.DataRoot, m.UnitPath)}
	s.Undo.Do = func(ctx context.Context) error {
		if err := j.sd.Stop(ctx, m.Unit, j.c.RestartTimeout); err != nil {
			return err
		}
		if err := j.putUnitFiles(m.UnitBytes, m.DropInBytes); err != nil {
			return err
		}
		return j.sd.DaemonReload(ctx)
	}
	s.Do = func(ctx context.Context) error {
		if err := j.putUnitFiles(m.WantUnit, m.WantDropIn); err != nil {
			return err
		}
		if err := j.sd.DaemonReload(ctx); err != nil {
			return err
		}
		if err := j.sd.Start(ctx, m.Unit, j.c.RestartTimeout); err != nil {
			return err
		}
		now, err := observeMount(j.h, j.c, j.obs.DataRoot)
		if err != nil {
			return err
		}
		if !now.OnDevice {
			return fmt.Errorf("%s started, but %s is not mounted at %s (the mount table shows %q there)", m.Unit, j.c.DataRootDevice, j.obs.DataRoot, now.DataRootSource)
		}
		return nil
	}
}

// unitsStep fills in the step that only rewrites the unit files (the data
// root is mounted from the device already): they take effect at the next
// mount.
func (j *job) unitsStep(s *module.Step) {
	m := j.obs.Mount
	s.Do = func(ctx context.Context) error {
		if err := j.putUnitFiles(m.WantUnit, m.WantDropIn); err != nil {
			return err
		}
		return j.sd.DaemonReload(ctx)
	}
}

// putUnitFiles writes (or, for nil content, removes) the mount unit and
// the drop-in, atomically.
func (j *job) putUnitFiles(unitText, dropIn []byte) error {
	m := j.obs.Mount
	for _, f := range []struct {
		path string
		data []byte
	}{{m.UnitPath, unitText}, {m.DropInPath, dropIn}} {
		if f.data == nil {
			if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Write(f.path, f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

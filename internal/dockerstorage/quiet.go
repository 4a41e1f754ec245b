package dockerstorage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/mountinfo"
)

// What may be mounted below a data root by docker itself while it runs:
// its containers' root filesystems and their /dev/shm. Anything else
// mounted there (a volume on a filesystem of its own, a tmpfs) is the
// operator's, and a rename of the data root would carry it along.
var dockersOwnMounts = []string{"overlay2/", "containers/", "devicemapper/mnt/", "aufs/mnt/", "btrfs/", "zfs/", "fuse-overlayfs/", "vfs/dir/"}

// mountsBelow lists the mount points strictly below dir, in the order of
// the table.
func mountsBelow(mounts []mountinfo.Mount, dir string) []mountinfo.Mount {
	prefix := filepath.Clean(dir) + "/"
	var below []mountinfo.Mount
	for _, m := range mounts {
		if strings.HasPrefix(m.Point, prefix) {
			below = append(below, m)
		}
	}
	return below
}

// foreignMounts are the mounts below the data root that docker did not
// make.
func foreignMounts(mounts []mountinfo.Mount, dataRoot string) []string {
	var foreign []string
	prefix := filepath.Clean(dataRoot) + "/"
	for _, m := range mountsBelow(mounts, dataRoot) {
		rel := strings.TrimPrefix(m.Point, prefix)
		if !slices.ContainsFunc(dockersOwnMounts, func(p string) bool { return strings.HasPrefix(rel, p) }) {
			foreign = append(foreign, fmt.Sprintf("%s (%s)", m.Point, m.FSType))
		}
	}
	return foreign
}

// Quiet is the check made with docker stopped, right before the data root
// moves: nothing of docker may still run or hold it.
type Quiet struct {
	// Proc is procfs (/proc): its processes' names and command lines.
	Proc string
	// MountTable is the mount table (/proc/self/mountinfo).
	MountTable string
	// Wait is how long a dockerd that is still exiting is waited for.
	Wait time.Duration
}

// Check says what still holds dataRoot: a dockerd (stopping docker.socket
// first keeps clients from starting another), docker's container shims (a
// live-restore daemon leaves them running), or mounts below it. nil when
// nothing does.
func (q Quiet) Check(dataRoot string) error {
	daemons, shims, err := q.settledProcesses()
	switch {
	case err != nil:
		return err
	case len(daemons) > 0:
		return fmt.Errorf("dockerd still runs (pid %s) after docker.service and docker.socket stopped, so the data root %s is not moved: find what starts it (systemctl status, ps -ef) and run again", strings.Join(daemons, ", "), dataRoot)
	case len(shims) > 0:
		return fmt.Errorf("docker's container shims still run (pid %s) after docker stopped (live-restore keeps containers running), so the data root %s is not moved: stop those containers (docker ps, docker stop), or set live-restore to false, and run again", strings.Join(shims, ", "), dataRoot)
	}
	mounts, err := q.mounts()
	if err != nil {
		return err
	}
	if below := mountsBelow(mounts, dataRoot); len(below) > 0 {
		var points []string
		for _, m := range below {
			points = append(points, m.Point)
		}
		return fmt.Errorf("%s still mounted below the data root %s after docker stopped, so it is not moved (the mounts would move with it): unmount them and run again", strings.Join(points, ", "), dataRoot)
	}
	return nil
}

// settledProcesses lists docker's processes, waiting up to q.Wait for a
// dockerd that is still exiting to be gone.
func (q Quiet) settledProcesses() (daemons, shims []string, err error) {
	deadline := time.Now().Add(q.Wait)
	for {
		daemons, shims, err = dockerProcesses(q.Proc)
		if err != nil || len(daemons) == 0 || !time.Now().Before(deadline) {
			return daemons, shims, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// mounts reads the mount table.
func (q Quiet) mounts() ([]mountinfo.Mount, error) {
	f, err := os.Open(q.MountTable)
	if err != nil {
		return nil, fmt.Errorf("reading the mount table: %w", err)
	}
	defer f.Close()
	mounts, err := mountinfo.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("reading the mount table %s: %w", q.MountTable, err)
	}
	return mounts, nil
}

// dockerProcesses lists the pids of the dockerd processes, and of the
// container shims of docker's containerd namespace (moby), under proc.
func dockerProcesses(proc string) (daemons, shims []string, err error) {
	entries, err := os.ReadDir(proc)
	if err != nil {
		return nil, nil, fmt.Errorf("listing processes in %s: %w", proc, err)
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join(proc, e.Name(), "comm"))
		if err != nil {
			continue // gone meanwhile
		}
		name := strings.TrimSpace(string(comm))
		switch {
		case name == "dockerd":
			daemons = append(daemons, e.Name())
		case strings.HasPrefix(name, "containerd-shim"):
			cmdline, _ := os.ReadFile(filepath.Join(proc, e.Name(), "cmdline"))
			if slices.ContainsFunc(bytes.Split(cmdline, []byte{0}), func(arg []byte) bool { return bytes.Equal(arg, []byte("moby")) }) {
				shims = append(shims, e.Name())
			}
		}
	}
	return daemons, shims, nil
}

package dockerstorage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// procOf writes a process table: pid -> comm and NUL-separated cmdline.
func procOf(t *testing.T, procs map[string][2]string) string {
	t.Helper()
	proc := t.TempDir()
	for pid, p := range procs {
		dir := filepath.Join(proc, pid)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "comm"), []byte(p[0]+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte(strings.ReplaceAll(p[1], " ", "\x00")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return proc
}

// mountTableOf writes a mountinfo table with one line per mount point.
func mountTableOf(t *testing.T, points ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n")
	for i, p := range points {
		fstype := "tmpfs"
		if strings.Contains(p, "/overlay2/") {
			fstype = "overlay"
		}
		b.WriteString(strings.Join([]string{"3" + string(rune('0'+i)), "22", "0:4" + string(rune('0'+i)), "/", p, "rw,relatime", "-", fstype, fstype, "rw"}, " ") + "\n")
	}
	path := filepath.Join(t.TempDir(), "mountinfo")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Before the data root moves, nothing of docker may still hold it.
func TestTheDataRootMovesOnlyOnceNothingOfDockerHoldsIt(t *testing.T) {
	const root = "/var/lib/docker"
	shim := "/usr/bin/containerd-shim-runc-v2 -namespace moby -id 0b7c -address /run/containerd/containerd.sock"
	for _, tc := range []struct {
		name   string
		procs  map[string][2]string
		mounts []string
		want   string // "" when the move may go on
	}{
		{"nothing left", map[string][2]string{"1": {"systemd", "/sbin/init"}}, nil, ""},
		{"a dockerd still running", map[string][2]string{"812": {"dockerd", "/usr/sbin/dockerd -H fd://"}}, nil,
			"dockerd still runs (pid 812) after docker.service and docker.socket stopped"},
		{"a live-restore container's shim", map[string][2]string{"977": {"containerd-shim", shim}}, nil,
			"docker's container shims still run (pid 977)"},
		{"another containerd user's shim is not docker's", map[string][2]string{"978": {"containerd-shim", "/usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id x"}}, nil, ""},
		{"a mount below the data root", nil, []string{root + "/volumes/data/_data"}, root + "/volumes/data/_data still mounted below the data root"},
		{"a mount beside it is not below it", nil, []string{root + "-other/x", "/var/lib/dockerx"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := Quiet{Proc: procOf(t, tc.procs), MountTable: mountTableOf(t, tc.mounts...)}
			err := q.Check(root)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("want the move to go on; got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("want %q; got %v", tc.want, err)
			}
		})
	}
}

// A filesystem mounted below the data root by someone else than docker
// (a volume on its own disk, a tmpfs) would move with it: refused before
// anything changes. Docker's own mounts are not.
func TestForeignMountsBelowTheDataRootAreTold(t *testing.T) {
	const root = "/var/lib/docker"
	q := Quiet{MountTable: mountTableOf(t, root+"/overlay2/4f1c/merged", root+"/containers/0b7c/mounts/shm", root+"/volumes/db/_data")}
	mounts, err := q.mounts()
	if err != nil {
		t.Fatal(err)
	}
	if got := foreignMounts(mounts, root); len(got) != 1 || got[0] != root+"/volumes/db/_data (tmpfs)" {
		t.Errorf("foreign mounts %v, want only the volume's", got)
	}
}

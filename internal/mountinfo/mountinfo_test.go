package mountinfo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// table is a mountinfo, in proc(5)'s format, of a host whose docker data
// root is bind-mounted from a directory of the root filesystem.
const table = `22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
25 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
90 22 254:1 /srv/docker /var/lib/docker rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
91 22 254:1 /srv/with\040space /mnt/with\040space rw,relatime - ext4 /dev/vda1 rw
`

func TestABindMountFromTheSameFilesystemIsAMountPoint(t *testing.T) {
	mounts, err := Parse(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	if len(mounts) != 4 {
		t.Fatalf("got %d mounts", len(mounts))
	}
	if m := mounts[2]; m.Root != "/srv/docker" || m.Point != "/var/lib/docker" || m.FSType != "ext4" || m.Source != "/dev/vda1" {
		t.Errorf("bind mount: %+v", m)
	}
	if m := mounts[3]; m.Point != "/mnt/with space" {
		t.Errorf("escaped path: %q", m.Point)
	}
}

func TestIsMountPointLooksUpTheResolvedPath(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "docker")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(data)
	mounts, err := Parse(strings.NewReader("90 22 254:1 /srv/docker " + real + " rw shared:1 - ext4 /dev/vda1 rw\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := IsMountPoint(mounts, data); err != nil || !ok {
		t.Errorf("%s: %v, %v; want a mount point", data, ok, err)
	}
	if ok, err := IsMountPoint(mounts, dir); err != nil || ok {
		t.Errorf("%s: %v, %v; want no mount point", dir, ok, err)
	}
}

func TestAMalformedLineIsAnError(t *testing.T) {
	for _, bad := range []string{"22 1 254:1 / / rw\n", "22 1 254:1 / / rw shared:1 - ext4\n", `22 1 254:1 / /a\04 rw - ext4 /dev/vda1 rw` + "\n"} {
		if _, err := Parse(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

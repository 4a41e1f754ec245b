package lvmprofile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestTheProfileDirectoryIsCreated0755(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "lvm", "profile")
	if err := makeDir(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("%s: %v, %v", dir, fi.Mode(), err)
	}
}

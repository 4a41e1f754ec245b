package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteReplacesAtomicallyWithItsOwnMode(t *testing.T) {
	old := syscall.Umask(0o077) // a strict umask must not change the mode
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "docker-thinpool.profile")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(got) != "new\n" || fi.Mode().Perm() != 0o644 {
		t.Errorf("content %q, mode %04o", got, fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("a temporary file was left behind: %v", entries)
	}
}

func TestAFailedWriteLeavesTheOldFileAndNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "daemon.json")
	if err := os.Mkdir(path, 0o755); err != nil { // rename over a directory fails
		t.Fatal(err)
	}
	err := Write(path, []byte("{}\n"), 0o644)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("want an error naming %s, got %v", path, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("a temporary file was left behind: %v", entries)
	}
}

func TestRemovingAMissingFileIsSuccess(t *testing.T) {
	if err := Remove(filepath.Join(t.TempDir(), "gone.profile")); err != nil {
		t.Fatal(err)
	}
}

// Replace keeps what the file is: a link stays a link to the same file,
// and the file keeps its mode, owner and group.
func TestReplaceKeepsTheLinkTheModeAndTheOwner(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "daemon.json")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte(`{"proxies": {"http-proxy": "http://user:secret@proxy"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	owner := os.Geteuid()
	if owner == 0 {
		owner = 65534 // as root, show that another user's file stays theirs
		if err := os.Chown(target, owner, owner); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "daemon.json")
	if err := os.Symlink("real/daemon.json", link); err != nil {
		t.Fatal(err)
	}

	if err := Replace(link, []byte(`{"storage-driver": "devicemapper"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("%s is no longer a symlink (%v)", link, err)
	}
	got, err := os.ReadFile(target)
	if err != nil || string(got) != `{"storage-driver": "devicemapper"}` {
		t.Errorf("the link's target holds %q (%v)", got, err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want the file's own 0600", fi.Mode().Perm())
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != owner || int(st.Gid) != owner && os.Geteuid() == 0 {
		t.Errorf("owner %d:%d, want %d", st.Uid, st.Gid, owner)
	}
	if entries, _ := os.ReadDir(filepath.Dir(target)); len(entries) != 1 {
		t.Errorf("a temporary file was left beside the target: %v", entries)
	}
}

func TestReplaceGivesANewFileTheNewMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.json")
	if err := Replace(path, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("new file: %v (%v), want mode 0644", fi.Mode().Perm(), err)
	}
}

func TestReplaceWritesThroughADanglingLink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "daemon.json")
	if err := os.Symlink(filepath.Join(dir, "elsewhere.json"), link); err != nil {
		t.Fatal(err)
	}
	if err := Replace(link, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "elsewhere.json")); err != nil || string(got) != "{}" {
		t.Errorf("the link's target: %q (%v)", got, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a symlink (%v)", link, err)
	}
}

// Rename moves a directory tree, as docker_storage moves a data root
// aside; the source name is gone and the content is under the new one.
// (That it survives a power cut needs the guest's power-cut harness.)
func TestRenameMovesADirectoryAndKeepsItsContent(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "docker"), filepath.Join(dir, "docker.directlvm-20261130T000000")
	if err := os.MkdirAll(filepath.Join(from, "overlay2"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Rename(from, to); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(from); !os.IsNotExist(err) {
		t.Errorf("%s still exists (%v)", from, err)
	}
	if _, err := os.Stat(filepath.Join(to, "overlay2")); err != nil {
		t.Errorf("content not under %s: %v", to, err)
	}
	if err := Rename(from, to); err == nil {
		t.Errorf("renaming what is gone succeeded")
	}
}

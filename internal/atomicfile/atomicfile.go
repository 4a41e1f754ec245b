// Package atomicfile replaces and removes files so that a reader, or a
// crash, sees the old file or the new one, never a part.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Write replaces path with data, a file of mode mode: a temporary file in the same directory
// (named .NAME.tmp-*, so that tools reading *.profile or *.json pass it
// by), written, given mode whatever the umask, synced, renamed over path,
// and the directory synced. On failure the temporary file is removed and
// path is as it was.
func Write(path string, data []byte, mode fs.FileMode) error {
	return write(path, data, mode, nil)
}

// Replace writes data into the file path names, keeping what the file is:
// a symlink stays a link and its target file is replaced; an existing
// file keeps its mode, owner and group (a daemon.json of mode 0600 holding
// credentials stays 0600). A new file gets newMode and this process's
// owner.
func Replace(path string, data []byte, newMode fs.FileMode) error {
	target, err := resolve(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return write(target, data, newMode, nil)
	case err != nil:
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return write(target, data, fi.Mode().Perm(), fi)
}

// resolve follows path's symlinks to the file they name, which may not
// exist yet (a dangling link is written through, as the kernel would).
func resolve(path string) (string, error) {
	for range 40 { // the kernel's own limit on links in a row
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", fmt.Errorf("too many levels of symbolic links")
}

// write puts data at path through a temporary file in the same directory;
// like is the file it replaces, whose owner and group the new one keeps
// (nil for a new file).
func write(path string, data []byte, mode fs.FileMode, like fs.FileInfo) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if st, ok := statOf(like); ok && (int(st.Uid) != os.Geteuid() || int(st.Gid) != os.Getegid()) {
		if err = tmp.Chown(int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if err = tmp.Chmod(mode); err != nil { // CreateTemp makes it 0600; chown may clear set-id bits, so chmod comes after
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// statOf is fi's owner and group, when there is a file and the system
// says.
func statOf(fi fs.FileInfo) (*syscall.Stat_t, bool) {
	if fi == nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return st, ok
}

// Remove removes path durably; a file already gone is success.
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// Rename renames from to to durably: once it returns, a power cut leaves
// the new name, not the old one (the directories holding both names are
// synced).
func Rename(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	if err := SyncDir(filepath.Dir(to)); err != nil {
		return err
	}
	if filepath.Dir(from) != filepath.Dir(to) {
		return SyncDir(filepath.Dir(from))
	}
	return nil
}

// SyncDir makes a rename or removal in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

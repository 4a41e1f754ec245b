// Package hostlock is the lock that keeps two runs of this collection's
// modules on one host from changing it at the same time: flock(2) on a lock
// file, by default /run/directlvm-docker/lock.
//
// Every module holds the lock for its whole observe, plan, apply and
// re-read, in check mode too (a plan read while another run changes the
// host would be wrong). A second run waits for it, DefaultWait at most (ten
// minutes: a docker restart alone may take docker_storage's restart_timeout
// of 180 s and then its verification), and then fails with a message
// naming the holder, changing nothing.
//
// The flock is the lock; the file's content only names the holder for
// messages. The kernel drops a flock when its holder's last descriptor
// closes, which includes the process dying, so a killed run never leaves a
// stale lock behind: a file that still names a holder that is gone is taken
// at once. The file is never removed (removing a lock file races with the
// next run's flock on it); the directory is created if it is missing.
//
// Only the user the modules run as (root) may hold it: the directory is
// made 0700, and a directory or file that another user owns, or that
// others may write, is refused. (In a world-writable directory such as
// /run/lock, any local user could take the lock first and stall every run.)
package hostlock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// DefaultPath is the lock every module of the collection takes.
	DefaultPath = "/run/directlvm-docker/lock"
	// DefaultWait is how long a run waits for the lock before giving up.
	DefaultWait = 10 * time.Minute

	// retryEvery is how often a waiting run tries the lock again.
	retryEvery = 200 * time.Millisecond
	// fileMode lets anyone read who holds the lock; only root writes it.
	fileMode = 0o644
	// dirMode is for the lock directory when it has to be created: only
	// its owner may enter it.
	dirMode = 0o700
	// maxContent bounds what is read from the file for a message.
	maxContent = 4096
)

// Owner names a run that holds the lock.
type Owner struct {
	Module    string    // the module's name, e.g. lvm_thinpool
	PID       int       // its process
	Since     time.Time // when it took the lock
	CheckMode bool      // a check-mode run, which only reads
}

// Self is this process, running module.
func Self(module string, checkMode bool) Owner {
	return Owner{Module: module, PID: os.Getpid(), Since: time.Now(), CheckMode: checkMode}
}

// String is the owner as messages show it:
// "lvm_thinpool, pid 1234, since 2026-11-25T19:04:05Z".
func (o Owner) String() string {
	s := fmt.Sprintf("%s, pid %d, since %s", o.Module, o.PID, o.Since.UTC().Format(time.RFC3339))
	if o.CheckMode {
		s += ", in check mode"
	}
	return s
}

// line is the owner as the lock file holds it, one line of key=value
// words: module=lvm_thinpool pid=1234 since=2026-11-25T19:04:05Z check_mode=false
func (o Owner) line() string {
	return fmt.Sprintf("module=%s pid=%d since=%s check_mode=%t\n",
		o.Module, o.PID, o.Since.UTC().Format(time.RFC3339), o.CheckMode)
}

// parseOwner reads a line written by Owner.line; ok is false for anything
// else (an empty file, or one written by something that is not us).
func parseOwner(content string) (o Owner, ok bool) {
	fields := strings.Fields(content)
	if len(fields) == 0 {
		return Owner{}, false
	}
	var err error
	for _, f := range fields {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "module":
			o.Module = v
		case "pid":
			o.PID, err = strconv.Atoi(v)
		case "since":
			o.Since, err = time.Parse(time.RFC3339, v)
		case "check_mode":
			o.CheckMode, err = strconv.ParseBool(v)
		}
		if err != nil {
			return Owner{}, false
		}
	}
	return o, o.Module != "" && o.PID > 0
}

// Lock takes the host's lock for owner and returns the function that
// releases it. Each module's Host carries one: At on a real host, a fake in
// unit tests.
type Lock func(ctx context.Context, owner Owner) (release func(), err error)

// At is the lock file at path, waited for at most wait.
func At(path string, wait time.Duration) Lock {
	return func(ctx context.Context, owner Owner) (func(), error) {
		return Acquire(ctx, path, owner, wait)
	}
}

// HeldError is a lock that another run kept for as long as this one
// waited, or until its context ended.
type HeldError struct {
	Path   string
	Holder *Owner        // as the file names it; nil when it names none
	Waited time.Duration // how long this run waited
	Cause  error         // the context's error when the wait was cut short; nil on timeout
}

func (e *HeldError) Error() string {
	holder := "a process that does not name itself in it (lslocks shows which)"
	fix := "if no directlvm.docker task runs on this host, find the holder with lslocks"
	if e.Holder != nil {
		holder = e.Holder.String()
		fix = fmt.Sprintf("if pid %d is gone, nothing holds the lock and the next run takes it", e.Holder.PID)
	}
	waited := e.Waited.Round(10 * time.Millisecond)
	if e.Waited >= time.Second {
		waited = e.Waited.Round(time.Second)
	}
	ended := fmt.Sprintf("gave up after waiting %s for it", waited)
	if e.Cause != nil {
		ended = fmt.Sprintf("stopped waiting for it after %s: %v", waited, e.Cause)
	}
	return fmt.Sprintf("another directlvm.docker task is changing this host: lock file %s is held by %s; %s. Wait for it to finish and run again, or, %s",
		e.Path, holder, ended, fix)
}

func (e *HeldError) Unwrap() error { return e.Cause }

// Acquire takes the exclusive flock on the file at path (created with mode
// 0644, its directory with 0755, when missing), trying again every 200 ms
// while another process holds it, until wait has passed or ctx ends; then
// it returns a *HeldError naming the holder. Once it holds the lock it
// writes owner into the file.
//
// flock locks belong to an open file description, so two Acquires in one
// process exclude each other as two processes do. The descriptor is
// close-on-exec: the commands a module runs do not inherit the lock.
//
// release clears the file's content and unlocks; calling it more than
// once is harmless.
func Acquire(ctx context.Context, path string, owner Owner, wait time.Duration) (release func(), err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("creating the directory of lock file %s: %w", path, err)
	}
	if err := checkOwn(dir, "directory of lock file "+path); err != nil {
		return nil, err
	}
	// O_NOFOLLOW: /run/lock is writable by everyone, so a symlink planted
	// there must not make root write to its target.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, fileMode)
	if err != nil {
		return nil, fmt.Errorf("opening lock file %s: %w", path, err)
	}
	if err := checkFile(f); err != nil {
		f.Close()
		return nil, err
	}
	start := time.Now()
	deadline := start.Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("flock on lock file %s: %w", path, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			e := held(f, path, time.Since(start))
			f.Close()
			return nil, e
		}
		timer := time.NewTimer(min(retryEvery, left))
		select {
		case <-ctx.Done():
			timer.Stop()
			e := held(f, path, time.Since(start))
			e.Cause = ctx.Err()
			f.Close()
			return nil, e
		case <-timer.C:
		}
	}

	// The content only serves messages: the lock holds without it, so a
	// failure to write it is not worth failing the run for.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(owner.line()), 0)
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = f.Truncate(0)
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		})
	}, nil
}

// checkFile refuses a lock file that is not a plain file of its own: a
// FIFO or device, or a hard link to another file (which writing the owner
// would overwrite).
func checkFile(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading lock file %s: %w", f.Name(), err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("lock file %s is a %s, not a regular file: remove it and run again", f.Name(), fi.Mode().Type())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink != 1 {
		return fmt.Errorf("lock file %s has %d hard links, so it is also another file: remove it and run again", f.Name(), st.Nlink)
	}
	return checkOwner(fi, "lock file "+f.Name())
}

// checkOwn refuses a lock directory that is a link, or that checkOwner
// refuses.
func checkOwn(path, what string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("reading the %s: %w", what, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("the %s, %s, is a %s, not a directory: remove it and run again", what, path, fi.Mode().Type())
	}
	return checkOwner(fi, "the "+what+", "+path+",")
}

// checkOwner refuses what belongs to another user or what others may
// write: whoever could write it could hold the lock and make every run
// wait.
func checkOwner(fi os.FileInfo, what string) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("%s belongs to uid %d, not to uid %d that runs this module: another user could hold the lock and stall every run; remove it and run again",
			what, st.Uid, uid)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s has mode %04o, writable by others: another user could hold the lock and stall every run; chmod go-w it, or remove it, and run again",
			what, fi.Mode().Perm())
	}
	return nil
}

// held describes the lock as the file names its holder.
func held(f *os.File, path string, waited time.Duration) *HeldError {
	e := &HeldError{Path: path, Waited: waited}
	b := make([]byte, maxContent)
	n, _ := f.ReadAt(b, 0) // io.EOF at the end of a short file
	if o, ok := parseOwner(string(b[:n])); ok {
		e.Holder = &o
	}
	return e
}

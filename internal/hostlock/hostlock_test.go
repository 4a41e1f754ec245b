package hostlock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// since is a fixed start time, so that messages can be compared.
var since = time.Date(2026, 11, 25, 19, 4, 5, 0, time.UTC)

func thinpoolRun(pid int) Owner {
	return Owner{Module: "lvm_thinpool", PID: pid, Since: since}
}

func lockPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "run", "lock", "directlvm-docker.lock")
}

// take acquires the lock or fails the test, and releases it when the test
// ends (a second release is harmless).
func take(t *testing.T, path string, o Owner) func() {
	t.Helper()
	release, err := Acquire(context.Background(), path, o, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return release
}

func content(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type acquired struct {
	release func()
	err     error
	at      time.Time
}

// acquireAsync starts an Acquire on its own goroutine: its own open file
// description, so it contends with the test's as another process would.
func acquireAsync(ctx context.Context, path string, o Owner, wait time.Duration) <-chan acquired {
	done := make(chan acquired, 1)
	go func() {
		release, err := Acquire(ctx, path, o, wait)
		done <- acquired{release, err, time.Now()}
	}()
	return done
}

func TestTheFirstRunCreatesTheDirectoryAndTheFileAndNamesItself(t *testing.T) {
	path := lockPath(t)
	release := take(t, path, Owner{Module: "docker_storage", PID: 42, Since: since, CheckMode: true})

	if got, want := content(t, path), "module=docker_storage pid=42 since=2026-11-25T19:04:05Z check_mode=true\n"; got != want {
		t.Errorf("lock file holds %q, want %q", got, want)
	}
	for p, want := range map[string]os.FileMode{path: 0o644, filepath.Dir(path): 0o755 | os.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		// The umask may take bits away, never add them.
		if fi.Mode()&^want != 0 || fi.Mode().Perm()&0o600 != 0o600 {
			t.Errorf("%s has mode %s, want %s", p, fi.Mode(), want)
		}
	}

	release()
	release()
	if got := content(t, path); got != "" {
		t.Errorf("released lock file still names a holder: %q", got)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the lock file must stay after release: %v", err)
	}
}

func TestASecondRunWaitsForTheFirstAndThenGoesOn(t *testing.T) {
	path := lockPath(t)
	release := take(t, path, thinpoolRun(1234))

	second := acquireAsync(context.Background(), path, Owner{Module: "lvm_profile", PID: 5678, Since: since}, 10*time.Second)
	select {
	case r := <-second:
		t.Fatalf("the second run got past a held lock: %v", r.err)
	case <-time.After(600 * time.Millisecond):
	}
	released := time.Now()
	release()

	select {
	case r := <-second:
		if r.err != nil {
			t.Fatalf("the second run failed after the first released the lock: %v", r.err)
		}
		defer r.release()
		if d := r.at.Sub(released); d > time.Second {
			t.Errorf("the second run took the lock %s after its release; it retries every %s", d, retryEvery)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second run still waits after the first released the lock")
	}
	if got := content(t, path); !strings.HasPrefix(got, "module=lvm_profile pid=5678 ") {
		t.Errorf("lock file names %q, want the second run", got)
	}
}

func TestARunThatWaitsInVainNamesTheHolderAndTheFix(t *testing.T) {
	path := lockPath(t)
	take(t, path, thinpoolRun(1234))

	start := time.Now()
	_, err := Acquire(context.Background(), path, Owner{Module: "lvm_profile", PID: 5678, Since: since}, 300*time.Millisecond)
	if waited := time.Since(start); waited < 300*time.Millisecond || waited > 2*time.Second {
		t.Errorf("waited %s, want about 300ms", waited)
	}
	var held *HeldError
	if !errors.As(err, &held) || held.Holder == nil || held.Holder.PID != 1234 || held.Cause != nil {
		t.Fatalf("want a HeldError naming pid 1234, got %#v", err)
	}
	for _, want := range []string{
		"lock file " + path + " is held by lvm_thinpool, pid 1234, since 2026-11-25T19:04:05Z",
		"another directlvm.docker task is changing this host",
		"wait for it to finish and run again",
		"if pid 1234 is gone, nothing holds the lock and the next run takes it",
	} {
		if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(want)) {
			t.Errorf("message does not say %q:\n%s", want, err)
		}
	}
	// The message gives the wait as measured: 300ms, or a little more on
	// a busy machine.
	if m := regexp.MustCompile(`gave up after waiting (\d+)ms for it`).FindStringSubmatch(err.Error()); m == nil {
		t.Errorf("message does not give the wait in ms:\n%s", err)
	} else if ms, _ := strconv.Atoi(m[1]); ms < 300 || ms > 2000 {
		t.Errorf("message gives a wait of %dms, want 300ms to 2s:\n%s", ms, err)
	}
	if got := content(t, path); !strings.Contains(got, "pid=1234") {
		t.Errorf("a run that did not get the lock changed the file: %q", got)
	}
}

func TestAHolderThatDoesNotNameItselfIsReportedAsSuch(t *testing.T) {
	path := lockPath(t)
	take(t, path, thinpoolRun(1234))
	if err := os.WriteFile(path, []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Acquire(context.Background(), path, thinpoolRun(5678), 0)
	if err == nil || !strings.Contains(err.Error(), "does not name itself") || !strings.Contains(err.Error(), "lslocks") {
		t.Fatalf("want a message about an unnamed holder, got %v", err)
	}
}

func TestCancellingTheContextStopsTheWait(t *testing.T) {
	path := lockPath(t)
	take(t, path, thinpoolRun(1234))

	ctx, cancel := context.WithCancel(context.Background())
	second := acquireAsync(ctx, path, thinpoolRun(5678), time.Minute)
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case r := <-second:
		if !errors.Is(r.err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", r.err)
		}
		if !strings.Contains(r.err.Error(), "stopped waiting") || !strings.Contains(r.err.Error(), "pid 1234") {
			t.Errorf("message: %v", r.err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the wait went on after its context was cancelled")
	}
}

func TestALockFileLeftByADeadHolderIsTakenAtOnce(t *testing.T) {
	// A run that was killed leaves its name in the file, but the kernel
	// dropped its flock with its last descriptor.
	path := lockPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(thinpoolRun(999999).line()), 0o644); err != nil {
		t.Fatal(err)
	}
	take(t, path, Owner{Module: "lvm_profile", PID: 5678, Since: since})
	if got := content(t, path); got != "module=lvm_profile pid=5678 since=2026-11-25T19:04:05Z check_mode=false\n" {
		t.Errorf("lock file names %q, want the new holder only", got)
	}
}

func TestALockFileThatIsASymlinkIsRefusedAndItsTargetKept(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "shadow")
	if err := os.WriteFile(target, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "directlvm-docker.lock")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(context.Background(), path, thinpoolRun(1), 0); err == nil {
		t.Fatal("a symlinked lock file was taken")
	}
	if got := content(t, target); got != "precious\n" {
		t.Errorf("the symlink's target was changed: %q", got)
	}
}

func TestALockFileWithASecondHardLinkIsRefused(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "directlvm-docker.lock")
	if err := os.Link(other, path); err != nil {
		t.Fatal(err)
	}
	_, err := Acquire(context.Background(), path, thinpoolRun(1), 0)
	if err == nil || !strings.Contains(err.Error(), "hard links") {
		t.Fatalf("want a refusal naming the hard links, got %v", err)
	}
	if got := content(t, other); got != "precious\n" {
		t.Errorf("the other file was changed: %q", got)
	}
}

func TestAtBindsThePathAndTheWait(t *testing.T) {
	path := lockPath(t)
	take(t, path, thinpoolRun(1234))
	_, err := At(path, 0)(context.Background(), thinpoolRun(5678))
	var held *HeldError
	if !errors.As(err, &held) || held.Path != path {
		t.Fatalf("want a HeldError for %s, got %v", path, err)
	}
}

// Only the user that runs the modules may hold the lock: a lock directory
// or file that others may write, or that another user owns, is refused
// before anything waits on it.
func TestALockOthersCouldHoldIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir, path string)
		want  string
	}{
		{"a world-writable directory like /run/lock", func(t *testing.T, dir, _ string) {
			if err := os.Chmod(dir, 0o1777); err != nil {
				t.Fatal(err)
			}
		}, "has mode 0777, writable by others"},
		{"a lock file others may write", func(t *testing.T, _, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o666); err != nil {
				t.Fatal(err)
			}
		}, "has mode 0666, writable by others"},
		{"a lock file another user made", func(t *testing.T, _, path string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give the file to another user")
			}
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, "belongs to uid 65534"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "lockdir")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "lock")
			tc.setup(t, dir, path)
			release, err := Acquire(context.Background(), path, Self("lvm_thinpool", false), time.Second)
			if err == nil {
				release()
				t.Fatalf("took a lock others could hold; want a refusal saying %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "stall every run") {
				t.Errorf("want a refusal saying %q and why; got %v", tc.want, err)
			}
		})
	}
}

func TestTheLockDirectoryIsMadeForItsOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "lock")
	release, err := Acquire(context.Background(), path, Self("lvm_thinpool", false), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("lock directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
}

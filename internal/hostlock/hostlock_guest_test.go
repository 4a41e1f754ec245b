package hostlock

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/tools/guest/guesttest"
)

// nobody runs argv as the unprivileged user nobody, as any local user could.
func nobody(ctx context.Context, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "--"}, argv...)...)
}

// An unprivileged user cannot make root's runs wait: it can neither take
// the lock at its path, nor, by holding the lock file of old
// (/run/lock/directlvm-docker.lock, in the world-writable /run/lock), keep
// a run from taking the lock at once.
func TestGuestAnUnprivilegedUserCannotHoldTheLock(t *testing.T) {
	guesttest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A local user holds a flock on the old, world-writable path...
	old := nobody(ctx, "flock", "--exclusive", "/run/lock/directlvm-docker.lock", "sleep", "50")
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = old.Process.Kill(); _ = old.Wait() }()
	time.Sleep(time.Second)

	// ...and tries the lock's path: the directory is root's alone.
	if out, err := nobody(ctx, "flock", "--nonblock", DefaultPath, "true").CombinedOutput(); err == nil {
		t.Errorf("user nobody took %s; want it refused:\n%s", DefaultPath, out)
	}

	// Root's run takes the lock at once.
	start := time.Now()
	release, err := Acquire(ctx, DefaultPath, Self("lvm_thinpool", false), 5*time.Second)
	if err != nil {
		t.Fatalf("a run waited for a lock an unprivileged user held: %v", err)
	}
	release()
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("took the lock after %s; want at once", waited)
	}
	if out, _ := exec.Command("stat", "-c", "%a %U", "/run/directlvm-docker").Output(); strings.TrimSpace(string(out)) != "700 root" {
		t.Errorf("lock directory is %q, want \"700 root\"", out)
	}
}

package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// recorder stands in for *testing.T so the tests can see the failures the
// Fake reports instead of failing themselves.
type recorder struct {
	errors   []string
	cleanups []func()
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(f string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(f, args...))
}
func (r *recorder) Cleanup(fn func()) { r.cleanups = append(r.cleanups, fn) }
func (r *recorder) finish() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestFakeReplaysTheScriptInOrder(t *testing.T) {
	f := NewFake(t)
	f.Expect("pvs", "--reportformat", "json").Stdout(`{"report":[]}`)
	f.Expect("vgcreate", "docker", "/dev/vdb").Stderr("  Volume group \"docker\" already exists").Exit(5)

	res, err := f.Run(context.Background(), Command("pvs", "--reportformat", "json"))
	if err != nil || string(res.Stdout) != `{"report":[]}` {
		t.Fatalf("step 1: %q, %v", res.Stdout, err)
	}
	_, err = f.Run(context.Background(), Command("vgcreate", "docker", "/dev/vdb"))
	if ExitCodeOf(err) != 5 || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("step 2: want exit 5 with stderr, got %v", err)
	}
	if got := len(f.Calls()); got != 2 {
		t.Fatalf("Calls() = %d entries", got)
	}
}

func TestFakeFailsTheTestOnAnUnexpectedCommand(t *testing.T) {
	r := &recorder{}
	f := NewFake(r)
	f.Expect("lvs")
	if _, err := f.Run(context.Background(), Command("lvremove", "-y", "docker/thinpool")); err == nil {
		t.Fatal("an unexpected command must return an error")
	}
	r.finish()
	if len(r.errors) != 2 {
		t.Fatalf("want a mismatch and a never-ran report, got %q", r.errors)
	}
	if !strings.Contains(r.errors[0], "lvremove -y docker/thinpool") || !strings.Contains(r.errors[1], "never ran") {
		t.Errorf("reports do not name the commands: %q", r.errors)
	}
}

func TestFakeFailsTheTestWhenTheScriptRunsOut(t *testing.T) {
	r := &recorder{}
	f := NewFake(r)
	if _, err := f.Run(context.Background(), Command("wipefs", "-a", "/dev/vdb")); err == nil {
		t.Fatal("a command past the end of the script must return an error")
	}
	r.finish()
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "wipefs -a /dev/vdb") {
		t.Fatalf("reports = %q", r.errors)
	}
}

func TestRecorderKeepsEveryCommandItPassesOn(t *testing.T) {
	f := NewFake(t)
	f.Expect("lvs")
	f.Expect("vgs").Exit(5)
	r := &Recorder{Next: f}
	_, _ = r.Run(context.Background(), Command("lvs"))
	if _, err := r.Run(context.Background(), Command("vgs")); ExitCodeOf(err) != 5 {
		t.Errorf("the wrapped runner's error must pass through: %v", err)
	}
	if got := r.Calls(); len(got) != 2 || got[1][0] != "vgs" {
		t.Errorf("Calls() = %v", got)
	}
}

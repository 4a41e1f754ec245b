package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// TB is the part of testing.TB the Fake needs; it keeps package testing out
// of production binaries.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Cleanup(func())
}

// Fake is a scripted Runner for unit tests. Each expected command is listed
// in order with what it prints; a call that does not match the next
// expectation fails the test and returns an error, and any expectation left
// unused when the test ends fails it too.
type Fake struct {
	t     TB
	mu    sync.Mutex
	steps []*Step
	next  int
	calls [][]string
}

// Step is one expected command and its scripted outcome.
type Step struct {
	argv     []string
	stdout   string
	stderr   string
	exit     int
	stdin    *string
	notFound bool
}

// NewFake returns an empty script bound to t.
func NewFake(t TB) *Fake {
	f := &Fake{t: t}
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.next < len(f.steps) {
			t.Helper()
			var left []string
			for _, s := range f.steps[f.next:] {
				left = append(left, Join(s.argv))
			}
			t.Errorf("runner.Fake: %d expected command(s) never ran:\n  %s", len(left), strings.Join(left, "\n  "))
		}
	})
	return f
}

// Expect adds the next expected command; by default it succeeds silently.
func (f *Fake) Expect(argv ...string) *Step {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &Step{argv: argv}
	f.steps = append(f.steps, s)
	return s
}

// Stdout sets what the command prints on stdout.
func (s *Step) Stdout(out string) *Step { s.stdout = out; return s }

// Stderr sets what the command prints on stderr.
func (s *Step) Stderr(out string) *Step { s.stderr = out; return s }

// Exit sets the command's exit code.
func (s *Step) Exit(code int) *Step { s.exit = code; return s }

// NotFound makes the command's program missing from the host: the run
// fails with a *NotFoundError, as the real runner's lookup does.
func (s *Step) NotFound() *Step { s.notFound = true; return s }

// WithStdin requires the command to be fed exactly this input.
func (s *Step) WithStdin(in string) *Step { s.stdin = &in; return s }

// Calls returns every argv run so far, in order.
func (f *Fake) Calls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Run implements Runner.
func (f *Fake) Run(_ context.Context, cmd Cmd) (Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, slices.Clone(cmd.Argv))
	if f.next >= len(f.steps) {
		f.t.Helper()
		f.t.Errorf("runner.Fake: unexpected command %q: the script has no more steps", Join(cmd.Argv))
		return Result{ExitCode: -1}, fmt.Errorf("runner.Fake: unexpected command %s", Join(cmd.Argv))
	}
	s := f.steps[f.next]
	if !slices.Equal(s.argv, cmd.Argv) {
		f.t.Helper()
		f.t.Errorf("runner.Fake: step %d: got command\n  %s\nwant\n  %s", f.next+1, Join(cmd.Argv), Join(s.argv))
		return Result{ExitCode: -1}, fmt.Errorf("runner.Fake: unexpected command %s", Join(cmd.Argv))
	}
	if s.stdin != nil && *s.stdin != string(cmd.Stdin) {
		f.t.Helper()
		f.t.Errorf("runner.Fake: step %d (%s): stdin %q, want %q", f.next+1, Join(cmd.Argv), cmd.Stdin, *s.stdin)
	}
	f.next++
	if s.notFound {
		return Result{ExitCode: -1}, &NotFoundError{Tool: cmd.Argv[0], Searched: []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"}}
	}
	res := Result{Stdout: []byte(s.stdout), Stderr: []byte(s.stderr), ExitCode: s.exit}
	if s.exit != 0 {
		return res, &ExitError{Argv: cmd.Argv, ExitCode: s.exit, Stderr: s.stderr, Err: fmt.Errorf("exit status %d", s.exit)}
	}
	return res, nil
}

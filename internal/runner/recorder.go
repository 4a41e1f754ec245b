package runner

import (
	"context"
	"slices"
	"sync"
)

// Recorder wraps a Runner and keeps the argv of every command it ran, so
// that tests and benchmarks can count what really executed.
type Recorder struct {
	Next  Runner
	mu    sync.Mutex
	calls [][]string
}

// Run implements Runner.
func (r *Recorder) Run(ctx context.Context, cmd Cmd) (Result, error) {
	r.mu.Lock()
	r.calls = append(r.calls, slices.Clone(cmd.Argv))
	r.mu.Unlock()
	return r.Next.Run(ctx, cmd)
}

// Calls returns the argv of every command run so far.
func (r *Recorder) Calls() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

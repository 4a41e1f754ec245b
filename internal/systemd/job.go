package systemd

import (
	"context"
	"fmt"
	"time"
)

// jobMode is how a job joins systemd's queue: "replace" lets it replace a
// conflicting queued job, as systemctl does by default.
const jobMode = "replace"

// jobDone is the one job result that means success. The others are
// canceled, timeout, failed, dependency and skipped.
const jobDone = "done"

// JobError is a job that finished with a result other than "done".
type JobError struct {
	Verb   string // start, stop or restart
	Unit   string
	Result string // canceled, timeout, failed, dependency or skipped
}

func (e *JobError) Error() string {
	return fmt.Sprintf("systemd: %s of %s finished with result %q; see journalctl -u %s", e.Verb, e.Unit, e.Result, e.Unit)
}

// Start starts a unit and waits until its job finishes, at most timeout
// (zero: as long as ctx allows).
func (m *Manager) Start(ctx context.Context, name string, timeout time.Duration) error {
	return m.job(ctx, "start", name, timeout, m.conn.StartUnitContext)
}

// Stop stops a unit and waits until its job finishes.
func (m *Manager) Stop(ctx context.Context, name string, timeout time.Duration) error {
	return m.job(ctx, "stop", name, timeout, m.conn.StopUnitContext)
}

// Restart restarts a unit (starting it when it is not running) and waits
// until its job finishes.
func (m *Manager) Restart(ctx context.Context, name string, timeout time.Duration) error {
	return m.job(ctx, "restart", name, timeout, m.conn.RestartUnitContext)
}

// enqueue is one of the bus's job methods: it queues a job and arranges for
// the job's result to be sent on ch.
type enqueue func(ctx context.Context, name, mode string, ch chan<- string) (int, error)

// job queues a job and waits for its result.
func (m *Manager) job(ctx context.Context, verb, name string, timeout time.Duration, queue enqueue) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// Buffered: the bus delivers the result once and must never block on
	// it, even when we stopped waiting.
	result := make(chan string, 1)
	if _, err := queue(ctx, name, jobMode, result); err != nil {
		return fmt.Errorf("systemd: cannot %s %s: %w", verb, name, err)
	}
	select {
	case r := <-result:
		if r != jobDone {
			return &JobError{Verb: verb, Unit: name, Result: r}
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("systemd: %s of %s did not finish in time (%w); it may still be running: see systemctl status %s and journalctl -u %s",
			verb, name, ctx.Err(), name, name)
	}
}

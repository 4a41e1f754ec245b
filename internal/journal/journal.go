// Package journal reads a systemd unit's log through journalctl(1).
package journal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

// readTimeout bounds one read of the journal.
const readTimeout = 30 * time.Second

// SinceArgv reads unit's log since t, messages only (-o cat), without a
// pager. --since takes local time, as t.Format gives it with t's location.
func SinceArgv(unit string, t time.Time) []string {
	return []string{"journalctl", "-u", unit, "--no-pager", "-o", "cat",
		"--since", t.Format("2006-01-02 15:04:05")}
}

// Since returns unit's log lines since t, oldest first; none for an empty
// log.
func Since(ctx context.Context, r runner.Runner, unit string, t time.Time) ([]string, error) {
	res, err := r.Run(ctx, runner.Cmd{Argv: SinceArgv(unit, t), Timeout: readTimeout})
	if err != nil {
		return nil, fmt.Errorf("reading the log of %s: %w", unit, err)
	}
	return Lines(res.Stdout), nil
}

// Lines splits journalctl -o cat output into its lines.
func Lines(out []byte) []string {
	text := strings.TrimSpace(string(out))
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

package dockerstorage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/runner"
)

// journalLines is how much of docker's log a failure quotes.
const journalLines = 20

// journalArgv reads docker.service's log since the run began, messages
// only. The window is short (one run), so it is read whole and the lines
// worth quoting are picked in Go: with --since, -n does not reliably give
// the newest lines.
func journalArgv(since time.Time) []string {
	return []string{"journalctl", "-u", dockerService, "--no-pager", "-o", "cat",
		"--since", since.Format("2006-01-02 15:04:05")}
}

// quotedLines picks what a failure quotes from docker's log: its error and
// fatal lines and the known failure texts (docker.Diagnose) when there are
// any, else its last lines.
func quotedLines(log string) (lines []string, hasError bool) {
	all := strings.Split(strings.TrimSpace(log), "\n")
	for _, l := range all {
		if strings.Contains(l, "level=error") || strings.Contains(l, "level=fatal") || strings.Contains(l, "failed to start daemon") || len(docker.Diagnose(l)) > 0 {
			lines = append(lines, l)
		}
	}
	if len(lines) > 0 {
		return lines[max(0, len(lines)-journalLines):], true
	}
	return all[max(0, len(all)-journalLines):], false
}

// outcome is what applying a plan did.
type outcome struct {
	done           []string // the steps that completed
	restarted      bool
	configBackup   string
	dataRootBackup string
	configWritten  bool         // daemon.json holds the plan's bytes
	info           *docker.Info // GET /info after the restart, when read
	// A failure, and what rolling back did about it.
	failed         bool
	journal        string // docker's last log lines, for a failed start
	rolledBack     bool
	restored       []string // what the rollback put back, for the message
	failedDataRoot string   // where the failed attempt's data root went
	rollbackErr    error
}

// applier runs a plan's steps, keeping for each completed one how to undo it.
type applier struct {
	h     Host
	sd    Systemd
	c     Config
	obs   *Observed
	plan  *Plan
	start time.Time
	out   outcome
	undo  []undoStep
	// touchedDocker is set once a step stopped docker or (re)started it: a
	// rollback then starts it again when it ran before.
	touchedDocker bool
}

type undoStep struct {
	what string
	do   func(ctx context.Context) error
}

// apply runs the plan; on a failure it rolls back when c.Rollback is set.
// The error is the step's failure; what the rollback did is in the outcome.
func (a *applier) apply(ctx context.Context) (*outcome, error) {
	for _, s := range a.plan.Steps {
		if err := a.step(ctx, s); err != nil {
			what := s.Text
			if s.Kind == StepVerify {
				what = "verifying docker (GET /info)"
			}
			err = fmt.Errorf("%s failed: %w", what, err)
			a.out.failed = true
			if s.Kind >= StepStart {
				a.out.journal = a.journal(context.WithoutCancel(ctx), s.Kind == StepStart || s.Kind == StepRestart)
			}
			if a.c.Rollback {
				a.rollback(context.WithoutCancel(ctx))
			}
			return &a.out, err
		}
		a.out.done = append(a.out.done, s.Text)
	}
	return &a.out, nil
}

func (a *applier) onUndo(what string, do func(ctx context.Context) error) {
	a.undo = append(a.undo, undoStep{what, do})
}

func (a *applier) step(ctx context.Context, s Step) error {
	t := a.c.RestartTimeout
	switch s.Kind {
	case StepBackupConfig:
		path, err := freePath(s.To)
		if err != nil {
			return err
		}
		mode := a.obs.ConfigMode
		if mode == 0 {
			mode = 0o644
		}
		if err := writeFileAtomic(path, a.obs.ConfigBytes, mode); err != nil {
			return err
		}
		a.out.configBackup = path
	case StepWriteConfig:
		if err := writeFileAtomic(s.Path, a.plan.ConfigAfter, 0o644); err != nil {
			return err
		}
		a.out.configWritten = true
		a.onUndo("restored "+s.Path, func(context.Context) error {
			var err error
			if !a.obs.ConfigExists {
				err = os.Remove(s.Path)
			} else {
				err = writeFileAtomic(s.Path, a.obs.ConfigBytes, a.obs.ConfigMode)
			}
			if err == nil {
				a.out.configWritten = false
			}
			return err
		})
	case StepStop:
		a.touchedDocker = true
		return a.stopDocker(ctx)
	case StepMoveDataRoot:
		dest, err := freePath(s.To)
		if err != nil {
			return err
		}
		if err := os.Rename(s.Path, dest); err != nil {
			return err
		}
		a.out.dataRootBackup = dest
		a.onUndo(fmt.Sprintf("moved the data root back from %s", dest), func(context.Context) error {
			if exists(s.Path) {
				failed, err := freePath(s.Path + ".directlvm-failed-" + stamp(a.start))
				if err != nil {
					return err
				}
				if err := os.Rename(s.Path, failed); err != nil {
					return err
				}
				a.out.failedDataRoot = failed
			}
			return os.Rename(dest, s.Path)
		})
	case StepStart, StepRestart:
		a.touchedDocker = true
		a.onUndo("", a.stopDocker)
		a.out.restarted = true
		var err error
		if s.Kind == StepStart {
			err = a.sd.Start(ctx, dockerService, t)
		} else {
			err = a.sd.Restart(ctx, dockerService, t)
		}
		if err != nil {
			return err
		}
		if a.obs.Socket.ActiveState == "active" {
			return a.sd.Start(ctx, dockerSocket, t)
		}
	case StepWait:
		return a.h.Engine.WaitReady(ctx, t)
	case StepVerify:
		info, err := a.h.Engine.Info(ctx)
		if err != nil {
			return err
		}
		a.out.info = &info
		if bad := checkEngine(a.c, info, true); len(bad) > 0 {
			return fmt.Errorf("docker came up, but not as requested: %s", strings.Join(bad, "; "))
		}
	}
	return nil
}

// stopDocker stops docker.service, and docker.socket when the host has it
// (a client connecting to the socket would start docker again).
func (a *applier) stopDocker(ctx context.Context) error {
	if err := a.sd.Stop(ctx, dockerService, a.c.RestartTimeout); err != nil {
		return err
	}
	if a.obs.Socket.LoadState == "loaded" {
		return a.sd.Stop(ctx, dockerSocket, a.c.RestartTimeout)
	}
	return nil
}

// journal returns the lines of docker's log since the run began that say
// why it failed. When dockerd died (startFailed), journald may still be
// catching up with its last words, so the log is read again for a few
// seconds until an error line shows.
func (a *applier) journal(ctx context.Context, startFailed bool) string {
	var lines []string
	tries := 1
	if startFailed {
		tries = 5
	}
	for try := 0; try < tries; try++ {
		res, err := a.h.Run.Run(ctx, runner.Cmd{Argv: journalArgv(a.start), Timeout: 30 * time.Second})
		if err != nil {
			return fmt.Sprintf("(reading docker's log failed: %v)", err)
		}
		var hasError bool
		if lines, hasError = quotedLines(string(res.Stdout)); hasError {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return strings.Join(lines, "\n")
}

// rollback undoes the completed steps in reverse and starts docker again
// when it ran before. It goes on after a failed undo step, so that as much
// as possible is back; the first error is kept.
func (a *applier) rollback(ctx context.Context) {
	var errs []error
	for i := len(a.undo) - 1; i >= 0; i-- {
		u := a.undo[i]
		if err := u.do(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		if u.what != "" {
			a.out.restored = append(a.out.restored, u.what)
		}
	}
	if a.touchedDocker && a.obs.Running {
		// docker.service restarts itself after a failed start (Restart=
		// always) and may have hit its start limit by now: clear it, or
		// systemd refuses the start that brings the old docker back.
		_ = a.sd.ResetFailed(ctx, dockerService, dockerSocket) // best effort: the start below says what matters
		if err := a.sd.Start(ctx, dockerService, a.c.RestartTimeout); err != nil {
			errs = append(errs, err)
		} else if a.obs.Socket.ActiveState == "active" {
			if err := a.sd.Start(ctx, dockerSocket, a.c.RestartTimeout); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) == 0 {
			if err := a.h.Engine.WaitReady(ctx, a.c.RestartTimeout); err != nil {
				errs = append(errs, err)
			} else if info, err := a.h.Engine.Info(ctx); err == nil {
				a.out.info = &info
			}
		}
	} else {
		a.out.info = a.obs.Info
	}
	a.out.rollbackErr = errors.Join(errs...)
	a.out.rolledBack = a.out.rollbackErr == nil
}

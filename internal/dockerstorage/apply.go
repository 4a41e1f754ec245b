package dockerstorage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/atomicfile"
	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/journal"
	"github.com/directlvm/docker/internal/module"
)

// journalLines is how much of docker's log a failure quotes.
const journalLines = 20

// quotedLines picks what a failure quotes from docker's log: its error and
// fatal lines and the known failure texts (docker.Diagnose) when there are
// any, else its last lines.
func quotedLines(all []string) (lines []string, hasError bool) {
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
	restarted      bool
	configBackup   string
	dataRootBackup string
	configWritten  bool         // daemon.json holds the plan's bytes
	info           *docker.Info // GET /info after the restart, when read
	// A failure, and what rolling back did about it.
	failed         bool
	journal        string // docker's last log lines, for a failed start
	rolledBack     bool
	failedDataRoot string // where the failed attempt's data root went
	// touchedDocker is set once a step stopped docker or (re)started it: a
	// rollback then starts it again when it ran before.
	touchedDocker bool
	// carry is what was carried; volumesPlaced says the volumes are in
	// the new data root.
	carry         CarryReport
	volumesPlaced bool
}

// step builds the plan's step of kind k: what it does, and how to undo it.
func (j *job) step(k stepKind, path, to, text string) module.Step {
	s := module.Step{Why: text, What: text}
	switch k {
	case stepBackupConfig:
		s.Do = func(context.Context) error { return j.backupConfig(to) }
	case stepWriteConfig:
		s.Do = func(context.Context) error { return j.writeConfig(path) }
		s.Undo = &module.Undo{Done: "restored " + path, Do: func(context.Context) error { return j.restoreConfig(path) }}
	case stepStop:
		s.Do = func(ctx context.Context) error {
			j.out.touchedDocker = true
			return j.stopDocker(ctx)
		}
	case stepMoveDataRoot:
		s.Undo = &module.Undo{}
		s.Do = func(context.Context) error { return j.moveDataRoot(path, to, s.Undo) }
	case stepStart, stepRestart:
		s.Undo = &module.Undo{EvenIfFailed: true}
		s.Undo.Do = func(ctx context.Context) error { return j.stopAndGiveBackPool(ctx, s.Undo) }
		s.Do = j.withJournal(true, func(ctx context.Context) error { return j.startDocker(ctx, k == stepRestart) })
	case stepWait:
		s.Do = j.withJournal(false, func(ctx context.Context) error { return j.h.Engine.WaitReady(ctx, j.c.RestartTimeout) })
	case stepVerify:
		s.Why = "verifying docker (GET /info)"
		s.Do = j.withJournal(false, j.verifyEngine)
	case stepMountDataRoot:
		j.mountStep(&s)
	case stepWriteMountUnits:
		j.unitsStep(&s)
	case stepExportImages, stepStageVolumes, stepPlaceVolumes, stepLoadImages:
		j.carryStep(k, &s, path, to)
	}
	return s
}

func (j *job) backupConfig(to string) error {
	path, err := freePath(to)
	if err != nil {
		return err
	}
	mode := j.obs.ConfigMode
	if mode == 0 {
		mode = 0o644
	}
	if err := writeConfigFile(path, j.obs.ConfigBytes, mode); err != nil {
		return err
	}
	j.out.configBackup = path
	return nil
}

func (j *job) writeConfig(path string) error {
	if err := replaceConfigFile(path, j.configAfter); err != nil {
		return err
	}
	j.out.configWritten = true
	return nil
}

// restoreConfig puts daemon.json back as it was, or removes it when there
// was none.
func (j *job) restoreConfig(path string) error {
	var err error
	if !j.obs.ConfigExists {
		err = os.Remove(path)
	} else {
		err = replaceConfigFile(path, j.obs.ConfigBytes)
	}
	if err == nil {
		j.out.configWritten = false
	}
	return err
}

// moveDataRoot renames the data root to a free name near to; undo moves it
// back, keeping the failed attempt's data root aside.
func (j *job) moveDataRoot(path, to string, undo *module.Undo) error {
	dest, err := freePath(to)
	if err != nil {
		return err
	}
	// Nothing of docker may still hold the data root: no dockerd, no
	// container shim, no mount below it.
	if err := j.h.Quiet.Check(path); err != nil {
		return err
	}
	// Durable before the next step starts: after a power cut daemon.json
	// (written before) must not meet the old data root in its place.
	if err := atomicfile.Rename(path, dest); err != nil {
		return err
	}
	j.out.dataRootBackup = dest
	undo.Done = fmt.Sprintf("moved the data root back to %s", path)
	undo.Do = func(context.Context) error {
		if exists(path) {
			failed, err := freePath(path + ".directlvm-failed-" + stamp(j.start))
			if err != nil {
				return err
			}
			if err := atomicfile.Rename(path, failed); err != nil {
				return err
			}
			j.out.failedDataRoot = failed
		}
		if err := atomicfile.Rename(dest, path); err != nil {
			return err
		}
		// Back in place: the result and messages no longer name dest.
		j.out.dataRootBackup = ""
		return nil
	}
	return nil
}

// stopAndGiveBackPool undoes a (re)start: it stops docker, and when the
// thin pool was empty before this run, gives it back empty (giveBackPool),
// so that the next run can switch docker onto it.
func (j *job) stopAndGiveBackPool(ctx context.Context, undo *module.Undo) error {
	if err := j.stopDocker(ctx); err != nil {
		return err
	}
	if j.c.Driver != Devicemapper || !j.obs.Pool.empty() {
		return nil
	}
	n, err := giveBackPool(ctx, j.h.Run, j.c.PoolDMName, j.obs.DataRoot)
	if n > 0 {
		undo.Done = fmt.Sprintf("gave thin pool %s back empty (deleted the %d thin device(s) the failed attempt's dockerd made in it)", j.c.PoolDMName, n)
	}
	return err
}

// startDocker starts (or restarts) docker.service, and docker.socket when
// it was active.
func (j *job) startDocker(ctx context.Context, restart bool) error {
	j.out.touchedDocker = true
	j.out.restarted = true
	t := j.c.RestartTimeout
	// A run that follows a rolled-back one within a minute (docker
	// stopped and started several times) would meet docker's start limit
	// ("start of the service was attempted too often"): clear it.
	_ = j.sd.ResetFailed(ctx, dockerService, dockerSocket) // best effort: the start below says what matters
	var err error
	if restart {
		err = j.sd.Restart(ctx, dockerService, t)
	} else {
		err = j.sd.Start(ctx, dockerService, t)
	}
	if err != nil {
		return err
	}
	// An enabled socket stopped by an earlier run (state=released) is
	// started again too.
	if j.obs.Socket.ActiveState == "active" || j.obs.Socket.UnitFileState == "enabled" {
		return j.sd.Start(ctx, dockerSocket, t)
	}
	return nil
}

func (j *job) verifyEngine(ctx context.Context) error {
	info, err := j.h.Engine.Info(ctx)
	if err != nil {
		return err
	}
	j.out.info = &info
	if bad := checkEngine(j.c, info, true); len(bad) > 0 {
		return fmt.Errorf("docker came up, but not as requested: %s", strings.Join(bad, "; "))
	}
	return nil
}

// withJournal keeps docker's log lines of the run when do fails, read
// before anything is rolled back.
func (j *job) withJournal(startFailed bool, do func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		err := do(ctx)
		if err != nil {
			j.out.journal = j.journal(context.WithoutCancel(ctx), startFailed)
		}
		return err
	}
}

// stopDocker stops docker.socket first, so that no client starts dockerd
// again through it, then docker.service.
func (j *job) stopDocker(ctx context.Context) error {
	if j.obs.Socket.LoadState == "loaded" {
		if err := j.sd.Stop(ctx, dockerSocket, j.c.RestartTimeout); err != nil {
			return err
		}
	}
	return j.sd.Stop(ctx, dockerService, j.c.RestartTimeout)
}

// journal returns the lines of docker's log since the run began that say
// why it failed. When dockerd died (startFailed), journald may still be
// catching up with its last words, so the log is read again for a few
// seconds until an error line shows.
func (j *job) journal(ctx context.Context, startFailed bool) string {
	var lines []string
	tries := 1
	if startFailed {
		tries = 5
	}
	for try := 0; try < tries; try++ {
		log, err := journal.Since(ctx, j.h.Run, dockerService, j.start)
		if err != nil {
			return fmt.Sprintf("(reading docker's log failed: %v)", err)
		}
		var hasError bool
		if lines, hasError = quotedLines(log); hasError {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return strings.Join(lines, "\n")
}

// Recover runs once the undo steps have: it starts docker again when it
// ran before this run stopped or restarted it.
func (j *job) Recover(ctx context.Context, rb *module.Rollback) error {
	if !j.out.touchedDocker || !j.obs.Running {
		j.out.info = j.obs.Info
		return nil
	}
	// docker.service restarts itself after a failed start (Restart=
	// always) and may have hit its start limit by now: clear it, or
	// systemd refuses the start that brings the old docker back.
	_ = j.sd.ResetFailed(ctx, dockerService, dockerSocket) // best effort: the start below says what matters
	// The socket first, as it was: a socket-activated docker needs it
	// whether or not the service starts.
	var errs []error
	if j.obs.Socket.ActiveState == "active" {
		if err := j.sd.Start(ctx, dockerSocket, j.c.RestartTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	if err := j.sd.Start(ctx, dockerService, j.c.RestartTimeout); err != nil {
		errs = append(errs, err)
		// Why the old docker did not come back is in the log since the
		// forward failure was quoted: quote the whole run's again.
		j.out.journal = j.journal(ctx, true)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if rb.Err != nil {
		return nil
	}
	if err := j.h.Engine.WaitReady(ctx, j.c.RestartTimeout); err != nil {
		return err
	}
	if info, err := j.h.Engine.Info(ctx); err == nil {
		j.out.info = &info
	}
	return nil
}

// writeConfigFile writes a new file (daemon.json's backup) atomically,
// making its directory when docker's package has not.
func writeConfigFile(path string, data []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, data, mode)
}

// replaceConfigFile writes daemon.json atomically, keeping what it is: a
// symlink stays a link, the file its mode (0600 when it holds proxy
// credentials), owner and group. A new daemon.json is 0644, in a directory
// made when docker's package has not.
func replaceConfigFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Replace(path, data, 0o644)
}

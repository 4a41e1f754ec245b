package dockerstorage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/module"
)

// Module is docker_storage reaching the machine through h.
func Module(h Host) ansible.Module {
	return module.Definition[Options, Config, StorageState]{Name: Name, Spec: Spec(), ResultKey: "docker_storage", FactKey: "directlvm_docker_storage",
		Lock: h.Lock, Run: h.Run, Parse: ParseConfig, Start: h.start}.Module()
}

// job is one run: the request, the host, what was observed, the plan and
// what applying it did.
type job struct {
	h     Host
	req   *ansible.Request
	sd    Systemd
	c     Config
	obs   *Observed
	start time.Time // after the lock was taken: the wait does not count
	plan  *Plan
	storagePlan
	out  outcome
	info *docker.Info // GET /info as re-read after the run
}

// start connects to systemd, observes and plans. The version gate comes
// first: on Docker 25 and later nothing else matters.
func (h Host) start(ctx context.Context, req *ansible.Request, c Config) (module.Job[StorageState], error) {
	c.CheckMode = req.CheckMode
	j := &job{h: h, req: req, c: c, start: h.Now()}
	var err error
	if j.sd, err = h.Connect(ctx); err != nil {
		return nil, err
	}
	if err := j.observe(ctx); err != nil {
		j.Close()
		return nil, err
	}
	if err := j.makePlan(); err != nil {
		j.Close()
		return nil, err
	}
	j.plan.Unchanged = j.summary
	j.plan.Before = stateOf(c, j.obs, j.obs.Info, j.obs.Config)
	j.plan.After = j.predict()
	return j, nil
}

func (j *job) observe(ctx context.Context) error {
	eng, err := observeEngine(ctx, j.h, j.sd)
	if err != nil {
		return err
	}
	if j.c.Driver == Devicemapper {
		warnings, err := docker.CheckDevicemapper(eng.Version)
		if err != nil {
			return refuse("%v (version from %s)", err, eng.VersionFrom)
		}
		for _, w := range warnings {
			j.req.Warn(w)
		}
	}
	j.obs, err = observe(ctx, j.h, j.c, eng)
	return err
}

// predict is the state the plan leads to, as check mode reports it.
func (j *job) predict() StorageState {
	config := j.obs.Config
	if d, err := docker.ParseDaemonJSON(j.c.ConfigPath, j.configAfter); err == nil {
		config = d
	}
	s := stateOf(j.c, j.obs, j.obs.Info, config)
	s.ConfigBackup, s.DataRootBackup = j.configBackup, j.dataRootBackup
	s.Carried = j.carryReport(false)
	if j.mountNeeded() && j.restarts {
		s.DataRootDevice = j.c.DataRootDevice
	}
	if j.c.Released && len(j.plan.Steps) > 0 {
		s.Running, s.Driver, s.DriverStatus = false, config.StorageDriver(), map[string]string{}
	}
	if j.restarts {
		s.Running, s.Restarted, s.Driver = true, true, j.c.Driver
		if j.obs.Info == nil || j.obs.Info.Driver != j.c.Driver || len(checkEngine(j.c, *j.obs.Info, false)) > 0 {
			// docker says what it runs on once it runs; the pool is known.
			s.DriverStatus = map[string]string{}
			if j.c.Driver == Devicemapper {
				s.DriverStatus["pool_name"] = j.c.PoolDMName
			}
		}
	}
	return s
}

func (j *job) Plan() *Plan { return j.plan }
func (j *job) Close()      { j.sd.Close() }

// Reread reports the storage from what the run read: GET /info after the
// restart, daemon.json as written.
func (j *job) Reread(ctx context.Context) (StorageState, error) {
	config := j.obs.Config
	if j.out.configWritten {
		if d, err := docker.ParseDaemonJSON(j.c.ConfigPath, j.configAfter); err == nil {
			config = d
		}
	}
	j.info = j.out.info
	if j.info == nil && !j.out.failed {
		switch {
		case j.c.Released && j.out.touchedDocker:
			// stopped: nothing to ask the engine.
		case j.out.restarted:
			// verify=false: report what docker says anyway.
			if i, err := j.h.Engine.Info(ctx); err == nil {
				j.info = &i
			}
		default:
			j.info = j.obs.Info
		}
	}
	after := stateOf(j.c, j.obs, j.info, config)
	if j.obs.Mount != nil {
		if m, err := observeMount(j.h, j.c, j.obs.DataRoot); err == nil && m.OnDevice {
			after.DataRootDevice = j.c.DataRootDevice
		}
	}
	after.ConfigBackup, after.DataRootBackup = j.out.configBackup, j.out.dataRootBackup
	after.Restarted, after.RolledBack = j.out.restarted, j.out.rolledBack
	after.Carried = j.carryReport(true)
	return after, nil
}

// Verify passes on docker's own storage warnings, but for the deprecation
// the version gate already reported: the plan's last step verified the rest.
func (j *job) Verify(context.Context, StorageState) error {
	if j.info == nil {
		return nil
	}
	for _, w := range j.info.Warnings {
		lw := strings.ToLower(w)
		if (strings.Contains(lw, "devicemapper") || strings.Contains(lw, "loop")) && !strings.Contains(lw, "deprecated") {
			j.req.Warn("docker info: " + strings.TrimPrefix(w, "WARNING: "))
		}
	}
	return nil
}

func (j *job) Summary(after StorageState) string {
	msg := success(j.c, j.summary, &j.out)
	if carried := after.Carried.summary(); carried != "" {
		msg += "; " + carried
	}
	return msg
}

// Diff shows daemon.json, when the plan changes it.
func (j *job) Diff(StorageState, StorageState) *ansible.Diff {
	if string(j.configBefore) == string(j.configAfter) {
		return nil
	}
	return &ansible.Diff{Before: string(j.configBefore), After: string(j.configAfter),
		BeforeHeader: j.c.ConfigPath, AfterHeader: j.c.ConfigPath}
}

// Explain words a failed step: what failed, what the rollback did, what
// docker logged, and the fix for a failure docker is known for.
func (j *job) Explain(e *module.StepError) error {
	j.out.failed = true
	j.out.rolledBack = e.Rollback != nil && e.Rollback.Err == nil
	return failure(j.c, &j.out, e)
}

// success says what a run achieved and where the previous state went.
func success(c Config, summary string, out *outcome) string {
	msg := summary
	if out.restarted && c.Verify {
		msg += " (verified: " + expectation(c) + ")"
	}
	switch {
	case out.dataRootBackup != "" && len(out.carry.Images) > 0:
		msg += fmt.Sprintf("; the previous data root is at %s: its containers, and what was not carried, stay there; remove it once all is well", out.dataRootBackup)
	case out.dataRootBackup != "":
		msg += fmt.Sprintf("; the previous data root is at %s: its images and containers are not visible to docker any more; remove it once all is well", out.dataRootBackup)
	}
	if out.configBackup != "" {
		msg += fmt.Sprintf("; the previous %s is at %s", c.ConfigPath, out.configBackup)
	}
	return msg
}

// failure says what failed, what the rollback did, what docker logged, and
// the fix for a failure docker is known for.
func failure(c Config, out *outcome, e *module.StepError) error {
	stepErr := fmt.Errorf("%s failed: %w", e.Step.Why, e.Err)
	var restored []string
	var rollbackErr error
	if e.Rollback != nil {
		restored, rollbackErr = e.Rollback.Restored, e.Rollback.Err
	}
	var b strings.Builder
	switch {
	case out.rolledBack:
		fmt.Fprintf(&b, "rolled back: %v. ", stepErr)
		if len(restored) > 0 {
			fmt.Fprintf(&b, "Rollback: %s. ", strings.Join(restored, "; "))
		}
		if out.failedDataRoot != "" {
			fmt.Fprintf(&b, "The failed attempt's data root is kept at %s. ", out.failedDataRoot)
		}
		if out.info != nil {
			fmt.Fprintf(&b, "docker.service runs again on %s. ", out.info.Driver)
		}
	case c.Rollback:
		fmt.Fprintf(&b, "%v; rolling back failed too: %v. ", stepErr, rollbackErr)
		if len(restored) > 0 {
			fmt.Fprintf(&b, "Restored so far: %s. ", strings.Join(restored, ", "))
		}
		b.WriteString(leftBehind(c, out))
	default:
		fmt.Fprintf(&b, "%v; rollback=false: the host is left as it is. ", stepErr)
		b.WriteString(leftBehind(c, out))
	}
	if out.journal != "" {
		fmt.Fprintf(&b, "docker's last log lines (journalctl -u %s):\n  %s\n", dockerService, strings.ReplaceAll(out.journal, "\n", "\n  "))
	}
	for _, fix := range docker.Diagnose(out.journal + "\n" + stepErr.Error()) {
		fmt.Fprintf(&b, "Fix: %s. ", fix)
	}
	return fmt.Errorf("%s", strings.TrimSpace(b.String()))
}

// leftBehind says where the previous configuration and data are when they
// were not put back.
func leftBehind(c Config, out *outcome) string {
	var parts []string
	if out.configBackup != "" {
		parts = append(parts, fmt.Sprintf("the previous %s is at %s", c.ConfigPath, out.configBackup))
	}
	if out.dataRootBackup != "" {
		parts = append(parts, fmt.Sprintf("the previous data root is at %s", out.dataRootBackup))
	}
	if len(parts) == 0 {
		return ""
	}
	return capitalize(strings.Join(parts, "; ")) + ": put them back by hand, then systemctl start docker. "
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

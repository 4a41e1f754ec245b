package dockerstorage

import (
	"context"
	"fmt"
	"strings"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/hostlock"
)

// Module is docker_storage reaching the machine through h.
func Module(h Host) ansible.Module {
	return ansible.Module{Name: Name, Spec: Spec(), Run: func(ctx context.Context, req *ansible.Request) (*ansible.Result, error) {
		return run(ctx, h, req)
	}}
}

func run(ctx context.Context, h Host, req *ansible.Request) (*ansible.Result, error) {
	c, err := ParseConfig(req.Params)
	c.CheckMode = req.CheckMode
	if err != nil {
		return nil, err
	}
	// Held from the first read to the last, in check mode too: another
	// run changing the host meanwhile would make the plan wrong. Taken
	// before start, which must not count the wait.
	release, err := h.Lock(ctx, hostlock.Self(Name, req.CheckMode))
	if err != nil {
		return nil, err
	}
	defer release()
	start := h.Now()
	sd, err := h.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer sd.Close()

	// The version gate comes first: on Docker 25 and later nothing else
	// matters.
	eng, err := observeEngine(ctx, h, sd)
	if err != nil {
		return nil, err
	}
	if c.Driver == Devicemapper {
		warnings, err := docker.CheckDevicemapper(eng.Version)
		if err != nil {
			return nil, &Refusal{Msg: fmt.Sprintf("%v (version from %s); nothing was changed", err, eng.VersionFrom)}
		}
		for _, w := range warnings {
			req.Warn(w)
		}
	}
	obs, err := observe(ctx, h, c, eng)
	if err != nil {
		return nil, err
	}
	plan, err := PlanStorage(c, obs, start)
	if err != nil {
		return nil, err
	}
	for _, w := range plan.Warnings {
		req.Warn(w)
	}

	res := &ansible.Result{Changed: plan.Changes()}
	if string(plan.ConfigBefore) != string(plan.ConfigAfter) {
		res.Diff = &ansible.Diff{Before: string(plan.ConfigBefore), After: string(plan.ConfigAfter),
			BeforeHeader: c.ConfigPath, AfterHeader: c.ConfigPath}
	}
	planned := make([]string, 0, len(plan.Steps))
	for _, s := range plan.Steps {
		planned = append(planned, s.Text)
	}
	report := func(s StorageState, actions []string) {
		res.Values = map[string]any{"docker_storage": s, "actions": actions}
		res.Facts = map[string]any{"directlvm_docker_storage": s}
	}
	before := stateOf(c, obs, obs.Info, obs.Config)

	switch {
	case !res.Changed:
		report(before, planned)
		res.Msg = plan.Summary
		return res, nil
	case req.CheckMode:
		report(before, planned)
		res.Msg = fmt.Sprintf("check mode: %d step(s) would run: %s", len(planned), strings.Join(planned, "; "))
		return res, nil
	}

	a := &applier{h: h, sd: sd, c: c, obs: obs, plan: plan, start: start}
	out, applyErr := a.apply(ctx)
	res.Changed = len(out.done) > 0 || out.configBackup != "" || out.failedDataRoot != ""

	config := obs.Config
	if out.configWritten {
		if d, err := docker.ParseDaemonJSON(c.ConfigPath, plan.ConfigAfter); err == nil {
			config = d
		}
	}
	info := out.info
	if info == nil && applyErr == nil {
		if out.restarted {
			// verify=false: report what docker says anyway.
			if i, err := h.Engine.Info(ctx); err == nil {
				info = &i
			}
		} else {
			info = obs.Info
		}
	}
	after := stateOf(c, obs, info, config)
	after.ConfigBackup, after.DataRootBackup = out.configBackup, out.dataRootBackup
	after.Restarted, after.RolledBack = out.restarted, out.rolledBack
	report(after, out.done)

	if applyErr != nil {
		return res, failure(c, plan, out, applyErr)
	}
	if info != nil {
		// docker's own storage warnings, but for the deprecation the
		// version gate already reported.
		for _, w := range info.Warnings {
			lw := strings.ToLower(w)
			if (strings.Contains(lw, "devicemapper") || strings.Contains(lw, "loop")) && !strings.Contains(lw, "deprecated") {
				req.Warn("docker info: " + strings.TrimPrefix(w, "WARNING: "))
			}
		}
	}
	res.Msg = success(c, plan, out)
	return res, nil
}

// success says what a run achieved and where the previous state went.
func success(c Config, plan *Plan, out *outcome) string {
	msg := plan.Summary
	if out.restarted && c.Verify {
		msg += " (verified: " + expectation(c) + ")"
	}
	if out.dataRootBackup != "" {
		msg += fmt.Sprintf("; the previous data root is at %s: its images and containers are not visible to docker any more; remove it once all is well", out.dataRootBackup)
	}
	if out.configBackup != "" {
		msg += fmt.Sprintf("; the previous %s is at %s", c.ConfigPath, out.configBackup)
	}
	return msg
}

// failure says what failed, what the rollback did, what docker logged, and
// the fix for a failure docker is known for.
func failure(c Config, plan *Plan, out *outcome, stepErr error) error {
	var b strings.Builder
	switch {
	case out.rolledBack:
		fmt.Fprintf(&b, "rolled back: %v. ", stepErr)
		if len(out.restored) > 0 {
			fmt.Fprintf(&b, "Rollback: %s. ", strings.Join(out.restored, "; "))
		}
		if out.failedDataRoot != "" {
			fmt.Fprintf(&b, "The failed attempt's data root is kept at %s. ", out.failedDataRoot)
		}
		if out.info != nil {
			fmt.Fprintf(&b, "docker.service runs again on %s. ", out.info.Driver)
		}
	case c.Rollback:
		fmt.Fprintf(&b, "%v; rolling back failed too: %v. ", stepErr, out.rollbackErr)
		if len(out.restored) > 0 {
			fmt.Fprintf(&b, "Restored so far: %s. ", strings.Join(out.restored, ", "))
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

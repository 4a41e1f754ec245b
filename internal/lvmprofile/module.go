package lvmprofile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// Module is lvm_profile reaching the machine through h.
func Module(h Host) ansible.Module {
	return ansible.Module{Name: Name, Spec: Spec(), Run: func(ctx context.Context, req *ansible.Request) (*ansible.Result, error) {
		return run(ctx, h, req)
	}}
}

// RealHost is this machine.
func RealHost() Host {
	return Host{
		Run: runner.New(runner.Config{DefaultTimeout: 5 * time.Minute}),
		Systemd: func(ctx context.Context) (Systemd, error) {
			m, err := systemd.Connect(ctx)
			if err != nil {
				return nil, err
			}
			return m, nil
		},
		UnitTimeout: defaultUnitTimeout,
		Lock:        hostlock.At(hostlock.DefaultPath, hostlock.DefaultWait),
	}
}

func run(ctx context.Context, h Host, req *ansible.Request) (*ansible.Result, error) {
	c, err := ParseConfig(req.Params)
	c.CheckMode = req.CheckMode
	if err != nil {
		return nil, err
	}
	// Held from the first read to the last, in check mode too: another
	// run changing the host meanwhile would make the plan wrong.
	release, err := h.Lock(ctx, hostlock.Self(Name, req.CheckMode))
	if err != nil {
		return nil, err
	}
	defer release()
	var sd Systemd
	if c.Monitor && !c.Absent {
		if sd, err = h.Systemd(ctx); err != nil {
			return nil, fmt.Errorf("%w (or set monitor=false to leave monitoring and its services alone)", err)
		}
		defer sd.Close()
	}
	obs, err := observe(ctx, h, sd, c)
	if err != nil {
		return nil, err
	}
	for _, w := range obs.Warnings {
		req.Warn(w)
	}
	var plan *Plan
	if c.Absent {
		plan, err = PlanAbsent(c, obs)
	} else {
		plan, err = PlanPresent(c, obs)
	}
	if err != nil {
		return nil, err
	}
	for _, w := range plan.Warnings {
		req.Warn(w)
	}

	before := stateOf(c, obs.Path, contentOf(obs.File), obs.LVM)
	var wanted []byte
	if !c.Absent {
		wanted = Render(c.Threshold, c.Percent)
	}
	res := &ansible.Result{Changed: len(plan.Actions) > 0}
	report := func(s ProfileState, actions []string) {
		res.Values = map[string]any{"profile": s, "actions": actions}
		res.Facts = map[string]any{"directlvm_profile": s}
		res.Diff = &ansible.Diff{Before: string(contentOf(obs.File)), After: string(wanted), BeforeHeader: obs.Path, AfterHeader: obs.Path}
		if w := roomWarning(c, s); w != "" {
			req.Warn(w)
		}
	}

	switch {
	case !res.Changed:
		report(before, plan.Strings())
		res.Msg = fmt.Sprintf("profile %s is as requested", obs.Path)
		if c.Absent {
			res.Msg = fmt.Sprintf("profile %s is absent", obs.Path)
		}
		return res, nil
	case req.CheckMode:
		report(predict(c, obs), plan.Strings())
		res.Msg = fmt.Sprintf("check mode: %d action(s) would run: %s", len(plan.Actions), strings.Join(plan.Strings(), "; "))
		return res, nil
	}

	done, err := apply(ctx, h, sd, plan)
	if err != nil {
		after := before
		if s, rerr := reread(context.WithoutCancel(ctx), h, c, obs.Path); rerr == nil {
			after = s
		}
		report(after, done)
		return res, err
	}
	after, err := reread(ctx, h, c, obs.Path)
	if err != nil {
		report(before, done)
		return res, fmt.Errorf("all %d step(s) ran, but re-reading the state failed: %w", len(done), err)
	}
	report(after, done)
	if err := verify(ctx, c, sd, after); err != nil {
		return res, err
	}
	res.Msg = summary(c, after)
	return res, nil
}

func contentOf(f *FileState) []byte {
	if f == nil || !f.Regular {
		return nil
	}
	return f.Content
}

// reread describes the profile from the file and LVM as they are now.
func reread(ctx context.Context, h Host, c Config, path string) (ProfileState, error) {
	rep, err := lvm.Read(ctx, h.Run)
	if err != nil {
		return ProfileState{}, err
	}
	f, err := readFile(path)
	if err != nil {
		return ProfileState{}, err
	}
	return stateOf(c, path, contentOf(f), rep), nil
}

// verify checks the re-read state, and the units, against the request.
func verify(ctx context.Context, c Config, sd Systemd, s ProfileState) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	attached := c.LV != "" && slices.Contains(s.AttachedTo, c.Pool())
	if c.Absent {
		if s.Present {
			bad("%s is still there after its removal", s.Path)
		}
		if attached {
			bad("LVM still reports profile %s on %s after lvchange --detachprofile", c.Name, c.Pool())
		}
		return errors.Join(errs...)
	}
	if !s.Present || s.Threshold == nil || *s.Threshold != c.Threshold || s.Percent == nil || *s.Percent != c.Percent {
		bad("%s does not hold the profile after it was written (threshold %v, percent %v)", s.Path, deref(s.Threshold), deref(s.Percent))
	}
	if c.LV != "" && !attached {
		bad("LVM does not report profile %s on %s after lvchange --metadataprofile (lvs -o lv_profile %s)", c.Name, c.Pool(), c.Pool())
	}
	if c.Monitor && c.LV != "" && (s.Monitored == nil || !*s.Monitored) {
		bad("%s is not monitored by dmeventd after lvchange --monitor y, so it will not grow by itself: see journalctl -u dm-event.service", c.Pool())
	}
	if c.Monitor {
		units, err := readUnits(ctx, sd)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, u := range Units {
			st := units[u.Name]
			if !okUnitFileStates[st.UnitFileState] || st.ActiveState != "active" {
				bad("%s is %s and %s after enabling and starting it: see systemctl status %s", u.Name, st.UnitFileState, st.ActiveState, u.Name)
			}
		}
	}
	return errors.Join(errs...)
}

func deref(p *int) any {
	if p == nil {
		return "none"
	}
	return *p
}

// summary is the msg of a run that changed something.
func summary(c Config, s ProfileState) string {
	if c.Absent {
		msg := "profile " + s.Path + " removed"
		if c.LV != "" {
			msg += " and detached from " + c.Pool()
		}
		return msg
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "profile %s in place: ", s.Path)
	if c.Threshold == disabledThreshold {
		b.WriteString("autoextend disabled")
	} else {
		fmt.Fprintf(&b, "grow by %d%% past %d%% used", c.Percent, c.Threshold)
	}
	if c.LV != "" {
		fmt.Fprintf(&b, "; attached to %s", c.Pool())
		if c.Monitor {
			b.WriteString(", monitored by dmeventd")
		}
	}
	return b.String()
}

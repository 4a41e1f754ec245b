package lvmprofile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/module"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// Module is lvm_profile reaching the machine through h.
func Module(h Host) ansible.Module {
	return module.Definition[Options, Config, ProfileState]{Name: Name, Spec: Spec(), ResultKey: "profile", FactKey: "directlvm_profile",
		Lock: h.Lock, Run: h.Run, Parse: ParseConfig, Start: h.start}.Module()
}

// RealHost is this machine.
func RealHost() Host {
	return Host{
		Run:         runner.New(runner.Config{DefaultTimeout: 5 * time.Minute}),
		Systemd:     systemd.ConnectAs[Systemd],
		UnitTimeout: defaultUnitTimeout,
		Lock:        hostlock.At(hostlock.DefaultPath, hostlock.DefaultWait),
	}
}

// defaultUnitTimeout bounds a unit's start when the Host sets no timeout.
const defaultUnitTimeout = 2 * time.Minute

// job is one run: the request, the host, what was observed and the plan.
type job struct {
	h    Host
	c    Config
	obs  *Observed
	plan *Plan
}

// start connects to systemd when the units matter, observes and plans.
func (h Host) start(ctx context.Context, req *ansible.Request, c Config) (module.Job[ProfileState], error) {
	c.CheckMode = req.CheckMode
	var sd Systemd
	if c.Monitor && !c.Absent {
		var err error
		if sd, err = h.Systemd(ctx); err != nil {
			return nil, fmt.Errorf("%w (or set monitor=false to leave monitoring and its services alone)", err)
		}
	}
	j := &job{h: h, c: c}
	obs, err := observe(ctx, h, sd, c)
	if err != nil {
		j.Close()
		return nil, err
	}
	j.obs = obs
	for _, w := range obs.Warnings {
		req.Warn(w) // before planning: a refusal carries them too
	}
	if c.Absent {
		j.plan, err = PlanAbsent(c, obs)
	} else {
		j.plan, err = PlanPresent(c, obs)
	}
	if err != nil {
		j.Close()
		return nil, err
	}
	return j, nil
}

func (j *job) Plan() *Plan { return j.plan }

func (j *job) Close() {
	if j.obs != nil && j.obs.systemd != nil {
		j.obs.systemd.Close()
	}
}

// Reread describes the profile from the file and LVM as they are now.
func (j *job) Reread(ctx context.Context) (ProfileState, error) {
	rep, err := lvm.Read(ctx, j.h.Run)
	if err != nil {
		return ProfileState{}, err
	}
	f, err := readFile(j.obs.Path)
	if err != nil {
		return ProfileState{}, err
	}
	return stateOf(j.c, j.obs.Path, contentOf(f), rep), nil
}

func (j *job) Verify(ctx context.Context, after ProfileState) error {
	return verify(ctx, j.c, j.obs.systemd, after)
}

func (j *job) Summary(after ProfileState) string { return summary(j.c, after) }

// Diff shows the file: as found, and as the request has it.
func (j *job) Diff(ProfileState, ProfileState) *ansible.Diff {
	var wanted []byte
	if !j.c.Absent {
		wanted = Render(j.c.Threshold, j.c.Percent)
	}
	return &ansible.Diff{Before: string(contentOf(j.obs.File)), After: string(wanted), BeforeHeader: j.obs.Path, AfterHeader: j.obs.Path}
}

// Notes warns when the VG has no room for one autoextend step.
func (j *job) Notes(s ProfileState) []string {
	if w := roomWarning(j.c, s); w != "" {
		return []string{w}
	}
	return nil
}

func contentOf(f *FileState) []byte {
	if f == nil || !f.Regular {
		return nil
	}
	return f.Content
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

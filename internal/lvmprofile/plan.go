package lvmprofile

import (
	"bytes"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/runner"
)

// Action is one step of a plan and why it is there. Exactly one of the
// fields after Why is set.
type Action struct {
	Why    string
	Argv   []string   // an LVM command, run through the runner
	Mkdir  string     // create this directory (DirMode)
	Write  *FileWrite // write the profile file atomically
	Remove string     // remove this file
	Enable []string   // enable these units (systemd, over D-Bus)
	Start  string     // start this unit and wait for it (systemd, over D-Bus)
}

// FileWrite is a file's new content and mode.
type FileWrite struct {
	Path    string
	Content []byte
	Mode    fs.FileMode
}

// String says what the action does the way an operator would type it.
func (a Action) String() string {
	switch {
	case a.Argv != nil:
		return runner.Join(a.Argv)
	case a.Mkdir != "":
		return fmt.Sprintf("create directory %s (mode %04o)", a.Mkdir, DirMode)
	case a.Write != nil:
		return "write " + a.Write.Path
	case a.Remove != "":
		return "remove " + a.Remove
	case a.Enable != nil:
		return "systemctl enable " + strings.Join(a.Enable, " ")
	case a.Start != "":
		return "systemctl start " + a.Start
	}
	return a.Why
}

// Plan is what a run will do (or, in check mode, would do), in order. It
// is data: check mode returns it, apply executes it.
type Plan struct {
	Actions  []Action
	Warnings []string
}

func (p *Plan) add(a Action) { p.Actions = append(p.Actions, a) }

func (p *Plan) warn(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

// Strings lists the actions as String gives them.
func (p *Plan) Strings() []string {
	out := make([]string, 0, len(p.Actions))
	for _, a := range p.Actions {
		out = append(out, a.String())
	}
	return out
}

// Refusal is a request this module will not carry out on this host. It is
// raised while observing or planning, so nothing has been changed.
type Refusal struct{ Msg string }

func (r *Refusal) Error() string { return r.Msg }

func refuse(format string, args ...any) error {
	return &Refusal{Msg: fmt.Sprintf(format, args...)}
}

// okUnitFileStates are the unit file states that survive a reboot without
// enabling: enabled-runtime lives in /run and does not.
var okUnitFileStates = map[string]bool{"enabled": true, "static": true, "alias": true, "generated": true}

// PlanPresent plans the profile described by c on the observed host: the
// file, its attachment to the pool, the pool's monitoring and the services
// that keep it.
func PlanPresent(c Config, obs *Observed) (*Plan, error) {
	p := &Plan{}
	if err := planFile(p, c, obs); err != nil {
		return nil, err
	}
	if c.LV != "" {
		lv, ok := obs.LVM.LV(c.VG, c.LV)
		switch {
		case !ok && c.CheckMode:
			p.warn("check mode: %s does not exist yet (a real run creates it in an earlier task, e.g. directlvm.docker.lvm_thinpool); the profile would be attached and the pool monitored once it exists", c.Pool())
			p.add(Action{Why: "attach the profile to " + c.Pool() + " once it exists", Argv: lvm.AttachProfile(c.Name, c.VG, c.LV)})
			lv.Active = true // a new pool is active; its monitoring is planned below
		case !ok:
			return nil, refuse("lv=%s: there is no such logical volume; create the thin pool first (directlvm.docker.lvm_thinpool) or correct lv", c.Pool())
		case !lv.Attr.ThinPool():
			return nil, refuse("lv=%s is not a thin pool (lv_attr %s, segment type %s): autoextend settings apply to thin pools only; give the pool, e.g. docker/thinpool",
				c.Pool(), lv.Attr, lv.Segtype)
		case lv.Profile != c.Name:
			why := "attach the profile to " + c.Pool()
			if lv.Profile != "" {
				why += " in place of profile " + lv.Profile
			}
			p.add(Action{Why: why, Argv: lvm.AttachProfile(c.Name, c.VG, c.LV)})
		}
		if c.Monitor && lv.Monitor != "monitored" && !lv.Active {
			return nil, refuse("thin pool %s is not active, so dmeventd cannot monitor it: activate it (lvchange -ay %s) and run again, or set monitor=false",
				c.Pool(), c.Pool())
		}
	}
	if c.Monitor {
		if err := planUnits(p, obs); err != nil {
			return nil, err
		}
		if c.LV != "" {
			if lv, _ := obs.LVM.LV(c.VG, c.LV); lv.Monitor != "monitored" {
				p.add(Action{Why: fmt.Sprintf("have dmeventd monitor %s (seg_monitor is %q)", c.Pool(), lv.Monitor), Argv: lvm.Monitor(c.VG, c.LV)})
			}
		}
	}
	if c.Threshold == disabledThreshold {
		p.warn("autoextend_threshold=100 disables autoextend: the pool will not grow by itself and Docker stops when it is full; give 50 to 99 to let it grow")
	}
	return p, nil
}

// planFile writes the profile unless the file already holds exactly its
// text with mode FileMode. LVM checks the text first.
func planFile(p *Plan, c Config, obs *Observed) error {
	content := Render(c.Threshold, c.Percent)
	f := obs.File
	if f != nil && !f.Regular {
		return refuse("%s is not a regular file (%s): it is left alone; remove it, or give another name or profile_dir", obs.Path, f.Mode.Type())
	}
	var why string
	switch {
	case f == nil:
		why = "the profile does not exist"
	case !bytes.Equal(f.Content, content):
		why = "the profile's content differs"
	case f.Mode.Perm() != FileMode:
		why = fmt.Sprintf("the profile's mode is %04o, not %04o", f.Mode.Perm(), FileMode)
	default:
		return nil
	}
	p.add(Action{Why: "LVM must accept the profile before it is written", Argv: lvm.ValidateConfig(content)})
	if !obs.DirExists {
		p.add(Action{Why: "LVM's profile directory does not exist", Mkdir: obs.Dir})
	}
	p.add(Action{Why: why, Write: &FileWrite{Path: obs.Path, Content: content, Mode: FileMode}})
	return nil
}

// planUnits enables and starts the services that monitor pools after a
// reboot, refusing when one is missing or masked.
func planUnits(p *Plan, obs *Observed) error {
	var enable []string
	var start []Action
	for _, u := range Units {
		st := obs.Units[u.Name]
		switch {
		case st.LoadState == "masked" || strings.HasPrefix(st.UnitFileState, "masked"):
			return refuse("%s is masked, so dmeventd would not monitor the pool after a reboot: unmask it (systemctl unmask %s) and run again, or set monitor=false",
				u.Name, u.Name)
		case st.LoadState != "loaded":
			return refuse("systemd has no usable unit %s (load state %q): install the package that provides it (%s) and run again, or set monitor=false",
				u.Name, st.LoadState, u.Packages)
		}
		if !okUnitFileStates[st.UnitFileState] {
			enable = append(enable, u.Name)
		}
		if st.ActiveState != "active" {
			start = append(start, Action{Why: fmt.Sprintf("%s is %s", u.Name, st.ActiveState), Start: u.Name})
		}
	}
	if len(enable) > 0 {
		p.add(Action{Why: "keep pools monitored after a reboot", Enable: enable})
	}
	p.Actions = append(p.Actions, start...)
	return nil
}

// PlanAbsent plans the profile's removal: detached from lv, then the file
// removed. It refuses while any other LV still uses the profile, since LVM
// needs the file for every command on such an LV. Monitoring and the
// services are left as they are: other pools may rely on them.
func PlanAbsent(c Config, obs *Observed) (*Plan, error) {
	p := &Plan{}
	var others []string
	for _, lv := range obs.LVM.LVs {
		if lv.Profile == c.Name && (lv.VG != c.VG || lv.Name != c.LV) {
			others = append(others, lv.VG+"/"+lv.Name)
		}
	}
	slices.Sort(others)
	if len(others) > 0 {
		return nil, refuse("profile %s is still attached to %s: LVM reads the file whenever it acts on them, so it is kept; detach it first (lvchange --detachprofile %s), or give that pool as lv",
			c.Name, strings.Join(others, ", "), strings.Join(others, " "))
	}
	if c.LV != "" {
		if lv, ok := obs.LVM.LV(c.VG, c.LV); ok && lv.Profile == c.Name {
			p.add(Action{Why: "detach the profile from " + c.Pool(), Argv: lvm.DetachProfile(c.VG, c.LV)})
		}
	}
	if f := obs.File; f != nil {
		if !f.Regular {
			return nil, refuse("%s is not a regular file (%s): it is left alone; remove it yourself", obs.Path, f.Mode.Type())
		}
		p.add(Action{Why: "remove the profile", Remove: obs.Path})
	}
	return p, nil
}

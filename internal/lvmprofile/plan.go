package lvmprofile

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/directlvm/docker/internal/atomicfile"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/module"
)

// Plan is what a run will do (or, in check mode, would do), in order:
// LVM commands, file changes and unit jobs.
type Plan = module.Plan[ProfileState]

func refuse(format string, args ...any) error { return module.Refuse(format, args...) }

// The steps that are not LVM commands. Unit steps go through obs's
// connection to systemd, opened only when monitor=true.
func mkdirStep(dir string) module.Step {
	return module.Func("LVM's profile directory does not exist", fmt.Sprintf("create directory %s (mode %04o)", dir, DirMode),
		func(context.Context) error { return makeDir(dir) })
}

func writeStep(why, path string, content []byte) module.Step {
	return module.Func(why, "write "+path, func(context.Context) error { return atomicfile.Write(path, content, FileMode) })
}

func removeStep(path string) module.Step {
	return module.Func("remove the profile", "remove "+path, func(context.Context) error { return atomicfile.Remove(path) })
}

func enableStep(obs *Observed, names []string) module.Step {
	return module.Func("keep pools monitored after a reboot", "systemctl enable "+strings.Join(names, " "),
		func(ctx context.Context) error {
			_, err := obs.systemd.Enable(ctx, names...)
			return err
		})
}

func startStep(obs *Observed, why, name string) module.Step {
	return module.Func(why, "systemctl start "+name, func(ctx context.Context) error {
		return obs.systemd.Start(ctx, name, obs.unitTimeout)
	})
}

// okUnitFileStates are the unit file states that survive a reboot without
// enabling: enabled-runtime lives in /run and does not.
var okUnitFileStates = map[string]bool{"enabled": true, "static": true, "alias": true, "generated": true}

// PlanPresent plans the profile described by c on the observed host: the
// file, its attachment to the pool, the pool's monitoring and the services
// that keep it.
func PlanPresent(c Config, obs *Observed) (*Plan, error) {
	p := &Plan{Before: stateOf(c, obs.Path, contentOf(obs.File), obs.LVM), After: predict(c, obs),
		Unchanged: fmt.Sprintf("profile %s is as requested", obs.Path)}
	if err := planFile(p, c, obs); err != nil {
		return nil, err
	}
	if c.LV != "" {
		lv, ok := obs.LVM.LV(c.VG, c.LV)
		switch {
		case !ok && c.CheckMode:
			p.Warn("check mode: %s does not exist yet (a real run creates it in an earlier task, e.g. directlvm.docker.lvm_thinpool); the profile would be attached and the pool monitored once it exists", c.Pool())
			p.Add(module.Command("attach the profile to "+c.Pool()+" once it exists", lvm.AttachProfile(c.Name, c.VG, c.LV)))
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
			p.Add(module.Command(why, lvm.AttachProfile(c.Name, c.VG, c.LV)))
		}
		if c.Monitor && lv.Monitor != "monitored" && !lv.Active {
			return nil, refuse("thin pool %s is not active, so dmeventd cannot monitor it: activate it (lvchange -ay %s) and run again, or set monitor=false",
				c.Pool(), c.Pool())
		}
	}
	if c.Monitor {
		if err := planUnits(p, obs, c); err != nil {
			return nil, err
		}
		if c.LV != "" {
			if lv, _ := obs.LVM.LV(c.VG, c.LV); lv.Monitor != "monitored" {
				p.Add(module.Command(fmt.Sprintf("have dmeventd monitor %s (seg_monitor is %q)", c.Pool(), lv.Monitor), lvm.Monitor(c.VG, c.LV)))
			}
		}
	}
	if c.Threshold == disabledThreshold {
		p.Warn("autoextend_threshold=100 disables autoextend: the pool will not grow by itself and Docker stops when it is full; give 50 to 99 to let it grow")
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
	if f != nil && !ours(f.Content) {
		return notOurs(obs.Path, "rewritten")
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
	p.Add(module.Command("LVM must accept the profile before it is written", lvm.ValidateConfig(content)))
	if !obs.DirExists {
		p.Add(mkdirStep(obs.Dir))
	}
	p.Add(writeStep(why, obs.Path, content))
	return nil
}

// notOurs refuses to touch a profile this module did not write.
func notOurs(path, what string) error {
	return refuse("%s holds settings other than thin_pool_autoextend_threshold and thin_pool_autoextend_percent and was not written by directlvm.docker: it is someone else's (LVM ships profiles such as thin-performance), so it is not %s; give another name, or move the file away yourself",
		path, what)
}

// planUnits enables and starts the services that monitor pools after a
// reboot, refusing when one is missing or masked.
func planUnits(p *Plan, obs *Observed, c Config) error {
	// In check mode on a host without LVM's tools yet, the units lvm2
	// would bring are planned, not refused.
	lvmMissing := c.CheckMode && obs.LVMMissing
	var enable []string
	var start []module.Step
	for _, u := range Units {
		st := obs.Units[u.Name]
		switch {
		case st.LoadState == "masked" || strings.HasPrefix(st.UnitFileState, "masked"):
			return refuse("%s is masked, so dmeventd would not monitor the pool after a reboot: unmask it (systemctl unmask %s) and run again, or set monitor=false",
				u.Name, u.Name)
		case st.LoadState == "not-found" && lvmMissing:
			// Check mode before lvm2 is installed: the package brings it.
			enable = append(enable, u.Name)
			start = append(start, startStep(obs, fmt.Sprintf("%s comes with its package", u.Name), u.Name))
			continue
		case st.LoadState != "loaded":
			return refuse("systemd has no usable unit %s (load state %q): install the package that provides it (%s) and run again, or set monitor=false",
				u.Name, st.LoadState, u.Packages)
		}
		if !okUnitFileStates[st.UnitFileState] {
			enable = append(enable, u.Name)
		}
		if st.ActiveState != "active" {
			start = append(start, startStep(obs, fmt.Sprintf("%s is %s", u.Name, st.ActiveState), u.Name))
		}
	}
	if len(enable) > 0 {
		p.Add(enableStep(obs, enable))
	}
	p.Add(start...)
	return nil
}

// PlanAbsent plans the profile's removal: detached from lv, then the file
// removed. It refuses while any other LV still uses the profile, since LVM
// needs the file for every command on such an LV. Monitoring and the
// services are left as they are: other pools may rely on them.
func PlanAbsent(c Config, obs *Observed) (*Plan, error) {
	p := &Plan{Before: stateOf(c, obs.Path, contentOf(obs.File), obs.LVM), After: predict(c, obs),
		Unchanged: fmt.Sprintf("profile %s is absent", obs.Path)}
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
			p.Add(module.Command("detach the profile from "+c.Pool(), lvm.DetachProfile(c.VG, c.LV)))
		}
	}
	if f := obs.File; f != nil {
		if !f.Regular {
			return nil, refuse("%s is not a regular file (%s): it is left alone; remove it yourself", obs.Path, f.Mode.Type())
		}
		if !ours(f.Content) {
			return nil, notOurs(obs.Path, "removed")
		}
		p.Add(removeStep(obs.Path))
	}
	return p, nil
}

package lvmprofile

import (
	"fmt"
	"slices"

	"github.com/directlvm/docker/internal/lvm"
)

// ProfileState is what the module reports about the profile: the `profile`
// result and the `directlvm_profile` fact.
type ProfileState struct {
	Present bool   `json:"present"`
	Name    string `json:"name"`
	Path    string `json:"path"`
	// Threshold and Percent are what the file says; null without a file.
	Threshold *int `json:"threshold"`
	Percent   *int `json:"percent"`
	// AttachedTo lists every LV (VG/LV) that uses the profile.
	AttachedTo []string `json:"attached_to"`
	// The rest describe lv and are null without it (or when it is not a
	// thin pool).
	Monitored          *bool `json:"monitored"`
	AutoextendPossible *bool `json:"autoextend_possible"`
	// AutoextendStepBytes is one extension: the pool's data size times
	// Percent / 100. VGFreeBytes is the room the VG has for it.
	AutoextendStepBytes *int64 `json:"autoextend_step_bytes"`
	VGFreeBytes         *int64 `json:"vg_free_bytes"`
}

// stateOf describes the profile from the file's content (nil when there is
// no file) and an LVM report.
func stateOf(c Config, path string, content []byte, rep *lvm.Report) ProfileState {
	s := ProfileState{Present: content != nil, Name: c.Name, Path: path, AttachedTo: []string{}}
	if s.Present {
		s.Threshold, s.Percent = settingsOf(content)
	}
	for _, lv := range rep.LVs {
		if lv.Profile == c.Name {
			s.AttachedTo = append(s.AttachedTo, lv.VG+"/"+lv.Name)
		}
	}
	slices.Sort(s.AttachedTo)
	if c.LV == "" {
		return s
	}
	pool, ok := rep.LV(c.VG, c.LV)
	if !ok || !pool.Attr.ThinPool() {
		return s
	}
	monitored := pool.Monitor == "monitored"
	s.Monitored = &monitored
	if vg, ok := rep.VG(c.VG); ok && s.Percent != nil {
		step := pool.SizeBytes * int64(*s.Percent) / 100
		possible := vg.FreeBytes >= step
		s.AutoextendStepBytes, s.VGFreeBytes, s.AutoextendPossible = &step, &vg.FreeBytes, &possible
	}
	return s
}

// predict is the state a check-mode run would lead to: the rendered file,
// the pool with the profile attached (or detached) and monitored.
func predict(c Config, obs *Observed) ProfileState {
	rep := *obs.LVM
	rep.LVs = slices.Clone(obs.LVM.LVs)
	for i := range rep.LVs {
		lv := &rep.LVs[i]
		if lv.VG != c.VG || lv.Name != c.LV {
			continue
		}
		switch {
		case c.Absent && lv.Profile == c.Name:
			lv.Profile = ""
		case !c.Absent:
			lv.Profile = c.Name
			if c.Monitor {
				lv.Monitor = "monitored"
			}
		}
	}
	var content []byte
	if !c.Absent {
		content = Render(c.Threshold, c.Percent)
	}
	return stateOf(c, obs.Path, content, &rep)
}

// roomWarning says when the VG cannot hold one autoextend step of the
// pool, so autoextend will fail; "" when it can, or when it does not apply.
func roomWarning(c Config, s ProfileState) string {
	if !s.Present || s.AutoextendPossible == nil || *s.AutoextendPossible || s.Threshold == nil || *s.Threshold >= disabledThreshold {
		return ""
	}
	return fmt.Sprintf("volume group %s has %s free, less than one %d%% autoextend step of thin pool %s (%s): autoextend will fail once the pool is %d%% full; add a disk to the volume group (list it in lvm_thinpool's devices, or vgextend %s DEVICE), or make the pool smaller (a lower data_size) to leave room",
		c.VG, lvm.HumanBytes(*s.VGFreeBytes), *s.Percent, c.Pool(), lvm.HumanBytes(*s.AutoextendStepBytes), *s.Threshold, c.VG)
}

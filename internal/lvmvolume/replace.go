package lvmvolume

// replaces_thinpool: the way off devicemapper. The volume takes the place
// of docker's thin pool in the same VG: the pool is removed, with the
// devicemapper data docker left in it, and its extents go to the volume.
// That happens only once docker no longer uses the pool: no docker unit
// runs and no thin device of the pool is active (docker makes its thin
// devices itself, so LVM never shows them; device-mapper does while they
// are active). Exporting the images first is docker_storage's part
// (state=released), which the role runs just before.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/directlvm/docker/internal/dmsetup"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/systemd"
)

// Units reads systemd's units over D-Bus.
type Units interface {
	Unit(ctx context.Context, name string) (systemd.UnitState, error)
	Close()
}

// dockerUnits are the units that run, or start, dockerd.
var dockerUnits = []string{"docker.service", "docker.socket"}

// replacedPool is the thin pool replaces_thinpool names, as observed.
type replacedPool struct {
	LV lvm.LV
	// ThinVolumes are LVM thin volumes in it: never docker's.
	ThinVolumes []string
	// ThinDevices are its active thin devices (docker's while it runs).
	ThinDevices []string
	// DockerActive are docker's units that are not inactive, with their state.
	DockerActive []string
	// FreedExtents is what removing the pool gives back to the VG: its
	// data and metadata, and the metadata spare when no other pool is left.
	FreedExtents int64
}

// observePool reads the pool to replace; nil when none is named or it is
// gone (an earlier run removed it).
func observePool(ctx context.Context, h Host, rep *lvm.Report, c Config) (*replacedPool, error) {
	lv, ok := rep.LV(c.VG, c.ReplacesPool)
	if c.ReplacesPool == "" || !ok {
		return nil, nil
	}
	rp := &replacedPool{LV: lv}
	for _, v := range rep.ThinVolumes(c.VG, c.ReplacesPool) {
		rp.ThinVolumes = append(rp.ThinVolumes, v.VG+"/"+v.Name)
	}
	if lv.Active && lv.DMPath != "" {
		devs, err := dmsetup.ThinDevicesOf(ctx, h.Run, filepath.Base(lv.DMPath))
		if err != nil {
			return nil, err
		}
		rp.ThinDevices = devs
	}
	units, err := h.Units(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: replaces_thinpool needs systemd to check that docker no longer runs on thin pool %s/%s", err, c.VG, c.ReplacesPool)
	}
	defer units.Close()
	for _, name := range dockerUnits {
		st, err := units.Unit(ctx, name)
		if err != nil {
			return nil, err
		}
		if st.ActiveState != "" && st.ActiveState != "inactive" && st.ActiveState != "failed" {
			rp.DockerActive = append(rp.DockerActive, fmt.Sprintf("%s is %s", name, st.ActiveState))
		}
	}
	otherPools := false
	for _, o := range rep.LVsOf(c.VG) {
		if o.Attr.ThinPool() && o.Name != c.ReplacesPool {
			otherPools = true
		}
	}
	vg, _ := rep.VG(c.VG)
	for _, o := range rep.LVsOf(c.VG) {
		switch o.Name {
		case "[" + c.ReplacesPool + "_tdata]", "[" + c.ReplacesPool + "_tmeta]":
			rp.FreedExtents += o.SizeBytes / vg.ExtentSizeBytes
		case "[lvol0_pmspare]":
			if !otherPools {
				rp.FreedExtents += o.SizeBytes / vg.ExtentSizeBytes
			}
		}
	}
	return rp, nil
}

// replacePool plans the pool's removal, once docker no longer uses it. In
// check mode a docker still on it is a warning: the role's earlier task
// (docker_storage state=released) would have stopped it.
func (p *planner) replacePool(rp *replacedPool) error {
	name := p.c.VG + "/" + p.c.ReplacesPool
	switch {
	case !rp.LV.Attr.ThinPool():
		return refuse("replaces_thinpool: %s is not a thin pool (lv_attr %s): nothing is removed; give the name of docker's thin pool in vg %s, or leave replaces_thinpool out", name, rp.LV.Attr, p.c.VG)
	case len(rp.ThinVolumes) > 0:
		return refuse("replaces_thinpool: thin pool %s holds LVM thin volume(s) %s, which are not docker's: it is kept; remove them yourself (lvremove %s) once their data is not needed, or leave replaces_thinpool out",
			name, strings.Join(rp.ThinVolumes, ", "), strings.Join(rp.ThinVolumes, " "))
	}
	var users []string
	users = append(users, rp.DockerActive...)
	if len(rp.ThinDevices) > 0 {
		users = append(users, fmt.Sprintf("thin device(s) %s active on it", strings.Join(rp.ThinDevices, ", ")))
	}
	if len(users) > 0 {
		msg := fmt.Sprintf("replaces_thinpool: thin pool %s is still in use (%s): removing it would destroy what docker runs on; stop docker with its images exported first (directlvm.docker.docker_storage state=released), then run again",
			name, strings.Join(users, "; "))
		if !p.c.CheckMode {
			return refuse("%s", msg)
		}
		p.plan.Warn("check mode: %s (the role's earlier task does that in a real run)", msg)
	}
	used := ""
	if rp.LV.DataPercent != nil {
		used = fmt.Sprintf(", %.1f%% used", *rp.LV.DataPercent)
	}
	p.add(fmt.Sprintf("remove the thin pool %s and the devicemapper data docker left in it (%s%s): its space goes to the volume", name, lvm.HumanBytes(rp.LV.SizeBytes), used),
		lvm.LVRemove(p.c.VG, p.c.ReplacesPool))
	p.vg.FreeExtents += rp.FreedExtents
	return nil
}

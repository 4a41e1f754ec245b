package lvmthinpool

import (
	"fmt"
	"slices"
	"strings"

	"github.com/directlvm/docker/internal/dmsetup"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvmvg"
	"github.com/directlvm/docker/internal/module"
)

// Plan is what a run will do (or, in check mode, would do): the commands,
// the pool before and the pool they lead to.
type Plan = module.Plan[PoolState]

func refuse(format string, args ...any) error { return module.Refuse(format, args...) }

// autoextendStepPercent is the step the sizing warning assumes: LVM's and
// Docker's documented thin_pool_autoextend_percent. lvm_profile sets the
// real value.
const autoextendStepPercent = 20

// planner accumulates a plan while tracking the VG as the plan changes it.
type planner struct {
	c    Config
	obs  *Observed
	plan Plan
	vg   lvm.VG // the VG as it will be once the actions so far have run
}

func (p *planner) add(why string, argv []string) {
	p.plan.Add(module.Command(why, argv))
}

func (p *planner) warn(format string, args ...any) { p.plan.Warn(format, args...) }

// PlanPresent plans the pool described by c on the observed host.
func PlanPresent(c Config, obs *Observed) (*Plan, error) {
	p := newPlanner(c, obs)
	if err := p.devices(); err != nil {
		return nil, err
	}
	if err := p.pool(); err != nil {
		return nil, err
	}
	p.plan.After = p.after()
	p.plan.Unchanged = fmt.Sprintf("thin pool %s/%s is as requested", c.VG, c.Pool)
	return &p.plan, nil
}

func newPlanner(c Config, obs *Observed) *planner {
	p := &planner{c: c, obs: obs}
	p.plan.Before = stateOf(obs.LVM, c.VG, c.Pool)
	return p
}

// devices makes every requested device a PV of the VG (lvmvg), and tracks
// the VG as those steps change it.
func (p *planner) devices() error {
	vgp, err := lvmvg.PlanVG(lvmvg.Request{VG: p.c.VG, Force: p.c.Force, Grow: p.c.Grow}, p.obs.LVM, p.obs.Devices)
	if err != nil {
		return err
	}
	p.plan.Add(vgp.Steps...)
	p.plan.Warnings = append(p.plan.Warnings, vgp.Warnings...)
	p.vg = vgp.VG
	return nil
}

// pool creates, finishes or grows the thin pool.
func (p *planner) pool() error {
	c, rep := p.c, p.obs.LVM
	pool, poolExists := rep.LV(c.VG, c.Pool)
	meta, metaExists := rep.LV(c.VG, c.MetaLV())
	name := c.VG + "/" + c.Pool

	if poolExists && pool.Attr.ThinPool() {
		if err := p.checkDrift(pool); err != nil {
			return err
		}
		return p.grow(pool)
	}
	if poolExists && !(pool.Attr.Plain() && pool.HasTag(OwnerTag)) {
		return refuse("%s exists but is not a thin pool (lv_attr %s, segment type %s) and was not made by this module: it is left alone; choose another thinpool name, or remove it yourself (lvremove %s) if it holds nothing",
			name, pool.Attr, pool.Segtype, name)
	}
	if metaExists && !(meta.Attr.Plain() && meta.HasTag(OwnerTag)) {
		return refuse("%s/%s exists and was not made by this module, but the pool's metadata LV needs that name: rename or remove it (lvremove %s/%s) if it holds nothing",
			c.VG, c.MetaLV(), c.VG, c.MetaLV())
	}

	// Count what still has to be allocated, the spare metadata LV included
	// (LVM makes one, as large as the metadata, with a VG's first pool).
	dataExt, metaExt := c.DataSize.Extents(p.vg), c.MetadataSize.Extents(p.vg)
	if poolExists {
		dataExt = pool.SizeBytes / p.vg.ExtentSizeBytes
	}
	if metaExists {
		metaExt = meta.SizeBytes / p.vg.ExtentSizeBytes
	}
	need := int64(0)
	if !poolExists {
		need += dataExt
	}
	if !metaExists {
		need += metaExt
	}
	if _, spare := rep.LV(c.VG, "[lvol0_pmspare]"); !spare {
		need += metaExt
	}
	if dataExt == 0 || metaExt == 0 {
		return refuse("data_size=%s and metadata_size=%s give %d and %d extents of volume group %s: too small; give larger sizes",
			c.DataSize, c.MetadataSize, dataExt, metaExt, c.VG)
	}
	if need > p.vg.FreeExtents {
		return refuse("the pool does not fit in volume group %s: data_size=%s, metadata_size=%s and LVM's spare copy of the metadata need %s but the VG has %s free; lower data_size (e.g. 90%%VG) or add a disk",
			c.VG, c.DataSize, c.MetadataSize, p.bytes(need), p.bytes(p.vg.FreeExtents))
	}
	if !poolExists {
		p.add("create the pool's data volume", lvm.LVCreate(c.VG, c.Pool, c.DataSize, c.WipeSignatures, OwnerTag))
	}
	if !metaExists {
		p.add("create the pool's metadata volume", lvm.LVCreate(c.VG, c.MetaLV(), c.MetadataSize, c.WipeSignatures, OwnerTag))
	}
	p.add("convert them into the thin pool "+name, lvm.ConvertToThinPool(c.VG, c.Pool, c.MetaLV(), c.ChunkSizeBytes, c.Zero))
	p.vg.FreeExtents -= need
	p.warnAutoextendRoom(dataExt)
	return nil
}

// checkDrift refuses to touch a pool whose immutable settings differ.
func (p *planner) checkDrift(pool lvm.LV) error {
	var drift []string
	if pool.ChunkSizeBytes != p.c.ChunkSizeBytes {
		drift = append(drift, fmt.Sprintf("chunk size is %s, requested %s", lvm.FormatBytes(pool.ChunkSizeBytes), lvm.FormatBytes(p.c.ChunkSizeBytes)))
	}
	if pool.Attr.Zeroing() != p.c.Zero {
		drift = append(drift, fmt.Sprintf("zeroing is %v, requested %v", pool.Attr.Zeroing(), p.c.Zero))
	}
	if len(drift) > 0 {
		return refuse("thin pool %s/%s differs from the request in settings that cannot change on an existing pool: %s; set chunk_size/zero to match the pool, or recreate it (state=absent, then present: its thin volumes are lost)",
			p.c.VG, p.c.Pool, strings.Join(drift, "; "))
	}
	return nil
}

// grow extends an existing pool to its requested share of the VG (only
// sizes given as %VG grow; the metadata keeps its share too). It never
// shrinks a pool, and an autoextended pool above its target is left alone.
func (p *planner) grow(pool lvm.LV) error {
	if !p.c.Grow || p.c.DataSize.Of != "VG" {
		return nil
	}
	ext := p.vg.ExtentSizeBytes
	curData, curMeta := pool.SizeBytes/ext, pool.MetadataSizeBytes/ext
	wantData := max(curData, p.c.DataSize.Extents(p.vg))
	wantMeta := curMeta
	if p.c.MetadataSize.Of == "VG" {
		wantMeta = max(curMeta, p.c.MetadataSize.Extents(p.vg))
	}
	// Growing the metadata grows LVM's spare copy with it.
	need := (wantData - curData) + 2*(wantMeta-curMeta)
	if need == 0 {
		return nil
	}
	if need > p.vg.FreeExtents {
		p.warn("thin pool %s/%s is smaller than data_size=%s of volume group %s, but the VG has only %s free: not grown; add a disk",
			p.c.VG, p.c.Pool, p.c.DataSize, p.c.VG, p.bytes(p.vg.FreeExtents))
		return nil
	}
	if wantMeta > curMeta {
		p.add("grow the pool's metadata in proportion", lvm.ExtendPoolMetadata(p.c.VG, p.c.Pool, wantMeta*ext))
	}
	if wantData > curData {
		p.add(fmt.Sprintf("grow the pool to data_size=%s", p.c.DataSize), lvm.ExtendToExtents(p.c.VG, p.c.Pool, wantData))
	}
	p.vg.FreeExtents -= need
	p.warnAutoextendRoom(wantData)
	return nil
}

func (p *planner) warnAutoextendRoom(dataExt int64) {
	step := dataExt * autoextendStepPercent / 100
	if p.vg.FreeExtents < step {
		p.warn("volume group %s keeps %s free, less than one %d%% autoextend step of the %s pool (%s): autoextend will fail until a disk is added; a smaller data_size (e.g. 75%%VG) leaves room",
			p.c.VG, p.bytes(p.vg.FreeExtents), autoextendStepPercent, p.bytes(dataExt), p.bytes(step))
	}
}

func (p *planner) bytes(extents int64) string {
	return lvm.HumanBytes(extents * p.vg.ExtentSizeBytes)
}

// after predicts the pool the plan leads to.
func (p *planner) after() PoolState {
	devs := slices.Clone(p.obs.LVM.PVsOf(p.c.VG))
	for _, d := range p.obs.Devices {
		if !slices.Contains(devs, d.Path) {
			devs = append(devs, d.Path)
		}
	}
	slices.Sort(devs)
	dm := lvm.DMName(p.c.VG, p.c.Pool)
	s := PoolState{Present: true, VG: p.c.VG, Name: p.c.Pool, DMName: dm, DMPath: "/dev/mapper/" + dm, Devices: devs,
		ChunkSizeBytes: p.c.ChunkSizeBytes, Zero: p.c.Zero}
	if pool, ok := p.obs.LVM.LV(p.c.VG, p.c.Pool); ok && pool.Attr.ThinPool() {
		s.SizeBytes, s.MetadataSizeBytes = pool.SizeBytes, pool.MetadataSizeBytes
	}
	for _, a := range p.plan.Steps {
		switch {
		case a.Argv[0] == "lvextend" && a.Argv[1] == "-l":
			var n int64
			fmt.Sscan(a.Argv[2], &n)
			s.SizeBytes = n * p.vg.ExtentSizeBytes
		case a.Argv[0] == "lvconvert":
			s.SizeBytes = p.c.DataSize.Extents(p.vg) * p.vg.ExtentSizeBytes
			s.MetadataSizeBytes = p.c.MetadataSize.Extents(p.vg) * p.vg.ExtentSizeBytes
		}
	}
	return s
}

// refuseHeldData refuses to remove a pool that holds anything: LVM thin
// volumes, or data in thin devices LVM does not know (docker's images and
// containers: docker makes its thin devices itself, so lvs never shows
// them, while the pool's used data blocks do). use is nil when the pool is
// not active and cannot be read.
func refuseHeldData(name string, volumes []lvm.LV, use *dmsetup.ThinPool) error {
	if len(volumes) > 0 {
		var names []string
		for _, v := range volumes {
			names = append(names, v.VG+"/"+v.Name)
		}
		return refuse("thin pool %s holds thin volume(s) %s: removing the pool would destroy them; remove them yourself (lvremove %s) once their data is not needed, and run again",
			name, strings.Join(names, ", "), strings.Join(names, " "))
	}
	if use == nil {
		return refuse("thin pool %s is not active, so what it holds cannot be read: activate it (lvchange -ay %s) and run again", name, name)
	}
	if use.UsedDataBlocks > 0 {
		return refuse("thin pool %s holds data (%d of %d data blocks used, transaction ID %d) in thin devices LVM does not show: when docker used it, they are docker's images and containers, and removing the pool destroys them. Move docker off the pool first (directlvm.docker.docker_storage with driver=overlay2); then, once that data is not needed, remove the pool yourself with lvremove %s",
			name, use.UsedDataBlocks, use.TotalDataBlocks, use.TransactionID, name)
	}
	return nil
}

// PlanAbsent plans the pool's removal, and the VG's with remove_vg.
func PlanAbsent(c Config, obs *Observed) (*Plan, error) {
	rep := obs.LVM
	p := newPlanner(c, obs)
	name := c.VG + "/" + c.Pool
	pool, poolExists := rep.LV(c.VG, c.Pool)
	if poolExists && !pool.Attr.ThinPool() && !pool.HasTag(OwnerTag) {
		return nil, refuse("%s is not a thin pool (lv_attr %s) and was not made by this module: it is not removed", name, pool.Attr)
	}
	var open []string
	for _, v := range rep.ThinVolumes(c.VG, c.Pool) {
		if v.Open {
			open = append(open, c.VG+"/"+v.Name)
		}
	}
	if len(open) > 0 {
		return nil, refuse("thin pool %s is in use: thin volume(s) %s are open (a running docker holds its containers' volumes open); stop docker (systemctl stop docker docker.socket) and run again",
			name, strings.Join(open, ", "))
	}
	if poolExists {
		if err := refuseHeldData(name, rep.ThinVolumes(c.VG, c.Pool), obs.PoolUse); err != nil {
			return nil, err
		}
	}
	if poolExists {
		p.add("remove the thin pool "+name+" and every thin volume in it", lvm.LVRemove(c.VG, c.Pool))
	}
	if meta, ok := rep.LV(c.VG, c.MetaLV()); ok && meta.HasTag(OwnerTag) {
		p.add("remove the unconverted metadata volume of an interrupted run", lvm.LVRemove(c.VG, c.MetaLV()))
	}
	if _, vgExists := rep.VG(c.VG); c.RemoveVG && vgExists {
		var others []string
		for _, lv := range rep.LVsOf(c.VG) {
			if lv.Hidden() || lv.Name == c.Pool || lv.Name == c.MetaLV() || lv.Pool == c.Pool {
				continue
			}
			others = append(others, c.VG+"/"+lv.Name)
		}
		if len(others) > 0 {
			return nil, refuse("remove_vg=true but volume group %s also holds %s, which this module did not make: the VG is kept; remove those yourself first, or leave remove_vg=false",
				c.VG, strings.Join(others, ", "))
		}
		pvs := rep.PVsOf(c.VG)
		p.add("remove volume group "+c.VG, lvm.VGRemove(c.VG))
		if len(pvs) > 0 {
			p.add("remove the LVM labels from its disks", lvm.PVRemove(pvs...))
		}
	}
	p.plan.After = PoolState{}
	p.plan.Unchanged = fmt.Sprintf("thin pool %s/%s is absent", c.VG, c.Pool)
	return &p.plan, nil
}

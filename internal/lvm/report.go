// Package lvm reads LVM's state and builds LVM commands. It never decides
// anything: modules read a Report, plan with the argv builders in
// commands.go, and execute through their runner.
package lvm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-json"

	"github.com/directlvm/docker/internal/runner"
)

// ReportArgv is the one command that reads the whole LVM state: every VG,
// every PV (orphans included), every LV (hidden ones included, -a) and its
// segment, in bytes (--units b --nosuffix), as JSON.
func ReportArgv() []string {
	return []string{"lvm", "fullreport", "--reportformat", "json", "--units", "b", "--nosuffix", "-a",
		"--configreport", "vg", "-o", "vg_name,vg_uuid,vg_size,vg_free,vg_extent_size,vg_extent_count,vg_free_count,pv_count,lv_count",
		"--configreport", "pv", "-o", "pv_name,pv_uuid,vg_name,pv_size,pv_free,dev_size,pe_start",
		"--configreport", "lv", "-o", "lv_uuid,lv_name,vg_name,lv_attr,lv_size,lv_dm_path,pool_lv,data_percent,metadata_percent,lv_metadata_size,lv_profile,lv_device_open,lv_active,lv_role,lv_tags",
		"--configreport", "seg", "-o", "lv_uuid,segtype,chunk_size,seg_monitor,data_lv,metadata_lv",
		"--configreport", "pvseg", "-o", "pv_uuid",
	}
}

// Read runs ReportArgv and parses it.
func Read(ctx context.Context, r runner.Runner) (*Report, error) {
	res, err := r.Run(ctx, runner.Command(ReportArgv()...))
	if err != nil {
		return nil, fmt.Errorf("reading LVM state: %w", err)
	}
	return ParseReport(res.Stdout)
}

// ReadPlanning reads the LVM state for a plan. In check mode, a host
// without LVM's tools yet (an earlier task of the same play installs
// them) is planned as a host without any LVM state, with a warning
// saying so; otherwise a missing tool fails as in Read.
func ReadPlanning(ctx context.Context, r runner.Runner, checkMode bool) (*Report, string, error) {
	rep, err := Read(ctx, r)
	var nf *runner.NotFoundError
	if err != nil && checkMode && errors.As(err, &nf) {
		return &Report{}, fmt.Sprintf("check mode: LVM's tools are not installed yet (%v); planned as for a host without any LVM volume: install lvm2 first (the role's packages step does) for a real run", err), nil
	}
	return rep, "", err
}

// Report is the LVM state of a host.
type Report struct {
	VGs []VG
	PVs []PV
	LVs []LV
}

// VG is a volume group. Sizes are bytes; counts are extents.
type VG struct {
	Name            string
	UUID            string
	SizeBytes       int64
	FreeBytes       int64
	ExtentSizeBytes int64
	ExtentCount     int64
	FreeExtents     int64
	PVCount         int
	LVCount         int
}

// PV is a physical volume; VG is empty for an orphan PV.
type PV struct {
	Name         string // device path as LVM names it, e.g. /dev/vdb
	UUID         string
	VG           string
	SizeBytes    int64
	FreeBytes    int64
	DevSizeBytes int64
	// PEStartBytes is where the PV's first extent starts (after its label
	// and metadata area); 0 when LVM did not say.
	PEStartBytes int64
}

// GrownExtents is how many extents of extentBytes the PV gains from
// pvresize: its device grew in place (a cloud volume resized) and LVM
// does not use the new space yet. A PV whose first extent LVM did not
// report is taken to start at 1 MiB, LVM's default.
func (pv PV) GrownExtents(extentBytes int64) int64 {
	if extentBytes <= 0 || pv.DevSizeBytes <= 0 {
		return 0
	}
	start := pv.PEStartBytes
	if start <= 0 {
		start = 1 << 20
	}
	return max(0, (pv.DevSizeBytes-start)/extentBytes-pv.SizeBytes/extentBytes)
}

// LV is a logical volume with its (first) segment's properties.
type LV struct {
	UUID   string
	Name   string // hidden LVs keep their brackets: [lvol0_pmspare]
	VG     string
	Attr   Attr
	Tags   []string
	DMPath string // e.g. /dev/mapper/docker-thinpool
	Pool   string // for a thin volume: the pool it lives in

	SizeBytes         int64
	MetadataSizeBytes int64    // thin pools only
	DataPercent       *float64 // nil when LVM reports none
	MetadataPercent   *float64
	Profile           string
	Open              bool
	Active            bool
	Roles             []string // lv_role, e.g. private,thin,pool,data

	Segtype        string // linear, thin-pool, thin, ...
	ChunkSizeBytes int64
	Monitor        string // seg_monitor: monitored, not monitored, or empty
	DataLV         string
	MetadataLV     string
}

// Hidden tells whether LVM keeps this LV out of normal listings.
func (lv LV) Hidden() bool { return strings.HasPrefix(lv.Name, "[") }

// HasTag tells whether the LV carries tag.
func (lv LV) HasTag(tag string) bool { return slices.Contains(lv.Tags, tag) }

// VG returns the named volume group.
func (r *Report) VG(name string) (VG, bool) {
	for _, vg := range r.VGs {
		if vg.Name == name {
			return vg, true
		}
	}
	return VG{}, false
}

// PV returns the PV on device dev (a canonical /dev path).
func (r *Report) PV(dev string) (PV, bool) {
	for _, pv := range r.PVs {
		if pv.Name == dev {
			return pv, true
		}
	}
	return PV{}, false
}

// PVsOf lists the device paths of a VG's PVs.
func (r *Report) PVsOf(vg string) []string {
	var devs []string
	for _, pv := range r.PVs {
		if pv.VG == vg {
			devs = append(devs, pv.Name)
		}
	}
	return devs
}

// LV returns vg/name.
func (r *Report) LV(vg, name string) (LV, bool) {
	for _, lv := range r.LVs {
		if lv.VG == vg && lv.Name == name {
			return lv, true
		}
	}
	return LV{}, false
}

// LVsOf lists the LVs of a VG, hidden ones included.
func (r *Report) LVsOf(vg string) []LV {
	var lvs []LV
	for _, lv := range r.LVs {
		if lv.VG == vg {
			lvs = append(lvs, lv)
		}
	}
	return lvs
}

// ThinVolumes lists the thin volumes that live in vg/pool.
func (r *Report) ThinVolumes(vg, pool string) []LV {
	var lvs []LV
	for _, lv := range r.LVs {
		if lv.VG == vg && lv.Pool == pool && lv.Segtype == "thin" {
			lvs = append(lvs, lv)
		}
	}
	return lvs
}

// The JSON shape of `lvm fullreport --reportformat json`: one entry per VG
// (plus one per orphan PV), each with per-type rows of string fields.
type rawReport struct {
	Report []struct {
		VG  []map[string]string `json:"vg"`
		PV  []map[string]string `json:"pv"`
		LV  []map[string]string `json:"lv"`
		Seg []map[string]string `json:"seg"`
	} `json:"report"`
}

// ParseReport decodes ReportArgv's output.
func ParseReport(b []byte) (*Report, error) {
	var raw rawReport
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("decoding lvm fullreport JSON: %w", err)
	}
	p := &fieldParser{}
	rep := &Report{}
	for _, entry := range raw.Report {
		for _, v := range entry.VG {
			rep.VGs = append(rep.VGs, VG{
				Name:            v["vg_name"],
				UUID:            v["vg_uuid"],
				SizeBytes:       p.int(v, "vg_size"),
				FreeBytes:       p.int(v, "vg_free"),
				ExtentSizeBytes: p.int(v, "vg_extent_size"),
				ExtentCount:     p.int(v, "vg_extent_count"),
				FreeExtents:     p.int(v, "vg_free_count"),
				PVCount:         int(p.int(v, "pv_count")),
				LVCount:         int(p.int(v, "lv_count")),
			})
		}
		for _, v := range entry.PV {
			rep.PVs = append(rep.PVs, PV{
				Name:         v["pv_name"],
				UUID:         v["pv_uuid"],
				VG:           v["vg_name"],
				SizeBytes:    p.int(v, "pv_size"),
				FreeBytes:    p.int(v, "pv_free"),
				DevSizeBytes: p.int(v, "dev_size"),
				PEStartBytes: p.int(v, "pe_start"),
			})
		}
		segs := map[string]map[string]string{}
		for _, s := range entry.Seg {
			if _, seen := segs[s["lv_uuid"]]; !seen { // an LV's first segment
				segs[s["lv_uuid"]] = s
			}
		}
		for _, v := range entry.LV {
			s := segs[v["lv_uuid"]]
			rep.LVs = append(rep.LVs, LV{
				UUID:              v["lv_uuid"],
				Name:              v["lv_name"],
				VG:                v["vg_name"],
				Attr:              Attr(v["lv_attr"]),
				Tags:              splitList(v["lv_tags"]),
				DMPath:            v["lv_dm_path"],
				Pool:              v["pool_lv"],
				SizeBytes:         p.int(v, "lv_size"),
				MetadataSizeBytes: p.int(v, "lv_metadata_size"),
				DataPercent:       p.percent(v, "data_percent"),
				MetadataPercent:   p.percent(v, "metadata_percent"),
				Profile:           v["lv_profile"],
				Open:              v["lv_device_open"] == "open",
				Active:            v["lv_active"] == "active",
				Roles:             splitList(v["lv_role"]),
				Segtype:           s["segtype"],
				ChunkSizeBytes:    p.int(s, "chunk_size"),
				Monitor:           s["seg_monitor"],
				DataLV:            s["data_lv"],
				MetadataLV:        s["metadata_lv"],
			})
		}
	}
	if p.err != nil {
		return nil, fmt.Errorf("decoding lvm fullreport: %w", p.err)
	}
	return rep, nil
}

// fieldParser converts LVM's string fields, keeping the first error.
type fieldParser struct{ err error }

func (p *fieldParser) int(row map[string]string, key string) int64 {
	s := row[key]
	if s == "" || s == "-1" {
		return 0 // LVM prints nothing (or -1) where a number does not apply
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("field %s=%q is not a whole number", key, s)
	}
	return n
}

func (p *fieldParser) percent(row map[string]string, key string) *float64 {
	s := row[key]
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if p.err == nil {
			p.err = fmt.Errorf("field %s=%q is not a percentage", key, s)
		}
		return nil
	}
	return &f
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

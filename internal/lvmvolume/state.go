package lvmvolume

import (
	"slices"

	"github.com/directlvm/docker/internal/blockdev"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/xfs"
)

// VolumeState is what the module reports about the volume: the `volume`
// result, the `directlvm_volume` fact, and both sides of the diff.
type VolumeState struct {
	Present     bool     `json:"present"`
	VG          string   `json:"vg"`
	Name        string   `json:"name"`
	DMPath      string   `json:"dm_path"`
	SizeBytes   int64    `json:"size_bytes"`
	FSType      string   `json:"fstype"`
	FSSizeBytes int64    `json:"fs_size_bytes"`
	FType       bool     `json:"ftype"`
	Mountpoints []string `json:"mountpoints"`
	Devices     []string `json:"devices"`
	VGFreeBytes int64    `json:"vg_free_bytes"`
	// ReplacesThinpool is the thin pool replaces_thinpool names (VG/POOL)
	// while it still exists; empty once it is gone.
	ReplacesThinpool string `json:"replaces_thinpool"`
}

// stateOf puts together what the report and the volume's device say.
func stateOf(rep *lvm.Report, c Config, vol *blockdev.Device, fs *xfs.Superblock) VolumeState {
	s := VolumeState{VG: c.VG, Name: c.LV, Devices: []string{}, Mountpoints: []string{}}
	if vg, ok := rep.VG(c.VG); ok {
		s.VGFreeBytes = vg.FreeBytes
		s.Devices = rep.PVsOf(c.VG)
		slices.Sort(s.Devices)
	}
	if _, ok := rep.LV(c.VG, c.ReplacesPool); c.ReplacesPool != "" && ok {
		s.ReplacesThinpool = c.VG + "/" + c.ReplacesPool
	}
	lv, ok := rep.LV(c.VG, c.LV)
	if !ok {
		return s
	}
	s.Present, s.DMPath, s.SizeBytes = true, lv.DMPath, lv.SizeBytes
	if vol != nil {
		s.Mountpoints = append(s.Mountpoints, vol.Mountpoints...)
		if types := vol.SignatureTypes(); len(types) > 0 {
			s.FSType = types[0]
		}
	}
	if fs != nil {
		s.FSType, s.FSSizeBytes, s.FType = "xfs", fs.SizeBytes, fs.FType
	}
	return s
}

// diffView is what a diff compares: free space moves on its own.
func (s VolumeState) diffView() map[string]any {
	v := map[string]any{"present": false}
	if s.Present {
		v = map[string]any{
			"present":       true,
			"volume":        s.VG + "/" + s.Name,
			"devices":       s.Devices,
			"size_bytes":    s.SizeBytes,
			"fstype":        s.FSType,
			"fs_size_bytes": s.FSSizeBytes,
		}
	}
	if s.ReplacesThinpool != "" {
		v["thin pool to replace"] = s.ReplacesThinpool
	}
	return v
}

package lvmthinpool

import (
	"slices"
	"strings"

	"github.com/directlvm/docker/internal/lvm"
)

// PoolState is what the module reports about the pool: the `thinpool`
// result, the `directlvm_thinpool` fact, and both sides of the diff.
type PoolState struct {
	Present           bool     `json:"present"`
	VG                string   `json:"vg"`
	Name              string   `json:"name"`
	DMName            string   `json:"dm_name"`
	DMPath            string   `json:"dm_path"`
	SizeBytes         int64    `json:"size_bytes"`
	DataPercent       *float64 `json:"data_percent"`
	MetadataPercent   *float64 `json:"metadata_percent"`
	MetadataSizeBytes int64    `json:"metadata_size_bytes"`
	ChunkSizeBytes    int64    `json:"chunk_size_bytes"`
	Zero              bool     `json:"zero"`
	Devices           []string `json:"devices"`
	VGFreeBytes       int64    `json:"vg_free_bytes"`
	Monitored         bool     `json:"monitored"`
	Profile           string   `json:"profile"`
}

// stateOf reads the pool vg/name out of a report.
func stateOf(rep *lvm.Report, vgName, name string) PoolState {
	s := PoolState{VG: vgName, Name: name, Devices: []string{}}
	if vg, ok := rep.VG(vgName); ok {
		s.VGFreeBytes = vg.FreeBytes
		s.Devices = rep.PVsOf(vgName)
		slices.Sort(s.Devices)
	}
	pool, ok := rep.LV(vgName, name)
	if !ok || !pool.Attr.ThinPool() {
		return s
	}
	s.Present = true
	s.DMPath = pool.DMPath
	s.DMName = strings.TrimPrefix(pool.DMPath, "/dev/mapper/")
	s.SizeBytes = pool.SizeBytes
	s.DataPercent = pool.DataPercent
	s.MetadataPercent = pool.MetadataPercent
	s.MetadataSizeBytes = pool.MetadataSizeBytes
	s.ChunkSizeBytes = pool.ChunkSizeBytes
	s.Zero = pool.Attr.Zeroing()
	s.Monitored = pool.Monitor == "monitored"
	s.Profile = pool.Profile
	return s
}

// diffView is the part of a PoolState that a diff compares: usage
// percentages and free space move on their own and would make every diff
// noisy.
func (s PoolState) diffView() map[string]any {
	if !s.Present {
		return map[string]any{"present": false}
	}
	return map[string]any{
		"present":             true,
		"pool":                s.VG + "/" + s.Name,
		"devices":             s.Devices,
		"size_bytes":          s.SizeBytes,
		"metadata_size_bytes": s.MetadataSizeBytes,
		"chunk_size_bytes":    s.ChunkSizeBytes,
		"zero":                s.Zero,
	}
}

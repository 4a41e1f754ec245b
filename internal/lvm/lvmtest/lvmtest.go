// Package lvmtest holds real `lvm fullreport` outputs (lvm.ReportArgv)
// captured in the guest VM (LVM 2.03.16, Debian bookworm, 4 GiB virtio
// disks) while walking the manual runbook step by step, for unit tests of
// every package that reads LVM state.
package lvmtest

import (
	"embed"
	"testing"
)

//go:embed testdata/*.json
var fixtures embed.FS

// The captured states, in runbook order.
const (
	Empty          = "fullreport-empty.json"                         // no LVM at all
	PVOnly         = "fullreport-pv-only.json"                       // pvcreate /dev/vdb
	VGOnly         = "fullreport-vg-only.json"                       // vgcreate docker /dev/vdb
	DataLVOnly     = "fullreport-data-lv-only.json"                  // lvcreate -n thinpool -l 95%VG
	DataAndMeta    = "fullreport-data-and-meta.json"                 // lvcreate -n thinpoolmeta -l 1%VG
	Pool           = "fullreport-pool.json"                          // lvconvert ... --thinpool
	PoolInUseOther = "fullreport-pool-profile-thinvol-other-vg.json" // + profile, thin volume vol1, orphan PV /dev/vdc, VG other on /dev/vdd
)

// Raw returns a fixture's bytes.
func Raw(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

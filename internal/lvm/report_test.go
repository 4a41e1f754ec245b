package lvm

import (
	"slices"
	"testing"

	"github.com/directlvm/docker/internal/lvm/lvmtest"
)

func readFixture(t *testing.T, name string) *Report {
	t.Helper()
	rep, err := ParseReport(lvmtest.Raw(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rep
}

func TestReportOfAHostWithoutLVMIsEmpty(t *testing.T) {
	rep := readFixture(t, "fullreport-empty.json")
	if len(rep.VGs)+len(rep.PVs)+len(rep.LVs) != 0 {
		t.Fatalf("want nothing, got %+v", rep)
	}
}

func TestReportShowsOrphanPVs(t *testing.T) {
	rep := readFixture(t, "fullreport-pv-only.json")
	pv, ok := rep.PV("/dev/vdb")
	if !ok || pv.VG != "" || pv.DevSizeBytes != 4<<30 {
		t.Fatalf("orphan PV /dev/vdb: %+v (found %v)", pv, ok)
	}
	if _, ok := rep.VG("docker"); ok {
		t.Fatal("no VG exists yet")
	}
}

func TestReportOfAFreshVG(t *testing.T) {
	rep := readFixture(t, "fullreport-vg-only.json")
	vg, ok := rep.VG("docker")
	if !ok {
		t.Fatal("VG docker missing")
	}
	// 4 GiB disk, 1 MiB metadata area, 4 MiB extents: 1023 extents.
	if vg.ExtentCount != 1023 || vg.FreeExtents != 1023 || vg.ExtentSizeBytes != 4<<20 {
		t.Errorf("VG extents: %+v", vg)
	}
	if got := rep.PVsOf("docker"); !slices.Equal(got, []string{"/dev/vdb"}) {
		t.Errorf("PVsOf(docker) = %v", got)
	}
}

func TestReportOfAHalfFinishedRunShowsPlainLVs(t *testing.T) {
	rep := readFixture(t, "fullreport-data-and-meta.json")
	data, ok1 := rep.LV("docker", "thinpool")
	meta, ok2 := rep.LV("docker", "thinpoolmeta")
	if !ok1 || !ok2 {
		t.Fatalf("want both plain LVs, got %+v", rep.LVs)
	}
	if !data.Attr.Plain() || data.Attr.ThinPool() || data.Segtype != "linear" {
		t.Errorf("data LV should be plain linear: %+v", data)
	}
	if data.SizeBytes != 971*(4<<20) || meta.SizeBytes != 10*(4<<20) {
		t.Errorf("95%%VG/1%%VG of 1023 extents should be 971 and 10: %d, %d", data.SizeBytes, meta.SizeBytes)
	}
}

func TestReportOfTheRunbookPool(t *testing.T) {
	rep := readFixture(t, "fullreport-pool.json")
	pool, ok := rep.LV("docker", "thinpool")
	if !ok {
		t.Fatal("pool missing")
	}
	if !pool.Attr.ThinPool() || pool.Segtype != "thin-pool" || pool.Attr.Zeroing() {
		t.Errorf("want a non-zeroing thin pool: attr %s segtype %s", pool.Attr, pool.Segtype)
	}
	if pool.ChunkSizeBytes != 512<<10 || pool.MetadataSizeBytes != 10*(4<<20) {
		t.Errorf("chunk %d, metadata %d", pool.ChunkSizeBytes, pool.MetadataSizeBytes)
	}
	if pool.Monitor != "monitored" || pool.DMPath != "/dev/mapper/docker-thinpool" {
		t.Errorf("monitor %q, dm path %q", pool.Monitor, pool.DMPath)
	}
	if pool.DataPercent == nil || *pool.DataPercent != 0 || pool.MetadataPercent == nil || *pool.MetadataPercent <= 0 {
		t.Errorf("usage: data %v meta %v", pool.DataPercent, pool.MetadataPercent)
	}
	spare, ok := rep.LV("docker", "[lvol0_pmspare]")
	if !ok || !spare.Hidden() || spare.SizeBytes != pool.MetadataSizeBytes {
		t.Errorf("the spare metadata LV should be hidden and as large as the metadata: %+v", spare)
	}
	if vg, _ := rep.VG("docker"); vg.FreeExtents != 1023-971-10-10 {
		t.Errorf("free extents = %d, want 32 (data, metadata and spare allocated)", vg.FreeExtents)
	}
}

func TestReportShowsProfileThinVolumesAndOtherVGs(t *testing.T) {
	rep := readFixture(t, "fullreport-pool-profile-thinvol-other-vg.json")
	pool, _ := rep.LV("docker", "thinpool")
	if pool.Profile != "docker-thinpool" {
		t.Errorf("profile = %q", pool.Profile)
	}
	vols := rep.ThinVolumes("docker", "thinpool")
	if len(vols) != 1 || vols[0].Name != "vol1" || vols[0].Open {
		t.Errorf("thin volumes = %+v", vols)
	}
	if pv, ok := rep.PV("/dev/vdd"); !ok || pv.VG != "other" {
		t.Errorf("/dev/vdd should be a PV of VG other: %+v", pv)
	}
	if pv, ok := rep.PV("/dev/vdc"); !ok || pv.VG != "" {
		t.Errorf("/dev/vdc should be an orphan PV: %+v", pv)
	}
}

func TestMalformedReportIsAnError(t *testing.T) {
	for _, in := range []string{`not json`, `{"report":[{"vg":[{"vg_name":"x","vg_size":"12abc"}]}]}`} {
		if _, err := ParseReport([]byte(in)); err == nil {
			t.Errorf("ParseReport(%s) should fail", in)
		}
	}
}

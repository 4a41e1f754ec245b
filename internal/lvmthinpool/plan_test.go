package lvmthinpool

import (
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/blockdev"
	"github.com/directlvm/docker/internal/dmsetup"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/module/moduletest"
)

const (
	createData = "lvcreate -y --wipesignatures y -n thinpool -l 95%VG --addtag directlvm.docker docker"
	createMeta = "lvcreate -y --wipesignatures y -n thinpoolmeta -l 1%VG --addtag directlvm.docker docker"
	convert    = "lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta"
)

var vdb = map[string]any{"devices": []string{"/dev/vdb"}}

func TestABlankDiskGetsTheRunbooksPool(t *testing.T) {
	obs := &Observed{LVM: report(t, lvmtest.Empty), Devices: []Device{blankDisk("/dev/vdb")}}
	p, err := PlanPresent(config(t, vdb), obs)
	if err != nil {
		t.Fatal(err)
	}
	assertCommands(t, p, "pvcreate /dev/vdb", "vgcreate docker /dev/vdb", createData, createMeta, convert)
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "less than one 20% autoextend step") {
		t.Errorf("95%%VG leaves no room to autoextend and must say so: %q", p.Warnings)
	}
	if p.After.SizeBytes != 971*(4<<20) || p.After.MetadataSizeBytes != 10*(4<<20) {
		t.Errorf("predicted pool: %+v", p.After)
	}
}

func TestAConvergedHostNeedsNothing(t *testing.T) {
	rep := report(t, lvmtest.Pool)
	p, err := PlanPresent(config(t, vdb), &Observed{LVM: rep, Devices: []Device{pvOf(t, rep, "/dev/vdb")}})
	if err != nil {
		t.Fatal(err)
	}
	assertCommands(t, p)
}

func TestAnInterruptedRunIsFinishedFromWhereItStopped(t *testing.T) {
	for _, tc := range []struct {
		state string
		ours  []string
		want  []string
	}{
		{lvmtest.PVOnly, nil, []string{"vgcreate docker /dev/vdb", createData, createMeta, convert}},
		{lvmtest.VGOnly, nil, []string{createData, createMeta, convert}},
		{lvmtest.DataLVOnly, []string{"thinpool"}, []string{createMeta, convert}},
		{lvmtest.DataAndMeta, []string{"thinpool", "thinpoolmeta"}, []string{convert}},
	} {
		t.Run(tc.state, func(t *testing.T) {
			rep := madeByUs(report(t, tc.state), tc.ours...)
			p, err := PlanPresent(config(t, vdb), &Observed{LVM: rep, Devices: []Device{pvOf(t, rep, "/dev/vdb")}})
			if err != nil {
				t.Fatal(err)
			}
			assertCommands(t, p, tc.want...)
		})
	}
}

func TestSomeoneElsesLVOfThePoolsNameIsLeftAlone(t *testing.T) {
	rep := report(t, lvmtest.DataLVOnly) // made by hand: no tag
	p, err := PlanPresent(config(t, vdb), &Observed{LVM: rep, Devices: []Device{pvOf(t, rep, "/dev/vdb")}})
	assertRefused(t, p, err, "docker/thinpool exists but is not a thin pool", "lv_attr -wi-a-----", "was not made by this module")
}

func TestUnsafeDisksAreRefusedBeforeAnythingIsPlanned(t *testing.T) {
	ext4 := blankDisk("/dev/vdb")
	ext4.Disk.Signatures = []blockdev.Signature{{Type: "ext4", Offset: "0x438"}}
	mounted := blankDisk("/dev/vdb")
	mounted.Disk.Mountpoints = []string{"/srv"}
	for _, tc := range []struct {
		name  string
		dev   Device
		force bool
		want  []string
	}{
		{"filesystem", ext4, false, []string{"device /dev/vdb carries a ext4 signature", "force=true"}},
		{"mounted", mounted, true, []string{"device /dev/vdb is mounted at /srv", "even with force"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := map[string]any{"devices": []string{"/dev/vdb"}, "force": tc.force}
			p, err := PlanPresent(config(t, opts), &Observed{LVM: report(t, lvmtest.Empty), Devices: []Device{tc.dev}})
			assertRefused(t, p, err, tc.want...)
		})
	}
}

func TestForceWipesTheSignaturesFirstAndSaysSo(t *testing.T) {
	d := blankDisk("/dev/vdb")
	d.Disk.Signatures = []blockdev.Signature{{Type: "ext4", Offset: "0x438"}}
	p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb"}, "force": true}),
		&Observed{LVM: report(t, lvmtest.Empty), Devices: []Device{d}})
	if err != nil {
		t.Fatal(err)
	}
	assertCommands(t, p, "wipefs --all /dev/vdb", "pvcreate /dev/vdb", "vgcreate docker /dev/vdb", createData, createMeta, convert)
	if !strings.Contains(p.Steps[0].Why, "ext4") {
		t.Errorf("the wipe's reason should name what it erases: %q", p.Steps[0].Why)
	}
}

func TestAPVOfAnotherVGIsNeverTaken(t *testing.T) {
	rep := report(t, lvmtest.PoolInUseOther)
	devs := []Device{pvOf(t, rep, "/dev/vdb"), pvOf(t, rep, "/dev/vdd")}
	p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb", "/dev/vdd"}}), &Observed{LVM: rep, Devices: devs})
	assertRefused(t, p, err, "/dev/vdd", "volume group other", "vgreduce other /dev/vdd")
}

func TestAVGWithPVsNotListedIsRefused(t *testing.T) {
	rep := report(t, lvmtest.Pool)
	p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdc"}}), &Observed{LVM: rep, Devices: []Device{blankDisk("/dev/vdc")}})
	assertRefused(t, p, err, "volume group docker also has PV(s) /dev/vdb", "never removes a PV")
}

func TestTheSameDiskUnderTwoNamesIsRefused(t *testing.T) {
	a, b := blankDisk("/dev/vdb"), blankDisk("/dev/vdb")
	b.Given = "/dev/disk/by-id/virtio-data0"
	p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb", "/dev/disk/by-id/virtio-data0"}}),
		&Observed{LVM: report(t, lvmtest.Empty), Devices: []Device{a, b}})
	assertRefused(t, p, err, "are the same disk (/dev/vdb)")
}

func TestImmutableSettingsThatDifferAreReportedNotChanged(t *testing.T) {
	rep := report(t, lvmtest.Pool)
	opts := map[string]any{"devices": []string{"/dev/vdb"}, "chunk_size": "64K", "zero": true}
	p, err := PlanPresent(config(t, opts), &Observed{LVM: rep, Devices: []Device{pvOf(t, rep, "/dev/vdb")}})
	assertRefused(t, p, err, "chunk size is 512K, requested 64K", "zeroing is false, requested true")
}

func TestSizesThatDoNotFitAreRefusedCountingTheSpareMetadata(t *testing.T) {
	// 97%VG + 2%VG + LVM's 2%VG spare copy of the metadata = 101%.
	opts := map[string]any{"devices": []string{"/dev/vdb"}, "data_size": "97%VG", "metadata_size": "2%VG"}
	p, err := PlanPresent(config(t, opts), &Observed{LVM: report(t, lvmtest.Empty), Devices: []Device{blankDisk("/dev/vdb")}})
	assertRefused(t, p, err, "does not fit in volume group docker", "spare copy of the metadata")

	opts["data_size"] = "95%VG" // 95 + 2 + 2 fits
	if _, err := PlanPresent(config(t, opts), &Observed{LVM: report(t, lvmtest.Empty), Devices: []Device{blankDisk("/dev/vdb")}}); err != nil {
		t.Errorf("95%%VG + 2%%VG + spare should fit: %v", err)
	}
}

func TestASecondDiskGrowsThePoolAndItsMetadata(t *testing.T) {
	rep := report(t, lvmtest.Pool)
	devs := []Device{pvOf(t, rep, "/dev/vdb"), blankDisk("/dev/vdc")}
	p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb", "/dev/vdc"}}), &Observed{LVM: rep, Devices: devs})
	if err != nil {
		t.Fatal(err)
	}
	// 1023 + 1023 extents: 95% is 1943, 1% is 20 (80 MiB).
	assertCommands(t, p, "pvcreate /dev/vdc", "vgextend docker /dev/vdc",
		"lvextend --poolmetadatasize 83886080b docker/thinpool", "lvextend -l 1943 docker/thinpool")
	if p.After.SizeBytes != 1943*(4<<20) {
		t.Errorf("predicted size %d", p.After.SizeBytes)
	}

	noGrow := config(t, map[string]any{"devices": []string{"/dev/vdb", "/dev/vdc"}, "grow": false})
	p, err = PlanPresent(noGrow, &Observed{LVM: rep, Devices: devs})
	if err != nil {
		t.Fatal(err)
	}
	assertCommands(t, p)
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "grow=false") {
		t.Errorf("grow=false should warn that /dev/vdc is left alone: %q", p.Warnings)
	}
}

func TestADiskThatGrewInPlaceIsResizedAndThePoolGrows(t *testing.T) {
	rep := report(t, lvmtest.Pool)
	if p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb"}}), &Observed{LVM: rep, Devices: []Device{pvOf(t, rep, "/dev/vdb")}}); err != nil || len(p.Steps) != 0 {
		t.Fatalf("the fixture's 4 GiB disk, used whole, needs nothing: %v %v", p.Actions(), err)
	}
	// The cloud volume went from 4 GiB to 8 GiB: 1024 more extents.
	grown := pvOf(t, rep, "/dev/vdb")
	grown.PV.DevSizeBytes = 8 << 30
	grown.PV.PEStartBytes = 1 << 20
	p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb"}}), &Observed{LVM: rep, Devices: []Device{grown}})
	if err != nil {
		t.Fatal(err)
	}
	// 2047 extents: 95% is 1944, 1% is 20 (80 MiB).
	assertCommands(t, p, "pvresize /dev/vdb",
		"lvextend --poolmetadatasize 83886080b docker/thinpool", "lvextend -l 1944 docker/thinpool")

	p, err = PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb"}, "grow": false}), &Observed{LVM: rep, Devices: []Device{grown}})
	if err != nil {
		t.Fatal(err)
	}
	assertCommands(t, p)
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "/dev/vdb of volume group docker grew by 4.0 GiB") {
		t.Errorf("grow=false should say what pvresize would take: %q", p.Warnings)
	}
}

func TestAbsentRefusesAPoolInUse(t *testing.T) {
	rep := report(t, lvmtest.PoolInUseOther)
	rep.LVs[len(rep.LVs)-1].Open = true // the fixture's thin volume vol1, as a running docker holds it
	for _, lv := range rep.LVs {
		if lv.Name == "vol1" && !lv.Open {
			t.Fatal("fixture layout changed: vol1 is not the last LV")
		}
	}
	p, err := PlanAbsent(config(t, map[string]any{"state": "absent"}), &Observed{LVM: rep})
	assertRefused(t, p, err, "thin pool docker/thinpool is in use", "docker/vol1", "stop docker")
}

// emptyPool is an active pool's device-mapper status with nothing in it.
var emptyPool = &dmsetup.ThinPool{UsedMetadataBlocks: 141, TotalMetadataBlocks: 10240, TotalDataBlocks: 16272}

func TestAbsentRefusesAPoolThatHoldsAnything(t *testing.T) {
	withVolume := report(t, lvmtest.PoolInUseOther) // its thin volume vol1, closed
	p, err := PlanAbsent(config(t, map[string]any{"state": "absent"}), &Observed{LVM: withVolume, PoolUse: emptyPool})
	assertRefused(t, p, err, "thin pool docker/thinpool holds thin volume(s) docker/vol1", "lvremove docker/vol1")

	// docker's devices are not LVM volumes: only the used data blocks tell.
	dockers := &dmsetup.ThinPool{TransactionID: 4, UsedMetadataBlocks: 200, TotalMetadataBlocks: 10240, UsedDataBlocks: 1503, TotalDataBlocks: 16272}
	p, err = PlanAbsent(config(t, map[string]any{"state": "absent"}), &Observed{LVM: report(t, lvmtest.Pool), PoolUse: dockers})
	assertRefused(t, p, err, "holds data (1503 of 16272 data blocks used, transaction ID 4)", "docker's images and containers",
		"Move docker off the pool first", "lvremove docker/thinpool")

	p, err = PlanAbsent(config(t, map[string]any{"state": "absent"}), &Observed{LVM: report(t, lvmtest.Pool)})
	assertRefused(t, p, err, "thin pool docker/thinpool is not active", "lvchange -ay docker/thinpool")
}

func TestAbsentRemovesThePoolAndWithRemoveVGTheVG(t *testing.T) {
	rep := report(t, lvmtest.Pool)
	p, err := PlanAbsent(config(t, map[string]any{"state": "absent"}), &Observed{LVM: rep, PoolUse: emptyPool})
	if err != nil {
		t.Fatal(err)
	}
	assertCommands(t, p, "lvremove -y docker/thinpool")

	p, err = PlanAbsent(config(t, map[string]any{"state": "absent", "remove_vg": true}), &Observed{LVM: rep, PoolUse: emptyPool})
	if err != nil {
		t.Fatal(err)
	}
	assertCommands(t, p, "lvremove -y docker/thinpool", "vgremove -y docker", "pvremove -y /dev/vdb")

	p, err = PlanAbsent(config(t, map[string]any{"state": "absent"}), &Observed{LVM: report(t, lvmtest.Empty)})
	if err != nil {
		t.Fatal(err)
	}
	assertCommands(t, p)
}

func TestBadOptionsAreAllReportedAtOnce(t *testing.T) {
	req := map[string]any{"devices": []string{"vdb", "/dev/vdc", "/dev/vdc"}, "vg": "-docker", "thinpool": "pool_tmeta/x y",
		"data_size": "95%PV", "metadata_size": "1M", "chunk_size": "100K", "remove_vg": true}
	r, err := newRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = moduletest.Parse(r.Params, ParseConfig)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{`"vdb" is not an absolute path`, "/dev/vdc is listed twice", `vg="-docker" is not a valid LVM name`,
		`"_tmeta"`, `thinpool="pool_tmeta/x y" is not a valid LVM name`, "data_size:", "metadata_size=1M is out of range", "chunk_size=100K is not valid", "remove_vg=true is only valid with state=absent"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

// A "-" in a name counts twice in device-mapper's names (LVM doubles it):
// names short enough for LVM can still be too long for the kernel.
func TestDashesCountTwiceInDeviceMapperNames(t *testing.T) {
	vg := "a" + strings.Repeat("-", 39) // 40 characters, 79 once doubled
	pool := strings.Repeat("p", 70)     // 40 + 70 + 6 = 116: fine for LVM
	r, err := newRequest(map[string]any{"devices": []string{"/dev/vdb"}, "vg": vg, "thinpool": pool})
	if err != nil {
		t.Fatal(err)
	}
	_, err = moduletest.Parse(r.Params, ParseConfig)
	if err == nil || !strings.Contains(err.Error(), "make the device-mapper name") || !strings.Contains(err.Error(), "(a \"-\" counts twice)") {
		t.Errorf("want the device-mapper name refused; got %v", err)
	}
}

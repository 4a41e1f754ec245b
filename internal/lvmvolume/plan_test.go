package lvmvolume

import (
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/blockdev"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/lvmvg"
	"github.com/directlvm/docker/internal/module/moduletest"
	"github.com/directlvm/docker/internal/xfs"
)

var vdb = map[string]any{"devices": []string{"/dev/vdb"}}

const (
	createLV = "lvcreate -y --wipesignatures y -n data -l 100%VG --addtag directlvm.docker docker"
	mkfs     = "mkfs.xfs -q -n ftype=1 /dev/docker/data"
)

func report(t *testing.T, name string) *lvm.Report {
	t.Helper()
	rep, err := lvm.ParseReport(lvmtest.Raw(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func config(t *testing.T, opts map[string]any) Config {
	t.Helper()
	return moduletest.Config(t, Name, Spec(), ParseConfig, opts)
}

// withData is the captured state "a plain LV of 95%VG" (lvmtest.DataLVOnly,
// 52 of 1023 extents free) with that LV named data, made by this module
// when ours is set.
func withData(t *testing.T, ours bool) *lvm.Report {
	rep := report(t, lvmtest.DataLVOnly)
	for i := range rep.LVs {
		if rep.LVs[i].Name == "thinpool" {
			rep.LVs[i].Name, rep.LVs[i].DMPath = "data", "/dev/mapper/docker-data"
			if ours {
				rep.LVs[i].Tags = []string{OwnerTag}
			}
		}
	}
	return rep
}

func pvOf(t *testing.T, rep *lvm.Report, path string) lvmvg.Device {
	pv, ok := rep.PV(path)
	if !ok {
		t.Fatalf("%s is not a PV in the fixture", path)
	}
	return lvmvg.Device{Given: path, Path: path, PV: &pv}
}

// volume is what lsblk and wipefs say of the LV: signatures and mounts.
func volume(mounts []string, signatures ...string) *blockdev.Device {
	d := &blockdev.Device{Path: "/dev/dm-0", Type: "lvm", Mountpoints: mounts}
	for _, s := range signatures {
		d.Signatures = append(d.Signatures, blockdev.Signature{Type: s})
	}
	return d
}

const dataLVBytes = 971 * (4 << 20) // the fixture's LV: 95% of 1023 extents

func TestABlankDiskGetsAVolumeWithXFS(t *testing.T) {
	obs := &Observed{LVM: report(t, lvmtest.Empty), Devices: []lvmvg.Device{{Given: "/dev/vdb", Path: "/dev/vdb",
		Disk: &blockdev.Device{Given: "/dev/vdb", Path: "/dev/vdb", SizeBytes: 4 << 30, Type: "disk"}}}}
	p, err := PlanPresent(config(t, vdb), obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	moduletest.AssertSteps(t, p, "pvcreate /dev/vdb", "vgcreate docker /dev/vdb", createLV, mkfs)
	if p.After.SizeBytes != 1023*(4<<20) || p.After.FSType != "xfs" || !p.After.FType {
		t.Errorf("predicted volume: %+v", p.After)
	}
}

func TestAMountedVolumeThatFillsItsShareNeedsNothing(t *testing.T) {
	rep := withData(t, true)
	obs := &Observed{LVM: rep, Devices: []lvmvg.Device{pvOf(t, rep, "/dev/vdb")},
		Volume: volume([]string{"/var/lib/docker"}, "xfs"), FS: &xfs.Superblock{SizeBytes: dataLVBytes - 8<<20, FType: true}}
	p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb"}, "size": "95%VG"}), obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	moduletest.AssertSteps(t, p)
}

func TestAVolumeGrowsWithTheVGAndItsMountedXFSWithIt(t *testing.T) {
	rep := withData(t, true)
	obs := &Observed{LVM: rep, Devices: []lvmvg.Device{pvOf(t, rep, "/dev/vdb")},
		Volume: volume([]string{"/var/lib/docker"}, "xfs"), FS: &xfs.Superblock{SizeBytes: dataLVBytes, FType: true}}
	p, err := PlanPresent(config(t, vdb), obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	moduletest.AssertSteps(t, p, "lvextend -l 1023 docker/data", "xfs_growfs /var/lib/docker")

	// With grow=false nothing grows.
	p, err = PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb"}, "grow": false}), obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	moduletest.AssertSteps(t, p)
}

func TestAnUnmountedXFSIsGrownThroughAMountOfItsOwn(t *testing.T) {
	rep := withData(t, true)
	obs := &Observed{LVM: rep, Devices: []lvmvg.Device{pvOf(t, rep, "/dev/vdb")},
		Volume: volume(nil, "xfs"), FS: &xfs.Superblock{SizeBytes: dataLVBytes, FType: true}}
	p, err := PlanPresent(config(t, vdb), obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	moduletest.AssertSteps(t, p, "lvextend -l 1023 docker/data",
		"mount -t xfs /dev/docker/data DIR; xfs_growfs DIR; umount DIR")
}

// A run cut after lvcreate is finished: the filesystem is made.
func TestAVolumeOfOursWithoutAFilesystemGetsOne(t *testing.T) {
	rep := withData(t, true)
	obs := &Observed{LVM: rep, Devices: []lvmvg.Device{pvOf(t, rep, "/dev/vdb")}, Volume: volume(nil)}
	p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb"}, "size": "95%VG"}), obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	moduletest.AssertSteps(t, p, mkfs)
}

func TestWhatTheModuleDidNotMakeIsLeftAlone(t *testing.T) {
	for _, tc := range []struct {
		name string
		ours bool
		obs  func(o *Observed)
		opts map[string]any
		want []string
	}{
		{name: "another filesystem", ours: true, obs: func(o *Observed) { o.Volume = volume(nil, "ext4") },
			want: []string{"docker/data carries a ext4 signature", "lvremove docker/data"}},
		{name: "a volume of someone else's without a filesystem", obs: func(o *Observed) { o.Volume = volume(nil) },
			want: []string{"was not made by this module", "force=true"}},
		{name: "XFS without d_type", ours: true, obs: func(o *Observed) {
			o.Volume, o.FS = volume(nil, "xfs"), &xfs.Superblock{SizeBytes: dataLVBytes}
		}, want: []string{"ftype=0", "overlay2 cannot use", "mkfs.xfs -n ftype=1"}},
		{name: "an inactive volume", ours: true, obs: func(o *Observed) { o.Volume = nil },
			want: []string{"not active", "lvchange -ay docker/data"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := withData(t, tc.ours)
			obs := &Observed{LVM: rep, Devices: []lvmvg.Device{pvOf(t, rep, "/dev/vdb")}}
			tc.obs(obs)
			p, err := PlanPresent(config(t, vdb), obs, nil)
			moduletest.AssertRefused(t, p, err, tc.want...)
		})
	}
	// force=true makes XFS on an empty volume of someone else's.
	rep := withData(t, false)
	obs := &Observed{LVM: rep, Devices: []lvmvg.Device{pvOf(t, rep, "/dev/vdb")}, Volume: volume(nil)}
	p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb"}, "size": "95%VG", "force": true}), obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	moduletest.AssertSteps(t, p, mkfs)
}

func TestAVolumeThatDoesNotFitIsRefusedBeforeAnyChange(t *testing.T) {
	rep := report(t, lvmtest.DataLVOnly) // 52 extents (208 MiB) free
	obs := &Observed{LVM: rep, Devices: []lvmvg.Device{pvOf(t, rep, "/dev/vdb")}}
	for _, tc := range []struct {
		size string
		want string
	}{
		{"100%FREE", "less than the 300 MiB mkfs.xfs needs"},
		{"1G", "needs 1.0 GiB but the VG has 208.0 MiB free"},
	} {
		p, err := PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb"}, "size": tc.size}), obs, nil)
		moduletest.AssertRefused(t, p, err, tc.want)
	}
}

func TestBadOptionsAreNamedAllAtOnce(t *testing.T) {
	_, err := ParseConfig(Options{Devices: []string{"vdb", "vdb"}, VG: "docker", LV: "-x", Size: "100M", FSType: "xfs"})
	for _, want := range []string{`lv="-x" is not a valid LVM name`, `devices: "vdb" is not an absolute path`, "listed twice", "size=100M is too small"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

// On a direct-lvm host (the captured runbook pool: 95%VG data, 1%VG
// metadata and its spare on one 4 GiB disk) the volume does not fit beside
// the pool: refused, naming the sizes, before any change.
func TestOnADirectLVMHostTheVolumeDoesNotFitBesideThePool(t *testing.T) {
	rep := report(t, lvmtest.Pool)
	obs := &Observed{LVM: rep, Devices: []lvmvg.Device{pvOf(t, rep, "/dev/vdb")}}
	p, err := PlanPresent(config(t, vdb), obs, nil)
	moduletest.AssertRefused(t, p, err, "volume docker/data does not fit in volume group docker", "size=100%VG needs 4.0 GiB", "add a disk")
	p, err = PlanPresent(config(t, map[string]any{"devices": []string{"/dev/vdb"}, "size": "100%FREE"}), obs, nil)
	moduletest.AssertRefused(t, p, err, "less than the 300 MiB mkfs.xfs needs")
}

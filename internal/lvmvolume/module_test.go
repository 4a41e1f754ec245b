package lvmvolume

import (
	"context"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/hostlock"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/lvmvg"
	"github.com/directlvm/docker/internal/runner"
)

func execute(t *testing.T, f *runner.Fake, args map[string]any) map[string]any {
	t.Helper()
	lock := func(context.Context, hostlock.Owner) (func(), error) { return func() {}, nil }
	return ansibletest.Run(t, Module(Host{Host: lvmvg.Host{Run: f, Resolve: func(p string) (string, error) { return p, nil }, Lock: lock}}), args)
}

// The volume as the guest showed it after lvcreate and mkfs.xfs: the
// captured report of a 95%VG plain LV, named data; lsblk, wipefs and
// xfs_info on its device.
func reportWithData(t *testing.T) string {
	return strings.NewReplacer(`"thinpool"`, `"data"`, "docker-thinpool", "docker-data").
		Replace(string(lvmtest.Raw(t, lvmtest.DataLVOnly)))
}

const (
	volumeDev   = "/dev/mapper/docker-data"
	volumeLsblk = `{"blockdevices":[{"name":"/dev/mapper/docker-data","type":"lvm","size":4072669184,"fstype":"xfs","mountpoints":[null],"pkname":"/dev/vdb"}]}`
	volumeXFS   = `{"signatures":[{"device":"dm-0","offset":"0x0","type":"xfs","uuid":"3e8f6a3c-8f0e-4d1a-9a55-0d4c1c3b5a10","label":null}]}`
	volumeInfo  = "meta-data=/dev/mapper/docker-data isize=512    agcount=4, agsize=248576 blks\ndata     =                       bsize=4096   blocks=994304, imaxpct=25\nnaming   =version 2              bsize=4096   ascii-ci=0, ftype=1\n"
)

func expectVolumeRead(f *runner.Fake) {
	f.Expect("lsblk", "--json", "--bytes", "--paths", "--output", "NAME,TYPE,SIZE,FSTYPE,MOUNTPOINTS,PKNAME", volumeDev).Stdout(volumeLsblk)
	f.Expect("wipefs", "--no-act", "--json", volumeDev).Stdout(volumeXFS)
	f.Expect("xfs_info", volumeDev).Stdout(volumeInfo)
}

// createTheVolume runs the module on a host whose VG exists without the
// volume: lvcreate, mkfs.xfs, then the state re-read.
func createTheVolume(t *testing.T, args map[string]any) map[string]any {
	t.Helper()
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.VGOnly)))
	f.Expect("lvcreate", "-y", "--wipesignatures", "y", "-n", "data", "-l", "95%VG", "--addtag", "directlvm.docker", "docker")
	f.Expect("mkfs.xfs", "-q", "-n", "ftype=1", "/dev/docker/data")
	f.Expect(lvm.ReportArgv()...).Stdout(reportWithData(t))
	expectVolumeRead(f)
	return execute(t, f, args)
}

func TestApplyMakesTheVolumeThenReportsItAsReRead(t *testing.T) {
	res := createTheVolume(t, map[string]any{"devices": []string{"/dev/vdb"}, "size": "95%VG", "_ansible_diff": true})
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("result: %v", res)
	}
	vol, _ := res["volume"].(map[string]any)
	if vol["present"] != true || vol["fstype"] != "xfs" || vol["ftype"] != true || vol["fs_size_bytes"] != float64(994304*4096) {
		t.Errorf("reported volume is not the re-read one: %v", vol)
	}
	if msg, _ := res["msg"].(string); !strings.Contains(msg, "volume /dev/mapper/docker-data ready") || !strings.Contains(msg, "not mounted") {
		t.Errorf("msg: %v", res["msg"])
	}
}

// RETURN in plugins/modules/lvm_volume.py documents every key a run
// returns (in diff mode, so that diff is there too), and no key it does not.
func TestReturnDocumentsWhatARunReturns(t *testing.T) {
	doc := ansibletest.Docs(t, Name)[Name]
	res := createTheVolume(t, map[string]any{"devices": []string{"/dev/vdb"}, "size": "95%VG", "_ansible_diff": true})
	ansibletest.CheckReturnDocs(t, Name, doc, res)
}

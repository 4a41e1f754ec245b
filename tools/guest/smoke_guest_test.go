package guest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// The harness's own proof that the guest has a working LVM thin-pool stack:
// the manual runbook's pool on a blank disk, as `lvs` reports it in JSON.
func TestGuestSmokeThinPoolOnABlankDisk(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	r := guesttest.Runner()
	ctx := context.Background()
	for _, argv := range [][]string{
		{"pvcreate", disk},
		{"vgcreate", "smoke", disk},
		{"lvcreate", "--wipesignatures", "y", "-n", "thinpool", "smoke", "-l", "95%VG"},
		{"lvcreate", "--wipesignatures", "y", "-n", "thinpoolmeta", "smoke", "-l", "1%VG"},
		{"lvconvert", "-y", "--zero", "n", "-c", "512K", "--thinpool", "smoke/thinpool", "--poolmetadata", "smoke/thinpoolmeta"},
	} {
		if _, err := r.Run(ctx, runner.Command(argv...)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.Run(ctx, runner.Command("lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
		"-o", "lv_name,lv_attr,segtype,chunk_size,zero,seg_monitor", "smoke/thinpool"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("lvs: %s", res.Stdout)
	var report struct {
		Report []struct {
			LV []map[string]string `json:"lv"`
		} `json:"report"`
	}
	if err := json.Unmarshal(res.Stdout, &report); err != nil {
		t.Fatalf("lvs JSON: %v", err)
	}
	if len(report.Report) != 1 || len(report.Report[0].LV) != 1 {
		t.Fatalf("want one LV in the report, got %+v", report)
	}
	lv := report.Report[0].LV[0]
	if lv["segtype"] != "thin-pool" || !strings.HasPrefix(lv["lv_attr"], "t") {
		t.Errorf("smoke/thinpool is not a thin pool: %v", lv)
	}
	if lv["chunk_size"] != "524288" {
		t.Errorf("chunk size = %s bytes, want 524288 (512K)", lv["chunk_size"])
	}
	if lv["seg_monitor"] != "monitored" {
		t.Errorf("seg_monitor = %q, want monitored (dmeventd)", lv["seg_monitor"])
	}
}

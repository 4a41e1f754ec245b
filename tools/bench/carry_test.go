package bench

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTheCarryCaseReadsWhatDockerStorageCarriedFromTheLog(t *testing.T) {
	log := `TASK [directlvm.docker.direct_lvm : Thin pool on the devices] ****
changed: [guest] => {"changed": true, "thinpool": {"dm_path": "/dev/mapper/docker-thinpool"}}
TASK [directlvm.docker.direct_lvm : Docker on devicemapper with the thin pool] ****
changed: [guest] => {"changed": true, "docker_storage": {"driver": "devicemapper", "carried": {"images": ["carry:1", "carry:2"], "bytes": 134231040, "seconds": 21.5, "volumes": []}}}
`
	path := filepath.Join(t.TempDir(), "carry.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := carriedIn(f)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Images, []string{"carry:1", "carry:2"}) || c.Bytes != 134231040 || c.Seconds != 21.5 {
		t.Errorf("carried: %+v", c)
	}
	table := CarryMeasure{Images: 2, ImageMiB: 64, Carried: c.Images, Bytes: c.Bytes, Seconds: c.Seconds}.Markdown()
	if !strings.Contains(table, "| 2 of 64 MiB each (128 MiB) | 134,231,040 bytes | 21.5 s | 6.0 MiB/s |") {
		t.Errorf("table:\n%s", table)
	}
}

func TestACarryLogWithoutDockerStorageIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carry.log")
	if err := os.WriteFile(path, []byte("fatal: [guest]: UNREACHABLE!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := carriedIn(f); err == nil || !strings.Contains(err.Error(), "no docker_storage result") {
		t.Errorf("err: %v", err)
	}
}

package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

// The carry case: docker on loop-lvm holding CarryImages images of
// CarryImageMiB MiB each is switched to the pool by the role, which
// carries the images over (export, then load, through the Engine API).
const (
	CarryImages   = 4
	CarryImageMiB = 64
	carryDisk     = "bench-d"
)

// CarryMeasure is what the carry case measured.
type CarryMeasure struct {
	Images, ImageMiB int
	// Carried and Bytes are what docker_storage reports it carried (its
	// result's carried.images and carried.bytes), Seconds the time its
	// export and load took (carried.seconds).
	Carried []string
	Bytes   int64
	Seconds float64
	// Wall is the role's whole run, from ansible-playbook's start to exit.
	Wall time.Duration
}

// measureCarry prepares loop-lvm with the images (not measured), runs the
// role once and reads what docker_storage says it carried.
func (b *bench) measureCarry(ctx context.Context, prevDisk string) (CarryMeasure, error) {
	m := CarryMeasure{Images: CarryImages, ImageMiB: CarryImageMiB}
	if _, err := b.ssh(ctx, guestDir+"/carry-prepare.sh", fmt.Sprint(CarryImages), fmt.Sprint(CarryImageMiB), prevDisk); err != nil {
		return m, fmt.Errorf("preparing loop-lvm with %d images: %w", CarryImages, err)
	}
	logPath := filepath.Join(b.o.WorkDir, fmt.Sprintf("carry-%d.log", time.Now().Unix()))
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return m, err
	}
	defer log.Close()
	start := time.Now()
	_, err = b.r.Run(ctx, runner.Cmd{
		Argv: []string{b.o.AnsiblePlaybook, "-v", "-i", filepath.Join(b.o.WorkDir, "inventory.ini"),
			"-e", "bench_disk=/dev/disk/by-id/virtio-" + carryDisk, filepath.Join(b.o.WorkDir, "role.yml")},
		Env: []string{"ANSIBLE_COLLECTIONS_PATH=" + b.o.CollectionsPath, "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false",
			"ANSIBLE_HOST_KEY_CHECKING=False", "ANSIBLE_NOCOLOR=1", "ANSIBLE_CALLBACK_RESULT_FORMAT=json", "ANSIBLE_CALLBACK_FORMAT_PRETTY=false",
			"ANSIBLE_SSH_ARGS=-o ControlMaster=auto -o ControlPersist=120s"},
		Stdout: log, Stderr: log, Timeout: 30 * time.Minute})
	m.Wall = time.Since(start)
	if err != nil {
		return m, fmt.Errorf("the carry case's run: %w (log: %s)", err, logPath)
	}
	if _, err := log.Seek(0, 0); err != nil {
		return m, err
	}
	carried, err := carriedIn(log)
	if err != nil {
		return m, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	m.Carried, m.Bytes, m.Seconds = carried.Images, carried.Bytes, carried.Seconds
	if len(m.Carried) != CarryImages {
		return m, fmt.Errorf("docker_storage carried %q, want %d images (log: %s)", m.Carried, CarryImages, logPath)
	}
	return m, nil
}

type carried struct {
	Images  []string `json:"images"`
	Bytes   int64    `json:"bytes"`
	Seconds float64  `json:"seconds"`
}

// carriedIn finds docker_storage's result in ansible-playbook -v output
// (one JSON object per result line, after "=> ") and returns its carried.
func carriedIn(log *os.File) (carried, error) {
	sc := bufio.NewScanner(log)
	sc.Buffer(make([]byte, 4<<20), 4<<20)
	for sc.Scan() {
		_, js, ok := strings.Cut(sc.Text(), "=> ")
		if !ok || !strings.Contains(js, `"docker_storage"`) {
			continue
		}
		var res struct {
			DockerStorage *struct {
				Carried carried `json:"carried"`
			} `json:"docker_storage"`
		}
		if json.Unmarshal([]byte(js), &res) == nil && res.DockerStorage != nil {
			return res.DockerStorage.Carried, nil
		}
	}
	if err := sc.Err(); err != nil {
		return carried{}, err
	}
	return carried{}, fmt.Errorf("no docker_storage result in the run's output")
}

// Markdown is the carry case's table.
func (m CarryMeasure) Markdown() string {
	var b strings.Builder
	b.WriteString("| images carried (loop-lvm → pool) | export size | export + load (docker_storage) | throughput | the role's whole run |\n")
	b.WriteString("|---|---:|---:|---:|---:|\n")
	rate := "n/a"
	if m.Seconds > 0 {
		rate = fmt.Sprintf("%.1f MiB/s", float64(m.Bytes)/(1<<20)/m.Seconds)
	}
	fmt.Fprintf(&b, "| %d of %d MiB each (%d MiB) | %s bytes | %.1f s | %s | %s |\n",
		len(m.Carried), m.ImageMiB, len(m.Carried)*m.ImageMiB, thousands(m.Bytes), m.Seconds, rate, secs(m.Wall))
	return b.String()
}

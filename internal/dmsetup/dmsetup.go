// Package dmsetup asks device-mapper about its devices through dmsetup(8)
// and parses what it prints.
package dmsetup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/directlvm/docker/internal/runner"
)

// ErrNotFound is a device device-mapper does not have.
var ErrNotFound = errors.New("no such device-mapper device")

// ErrPoolFailed is a thin pool whose status is the single word "Fail"
// (it met device errors) or "Error" (its metadata cannot be read), as the
// kernel's thin-provisioning.rst describes: only repair tools help.
var ErrPoolFailed = errors.New("the thin pool has failed")

// StatusArgv asks device-mapper for one device's status.
func StatusArgv(name string) []string { return []string{"dmsetup", "status", name} }

// Status is the first segment of a device's status line:
// "<start> <length> <target> <target fields...>".
type Status struct {
	// Target is the segment's target type, e.g. "thin-pool", "linear".
	Target string
	// Fields are the target's own fields, as printed.
	Fields []string
}

// ReadStatus runs dmsetup status NAME. A device that does not exist (exit
// status 1, "Device does not exist.") is ErrNotFound.
func ReadStatus(ctx context.Context, r runner.Runner, name string) (Status, error) {
	res, err := r.Run(ctx, runner.Command(StatusArgv(name)...))
	if err != nil {
		if runner.ExitCodeOf(err) == 1 && strings.Contains(string(res.Stderr)+string(res.Stdout), "does not exist") {
			return Status{}, fmt.Errorf("%s: %w", name, ErrNotFound)
		}
		return Status{}, fmt.Errorf("reading device-mapper device %s: %w", name, err)
	}
	s, err := ParseStatus(res.Stdout)
	if err != nil {
		return Status{}, fmt.Errorf("reading device-mapper device %s: %w", name, err)
	}
	return s, nil
}

// ParseStatus reads the first line of dmsetup status.
func ParseStatus(out []byte) (Status, error) {
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	f := strings.Fields(line)
	if len(f) < 3 {
		return Status{}, fmt.Errorf("unexpected dmsetup status output %q", line)
	}
	return Status{Target: f[2], Fields: f[3:]}, nil
}

// ThinPool is the status of a thin-pool target (the kernel's
// Documentation/admin-guide/device-mapper/thin-provisioning.rst):
// "<transaction id> <used metadata blocks>/<total metadata blocks>
// <used data blocks>/<total data blocks> ...".
type ThinPool struct {
	TransactionID                           uint64
	UsedMetadataBlocks, TotalMetadataBlocks uint64
	UsedDataBlocks, TotalDataBlocks         uint64
}

// ParseThinPool reads a thin-pool target's fields.
func ParseThinPool(s Status) (ThinPool, error) {
	var p ThinPool
	if s.Target != "thin-pool" {
		return p, fmt.Errorf("the target is %s, not thin-pool", s.Target)
	}
	if len(s.Fields) >= 1 && (s.Fields[0] == "Fail" || s.Fields[0] == "Error") {
		return p, fmt.Errorf("%w (dmsetup status says %s)", ErrPoolFailed, s.Fields[0])
	}
	if len(s.Fields) < 3 {
		return p, fmt.Errorf("thin-pool status %q has fewer than 3 fields", strings.Join(s.Fields, " "))
	}
	var errs []error
	num := func(field, text string) uint64 {
		n, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("thin-pool status: %s %q is not a number", field, text))
		}
		return n
	}
	ratio := func(field, text string) (used, total uint64) {
		u, t, ok := strings.Cut(text, "/")
		if !ok {
			errs = append(errs, fmt.Errorf("thin-pool status: %s %q is not USED/TOTAL", field, text))
			return 0, 0
		}
		return num("used "+field, u), num("total "+field, t)
	}
	p.TransactionID = num("transaction id", s.Fields[0])
	p.UsedMetadataBlocks, p.TotalMetadataBlocks = ratio("metadata blocks", s.Fields[1])
	p.UsedDataBlocks, p.TotalDataBlocks = ratio("data blocks", s.Fields[2])
	return p, errors.Join(errs...)
}

// ReadPoolOf reads the thin-pool status of LVM's pool whose device-mapper
// name is name: LVM shows the pool as NAME while it holds no LVM thin
// volume (docker uses it so), and as NAME-tpool, NAME being a placeholder,
// once it does. ErrNotFound when neither exists (the pool is not active).
func ReadPoolOf(ctx context.Context, r runner.Runner, name string) (ThinPool, error) {
	st, err := ReadStatus(ctx, r, name)
	if err != nil {
		return ThinPool{}, err
	}
	if st.Target != "thin-pool" {
		if st, err = ReadStatus(ctx, r, name+"-tpool"); err != nil {
			return ThinPool{}, err
		}
	}
	return ParseThinPool(st)
}

// Message sends a message to a thin-pool device (dmsetup message NAME 0
// TEXT), e.g. "delete 1" or "set_transaction_id 3 0".
func Message(ctx context.Context, r runner.Runner, name, text string) error {
	if _, err := r.Run(ctx, runner.Command("dmsetup", "message", name, "0", text)); err != nil {
		return fmt.Errorf("device-mapper message %q to %s: %w", text, name, err)
	}
	return nil
}

// Remove removes a device, retrying while udev still holds it open.
func Remove(ctx context.Context, r runner.Runner, name string) error {
	if _, err := r.Run(ctx, runner.Command("dmsetup", "remove", "--retry", name)); err != nil {
		return fmt.Errorf("removing device-mapper device %s: %w", name, err)
	}
	return nil
}

// ThinDevicesOf lists the active thin devices (target "thin") whose pool
// is the device pool, by name.
func ThinDevicesOf(ctx context.Context, r runner.Runner, pool string) ([]string, error) {
	res, err := r.Run(ctx, runner.Command("dmsetup", "info", "-c", "--noheadings", "-o", "major,minor", pool))
	if err != nil {
		return nil, fmt.Errorf("reading device-mapper device %s: %w", pool, err)
	}
	dev := strings.TrimSpace(string(res.Stdout))
	res, err = r.Run(ctx, runner.Command("dmsetup", "table", "--target", "thin"))
	if err != nil {
		return nil, fmt.Errorf("listing thin devices: %w", err)
	}
	return ParseThinTables(res.Stdout, dev), nil
}

// ParseThinTables reads dmsetup table --target thin, one line a device
// ("NAME: START LENGTH thin POOL_MAJOR:MINOR DEV_ID [EXTERNAL]"), and
// returns the devices whose pool is poolDev (MAJOR:MINOR). Names may hold
// colons (docker's are docker-254:1-1234-base), so the name ends at the
// first ": ".
func ParseThinTables(out []byte, poolDev string) []string {
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		name, table, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		if f := strings.Fields(table); len(f) >= 4 && f[2] == "thin" && f[3] == poolDev {
			names = append(names, name)
		}
	}
	return names
}

// Package procacct reads Linux BSD process accounting (acct(2), acct(5)):
// once accounting is on, the kernel appends one record to a file for every
// process that exits, with its command name, PID, parent PID, exit code and
// elapsed time. The benchmark turns it on in the guest to count the
// commands that really ran there, and how long they took.
package procacct

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// RecordSize is the size of one acct_v3 record.
const RecordSize = 64

// ticksPerSecond is AHZ, the unit of the elapsed time in a record.
const ticksPerSecond = 100

// Record is one exited process.
type Record struct {
	// Comm is the command name: the basename of the executed file, at most
	// 15 bytes (lvcreate, lvm, dockerd, AnsiballZ_lvm_t...).
	Comm string
	PID  uint32
	PPID uint32
	// ExitCode is the wait status's exit code.
	ExitCode uint32
	// Start is when the process started, to the second.
	Start time.Time
	// Elapsed is its wall time, to 10 ms.
	Elapsed time.Duration
	// CPU is the user plus system CPU time it used, to 10 ms.
	CPU time.Duration
}

// Parse reads acct_v3 records until EOF.
func Parse(r io.Reader) ([]Record, error) {
	var out []Record
	buf := make([]byte, RecordSize)
	for {
		_, err := io.ReadFull(r, buf)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("process accounting record %d: %w", len(out), err)
		}
		rec, err := decode(buf)
		if err != nil {
			return out, fmt.Errorf("process accounting record %d: %w", len(out), err)
		}
		out = append(out, rec)
	}
}

// decode reads struct acct_v3 (linux/acct.h), little-endian as on amd64
// and arm64:
//
//	char ac_flag; char ac_version; u16 ac_tty; u32 ac_exitcode;
//	u32 ac_uid; u32 ac_gid; u32 ac_pid; u32 ac_ppid; u32 ac_btime;
//	float ac_etime; comp_t ac_utime, ac_stime, ac_mem, ac_io, ac_rw,
//	ac_minflt, ac_majflt, ac_swaps; char ac_comm[16];
func decode(b []byte) (Record, error) {
	if v := b[1] &^ 0x80; v != 3 {
		return Record{}, fmt.Errorf("version %d, want acct_v3 (the kernel needs CONFIG_BSD_PROCESS_ACCT_V3)", v)
	}
	le := binary.LittleEndian
	etime := math.Float32frombits(le.Uint32(b[28:32]))
	comm := string(b[48:64])
	if i := strings.IndexByte(comm, 0); i >= 0 {
		comm = comm[:i]
	}
	return Record{
		Comm:     comm,
		ExitCode: le.Uint32(b[4:8]),
		PID:      le.Uint32(b[16:20]),
		PPID:     le.Uint32(b[20:24]),
		Start:    time.Unix(int64(le.Uint32(b[24:28])), 0),
		Elapsed:  time.Duration(float64(etime) / ticksPerSecond * float64(time.Second)),
		CPU:      ticks(compT(le.Uint16(b[32:34])) + compT(le.Uint16(b[34:36]))),
	}, nil
}

// compT decodes a comp_t: a 13-bit mantissa and a 3-bit base-8 exponent.
func compT(v uint16) uint64 { return uint64(v&0x1fff) << (3 * (v >> 13)) }

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / ticksPerSecond }

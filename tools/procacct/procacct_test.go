package procacct

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseReadsWhatTheKernelWrites(t *testing.T) {
	start := time.Unix(1795630000, 0)
	var file bytes.Buffer
	want := []Record{
		{Comm: "AnsiballZ_lvm_t", PID: 100, PPID: 90, Start: start, Elapsed: 2500 * time.Millisecond, CPU: 120 * time.Millisecond},
		{Comm: "lvm", PID: 101, PPID: 100, Start: start, Elapsed: 300 * time.Millisecond},
		{Comm: "lvcreate", PID: 102, PPID: 100, ExitCode: 5, Start: start.Add(time.Second), Elapsed: 1200 * time.Millisecond},
	}
	for _, r := range want {
		file.Write(Encode(r))
	}
	got, err := Parse(&file)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Comm != w.Comm || g.PID != w.PID || g.PPID != w.PPID || g.ExitCode != w.ExitCode || !g.Start.Equal(w.Start) ||
			(g.Elapsed-w.Elapsed).Abs() > time.Millisecond || g.CPU != w.CPU {
			t.Errorf("record %d: got %+v, want %+v", i, g, w)
		}
	}

	tree := NewTree(got)
	kids := tree.Descendants(100)
	if n := Count(kids, IsLVM); n != 2 {
		t.Errorf("LVM commands under the module: got %d, want 2", n)
	}
	if d := Total(kids, IsLVM); (d - 1500*time.Millisecond).Abs() > time.Millisecond {
		t.Errorf("time in LVM commands: got %v, want 1.5s", d)
	}
}

func TestParseRefusesOtherFormats(t *testing.T) {
	rec := Encode(Record{Comm: "x"})
	rec[1] = 2 // acct_v2
	_, err := Parse(bytes.NewReader(rec))
	if err == nil || !strings.Contains(err.Error(), "acct_v3") {
		t.Errorf("want a refusal naming acct_v3, got %v", err)
	}
	_, err = Parse(bytes.NewReader(Encode(Record{Comm: "x"})[:40]))
	if err == nil {
		t.Error("a truncated record was accepted")
	}
}

func TestCompTDecodesTheExponent(t *testing.T) {
	for _, tc := range []struct {
		v    uint16
		want uint64
	}{{0, 0}, {5, 5}, {0x1fff, 8191}, {1<<13 | 1, 8}, {2<<13 | 3, 192}} {
		if got := compT(tc.v); got != tc.want {
			t.Errorf("compT(%#x) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

// Encode writes rec as an acct_v3 record.
func Encode(rec Record) []byte {
	b := make([]byte, RecordSize)
	le := binary.LittleEndian
	b[1] = 3
	le.PutUint32(b[4:8], rec.ExitCode)
	le.PutUint32(b[16:20], rec.PID)
	le.PutUint32(b[20:24], rec.PPID)
	le.PutUint32(b[24:28], uint32(rec.Start.Unix()))
	le.PutUint32(b[28:32], math.Float32bits(float32(rec.Elapsed.Seconds()*ticksPerSecond)))
	// All CPU time as user time; small values need no exponent.
	le.PutUint16(b[32:34], uint16(rec.CPU*ticksPerSecond/time.Second))
	copy(b[48:63], rec.Comm)
	return b
}

// Count returns how many records match.
func Count(records []Record, match func(Record) bool) int {
	n := 0
	for _, r := range records {
		if match(r) {
			n++
		}
	}
	return n
}

// Total sums the elapsed time of the matching records.
func Total(records []Record, match func(Record) bool) time.Duration {
	var d time.Duration
	for _, r := range records {
		if match(r) {
			d += r.Elapsed
		}
	}
	return d
}

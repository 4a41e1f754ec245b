package storageinfo

import (
	"fmt"
	"strconv"

	"github.com/directlvm/docker/internal/lvm"
)

// flag lists what needs a fix on a host checked against c, each in a few
// words, in the order the fleet table shows them.
func flag(s *Storage, c Config) []string {
	f := []string{}
	d := s.Docker
	switch {
	case !d.Answering:
		f = append(f, "docker does not answer")
	case d.Driver != c.Driver:
		f = append(f, fmt.Sprintf("on %s, not %s", d.Driver, c.Driver))
	}
	if c.Driver == DriverOverlay2 {
		if d.RootMount == nil {
			f = append(f, "data root not on a volume of its own")
		}
		return f
	}
	if s.LVMError != "" {
		return append(f, "LVM's state unreadable")
	}
	p, ok := s.pool(s.Pool)
	if !ok {
		return append(f, "no thin pool "+s.Pool)
	}
	if !p.Monitored {
		f = append(f, "unmonitored")
	}
	over := false
	for _, u := range []struct {
		what    string
		percent *float64
	}{{"data", p.DataPercent}, {"metadata", p.MetadataPercent}} {
		if u.percent != nil && *u.percent > c.MaxPercent {
			f = append(f, u.what+" over "+strconv.FormatFloat(c.MaxPercent, 'g', -1, 64)+"%")
			over = true
		}
	}
	a := p.Autoextend
	switch {
	case !over:
	case a.Error != "":
		f = append(f, "autoextend settings unreadable (profile "+p.Profile+")")
	case !a.Enabled:
		f = append(f, "autoextend off")
	case a.StepsLeft == 0:
		f = append(f, fmt.Sprintf("no room to autoextend (VG %s: %s free, a step is %s)", p.VG, lvm.HumanBytes(a.VGFreeBytes), lvm.HumanBytes(a.NextStepBytes)))
	}
	return f
}

// pool finds the pool with the device-mapper name dm.
func (s *Storage) pool(dm string) (Pool, bool) {
	for _, p := range s.Pools {
		if p.DMName == dm {
			return p, true
		}
	}
	return Pool{}, false
}

package storageinfo

import (
	"context"
	"fmt"
	"strings"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/lvm"
)

// Module is storage_info reaching the machine through h.
func Module(h Host) ansible.Module {
	return ansible.Module{Name: Name, Spec: Spec(), Run: func(ctx context.Context, req *ansible.Request) (*ansible.Result, error) {
		var o Options
		if err := req.Params.Decode(&o); err != nil {
			return nil, err
		}
		c, err := ParseConfig(o)
		if err != nil {
			return nil, err
		}
		s := Report(ctx, h, c)
		return &ansible.Result{
			Msg:    summary(s),
			Values: map[string]any{"storage": s},
			Facts:  map[string]any{"directlvm_storage": s},
		}, nil
	}}
}

// Report reads the host and flags what needs a fix for c.
func Report(ctx context.Context, h Host, c Config) Storage {
	s := observe(ctx, h)
	if c.Driver == DriverDevicemapper {
		s.Pool = s.Docker.PoolName
		if s.Pool == "" {
			s.Pool = lvm.DMName(c.VG, c.Pool)
		}
	}
	s.Flags = flag(&s, c)
	return s
}

func summary(s Storage) string {
	var parts []string
	if d := s.Docker; d.Answering {
		parts = append(parts, fmt.Sprintf("docker %s on %s", d.Version, d.Driver))
	}
	if s.Pool != "" {
		parts = append(parts, "pool "+s.Pool)
	}
	what := strings.Join(parts, ", ")
	if len(s.Flags) == 0 {
		return what + ": ok"
	}
	return what + ": " + strings.Join(s.Flags, ", ")
}

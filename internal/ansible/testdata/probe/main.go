// Command probe is a test-only binary module built on package ansible. The
// conformance test runs it under the real ansible-playbook; the Main test
// runs it directly.
package main

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"github.com/directlvm/docker/internal/ansible"
)

func main() {
	ansible.Main(ansible.Module{
		Name: "probe",
		Spec: ansible.Spec{
			Options: map[string]ansible.Option{
				"name":   {Type: ansible.TypeStr, Required: true},
				"count":  {Type: ansible.TypeInt, Default: 1},
				"secret": {Type: ansible.TypeStr, NoLog: true},
				"fail":   {Type: ansible.TypeBool, Default: false},
				"state":  {Type: ansible.TypeStr, Default: "present", Choices: []any{"present", "absent"}},
				"noise":  {Type: ansible.TypeBool, Default: false},
				"panic":  {Type: ansible.TypeBool, Default: false},
				"wait":   {Type: ansible.TypeBool, Default: false},
			},
			SupportsCheckMode: true,
		},
		Run: run,
	})
}

// options are the probe's options.
type options struct {
	Name   string `ansible:"name"`
	Count  int64  `ansible:"count"`
	Secret string `ansible:"secret"`
	Fail   bool   `ansible:"fail"`
	State  string `ansible:"state"`
	Noise  bool   `ansible:"noise"`
	Panic  bool   `ansible:"panic"`
	Wait   bool   `ansible:"wait"`
}

func run(ctx context.Context, req *ansible.Request) (*ansible.Result, error) {
	var p options
	if err := req.Params.Decode(&p); err != nil {
		return nil, err
	}
	if p.Noise {
		// Both must end on stderr, never in the protocol's stdout.
		fmt.Println("probe: stray fmt.Println")
		syscall.Write(1, []byte("probe: stray write to descriptor 1\n"))
	}
	if p.Panic {
		panic("probe was asked to panic")
	}
	if p.Wait {
		fmt.Fprintln(os.Stderr, "probe: waiting for a signal")
		<-ctx.Done()
		return nil, fmt.Errorf("probe stopped waiting: %w", ctx.Err())
	}
	name := p.Name
	present := p.State == "present"
	req.Warn("probe warning for " + name)
	res := &ansible.Result{
		Changed: present,
		Facts:   map[string]any{"probe_name": name},
		Values: map[string]any{
			"name":         name,
			"count":        p.Count,
			"check_mode":   req.CheckMode,
			"would_change": present && req.CheckMode,
			"secret_echo":  "the secret is " + p.Secret,
		},
	}
	if present {
		res.Msg = "probe " + name + " is present"
		res.Diff = &ansible.Diff{
			Before:       "probe_state: absent\n",
			After:        "probe_state: present\n",
			BeforeHeader: name + " before",
			AfterHeader:  name + " after",
		}
	}
	if p.Fail {
		return res, fmt.Errorf("probe %s failed as asked, holding secret %s", name, p.Secret)
	}
	return res, nil
}

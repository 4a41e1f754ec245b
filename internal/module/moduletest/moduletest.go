// Package moduletest holds what the modules' tests share: building a
// validated configuration from options, checking a plan's steps and a
// refusal, reading a result's values, and fuzzing a module's options.
package moduletest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/module"
)

// Config validates opts as Ansible would pass them to module name with
// spec, decodes them into an O and parses that, as the driver does; it
// fails t on any error.
func Config[O, C any](t testing.TB, name string, spec ansible.Spec, parse func(O) (C, error), opts map[string]any) C {
	t.Helper()
	req, err := ansible.NewRequest(ansible.Module{Name: name, Spec: spec}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var o O
	if err := req.Params.Decode(&o); err != nil {
		t.Fatal(err)
	}
	c, err := parse(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// AssertSteps fails t unless the plan's steps, as the result's actions
// list them, are want.
func AssertSteps[S any](t testing.TB, p *module.Plan[S], want ...string) {
	t.Helper()
	got := p.Actions()
	if !slices.Equal(got, want) {
		t.Errorf("plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// AssertRefused fails t unless err is a module.Refusal that says each of
// want.
func AssertRefused[S any](t testing.TB, p *module.Plan[S], err error, want ...string) {
	t.Helper()
	var r *module.Refusal
	if !errors.As(err, &r) {
		t.Fatalf("want a refusal, got plan %v, error %v", p, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("refusal %q does not say %q", err, w)
		}
	}
}

// Must is m[key] as a T; it fails the test, instead of panicking, when the
// value is missing or of another type.
func Must[T any](t testing.TB, m map[string]any, key string) T {
	t.Helper()
	v, ok := m[key].(T)
	if !ok {
		t.Fatalf("%q is %T (%v), want a %T", key, m[key], m[key], v)
	}
	return v
}

// FuzzConfig validates any arguments as module name does before it looks
// at the host (the spec, then parse; nothing runs): a refusal must give a
// reason, and a configuration parse accepts must pass check. The seeds are
// the arguments files in the package's testdata/args.
func FuzzConfig[O, C any](f *testing.F, name string, spec ansible.Spec, parse func(O) (C, error), check func(t *testing.T, c C)) {
	ansibletest.SeedArgs(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req, ok := ansibletest.Request(ansible.Module{Name: name, Spec: spec}, data)
		if !ok {
			return // refused before the module runs, with Ansible's message
		}
		var o O
		if err := req.Params.Decode(&o); err != nil {
			t.Fatalf("the options do not decode: %v", err)
		}
		c, err := parse(o)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("refused without a reason: %q", data)
			}
			return
		}
		check(t, c)
	})
}

// Parse decodes p into an O and parses that, as the driver does.
func Parse[O, C any](p ansible.Params, parse func(O) (C, error)) (C, error) {
	var o O
	if err := p.Decode(&o); err != nil {
		var none C
		return none, err
	}
	return parse(o)
}

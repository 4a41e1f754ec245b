// Package ansibletest runs modules in tests the way Ansible runs their
// binaries: the arguments as a JSON file named on the command line, one JSON
// object read back.
package ansibletest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/goccy/go-json"

	"github.com/directlvm/docker/internal/ansible"
)

// Run executes m with args (options and any _ansible_* keys) and returns
// the decoded result. Output that is not exactly one JSON object fails the
// test.
func Run(t testing.TB, m ansible.Module, args map[string]any) map[string]any {
	t.Helper()
	var out bytes.Buffer
	ansible.ExecuteContext(context.Background(), m, []string{writeArgs(t, args)}, nil, &out)
	return decode(t, m.Name, &out)
}

// Call is one module run of RunAtOnce.
type Call struct {
	Module ansible.Module
	Args   map[string]any
}

// RunAtOnce executes every call at the same time, each on its own
// goroutine as if Ansible ran two tasks on one host in parallel, and
// returns their results in the order of calls. It checks the outputs as
// Run does, once all have finished, on the test's goroutine.
func RunAtOnce(t testing.TB, calls ...Call) []map[string]any {
	t.Helper()
	paths := make([]string, len(calls))
	for i, c := range calls {
		paths[i] = writeArgs(t, c.Args)
	}
	outs := make([]bytes.Buffer, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ansible.ExecuteContext(context.Background(), c.Module, []string{paths[i]}, nil, &outs[i])
		}()
	}
	wg.Wait()
	res := make([]map[string]any, len(calls))
	for i, c := range calls {
		res[i] = decode(t, c.Module.Name, &outs[i])
	}
	return res
}

// writeArgs writes args to a new arguments file and returns its path.
func writeArgs(t testing.TB, args map[string]any) string {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// decode reads the one JSON object a module printed.
func decode(t testing.TB, name string, out *bytes.Buffer) map[string]any {
	t.Helper()
	dec := json.NewDecoder(out)
	var res map[string]any
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("module %s printed no JSON object: %v\n%s", name, err, out.String())
	}
	if dec.More() {
		t.Fatalf("module %s printed more than one JSON object", name)
	}
	return res
}

// Package ansibletest runs modules in tests the way Ansible runs their
// binaries: the arguments as a JSON file named on the command line, one JSON
// object read back.
package ansibletest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-json"

	"github.com/directlvm/docker/internal/ansible"
)

// Run executes m with args (options and any _ansible_* keys) and returns
// the decoded result. Output that is not exactly one JSON object fails the
// test.
func Run(t testing.TB, m ansible.Module, args map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ansible.Execute(m, []string{path}, &out)
	dec := json.NewDecoder(&out)
	var res map[string]any
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("module %s printed no JSON object: %v\n%s", m.Name, err, out.String())
	}
	if dec.More() {
		t.Fatalf("module %s printed more than one JSON object", m.Name)
	}
	return res
}

package ansibletest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/goccy/go-json"

	"github.com/directlvm/docker/internal/ansible"
)

// SeedArgs adds every arguments file in the package's testdata/args to
// f's corpus, and fails when there is none.
func SeedArgs(f *testing.F) {
	f.Helper()
	seeds, err := filepath.Glob(filepath.Join("testdata", "args", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata/args: %v", err)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// Request reads data as an arguments file and validates it against m's
// spec, as the runtime does before the module looks at the host. ok is
// false when the runtime refuses the file (not UTF-8, not a JSON object)
// or the spec refuses the arguments, with Ansible's message.
func Request(m ansible.Module, data []byte) (req *ansible.Request, ok bool) {
	if !utf8.Valid(data) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var args map[string]any
	if dec.Decode(&args) != nil {
		return nil, false
	}
	req, err := ansible.NewRequest(m, args)
	if err != nil {
		return nil, false
	}
	return req, true
}

package ansible

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	json "github.com/goccy/go-json"
)

// execute writes args to an arguments file, runs m through ExecuteContext and
// returns the one output object, the exit code and stdout as text. It fails
// the test unless stdout holds exactly one JSON object.
func execute(t *testing.T, m Module, args map[string]any) (map[string]any, int, string) {
	t.Helper()
	data, err := json.Marshal(args)
	if err != nil {
		t.Fatalf("encoding args: %v", err)
	}
	path := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return executeArgv(t, m, []string{path})
}

// executeArgv runs m through ExecuteContext with the given command-line arguments.
func executeArgv(t *testing.T, m Module, argv []string) (map[string]any, int, string) {
	t.Helper()
	return executeArgvStdin(t, m, argv, nil)
}

// executeArgvStdin runs m through ExecuteContext with the given command-line
// arguments and standard input.
func executeArgvStdin(t *testing.T, m Module, argv []string, stdin io.Reader) (map[string]any, int, string) {
	t.Helper()
	var stdout bytes.Buffer
	code := ExecuteContext(context.Background(), m, argv, stdin, &stdout)
	return decodeOneObject(t, stdout.Bytes()), code, stdout.String()
}

// decodeOneObject decodes stdout and fails the test unless it is exactly one
// JSON object followed by nothing but white space.
func decodeOneObject(t *testing.T, stdout []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(stdout))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\nstdout: %s", err, stdout)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		t.Fatalf("stdout holds more than one JSON value (next: %v, err: %v)\nstdout: %s", extra, err, stdout)
	}
	return out
}

// moduleArgs returns invocation.module_args of an output object.
func moduleArgs(t *testing.T, out map[string]any) map[string]any {
	t.Helper()
	inv, _ := out["invocation"].(map[string]any)
	args, ok := inv["module_args"].(map[string]any)
	if !ok {
		t.Fatalf("output has no invocation.module_args object: %v", out)
	}
	return args
}

// jsonText encodes v for comparisons that should not care about Go types.
func jsonText(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %v: %v", v, err)
	}
	return string(data)
}

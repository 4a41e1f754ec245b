package ansible

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzedModule has an option of every type, each kind of rule between
// options and three no_log options, and echoes every value it gets into
// every part of the output a module can fill (msg, values, a value's key,
// facts, diff, warnings, the error), so that a no_log value
// the runtime fails to mask shows up.
var fuzzedModule = Module{
	Name: "fuzzed",
	Spec: Spec{
		Options: map[string]Option{
			"name":     {Required: true},
			"state":    {Default: "present", Choices: []any{"present", "absent"}},
			"count":    {Type: TypeInt, Default: 1},
			"enabled":  {Type: TypeBool, Default: true},
			"devices":  {Type: TypeList, Elements: TypePath},
			"labels":   {Type: TypeList, Elements: TypeStr, Choices: []any{"a", "b", "c"}},
			"extra":    {Type: TypeRaw},
			"password": {NoLog: true},
			"tokens":   {Type: TypeList, Elements: TypeStr, NoLog: true},
			"pin":      {Type: TypeInt, NoLog: true},
		},
		RequiredIf:        []RequiredIf{{Key: "state", Value: "absent", Requires: []string{"devices"}}},
		SupportsCheckMode: true,
	},
	Run: func(ctx context.Context, req *Request) (*Result, error) {
		params := map[string]any{}
		for name := range fuzzedNoLog {
			params[name] = req.Params.values[name]
		}
		for _, name := range []string{"name", "state", "count", "enabled", "devices", "labels", "extra"} {
			params[name] = req.Params.values[name]
		}
		text := fmt.Sprint(params)
		req.Warn("got " + text)
		str := func(name string) string { s, _ := req.Params.values[name].(string); return s }
		enabled, _ := req.Params.values["enabled"].(bool)
		res := &Result{
			Changed: enabled,
			Msg:     "got " + text,
			Diff: &Diff{Before: text + "\n", After: params,
				BeforeHeader: str("name"), AfterHeader: str("password")},
			Facts: map[string]any{"fuzzed_" + str("name"): params},
			Values: map[string]any{
				"params":     params,
				"check_mode": req.CheckMode,
				str("name"):  req.Params.values["password"],
			},
		}
		if str("state") == "absent" {
			return res, fmt.Errorf("removing %s failed: %s", str("name"), text)
		}
		return res, nil
	},
}

// fuzzedNoLog are fuzzedModule's no_log options.
var fuzzedNoLog = map[string]bool{"password": true, "tokens": true, "pin": true}

// FuzzDecodeArgs gives a module any bytes as its arguments file, through
// ExecuteContext as Main does, and checks what Ansible relies on whatever the
// file holds: exactly one JSON object on stdout, in UTF-8; a failure has
// "failed": true, a msg and exit code 1, and anything else has neither;
// "changed" is a boolean; no "_ansible_*" key comes back; nothing panics;
// a JSON object is never refused; and no value given to a no_log option
// appears anywhere in the output but in a key the protocol owns.
//
// The seeds are the arguments files in testdata/args: what ansible-core,
// ad-hoc k=v arguments and AWX surveys send, and broken files.
func FuzzDecodeArgs(f *testing.F) {
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
	f.Add([]byte(""))
	f.Add([]byte("null"))
	f.Add([]byte("\xef\xbb\xbf{\"name\": \"after a byte order mark\"}"))
	f.Add([]byte("{\"name\": \"invalid \xff\xfe UTF-8\", \"password\": \"s3cret\xc3\"}"))

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "args")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var stdout bytes.Buffer
		code := ExecuteContext(context.Background(), fuzzedModule, []string{path}, nil, &stdout)
		checkReply(t, data, stdout.Bytes(), code)
	})
}

// checkReply checks one run of fuzzedModule on the arguments file data.
func checkReply(t *testing.T, data, stdout []byte, code int) {
	t.Helper()
	if !utf8.Valid(stdout) {
		t.Fatalf("stdout is not UTF-8: %q", stdout)
	}
	out := decodeStdout(t, stdout)
	failed, hasFailed := out["failed"]
	if hasFailed && failed != true {
		t.Errorf(`"failed" is %v; it must be true or absent`, failed)
	}
	if hasFailed != (code == 1) {
		t.Errorf("exit code %d for failed=%v", code, failed)
	}
	if msg, _ := out["msg"].(string); hasFailed && strings.TrimSpace(msg) == "" {
		t.Errorf("a failure without a msg: %s", stdout)
	}
	if _, ok := out["changed"].(bool); !ok {
		t.Errorf(`"changed" is %v, not a boolean`, out["changed"])
	}
	if _, ok := out["exception"]; ok {
		t.Errorf("the runtime panicked: %v\n%v", out["msg"], out["exception"])
	}
	for key := range out {
		if strings.HasPrefix(key, "_ansible_") {
			t.Errorf("internal key %q returned", key)
		}
	}
	// The runtime's decoder is more lenient than the standard one (it
	// takes raw control characters inside strings), which does no harm;
	// refusing what the standard decoder reads as an object would, but for
	// a number beyond float64 (2e700), which Ansible never writes.
	args, isObject := stdArgs(data)
	_, parsed := out["invocation"] // every run that got as far as the options reports them
	if isObject && !parsed {
		t.Errorf("the standard decoder reads the arguments file as an object, the runtime refused it: %s", stdout)
	}
	if !isObject || !parsed {
		return
	}
	var secrets []string
	for name := range fuzzedNoLog {
		secrets = secretsIn(secrets, args[name])
	}
	if len(secrets) > 0 {
		checkMasked(t, out, secrets, stdout)
	}
}

// decodeStdout decodes stdout as Ansible does (a standard decoder, not the
// package's own) and fails unless it is exactly one JSON object.
func decodeStdout(t *testing.T, stdout []byte) map[string]any {
	t.Helper()
	dec := stdjson.NewDecoder(bytes.NewReader(stdout))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil || out == nil {
		t.Fatalf("stdout is not a JSON object: %v\n%q", err, stdout)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("stdout holds more than one JSON value: %q", stdout)
	}
	return out
}

// stdArgs decodes an arguments file with the standard decoder: the user's
// options (unwrapped from ANSIBLE_MODULE_ARGS as the runtime does), and
// whether the file is one JSON object in UTF-8 whose numbers fit a float64.
func stdArgs(data []byte) (map[string]any, bool) {
	var floats any
	if !utf8.Valid(data) || stdjson.Unmarshal(data, &floats) != nil {
		return nil, false
	}
	dec := stdjson.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, false
	}
	if inner, ok := obj["ANSIBLE_MODULE_ARGS"].(map[string]any); ok && len(obj) == 1 {
		return inner, true
	}
	return obj, true
}

// secretsIn appends the text of every scalar in a no_log option's value as
// given, as Ansible's no_log handling collects them (booleans, null and
// empty strings are no secrets). A value holding "*" is left out: the mask
// itself is made of asterisks.
func secretsIn(secrets []string, v any) []string {
	switch v := v.(type) {
	case string:
		if v != "" && !strings.Contains(v, "*") {
			secrets = append(secrets, v)
		}
	case stdjson.Number:
		secrets = append(secrets, v.String())
	case []any:
		for _, item := range v {
			secrets = secretsIn(secrets, item)
		}
	case map[string]any:
		for _, item := range v {
			secrets = secretsIn(secrets, item)
		}
	}
	return secrets
}

// protocolKeys says, for each top-level key the protocol owns, how many
// levels of objects below it hold keys the protocol owns too (and so are
// never masked): invocation.module_args.OPTION, diff.before, a
// deprecation's msg. The keys of the module's own values and facts are the
// module's, and are masked.
var protocolKeys = map[string]int{
	"changed": 0, "failed": 0, "msg": 0, "skipped": 0, "exception": 0, "warnings": 0,
	"ansible_facts": 0, "invocation": 2, "diff": 1, "deprecations": 1,
}

// checkMasked fails when a secret appears in the output: in a string, as a
// number written exactly as the secret, or in a key the module chose.
func checkMasked(t *testing.T, out map[string]any, secrets []string, stdout []byte) {
	t.Helper()
	leak := func(where, s string) {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("no_log value %q appears in %s %q\nstdout: %s", secret, where, s, stdout)
			}
		}
	}
	var walk func(path string, v any, ownedLevels int)
	walk = func(path string, v any, ownedLevels int) {
		switch v := v.(type) {
		case string:
			leak("the value of "+path, v)
		case stdjson.Number:
			for _, secret := range secrets {
				if v.String() == secret {
					t.Errorf("no_log value %s appears as the number at %s\nstdout: %s", secret, path, stdout)
				}
			}
		case []any:
			for i, item := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), item, ownedLevels)
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				if ownedLevels == 0 {
					leak("a key of "+path, k)
				}
				walk(path+"."+k, v[k], max(ownedLevels-1, 0))
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(out)) {
		levels, owned := protocolKeys[k]
		if !owned {
			leak("a top-level key", k)
		}
		walk(k, out[k], levels)
	}
}

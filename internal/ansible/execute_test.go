package ansible

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// echoModule reports the request's settings as values.
func echoModule(supportsCheckMode bool, ran *bool) Module {
	return Module{
		Name: "testmod",
		Spec: Spec{Options: map[string]Option{"name": {}}, SupportsCheckMode: supportsCheckMode},
		Run: func(ctx context.Context, req *Request) (*Result, error) {
			if ran != nil {
				*ran = true
			}
			return &Result{Changed: true, Values: map[string]any{
				"check_mode": req.CheckMode,
				"diff_mode":  req.Diff,
				"verbosity":  req.Verbosity,
			}}, nil
		},
	}
}

func TestCheckModeReachesTheModule(t *testing.T) {
	tests := []struct {
		name string
		args map[string]any
		want bool
	}{
		{"no flag", map[string]any{}, false},
		{"flag false", map[string]any{"_ansible_check_mode": false}, false},
		{"flag true", map[string]any{"_ansible_check_mode": true}, true},
		{"flag as an AWX-style string", map[string]any{"_ansible_check_mode": "True"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code, _ := execute(t, echoModule(true, nil), tt.args)
			if code != 0 || out["check_mode"] != tt.want {
				t.Fatalf("exit code %d, module saw check_mode=%v; want 0 and %v (output %v)", code, out["check_mode"], tt.want, out)
			}
		})
	}
}

func TestModuleWithoutCheckModeSupportIsSkippedInCheckMode(t *testing.T) {
	ran := false
	out, code, _ := execute(t, echoModule(false, &ran), map[string]any{"_ansible_check_mode": true, "_ansible_module_name": "noop"})
	if ran {
		t.Error("Run was called in check mode although the module does not support it")
	}
	if code != 0 || out["skipped"] != true || out["changed"] != false || out["failed"] != nil {
		t.Errorf("want a skip with exit code 0; got code %d, output %v", code, out)
	}
	if want := "remote module (noop) does not support check mode"; out["msg"] != want {
		t.Errorf("msg = %q, want %q", out["msg"], want)
	}

	ran = false
	if out, _, _ := execute(t, echoModule(false, &ran), map[string]any{}); !ran || out["skipped"] != nil {
		t.Errorf("outside check mode the module must run and not be skipped; ran=%v output %v", ran, out)
	}
}

func TestDiffIsEmittedOnlyInDiffMode(t *testing.T) {
	m := Module{
		Name: "testmod",
		Spec: Spec{SupportsCheckMode: true},
		Run: func(ctx context.Context, req *Request) (*Result, error) {
			return &Result{Changed: true, Diff: &Diff{Before: "a\n", After: map[string]any{"k": "v"}, AfterHeader: "new"}}, nil
		},
	}
	tests := []struct {
		name     string
		args     map[string]any
		wantDiff string // JSON text of "diff", or "" for none
	}{
		{"without --diff", map[string]any{}, ""},
		{"with _ansible_diff false", map[string]any{"_ansible_diff": false}, ""},
		{"with --diff", map[string]any{"_ansible_diff": true}, `{"after":{"k":"v"},"after_header":"new","before":"a\n"}`},
		{"with --diff in check mode", map[string]any{"_ansible_diff": true, "_ansible_check_mode": true}, `{"after":{"k":"v"},"after_header":"new","before":"a\n"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, _ := execute(t, m, tt.args)
			diff, present := out["diff"]
			if tt.wantDiff == "" {
				if present {
					t.Fatalf("diff emitted without diff mode: %v", diff)
				}
				return
			}
			if got := jsonText(t, diff); got != tt.wantDiff {
				t.Fatalf("diff = %s, want %s", got, tt.wantDiff)
			}
		})
	}
}

func TestPanicInRunBecomesFailureJSON(t *testing.T) {
	tests := []struct {
		name    string
		value   any
		wantMsg string
	}{
		{"panic with a string", "boom", "module testmod panicked: boom"},
		{"panic with an error", errors.New("bad state"), "module testmod panicked: bad state"},
		{"nil map write", nil, "module testmod panicked: assignment to entry in nil map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Module{Name: "testmod", Run: func(ctx context.Context, req *Request) (*Result, error) {
				req.Warn("before the panic")
				if tt.value == nil {
					var m map[string]int
					//lint:ignore SA5000 the test provokes this runtime panic on purpose
					m["x"] = 1
				}
				panic(tt.value)
			}}
			out, code, _ := execute(t, m, map[string]any{})
			if out["failed"] != true || code != 1 || out["msg"] != tt.wantMsg {
				t.Fatalf("got failed=%v code=%d msg=%q, want a failure with msg %q", out["failed"], code, out["msg"], tt.wantMsg)
			}
			if exc, _ := out["exception"].(string); !strings.Contains(exc, "execute_test.go") {
				t.Errorf("exception should hold the stack of the panic; got %q", exc)
			}
			if jsonText(t, out["warnings"]) != `["before the panic"]` {
				t.Errorf("warnings given before the panic were lost: %v", out["warnings"])
			}
		})
	}
}

func TestAnsibleInternalKeysAreAcceptedAndNeverReturned(t *testing.T) {
	args := map[string]any{
		"name":                               "x",
		"_ansible_check_mode":                false,
		"_ansible_no_log":                    false,
		"_ansible_debug":                     false,
		"_ansible_diff":                      false,
		"_ansible_verbosity":                 2,
		"_ansible_version":                   "2.18.19",
		"_ansible_module_name":               "testmod",
		"_ansible_syslog_facility":           "LOG_USER",
		"_ansible_selinux_special_fs":        []string{"fuse", "nfs"},
		"_ansible_string_conversion_action":  "warn",
		"_ansible_socket":                    nil,
		"_ansible_shell_executable":          "/bin/sh",
		"_ansible_keep_remote_files":         false,
		"_ansible_tmpdir":                    "/tmp/x/",
		"_ansible_remote_tmp":                "~/.ansible/tmp",
		"_ansible_target_log_info":           nil,
		"_ansible_ignore_unknown_opts":       false,
		"_ansible_tracebacks_for":            []string{},
		"_ansible_a_key_from_a_future_core":  map[string]any{"anything": true},
		"_ansible_another_key_from_the_futr": 3,
	}
	m := echoModule(true, nil)
	inner := m.Run
	m.Run = func(ctx context.Context, req *Request) (*Result, error) {
		res, err := inner(ctx, req)
		res.Values["_ansible_no_log"] = true // a module must not be able to return internal keys
		return res, err
	}
	out, code, _ := execute(t, m, args)
	if code != 0 || jsonText(t, out["verbosity"]) != "2" {
		t.Fatalf("exit code %d, verbosity %v; output %v", code, out["verbosity"], out)
	}
	for key := range out {
		if strings.HasPrefix(key, "_ansible_") {
			t.Errorf("the output carries the internal key %s", key)
		}
	}
	if got := jsonText(t, moduleArgs(t, out)); got != `{"name":"x"}` {
		t.Errorf("module_args = %s, want only the user's options", got)
	}
	if w := jsonText(t, out["warnings"]); !strings.Contains(w, `returned the reserved key \"_ansible_no_log\"`) {
		t.Errorf("dropping a reserved key should warn; warnings = %s", w)
	}
}

func TestArgumentsFileProblemsGiveFailureJSON(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	runByAnsible := "testmod is an Ansible module, meant to be run by Ansible, which calls it as 'testmod ARGS_FILE'"
	stdin := []string{"-"}
	tests := []struct {
		name     string
		argv     []string
		stdin    io.Reader // nil: none
		wantCode int
		wantMsg  []string // parts of msg; empty when the module must succeed
	}{
		{"no arguments at all", nil, nil, 1, []string{"no arguments file was given", runByAnsible}},
		{"a file that does not exist", []string{filepath.Join(dir, "missing")}, nil, 1, []string{"cannot read the arguments", "no such file", runByAnsible}},
		{"a file that is not JSON", []string{write("bad", "name=x")}, nil, 1, []string{"does not hold valid JSON", runByAnsible}},
		{"a JSON array", []string{write("array", `["name"]`)}, nil, 1, []string{"holds a JSON list, not an object"}},
		{"two objects", []string{write("two", `{"name": "a"} {"name": "b"}`)}, nil, 1, []string{"unexpected data after the JSON value"}},
		{"an AnsibleModule-style wrapper", []string{write("wrapped", `{"ANSIBLE_MODULE_ARGS": {"name": "a"}}`)}, nil, 0, nil},
		{"a plain object", []string{write("plain", `{"name": "a"}`)}, nil, 0, nil},
		{"the arguments on stdin", stdin, strings.NewReader(`{"name": "a"}`), 0, nil},
		{"nothing on stdin", stdin, strings.NewReader(" \n"), 1, []string{"cannot read the arguments: standard input: empty", "or as 'testmod -' with them on standard input"}},
		{"no stdin at all", stdin, nil, 1, []string{"standard input: none"}},
		{"not JSON on stdin", stdin, strings.NewReader("name=x"), 1, []string{"the arguments on standard input does not hold valid JSON"}},
		{"more on stdin than any task's options", stdin, strings.NewReader(`{"name": "` + strings.Repeat("a", maxArgsBytes) + `"}`), 1, []string{"standard input: more than 16777216 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code, _ := executeArgvStdin(t, echoModule(true, nil), tt.argv, tt.stdin)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; output %v", code, tt.wantCode, out)
			}
			msg, _ := out["msg"].(string)
			for _, part := range tt.wantMsg {
				if !strings.Contains(msg, part) {
					t.Errorf("msg %q lacks %q", msg, part)
				}
			}
			if tt.wantCode != 0 && out["failed"] != true {
				t.Errorf("failed = %v, want true", out["failed"])
			}
			if got := fmt.Sprint(out["invocation"]); tt.wantCode == 0 && got != "map[module_args:map[name:a]]" {
				t.Errorf("the module did not get its options: invocation %s", got)
			}
		})
	}
}

func TestResultShape(t *testing.T) {
	m := Module{
		Name: "testmod",
		Spec: Spec{Options: map[string]Option{"size": {Type: TypeInt}}},
		Run: func(ctx context.Context, req *Request) (*Result, error) {
			req.Warn("pool is 90% full")
			return &Result{
				Changed: true,
				Msg:     "created",
				Facts:   map[string]any{"pool": map[string]any{"size": 3}},
				Values: map[string]any{
					"actions": []string{"lvcreate", "lvconvert"},
					"changed": false, // reserved: must not override Changed
					"pool":    struct{ Name string }{"docker/thinpool"},
				},
			}, nil
		},
	}
	out, code, _ := execute(t, m, map[string]any{"size": "3"})
	if code != 0 {
		t.Fatalf("exit code %d: %v", code, out)
	}
	want := `{"actions":["lvcreate","lvconvert"],"ansible_facts":{"pool":{"size":3}},"changed":true,` +
		`"invocation":{"module_args":{"size":3}},"msg":"created","pool":{"Name":"docker/thinpool"},` +
		`"warnings":["pool is 90% full","module testmod returned the reserved key \"changed\" among its values; it was dropped"]}`
	if got := jsonText(t, out); got != want {
		t.Errorf("output =\n%s\nwant\n%s", got, want)
	}
}

func TestErrorsFailTheModule(t *testing.T) {
	tests := []struct {
		name string
		run  func(ctx context.Context, req *Request) (*Result, error)
		want string // the whole output but the invocation, as JSON
	}{
		{
			name: "a plain error",
			run: func(ctx context.Context, req *Request) (*Result, error) {
				return nil, errors.New("lvcreate docker/thinpool: exit status 5")
			},
			want: `{"changed":false,"failed":true,"msg":"lvcreate docker/thinpool: exit status 5"}`,
		},
		{
			name: "an error with the partial result so far",
			run: func(ctx context.Context, req *Request) (*Result, error) {
				res := &Result{Changed: true, Values: map[string]any{"actions": []string{"pvcreate /dev/vdb"}}}
				return res, errors.New("vgcreate docker: exit status 5")
			},
			want: `{"actions":["pvcreate /dev/vdb"],"changed":true,"failed":true,"msg":"vgcreate docker: exit status 5"}`,
		},
		{
			name: "a result that JSON cannot hold",
			run: func(ctx context.Context, req *Request) (*Result, error) {
				return &Result{Changed: true, Values: map[string]any{"ch": make(chan int)}}, nil
			},
			want: `{"changed":true,"failed":true,"msg":"the module's result cannot be encoded as JSON: json: unsupported type: chan int"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code, _ := execute(t, Module{Name: "testmod", Run: tt.run}, map[string]any{})
			delete(out, "invocation")
			if got := jsonText(t, out); got != tt.want || code != 1 {
				t.Fatalf("exit code %d, output\n%s\nwant code 1 and\n%s", code, got, tt.want)
			}
		})
	}
}

func TestRunGetsTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := Module{Name: "testmod", Run: func(ctx context.Context, req *Request) (*Result, error) {
		return nil, ctx.Err()
	}}
	path := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(path, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	code := ExecuteContext(ctx, m, []string{path}, nil, &stdout)
	if out := decodeOneObject(t, []byte(stdout.String())); code != 1 || out["msg"] != "context canceled" {
		t.Fatalf("exit code %d, output %v; want Run to see the cancelled context", code, out)
	}
}

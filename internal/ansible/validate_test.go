package ansible

import (
	"context"
	"testing"
)

// recordingModule returns a module named "testmod" that returns its params
// as values, so a test sees what Run received.
func recordingModule(spec Spec) Module {
	return Module{
		Name: "testmod",
		Spec: spec,
		Run: func(ctx context.Context, req *Request) (*Result, error) {
			values := map[string]any{"ran": true}
			for name := range spec.Options {
				values["got_"+name] = req.Params.values[name]
			}
			return &Result{Values: values}, nil
		},
	}
}

func TestEveryInvalidArgumentIsReportedInOneMessage(t *testing.T) {
	m := recordingModule(Spec{Options: map[string]Option{
		"name":    {Type: TypeStr, Required: true},
		"count":   {Type: TypeInt},
		"enabled": {Type: TypeBool},
		"state":   {Choices: []any{"present", "absent"}},
		"sizes":   {Type: TypeList, Elements: TypeInt},
	}})
	out, code, _ := execute(t, m, map[string]any{
		"bogus":   1,
		"extra":   "x",
		"count":   "many",
		"enabled": "maybe",
		"state":   "gone",
		"sizes":   "1,two",
	})
	want := "Unsupported parameters for (testmod) module: bogus, extra. Supported parameters include: count, enabled, name, sizes, state.; " +
		"missing required arguments: name; " +
		`argument 'count' is of type str and we were unable to convert to int: "many" is not an integer; ` +
		`argument 'enabled' is of type str and we were unable to convert to bool: "maybe" is not a valid boolean; valid booleans are yes/no, true/false, on/off, y/n, t/f, 1/0; ` +
		`argument 'sizes' item 2 is of type str and we were unable to convert to int: "two" is not an integer; ` +
		"value of state must be one of: present, absent, got: gone"
	if out["msg"] != want {
		t.Errorf("msg =\n%v\nwant\n%v", out["msg"], want)
	}
	if out["failed"] != true || code != 1 {
		t.Errorf("failed = %v, exit code = %d; want true and 1", out["failed"], code)
	}
	if out["ran"] != nil {
		t.Errorf("Run was called despite invalid arguments")
	}
}

func TestArgumentRules(t *testing.T) {
	storage := Spec{
		Options: map[string]Option{
			"state":    {Default: "present", Choices: []any{"present", "absent"}},
			"size":     {Type: TypeInt},
			"device":   {Type: TypePath},
			"pool":     {Default: "docker/thinpool"},
			"user":     {},
			"password": {NoLog: true},
			"level":    {Type: TypeInt, Choices: []any{1, 2}},
			"features": {Type: TypeList, Elements: TypeStr, Choices: []any{"a", "b"}},
			"vg":       {},
			"pv":       {},
		},
		RequiredIf: []RequiredIf{
			{Key: "state", Value: "present", Requires: []string{"size"}},
			{Key: "level", Value: 2, Requires: []string{"vg", "pv"}, AnyOf: true},
		},
	}
	tests := []struct {
		name    string
		spec    Spec
		args    map[string]any
		wantMsg string // empty: the module must run
	}{
		{
			name:    "required options missing or null are all named",
			spec:    Spec{Options: map[string]Option{"name": {Required: true}, "size": {Type: TypeInt, Required: true}}},
			args:    map[string]any{"size": nil},
			wantMsg: "missing required arguments: name, size",
		},
		{
			name: "required options given",
			spec: Spec{Options: map[string]Option{"name": {Required: true}}},
			args: map[string]any{"name": "x"},
		},
		{
			name:    "unknown option alone uses Ansible's exact words",
			spec:    Spec{Options: map[string]Option{"name": {}, "state": {}}},
			args:    map[string]any{"nmae": "x"},
			wantMsg: "Unsupported parameters for (testmod) module: nmae. Supported parameters include: name, state.",
		},
		{
			name:    "unknown option names the module as the task called it",
			spec:    Spec{Options: map[string]Option{"name": {}}},
			args:    map[string]any{"nmae": "x", "_ansible_module_name": "directlvm.docker.thinpool"},
			wantMsg: "Unsupported parameters for (directlvm.docker.thinpool) module: nmae. Supported parameters include: name.",
		},
		{
			name: "unknown options are dropped under _ansible_ignore_unknown_opts",
			spec: Spec{Options: map[string]Option{"name": {}}},
			args: map[string]any{"nmae": "x", "_ansible_ignore_unknown_opts": true},
		},
		{
			name: "a valid choice",
			spec: storage,
			args: map[string]any{"state": "absent"},
		},
		{
			name:    "a choice outside the list",
			spec:    storage,
			args:    map[string]any{"state": "gone", "size": 1},
			wantMsg: "value of state must be one of: present, absent, got: gone",
		},
		{
			name: "choices are compared after coercion",
			spec: storage,
			args: map[string]any{"level": "1", "size": 1},
		},
		{
			name:    "list choices name every element without a match",
			spec:    storage,
			args:    map[string]any{"features": "a,c,d", "size": 1},
			wantMsg: "value of features must be one or more of: a, b. Got no match for: c, d",
		},
		{
			name:    "required_if triggered by the default state",
			spec:    storage,
			args:    map[string]any{},
			wantMsg: "state is present but all of the following are missing: size",
		},
		{
			name: "required_if not triggered by another value",
			spec: storage,
			args: map[string]any{"state": "absent"},
		},
		{
			name:    "required_if with any_of needs just one",
			spec:    storage,
			args:    map[string]any{"level": "2", "size": 1},
			wantMsg: "level is 2 but any of the following are missing: vg, pv",
		},
		{
			name: "required_if with any_of satisfied by one",
			spec: storage,
			args: map[string]any{"level": 2, "pv": "/dev/vdb", "size": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code, _ := execute(t, recordingModule(tt.spec), tt.args)
			if tt.wantMsg == "" {
				if code != 0 || out["ran"] != true {
					t.Fatalf("module did not run (exit code %d): %v", code, out["msg"])
				}
				return
			}
			if out["msg"] != tt.wantMsg || out["failed"] != true || code != 1 {
				t.Fatalf("got failed=%v code=%d msg=%q\nwant failure with msg %q", out["failed"], code, out["msg"], tt.wantMsg)
			}
		})
	}
}

func TestDefaultsAreFilledAndShownInTheInvocation(t *testing.T) {
	m := recordingModule(Spec{Options: map[string]Option{
		"count":   {Type: TypeInt, Default: 1},
		"enabled": {Type: TypeBool, Default: "yes"},
		"tags":    {Type: TypeList, Elements: TypeStr, Default: []string{"a", "b"}},
		"name":    {},
	}})
	out, code, _ := execute(t, m, map[string]any{"count": nil})
	if code != 0 {
		t.Fatalf("exit code %d: %v", code, out["msg"])
	}
	want := `{"count":1,"enabled":true,"name":null,"tags":["a","b"]}`
	if got := jsonText(t, moduleArgs(t, out)); got != want {
		t.Errorf("module_args = %s\nwant         %s", got, want)
	}
	for name, want := range map[string]string{"got_count": "1", "got_enabled": "true", "got_tags": `["a","b"]`, "got_name": "null"} {
		if got := jsonText(t, out[name]); got != want {
			t.Errorf("Run saw %s = %s, want %s", name, got, want)
		}
	}
}

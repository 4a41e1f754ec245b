package ansible

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

var gettersModule = Module{
	Name: "getters",
	Spec: Spec{Options: map[string]Option{
		"name":    {},
		"dir":     {Type: TypePath},
		"count":   {Type: TypeInt, Default: 1},
		"ratio":   {Type: TypeFloat},
		"enabled": {Type: TypeBool},
		"devices": {Type: TypeList, Elements: TypePath},
		"numbers": {Type: TypeList, Elements: TypeInt},
		"labels":  {Type: TypeDict},
		"extra":   {Type: TypeRaw},
	}},
	Run: func(ctx context.Context, req *Request) (*Result, error) { return nil, nil },
}

func TestParamsGetters(t *testing.T) {
	t.Setenv("HOME", "/home/tester")
	req, err := NewRequest(gettersModule, map[string]any{
		"name":    "alpha",
		"dir":     "~/d",
		"ratio":   "0.25",
		"enabled": "on",
		"devices": "/dev/vdb,/dev/vdc",
		"numbers": []any{"1", 2},
		"labels":  "a=1 b=2",
		"extra":   []any{1, "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := req.Params
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"String(name)", p.String("name"), "alpha"},
		{"String(dir) of a path", p.String("dir"), "/home/tester/d"},
		{"Int(count) from the default", p.Int("count"), int64(1)},
		{"Float(ratio)", p.Float("ratio"), 0.25},
		{"Bool(enabled)", p.Bool("enabled"), true},
		{"StringList(devices)", p.StringList("devices"), []string{"/dev/vdb", "/dev/vdc"}},
		{"List(numbers)", p.List("numbers"), []any{int64(1), int64(2)}},
		{"Dict(labels)", p.Dict("labels"), map[string]any{"a": "1", "b": "2"}},
		{"Get(extra)", p.Get("extra"), []any{int64(1), "x"}},
		{"IsSet(name) given", p.IsSet("name"), true},
		{"IsSet(count) defaulted", p.IsSet("count"), false},
		{"IsSet(extra) given", p.IsSet("extra"), true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
}

func TestParamsGettersOfUnsetOptionsGiveZeroValues(t *testing.T) {
	req, err := NewRequest(gettersModule, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := req.Params
	if p.String("name") != "" || p.Float("ratio") != 0 || p.Bool("enabled") || p.List("numbers") != nil ||
		p.StringList("devices") != nil || p.Dict("labels") != nil || p.Get("extra") != nil || p.IsSet("name") {
		t.Errorf("unset options should read as zero values and not set")
	}
}

func TestParamsGetterMisuseNamesTheMistake(t *testing.T) {
	req, err := NewRequest(gettersModule, map[string]any{"name": "x"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		call      func()
		wantPanic string
	}{
		{"option not in the spec", func() { req.Params.String("nmae") }, `Params.String("nmae"): the module's spec has no such option`},
		{"getter of another type", func() { req.Params.Int("name") }, `Params.Int("name"): the option has type str`},
		{"StringList of int elements", func() { req.Params.StringList("numbers") }, `Params.StringList("numbers"): the option is not a list with str or path elements`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				v := recover()
				if v == nil || !strings.Contains(v.(string), tt.wantPanic) {
					t.Fatalf("panic = %v, want one containing %q", v, tt.wantPanic)
				}
			}()
			tt.call()
		})
	}
}

func TestNewRequestReadsAnsibleKeys(t *testing.T) {
	req, err := NewRequest(gettersModule, map[string]any{
		"_ansible_check_mode":     "yes",
		"_ansible_diff":           true,
		"_ansible_no_log":         false,
		"_ansible_verbosity":      3,
		"_ansible_module_name":    "directlvm.docker.getters",
		"_ansible_version":        "2.18.19",
		"_ansible_tmpdir":         "/tmp/ansible-tmp-1/",
		"_ansible_a_future_key":   map[string]any{"x": 1},
		"_ansible_tracebacks_for": []string{"error"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{req.CheckMode, req.Diff, req.NoLog, req.Verbosity, req.ModuleName, req.AnsibleVersion, req.TmpDir}
	want := []any{true, true, false, 3, "directlvm.docker.getters", "2.18.19", "/tmp/ansible-tmp-1/"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request settings = %v, want %v", got, want)
	}
	if _, err := NewRequest(gettersModule, map[string]any{"_ansible_check_mode": "perhaps"}); err == nil ||
		!strings.Contains(err.Error(), "internal argument '_ansible_check_mode' is not a boolean") {
		t.Errorf("an unreadable check-mode flag must fail rather than run for real; got %v", err)
	}
}

func TestRequestCollectsWarningsAndDeprecations(t *testing.T) {
	req, err := NewRequest(gettersModule, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Warn("first")
	req.Deprecate("old option", "2.0.0", "directlvm.docker")
	if got := req.Warnings(); !reflect.DeepEqual(got, []string{"first"}) {
		t.Errorf("Warnings() = %v", got)
	}
	want := []Deprecation{{Msg: "old option", Version: "2.0.0", CollectionName: "directlvm.docker"}}
	if got := req.Deprecations(); !reflect.DeepEqual(got, want) {
		t.Errorf("Deprecations() = %v, want %v", got, want)
	}
}

package ansible

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

var requestModule = Module{
	Name: "request",
	Spec: Spec{Options: map[string]Option{"name": {}}},
	Run:  func(ctx context.Context, req *Request) (*Result, error) { return nil, nil },
}

func TestNewRequestReadsAnsibleKeys(t *testing.T) {
	req, err := NewRequest(requestModule, map[string]any{
		"_ansible_check_mode":     "yes",
		"_ansible_diff":           true,
		"_ansible_no_log":         false,
		"_ansible_verbosity":      3,
		"_ansible_module_name":    "directlvm.docker.request",
		"_ansible_version":        "2.18.19",
		"_ansible_tmpdir":         "/tmp/ansible-tmp-1/",
		"_ansible_a_future_key":   map[string]any{"x": 1},
		"_ansible_tracebacks_for": []string{"error"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{req.CheckMode, req.Diff, req.NoLog, req.Verbosity, req.ModuleName, req.AnsibleVersion, req.TmpDir}
	want := []any{true, true, false, 3, "directlvm.docker.request", "2.18.19", "/tmp/ansible-tmp-1/"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request settings = %v, want %v", got, want)
	}
	if _, err := NewRequest(requestModule, map[string]any{"_ansible_check_mode": "perhaps"}); err == nil ||
		!strings.Contains(err.Error(), "internal argument '_ansible_check_mode' is not a boolean") {
		t.Errorf("an unreadable check-mode flag must fail rather than run for real; got %v", err)
	}
}

func TestRequestCollectsWarnings(t *testing.T) {
	req, err := NewRequest(requestModule, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Warn("first")
	req.Warn("second")
	if got := req.Warnings(); !reflect.DeepEqual(got, []string{"first", "second"}) {
		t.Errorf("Warnings() = %v", got)
	}
}

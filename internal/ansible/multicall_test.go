package ansible

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Two modules in one binary, each saying which it is.
func twoModules() Modules {
	named := func(name string) Module {
		return Module{Name: name, Spec: Spec{Options: map[string]Option{"x": {}}}, Run: func(context.Context, *Request) (*Result, error) {
			return &Result{Msg: "ran " + name}, nil
		}}
	}
	return Modules{named("lvm_profile"), named("storage_info")}
}

func runOneOf(t *testing.T, program, args string) (map[string]any, int) {
	t.Helper()
	var stdout bytes.Buffer
	code := twoModules().ExecuteContext(context.Background(), program, []string{"-"}, strings.NewReader(args), &stdout)
	return decodeOneObject(t, stdout.Bytes()), code
}

func TestTheTasksModuleRunsWhetherNamedInFullOrShort(t *testing.T) {
	for _, name := range []string{"directlvm.docker.storage_info", "storage_info"} {
		out, code := runOneOf(t, "/var/cache/directlvm-docker/modules/0123abcd", `{"_ansible_module_name": "`+name+`"}`)
		if code != 0 || out["msg"] != "ran storage_info" {
			t.Errorf("%s: exit %d, %v", name, code, out)
		}
	}
}

func TestWithoutAModuleNameTheProgramsNameSays(t *testing.T) {
	// ansible-core copies a binary module as tmpdir/MODULE and runs it with
	// an arguments file of the task's options and its own keys.
	out, code := runOneOf(t, "/root/.ansible/tmp/ansible-tmp-1/lvm_profile", `{"x": "1"}`)
	if code != 0 || out["msg"] != "ran lvm_profile" {
		t.Errorf("exit %d, %v", code, out)
	}
}

func TestAnUnknownModuleFailsNamingTheOnesTheBinaryHolds(t *testing.T) {
	for _, c := range []struct{ program, args, want string }{
		{"/usr/local/bin/directlvm", `{"_ansible_module_name": "directlvm.docker.lvm_snapshot"}`, "it has no module directlvm.docker.lvm_snapshot"},
		{"/usr/local/bin/directlvm", `{"x": "1"}`, "the arguments do not say which to run"},
	} {
		out, code := runOneOf(t, c.program, c.args)
		msg, _ := out["msg"].(string)
		if code != 1 || out["failed"] != true || !strings.Contains(msg, c.want) || !strings.Contains(msg, "lvm_profile, storage_info") {
			t.Errorf("%s: exit %d, %v", c.args, code, out)
		}
	}
}

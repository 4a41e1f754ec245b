package ansible

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A no_log value as short as "a" is masked in every value, but the keys
// Ansible reads stay as they are: masked, "failed" became "f********iled"
// and Ansible took the failure for a success.
func TestAShortNoLogValueLeavesTheProtocolKeysAlone(t *testing.T) {
	out, code, stdout := execute(t, leakyModule(TypeStr, "error"), map[string]any{"password": "a", "comment": "a cat", "_ansible_diff": true})
	if code != 1 || out["failed"] != true || out["changed"] != true {
		t.Fatalf("exit code %d, failed=%v, changed=%v; want a failure that changed something:\n%s", code, out["failed"], out["changed"], stdout)
	}
	for _, key := range []string{"msg", "invocation", "diff", "warnings", "ansible_facts"} {
		if _, ok := out[key]; !ok {
			t.Errorf("key %q is missing:\n%s", key, stdout)
		}
	}
	if got := moduleArgs(t, out); got["password"] != noLogMarker || got["comment"] != "******** c********t" {
		t.Errorf("module_args = %v", got)
	}
	diff, _ := out["diff"].(map[string]any)
	if _, ok := diff["before"]; !ok {
		t.Errorf("diff has no before: %s", stdout)
	}
	if got := jsonText(t, out["ansible_facts"]); got != `{"f********ct_********":"********"}` {
		t.Errorf("the keys the module chose are masked all the same: ansible_facts = %s", got)
	}
}

// Ansible writes the arguments file in ASCII; anything that is not UTF-8
// is refused before it is decoded.
func TestAnArgumentsFileThatIsNotUTF8IsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(path, []byte("{\"password\": \"s3cret\xff\"}"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code, _ := executeArgv(t, leakyModule(TypeStr, "ok"), []string{path})
	if msg, _ := out["msg"].(string); code != 1 || !strings.Contains(msg, "is not valid UTF-8") {
		t.Errorf("exit code %d, msg %q", code, msg)
	}
}

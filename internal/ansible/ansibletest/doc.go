package ansibletest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-json"
)

// Collection is the collection's name: its modules are
// Collection + "." + NAME.
const Collection = "directlvm.docker"

// RequireAnsibleEnv names the environment variable that, set to 1, turns a
// missing Ansible into a failure instead of a skip (make unit sets it).
const RequireAnsibleEnv = "DIRECTLVM_REQUIRE_ANSIBLE"

// RepoRoot returns the repository's root: the directory of go.mod above
// the working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Tool returns the path of the Ansible command-line tool name (ansible-doc,
// ansible-playbook, ...), looked up in $ANSIBLE_BIN_DIR, then in the
// repository's .venv. Without it the test skips, unless
// DIRECTLVM_REQUIRE_ANSIBLE=1 demands that it run.
func Tool(t testing.TB, name string) string {
	t.Helper()
	var dirs []string
	if dir := os.Getenv("ANSIBLE_BIN_DIR"); dir != "" {
		dirs = append(dirs, dir)
	}
	dirs = append(dirs, filepath.Join(RepoRoot(t), ".venv", "bin"))
	for _, dir := range dirs {
		path := filepath.Join(dir, name)
		if info, err := os.Stat(path); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return path
		}
	}
	msg := name + " not found; run `make venv` (it installs .venv)"
	if os.Getenv(RequireAnsibleEnv) == "1" {
		t.Fatalf("%s; looked in %v and %s=1 forbids skipping", msg, dirs, RequireAnsibleEnv)
	}
	t.Skip(msg)
	return ""
}

// DocPath is where a module's documentation lives, relative to the
// repository's root: the doc-only Python file ansible-doc (and Galaxy) read.
func DocPath(module string) string {
	return filepath.Join("plugins", "modules", module+".py")
}

// ModuleDoc is a module's documentation as ansible-doc --json gives it,
// that is plugins/modules/NAME.py once Ansible has read it.
type ModuleDoc struct {
	Doc      Documentation        `json:"doc"`
	Examples string               `json:"examples"`
	Return   map[string]ReturnDoc `json:"return"`
}

// Documentation is the DOCUMENTATION part, as far as tests check it.
type Documentation struct {
	Module           string                  `json:"module"`
	ShortDescription string                  `json:"short_description"`
	Options          map[string]OptionDoc    `json:"options"`
	Attributes       map[string]AttributeDoc `json:"attributes"`
}

// OptionDoc documents one option.
type OptionDoc struct {
	Description any    `json:"description"` // a string or a list of strings
	Type        string `json:"type"`        // empty means str
	Elements    string `json:"elements"`
	Required    bool   `json:"required"`
	Default     any    `json:"default"` // nil when there is none
	Choices     []any  `json:"choices"`
}

// AttributeDoc documents one attribute (check_mode, diff_mode, ...).
type AttributeDoc struct {
	Description any    `json:"description"`
	Support     string `json:"support"` // full, partial, none or N/A
}

// ReturnDoc documents one key of the result.
type ReturnDoc struct {
	Description any                  `json:"description"`
	Returned    string               `json:"returned"`
	Type        string               `json:"type"`
	Contains    map[string]ReturnDoc `json:"contains"`
}

// HasText says whether a description (a string or a list of strings) says
// anything.
func HasText(description any) bool {
	switch d := description.(type) {
	case string:
		return strings.TrimSpace(d) != ""
	case []any:
		return slices.ContainsFunc(d, func(line any) bool { s, ok := line.(string); return ok && strings.TrimSpace(s) != "" })
	}
	return false
}

// Docs reads the documentation of the collection's modules with the real
// ansible-doc, from this working tree's plugins/modules/NAME.py. It skips
// like Tool without ansible-doc; anything ansible-doc warns about fails the
// test.
//
// Each file is copied into a temporary collection tree, so that the docs
// are checked as Ansible reads them without ansible-doc seeing anything else
// of the working tree.
func Docs(t testing.TB, modules ...string) map[string]ModuleDoc {
	t.Helper()
	ansibleDoc := Tool(t, "ansible-doc")
	root := RepoRoot(t)
	work := t.TempDir()
	pluginDir := filepath.Join(work, "collections", "ansible_collections", strings.ReplaceAll(Collection, ".", string(filepath.Separator)), "plugins", "modules")
	for _, dir := range []string{pluginDir, filepath.Join(work, "home"), filepath.Join(work, "tmp")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	fqcns := make([]string, 0, len(modules))
	for _, m := range modules {
		doc, err := os.ReadFile(filepath.Join(root, DocPath(m)))
		if err != nil {
			t.Fatalf("module %s has no documentation: %v; write %s (see the other modules')", m, err, DocPath(m))
		}
		if err := os.WriteFile(filepath.Join(pluginDir, m+".py"), doc, 0o600); err != nil {
			t.Fatal(err)
		}
		fqcns = append(fqcns, Collection+"."+m)
	}
	config := filepath.Join(work, "ansible.cfg")
	if err := os.WriteFile(config, []byte("[defaults]\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ansibleDoc, append([]string{"--json", "-t", "module"}, fqcns...)...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(),
		"ANSIBLE_CONFIG="+config,
		"ANSIBLE_HOME="+filepath.Join(work, "home"),
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(work, "tmp"),
		"ANSIBLE_COLLECTIONS_PATH="+filepath.Join(work, "collections"),
		"ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False",
		"ANSIBLE_NOCOLOR=1",
		"LC_ALL=C.UTF-8",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s: %v", ansibleDoc, err)
	}
	if err != nil || strings.Contains(stderr.String(), "WARNING") || strings.Contains(stderr.String(), "ERROR") {
		t.Fatalf("ansible-doc cannot read the documentation of %s cleanly (%v); it read each plugins/modules/NAME.py as copied into %s:\n%s",
			strings.Join(fqcns, " "), orNil(err), pluginDir, strings.TrimSpace(stderr.String()))
	}
	var byFQCN map[string]ModuleDoc
	if err := json.Unmarshal(stdout.Bytes(), &byFQCN); err != nil {
		t.Fatalf("decoding ansible-doc's JSON for %s: %v\n%s", strings.Join(fqcns, " "), err, stdout.String())
	}
	docs := map[string]ModuleDoc{}
	for _, m := range modules {
		d, ok := byFQCN[Collection+"."+m]
		if !ok {
			t.Fatalf("ansible-doc gave no documentation for %s.%s\n%s", Collection, m, strings.TrimSpace(stderr.String()))
		}
		docs[m] = d
	}
	return docs
}

func orNil(err error) any {
	if err == nil {
		return "exit status 0"
	}
	return err
}

// protocolKeys are the result keys the module protocol owns, documented
// by Ansible's common return values rather than by each module's RETURN.
var protocolKeys = map[string]bool{
	"changed": true, "failed": true, "skipped": true, "invocation": true,
	"warnings": true, "deprecations": true, "exception": true,
}

// actionPluginKeys are the dotted result keys the collection's action plugin
// (plugins/action/binary_module.py) adds to every module's result: RETURN
// documents them, but a module binary run on its own does not return them.
var actionPluginKeys = map[string]bool{"ansible_facts.directlvm_docker_goarch": true}

// CheckReturnDocs fails the test for every key of result, the output of a
// successful run of module, that its RETURN does not document, and for
// every key RETURN documents that result lacks. It descends into the keys
// of dict values (and of the dicts in list values) whose RETURN entry has
// contains. Keys the protocol owns (changed, invocation, warnings, ...) are
// left to Ansible's common return values; msg, diff and ansible_facts are
// the module's to document.
func CheckReturnDocs(t testing.TB, module string, doc ModuleDoc, result map[string]any) {
	t.Helper()
	if result["failed"] == true {
		t.Fatalf("%s: the scenario failed, so it shows nothing about RETURN: %v", module, result["msg"])
	}
	for _, problem := range returnProblems(module, doc.Return, result) {
		t.Errorf("%s: %s", DocPath(module), problem)
	}
}

// returnProblems lists the differences between RETURN and a result, but
// for the keys the protocol owns.
func returnProblems(module string, documented map[string]ReturnDoc, result map[string]any) []string {
	own := map[string]any{}
	for k, v := range result {
		if !protocolKeys[k] {
			own[k] = v
		}
	}
	return compareReturn(module, "", documented, own)
}

// compareReturn lists the differences between documented keys and the keys
// of got, prefix being the dotted path of got.
func compareReturn(module, prefix string, documented map[string]ReturnDoc, got map[string]any) []string {
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(got)) {
		entry, ok := documented[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("RETURN does not document %s%s, which %s returns (value %s): add it with description, returned, type and sample",
				prefix, k, module, jsonText(got[k])))
			continue
		}
		if len(entry.Contains) == 0 {
			continue
		}
		switch v := got[k].(type) {
		case map[string]any:
			problems = append(problems, compareReturn(module, prefix+k+".", entry.Contains, v)...)
		case []any:
			for i, e := range v {
				if m, ok := e.(map[string]any); ok {
					problems = append(problems, compareReturn(module, fmt.Sprintf("%s%s[%d].", prefix, k, i), entry.Contains, m)...)
				}
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(documented)) {
		if _, ok := got[k]; !ok && !actionPluginKeys[prefix+k] {
			problems = append(problems, fmt.Sprintf("RETURN documents %s%s, but %s's result has no such key: remove it from RETURN, or return it", prefix, k, module))
		}
	}
	return problems
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

package codecheck

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
)

// TestTheRepositoryKeepsItsCodeRules checks every non-test .go file of the
// repository against the rules in doc.go.
func TestTheRepositoryKeepsItsCodeRules(t *testing.T) {
	root := ansibletest.RepoRoot(t)
	files := goFiles(t, root)
	// A walk that finds nothing would pass: make sure it saw the code.
	for _, must := range []string{"internal/runner/runner.go", "internal/ansible/execute.go", "internal/dockerstorage/files.go"} {
		if !slices.ContainsFunc(files, func(f sourceFile) bool { return f.path == must }) {
			t.Fatalf("the walk from %s did not find %s among %d files", root, must, len(files))
		}
	}
	findings, err := check(modulePath(t, root), files)
	if err != nil {
		t.Fatal(err)
	}
	kept, unused := allowed(findings, allowlist)
	for _, f := range kept {
		t.Errorf("%s", f)
	}
	for _, e := range unused {
		t.Errorf("the allowlist excuses %s from %q, but nothing there breaks it any more: remove the entry", e.file, e.rule)
	}
	if len(kept) > 0 {
		t.Logf("an exception, when one is justified, is an entry of allowlist in tools/codecheck/rules_test.go with its reason")
	}
}

// TestTheCheckerFlagsWhatBreaksARule runs the checker on small sources.
// Each line that must be flagged ends with "// want: RULE"; every other
// line must pass.
func TestTheCheckerFlagsWhatBreaksARule(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{
			name: "os/exec outside the runner",
			files: map[string]string{"internal/lvm/lvm.go": `package lvm

import "os/exec" // want: one runner

func run() error { return exec.Command("lvs").Run() }
`},
		},
		{
			name: "os/exec inside the runner",
			files: map[string]string{"internal/runner/runner.go": `package runner

import (
	"context"
	"os/exec"
)

func Run(ctx context.Context, path string, args []string) error {
	return exec.CommandContext(ctx, path, args...).Run()
}
`},
		},
		{
			name: "processes started without os/exec, under any import name",
			files: map[string]string{"internal/systemd/start.go": `package systemd

import (
	"os"
	sc "syscall"
)

func start(argv []string) {
	sc.Exec(argv[0], argv, nil) // want: one runner
	sc.ForkExec(argv[0], argv, nil) // want: one runner
	os.StartProcess(argv[0], argv, nil) // want: one runner
}
`},
		},
		{
			name: "a test-support package may run tools, but only tests may import it",
			files: map[string]string{
				"internal/lvm/lvmtest/lvmtest.go": `package lvmtest

import "os/exec"

func LVS() *exec.Cmd { return exec.Command("lvs") }
`,
				"internal/lvm/report.go": `package lvm

import "example.com/m/internal/lvm/lvmtest" // want: one runner

var _ = lvmtest.LVS
`,
			},
		},
		{
			name: "shells and scripts",
			files: map[string]string{"internal/docker/run.go": `package docker

func Command(argv ...string) []string { return argv }

var (
	script    = []string{"sh", "-c", "echo hi"} // want: no shell
	viaEnv    = []string{"env", "LC_ALL=C", "/bin/bash", "-ec", "echo hi"} // want: no shell
	scriptRun = []string{"/usr/bin/bash", "setup.sh"} // want: no shell
	several   = [][]string{{"lvs"}, {"dash", "x.sh"}} // want: no shell
	called    = Command("zsh", "-xc", "echo hi") // want: no shell

	lvs    = []string{"lvs", "-o", "lv_name", "-c"}
	python = []string{"python3", "-c", "pass"}
	count  = []string{"grep", "-c", "sh"}
	word   = Command("printf", "%s", "bash")
)
`},
		},
		{
			name: "modes that are constants pass",
			files: map[string]string{
				"internal/lvmprofile/render.go": `package lvmprofile

const (
	FileMode = 0o644
	DirMode  = 0o755
)
`,
				"internal/lvmprofile/file.go": `package lvmprofile

import (
	"io/fs"
	"os"
)

const secretMode fs.FileMode = 0600

func write(dir, path string, data []byte) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	if err := os.WriteFile(path+".a", data, FileMode); err != nil {
		return err
	}
	if err := os.WriteFile(path+".b", data, secretMode); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, fs.FileMode(0o640))
	if err != nil {
		return err
	}
	defer f.Close()
	return os.Mkdir(dir+"/d", 0o700|fs.ModeSetgid)
}
`,
				"internal/dockerstorage/plan.go": `package dockerstorage

import (
	"os"

	"example.com/m/internal/lvmprofile"
)

func copyProfile(path string, data []byte) error { return os.WriteFile(path, data, lvmprofile.FileMode) }
`,
			},
		},
		{
			name: "world-writable modes, ModePerm and values the check cannot see",
			files: map[string]string{"tools/guest/files.go": `package guest

import (
	"os"
)

const open = 0o777

var perm = os.FileMode(0o644)

func write(dir, path string, data []byte) {
	os.WriteFile(path, data, 0o666) // want: explicit modes
	os.MkdirAll(dir, os.ModePerm) // want: explicit modes
	os.MkdirAll(dir, 0777) // want: explicit modes
	os.Mkdir(dir, open) // want: explicit modes
	os.WriteFile(path, data, perm) // want: explicit modes
	os.WriteFile(path, data, modeFor(path)) // want: explicit modes
	os.Chmod(path, 0o646) // want: explicit modes
}
`},
		},
		{
			name: "os.Create and os.CreateTemp need a Chmod after them",
			files: map[string]string{"internal/blockdev/files.go": `package blockdev

import "os"

func bare(path string) error {
	f, err := os.Create(path) // want: explicit modes
	if err != nil {
		return err
	}
	return f.Close()
}

func chmodBefore(path string) error {
	if err := os.Chmod(path, 0o644); err != nil {
		return err
	}
	f, err := os.CreateTemp("", "x-*") // want: explicit modes
	if err != nil {
		return err
	}
	return f.Close()
}

func chmodAfter(dir string) error {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	return f.Close()
}
`},
		},
		{
			name: "a helper taking a mode: checked where the mode is given",
			files: map[string]string{"internal/dockerstorage/files.go": `package dockerstorage

import (
	"io/fs"
	"os"
)

type Observed struct {
	ConfigMode fs.FileMode
}

type FileWrite struct {
	Path string
	Mode fs.FileMode
}

func observe(path string, fi fs.FileInfo) (*Observed, []FileWrite) {
	obs := &Observed{}
	obs.ConfigMode = fi.Mode().Perm()
	obs.ConfigMode = 0o777 // want: explicit modes
	return obs, []FileWrite{
		{Path: path, Mode: 0o644},
		{Path: path, Mode: 0o666}, // want: explicit modes
	}
}

type VM struct{}

func (vm *VM) Upload(local, remote string, mode os.FileMode) error { return nil }

func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(".", ".tmp-*")
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func apply(obs *Observed, vm *VM, path string, data []byte, n int) {
	writeFileAtomic(path, data, 0o644)
	writeFileAtomic(path, data, obs.ConfigMode)
	mode := obs.ConfigMode
	if mode == 0 {
		mode = 0o644
	}
	writeFileAtomic(path, data, mode)
	writeFileAtomic(path, data, 0o666) // want: explicit modes
	writeFileAtomic(path, data, fs.FileMode(n)) // want: explicit modes
	other := fs.FileMode(n)
	writeFileAtomic(path, data, other) // want: explicit modes
	vm.Upload("pkg.test", "/root/pkg.test", 0o755)
	vm.Upload("pkg.test", "/root/pkg.test", 0o777) // want: explicit modes
}
`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []sourceFile
			var want []string
			for path, src := range tt.files {
				files = append(files, sourceFile{path: path, src: []byte(src)})
				want = append(want, wanted(path, src)...)
			}
			findings, err := check("example.com/m", files)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range findings {
				got = append(got, fmt.Sprintf("%s:%d: %s", f.file, f.line, f.rule))
				if !strings.Contains(f.msg, ": ") && !strings.Contains(f.msg, "; ") {
					t.Errorf("%s: the message names no fix", f)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("findings:\n  %s\nwant:\n  %s\nall findings:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), joinFindings(findings))
			}
		})
	}
}

func TestTheAllowlistExcusesOneRuleInOneFileOnly(t *testing.T) {
	findings := []finding{
		{file: "tools/guest/tests.go", line: 3, rule: ruleNoShell},
		{file: "tools/guest/tests.go", line: 9, rule: ruleExplicitModes},
		{file: "tools/guest/vm.go", line: 5, rule: ruleNoShell},
	}
	list := []exception{
		{file: "tools/guest/tests.go", rule: ruleNoShell, reason: "r"},
		{file: "tools/guest/gone.go", rule: ruleNoShell, reason: "r"},
	}
	kept, unused := allowed(findings, list)
	if len(kept) != 2 || kept[0].line != 9 || kept[1].file != "tools/guest/vm.go" {
		t.Errorf("kept %v", kept)
	}
	if len(unused) != 1 || unused[0].file != "tools/guest/gone.go" {
		t.Errorf("unused %v", unused)
	}
	for _, e := range allowlist {
		if strings.TrimSpace(e.reason) == "" {
			t.Errorf("the allowlist entry for %s (%s) gives no reason", e.file, e.rule)
		}
	}
}

// wanted lists "file:line: rule" for each line of src marked "// want: RULE".
func wanted(path, src string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		if _, rule, ok := strings.Cut(sc.Text(), "// want: "); ok {
			out = append(out, fmt.Sprintf("%s:%d: %s", path, line, strings.TrimSpace(rule)))
		}
	}
	return out
}

func joinFindings(fs []finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n  ")
	}
	return b.String()
}

// modulePath reads the module line of go.mod.
func modulePath(t *testing.T, root string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("module ")); ok {
			return string(bytes.Trim(bytes.TrimSpace(rest), `"`))
		}
	}
	t.Fatal("go.mod has no module line")
	return ""
}

// goFiles reads every non-test .go file under root, skipping what the go
// tool skips (testdata, directories starting with . or _) and build
// output (bin, .venv, vendor).
func goFiles(t *testing.T, root string) []sourceFile {
	t.Helper()
	var files []sourceFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				name == "testdata" || name == "bin" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		files = append(files, sourceFile{path: filepath.ToSlash(rel), src: src})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

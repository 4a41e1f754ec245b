package ansibletest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-json"
)

// PlaybookRun is one ansible-playbook run: what it printed, its exit code
// and, unless it ran with the default callback, each task's result as
// Ansible received it.
type PlaybookRun struct {
	Stdout, Stderr string
	Code           int
	Results        map[string]map[string]any // task name -> result
	Statuses       map[string]string         // task name -> ok, failed, skipped, unreachable
}

// Playbook says how to run a playbook.
type Playbook struct {
	// Text is the playbook's YAML.
	Text string
	// Plain keeps Ansible's default stdout callback, to see what a user
	// sees; otherwise the probe_results callback records every result.
	Plain bool
	// Env is added to the environment (ANSIBLE_LIBRARY=..., ...).
	Env []string
	// Flags are ansible-playbook's options (--check, -e ..., -vvv).
	Flags []string
}

// RunPlaybook runs p with ansible-playbook (see Tool) against localhost over
// the local connection, inside a temporary directory that holds Ansible's
// configuration, home and temporary files, with this working tree's
// collection (bin/collections) and nothing else on the collections path.
func RunPlaybook(t testing.TB, p Playbook) PlaybookRun {
	t.Helper()
	bin := Tool(t, "ansible-playbook")
	root := RepoRoot(t)
	work := t.TempDir()
	for _, dir := range []string{"home", "local-tmp", "remote-tmp"} {
		if err := os.MkdirAll(filepath.Join(work, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(work, "playbook.yml")
	if err := os.WriteFile(path, []byte(p.Text), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(work, "ansible.cfg")
	if err := os.WriteFile(config, []byte("[defaults]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	resultsFile := filepath.Join(work, "results.json")
	callback := "probe_results"
	if p.Plain {
		callback = "default"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(append([]string{"-i", "localhost,", "-c", "local"}, p.Flags...), path)...)
	cmd.Dir = work
	cmd.Env = append(append(os.Environ(),
		"ANSIBLE_CONFIG="+config,
		"ANSIBLE_HOME="+filepath.Join(work, "home"),
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(work, "local-tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(work, "remote-tmp"),
		"ANSIBLE_COLLECTIONS_PATH="+filepath.Join(root, "bin", "collections"),
		"ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False",
		"ANSIBLE_CALLBACK_PLUGINS="+filepath.Join(root, "internal", "ansible", "testdata", "callback"),
		"ANSIBLE_STDOUT_CALLBACK="+callback,
		"PROBE_RESULTS_FILE="+resultsFile,
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_LOCALHOST_WARNING=False",
		"ANSIBLE_INVENTORY_UNPARSED_WARNING=False",
		"ANSIBLE_PYTHON_INTERPRETER=auto_silent",
		"ANSIBLE_RETRY_FILES_ENABLED=False",
		"LC_ALL=C.UTF-8",
	), p.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s: %v", bin, err)
	}
	run := PlaybookRun{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode()}
	if p.Plain {
		return run
	}
	data, err := os.ReadFile(resultsFile)
	if err != nil {
		t.Fatalf("the probe_results callback wrote nothing (%v)\nstdout: %s\nstderr: %s", err, run.Stdout, run.Stderr)
	}
	var doc struct {
		Results []struct {
			Task   string         `json:"task"`
			Status string         `json:"status"`
			Result map[string]any `json:"result"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("decoding the callback's results: %v\n%s", err, data)
	}
	run.Results, run.Statuses = map[string]map[string]any{}, map[string]string{}
	for _, r := range doc.Results {
		run.Results[r.Task], run.Statuses[r.Task] = r.Result, r.Status
	}
	return run
}

// Lookup follows a dotted path of keys through nested objects; nil when a
// key is missing.
func Lookup(v any, path string) any {
	for _, key := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[key]
	}
	return v
}

// JSON is v's JSON text, for comparing a result's value with what a test
// expects.
func JSON(t testing.TB, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %#v: %v", v, err)
	}
	return string(data)
}

package ansible

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

	json "github.com/goccy/go-json"
)

// The conformance test runs the probe module (testdata/probe) under the real
// ansible-playbook and checks what Ansible makes of it: arguments in,
// results out, check mode, diff mode, failures, no_log.

const conformanceSecret = "s3cr3t-conformance-value"

const conformancePlaybook = `
- name: Probe the binary module protocol
  hosts: localhost
  gather_facts: false
  vars:
    probe_secret: ` + conformanceSecret + `
  tasks:
    - name: present
      probe:
        name: alpha
        count: "3"
        secret: "{{ probe_secret }}"
        state: present
    - name: absent
      probe:
        name: beta
        state: absent
    - name: fail
      probe:
        name: gamma
        fail: true
        secret: "{{ probe_secret }}"
      ignore_errors: true
    - name: unknown
      probe:
        name: delta
        bogus: 1
      ignore_errors: true
    - name: panic
      probe:
        name: epsilon
        panic: true
      ignore_errors: true
    - name: noise
      probe:
        name: zeta
        noise: true
    - name: facts
      ansible.builtin.assert:
        that: probe_name == 'zeta'
`

const checkPlaybook = `
- name: Probe check and diff mode
  hosts: localhost
  gather_facts: false
  tasks:
    - name: present
      probe:
        name: eta
`

// ansibleRun is one ansible-playbook run.
type ansibleRun struct {
	stdout, stderr string
	code           int
	results        map[string]map[string]any // task name -> result, from the probe_results callback
	statuses       map[string]string         // task name -> ok, failed, skipped
}

// conformance holds what every ansible-playbook run of the test shares.
type conformance struct {
	playbookBin string
	work        string
	env         []string
}

func TestConformanceWithAnsiblePlaybook(t *testing.T) {
	c := newConformance(t)
	secretFree := func(t *testing.T, run ansibleRun) {
		t.Helper()
		for _, text := range []string{run.stdout, run.stderr, jsonText(t, run.results)} {
			if strings.Contains(text, conformanceSecret) {
				t.Errorf("the no_log secret reached Ansible's output:\n%s", text)
			}
		}
	}

	t.Run("arguments in, results out, failures", func(t *testing.T) {
		run := c.run(t, conformancePlaybook, true)
		if run.code != 0 {
			t.Fatalf("ansible-playbook exited %d (failures were to be ignored)\nstdout: %s\nstderr: %s", run.code, run.stdout, run.stderr)
		}
		secretFree(t, run)
		checks := []struct {
			// status is what Ansible made of the result (it keeps "failed"
			// for itself); path is a dotted key path in the task's result;
			// want is the value's JSON text.
			task, status, path, want string
		}{
			{"present", "ok", "changed", "true"},
			{"present", "ok", "msg", `"probe alpha is present"`},
			{"present", "ok", "count", "3"},
			{"present", "ok", "invocation.module_args.count", "3"},
			{"present", "ok", "invocation.module_args.state", `"present"`},
			{"present", "ok", "invocation.module_args.secret", `"VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"`},
			{"present", "ok", "secret_echo", `"the secret is ********"`},
			{"present", "ok", "warnings", `["probe warning for alpha"]`},
			{"present", "ok", "ansible_facts.probe_name", `"alpha"`},
			{"present", "ok", "check_mode", "false"},
			{"present", "ok", "diff", "null"},
			{"absent", "ok", "changed", "false"},
			{"fail", "failed", "changed", "true"},
			{"fail", "failed", "msg", `"probe gamma failed as asked, holding secret ********"`},
			{"fail", "failed", "name", `"gamma"`},
			{"unknown", "failed", "msg", `"Unsupported parameters for (probe) module: bogus. Supported parameters include: count, fail, name, noise, panic, secret, state, wait."`},
			{"panic", "failed", "msg", `"module probe panicked: probe was asked to panic"`},
			{"noise", "ok", "changed", "true"},
			{"facts", "ok", "msg", `"All assertions passed"`},
		}
		for _, check := range checks {
			if got := run.statuses[check.task]; got != check.status {
				t.Errorf("task %s: status %q, want %q", check.task, got, check.status)
			}
			if got := jsonText(t, lookup(run.results[check.task], check.path)); got != check.want {
				t.Errorf("task %s: %s = %s, want %s", check.task, check.path, got, check.want)
			}
		}
	})

	t.Run("check mode reaches the module", func(t *testing.T) {
		run := c.run(t, checkPlaybook, true, "--check")
		if run.code != 0 {
			t.Fatalf("ansible-playbook --check exited %d\nstdout: %s\nstderr: %s", run.code, run.stdout, run.stderr)
		}
		for path, want := range map[string]string{"check_mode": "true", "would_change": "true", "changed": "true"} {
			if got := jsonText(t, lookup(run.results["present"], path)); got != want {
				t.Errorf("%s = %s, want %s", path, got, want)
			}
		}
	})

	t.Run("diff shown with --diff only", func(t *testing.T) {
		diffLines := []string{"-probe_state: absent", "+probe_state: present"}
		run := c.run(t, checkPlaybook, false, "--diff")
		if run.code != 0 {
			t.Fatalf("ansible-playbook --diff exited %d\nstdout: %s\nstderr: %s", run.code, run.stdout, run.stderr)
		}
		for _, line := range diffLines {
			if !strings.Contains(run.stdout, line) {
				t.Errorf("ansible-playbook --diff does not show %q:\n%s", line, run.stdout)
			}
		}
		run = c.run(t, checkPlaybook, false)
		for _, line := range diffLines {
			if strings.Contains(run.stdout, line) {
				t.Errorf("ansible-playbook without --diff shows %q:\n%s", line, run.stdout)
			}
		}
	})
}

// newConformance finds ansible-playbook, builds the probe into a library
// directory and prepares an environment that keeps Ansible inside a
// temporary directory.
func newConformance(t *testing.T) *conformance {
	playbookBin := findAnsiblePlaybook(t)
	work := t.TempDir()
	library := filepath.Join(work, "library")
	callbacks, err := filepath.Abs(filepath.Join("testdata", "callback"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{library, filepath.Join(work, "local-tmp"), filepath.Join(work, "remote-tmp"), filepath.Join(work, "home")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	buildProbe(t, library)
	config := filepath.Join(work, "ansible.cfg")
	if err := os.WriteFile(config, []byte("[defaults]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"ANSIBLE_CONFIG="+config,
		"ANSIBLE_HOME="+filepath.Join(work, "home"),
		"ANSIBLE_LIBRARY="+library,
		"ANSIBLE_CALLBACK_PLUGINS="+callbacks,
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_LOCALHOST_WARNING=False",
		"ANSIBLE_INVENTORY_UNPARSED_WARNING=False",
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(work, "local-tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(work, "remote-tmp"),
		"ANSIBLE_PYTHON_INTERPRETER=auto_silent",
		"ANSIBLE_RETRY_FILES_ENABLED=False",
	)
	return &conformance{playbookBin: playbookBin, work: work, env: env}
}

// run writes the playbook and runs ansible-playbook on localhost. With
// recordResults the probe_results callback replaces the default one and its
// results are decoded; otherwise the default callback prints to stdout.
func (c *conformance) run(t *testing.T, playbook string, recordResults bool, flags ...string) ansibleRun {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "playbook.yml")
	if err := os.WriteFile(path, []byte(playbook), 0o600); err != nil {
		t.Fatal(err)
	}
	resultsFile := filepath.Join(dir, "results.json")
	env := append(c.env, "ANSIBLE_STDOUT_CALLBACK=default")
	if recordResults {
		env = append(c.env, "ANSIBLE_STDOUT_CALLBACK=probe_results", "PROBE_RESULTS_FILE="+resultsFile)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"-i", "localhost,", "-c", "local"}, flags...)
	cmd := exec.CommandContext(ctx, c.playbookBin, append(args, path)...)
	cmd.Dir, cmd.Env = c.work, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s: %v", c.playbookBin, err)
	}
	run := ansibleRun{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
	if !recordResults {
		return run
	}
	data, err := os.ReadFile(resultsFile)
	if err != nil {
		t.Fatalf("the probe_results callback wrote nothing (%v)\nstdout: %s\nstderr: %s", err, run.stdout, run.stderr)
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
	run.results, run.statuses = map[string]map[string]any{}, map[string]string{}
	for _, r := range doc.Results {
		run.results[r.Task], run.statuses[r.Task] = r.Result, r.Status
	}
	return run
}

// findAnsiblePlaybook looks in $ANSIBLE_BIN_DIR, then in the repository's
// .venv. Without it the test skips, unless DIRECTLVM_REQUIRE_ANSIBLE=1
// demands that it run.
func findAnsiblePlaybook(t *testing.T) string {
	t.Helper()
	var dirs []string
	if dir := os.Getenv("ANSIBLE_BIN_DIR"); dir != "" {
		dirs = append(dirs, dir)
	}
	if root, err := repoRoot(); err == nil {
		dirs = append(dirs, filepath.Join(root, ".venv", "bin"))
	}
	for _, dir := range dirs {
		path := filepath.Join(dir, "ansible-playbook")
		if info, err := os.Stat(path); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return path
		}
	}
	msg := "ansible-playbook not found; run `make test` (it installs .venv)"
	if os.Getenv("DIRECTLVM_REQUIRE_ANSIBLE") == "1" {
		t.Fatalf("%s; looked in %v and DIRECTLVM_REQUIRE_ANSIBLE=1 forbids skipping", msg, dirs)
	}
	t.Skip(msg)
	return ""
}

// repoRoot walks up from the working directory to the directory of go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// lookup follows a dotted path of keys through nested objects; nil when a
// key is missing.
func lookup(v any, path string) any {
	for _, key := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[key]
	}
	return v
}

package ansible_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/ansible/ansibletest"
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

func TestConformanceWithAnsiblePlaybook(t *testing.T) {
	c := newConformance(t)
	secretFree := func(t *testing.T, run ansibletest.PlaybookRun) {
		t.Helper()
		for _, text := range []string{run.Stdout, run.Stderr, ansibletest.JSON(t, run.Results)} {
			if strings.Contains(text, conformanceSecret) {
				t.Errorf("the no_log secret reached Ansible's output:\n%s", text)
			}
		}
	}

	t.Run("arguments in, results out, failures", func(t *testing.T) {
		run := c.run(t, conformancePlaybook, true)
		if run.Code != 0 {
			t.Fatalf("ansible-playbook exited %d (failures were to be ignored)\nstdout: %s\nstderr: %s", run.Code, run.Stdout, run.Stderr)
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
			if got := run.Statuses[check.task]; got != check.status {
				t.Errorf("task %s: status %q, want %q", check.task, got, check.status)
			}
			if got := ansibletest.JSON(t, ansibletest.Lookup(run.Results[check.task], check.path)); got != check.want {
				t.Errorf("task %s: %s = %s, want %s", check.task, check.path, got, check.want)
			}
		}
	})

	t.Run("check mode reaches the module", func(t *testing.T) {
		run := c.run(t, checkPlaybook, true, "--check")
		if run.Code != 0 {
			t.Fatalf("ansible-playbook --check exited %d\nstdout: %s\nstderr: %s", run.Code, run.Stdout, run.Stderr)
		}
		for path, want := range map[string]string{"check_mode": "true", "would_change": "true", "changed": "true"} {
			if got := ansibletest.JSON(t, ansibletest.Lookup(run.Results["present"], path)); got != want {
				t.Errorf("%s = %s, want %s", path, got, want)
			}
		}
	})

	t.Run("diff shown with --diff only", func(t *testing.T) {
		diffLines := []string{"-probe_state: absent", "+probe_state: present"}
		run := c.run(t, checkPlaybook, false, "--diff")
		if run.Code != 0 {
			t.Fatalf("ansible-playbook --diff exited %d\nstdout: %s\nstderr: %s", run.Code, run.Stdout, run.Stderr)
		}
		for _, line := range diffLines {
			if !strings.Contains(run.Stdout, line) {
				t.Errorf("ansible-playbook --diff does not show %q:\n%s", line, run.Stdout)
			}
		}
		run = c.run(t, checkPlaybook, false)
		for _, line := range diffLines {
			if strings.Contains(run.Stdout, line) {
				t.Errorf("ansible-playbook without --diff shows %q:\n%s", line, run.Stdout)
			}
		}
	})
}

// conformance runs the conformance playbooks with the probe module on
// Ansible's library path.
type conformance struct{ library string }

// newConformance builds the probe into a library directory.
func newConformance(t *testing.T) conformance {
	library := filepath.Join(t.TempDir(), "library")
	ansible.BuildProbe(t, library)
	return conformance{library: library}
}

// run runs playbook on localhost; with recordResults each task's result is
// recorded, otherwise Ansible's default callback prints what a user sees.
func (c conformance) run(t *testing.T, playbook string, recordResults bool, flags ...string) ansibletest.PlaybookRun {
	t.Helper()
	return ansibletest.RunPlaybook(t, ansibletest.Playbook{Text: playbook, Plain: !recordResults,
		Env: []string{"ANSIBLE_LIBRARY=" + c.library}, Flags: flags})
}

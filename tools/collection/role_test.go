package collection

import (
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
)

// The role's own checks run before anything reaches a host's LVM or
// docker, so they are shown here, on this machine, through each
// ansible-core of the matrix.

const rolePlaybook = `
- name: The role
  hosts: localhost
  gather_facts: false
  roles:
    - role: directlvm.docker.direct_lvm
`

func TestEachRolePhaseHasItsTagAndTheChecksAlwaysRunOnThisCore(t *testing.T) {
	version := coreVersion(t)
	for tags, want := range map[string]struct{ in, out []string }{
		"pool": {
			in:  []string{"Ask for the devices", "Check the values the modules would refuse", "Thin pool on the devices", "Summary"},
			out: []string{"Autoextend profile on the pool", "Docker on devicemapper with the thin pool"},
		},
		"docker": {
			in:  []string{"Check the values the modules would refuse", "Docker on devicemapper with the thin pool", "Summary"},
			out: []string{"Thin pool on the devices", "Autoextend profile on the pool"},
		},
		"packages,profile": {
			in:  []string{"Install the packages the modules need", "Autoextend profile on the pool"},
			out: []string{"Thin pool on the devices", "Docker on devicemapper with the thin pool"},
		},
	} {
		run := ansibletest.RunPlaybook(t, ansibletest.Playbook{Text: rolePlaybook, Plain: true,
			Flags: []string{"--list-tasks", "--tags", tags, "-e", `{"direct_lvm_devices": ["/dev/vdb"]}`}})
		if run.Code != 0 {
			t.Fatalf("%s: --list-tasks --tags %s exited %d: %s %s", version, tags, run.Code, run.Stdout, run.Stderr)
		}
		for _, task := range want.in {
			if !strings.Contains(run.Stdout, task) {
				t.Errorf("%s: --tags %s does not run %q:\n%s", version, tags, task, run.Stdout)
			}
		}
		for _, task := range want.out {
			if strings.Contains(run.Stdout, task) {
				t.Errorf("%s: --tags %s runs %q:\n%s", version, tags, task, run.Stdout)
			}
		}
	}
}

func TestABadRoleValueFailsBeforeTheFirstChangeOnThisCore(t *testing.T) {
	version := coreVersion(t)
	run := ansibletest.RunPlaybook(t, ansibletest.Playbook{Text: rolePlaybook,
		Flags: []string{"-e", `{"direct_lvm_devices": ["/dev/vdb"], "direct_lvm_autoextend_threshold": 30, "direct_lvm_chunk_size": "512X", "direct_lvm_vg": "-docker", "direct_lvm_data_size": "80%vg", "direct_lvm_metadata_size": " 512mb"}`}})
	task := roleTask(run, "Check the values the modules would refuse")
	msg, _ := run.Results[task]["msg"].(string)
	if run.Code == 0 || run.Statuses[task] != "failed" ||
		!containsAll(msg, "direct_lvm_autoextend_threshold=30 must be 50 to 100", "direct_lvm_chunk_size=512X", "direct_lvm_vg=-docker", "Nothing was changed") ||
		strings.Contains(msg, "direct_lvm_autoextend_percent") || strings.Contains(msg, "_size=80%vg") || strings.Contains(msg, "metadata_size") {
		t.Errorf("%s: want the range check to fail naming exactly the bad values; %s: %q", version, run.Statuses[task], msg)
	}
	for name, status := range run.Statuses {
		if strings.Contains(name, "Read the service manager") || strings.Contains(name, "Install") {
			t.Errorf("%s: task %q ran (%s) after a bad value", version, name, status)
		}
	}

	t.Run("without direct_lvm_devices", func(t *testing.T) {
		run := ansibletest.RunPlaybook(t, ansibletest.Playbook{Text: rolePlaybook, Plain: true})
		if run.Code == 0 || !strings.Contains(run.Stdout+run.Stderr, "direct_lvm_devices") || !strings.Contains(run.Stdout+run.Stderr, "required") {
			t.Errorf("%s: a missing direct_lvm_devices must fail the argument spec: %s %s", version, run.Stdout, run.Stderr)
		}
	})
}

// roleTask is the name a role's task has in a run's results: "ROLE :
// TASK" on the newest cores of the matrix, "TASK" on 2.15.
func roleTask(run ansibletest.PlaybookRun, task string) string {
	for name := range run.Statuses {
		if name == task || strings.HasSuffix(name, " : "+task) {
			return name
		}
	}
	return task
}

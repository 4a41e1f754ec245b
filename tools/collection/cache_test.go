package collection

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
)

// The modules' binary kept on the host (plugin_utils/remote_scripts.py): a
// host is sent it once, whatever modules its tasks use; a task on a warm host is one command with
// the arguments on stdin. Here the host is this machine over the local
// connection, whose -vvv output shows every command (EXEC) and every file
// sent (PUT).

// profileTask is one lvm_profile task in check mode on the fake LVM: it
// plans, changing nothing, and needs root's nothing but the cache.
const profileTask = `
    - name: profile
      directlvm.docker.lvm_profile:
        lv: docker/thinpool
        profile_dir: "{{ profile_dir }}"
        monitor: false
        autoextend_threshold: 100
      check_mode: true
      environment:
        PATH: "{{ fake_bin }}:/usr/sbin:/usr/bin:/sbin:/bin"
`

// cacheRun runs playbook text (a play on localhost around tasks) with
// -vvv and the module cache at cache, and returns the run and how many
// commands ran and files were sent.
func cacheRun(t *testing.T, cache string, tasks string, play string, env ...string) (ansibletest.PlaybookRun, int, int) {
	t.Helper()
	vars := withModuleCache(t, `{"profile_dir": "`+t.TempDir()+`", "fake_bin": "`+fakeLVM(t)+`", "directlvm_docker_module_cache": "`+cache+`"}`)
	text := "- name: cache\n  hosts: localhost\n  gather_facts: false\n" + play + "  tasks:\n" + tasks
	run := ansibletest.RunPlaybook(t, ansibletest.Playbook{Text: text, Env: env, Flags: []string{"-vvv", "-e", vars}})
	return run, strings.Count(run.Stdout, "<localhost> EXEC "), strings.Count(run.Stdout, "<localhost> PUT ")
}

func TestAHostIsSentTheBinaryOnceForEveryModuleOnThisCore(t *testing.T) {
	t.Parallel() // each run has its own directories; two at once use both cores
	version := coreVersion(t)
	binary := binaryPath(t, "amd64")
	cache := filepath.Join(t.TempDir(), "var", "cache", "directlvm-docker", "modules")
	sha := sha256File(t, binary)

	cold, execs, puts := cacheRun(t, cache, profileTask, "")
	if cold.Statuses["profile"] != "ok" || ansibletest.JSON(t, ansibletest.Lookup(cold.Results["profile"], "changed")) != "true" {
		t.Fatalf("%s: the first task on a cold host: %s %v\n%s", version, cold.Statuses["profile"], cold.Results["profile"], cold.Stdout)
	}
	if puts != 1 {
		t.Errorf("%s: a cold host: %d files sent, want 1 (the binary; the arguments go on stdin)", version, puts)
	}
	t.Logf("%s: cold host: %d commands, %d file sent", version, execs, puts)
	if got := sha256File(t, filepath.Join(cache, sha)); got != sha {
		t.Fatalf("%s: the cache holds %s with SHA-256 %s, want the binary's", version, filepath.Join(cache, sha), got)
	}
	for path, want := range map[string]os.FileMode{cache: 0o700 | os.ModeDir, filepath.Join(cache, sha): 0o700} {
		if info, err := os.Stat(path); err != nil || info.Mode() != want {
			t.Errorf("%s: %s: mode %v (%v), want %v", version, path, info.Mode(), err, want)
		}
	}

	warm, execs, puts := cacheRun(t, cache, profileTask, "")
	if warm.Statuses["profile"] != "ok" || ansibletest.JSON(t, ansibletest.Lookup(warm.Results["profile"], "profile.present")) != "true" {
		t.Fatalf("%s: the task on a warm host: %s %v\n%s", version, warm.Statuses["profile"], warm.Results["profile"], warm.Stdout)
	}
	if execs != 1 || puts != 0 {
		t.Errorf("%s: a warm host: %d commands and %d files sent, want 1 and 0:\n%s", version, execs, puts, warm.Stdout)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 1 {
		t.Errorf("%s: the cache holds %d files, want the one binary", version, len(entries))
	}

	// Another module runs from the same binary: still one command, nothing sent.
	other, execs, puts := cacheRun(t, cache, infoTask, "")
	if other.Statuses["info"] != "ok" || ansibletest.Lookup(other.Results["info"], "storage.flags") == nil {
		t.Fatalf("%s: storage_info on a warm host: %s %v\n%s", version, other.Statuses["info"], other.Results["info"], other.Stdout)
	}
	if execs != 1 || puts != 0 {
		t.Errorf("%s: another module on a warm host: %d commands and %d files sent, want 1 and 0:\n%s", version, execs, puts, other.Stdout)
	}
}

// infoTask is one storage_info task: read-only, it reports what it could
// not read (no LVM, no docker here) instead of failing.
const infoTask = `
    - name: info
      directlvm.docker.storage_info:
      environment:
        PATH: "{{ fake_bin }}:/usr/sbin:/usr/bin:/sbin:/bin"
`

func TestACachedBinaryThatChangedIsNotRunButReplacedOnThisCore(t *testing.T) {
	t.Parallel() // each run has its own directories; two at once use both cores
	version := coreVersion(t)
	binary := binaryPath(t, "amd64")
	sha := sha256File(t, binary)
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, path string)
	}{
		{"a corrupted copy", func(t *testing.T, path string) {
			writeFile(t, path, "#!/bin/sh\necho '{\"changed\": false, \"msg\": \"the planted file ran\"}'\n", 0o700)
		}},
		{"a link to another file", func(t *testing.T, path string) {
			other := filepath.Join(filepath.Dir(path), "other")
			writeFile(t, other, "#!/bin/sh\necho '{\"msg\": \"the planted file ran\"}'\n", 0o700)
			if err := os.Symlink(other, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "modules")
			if err := os.MkdirAll(cache, 0o700); err != nil {
				t.Fatal(err)
			}
			cached := filepath.Join(cache, sha)
			tc.plant(t, cached)
			run, _, puts := cacheRun(t, cache, profileTask, "")
			res := run.Results["profile"]
			if strings.Contains(ansibletest.JSON(t, res), "the planted file ran") {
				t.Fatalf("%s: the changed file ran: %v", version, res)
			}
			if run.Statuses["profile"] != "ok" || ansibletest.JSON(t, ansibletest.Lookup(res, "profile.present")) != "true" {
				t.Fatalf("%s: %s %v\n%s", version, run.Statuses["profile"], res, run.Stdout)
			}
			if warnings := ansibletest.JSON(t, res["warnings"]); !strings.Contains(warnings, "no longer matched its SHA-256 (corrupted or replaced); it was not run, and a checked copy replaced it") {
				t.Errorf("%s: no warning names the replaced file: warnings = %s", version, warnings)
			}
			if info, err := os.Lstat(cached); err != nil || !info.Mode().IsRegular() || sha256File(t, cached) != sha || puts != 1 {
				t.Errorf("%s: %s is not the binary again (%v, %v; %d files sent)", version, cached, info.Mode(), err, puts)
			}
		})
	}
}

func TestBecomeThroughSudoRunsTheCachedBinaryInOneCommandOnThisCore(t *testing.T) {
	t.Parallel() // each run has its own directories; two at once use both cores
	version := coreVersion(t)
	binaryPath(t, "amd64")
	if _, err := exec.LookPath("sudo"); err != nil {
		if os.Getenv(ansibletest.RequireAnsibleEnv) == "1" {
			t.Fatal("sudo is missing: make host-tools installs it")
		}
		t.Skip("sudo is missing: make host-tools installs it")
	}
	cache := filepath.Join(t.TempDir(), "modules")
	play := "  become: true\n  become_method: ansible.builtin.sudo\n"
	// Root becoming root: ansible skips become unless told to allow it.
	env := "ANSIBLE_BECOME_ALLOW_SAME_USER=True"
	cacheRun(t, cache, profileTask, play, env)
	run, execs, puts := cacheRun(t, cache, profileTask, play, env)
	if run.Statuses["profile"] != "ok" || ansibletest.JSON(t, ansibletest.Lookup(run.Results["profile"], "profile.present")) != "true" {
		t.Fatalf("%s: %s %v\n%s", version, run.Statuses["profile"], run.Results["profile"], run.Stdout)
	}
	if execs != 1 || puts != 0 || !strings.Contains(run.Stdout, "EXEC /bin/sh -c 'sudo -H -S -n") {
		t.Errorf("%s: want one command through sudo and no file sent; got %d commands, %d files:\n%s", version, execs, puts, run.Stdout)
	}
}

const asyncTasks = `
    - name: refused, polled
      directlvm.docker.lvm_profile:
        lv: docker/thinpool
        autoextend_threshold: 30
      async: 60
      poll: 1
      ignore_errors: true
    - name: started
      directlvm.docker.lvm_profile:
        lv: docker/thinpool
        autoextend_threshold: 30
      async: 60
      poll: 0
      register: job
    - name: waited for
      ansible.builtin.async_status:
        jid: "{{ job.ansible_job_id }}"
      register: done
      until: done.finished
      retries: 30
      delay: 1
      ignore_errors: true
`

func TestAsyncTasksRunTheModuleOnThisCore(t *testing.T) {
	t.Parallel() // each run has its own directories; two at once use both cores
	version := coreVersion(t)
	binaryPath(t, "amd64")
	start := time.Now()
	// async_status is a Python module: it runs with the controller's Python.
	// The remote temporary directories go with each job's end.
	remoteTmp := t.TempDir()
	play := "  vars:\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n    ansible_remote_tmp: " + remoteTmp + "\n"
	run, _, _ := cacheRun(t, filepath.Join(t.TempDir(), "modules"), asyncTasks, play)
	if left, _ := filepath.Glob(filepath.Join(remoteTmp, "ansible-tmp-*")); len(left) != 0 {
		t.Errorf("%s: the ended jobs left their remote temporary directories: %v", version, left)
	}
	want := "autoextend_threshold=30 is below 50"
	for _, task := range []string{"refused, polled", "waited for"} {
		res := run.Results[task]
		// finished is 1 up to ansible-core 2.15, true after.
		finished := ansibletest.JSON(t, res["finished"])
		if msg, _ := res["msg"].(string); run.Statuses[task] != "failed" || !strings.Contains(msg, want) || (finished != "true" && finished != "1") {
			t.Errorf("%s: task %q: want the module's own refusal (%q), finished; got %s: %v", version, task, want, run.Statuses[task], res)
		}
	}
	if res := run.Results["started"]; run.Statuses["started"] != "ok" || res["ansible_job_id"] == nil {
		t.Errorf("%s: poll 0: want a started job; got %s %v", version, run.Statuses["started"], res)
	}
	t.Logf("%s: two async tasks in %s", version, time.Since(start).Round(time.Millisecond))
}

func TestKeepRemoteFilesSendsTheBinaryAsAnsibleDoesOnThisCore(t *testing.T) {
	t.Parallel() // each run has its own directories; two at once use both cores
	version := coreVersion(t)
	binaryPath(t, "amd64")
	cache := filepath.Join(t.TempDir(), "modules")
	cacheRun(t, cache, profileTask, "")
	run, _, puts := cacheRun(t, cache, profileTask, "", "ANSIBLE_KEEP_REMOTE_FILES=1")
	if run.Statuses["profile"] != "ok" || puts != 2 {
		t.Errorf("%s: with ANSIBLE_KEEP_REMOTE_FILES the binary and its arguments file are sent to the remote tmp; got %s and %d files sent:\n%s", version, run.Statuses["profile"], puts, run.Stdout)
	}
}

func TestAHostWithoutSha256sumIsSentTheBinaryWithEachTaskOnThisCore(t *testing.T) {
	t.Parallel() // each run has its own directories; two at once use both cores
	version := coreVersion(t)
	binaryPath(t, "amd64")
	// A PATH with the fake lvm (and the cat it runs), uname and id, and no sha256sum.
	tools := t.TempDir()
	for _, name := range []string{"uname", "id", "cat"} {
		path, err := exec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(path, filepath.Join(tools, name)); err != nil {
			t.Fatal(err)
		}
	}
	task := strings.Replace(profileTask, `PATH: "{{ fake_bin }}:/usr/sbin:/usr/bin:/sbin:/bin"`, `PATH: "{{ fake_bin }}:`+tools+`"`, 1)
	cache := filepath.Join(t.TempDir(), "modules")
	run, _, puts := cacheRun(t, cache, task, "")
	if run.Statuses["profile"] != "ok" || ansibletest.JSON(t, ansibletest.Lookup(run.Results["profile"], "profile.present")) != "true" {
		t.Fatalf("%s: %s %v\n%s", version, run.Statuses["profile"], run.Results["profile"], run.Stdout)
	}
	if puts != 2 || !strings.Contains(run.Stdout, "the host's module cache cannot serve (no sha256sum)") {
		t.Errorf("%s: want the binary and its arguments file sent, saying why; got %d files sent:\n%s", version, puts, run.Stdout)
	}
	if _, err := os.Stat(cache); err == nil {
		t.Errorf("%s: a cache %s was made on a host that cannot check it", version, cache)
	}
}

func TestAHostOfAnotherArchitectureIsRefusedInTheOneCommandOnThisCore(t *testing.T) {
	t.Parallel() // each run has its own directories; two at once use both cores
	version := coreVersion(t)
	binaryPath(t, "amd64")
	// uname -m, asked inside the one command, says ppc64le.
	tools := t.TempDir()
	writeFile(t, filepath.Join(tools, "uname"), "#!/bin/sh\necho ppc64le\n", 0o755)
	task := strings.Replace(profileTask, `PATH: "{{ fake_bin }}:/usr/sbin:/usr/bin:/sbin:/bin"`, `PATH: "`+tools+`:/usr/sbin:/usr/bin:/sbin:/bin"`, 1)
	run, execs, puts := cacheRun(t, filepath.Join(t.TempDir(), "modules"), task, "")
	msg, _ := run.Results["profile"]["msg"].(string)
	if run.Statuses["profile"] != "failed" || !strings.Contains(msg, "has no binary for this target's architecture 'ppc64le' (from uname -m)") {
		t.Errorf("%s: want a failure naming ppc64le; got %s: %q", version, run.Statuses["profile"], msg)
	}
	if execs != 1 || puts != 0 {
		t.Errorf("%s: want the one command and nothing sent; got %d commands, %d files", version, execs, puts)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("sha256sum", path).Output()
	if err != nil {
		t.Fatalf("sha256sum %s: %v", path, err)
	}
	return strings.Fields(string(out))[0]
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

package collection

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
)

// The version matrix. `make matrix` runs this package once per ansible-core
// in .ci/cores.txt, with ANSIBLE_BIN_DIR naming that core's virtualenv; `make
// unit` runs it with the main toolchain's. Nothing here needs a VM: the
// modules run on this machine through the action plugin, as a play on any
// host runs them. What LVM, dmeventd and docker then do is proven in the
// guest (guest tests and molecule); here the point is what each ansible-core
// makes of the plugin and the binaries.

// coreVersion is the ansible-core under test, as `ansible --version` says.
func coreVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(ansibletest.Tool(t, "ansible"), "--version").Output()
	if err != nil {
		t.Fatalf("ansible --version: %v", err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}

// fakeLVM writes an `lvm` that answers `lvm fullreport` with a report
// captured from a real thin pool (lvmtest's fixture), so that lvm_profile
// can plan on this machine, which has no LVM. It returns its directory.
func fakeLVM(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	report := filepath.Join(dir, "fullreport.json")
	if err := os.WriteFile(report, lvmtest.Raw(t, lvmtest.Pool), 0o600); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n[ \"$1\" = fullreport ] || { echo \"fake lvm: only fullreport is answered, not $*\" >&2; exit 3; }\nexec cat " + report + "\n"
	if err := os.WriteFile(filepath.Join(dir, "lvm"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

const coresPlaybook = `
- name: Each module by its full name, through the action plugin, with become
  hosts: localhost
  gather_facts: false
  become: true
  become_method: ansible.builtin.su
  tasks:
    - name: profile in check mode
      directlvm.docker.lvm_profile:
        lv: docker/thinpool
        profile_dir: "{{ profile_dir }}"
        monitor: false
        autoextend_threshold: 100
      check_mode: true
      diff: true
      environment:
        PATH: "{{ fake_bin }}:/usr/sbin:/usr/bin:/sbin:/bin"
    - name: profile refused
      directlvm.docker.lvm_profile:
        lv: docker/thinpool
        autoextend_threshold: 30
      ignore_errors: true
    - name: thinpool refused
      directlvm.docker.lvm_thinpool:
        devices: [/dev/vdb]
        chunk_size: 100K
      ignore_errors: true
    - name: storage refused
      directlvm.docker.docker_storage:
        thinpool_device: /dev/mapper/docker-thinpool
        min_free_space: 150%
      ignore_errors: true

- name: Defaults for the collection's action group
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/directlvm.docker.direct_lvm:
      autoextend_threshold: 45
  tasks:
    - name: profile with the group's defaults
      directlvm.docker.lvm_profile:
        lv: docker/thinpool
      ignore_errors: true
`

func TestEveryModuleRunsThroughTheActionPluginOnThisCore(t *testing.T) {
	version := coreVersion(t)
	t.Logf("under test: %s", version)
	binaryPath(t, "amd64")
	profileDir := t.TempDir()
	vars := withModuleCache(t, `{"profile_dir": "`+profileDir+`", "fake_bin": "`+fakeLVM(t)+`"}`)
	// Root becoming root: ansible skips become unless told to allow it, and
	// the point is to see the plugin's command run through a become method.
	run := ansibletest.RunPlaybook(t, ansibletest.Playbook{Text: coresPlaybook,
		Env: []string{"ANSIBLE_BECOME_ALLOW_SAME_USER=True"}, Flags: []string{"-vvv", "-e", vars}})
	if run.Code != 0 {
		t.Fatalf("%s: ansible-playbook exited %d (failures were to be ignored)\nstdout: %s\nstderr: %s", version, run.Code, run.Stdout, run.Stderr)
	}
	for _, check := range []struct{ task, status, path, want string }{
		{"profile in check mode", "ok", "changed", "true"},
		{"profile in check mode", "ok", "ansible_facts.directlvm_docker_goarch", `"amd64"`},
		{"profile in check mode", "ok", "profile.present", "true"},
		{"profile refused", "failed", "msg", `"autoextend_threshold=30 is below 50: LVM would silently use 50 instead; give 50 to 100 (100 disables autoextend)"`},
		{"profile with the group's defaults", "failed", "msg", `"autoextend_threshold=45 is below 50: LVM would silently use 50 instead; give 50 to 100 (100 disables autoextend)"`},
	} {
		if got := run.Statuses[check.task]; got != check.status {
			t.Errorf("%s: task %q: status %q, want %q", version, check.task, got, check.status)
		}
		if got := ansibletest.JSON(t, ansibletest.Lookup(run.Results[check.task], check.path)); got != check.want {
			t.Errorf("%s: task %q: %s = %s, want %s", version, check.task, check.path, got, check.want)
		}
	}
	for task, words := range map[string][]string{
		"thinpool refused": {"chunk_size", "64"},
		"storage refused":  {"min_free_space", "150%"},
	} {
		msg, _ := run.Results[task]["msg"].(string)
		if run.Statuses[task] != "failed" || !containsAll(msg, words...) {
			t.Errorf("%s: task %q: want a failure whose msg names %v; got %s: %q", version, task, words, run.Statuses[task], msg)
		}
	}

	checkMode := run.Results["profile in check mode"]
	if after := ansibletest.JSON(t, ansibletest.Lookup(checkMode, "diff.after")); !strings.Contains(after, "thin_pool_autoextend_threshold=100") {
		t.Errorf("%s: check mode's diff.after does not show the profile it would write: %s", version, after)
	}
	if warnings := ansibletest.JSON(t, checkMode["warnings"]); !strings.Contains(warnings, "disables autoextend") {
		t.Errorf("%s: the module's warning did not reach the result: warnings = %s", version, warnings)
	}
	if entries, _ := os.ReadDir(profileDir); len(entries) != 0 {
		t.Errorf("%s: check mode wrote into the profile directory: %v", version, entries)
	}
	// Every key the task returns, the action plugin's fact included, is in RETURN.
	ansibletest.CheckReturnDocs(t, "lvm_profile", ansibletest.Docs(t, "lvm_profile")["lvm_profile"], withoutCoreKeys(checkMode))
	// The binary ran through the become method (su), not around it.
	if !strings.Contains(run.Stdout, "su  root -c") && !strings.Contains(run.Stdout, "su root -c") {
		t.Errorf("%s: no command ran through su; -vvv output:\n%s", version, run.Stdout)
	}
}

// withoutCoreKeys drops what ansible-core itself adds to a task's result
// (keys starting with _ansible, and the diff and check-mode flags some
// releases add), leaving what the module and the plugin returned.
func withoutCoreKeys(result map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range result {
		if strings.HasPrefix(k, "_ansible") {
			continue
		}
		out[k] = v
	}
	return out
}

func TestDiffModeShowsWhatCheckModeWouldWriteOnThisCore(t *testing.T) {
	version := coreVersion(t)
	binaryPath(t, "amd64")
	vars := withModuleCache(t, `{"profile_dir": "`+t.TempDir()+`", "fake_bin": "`+fakeLVM(t)+`"}`)
	playbook := strings.SplitN(coresPlaybook, "    - name: profile refused", 2)[0]
	run := ansibletest.RunPlaybook(t, ansibletest.Playbook{Text: playbook, Plain: true,
		Env: []string{"ANSIBLE_BECOME_ALLOW_SAME_USER=True"}, Flags: []string{"--check", "--diff", "-e", vars}})
	if run.Code != 0 {
		t.Fatalf("%s: ansible-playbook --check --diff exited %d\nstdout: %s\nstderr: %s", version, run.Code, run.Stdout, run.Stderr)
	}
	if !strings.Contains(run.Stdout, "+\tthin_pool_autoextend_threshold=100") || !strings.Contains(run.Stdout, "changed=1") {
		t.Errorf("%s: --check --diff does not show the profile line it would add, or no change is counted:\n%s", version, run.Stdout)
	}
	if strings.Contains(run.Stderr, "[DEPRECATION WARNING]") {
		t.Errorf("%s: the collection triggers a deprecation warning:\n%s", version, run.Stderr)
	}
}

func TestAnsibleDocListsTheModulesWithoutWarningsOnThisCore(t *testing.T) {
	version := coreVersion(t)
	root := ansibletest.RepoRoot(t)
	env := append(os.Environ(),
		"ANSIBLE_COLLECTIONS_PATH="+filepath.Join(root, "bin", "collections"),
		"ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False", "ANSIBLE_NOCOLOR=1", "LC_ALL=C.UTF-8", "ANSIBLE_HOME="+t.TempDir())
	ansibleDoc := ansibletest.Tool(t, "ansible-doc")
	for _, args := range [][]string{
		{"-l", ansibletest.Collection},
		{"-t", "module", ansibletest.Collection + ".lvm_thinpool", ansibletest.Collection + ".lvm_profile", ansibletest.Collection + ".docker_storage", ansibletest.Collection + ".lvm_volume", ansibletest.Collection + ".storage_info"},
	} {
		cmd := exec.Command(ansibleDoc, args...)
		cmd.Env, cmd.Dir = env, t.TempDir()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || strings.TrimSpace(stderr.String()) != "" {
			t.Errorf("%s: ansible-doc %s: %v; want no error and nothing on stderr, got:\n%s", version, strings.Join(args, " "), err, stderr.String())
		}
		for _, module := range binaryModules {
			if !strings.Contains(stdout.String(), ansibletest.Collection+"."+module) {
				t.Errorf("%s: ansible-doc %s does not show %s.%s:\n%s", version, strings.Join(args, " "), ansibletest.Collection, module, stdout.String())
			}
		}
		if strings.Contains(stdout.String(), "!UNKNOWN") {
			t.Errorf("%s: ansible-doc %s renders an author as (!UNKNOWN):\n%s", version, strings.Join(args, " "), stdout.String())
		}
	}
}

func TestAGitInstallNamesWhatToRunOnThisCore(t *testing.T) {
	version := coreVersion(t)
	galaxy := ansibletest.Tool(t, "ansible-galaxy")
	repo := gitRepoOfWorkingTree(t)
	installed := t.TempDir()
	// What a user types, with a repository holding this working tree's files.
	cmd := exec.Command(galaxy, "collection", "install", "git+file://"+repo, "-p", installed)
	cmd.Env = append(os.Environ(), "ANSIBLE_HOME="+t.TempDir(), "ANSIBLE_NOCOLOR=1", "LC_ALL=C.UTF-8")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: ansible-galaxy collection install git+file://%s: %v\n%s", version, repo, err, out)
	}
	// The same ad-hoc call a user would make first, against that install.
	ansible := ansibletest.Tool(t, "ansible")
	run := exec.Command(ansible, "localhost", "-c", "local", "-m", ansibletest.Collection+".lvm_thinpool", "-a", "devices=/dev/vdb", "--check")
	run.Dir = t.TempDir()
	run.Env = append(os.Environ(), "ANSIBLE_COLLECTIONS_PATH="+installed, "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False",
		"ANSIBLE_HOME="+t.TempDir(), "ANSIBLE_NOCOLOR=1", "LC_ALL=C.UTF-8", "ANSIBLE_LOCALHOST_WARNING=False", "ANSIBLE_INVENTORY_UNPARSED_WARNING=False")
	out, _ := run.CombinedOutput() // the task fails; its message is the point
	for _, words := range []string{"binaries/linux_amd64/directlvm is missing from the installed collection", "installed from git", "make collection"} {
		if !strings.Contains(string(out), words) {
			t.Errorf("%s: a git install's first task should say %q; got:\n%s", version, words, out)
		}
	}
}

// gitRepoOfWorkingTree commits the files git tracks in this checkout, as
// they are in the working tree, to a new repository and returns its path:
// what a git install of this collection would clone.
func gitRepoOfWorkingTree(t *testing.T) string {
	t.Helper()
	root := ansibletest.RepoRoot(t)
	git := func(dir string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@localhost",
			"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@localhost", "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
		out, err := cmd.Output()
		if err != nil {
			t.Skipf("git %s: %v: a git install needs git and a checkout", strings.Join(args, " "), err)
		}
		return out
	}
	repo := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(git(root, "ls-files", "-z")), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		info, err := os.Lstat(src)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the working tree, or a link
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	git(repo, "init", "--quiet")
	git(repo, "add", "--all")
	git(repo, "commit", "--quiet", "-m", "working tree")
	return repo
}

func containsAll(s string, words ...string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

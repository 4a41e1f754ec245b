package collection

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-json"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
)

// The modules this collection ships, each as one binary per architecture.
var binaryModules = []string{"lvm_thinpool", "lvm_profile", "docker_storage", "lvm_volume", "storage_info"}

// adhoc runs `ansible localhost -m directlvm.docker.MODULE` on this machine
// through the collection's action plugin, with extra variables, and returns
// its -vvv output and the module's result.
func adhoc(t *testing.T, module, args, extraVars string) (string, map[string]any) {
	t.Helper()
	ansible := ansibletest.Tool(t, "ansible")
	root := ansibletest.RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ansible, "localhost", "-c", "local", "-vvv",
		"-m", ansibletest.Collection+"."+module, "-a", args, "-e", withModuleCache(t, extraVars))
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(),
		"ANSIBLE_COLLECTIONS_PATH="+filepath.Join(root, "bin", "collections"),
		"ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false",
		"ANSIBLE_NOCOLOR=1", "LC_ALL=C.UTF-8")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run() // a failed module makes ansible exit 2; the result says why
	// The ad-hoc output ends with "localhost | FAILED! => {...}".
	_, result, found := strings.Cut(stdout.String(), "localhost | ")
	_, result, _ = strings.Cut(result, " => ")
	var res map[string]any
	if err := json.Unmarshal([]byte(result), &res); !found || err != nil {
		t.Fatalf("ansible -m %s: no result for localhost (%v)\nstdout:\n%s\nstderr:\n%s", module, err, stdout.String(), stderr.String())
	}
	return stderr.String() + stdout.String(), res
}

// withModuleCache adds to the extra variables (a JSON object) a module
// cache directory of the test's own, unless they name one: the plugin
// would otherwise keep the binaries in this machine's
// /var/cache/directlvm-docker.
func withModuleCache(t *testing.T, extraVars string) string {
	t.Helper()
	vars := map[string]any{}
	if err := json.Unmarshal([]byte(extraVars), &vars); err != nil {
		t.Fatalf("extra vars %s: %v", extraVars, err)
	}
	if _, ok := vars["directlvm_docker_module_cache"]; !ok {
		vars["directlvm_docker_module_cache"] = filepath.Join(t.TempDir(), "cache")
	}
	out, err := json.Marshal(vars)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// binaryPath is where the build puts the modules' one binary for goarch.
func binaryPath(t *testing.T, goarch string) string {
	t.Helper()
	path := filepath.Join(ansibletest.RepoRoot(t), "binaries", "linux_"+goarch, "directlvm")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv(ansibletest.RequireAnsibleEnv) == "1" {
			t.Fatalf("%s is missing (%v): run make collection", path, err)
		}
		t.Skipf("%s is missing: run make collection", path)
	}
	return path
}

func TestEachHostRunsTheBinaryForItsArchitecture(t *testing.T) {
	for _, tc := range []struct {
		name, machine string
		binary        string // relative to the repository; "" when refused
		wantMsg       string
	}{
		{"an x86_64 host runs the amd64 binary", "x86_64", "binaries/linux_amd64/directlvm", ""},
		{"an aarch64 host gets the arm64 binary", "aarch64", "binaries/linux_arm64/directlvm", ""},
		{"an unsupported architecture is refused, naming it", "ppc64le", "",
			"has no binary for this target's architecture 'ppc64le'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, module := range binaryModules {
				binaryPath(t, "arm64")
				vars := `{"ansible_facts": {"architecture": "` + tc.machine + `"}}`
				// Unknown options: every module refuses them before doing anything.
				log, res := adhoc(t, module, "no_such_option=1", vars)
				if tc.binary == "" {
					msg, _ := res["msg"].(string)
					if !strings.Contains(log, "localhost | FAILED!") || !strings.Contains(msg, tc.wantMsg) || !strings.Contains(msg, "amd64, arm64") {
						t.Errorf("%s on %s: want a failure saying %q and listing amd64, arm64; got %v", module, tc.machine, tc.wantMsg, res)
					}
					if strings.Contains(log, "directlvm.docker: running ") {
						t.Errorf("%s on %s: a binary was sent although the architecture is unsupported:\n%s", module, tc.machine, log)
					}
					continue
				}
				want := "directlvm.docker: running " + filepath.Join(ansibletest.RepoRoot(t), "bin", "collections",
					"ansible_collections", "directlvm", "docker", tc.binary)
				if !strings.Contains(log, want) {
					t.Errorf("%s on %s: want %q in ansible's -vvv output; got:\n%s", module, tc.machine, want, log)
				}
			}
		})
	}
}

func TestTheHostsFactFreeArchitectureComesFromUname(t *testing.T) {
	// Without gathered facts the plugin asks the host (this machine, x86_64).
	log, res := adhoc(t, "lvm_thinpool", "no_such_option=1", `{}`)
	if !strings.Contains(log, "uname -m") || !strings.Contains(log, filepath.Join("binaries", "linux_amd64", "directlvm")) {
		t.Errorf("want the plugin to run uname -m and pick binaries/linux_amd64/directlvm; got:\n%s", log)
	}
	if msg, _ := res["msg"].(string); !strings.Contains(msg, "Unsupported parameters") || !strings.Contains(msg, "no_such_option") {
		t.Errorf("want the module's own refusal of no_such_option; got %v", res)
	}
}

func TestTheArm64BinariesAreWorkingModules(t *testing.T) {
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		if os.Getenv(ansibletest.RequireAnsibleEnv) == "1" {
			t.Fatal("qemu-aarch64 is missing: make host-tools installs qemu-user")
		}
		t.Skip("qemu-aarch64 is missing: make host-tools installs qemu-user")
	}
	for _, module := range binaryModules {
		t.Run(module, func(t *testing.T) {
			bin := binaryPath(t, "arm64")
			args := filepath.Join(t.TempDir(), "args")
			if err := os.WriteFile(args, []byte(`{"no_such_option": 1, "_ansible_check_mode": true, "_ansible_module_name": "directlvm.docker.`+module+`"}`), 0o600); err != nil {
				t.Fatal(err)
			}
			// A module that fails exits 1; its JSON says why.
			out, err := exec.Command(qemu, bin, args).Output()
			if _, exited := err.(*exec.ExitError); err != nil && !exited {
				t.Fatalf("qemu-aarch64 %s: %v", bin, err)
			}
			var res map[string]any
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("%s did not print one JSON object: %v\n%s", bin, err, out)
			}
			if msg, _ := res["msg"].(string); res["failed"] != true || !strings.Contains(msg, "no_such_option") || !strings.Contains(msg, "("+ansibletest.Collection+"."+module+")") {
				t.Errorf("%s as %s: want failed naming no_such_option and the module; got %s", bin, module, out)
			}
		})
	}
}

func TestTheArchitectureIsAskedOncePerHost(t *testing.T) {
	// The first task publishes what it found as a fact...
	log, res := adhoc(t, "lvm_thinpool", "no_such_option=1", `{}`)
	facts, _ := res["ansible_facts"].(map[string]any)
	if !strings.Contains(log, "uname -m") || facts["directlvm_docker_goarch"] != "amd64" {
		t.Errorf("want uname -m asked and the fact directlvm_docker_goarch=amd64 set; got %v", res)
	}
	// ...and a task that has it does not ask again.
	log, _ = adhoc(t, "lvm_thinpool", "no_such_option=1", `{"ansible_facts": {"directlvm_docker_goarch": "arm64"}}`)
	if strings.Contains(log, "uname -m") || !strings.Contains(log, filepath.Join("binaries", "linux_arm64", "directlvm")) {
		t.Errorf("with the fact set, want no uname -m and the arm64 binary; got:\n%s", log)
	}
}

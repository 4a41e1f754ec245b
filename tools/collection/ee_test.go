package collection

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-json"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
)

// galaxyVersion reads the collection's version from galaxy.yml.
func galaxyVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ansibletest.RepoRoot(t), "galaxy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^version:\s*(\S+)\s*$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("galaxy.yml has no version line")
	}
	return string(m[1])
}

// tarball returns the path of the built collection tarball, which
// `make collection` writes.
func tarball(t *testing.T) string {
	t.Helper()
	path := filepath.Join(ansibletest.RepoRoot(t), "bin", "directlvm-docker-"+galaxyVersion(t)+".tar.gz")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv(ansibletest.RequireAnsibleEnv) == "1" {
			t.Fatalf("%s is missing: run make collection", path)
		}
		t.Skipf("%s is missing: run make collection", path)
	}
	return path
}

func run(t *testing.T, dir string, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "ANSIBLE_NOCOLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s (in %s): %v\n%s", strings.Join(argv, " "), dir, err, out.String())
	}
	return out.String()
}

func TestTheExecutionEnvironmentInstallsTheCollection(t *testing.T) {
	builder := ansibletest.Tool(t, "ansible-builder")
	galaxy := ansibletest.Tool(t, "ansible-galaxy")
	root := ansibletest.RepoRoot(t)
	version := galaxyVersion(t)
	tarball(t)

	// ansible-builder create writes the build context an image build uses.
	ctx := filepath.Join(t.TempDir(), "context")
	run(t, root, builder, "create", "--file", "execution-environment.yml", "--context", ctx)

	var containerfile []byte
	for _, name := range []string{"Containerfile", "Dockerfile"} {
		if data, err := os.ReadFile(filepath.Join(ctx, name)); err == nil {
			containerfile = data
		}
	}
	if !bytes.Contains(containerfile, []byte("ansible-galaxy collection install")) ||
		!bytes.Contains(containerfile, []byte("-r requirements.yml")) {
		t.Fatalf("%s: the build file does not install the collections of requirements.yml:\n%s", ctx, containerfile)
	}
	shipped := filepath.Join(ctx, "_build", "collections", "directlvm-docker-"+version+".tar.gz")
	if _, err := os.Stat(shipped); err != nil {
		t.Fatalf("the build context lacks the tarball (%v): execution-environment.yml must copy bin/directlvm-docker-%s.tar.gz (galaxy.yml's version)", err, version)
	}

	// The image's galaxy stage runs this, in _build, as the build file says.
	cols := filepath.Join(t.TempDir(), "collections")
	run(t, filepath.Join(ctx, "_build"), galaxy, "collection", "install", "-r", "requirements.yml", "--collections-path", cols)
	manifest, err := os.ReadFile(filepath.Join(cols, "ansible_collections", "directlvm", "docker", "MANIFEST.json"))
	if err != nil {
		t.Fatalf("installing _build/requirements.yml did not install directlvm.docker: %v", err)
	}
	var m struct {
		CollectionInfo struct {
			Namespace, Name, Version string
		} `json:"collection_info"`
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	if got := m.CollectionInfo; got.Namespace != "directlvm" || got.Name != "docker" || got.Version != version {
		t.Errorf("the execution environment installs %+v; want directlvm.docker %s", got, version)
	}
	for _, module := range binaryModules {
		for _, bin := range []string{"plugins/modules/" + module + ".py", "binaries/linux_amd64/directlvm", "binaries/linux_arm64/directlvm"} {
			if _, err := os.Stat(filepath.Join(cols, "ansible_collections", "directlvm", "docker", bin)); err != nil {
				t.Errorf("the installed collection lacks %s: %v", bin, err)
			}
		}
	}
}

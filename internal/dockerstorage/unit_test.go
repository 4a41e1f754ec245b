package dockerstorage

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/systemd"
)

func TestTheServiceSectionIsReadAsSystemdReadsIt(t *testing.T) {
	data := []byte("[Unit]\nDescription=Docker\nExecStart=not-a-service-key\n\n[Service]\n# a comment\n; another\nExecStart=\nExecStart=/usr/sbin/dockerd \\\n  -H fd:// \\\n  --storage-driver=overlay2\nEnvironment=\"A=1 2\" B=3\n")
	opts, err := serviceOptions("/etc/systemd/system/docker.service.d/x.conf", data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range opts {
		got = append(got, o.Name+"="+o.Value)
	}
	want := []string{"ExecStart=", "ExecStart=/usr/sbin/dockerd    -H fd://    --storage-driver=overlay2", `Environment="A=1 2" B=3`}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if !slices.Equal(strings.Fields(got[i]), strings.Fields(want[i])) {
			t.Errorf("option %d: got %q, want %q", i, got[i], want[i])
		}
	}
	if w := unitWords(opts[2].Value); len(w) != 2 || w[0] != "A=1 2" || w[1] != "B=3" {
		t.Errorf("Environment= words: %q", w)
	}
}

func TestAUnitFileTheParserRefusesLosesOnlyTheAttribution(t *testing.T) {
	dir := t.TempDir()
	fragment, dropIn := filepath.Join(dir, "docker.service"), filepath.Join(dir, "long.conf")
	if err := os.WriteFile(fragment, []byte("[Service]\nExecStart=/usr/sbin/dockerd -H fd://\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// " + strings.Repeat("--label=x ", 300) + "\n"
	if err := os.WriteFile(dropIn, []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	argv := strings.Fields(long[strings.LastIndex(long, "ExecStart=")+len("ExecStart="):])
	u := systemd.UnitState{FragmentPath: fragment, DropInPaths: []string{dropIn}, ExecStart: [][]string{argv}}
	cmds, _, err := unitCommands(u)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 1 || !strings.Contains(cmds[0].Source, "or its drop-ins") || len(cmds[0].Argv) != len(argv) {
		t.Errorf("commands: %+v", cmds)
	}
}

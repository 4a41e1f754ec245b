package lvmthinpool

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/dockerstorage"
	"github.com/directlvm/docker/internal/lvmprofile"
	"github.com/directlvm/docker/tools/guest/guesttest"
)

// hideTool makes a program of the guest look uninstalled for the rest of
// the test, as on a host before lvm2's package: /dev/null (not executable)
// is bind-mounted over its binary, and unmounted at the end.
func hideTool(t *testing.T, name string) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed in the guest: %v", name, err)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	sh(t, "mount", "--bind", "/dev/null", real)
	t.Cleanup(func() { sh(t, "umount", real) })
}

// The role's check mode on a host without lvm2 yet: each module plans on a
// real host whose LVM tools (lvm and its links, dmsetup) are missing, as
// the role's packages step would leave it in check mode.
func TestGuestCheckModeBeforeLVMIsInstalledPlansEachModule(t *testing.T) {
	disk := guesttest.Disks(t, 1)[0]
	hideTool(t, "lvm")
	hideTool(t, "dmsetup")

	res, calls := runReal(t, map[string]any{"devices": []string{disk}, "_ansible_check_mode": true})
	mustSucceed(t, res, true)
	if m := mutating(calls); len(m) != 0 {
		t.Errorf("check mode ran mutating commands: %v", m)
	}
	if a := must[[]any](t, res, "actions"); len(a) != 5 || a[0] != "pvcreate "+disk {
		t.Errorf("lvm_thinpool's plan: %v", a)
	}
	warnings := func(res map[string]any) string {
		w, _ := res["warnings"].([]any)
		var s []string
		for _, x := range w {
			s = append(s, x.(string))
		}
		return strings.Join(s, "\n")
	}
	if w := warnings(res); !strings.Contains(w, "LVM's tools are not installed yet") {
		t.Errorf("lvm_thinpool's warnings: %s", w)
	}

	res = ansibletest.Run(t, lvmprofile.Module(lvmprofile.RealHost()), map[string]any{"lv": "docker/thinpool", "_ansible_check_mode": true})
	mustSucceed(t, res, true)
	if a := strings.Join(asStrings(must[[]any](t, res, "actions")), "\n"); !strings.Contains(a, "lvchange --metadataprofile docker-thinpool docker/thinpool") {
		t.Errorf("lvm_profile's plan: %s", a)
	}

	res = ansibletest.Run(t, dockerstorage.Module(dockerstorage.RealHost()), map[string]any{"thinpool_device": "/dev/mapper/docker-thinpool", "_ansible_check_mode": true})
	mustSucceed(t, res, true)
	if w := warnings(res); !strings.Contains(w, "does not exist yet") {
		t.Errorf("docker_storage's warnings: %s", w)
	}
	if a := strings.Join(asStrings(must[[]any](t, res, "actions")), "\n"); !strings.Contains(a, "write /etc/docker/daemon.json") {
		t.Errorf("docker_storage's plan: %s", a)
	}

	t.Run("a real run names what is missing", func(t *testing.T) {
		res, _ := runReal(t, map[string]any{"devices": []string{disk}})
		if res["failed"] != true || !strings.Contains(res["msg"].(string), "lvm: command not found") {
			t.Errorf("result: %v", res)
		}
	})
}

func asStrings(l []any) []string {
	out := make([]string, len(l))
	for i, x := range l {
		out[i], _ = x.(string)
	}
	return out
}

package systemd

import (
	"reflect"
	"strings"
	"testing"
)

// execStartLine is one ExecStart entry as godbus decodes a(sasbttttuii):
// path, argv, ignore-failure, four timestamps, PID, exit code, status.
func execStartLine(path string, argv ...string) []any {
	return []any{path, argv, false, uint64(0), uint64(0), uint64(0), uint64(0), uint32(0), int32(0), int32(0)}
}

// dockerUnit is docker.service as Debian's docker.io package ships it, with
// a drop-in and an environment file, as the bus reports it.
func dockerUnit() (unit, service map[string]any) {
	unit = map[string]any{
		"Id":            "docker.service",
		"LoadState":     "loaded",
		"ActiveState":   "active",
		"SubState":      "running",
		"UnitFileState": "enabled",
		"FragmentPath":  "/lib/systemd/system/docker.service",
		"DropInPaths":   []string{"/etc/systemd/system/docker.service.d/storage.conf"},
	}
	service = map[string]any{
		"ExecStart": [][]any{
			execStartLine("/usr/sbin/dockerd", "/usr/sbin/dockerd", "-H", "fd://", "$DOCKER_OPTS"),
		},
		"EnvironmentFiles": [][]any{{"/etc/default/docker", true}, {"-/etc/sysconfig/docker-storage", true}},
		"Environment":      []string{"HTTP_PROXY=http://proxy:3128"},
	}
	return unit, service
}

func TestAServiceIsReadWithItsCommandLineAndEnvironment(t *testing.T) {
	unit, service := dockerUnit()
	got, err := unitState("docker.service", unit, service)
	if err != nil {
		t.Fatal(err)
	}
	want := UnitState{
		Name: "docker.service", LoadState: "loaded", ActiveState: "active", SubState: "running",
		UnitFileState: "enabled", FragmentPath: "/lib/systemd/system/docker.service",
		DropInPaths:      []string{"/etc/systemd/system/docker.service.d/storage.conf"},
		ExecStart:        [][]string{{"/usr/sbin/dockerd", "-H", "fd://", "$DOCKER_OPTS"}},
		EnvironmentFiles: []string{"/etc/default/docker", "/etc/sysconfig/docker-storage"},
		Environment:      []string{"HTTP_PROXY=http://proxy:3128"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestEveryExecStartLineIsKeptInOrder(t *testing.T) {
	// ExecStart= (reset) followed by a new line leaves one entry; a unit
	// may also list several for Type=oneshot.
	service := map[string]any{"ExecStart": [][]any{
		execStartLine("/bin/true", "/bin/true"),
		execStartLine("/usr/bin/env", "env", "A=1", "/bin/sh"),
		execStartLine("/usr/sbin/thing"), // empty argv: fall back to the path
	}}
	got, err := unitState("x.service", map[string]any{"LoadState": "loaded"}, service)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"/bin/true"}, {"env", "A=1", "/bin/sh"}, {"/usr/sbin/thing"}}
	if !reflect.DeepEqual(got.ExecStart, want) {
		t.Errorf("ExecStart = %q, want %q", got.ExecStart, want)
	}
}

func TestArraysOfStructsAlsoDecodeFromPlainSlices(t *testing.T) {
	// Values that went through a generic []any (e.g. a variant re-stored)
	// must decode the same.
	service := map[string]any{
		"ExecStart":        []any{execStartLine("/usr/bin/dockerd", "/usr/bin/dockerd")},
		"EnvironmentFiles": []any{[]any{"/etc/default/docker", false}},
	}
	got, err := unitState("docker.service", map[string]any{}, service)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ExecStart) != 1 || got.ExecStart[0][0] != "/usr/bin/dockerd" || got.EnvironmentFiles[0] != "/etc/default/docker" {
		t.Errorf("got %+v", got)
	}
}

func TestAnUnknownUnitIsNotFoundNotAnError(t *testing.T) {
	got, err := unitState("nosuch.service", map[string]any{
		"Id": "nosuch.service", "LoadState": "not-found", "ActiveState": "inactive", "SubState": "dead", "UnitFileState": "",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.LoadState != "not-found" || got.ExecStart != nil {
		t.Errorf("got %+v", got)
	}
}

func TestAPropertyOfTheWrongTypeIsAnErrorNamingIt(t *testing.T) {
	for name, service := range map[string]map[string]any{
		"ExecStart not an array":  {"ExecStart": "dockerd"},
		"ExecStart argv not as":   {"ExecStart": [][]any{{"/usr/bin/dockerd", "dockerd -H fd://"}}},
		"EnvironmentFiles not sb": {"EnvironmentFiles": [][]any{{true, "/etc/default/docker"}}},
		"Environment not as":      {"Environment": "A=1"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := unitState("docker.service", map[string]any{"LoadState": "loaded"}, service)
			if err == nil || !strings.Contains(err.Error(), "docker.service") {
				t.Fatalf("want an error naming the unit, got %v", err)
			}
			for prop := range service {
				if !strings.Contains(err.Error(), prop) {
					t.Errorf("error %q does not name property %s", err, prop)
				}
			}
		})
	}
}

package ansible

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildProbe builds testdata/probe, a module made with Main, into dir as
// "probe", statically, as modules are shipped.
func buildProbe(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build the probe module: %v", err)
	}
	out := filepath.Join(dir, "probe")
	cmd := exec.Command(goTool, "build", "-o", out, "./testdata/probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/probe: %v\n%s", err, msg)
	}
	return out
}

// runProbe runs the probe binary the way Ansible does, with args written to
// an arguments file, and returns its decoded stdout, its stderr and its
// exit code.
func runProbe(t *testing.T, probe string, args map[string]any) (map[string]any, string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(path, []byte(jsonText(t, args)), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(probe, path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running the probe: %v", err)
	}
	return decodeOneObject(t, stdout.Bytes()), stderr.String(), cmd.ProcessState.ExitCode()
}

func TestMainAsAProgram(t *testing.T) {
	probe := buildProbe(t, t.TempDir())
	tests := []struct {
		name       string
		args       map[string]any
		wantCode   int
		wantMsg    string
		wantStderr []string
	}{
		{
			name:     "a normal run",
			args:     map[string]any{"name": "alpha", "count": "3"},
			wantCode: 0,
			wantMsg:  "probe alpha is present",
		},
		{
			name:       "stray prints go to stderr, not into the protocol",
			args:       map[string]any{"name": "alpha", "noise": true},
			wantCode:   0,
			wantMsg:    "probe alpha is present",
			wantStderr: []string{"probe: stray fmt.Println", "probe: stray write to descriptor 1"},
		},
		{
			name:     "a panic becomes failure JSON",
			args:     map[string]any{"name": "alpha", "panic": true},
			wantCode: 1,
			wantMsg:  "module probe panicked: probe was asked to panic",
		},
		{
			name:     "invalid arguments",
			args:     map[string]any{"count": "x"},
			wantCode: 1,
			wantMsg:  `missing required arguments: name; argument 'count' is of type str and we were unable to convert to int: "x" is not an integer`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := runProbe(t, probe, tt.args)
			if code != tt.wantCode || out["msg"] != tt.wantMsg {
				t.Fatalf("exit code %d, msg %q; want %d, %q\nstderr: %s", code, out["msg"], tt.wantCode, tt.wantMsg, stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestMainWithoutArgumentsFile(t *testing.T) {
	probe := buildProbe(t, t.TempDir())
	var stdout bytes.Buffer
	cmd := exec.Command(probe)
	cmd.Stdout = &stdout
	_ = cmd.Run()
	out := decodeOneObject(t, stdout.Bytes())
	msg, _ := out["msg"].(string)
	if cmd.ProcessState.ExitCode() != 1 || out["failed"] != true || !strings.Contains(msg, "meant to be run by Ansible") {
		t.Fatalf("exit code %d, output %v; want a failure saying the program is run by Ansible", cmd.ProcessState.ExitCode(), out)
	}
}

// SIGTERM (ansible's timeout, a stopped job) and SIGHUP (the controller's
// SSH connection went away) cancel the run's context: the module stops
// cleanly and still prints its one result, instead of dying in the middle.
func TestMainCancelsRunOnSIGTERMAndSIGHUP(t *testing.T) {
	probe := buildProbe(t, t.TempDir())
	path := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(path, []byte(`{"name": "alpha", "wait": true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var stdout bytes.Buffer
			cmd := exec.CommandContext(ctx, probe, path)
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(stderr)
			for lines.Scan() && !strings.Contains(lines.Text(), "waiting for a signal") {
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, stderr)
			_ = cmd.Wait()
			out := decodeOneObject(t, stdout.Bytes())
			if want := "probe stopped waiting: context canceled"; out["msg"] != want || cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("exit code %d, msg %q; want 1, %q", cmd.ProcessState.ExitCode(), out["msg"], want)
			}
		})
	}
}

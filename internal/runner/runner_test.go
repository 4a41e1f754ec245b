package runner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExecPinsTheLocaleWhateverTheCallerSet(t *testing.T) {
	t.Setenv("LC_ALL", "de_DE.UTF-8")
	t.Setenv("LANG", "de_DE.UTF-8")
	res, err := New(Config{}).Run(context.Background(), Command("env"))
	if err != nil {
		t.Fatal(err)
	}
	env := string(res.Stdout)
	if !strings.Contains(env, "\nLC_ALL=C\n") || strings.Contains(env, "de_DE") {
		t.Fatalf("command environment does not pin LC_ALL=C only:\n%s", env)
	}
}

func TestExecFailureCarriesArgvExitCodeAndStderr(t *testing.T) {
	_, err := New(Config{}).Run(context.Background(), Command("ls", "/no/such dir"))
	var xe *ExitError
	if !errors.As(err, &xe) {
		t.Fatalf("want *ExitError, got %T %v", err, err)
	}
	if xe.ExitCode != 2 || ExitCodeOf(err) != 2 {
		t.Errorf("exit code = %d, want 2", xe.ExitCode)
	}
	msg := err.Error()
	for _, want := range []string{"ls '/no/such dir'", "exit status 2", "No such file or directory"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

func TestExecFeedsStdinAndNeverUsesAShell(t *testing.T) {
	// A shell would expand $HOME and the glob; argv must reach the tool as is.
	res, err := New(Config{}).Run(context.Background(), Cmd{Argv: []string{"cat", "-"}, Stdin: []byte("$HOME *")})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.Stdout); got != "$HOME *" {
		t.Fatalf("stdout = %q", got)
	}
	res, err = New(Config{}).Run(context.Background(), Command("echo", "$HOME", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.Stdout); got != "$HOME *\n" {
		t.Fatalf("echo saw expanded words: %q", got)
	}
}

func TestExecTimeoutIsAnExitErrorNamingTheDeadline(t *testing.T) {
	start := time.Now()
	_, err := New(Config{}).Run(context.Background(), Cmd{Argv: []string{"sleep", "10"}, Timeout: 200 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
	if ExitCodeOf(err) != -1 || !strings.Contains(err.Error(), "sleep 10") {
		t.Errorf("error = %v (code %d)", err, ExitCodeOf(err))
	}
	if time.Since(start) > 8*time.Second {
		t.Errorf("the command was not stopped at its deadline")
	}
}

func TestLookPathFindsToolsInSbinWhenPathLacksThem(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "pvs-fake")
	if err := os.WriteFile(tool, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "/usr/bin:/bin")
	got, err := New(Config{ExtraPath: []string{"/nonexistent", dir}}).LookPath("pvs-fake")
	if err != nil || got != tool {
		t.Fatalf("LookPath = %q, %v; want %q", got, err, tool)
	}
}

func TestMissingToolSaysWhereItLooked(t *testing.T) {
	_, err := New(Config{ExtraPath: []string{"/opt/nowhere"}}).Run(context.Background(), Command("no-such-tool-xyz"))
	if !errors.Is(err, exec.ErrNotFound) {
		t.Fatalf("want exec.ErrNotFound, got %v", err)
	}
	if !strings.Contains(err.Error(), "no-such-tool-xyz") || !strings.Contains(err.Error(), "/opt/nowhere") {
		t.Errorf("error does not name the tool and the search path: %v", err)
	}
}

func TestJoinQuotesOnlyWhatNeedsIt(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"lvs", "-o", "lv_name,vg_name"}, "lvs -o lv_name,vg_name"},
		{[]string{"echo", "a b", ""}, "echo 'a b' ''"},
		{[]string{"echo", "it's"}, `echo 'it'\''s'`},
	} {
		if got := Join(tc.argv); got != tc.want {
			t.Errorf("Join(%q) = %s, want %s", tc.argv, got, tc.want)
		}
	}
}

func TestCommandEnvIsAddedButCannotUnpinTheLocale(t *testing.T) {
	res, err := New(Config{Env: []string{"A=config"}}).Run(context.Background(),
		Cmd{Argv: []string{"env"}, Env: []string{"B=command", "LC_ALL=fr_FR.UTF-8"}})
	if err != nil {
		t.Fatal(err)
	}
	env := "\n" + string(res.Stdout)
	for _, want := range []string{"\nA=config\n", "\nB=command\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %q", strings.TrimSpace(want))
		}
	}
	if !strings.Contains(env, "\nLC_ALL=C\n") || strings.Contains(env, "fr_FR") {
		t.Errorf("a command's Env overrode LC_ALL=C:\n%s", env)
	}
}

func TestTheLocaleCanBeUTF8ForToolsThatNeedIt(t *testing.T) {
	res, err := New(Config{Locale: "C.UTF-8"}).Run(context.Background(), Command("env"))
	if err != nil {
		t.Fatal(err)
	}
	if env := string(res.Stdout); !strings.Contains(env, "\nLC_ALL=C.UTF-8\n") {
		t.Fatalf("LC_ALL not set to C.UTF-8:\n%s", env)
	}
}

func TestACancelledCommandSaysCancelledNotTimedOut(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := New(Config{}).Run(ctx, Command("sleep", "10"))
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "after") {
		t.Fatalf("want a plain cancellation, got %v", err)
	}
}

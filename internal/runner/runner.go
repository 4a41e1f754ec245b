// Package runner executes external commands for every module and tool of
// this collection. It is the only place in the project that starts a
// process: domain packages receive a Runner and build argv; they never call
// os/exec themselves, which keeps them testable with the scripted Fake.
//
// Every command runs without a shell, with LC_ALL=C (so the English output
// and error texts that callers interpret are stable), under a context
// deadline, and with tools looked up in PATH plus the sbin directories that a
// become/sudo PATH often lacks.
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Runner runs one command given as argv and returns what it printed.
// A command that exits non-zero yields a *ExitError (the Result is still
// returned, so callers can read stdout of tools that report on stdout and
// exit non-zero).
type Runner interface {
	Run(ctx context.Context, cmd Cmd) (Result, error)
}

// Cmd is one command to run.
type Cmd struct {
	// Argv is the program and its arguments. Argv[0] is a bare tool name
	// (looked up) or an absolute path.
	Argv []string
	// Stdin, when not nil, is fed to the command.
	Stdin []byte
	// Timeout, when positive, bounds this command in addition to the
	// context's own deadline.
	Timeout time.Duration
	// Env is added to the environment of this command (KEY=VALUE).
	Env []string
	// Stdout and Stderr, when set, receive the command's output as it is
	// printed instead of Result keeping it (for long commands whose output a
	// person watches, such as a test suite).
	Stdout, Stderr io.Writer
}

// Command is a shorthand for Cmd{Argv: argv}.
func Command(argv ...string) Cmd { return Cmd{Argv: argv} }

// String renders argv for messages: words with spaces or quotes are quoted.
func (c Cmd) String() string { return Join(c.Argv) }

// Result is what a finished command printed and how it exited.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// Config configures the real runner. The zero value is usable.
type Config struct {
	// DefaultTimeout bounds each command that has no Timeout of its own.
	// Zero means 5 minutes.
	DefaultTimeout time.Duration
	// ExtraPath is searched after PATH. Nil means SbinDirs.
	ExtraPath []string
	// Env is added to the environment of every command (KEY=VALUE).
	Env []string
	// Locale is the LC_ALL every command gets; empty means "C", which keeps
	// the tools' messages in the English that callers interpret. Commands
	// that insist on UTF-8 (ansible) need "C.UTF-8".
	Locale string
}

// SbinDirs returns the directories searched after PATH: under become, PATH
// may lack them, and LVM, wipefs and blkid live there.
func SbinDirs() []string { return []string{"/usr/local/sbin", "/usr/sbin", "/sbin"} }

// Exec runs commands on this host.
type Exec struct {
	cfg Config
}

// New returns a runner that executes commands on this host.
func New(cfg Config) *Exec {
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = 5 * time.Minute
	}
	if cfg.Locale == "" {
		cfg.Locale = "C"
	}
	if cfg.ExtraPath == nil {
		cfg.ExtraPath = SbinDirs()
	}
	return &Exec{cfg: cfg}
}

// LookPath finds a tool in PATH and then in the extra directories.
func (e *Exec) LookPath(tool string) (string, error) {
	if strings.ContainsRune(tool, '/') {
		if _, err := os.Stat(tool); err != nil {
			return "", &NotFoundError{Tool: tool, Searched: []string{tool}}
		}
		return tool, nil
	}
	if p, err := exec.LookPath(tool); err == nil {
		return p, nil
	}
	for _, dir := range e.cfg.ExtraPath {
		p := filepath.Join(dir, tool)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	searched := append(filepath.SplitList(os.Getenv("PATH")), e.cfg.ExtraPath...)
	return "", &NotFoundError{Tool: tool, Searched: searched}
}

// Run executes cmd and waits for it.
func (e *Exec) Run(ctx context.Context, cmd Cmd) (Result, error) {
	if len(cmd.Argv) == 0 {
		return Result{}, errors.New("runner: empty argv")
	}
	path, err := e.LookPath(cmd.Argv[0])
	if err != nil {
		return Result{ExitCode: -1}, err
	}
	timeout := cmd.Timeout
	if timeout <= 0 {
		timeout = e.cfg.DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	c := exec.CommandContext(ctx, path, cmd.Argv[1:]...)
	c.Env = commandEnv(os.Environ(), append(append([]string(nil), e.cfg.Env...), cmd.Env...), e.cfg.Locale)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if cmd.Stdout != nil {
		c.Stdout = cmd.Stdout
	}
	if cmd.Stderr != nil {
		c.Stderr = cmd.Stderr
	}
	// On cancellation ask politely first, then kill after WaitDelay.
	c.Cancel = func() error { return c.Process.Signal(syscall.SIGTERM) }
	if cmd.Stdin != nil {
		c.Stdin = bytes.NewReader(cmd.Stdin)
	}
	c.WaitDelay = 5 * time.Second // do not hang on a grandchild holding our pipes
	runErr := c.Run()
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: c.ProcessState.ExitCode()}
	if runErr == nil {
		return res, nil
	}
	xe := &ExitError{Argv: cmd.Argv, ExitCode: res.ExitCode, Stderr: string(res.Stderr), Err: runErr}
	if ctxErr := ctx.Err(); ctxErr != nil {
		xe.Err = ctxErr // cancelled by the caller (an interrupt, say)
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			xe.Err = fmt.Errorf("%w after %s", ctxErr, timeout)
		}
		xe.ExitCode = -1
		res.ExitCode = -1
	}
	return res, xe
}

// commandEnv pins the locale and appends extra variables. Later entries win
// in os/exec, so LC_ALL overrides whatever the caller's environment says.
func commandEnv(base, extra []string, locale string) []string {
	env := make([]string, 0, len(base)+len(extra)+2)
	for _, kv := range base {
		if strings.HasPrefix(kv, "LC_ALL=") || strings.HasPrefix(kv, "LANG=") || strings.HasPrefix(kv, "LANGUAGE=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, extra...)
	return append(env, "LC_ALL="+locale, "LANG="+locale)
}

// ExitError is a command that ran and failed: it exited non-zero, was
// killed, or ran out of time. It carries everything an operator needs to
// reproduce the failure.
type ExitError struct {
	Argv     []string
	ExitCode int // -1 when the command did not exit by itself
	Stderr   string
	Err      error // the underlying cause from os/exec or the context
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: %v", Join(e.Argv), e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + tail(s, 2000)
	}
	return msg
}

func (e *ExitError) Unwrap() error { return e.Err }

// ExitCodeOf returns the exit code carried by err, or -1 when err is not an
// *ExitError.
func ExitCodeOf(err error) int {
	var xe *ExitError
	if errors.As(err, &xe) {
		return xe.ExitCode
	}
	return -1
}

// NotFoundError says a tool is not installed where we looked.
type NotFoundError struct {
	Tool     string
	Searched []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s: command not found (searched %s); install the package that provides it", e.Tool, strings.Join(e.Searched, ":"))
}

func (e *NotFoundError) Unwrap() error { return exec.ErrNotFound }

// Join renders argv as a copy-pasteable command line for messages.
func Join(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>*?()[]{}") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

func tail(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return "..." + s[len(s)-max:]
}

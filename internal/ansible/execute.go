package ansible

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"unicode/utf8"
)

// Module is a binary module: its name, its options and its work.
type Module struct {
	// Name is the module's name, used in messages when Ansible does not
	// pass _ansible_module_name.
	Name string
	// Spec declares the options.
	Spec Spec
	// Run does the work. It may return a partial Result together with an
	// error: the output is then a failure that still carries the Result
	// (what was changed before the error, for example), with the error's
	// text as msg. A nil Result counts as an empty one. A panic becomes a
	// failure too, but only when it happens on Run's own goroutine.
	Run func(ctx context.Context, req *Request) (*Result, error)
}

// ExecuteContext runs m as Ansible does and writes its one JSON object to
// stdout. args are the command-line arguments after the program name:
// args[0] is the arguments file, or "-" for the arguments on stdin (the
// collection's action plugin sends them so, with the command, in one SSH
// round trip). ctx is Run's. It returns the exit code: 0 on success or
// skip, 1 on failure.
func ExecuteContext(ctx context.Context, m Module, args []string, stdin io.Reader, stdout io.Writer) int {
	return runAndWrite(ctx, m.Name, func(map[string]any) (Module, error) { return m, nil }, args, stdin, stdout)
}

// runAndWrite runs the module pick chooses from the arguments, as
// ExecuteContext describes; name is the program's in messages until then.
func runAndWrite(ctx context.Context, name string, pick func(args map[string]any) (Module, error), args []string, stdin io.Reader, stdout io.Writer) int {
	data, failed := encodeReply(run(ctx, name, pick, args, stdin))
	if _, err := stdout.Write(data); err != nil || failed {
		return 1
	}
	return 0
}

// run does everything but writing: it returns the output object and the
// masker for it. Whatever happens, it returns an object.
func run(ctx context.Context, name string, pick func(args map[string]any) (Module, error), args []string, stdin io.Reader) (out map[string]any, mask masker) {
	defer func() {
		if v := recover(); v != nil {
			out = failure(fmt.Sprintf("module %s panicked: %v", name, v))
			out["exception"] = string(debug.Stack())
		}
	}()
	usage := fmt.Sprintf("%s is an Ansible module, meant to be run by Ansible, which calls it as '%s ARGS_FILE' with the module arguments as a JSON object in ARGS_FILE, or as '%s -' with them on standard input", name, name, name)
	if len(args) == 0 {
		return failure("no arguments file was given; " + usage), mask
	}
	data, err := readArgs(args[0], stdin)
	if err != nil {
		return failure(fmt.Sprintf("cannot read the arguments: %v; %s", err, usage)), mask
	}
	obj, err := decodeArgs(data)
	if err != nil {
		source := "the arguments file " + args[0]
		if args[0] == "-" {
			source = "the arguments on standard input"
		}
		return failure(fmt.Sprintf("%s %v; %s", source, err, usage)), mask
	}
	m, err := pick(obj)
	if err != nil {
		return failure(err.Error()), mask
	}
	name = m.Name
	if m.Run == nil {
		return failure(fmt.Sprintf("module %s has no Run function", name)), mask
	}
	spec, err := m.Spec.compile()
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", "; ")
		return failure(fmt.Sprintf("module %s has an invalid argument spec: %s", name, msg)), mask
	}
	s := newSession(m, spec, obj)
	mask, name = s.mask, s.name
	if len(s.problems) > 0 {
		return s.finish(failure(strings.Join(s.problems, "; "))), mask
	}
	if s.req.CheckMode && !spec.SupportsCheckMode {
		return s.finish(map[string]any{
			"changed": false,
			"skipped": true,
			"msg":     fmt.Sprintf("remote module (%s) does not support check mode", name),
		}), mask
	}
	res, err := callRun(ctx, m, s)
	return s.finish(s.resultReply(res, err)), mask
}

// maxArgsBytes bounds the arguments read from stdin: a task's options are
// a few kilobytes; a runaway writer must not fill the host's memory.
const maxArgsBytes = 16 << 20

// readArgs reads the arguments file, or stdin for "-".
func readArgs(path string, stdin io.Reader) ([]byte, error) {
	if path != "-" {
		return os.ReadFile(path)
	}
	if stdin == nil {
		return nil, errors.New("standard input: none")
	}
	data, err := io.ReadAll(io.LimitReader(stdin, maxArgsBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("standard input: %w", err)
	case len(data) > maxArgsBytes:
		return nil, fmt.Errorf("standard input: more than %d bytes", maxArgsBytes)
	case len(bytes.TrimSpace(data)) == 0:
		return nil, errors.New("standard input: empty")
	}
	return data, nil
}

// panicError is a panic in Run, turned into an error.
type panicError struct {
	msg   string
	stack string
}

func (e *panicError) Error() string { return e.msg }

// callRun calls m.Run and turns a panic into a *panicError.
func callRun(ctx context.Context, m Module, s *session) (res *Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, &panicError{
				msg:   fmt.Sprintf("module %s panicked: %v", s.name, v),
				stack: string(debug.Stack()),
			}
		}
	}()
	return m.Run(ctx, s.req)
}

// decodeArgs reads the arguments file's JSON object. An object of the form
// {"ANSIBLE_MODULE_ARGS": {...}}, which Python modules read on stdin, is
// unwrapped, so hand-written test files of either kind work.
//
// A file that is not UTF-8 is refused (Ansible writes ASCII): a no_log
// value holding a stray byte would reach the output with that byte
// replaced, unlike the value the mask looks for, and the JSON decoder
// panics on some such keys (goccy/go-json#609). FuzzDecodeArgs found both.
func decodeArgs(data []byte) (map[string]any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("is not valid UTF-8")
	}
	v, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("does not hold valid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("holds a JSON %s, not an object", jsonTypeName(normalize(v)))
	}
	if inner, ok := obj["ANSIBLE_MODULE_ARGS"].(map[string]any); ok && len(obj) == 1 {
		return inner, nil
	}
	return obj, nil
}

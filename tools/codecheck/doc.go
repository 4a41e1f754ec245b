// Package codecheck holds tests that enforce the project's code rules over
// its own source.
//
// The rules, checked on every non-test .go file of the repository with
// go/parser and go/ast (see rules_test.go):
//
//  1. One runner: only internal/runner starts processes (imports os/exec,
//     calls syscall.Exec, syscall.ForkExec or os.StartProcess); every other
//     package is handed a runner.Runner, which tests replace with the
//     scripted runner.Fake. Test-support packages (ansibletest, guesttest,
//     lvmtest: named *test) may run tools directly, as _test.go files do;
//     the check makes sure only tests import them.
//  2. No shell: no argv runs sh or bash, and none passes a script with -c;
//     the runner executes argv directly. The shell scripts the guest image
//     build hands to mmdebstrap (tools/guest/recipe/*.sh) are not Go and
//     not in scope.
//  3. Explicit modes: every file or directory created gets a mode that is
//     a constant and not world-writable (never os.ModePerm, 0o666, 0o777);
//     os.Create and os.CreateTemp, which take no mode, are followed by a
//     Chmod in the same function.
//
// An exception is an entry of the allowlist in rules_test.go, with its
// reason; an entry that no longer matches anything fails the test.
package codecheck

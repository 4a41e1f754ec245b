package ansible

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main runs m as the whole program: it reads the arguments file named by
// os.Args[1] (stdin for "-"), writes the one JSON object to the real stdout and exits with 0
// on success or skip, 1 on failure. It never returns.
//
// While the module runs, anything else written to stdout (a stray
// fmt.Println, a child process inheriting the descriptor) goes to stderr
// instead, so that it cannot corrupt the protocol. Run's context is
// cancelled on SIGTERM, SIGINT or SIGHUP (the controller's SSH connection
// went away); a second signal kills the program. SIGPIPE is ignored: with
// the connection gone, a write to it fails instead of killing the module
// in the middle of a change.
func Main(m Module) {
	runMain(func(ctx context.Context, stdout io.Writer) int {
		return ExecuteContext(ctx, m, os.Args[1:], os.Stdin, stdout)
	})
}

// MainOf runs, as Main does, the one of ms that the arguments name (see
// Modules).
func MainOf(ms ...Module) {
	runMain(func(ctx context.Context, stdout io.Writer) int {
		return Modules(ms).ExecuteContext(ctx, os.Args[0], os.Args[1:], os.Stdin, stdout)
	})
}

func runMain(execute func(ctx context.Context, stdout io.Writer) int) {
	stdout := takeStdout()
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt, syscall.SIGHUP)
	go func() {
		// After the first signal, let the next one have its default effect.
		<-ctx.Done()
		stop()
	}()
	code := execute(ctx, stdout)
	stop()
	os.Exit(code)
}

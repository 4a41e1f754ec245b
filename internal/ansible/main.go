package ansible

import (
	"context"
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
	stdout := takeStdout()
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt, syscall.SIGHUP)
	go func() {
		// After the first signal, let the next one have its default effect.
		<-ctx.Done()
		stop()
	}()
	code := ExecuteContext(ctx, m, os.Args[1:], os.Stdin, stdout)
	stop()
	os.Exit(code)
}

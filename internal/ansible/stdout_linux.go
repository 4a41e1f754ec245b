//go:build linux

package ansible

import (
	"os"
	"syscall"
)

// takeStdout keeps a private copy of the process's stdout for the module's
// JSON object and points both descriptor 1 and os.Stdout at stderr. If the
// descriptors cannot be duplicated, it returns os.Stdout unchanged.
func takeStdout() *os.File {
	fd, err := syscall.Dup(1)
	if err != nil {
		return os.Stdout
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Dup3(2, 1, 0); err != nil {
		syscall.Close(fd)
		return os.Stdout
	}
	out := os.NewFile(uintptr(fd), "/dev/stdout")
	os.Stdout = os.Stderr
	return out
}

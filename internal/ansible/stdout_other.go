//go:build !linux

package ansible

import "os"

// takeStdout keeps os.Stdout for the module's JSON object and points
// os.Stdout at stderr. Modules run on Linux; elsewhere descriptor 1 itself
// is left alone.
func takeStdout() *os.File {
	out := os.Stdout
	os.Stdout = os.Stderr
	return out
}

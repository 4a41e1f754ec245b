package lvmprofile

import (
	"fmt"
	"os"
)

// makeDir creates dir (and missing parents) with mode DirMode, whatever the
// umask.
func makeDir(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := os.Chmod(dir, DirMode); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	return nil
}

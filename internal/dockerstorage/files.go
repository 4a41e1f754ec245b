package dockerstorage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// freePath returns path, or path with ".1", ".2", ... appended when
// something is there already (two runs within one second).
func freePath(path string) (string, error) {
	for i := 0; i < 100; i++ {
		p := path
		if i > 0 {
			p = fmt.Sprintf("%s.%d", path, i)
		}
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p, nil
		} else if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("%s and 99 numbered variants exist already: clean up old backups", path)
}

// exists says whether something is at path.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

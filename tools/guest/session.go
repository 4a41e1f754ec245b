package guest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/directlvm/docker/internal/runner"
)

// SessionEnv names the directory in which every guest started by a
// supervised command (see `guest session`) records its state directory, so
// that the supervisor can stop whatever is left when the command ends, is
// interrupted, or fails.
const SessionEnv = "DIRECTLVM_GUEST_SESSION"

func registerInSession(stateDir string) {
	dir := os.Getenv(SessionEnv)
	if dir == "" {
		return
	}
	sum := sha256.Sum256([]byte(stateDir))
	_ = os.MkdirAll(dir, 0o700)
	_ = os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:8])), []byte(stateDir+"\n"), 0o600)
}

// StopSession stops every guest recorded in the session directory that is
// still running and returns the state directories it stopped.
func StopSession(ctx context.Context, r runner.Runner, sessionDir string) ([]string, error) {
	entries, err := os.ReadDir(sessionDir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var stopped []string
	var errs []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(sessionDir, e.Name()))
		if err != nil {
			continue
		}
		stateDir := strings.TrimSpace(string(b))
		vm, err := Load(stateDir)
		if err != nil || !vm.Alive() {
			continue
		}
		if err := vm.Attach(r).Stop(ctx); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		stopped = append(stopped, stateDir)
	}
	if len(errs) > 0 {
		return stopped, fmt.Errorf("stopping session guests: %s", strings.Join(errs, "; "))
	}
	return stopped, nil
}

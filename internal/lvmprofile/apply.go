package lvmprofile

import (
	"context"
	"fmt"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

// defaultUnitTimeout bounds a unit's start when the Host sets no timeout.
const defaultUnitTimeout = 2 * time.Minute

// apply runs the plan's actions in order and stops at the first failure.
// It returns what completed, as Action.String gives it.
func apply(ctx context.Context, h Host, sd Systemd, plan *Plan) ([]string, error) {
	done := []string{}
	for i, a := range plan.Actions {
		if err := a.run(ctx, h, sd); err != nil {
			return done, fmt.Errorf("step %d of %d (%s) failed: %w; %d step(s) before it completed; fix the cause and run again: the module continues from the state it finds",
				i+1, len(plan.Actions), a.Why, err, len(done))
		}
		done = append(done, a.String())
	}
	return done, nil
}

// run executes one action.
func (a Action) run(ctx context.Context, h Host, sd Systemd) error {
	switch {
	case a.Argv != nil:
		_, err := h.Run.Run(ctx, runner.Cmd{Argv: a.Argv})
		return err
	case a.Mkdir != "":
		return makeDir(a.Mkdir)
	case a.Write != nil:
		return writeFile(a.Write.Path, a.Write.Content, a.Write.Mode)
	case a.Remove != "":
		return removeFile(a.Remove)
	case a.Enable != nil:
		_, err := sd.Enable(ctx, a.Enable...)
		return err
	case a.Start != "":
		timeout := h.UnitTimeout
		if timeout <= 0 {
			timeout = defaultUnitTimeout
		}
		return sd.Start(ctx, a.Start, timeout)
	}
	return fmt.Errorf("internal error: action %q does nothing", a.Why)
}

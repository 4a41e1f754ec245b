// Package faults is the role's fault matrix (make faults): on one guest
// that can reboot on its own disks, the role is cut right after each step
// of each module's plan, by SIGKILL of the module or by a power cut (the
// kernel reboots at once through /proc/sysrq-trigger, losing what was not
// synced), and then run again. The next run must converge (the pool,
// its profile monitored, docker verified on the pool), the run after it
// must change nothing, docker's data of before must be kept in a
// moved-aside data root, and a second disk holding a filesystem must be
// untouched. Rows are the steps a real uncut run of the role takes on the
// same starting host, so none is left out by a list kept by hand.
package faults

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Kinds of cut, as package fault names them.
var kinds = []string{"kill", "powercut"}

// Step is one step of a module's plan on the starting host.
type Step struct {
	Module string
	N      int    // from 1, as the fault hook counts
	What   string // the step as the module reports it
}

// readOnly are the steps that change nothing on the host, by the start
// of their text: the profile's validation, docker's wait and its check.
// Every other step, known or new, is a row of "all".
var readOnly = []string{"lvmconfig --validate ", "wait up to ", "verify GET /info"}

// Changes says whether the step changes the host.
func (s Step) Changes() bool {
	for _, r := range readOnly {
		if strings.HasPrefix(s.What, r) {
			return false
		}
	}
	return true
}

// Point is a step and how the run is cut there.
type Point struct {
	Step
	Kind string
}

// Env is the value of DIRECTLVM_DOCKER_FAULT for the point.
func (p Point) Env() string { return fmt.Sprintf("%s:%d:%s", p.Module, p.N, p.Kind) }

func (p Point) String() string {
	return fmt.Sprintf("%s after step %d (%s), %s", p.Module, p.N, short(p.What), p.Kind)
}

// Outcome is what one row showed.
type Outcome struct {
	Point
	OK   bool
	Says string // "converged", or what went wrong
	Took time.Duration
}

// Select picks the points to run among every step × kind: "all" (every
// step that changes the host), "every" (read-only ones too), or a
// comma-separated list of MODULE:STEP:KIND where STEP is a number or a
// word the step's text starts with (e.g. docker_storage:move:powercut).
func Select(steps []Step, which string) ([]Point, error) {
	var every, all []Point
	for _, s := range steps {
		for _, k := range kinds {
			every = append(every, Point{Step: s, Kind: k})
			if s.Changes() {
				all = append(all, Point{Step: s, Kind: k})
			}
		}
	}
	switch which {
	case "all", "":
		return all, nil
	case "every":
		return every, nil
	}
	all = every
	var out []Point
	for _, spec := range strings.Split(which, ",") {
		f := strings.Split(strings.TrimSpace(spec), ":")
		if len(f) != 3 {
			return nil, fmt.Errorf("row %q is not MODULE:STEP:KIND", spec)
		}
		found := false
		for _, p := range all {
			n, err := strconv.Atoi(f[1])
			byStep := err == nil && p.N == n || err != nil && strings.HasPrefix(p.What, f[1])
			if p.Module == f[0] && byStep && p.Kind == f[2] {
				out = append(out, p)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("row %q matches no step of the role's plan: %s", spec, describeSteps(steps))
		}
	}
	return out, nil
}

func describeSteps(steps []Step) string {
	var b []string
	for _, s := range steps {
		b = append(b, fmt.Sprintf("%s:%d (%s)", s.Module, s.N, short(s.What)))
	}
	return strings.Join(b, ", ")
}

// Table prints step × kind → result, the steps in journey j's order.
func Table(w io.Writer, j Journey, outcomes []Outcome) {
	byStep := map[Step]map[string]Outcome{}
	var steps []Step
	for _, o := range outcomes {
		if byStep[o.Step] == nil {
			byStep[o.Step] = map[string]Outcome{}
			steps = append(steps, o.Step)
		}
		byStep[o.Step][o.Kind] = o
	}
	sort.SliceStable(steps, func(a, b int) bool {
		if x, y := j.order(steps[a].Module), j.order(steps[b].Module); x != y {
			return x < y
		}
		return steps[a].N < steps[b].N
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "module\tstep\t%s\n", strings.Join(kinds, "\t"))
	for _, s := range steps {
		cells := []string{s.Module, fmt.Sprintf("%d %s", s.N, short(s.What))}
		for _, k := range kinds {
			o, ok := byStep[s][k]
			switch {
			case !ok:
				cells = append(cells, "-")
			case o.OK:
				cells = append(cells, fmt.Sprintf("converged (%s)", o.Took.Round(time.Second)))
			default:
				cells = append(cells, "FAILED: "+o.Says)
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
}

// short cuts a step's text for a table cell.
func short(what string) string {
	if len(what) > 60 {
		return what[:57] + "..."
	}
	return what
}

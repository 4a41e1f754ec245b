package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Play is what one ansible-playbook run of the role printed.
type Play struct {
	Err    error // nil when ansible-playbook exited 0
	Output string
}

var recap = regexp.MustCompile(`(?m)^guest\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)`)

// Recap returns the host's changed, unreachable and failed counts.
func (p Play) Recap() (changed, unreachable, failed int, ok bool) {
	m := recap.FindStringSubmatch(p.Output)
	if m == nil {
		return 0, 0, 0, false
	}
	changed, _ = strconv.Atoi(m[2])
	unreachable, _ = strconv.Atoi(m[3])
	failed, _ = strconv.Atoi(m[4])
	return changed, unreachable, failed, true
}

// Killed says whether the module's task failed because its process died
// by SIGKILL (the action plugin reports exit 137 and no JSON result).
// module is as the fault hook names it: docker_storage@released is a run
// of docker_storage.
func (p Play) Killed(module string) bool {
	module, _, _ = strings.Cut(module, "@")
	return regexp.MustCompile(`MODULE FAILURE: directlvm\.docker\.` + regexp.QuoteMeta(module) + ` \(.*\) exited 137 without printing its JSON result`).MatchString(p.Output)
}

// Failure is the first failed task's message, for a row that did not
// converge.
func (p Play) Failure() string {
	for _, marker := range []string{"fatal: [guest]", "UNREACHABLE!", "ERROR!"} {
		if i := strings.Index(p.Output, marker); i >= 0 {
			line, _, _ := strings.Cut(p.Output[i:], "\n")
			if m := regexp.MustCompile(`"msg": "((?:[^"\\]|\\.)*)"`).FindStringSubmatch(line); m != nil {
				return m[1]
			}
			return line
		}
	}
	if p.Err != nil {
		return p.Err.Error()
	}
	return ""
}

// resultKeys name each module by the key of its state in its result.
var resultKeys = map[string]string{"thinpool": "lvm_thinpool", "profile": "lvm_profile", "volume": "lvm_volume", "docker_storage": "docker_storage"}

// Steps reads the steps each module of journey j took from the results
// ansible printed (run with -v and results as one-line JSON).
// docker_storage's release is docker_storage@released, as the fault hook
// names it: the first of its two runs.
func (p Play) Steps(j Journey) ([]Step, error) {
	var steps []Step
	seen := map[string]bool{}
	for _, line := range strings.Split(p.Output, "\n") {
		_, js, found := strings.Cut(line, "] => ")
		if !found || !strings.HasPrefix(line, "changed: [guest]") && !strings.HasPrefix(line, "ok: [guest]") {
			continue
		}
		var res map[string]json.RawMessage
		if err := json.NewDecoder(bytes.NewReader([]byte(js))).Decode(&res); err != nil {
			continue
		}
		for key, module := range resultKeys {
			if _, ok := res[key]; !ok {
				continue
			}
			// A module the journey runs more than once (docker_storage's
			// release, then its switch) is each of its runs in turn.
			for _, m := range j.Modules {
				if base, _, _ := strings.Cut(m, "@"); base == module && !seen[m] {
					module = m
					break
				}
			}
			if seen[module] {
				continue
			}
			var actions []string
			if err := json.Unmarshal(res["actions"], &actions); err != nil {
				return nil, fmt.Errorf("%s's result has no list of actions: %v", module, err)
			}
			seen[module] = true
			for i, a := range actions {
				first, _, _ := strings.Cut(a, "\n") // lvmconfig --validate --config 'TEXT'
				steps = append(steps, Step{Module: module, N: i + 1, What: first})
			}
		}
	}
	for _, m := range j.Modules {
		if !seen[m] {
			return nil, fmt.Errorf("no result of %s in the role's output (was it run with -v?)", m)
		}
	}
	return steps, nil
}

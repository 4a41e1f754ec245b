package bench

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Report is every measure of one benchmark run.
type Report struct {
	Versions map[string]string
	Measures []Measure
	// BinaryBytes is the size of the collection's linux/amd64 binary.
	BinaryBytes int64
	// Carry is the carry case; nil when it did not run.
	Carry *CarryMeasure
}

// Summary is one line for the log.
func (m Measure) Summary() string {
	return fmt.Sprintf("case %s, %s: %s, %d LVM commands (+%d by udev), %d docker restarts, %d bytes received per host, %d SSH operations, %d module tasks, %d bytes of module code, controller CPU %s",
		m.Case, m.Run, secs(m.Wall), m.LVMCommands, m.LVMByUdev, m.DockerRestarts, m.Received, m.SSHOps, m.ModuleTasks, m.ModuleCode, secs(m.ControllerCPU))
}

// Find returns the measures of a case and run, in the order taken.
func (r Report) Find(c, run string) []Measure {
	var out []Measure
	for _, m := range r.Measures {
		if m.Case == c && m.Run == run {
			out = append(out, m)
		}
	}
	return out
}

// medianWall is the median wall time of ms (the lower middle one for an
// even count).
func medianWall(ms []Measure) time.Duration {
	walls := make([]time.Duration, len(ms))
	for i, m := range ms {
		walls[i] = m.Wall
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	return walls[(len(walls)-1)/2]
}

var caseNames = map[string]string{
	"a": "(a) directlvm.docker role",
	"b": "(b) community.general lvg/lvol + copy + systemd",
	"c": "(c) manual runbook over SSH",
	"d": "(d) physical limit: one SSH command, LVM's report and docker's /info",
	"e": fmt.Sprintf("(e) directlvm.docker role, %d hosts, forks=%d", FleetHosts, FleetHosts),
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func ratio(x, y time.Duration) string {
	if y <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", x.Seconds()/y.Seconds())
}

// Markdown renders the tables of BENCHMARKS.md.
func (r Report) Markdown() string {
	var b strings.Builder
	b.WriteString("| case | run | wall time | LVM commands (+ by udev) | docker restarts | bytes the host received | SSH operations | module code sent | controller CPU |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, m := range r.Measures {
		counts := fmt.Sprintf("%d (+%d) | %d", m.LVMCommands, m.LVMByUdev, m.DockerRestarts)
		ops := fmt.Sprint(m.SSHOps)
		if m.ModuleTasks > 0 {
			ops += fmt.Sprintf(": %d ran a module (%.1f per module task), %d other", m.ModuleOps, float64(m.ModuleOps)/float64(m.ModuleTasks), m.SSHOps-m.ModuleOps)
		}
		if m.Case == "e" {
			counts, ops = "- | -", "-"
		}
		code := "in the bytes received"
		if m.ModuleCode >= 0 {
			code = thousands(m.ModuleCode) + " bytes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			caseNames[m.Case], m.Run, secs(m.Wall), counts, thousands(m.Received), ops, code, secs(m.ControllerCPU))
	}
	b.WriteString("\n| ratio of wall times (medians of the reruns) | value |\n|---|---:|\n")
	for _, p := range []struct{ label, c1, c2, run string }{
		{"first rollout, a/b", "a", "b", firstRollout},
		{"first rollout, a/c (target ≤ 1.2×)", "a", "c", firstRollout},
		{"converged rerun, a/b (target ≤ 0.15×)", "a", "b", rerun},
		{"converged rerun, a/d (the physical limit)", "a", "d", rerun},
		{fmt.Sprintf("first rollout, %d hosts at once / 1 host (e/a)", FleetHosts), "e", "a", firstRollout},
		{fmt.Sprintf("converged rerun, %d hosts at once / 1 host (e/a)", FleetHosts), "e", "a", rerun},
	} {
		x, y := r.Find(p.c1, p.run), r.Find(p.c2, p.run)
		if len(x) > 0 && len(y) > 0 {
			fmt.Fprintf(&b, "| %s | %s |\n", p.label, ratio(medianWall(x), medianWall(y)))
		}
	}
	for _, run := range []string{firstRollout, rerun} {
		found := r.Find("a", run)
		if len(found) == 0 || len(found[0].Overhead) == 0 {
			continue
		}
		m := found[0]
		fmt.Fprintf(&b, "\n(a) %s (the first one measured), the Go modules' time (process accounting in the guest):\n\n", run)
		b.WriteString("| module | processes | module wall time | in the cache's check (sha256sum) | in commands it ran | in docker's restart | rest of its wall time | its own CPU time | CPU / work it drives |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		var tot ModuleTime
		for _, mt := range m.Overhead {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", mt.Module, mt.Runs, ms(mt.Wall), ms(mt.CacheCheck), ms(mt.Commands), ms(mt.DockerRestart), ms(mt.Own()), ms(mt.CPU), pct(mt.CPU, mt.Work()))
			tot.Runs += mt.Runs
			tot.Wall += mt.Wall
			tot.CPU += mt.CPU
			tot.Commands += mt.Commands
			tot.DockerRestart += mt.DockerRestart
			tot.CacheCheck += mt.CacheCheck
		}
		fmt.Fprintf(&b, "| **all** | %d | %s | %s | %s | %s | %s | %s | **%s** |\n", tot.Runs, ms(tot.Wall), ms(tot.CacheCheck), ms(tot.Commands), ms(tot.DockerRestart), ms(tot.Own()), ms(tot.CPU), pct(tot.CPU, tot.Work()))
	}
	b.WriteString(r.targets())
	b.WriteString(r.projection())
	if r.Carry != nil {
		b.WriteString("\nCarrying the user's images (`direct_lvm_carry_images`), the role on a fourth disk from docker on loop-lvm:\n\n")
		b.WriteString(r.Carry.Markdown())
	}
	b.WriteString("\nVersions in the guest:\n\n")
	keys := make([]string, 0, len(r.Versions))
	for k := range r.Versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "- %s: %s\n", k, r.Versions[k])
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func pct(x, y time.Duration) string {
	if y <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*x.Seconds()/y.Seconds())
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

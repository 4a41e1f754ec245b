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
}

// Summary is one line for the log.
func (m Measure) Summary() string {
	return fmt.Sprintf("case %s, %s: %s, %d LVM commands (+%d by udev), %d docker restarts, %d bytes of module code in %d files",
		m.Case, m.Run, secs(m.Wall), m.LVMCommands, m.LVMByUdev, m.DockerRestarts, m.ModuleBytes, m.ModuleFiles)
}

// Find returns the measure of a case and run.
func (r Report) Find(c, run string) (Measure, bool) {
	for _, m := range r.Measures {
		if m.Case == c && m.Run == run {
			return m, true
		}
	}
	return Measure{}, false
}

var caseNames = map[string]string{
	"a": "(a) directlvm.docker role",
	"b": "(b) community.general lvg/lvol + copy + systemd",
	"c": "(c) manual runbook over SSH",
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
	b.WriteString("| case | run | wall time | LVM commands (+ by udev) | docker restarts | module code sent per host |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|\n")
	for _, m := range r.Measures {
		fmt.Fprintf(&b, "| %s | %s | %s | %d (+%d) | %d | %s bytes in %d files |\n",
			caseNames[m.Case], m.Run, secs(m.Wall), m.LVMCommands, m.LVMByUdev, m.DockerRestarts, thousands(m.ModuleBytes), m.ModuleFiles)
	}
	b.WriteString("\n| ratio of wall times | value |\n|---|---:|\n")
	for _, p := range []struct{ label, c1, c2, run string }{
		{"first rollout, a/b", "a", "b", firstRollout},
		{"first rollout, a/c", "a", "c", firstRollout},
		{"converged rerun, a/b (target ≤ 0.3×)", "a", "b", rerun},
	} {
		x, ok1 := r.Find(p.c1, p.run)
		y, ok2 := r.Find(p.c2, p.run)
		if ok1 && ok2 {
			fmt.Fprintf(&b, "| %s | %s |\n", p.label, ratio(x.Wall, y.Wall))
		}
	}
	for _, run := range []string{firstRollout, rerun} {
		m, ok := r.Find("a", run)
		if !ok || len(m.Overhead) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n(a) %s, the Go modules' time (process accounting in the guest):\n\n", run)
		b.WriteString("| module | processes | module wall time | in commands it ran | in docker's restart | rest of its wall time | its own CPU time | CPU / work it drives |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
		var tot ModuleTime
		for _, mt := range m.Overhead {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", mt.Module, mt.Runs, ms(mt.Wall), ms(mt.Commands), ms(mt.DockerRestart), ms(mt.Own()), ms(mt.CPU), pct(mt.CPU, mt.Work()))
			tot.Runs += mt.Runs
			tot.Wall += mt.Wall
			tot.CPU += mt.CPU
			tot.Commands += mt.Commands
			tot.DockerRestart += mt.DockerRestart
		}
		fmt.Fprintf(&b, "| **all** | %d | %s | %s | %s | %s | %s | **%s** |\n", tot.Runs, ms(tot.Wall), ms(tot.Commands), ms(tot.DockerRestart), ms(tot.Own()), ms(tot.CPU), pct(tot.CPU, tot.Work()))
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

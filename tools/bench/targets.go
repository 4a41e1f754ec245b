package bench

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// targets renders issue 19's targets against this run's figures, the ones
// missed included.
func (r Report) targets() string {
	var b strings.Builder
	b.WriteString("\nAgainst the targets (issue 19), from the figures above:\n\n| target | measured | met? |\n|---|---|---|\n")
	row := func(target, measured string, met bool) {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", target, measured, map[bool]string{true: "yes", false: "**no**"}[met])
	}
	aFirst, aRerun := r.Find("a", firstRollout), r.Find("a", rerun)
	if len(aRerun) > 0 {
		m := medianBy(aRerun, func(m Measure) float64 { return float64(m.ModuleCode) })
		rx := medianBy(aRerun, func(m Measure) float64 { return float64(m.Received) })
		row("converged rerun: ≤ 64 KB of module code sent per host",
			fmt.Sprintf("%s bytes of module code (median of %d); %s bytes received in all (arguments, results, SSH)", thousands(int64(m)), len(aRerun), thousands(int64(rx))), m <= 64<<10)
		ops, tasks := 0, 0
		for _, x := range aRerun {
			ops, tasks = ops+x.ModuleOps, tasks+x.ModuleTasks
		}
		per := math.NaN()
		if tasks > 0 {
			per = float64(ops) / float64(tasks)
		}
		row("converged rerun: 1 SSH operation per module task",
			fmt.Sprintf("%.2f (%d module tasks in %d reruns; the role's one raw probe is an operation of its own)", per, tasks, len(aRerun)), per == 1)
		if bRerun := r.Find("b", rerun); len(bRerun) > 0 {
			x := medianWall(aRerun).Seconds() / medianWall(bRerun).Seconds()
			row("converged rerun: ≤ 0.15× the community.general equivalent's wall time",
				fmt.Sprintf("%.2f× (medians %s vs %s)", x, secs(medianWall(aRerun)), secs(medianWall(bRerun))), x <= 0.15)
		}
	}
	if len(aFirst) > 0 {
		if c := r.Find("c", firstRollout); len(c) > 0 {
			x := aFirst[0].Wall.Seconds() / c[0].Wall.Seconds()
			row("first rollout: ≤ 1.2× the runbook's own commands", fmt.Sprintf("%.2f× (%s vs %s)", x, secs(aFirst[0].Wall), secs(c[0].Wall)), x <= 1.2)
		}
		var tot ModuleTime
		for _, mt := range aFirst[0].Overhead {
			tot.CPU += mt.CPU
			tot.Commands += mt.Commands
			tot.DockerRestart += mt.DockerRestart
		}
		if w := tot.Work(); w > 0 {
			x := 100 * tot.CPU.Seconds() / w.Seconds()
			row("first rollout: module CPU ≤ 5% of the LVM and docker work it drives", fmt.Sprintf("%.1f%% (%s of %s)", x, ms(tot.CPU), ms(w)), x <= 5)
		}
	}
	if r.BinaryBytes > 0 {
		fmt.Fprintf(&b, "| binary size: reported, no target once paid once per host | %s bytes (linux/amd64, every module in one binary) | - |\n", thousands(r.BinaryBytes))
	}
	return b.String()
}

func medianBy(ms []Measure, f func(Measure) float64) float64 {
	v := make([]float64, len(ms))
	for i, m := range ms {
		v[i] = f(m)
	}
	slices.Sort(v)
	return v[(len(v)-1)/2]
}

// A paper projection to 1,000 hosts from the per-host costs measured
// above: on one controller, and on AWX with execution nodes.
const (
	ProjectionHosts = 1000
	// ProjectionForks is each controller's forks, ProjectionCores its cores.
	ProjectionForks = 50
	ProjectionCores = 8
	// ProjectionNodes is AWX's execution nodes (job slicing: one slice
	// each), each with ProjectionForks and ProjectionCores.
	ProjectionNodes = 4
	// ProjectionLinkBits is the controller's network, bits per second.
	ProjectionLinkBits = 1e9
)

// projection renders the 1,000-host table: for each run of the role, the
// bytes and SSH operations the fleet costs, and the wall time on one
// controller and on AWX, each the larger of two bounds: the hosts' own
// time in batches of forks, and the controller CPU spread over its cores.
func (r Report) projection() string {
	aFirst, aRerun := r.Find("a", firstRollout), r.Find("a", rerun)
	if len(aFirst) == 0 || len(aRerun) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nProjected to %d hosts (paper arithmetic from the per-host figures above; assumptions below the table):\n\n", ProjectionHosts)
	b.WriteString("| run | sent from the controller | SSH operations | controller CPU | one controller (forks " + fmt.Sprint(ProjectionForks) + ", " + fmt.Sprint(ProjectionCores) + " cores) | AWX, " + fmt.Sprint(ProjectionNodes) + " execution nodes (the same each) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, x := range []struct {
		run string
		ms  []Measure
	}{{firstRollout, aFirst[:1]}, {rerun, aRerun}} {
		rx := medianBy(x.ms, func(m Measure) float64 { return float64(m.Received) })
		ops := medianBy(x.ms, func(m Measure) float64 { return float64(m.SSHOps) })
		cpu := time.Duration(medianBy(x.ms, func(m Measure) float64 { return float64(m.ControllerCPU) }))
		wall := time.Duration(medianBy(x.ms, func(m Measure) float64 { return float64(m.Wall) }))
		n := float64(ProjectionHosts)
		bytes := rx * n
		link := time.Duration(bytes * 8 / ProjectionLinkBits * float64(time.Second))
		one := fleetWall(n, 1, wall, cpu, link)
		awx := fleetWall(n, ProjectionNodes, wall, cpu, link)
		fmt.Fprintf(&b, "| %s | %s (%s at 1 Gbit/s) | %s | %s | %s | %s |\n", x.run, human(bytes), round(link), thousands(int64(ops*n)), round(time.Duration(float64(cpu)*n)), round(one), round(awx))
	}
	b.WriteString("\nAssumptions: each host costs what the one guest cost here (its wall time under emulation is far longer than on real\n")
	b.WriteString("hardware, so the batch bound is pessimistic); the controller's CPU per host is what ansible-playbook and its ssh\n")
	fmt.Fprintf(&b, "processes used here for one host, and grows linearly; hosts run %d at a time per controller (forks), and the\n", ProjectionForks)
	fmt.Fprintf(&b, "controller's work spreads over its %d cores; AWX slices the job into %d slices, one per execution node, each as one\n", ProjectionCores, ProjectionNodes)
	b.WriteString("controller; bytes leave the controller (or each node) over 1 Gbit/s. The wall time is the largest of the batches'\n")
	b.WriteString("time, the CPU time over the cores, and the bytes over the link. The measured 3-host run (e) checks the batch\n")
	b.WriteString("bound on a small scale.\n")
	return b.String()
}

// fleetWall is the projected wall time of n hosts over nodes controllers.
func fleetWall(n float64, nodes int, hostWall, hostCPU, link time.Duration) time.Duration {
	perNode := math.Ceil(n / float64(nodes))
	batches := time.Duration(math.Ceil(perNode/ProjectionForks)) * hostWall
	cpu := time.Duration(perNode * float64(hostCPU) / ProjectionCores)
	return max(batches, cpu, link/time.Duration(nodes))
}

func human(bytes float64) string {
	for _, u := range []struct {
		name string
		size float64
	}{{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}} {
		if bytes >= u.size {
			return fmt.Sprintf("%.1f %s", bytes/u.size, u.name)
		}
	}
	return fmt.Sprintf("%.0f bytes", bytes)
}

func round(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	case d >= time.Minute:
		return fmt.Sprintf("%.1f min", d.Minutes())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

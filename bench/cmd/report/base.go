// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// baseRatioTarget is the issue 13 target: the hot path of plain LLM spans
// (BenchmarkConsumeTraces/default) costs at most 1.1× what it cost before
// the agents, tools and finish reasons were added, in the same run.
const baseRatioTarget = 1.10

// defaultBaseRef is the commit the issue 13 target compares with: the last
// commit of issue 12, before any issue 13 code.
const defaultBaseRef = "95aee41"

// exporterPkg is the package of the hot path benchmarks.
const exporterPkg = "./exporter/llmprometheusexporter/"

// The test binaries' flags: the plain hot path (both trees), the
// agent-heavy batch (this tree). Each runs in a process of its own, so the
// process's CPU time is that benchmark's.
var (
	defaultBenchArgs = []string{"-test.run", "^$", "-test.bench", "ConsumeTraces/default$", "-test.benchmem"}
	agentsBenchArgs  = []string{"-test.run", "^$", "-test.bench", "ConsumeTraces/agents$", "-test.benchmem"}
)

// baseCompare is the issue 13 comparison: the exporter test binary of the
// base commit and of this tree, run one after the other (base, this tree,
// base, this tree, …), and the agent-heavy batch of this tree's runs.
type baseCompare struct {
	ref    string // the base as asked (-base)
	commit string // its short hash and subject, once resolved
	// skipped says why the comparison with the base was not run ("" when
	// it was), headSkipped why this tree's runs were not.
	skipped, headSkipped string

	commands []string
	output   []string // the benchmark lines, "base: …" / "head: …"
	// ns/span of BenchmarkConsumeTraces/default, run by run, and the
	// allocs/op of a run that allocates ("0" when none does).
	base, head             []float64
	baseAllocs, headAllocs string
	// The same runs' CPU time (user + system of the test process, its start
	// and setup included) per iteration and span: a core taken by another
	// process does not inflate it.
	baseCPU, headCPU []float64
	// BenchmarkConsumeTraces/agents of this tree's runs.
	agentsNsPerSpan, agentsNsPerInvocation []float64
	agentsAllocs                           string

	loadBefore, loadAfter string
}

var (
	defaultLineRE     = regexp.MustCompile(`^BenchmarkConsumeTraces/default-\d+\s`)
	agentsLineRE      = regexp.MustCompile(`^BenchmarkConsumeTraces/agents-\d+\s`)
	nsPerInvocationRE = regexp.MustCompile(`([0-9.]+) ns/invocation`)
)

func newBaseCompare(ref string) *baseCompare {
	return &baseCompare{ref: ref, baseAllocs: "0", headAllocs: "0", agentsAllocs: "0"}
}

// addRun records the result lines of one run of the base's test binary
// (base) or of this tree's, and the CPU time of a run of the default case
// alone (0: unknown).
func (c *baseCompare) addRun(base bool, out string, cpu time.Duration) {
	side := "head"
	if base {
		side = "base"
	}
	for line := range strings.SplitSeq(out, "\n") {
		def, agents := defaultLineRE.MatchString(line), agentsLineRE.MatchString(line)
		if !def && !agents {
			continue
		}
		c.output = append(c.output, side+": "+strings.Join(strings.Fields(line), " "))
		value := func(re *regexp.Regexp) (float64, bool) {
			m := re.FindStringSubmatch(line)
			if m == nil {
				return 0, false
			}
			v, err := strconv.ParseFloat(m[1], 64)
			return v, err == nil
		}
		allocs := func(cur *string) {
			if m := allocsPerOpRE.FindStringSubmatch(line); len(m) == 2 && m[1] != "0" {
				*cur = m[1]
			}
		}
		// The CPU time per span: per iteration (go test's count), over the
		// spans of an iteration (ns/op over ns/span).
		cpuPerSpan := func(list *[]float64) {
			f := strings.Fields(line)
			n, err := strconv.Atoi(f[1])
			perOp, okOp := value(nsPerOpRE)
			perSpan, okSpan := value(nsPerSpanRE)
			if cpu > 0 && err == nil && n > 0 && okOp && okSpan && perSpan > 0 {
				*list = append(*list, float64(cpu.Nanoseconds())/float64(n)/math.Round(perOp/perSpan))
			}
		}
		switch {
		case def && base:
			if v, ok := value(nsPerSpanRE); ok {
				c.base = append(c.base, v)
			}
			cpuPerSpan(&c.baseCPU)
			allocs(&c.baseAllocs)
		case def:
			if v, ok := value(nsPerSpanRE); ok {
				c.head = append(c.head, v)
			}
			cpuPerSpan(&c.headCPU)
			allocs(&c.headAllocs)
		case agents && !base:
			if v, ok := value(nsPerSpanRE); ok {
				c.agentsNsPerSpan = append(c.agentsNsPerSpan, v)
			}
			if v, ok := value(nsPerInvocationRE); ok {
				c.agentsNsPerInvocation = append(c.agentsNsPerInvocation, v)
			}
			allocs(&c.agentsAllocs)
		}
	}
}

// ratio is the issue 13 target: this tree's median ns/span over the base's,
// the median of the round by round ratios, and whether the target is met
// (ratio of the medians ≤ baseRatioTarget, 0 allocs/op).
func (c *baseCompare) ratio() (medians, rounds float64, ok bool) {
	if len(c.base) == 0 || len(c.head) == 0 {
		return 0, 0, false
	}
	medians = median(c.head) / median(c.base)
	rounds = median(c.roundRatios())
	return medians, rounds, medians <= baseRatioTarget && c.headAllocs == "0"
}

// cpuRatio is this tree's median CPU time per span over the base's (0 when
// unknown).
func (c *baseCompare) cpuRatio() float64 {
	if len(c.baseCPU) == 0 || len(c.headCPU) == 0 || median(c.baseCPU) == 0 {
		return 0
	}
	return median(c.headCPU) / median(c.baseCPU)
}

// roundRatios is this tree's ns/span over the base's, run by run.
func (c *baseCompare) roundRatios() []float64 {
	n := min(len(c.base), len(c.head))
	r := make([]float64, 0, n)
	for i := range n {
		if c.base[i] > 0 {
			r = append(r, c.head[i]/c.base[i])
		}
	}
	return r
}

// runBaseCompare builds the exporter's test binary in this tree and at ref
// (in a temporary git worktree, removed afterwards), then runs them one
// after the other, rounds times each. It never fails: what prevents the
// comparison (no git, a clone without ref, a build that fails) is said in
// skipped, and this tree's binary still runs for the agents' figures when
// only the base is missing (headSkipped says when it could not).
func runBaseCompare(ref string, rounds int) *baseCompare {
	c := newBaseCompare(ref)
	if rounds < 1 {
		c.skipped = fmt.Sprintf("%d rounds asked (`-base-rounds`)", rounds)
		c.headSkipped = c.skipped
		return c
	}
	if err := c.run(rounds); err != nil {
		c.headSkipped = err.Error()
		if c.skipped == "" {
			c.skipped = c.headSkipped
		}
	}
	if c.skipped != "" {
		log.Printf("base comparison skipped: %s", c.skipped)
	}
	return c
}

func (c *baseCompare) run(rounds int) (err error) {
	root, err := command(time.Minute, "..", "git", "rev-parse", "--show-toplevel")
	if err != nil {
		if root, err = filepath.Abs(".."); err != nil {
			return err
		}
		c.skipped = "not a git checkout"
	}
	root = strings.TrimSpace(root)
	tmp, err := os.MkdirTemp("", "otelcol-llm-base-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(tmp)) }()
	headBin := filepath.Join(tmp, "head.test")
	log.Printf("building the exporter test binary of this tree")
	if _, err := command(10*time.Minute, root, "go", "test", "-c", "-o", headBin, exporterPkg); err != nil {
		return fmt.Errorf("building %s: %w", exporterPkg, err)
	}
	c.commands = []string{"go test -c -o $TMP/head.test " + exporterPkg}
	baseBin, src := "", filepath.Join(tmp, "src")
	if c.skipped == "" {
		defer func() {
			// The worktree goes, whatever happened; git forgets it.
			if _, rmErr := command(time.Minute, root, "git", "worktree", "remove", "--force", src); rmErr != nil {
				_, _ = command(time.Minute, root, "git", "worktree", "prune")
			}
		}()
		if baseBin, c.skipped = c.buildBase(root, src, filepath.Join(tmp, "base.test")); c.skipped == "" {
			c.commands = append(c.commands, fmt.Sprintf("git worktree add --detach $TMP/src %s && (cd $TMP/src && go test -c -o $TMP/base.test %s)", c.ref, exporterPkg))
		}
	}
	if baseBin != "" {
		c.commands = append(c.commands, fmt.Sprintf("%d rounds, each test binary in %s of its tree: $TMP/base.test %s; $TMP/head.test %s; $TMP/head.test %s", rounds, exporterPkg,
			shellQuote(strings.Join(defaultBenchArgs, " ")), shellQuote(strings.Join(defaultBenchArgs, " ")), shellQuote(strings.Join(agentsBenchArgs, " "))))
	} else {
		c.commands = append(c.commands, fmt.Sprintf("%d rounds, in %s: $TMP/head.test %s; $TMP/head.test %s", rounds, exporterPkg,
			shellQuote(strings.Join(defaultBenchArgs, " ")), shellQuote(strings.Join(agentsBenchArgs, " "))))
	}
	c.loadBefore = loadAvg()
	defer func() { c.loadAfter = loadAvg() }()
	headDir := filepath.Join(root, exporterPkg)
	for i := range rounds {
		log.Printf("hot path against the base: round %d of %d", i+1, rounds)
		if baseBin != "" {
			out, cpu, err := runTimed(filepath.Join(src, exporterPkg), baseBin, defaultBenchArgs...)
			if err != nil {
				c.skipped = fmt.Sprintf("base run %d: %v", i+1, err)
				baseBin = ""
			} else {
				c.addRun(true, out, cpu)
			}
		}
		out, cpu, err := runTimed(headDir, headBin, defaultBenchArgs...)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		c.addRun(false, out, cpu)
		if out, _, err = runTimed(headDir, headBin, agentsBenchArgs...); err != nil {
			return fmt.Errorf("agents run %d: %w", i+1, err)
		}
		c.addRun(false, out, 0)
	}
	if len(c.head) != rounds || len(c.agentsNsPerSpan) != rounds {
		return fmt.Errorf("%d default and %d agents results of %d runs", len(c.head), len(c.agentsNsPerSpan), rounds)
	}
	if c.skipped == "" && len(c.base) != rounds {
		c.skipped = fmt.Sprintf("%d base results of %d runs", len(c.base), rounds)
	}
	return nil
}

// buildBase builds the exporter's test binary at c.ref into bin, from a
// worktree at src; it returns bin, or why it could not build it.
func (c *baseCompare) buildBase(root, src, bin string) (string, string) {
	if c.ref == "" {
		return "", "no base commit asked (`-base ''`)"
	}
	hash, err := command(time.Minute, root, "git", "rev-parse", "--verify", "--quiet", c.ref+"^{commit}")
	if err != nil {
		return "", fmt.Sprintf("base commit %s is not in this clone (a shallow clone? `git fetch --unshallow`)", c.ref)
	}
	hash = strings.TrimSpace(hash)
	if c.commit, err = command(time.Minute, root, "git", "log", "-1", "--format=%h (%s)", hash); err != nil {
		return "", err.Error()
	}
	c.commit = strings.TrimSpace(c.commit)
	if _, err := command(5*time.Minute, root, "git", "worktree", "add", "--detach", src, hash); err != nil {
		return "", err.Error()
	}
	log.Printf("building the exporter test binary at %s", c.commit)
	if _, err := command(10*time.Minute, src, "go", "test", "-c", "-o", bin, exporterPkg); err != nil {
		return "", fmt.Sprintf("building %s at %s: %v", exporterPkg, c.ref, err)
	}
	return bin, ""
}

// runTimed runs a test binary in dir and returns its output and CPU time
// (user and system).
func runTimed(dir, bin string, args ...string) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", 0, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// command runs name with args in dir and returns its output (stdout and
// stderr); the output is in the error of a command that fails.
func command(timeout time.Duration, dir, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// baseTargets writes the issue 13 rows of the targets table.
func baseTargets(p func(string, ...any), c *baseCompare) {
	what := fmt.Sprintf("plain LLM spans' hot path ≤ %.2f× the base's (`BenchmarkConsumeTraces/default` at %s, test binaries of both alternated in the same run), 0 allocs/span", baseRatioTarget, c.ref)
	if c.skipped != "" {
		p("| issue 13 | %s | not measured: %s | |", what, oneLine(c.skipped))
	} else {
		r, rr, ok := c.ratio()
		p("| issue 13 | %s | median %.0f ns/span vs %.0f at %s: %.2f× (median of the %d round ratios %.2f×); CPU time of the test processes %s; %s allocs/op | %s |",
			what, median(c.head), median(c.base), c.ref, r, len(c.roundRatios()), rr, c.cpuSummary(), c.headAllocs, yes(ok))
	}
	what = "agent-heavy batch (1 agent span, 4 model calls, 6 tool calls) has its own benchmark (`BenchmarkConsumeTraces/agents`)"
	if c.headSkipped != "" || len(c.agentsNsPerSpan) == 0 {
		p("| issue 13 | %s | not measured: %s | |", what, c.headReason())
		return
	}
	p("| issue 13 | %s | median %.0f ns/span, %.1f µs/invocation (%d runs), %s allocs/op | **met** |",
		what, median(c.agentsNsPerSpan), median(c.agentsNsPerInvocation)/1000, len(c.agentsNsPerSpan), c.agentsAllocs)
}

// writeBase writes the issue 13 section.
func writeBase(p func(string, ...any), c *baseCompare) {
	p("## 6. Agents, tools and finish reasons (issue 13)")
	p("")
	p("Issue 13 reads agent, tool and guardrail spans, finish reasons and evaluation events. Its target: the hot path of")
	p("plain LLM spans costs at most %.2f× what it cost before (base `%s`), 0 allocs/span. The exporter's test binary", baseRatioTarget, c.ref)
	p("is built at the base (a temporary `git worktree`, removed afterwards) and in this tree, and the two run one after")
	p("the other (base, this tree, base, …) in the same `make bench`: both see the same machine. `-base <ref>` picks the")
	p("base, `-base-rounds` the rounds.")
	p("")
	if c.headSkipped != "" || len(c.head) == 0 || len(c.agentsNsPerSpan) == 0 {
		p("Not measured: %s.", c.headReason())
		p("")
		return
	}
	base := "Base: " + c.commit + "."
	if c.skipped != "" {
		base = "The base was not measured: " + oneLine(c.skipped) + "; this tree's figures alone."
	}
	p("%s Load average (1, 5, 15 min) of the 2-core machine, shared with other jobs, before and after: %s / %s.", base, c.loadBefore, c.loadAfter)
	p("")
	for _, cmd := range c.commands {
		p("- `%s`", cmd)
	}
	p("")
	p("| `BenchmarkConsumeTraces/default` | ns/span, median of %d | min | max | CPU ns/span, median | allocs/op |", len(c.head))
	p("|---|---:|---:|---:|---:|---:|")
	if c.skipped == "" {
		p("| base %s | %.0f | %.0f | %.0f | %s | %s |", c.ref, median(c.base), minOf(c.base), maxOf(c.base), cpuCell(c.baseCPU), c.baseAllocs)
	}
	p("| this tree | %.0f | %.0f | %.0f | %s | %s |", median(c.head), minOf(c.head), maxOf(c.head), cpuCell(c.headCPU), c.headAllocs)
	p("")
	p("ns/span is wall clock, as go test gives it; CPU ns/span is the user + system time of the test process (its start and")
	p("setup, 10–20 ms of about 1 s, included) over the spans it recorded: time lost to another process on the core does not")
	p("count there.")
	p("")
	if c.skipped == "" {
		r, rr, ok := c.ratio()
		p("This tree / base: %.2f× (medians); round by round: %s (median %.2f×); CPU time: %s. Target ≤ %.2f× (wall clock, medians), 0 allocs: %s.",
			r, floats(c.roundRatios()), rr, c.cpuSummary(), baseRatioTarget, yes(ok))
		p("")
	}
	p("`BenchmarkConsumeTraces/agents`: one batch is one agent invocation as the GenAI conventions write it, children")
	p("first: `invoke_agent support-agent`, 4 `chat gpt-4o` calls (3 finishing with `tool_calls`, one streamed) and 6")
	p("`execute_tool` spans of 3 tools (one failed), all children of the agent span; default configuration. It updates")
	p("the call families and finish reasons of the 4 calls, the tool counters and durations, the agent's invocation,")
	p("duration and calls-per-invocation histograms (`TestConsumeTracesAgentsNoAllocs` checks these values and 0")
	p("allocations per batch).")
	p("")
	p("| `BenchmarkConsumeTraces/agents` (%d runs) | median | min | max |", len(c.agentsNsPerSpan))
	p("|---|---:|---:|---:|")
	if len(c.agentsNsPerSpan) > 0 {
		p("| ns/span (11 spans) | %.0f | %.0f | %.0f |", median(c.agentsNsPerSpan), minOf(c.agentsNsPerSpan), maxOf(c.agentsNsPerSpan))
	}
	if len(c.agentsNsPerInvocation) > 0 {
		p("| ns/invocation | %.0f | %.0f | %.0f |", median(c.agentsNsPerInvocation), minOf(c.agentsNsPerInvocation), maxOf(c.agentsNsPerInvocation))
	}
	p("| allocs/op | %s | | |", c.agentsAllocs)
	p("")
	p("```")
	for _, l := range c.output {
		p("%s", l)
	}
	p("```")
	p("")
}

// cpuSummary is the CPU time ratio and its rounds.
func (c *baseCompare) cpuSummary() string {
	r := c.cpuRatio()
	if r == 0 {
		return "unknown"
	}
	n := min(len(c.baseCPU), len(c.headCPU))
	rounds := make([]float64, 0, n)
	for i := range n {
		rounds = append(rounds, c.headCPU[i]/c.baseCPU[i])
	}
	return fmt.Sprintf("%.2f× (medians %.0f vs %.0f ns/span; rounds %s)", r, median(c.headCPU), median(c.baseCPU), floats(rounds))
}

func cpuCell(v []float64) string {
	if len(v) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", median(v))
}

// headReason says why this tree's runs gave no figures.
func (c *baseCompare) headReason() string {
	if c.headSkipped == "" {
		return "no result"
	}
	return oneLine(c.headSkipped)
}

// oneLine is the first line of s (an error with a command's output), fit
// for a table cell.
func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return strings.ReplaceAll(strings.TrimSpace(first), "|", `\|`)
}

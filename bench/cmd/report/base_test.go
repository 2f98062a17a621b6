// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// defaultOutput is what a test binary prints for
// BenchmarkConsumeTraces/default (-test.benchmem): n iterations of a
// 100-span batch at nsPerSpan.
func defaultOutput(n int, nsPerSpan float64, allocs int) string {
	return fmt.Sprintf(`goos: linux
goarch: amd64
pkg: github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter
cpu: Intel(R) Xeon(R) Processor
BenchmarkConsumeTraces/default-2         	%8d	  %8.0f ns/op	       %.1f ns/span	       0 B/op	       %d allocs/op
PASS
`, n, 100*nsPerSpan, nsPerSpan, allocs)
}

// agentsOutput is what it prints for BenchmarkConsumeTraces/agents.
func agentsOutput(nsPerInvocation float64) string {
	return fmt.Sprintf(`goos: linux
BenchmarkConsumeTraces/agents-2          	  183070	      %.0f ns/op	      %.0f ns/invocation	       %.1f ns/span	       0 B/op	       0 allocs/op
PASS
`, nsPerInvocation, nsPerInvocation, nsPerInvocation/11)
}

// TestBaseCompare: the alternated runs of the base's and this tree's test
// binaries are read from their output, judged against the issue 13 target
// and written as its rows and section.
func TestBaseCompare(t *testing.T) {
	c := newBaseCompare("95aee41")
	c.commit = "95aee41 (e2e: budget rules scenario)"
	c.loadBefore, c.loadAfter = "1.00 1.10 1.20", "1.30 1.40 1.50"
	// Wall clock ns/span, CPU time of the process (50,000 iterations of
	// 100 spans: 1 s is 200 ns/span), agents' ns/invocation.
	for _, r := range []struct {
		base, head       float64
		baseCPU, headCPU time.Duration
		agents           float64
	}{
		{180, 190, 900 * time.Millisecond, 950 * time.Millisecond, 7700},
		{200, 205, time.Second, 1100 * time.Millisecond, 8800},
		{190, 200, 950 * time.Millisecond, 1000 * time.Millisecond, 8250},
	} {
		c.addRun(true, defaultOutput(50000, r.base, 0), r.baseCPU)
		c.addRun(false, defaultOutput(50000, r.head, 0), r.headCPU)
		c.addRun(false, agentsOutput(r.agents), 0)
	}
	if len(c.base) != 3 || len(c.head) != 3 || len(c.agentsNsPerSpan) != 3 || len(c.agentsNsPerInvocation) != 3 || len(c.output) != 9 {
		t.Fatalf("base %v, head %v, agents %v %v, %d lines", c.base, c.head, c.agentsNsPerSpan, c.agentsNsPerInvocation, len(c.output))
	}
	if fmt.Sprint(c.baseCPU) != "[180 200 190]" || fmt.Sprint(c.headCPU) != "[190 220 200]" || math.Abs(c.cpuRatio()-200.0/190) > 1e-9 {
		t.Fatalf("CPU ns/span: base %v, head %v, ratio %v", c.baseCPU, c.headCPU, c.cpuRatio())
	}
	if c.output[0] != "base: BenchmarkConsumeTraces/default-2 50000 18000 ns/op 180.0 ns/span 0 B/op 0 allocs/op" ||
		c.output[2] != "head: BenchmarkConsumeTraces/agents-2 183070 7700 ns/op 7700 ns/invocation 700.0 ns/span 0 B/op 0 allocs/op" {
		t.Errorf("output %q", c.output)
	}
	r, rr, ok := c.ratio()
	// Medians 200 / 190; round ratios 1.056, 1.025, 1.053.
	if math.Abs(r-200.0/190) > 1e-9 || math.Abs(rr-200.0/190) > 1e-9 || !ok {
		t.Fatalf("ratio %v, rounds %v, ok %v", r, rr, ok)
	}
	out := render(func(p func(string, ...any)) { baseTargets(p, c); writeBase(p, c) })
	for _, want := range []string{
		"| issue 13 | plain LLM spans' hot path ≤ 1.10× the base's (`BenchmarkConsumeTraces/default` at 95aee41, test binaries of both alternated in the same run), 0 allocs/span | median 200 ns/span vs 190 at 95aee41: 1.05× (median of the 3 round ratios 1.05×); CPU time of the test processes 1.05× (medians 200 vs 190 ns/span; rounds 1.06, 1.10, 1.05); 0 allocs/op | **met** |",
		"| issue 13 | agent-heavy batch (1 agent span, 4 model calls, 6 tool calls) has its own benchmark (`BenchmarkConsumeTraces/agents`) | median 750 ns/span, 8.2 µs/invocation (3 runs), 0 allocs/op | **met** |",
		"Base: 95aee41 (e2e: budget rules scenario). Load average (1, 5, 15 min) of the 2-core machine, shared with other jobs, before and after: 1.00 1.10 1.20 / 1.30 1.40 1.50.",
		"| base 95aee41 | 190 | 180 | 200 | 190 | 0 |",
		"| this tree | 200 | 190 | 205 | 200 | 0 |",
		"This tree / base: 1.05× (medians); round by round: 1.06, 1.02, 1.05 (median 1.05×); CPU time: 1.05× (medians 200 vs 190 ns/span; rounds 1.06, 1.10, 1.05). Target ≤ 1.10× (wall clock, medians), 0 allocs: **met**.",
		"| ns/span (11 spans) | 750 | 700 | 800 |",
		"| ns/invocation | 8250 | 7700 | 8800 |",
		"| allocs/op | 0 | | |",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}

	// Past 1.10×, or an allocation, misses the target.
	c.addRun(true, defaultOutput(50000, 150, 0), 0)
	c.addRun(false, defaultOutput(50000, 260, 0), 0)
	c.addRun(true, defaultOutput(50000, 160, 0), 0)
	c.addRun(false, defaultOutput(50000, 250, 0), 0)
	if r, _, ok := c.ratio(); ok || math.Abs(r-205.0/180) > 1e-9 {
		t.Errorf("ratio %v meets the target: %v", r, ok)
	}
	c = newBaseCompare("95aee41")
	c.addRun(true, defaultOutput(50000, 200, 0), 0)
	c.addRun(false, defaultOutput(50000, 200, 2), 0)
	if r, _, ok := c.ratio(); ok || r != 1 || c.headAllocs != "2" || c.baseAllocs != "0" || c.cpuRatio() != 0 || c.cpuSummary() != "unknown" {
		t.Errorf("2 allocs/op: ratio %v, ok %v, allocs %q, CPU %v", r, ok, c.headAllocs, c.cpuRatio())
	}
	if _, _, ok := newBaseCompare("x").ratio(); ok {
		t.Error("no run meets the target")
	}
}

// TestBaseCompareSkipped: a base that cannot be measured skips its row with
// the reason and never fails the report; this tree's figures stay.
func TestBaseCompareSkipped(t *testing.T) {
	c := newBaseCompare("refs/heads/no-such-branch-of-the-report-test")
	bin, why := c.buildBase("..", t.TempDir(), "base.test")
	if bin != "" || why != "base commit refs/heads/no-such-branch-of-the-report-test is not in this clone (a shallow clone? `git fetch --unshallow`)" {
		t.Fatalf("built %q, skipped: %q", bin, why)
	}
	if bin, why := newBaseCompare("").buildBase("..", t.TempDir(), "base.test"); bin != "" || why != "no base commit asked (`-base ''`)" {
		t.Errorf("no base: %q, %q", bin, why)
	}
	if none := runBaseCompare("95aee41", 0); none.skipped != "0 rounds asked (`-base-rounds`)" || none.headSkipped != none.skipped {
		t.Errorf("0 rounds: %q, %q", none.skipped, none.headSkipped)
	}

	c = newBaseCompare("95aee41")
	c.skipped = "base commit 95aee41 is not in this clone (a shallow clone? `git fetch --unshallow`)"
	c.addRun(false, defaultOutput(25000, 200, 0), 500*time.Millisecond)
	c.addRun(false, agentsOutput(7700), 0)
	out := render(func(p func(string, ...any)) { baseTargets(p, c); writeBase(p, c) })
	for _, want := range []string{
		"| issue 13 | plain LLM spans' hot path ≤ 1.10× the base's (`BenchmarkConsumeTraces/default` at 95aee41, test binaries of both alternated in the same run), 0 allocs/span | not measured: base commit 95aee41 is not in this clone (a shallow clone? `git fetch --unshallow`) | |",
		"| issue 13 | agent-heavy batch (1 agent span, 4 model calls, 6 tool calls) has its own benchmark (`BenchmarkConsumeTraces/agents`) | median 700 ns/span, 7.7 µs/invocation (1 runs), 0 allocs/op | **met** |",
		"The base was not measured: base commit 95aee41 is not in this clone (a shallow clone? `git fetch --unshallow`); this tree's figures alone. Load average (1, 5, 15 min) of the 2-core machine, shared with other jobs, before and after:  / .",
		"| this tree | 200 | 200 | 200 | 200 | 0 |",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "| base 95aee41 |") || strings.Contains(out, "This tree / base") {
		t.Errorf("a base figure without a base run:\n%s", out)
	}

	// Nothing measured at all: both rows say why.
	c = newBaseCompare("95aee41")
	c.skipped, c.headSkipped = "building ./exporter/llmprometheusexporter/: exit status 1\nerror | detail", "building ./exporter/llmprometheusexporter/: exit status 1\nerror | detail"
	out = render(func(p func(string, ...any)) { baseTargets(p, c); writeBase(p, c) })
	for _, want := range []string{
		"0 allocs/span | not measured: building ./exporter/llmprometheusexporter/: exit status 1 | |",
		"(`BenchmarkConsumeTraces/agents`) | not measured: building ./exporter/llmprometheusexporter/: exit status 1 | |",
		"Not measured: building ./exporter/llmprometheusexporter/: exit status 1.",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
	if oneLine("a|b") != `a\|b` {
		t.Errorf("oneLine: %q", oneLine("a|b"))
	}
}

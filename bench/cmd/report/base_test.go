// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"math"
	"strings"
	"testing"
)

// baseOutput and headOutput are what the test binaries print (-test.bench
// with -test.benchmem), with ns/span as given.
func baseOutput(nsPerSpan string) string {
	return `goos: linux
goarch: amd64
pkg: github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter
cpu: Intel(R) Xeon(R) Processor
BenchmarkConsumeTraces/default-2         	   63429	     18614 ns/op	       ` + nsPerSpan + ` ns/span	       0 B/op	       0 allocs/op
PASS
`
}

func headOutput(nsPerSpan, agentsNsPerSpan, agentsNsPerInvocation, allocs string) string {
	return `goos: linux
BenchmarkConsumeTraces/default-2         	   55168	     23734 ns/op	       ` + nsPerSpan + ` ns/span	       0 B/op	       ` + allocs + ` allocs/op
BenchmarkConsumeTraces/agents-2          	  183070	      9072 ns/op	      ` + agentsNsPerInvocation + ` ns/invocation	       ` + agentsNsPerSpan + ` ns/span	       0 B/op	       0 allocs/op
PASS
`
}

// TestBaseCompare: the alternated runs of the base's and this tree's test
// binaries are read from their output, judged against the issue 13 target
// and written as its rows and section.
func TestBaseCompare(t *testing.T) {
	c := newBaseCompare("95aee41")
	c.commit = "95aee41 (e2e: budget rules scenario)"
	c.loadBefore, c.loadAfter = "1.00 1.10 1.20", "1.30 1.40 1.50"
	for _, r := range [][4]string{
		{"180.0", "190.0", "700.0", "7700"},
		{"200.0", "205.0", "800.0", "8800"},
		{"190.0", "200.0", "750.0", "8250"},
	} {
		c.addRun(true, baseOutput(r[0]))
		c.addRun(false, headOutput(r[1], r[2], r[3], "0"))
	}
	if len(c.base) != 3 || len(c.head) != 3 || len(c.agentsNsPerSpan) != 3 || len(c.agentsNsPerInvocation) != 3 || len(c.output) != 9 {
		t.Fatalf("base %v, head %v, agents %v %v, %d lines", c.base, c.head, c.agentsNsPerSpan, c.agentsNsPerInvocation, len(c.output))
	}
	if c.output[0] != "base: BenchmarkConsumeTraces/default-2 63429 18614 ns/op 180.0 ns/span 0 B/op 0 allocs/op" ||
		!strings.HasPrefix(c.output[2], "head: BenchmarkConsumeTraces/agents-2 ") {
		t.Errorf("output %q", c.output)
	}
	r, rr, ok := c.ratio()
	// Medians 200 / 190; round ratios 1.056, 1.025, 1.053.
	if math.Abs(r-200.0/190) > 1e-9 || math.Abs(rr-200.0/190) > 1e-9 || !ok {
		t.Fatalf("ratio %v, rounds %v, ok %v", r, rr, ok)
	}
	out := render(func(p func(string, ...any)) { baseTargets(p, c); writeBase(p, c) })
	for _, want := range []string{
		"| issue 13 | plain LLM spans' hot path ≤ 1.10× the base's (`BenchmarkConsumeTraces/default` at 95aee41, test binaries of both alternated in the same run), 0 allocs/span | median 200 ns/span vs 190 at 95aee41: 1.05× (median of the 3 round ratios 1.05×); 0 allocs/op | **met** |",
		"| issue 13 | agent-heavy batch (1 agent span, 4 model calls, 6 tool calls) has its own benchmark (`BenchmarkConsumeTraces/agents`) | median 750 ns/span, 8.2 µs/invocation (3 runs), 0 allocs/op | **met** |",
		"Base: 95aee41 (e2e: budget rules scenario). Load average (1, 5, 15 min) of the 2-core machine, shared with other jobs, before and after: 1.00 1.10 1.20 / 1.30 1.40 1.50.",
		"| base 95aee41 | 190 | 180 | 200 | 0 |",
		"| this tree | 200 | 190 | 205 | 0 |",
		"This tree / base: 1.05× (medians); round by round: 1.06, 1.02, 1.05 (median 1.05×). Target ≤ 1.10×, 0 allocs: **met**.",
		"| ns/span (11 spans) | 750 | 700 | 800 |",
		"| ns/invocation | 8250 | 7700 | 8800 |",
		"| allocs/op | 0 | | |",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}

	// Past 1.10×, or an allocation, misses the target.
	c.addRun(true, baseOutput("150.0"))
	c.addRun(false, headOutput("260.0", "700.0", "7700", "0"))
	c.addRun(true, baseOutput("160.0"))
	c.addRun(false, headOutput("250.0", "700.0", "7700", "0"))
	if r, _, ok := c.ratio(); ok || math.Abs(r-205.0/180) > 1e-9 {
		t.Errorf("ratio %v meets the target: %v", r, ok)
	}
	c = newBaseCompare("95aee41")
	c.addRun(true, baseOutput("200.0"))
	c.addRun(false, headOutput("200.0", "700.0", "7700", "2"))
	if r, _, ok := c.ratio(); ok || r != 1 || c.headAllocs != "2" {
		t.Errorf("2 allocs/op: ratio %v, ok %v, allocs %q", r, ok, c.headAllocs)
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
	c.addRun(false, headOutput("200.0", "700.0", "7700", "0"))
	out := render(func(p func(string, ...any)) { baseTargets(p, c); writeBase(p, c) })
	for _, want := range []string{
		"| issue 13 | plain LLM spans' hot path ≤ 1.10× the base's (`BenchmarkConsumeTraces/default` at 95aee41, test binaries of both alternated in the same run), 0 allocs/span | not measured: base commit 95aee41 is not in this clone (a shallow clone? `git fetch --unshallow`) | |",
		"| issue 13 | agent-heavy batch (1 agent span, 4 model calls, 6 tool calls) has its own benchmark (`BenchmarkConsumeTraces/agents`) | median 700 ns/span, 7.7 µs/invocation (1 runs), 0 allocs/op | **met** |",
		"The base was not measured: base commit 95aee41 is not in this clone (a shallow clone? `git fetch --unshallow`); this tree's figures alone. Load average (1, 5, 15 min) of the 2-core machine, shared with other jobs, before and after:  / .",
		"| this tree | 200 | 200 | 200 | 0 |",
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

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The issue 14 targets: the llm connector's per-span cost at most
// connectorRatioTarget× llm_prometheus' (same batch, same run), 0 allocs per
// span; a flush of the largest series count the default caps allow (26,000
// series) to OTLP in at most flushTargetMS.
const (
	connectorRatioTarget = 1.2
	flushTargetMS        = 50
)

// connectorBenchRun is one go test command of the issue 14 benchmarks and
// the directory it runs in: the ratio in bench/ (both components through
// their public factories), the flush in the root module (the connector's
// unexported flush, in its package).
type connectorBenchRun struct{ dir, args string }

// The ratio runs 5 times, the flush 3 times.
var connectorBenchRuns = []connectorBenchRun{
	{".", "test -run ^$ -bench ^BenchmarkConnectorRatio$ -benchmem -count 5 ./perspan/"},
	{"..", "test -run ^$ -bench ^BenchmarkFlush$ -benchmem -count 3 -v ./connector/llmconnector/"},
}

var (
	connectorNsRE     = regexp.MustCompile(`([0-9.]+) connector-ns/span`)
	exporterNsRE      = regexp.MustCompile(`([0-9.]+) exporter-ns/span`)
	connectorAllocsRE = regexp.MustCompile(`([0-9.]+) connector-allocs/batch`)
	exporterAllocsRE  = regexp.MustCompile(`([0-9.]+) exporter-allocs/batch`)
	flushRE           = regexp.MustCompile(`^BenchmarkFlush/(\S+?)-\d+\s`)
	flushFilledRE     = regexp.MustCompile(`: (\d+) series, (\d+) data points, (\d+) label sets`)
)

// connectorBench is the issue 14 figures: BenchmarkConnectorRatio
// (bench/perspan) and BenchmarkFlush (connector/llmconnector), run by run.
type connectorBench struct {
	commands []string
	output   []string // the benchmark lines, as go test printed them
	// BenchmarkConnectorRatio: each run's ns/span of both sides, wall
	// clock and thread CPU ratios, and the largest allocations per batch
	// of each side over the runs.
	connNs, expNs, ratios, cpuRatios []float64
	connAllocs, expAllocs            float64
	// BenchmarkFlush's cases (cumulative/explicit, …, gather): each run's
	// ns/op in ms; allocs/op of the last run.
	flushes []scrapeBench
	// What BenchmarkFlush logs: series (text-exposition samples), OTLP
	// data points and label sets of the filled connector.
	series, points, labelSets int
	loadBefore, loadAfter     string
}

// addOutput records the result lines of go test's output and what
// BenchmarkFlush logs.
func (c *connectorBench) addOutput(out string) {
	for line := range strings.SplitSeq(out, "\n") {
		switch {
		case strings.HasPrefix(line, "Benchmark") && strings.Contains(line, " ns/op"):
			c.addLine(line)
		default:
			if m := flushFilledRE.FindStringSubmatch(line); m != nil {
				c.series, _ = strconv.Atoi(m[1])
				c.points, _ = strconv.Atoi(m[2])
				c.labelSets, _ = strconv.Atoi(m[3])
			}
		}
	}
}

// addLine records one benchmark result line.
func (c *connectorBench) addLine(line string) {
	float := func(re *regexp.Regexp) (float64, bool) {
		m := re.FindStringSubmatch(line)
		if m == nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(m[1], 64)
		return v, err == nil
	}
	switch {
	case strings.HasPrefix(line, "BenchmarkConnectorRatio-"):
		c.output = append(c.output, strings.Join(strings.Fields(line), " "))
		for _, f := range []struct {
			re   *regexp.Regexp
			list *[]float64
		}{{connectorNsRE, &c.connNs}, {exporterNsRE, &c.expNs}, {ratioRE, &c.ratios}, {cpuRatioRE, &c.cpuRatios}} {
			if v, ok := float(f.re); ok {
				*f.list = append(*f.list, v)
			}
		}
		if v, ok := float(connectorAllocsRE); ok {
			c.connAllocs = max(c.connAllocs, v)
		}
		if v, ok := float(exporterAllocsRE); ok {
			c.expAllocs = max(c.expAllocs, v)
		}
	case flushRE.MatchString(line):
		c.output = append(c.output, strings.Join(strings.Fields(line), " "))
		name := flushRE.FindStringSubmatch(line)[1]
		i := slices.IndexFunc(c.flushes, func(s scrapeBench) bool { return s.name == name })
		if i < 0 {
			c.flushes = append(c.flushes, scrapeBench{name: name})
			i = len(c.flushes) - 1
		}
		if v, ok := float(nsPerOpRE); ok {
			c.flushes[i].msOp = append(c.flushes[i].msOp, v/1e6)
		}
	}
}

// ratio is the per-span target: the median of the runs' ratios (connector
// over llm_prometheus, wall clock), and whether it is within the target
// with 0 allocations per connector batch.
func (c *connectorBench) ratio() (float64, bool) {
	if len(c.ratios) == 0 {
		return 0, false
	}
	r := median(c.ratios)
	return r, r <= connectorRatioTarget && c.connAllocs == 0
}

// flush is the flush target: each case's median ms/op (gather, a part of
// every flush, left out), the slowest of them, and whether it is within
// the target.
func (c *connectorBench) flush() (summary string, slowest float64, ok bool) {
	var parts []string
	for _, f := range c.flushes {
		if f.name == "gather" || len(f.msOp) == 0 {
			continue
		}
		ms := median(f.msOp)
		slowest = max(slowest, ms)
		parts = append(parts, fmt.Sprintf("%s %.1f", f.name, ms))
	}
	if len(parts) == 0 {
		return "no BenchmarkFlush result", 0, false
	}
	return strings.Join(parts, ", ") + " ms", slowest, slowest <= flushTargetMS
}

// runConnectorBenchmarks runs connectorBenchRuns: bench/perspan here, the
// connector's package in the root module (..).
func runConnectorBenchmarks() (*connectorBench, error) {
	c := &connectorBench{loadBefore: loadAvg()}
	defer func() { c.loadAfter = loadAvg() }()
	for _, r := range connectorBenchRuns {
		cmd := exec.Command("go", strings.Fields(r.args)...)
		cmd.Dir = r.dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("go %s: %w\n%s", r.args, err, out)
		}
		where := "cd bench && "
		if r.dir == ".." {
			where = ""
		}
		c.commands = append(c.commands, where+"go "+shellQuote(r.args))
		c.addOutput(string(out))
	}
	if len(c.ratios) == 0 || len(c.flushes) == 0 {
		return nil, fmt.Errorf("%d BenchmarkConnectorRatio and %d BenchmarkFlush results", len(c.ratios), len(c.flushes))
	}
	return c, nil
}

// connectorTargets writes the issue 14 rows of the targets table.
func connectorTargets(p func(string, ...any), c *connectorBench) {
	r, ok := c.ratio()
	p("| issue 14 | llm connector per span ≤ %.1f× llm_prometheus (both through their public factories, default configuration, the same 100-span batch alternated batch by batch in the same run: `BenchmarkConnectorRatio`), 0 allocs/span | median %.0f vs %.0f ns/span: %.2f× wall clock (median of %d runs; runs %s), %.2f× thread CPU; connector %s allocs per batch (llm_prometheus %s: its exporterhelper's) | %s |",
		connectorRatioTarget, median(c.connNs), median(c.expNs), r, len(c.ratios), floats(c.ratios), median(c.cpuRatios),
		allocCount(c.connAllocs), allocCount(c.expAllocs), yes(ok))
	summary, _, ok := c.flush()
	p("| issue 14 | llm connector: a flush of %s series (%s OTLP data points, %d label sets: the default caps' largest) to OTLP ≤ %d ms, Gather + conversion + hand-off to the next consumer (`BenchmarkFlush`, median of each case's runs) | %s | %s |",
		num(c.series), num(c.points), c.labelSets, flushTargetMS, summary, yes(ok))
}

func allocCount(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// writeConnector writes the issue 14 section.
func writeConnector(p func(string, ...any), c *connectorBench) {
	p("## 7. llm connector: per-span cost and flush (issue 14)")
	p("")
	p("Load average (1, 5, 15 min) of the 2-core machine, shared with other jobs, before and after: %s / %s.", c.loadBefore, c.loadAfter)
	p("")
	for _, cmd := range c.commands {
		p("- `%s`", cmd)
	}
	p("")
	p("`BenchmarkConnectorRatio` (bench/perspan): the llm connector (`llmconnector.NewFactory().CreateTracesToMetrics`")
	p("into a nop metrics consumer, `flush_interval` 1 h so that no flush falls inside a run) and llm_prometheus")
	p("(`NewFactory().CreateTraces` + `Start` on a free 127.0.0.1 port), both with their default configuration (the")
	p("same metrics block: classic and native histograms, exemplars, pricing), get the same read-only 100-span spangen")
	p("batch, alternated batch by batch with every call timed (which side goes first swaps every iteration), so both")
	p("see the same machine. The ratio is the connector's ns/span over llm_prometheus'; the thread CPU ratio counts")
	p("only the CPU time of the benchmark's thread (locked to it). Both record the same families through the shared")
	p("`internal/llmmetrics`; the exporter's public `ConsumeTraces` also runs the collector's exporterhelper (%s", allocCount(c.expAllocs))
	p("allocations per call), the connector's factory returns the connector itself. Allocations per batch are each")
	p("side's `testing.AllocsPerRun` after the run (`TestSteadyStateAllocsConnector` pins the connector's 0 per")
	p("100-span batch; a 10,000-span batch with rejected values allocates once per batch, in the telemetry report).")
	p("")
	p("| `BenchmarkConnectorRatio` (%d runs) | median | min | max |", len(c.ratios))
	p("|---|---:|---:|---:|")
	row := func(name, format string, v []float64) {
		if len(v) > 0 {
			p("| %s | "+format+" | "+format+" | "+format+" |", name, median(v), minOf(v), maxOf(v))
		}
	}
	row("llm connector, ns/span", "%.0f", c.connNs)
	row("llm_prometheus, ns/span", "%.0f", c.expNs)
	row("ratio (wall clock)", "%.3f", c.ratios)
	row("ratio (thread CPU)", "%.3f", c.cpuRatios)
	p("")
	p("`BenchmarkFlush` (connector/llmconnector, a package-internal benchmark: the flush is unexported) times the")
	p("connector's flush alone: `Gather` of every llm_* family, conversion to one `pmetric.Metrics`")
	p("(`internal/otlpmetrics`) and the hand-off to a nop consumer. The connector is filled through `ConsumeTraces` as")
	p("`BenchmarkScrape` fills the exporter: 100 models × 5 templates (the `max_label_sets` cap of 500) and a")
	p("(model, other) label set per model, every one with the 10-span spangen mix: %s series as Prometheus counts", num(c.series))
	p("them (each classic bucket, `_sum` and `_count`), %s OTLP data points, %d label sets. Between two timed flushes,", num(c.points), c.labelSets)
	p("timer stopped, one more 10-span batch goes to a label set in turn, so a delta flush has changes and new")
	p("exemplars to write. `delta/explicit/first` is a delta connector's first flush (every stream new); `gather` is")
	p("the `Gather` alone, a part of every flush. The public `Shutdown` flushes too, but once per connector and")
	p("with the loop's stop and the telemetry's shutdown around it.")
	p("")
	p("| `BenchmarkFlush` case | ms/op, median of %d | min | max | ≤ %d ms |", len(c.flushes[0].msOp), flushTargetMS)
	p("|---|---:|---:|---:|---|")
	for _, f := range c.flushes {
		if len(f.msOp) == 0 {
			continue
		}
		verdict := yes(median(f.msOp) <= flushTargetMS)
		if f.name == "gather" {
			verdict = ""
		}
		p("| %s | %.1f | %.1f | %.1f | %s |", f.name, median(f.msOp), minOf(f.msOp), maxOf(f.msOp), verdict)
	}
	p("")
	p("```")
	for _, l := range c.output {
		p("%s", l)
	}
	p("```")
	p("")
}

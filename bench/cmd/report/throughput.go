// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/results"
	"github.com/otelcol-llm/otelcol-llm/bench/throughput"
)

// throughputTargets writes the item-2 rows of the targets table.
func throughputTargets(p func(string, ...any), tput, soak *results.Saved) {
	var t *throughput.Result
	if tput != nil {
		t = tput.Throughput
	}
	if t == nil {
		p("| 2 | whole collector: llm_prometheus ≥ 90 %% of the nop ceiling; ≥ 2× the stock recipe in spans per CPU-second | not measured on this checkout (`make bench-throughput`) | — |")
	} else {
		if r := t.LLMOverNop; r != nil {
			a, b := t.SummaryOf("llm"), t.SummaryOf("nop")
			p("| 2 | whole collector: (a) otlp → llm_prometheus ≥ 90 %% of the (b) otlp → debug ceiling in accepted spans/s | %.0f %% (%s vs %s spans/s; rounds %.0f–%.0f %%) | %s |",
				r.Median*100, num(int(a.SpansPerSec)), num(int(b.SpansPerSec)), r.Min*100, r.Max*100, yes(r.Met))
		} else {
			p("| 2 | whole collector: (a) ≥ 90 %% of the (b) ceiling in spans/s | (a) or (b) not run | — |")
		}
		if r := t.LLMOverStock; r != nil {
			a, c := t.SummaryOf("llm"), t.SummaryOf("stock")
			p("| 2 | whole collector: (a) ≥ 2× (c) the stock recipe in spans per collector CPU-second | %.2f× (%s vs %s spans per CPU-s; rounds %.2f–%.2f×) | %s |",
				r.Median, num(int(a.SpansPerCPUSecond)), num(int(c.SpansPerCPUSecond)), r.Min, r.Max, yes(r.Met))
		} else {
			p("| 2 | whole collector: (a) ≥ 2× (c) in spans per CPU-second | (a) or (c) not run | — |")
		}
		a, c := t.SummaryOf("llm"), t.SummaryOf("stock")
		if a != nil && a.Checks > 0 {
			stock := ""
			if c != nil && c.Checks > 0 {
				stock = fmt.Sprintf("; (c) the stock recipe: %d of %d runs (see §2)", c.ChecksMatched, c.Checks)
			}
			p("| 2 | /metrics totals (requests, durations, tokens, TTFT) of (a) equal what the accepted spans carry | %d of %d runs%s | %s |",
				a.ChecksMatched, a.Checks, stock, yes(a.ChecksMatched == a.Checks))
		}
	}
	if soak != nil && soak.Soak != nil {
		s := soak.Soak
		live := ""
		if s.GCCycles > 0 {
			live = fmt.Sprintf("; live heap after GC (halves' means) %.1f / %.1f MB, slope %+.1f MB/h over %s collections",
				s.LiveHeapHalvesMB[0], s.LiveHeapHalvesMB[1], s.LiveHeapSlopeMBPH, num(s.GCCycles))
		}
		p("| 7 | soak: (a) at %.0f %% of capacity for %s, memory flat | VmRSS %.1f → %.1f MB (max %.1f; halves' means %.1f / %.1f MB), slope %+.1f MB/h%s; /metrics max %.1f ms | %s |",
			s.Fraction*100, dur(s.DurationS), s.FirstRSSMB, s.LastRSSMB, s.MaxRSSMB, s.RSSHalvesMB[0], s.RSSHalvesMB[1], s.SlopeMBPerHour, live, s.ScrapeMaxMS, soakVerdict(s))
	}
}

func writeThroughput(p func(string, ...any), tput *results.Saved) {
	if tput == nil || tput.Throughput == nil {
		p("Not measured on this checkout: `make bench-throughput` (see `bench/README.md`).")
		p("")
		return
	}
	t := tput.Throughput
	st := t.Settings
	p("Measured by `%s` (saved in `bench/results/throughput.json`).", tput.Command)
	p("")
	machineTable(p, tput.Machine)
	p("Each collector runs as a subprocess on free 127.0.0.1 ports, one after another (%d round(s) of a, b, c; medians", st.Rounds)
	p("below, ratios are medians of the per-round ratios). `bench/loadgen`, inside the measuring process, sends one")
	p("pre-built spangen batch of %s spans (%s of them LLM calls; 5 models, 6 templates, 10 %% errors, 30 %% streamed),", num(int(t.Batch.Spans)), num(int(t.Batch.Calls)))
	p("marshaled once, over OTLP/gRPC (no compression) from %d connections as fast as it is accepted: %.0f s of warm-up,", st.Workers, st.WarmupS)
	p("then a %.0f s window. Every side runs without memory_limiter or batch processor and with the collector's own", st.DurationS)
	p("metrics off. Collector CPU is utime+stime from `/proc/<pid>/stat` over the window, peak RSS is `VmHWM` after")
	p("the load; the generator's CPU is the measuring process' over the same window: it shares the 2 cores with the")
	p("collector (nothing is pinned), so every side is capped by the machine, not by its own code alone.")
	p("")
	p("| side | pipeline | accepted spans/s | collector CPU s / 1M spans | spans per CPU-second | peak RSS | loadgen CPU s / 1M spans | request p50 / p99 | /metrics = accepted |")
	p("|---|---|---:|---:|---:|---:|---:|---:|---|")
	for _, side := range throughput.Sides {
		s := t.SummaryOf(side.Key)
		if s == nil {
			continue
		}
		chk := "—"
		if s.Checks > 0 {
			chk = fmt.Sprintf("%d/%d runs", s.ChecksMatched, s.Checks)
		}
		p("| %s | %s | %s | %.2f | %s | %.0f MB | %.2f | %.1f / %.1f ms | %s |", side.Label, side.Pipeline, num(int(s.SpansPerSec)),
			s.CPUPerMSpans, num(int(s.SpansPerCPUSecond)), s.PeakRSSMB, s.LoadgenCPUPerMSpans, s.LatencyP50MS, s.LatencyP99MS, chk)
	}
	p("")
	if st.Rounds > 1 {
		var rows []string
		for _, r := range t.Runs {
			rows = append(rows, fmt.Sprintf("%d%s %s", r.Round, r.Side[:1], num(int(r.SpansPerSec))))
		}
		p("Accepted spans/s by round: %s.", strings.Join(rows, ", "))
		p("")
	}
	for _, r := range t.Runs {
		if r.Check == nil {
			continue
		}
		var items []string
		for _, it := range r.Check.Items {
			mark := ""
			if it.Got != it.Want {
				mark = fmt.Sprintf(" (want %s)", num(int(it.Want)))
			}
			items = append(items, fmt.Sprintf("%#q %s%s", it.Metric, num(int(it.Got)), mark))
		}
		p("- round %d, %s: /metrics after %.0f s (%s series, %.1f KB, scraped in %.1f ms): %s.", r.Round, r.Side, r.Check.WaitedS,
			num(r.Check.Series), float64(r.Check.ScrapeBytes)/1024, r.Check.ScrapeMS, strings.Join(items, ", "))
	}
	p("")
	p("The stock recipe is `bench/stock-recipe.yaml` (its comment lists what it cannot do that llm_prometheus does:")
	p("LLM-call detection, dialects, error reasons, bounded labels, cost, …); llm_prometheus runs with its default")
	p("configuration, so it also keeps cost, time per output token, errors by reason and native histograms the stock")
	p("recipe does not compute. span_metrics' counts appear at its 15 s flush (a new series' calls counter one flush later),")
	p("hence the longer wait of (c) before its /metrics check.")
	p("")
	var bins []string
	seen := map[string]bool{}
	for _, b := range t.Binaries {
		if seen[b.Path] {
			continue
		}
		seen[b.Path] = true
		var v []string
		for k, ver := range b.Versions {
			v = append(v, fmt.Sprintf("%s %s", shortModule(k), ver))
		}
		sort.Strings(v)
		bins = append(bins, fmt.Sprintf("%#q (%s): %s", b.Path, b.Go, strings.Join(v, ", ")))
	}
	p("Binaries: %s.", strings.Join(bins, "; "))
	p("")
	if len(t.Problems) > 0 {
		p("Problems seen: %s.", strings.Join(t.Problems, "; "))
		p("")
	}
}

func writeSoak(p func(string, ...any), soak *results.Saved) {
	p("### Soak")
	p("")
	if soak == nil || soak.Soak == nil {
		p("Not run on this checkout: `make bench-soak` (10 minutes).")
		p("")
		return
	}
	s := soak.Soak
	p("Measured by `%s` (saved in `bench/results/soak.json`).", soak.Command)
	p("")
	machineTable(p, soak.Machine)
	how := "given"
	if s.CapacityMeasured {
		how = "measured first by an unpaced run"
	}
	p("(a) otlp → llm_prometheus, paced at %.0f %% of its capacity (%s spans/s, %s) = %s spans/s for %s in batches of %s from %d",
		s.Fraction*100, num(int(s.Capacity)), how, num(int(s.TargetRate)), dur(s.DurationS), num(s.BatchSize), s.Workers)
	p("connections; achieved %s spans/s. Every %.0f s: VmRSS, CPU time and one /metrics scrape (full body read).", num(int(s.AchievedRate)), s.SampleEveryS)
	p("")
	p("| VmRSS first | last | max | VmHWM | slope | slope, last half | /metrics p50 / max | collector CPU s / 1M spans | /metrics = accepted |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	chk := "—"
	if s.Check != nil {
		chk = yes(s.Check.Match)
	}
	p("| %.1f MB | %.1f MB | %.1f MB | %.1f MB | %+.1f MB/h | %+.1f MB/h | %.1f / %.1f ms | %.2f | %s |", s.FirstRSSMB, s.LastRSSMB, s.MaxRSSMB, s.PeakRSSMB,
		s.SlopeMBPerHour, s.SlopeLastHalfMBPH, s.ScrapeP50MS, s.ScrapeMaxMS, s.CPUPerMSpans, chk)
	p("")
	var rss []string
	step := max(1, len(s.Samples)/12)
	for i := 0; i < len(s.Samples); i += step {
		rss = append(rss, fmt.Sprintf("%s: %.1f", dur(s.Samples[i].ElapsedS), s.Samples[i].RSSMB))
	}
	p("VmRSS (MB) along the soak: %s.", strings.Join(rss, ", "))
	if s.GCCycles > 0 {
		p("")
		p("The collector ran with `GODEBUG=gctrace=1`: each garbage collection prints the heap it marked live, which")
		p("is what the collector keeps (VmRSS also holds the garbage between collections and what the runtime has not")
		p("yet returned). %s collections; the runtime spent %.0f %% of the collector's CPU in GC.", num(s.GCCycles), s.GCCPUSharePercent)
		p("")
		p("| live heap first | last | max | halves' means | slope |")
		p("|---:|---:|---:|---:|---:|")
		p("| %.1f MB | %.1f MB | %.1f MB | %.2f / %.2f MB | %+.2f MB/h |", s.FirstLiveHeapMB, s.LastLiveHeapMB, s.MaxLiveHeapMB,
			s.LiveHeapHalvesMB[0], s.LiveHeapHalvesMB[1], s.LiveHeapSlopeMBPH)
		p("")
		p("Memory counts as flat (targets table) when the means of the live heap over the first and the second half")
		p("differ by less than 1 MB and those of VmRSS by less than 10 %%.")
		p("")
		var live []string
		for i := 0; i < len(s.Samples); i += step {
			if s.Samples[i].GCs > 0 {
				live = append(live, fmt.Sprintf("%s: %.1f", dur(s.Samples[i].ElapsedS), s.Samples[i].LiveHeapMB))
			}
		}
		p("Live heap (MB, mean of the collections in each interval) along the soak: %s.", strings.Join(live, ", "))
	}
	if len(s.Problems) > 0 {
		p("")
		p("Problems seen: %s.", strings.Join(s.Problems, "; "))
	}
	p("")
}

// shortModule drops the collector and contrib repository prefixes.
func shortModule(path string) string {
	for _, prefix := range []string{"go.opentelemetry.io/collector/", "github.com/open-telemetry/opentelemetry-collector-contrib/"} {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			return rest
		}
	}
	return path
}

// dur formats seconds as "45 s" or "10 min".
func dur(s float64) string {
	if s >= 120 {
		return fmt.Sprintf("%.0f min", s/60)
	}
	return fmt.Sprintf("%.0f s", s)
}

// soakVerdict judges the soak's memory: flat when the live heap's halves
// differ by less than 1 MB (gctrace gives whole MB) and VmRSS's by less than
// 10 %.
func soakVerdict(s *throughput.SoakResult) string {
	if s.GCCycles == 0 {
		return "live heap not measured"
	}
	live := math.Abs(s.LiveHeapHalvesMB[1] - s.LiveHeapHalvesMB[0])
	rss := math.Abs(s.RSSHalvesMB[1]-s.RSSHalvesMB[0]) / max(s.RSSHalvesMB[0], 1)
	if live < 1 && rss < 0.10 {
		return "**met**"
	}
	return "**not met**"
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/results"
	"github.com/otelcol-llm/otelcol-llm/bench/loadgen"
	"github.com/otelcol-llm/otelcol-llm/bench/throughput"
)

func render(f func(p func(string, ...any))) string {
	var b bytes.Buffer
	f(func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) })
	return b.String()
}

func TestThroughputRendering(t *testing.T) {
	tp := &throughput.Result{
		Settings: throughput.Settings{BatchSize: 1000, Workers: 2, WarmupS: 3, DurationS: 20, Rounds: 1},
		Batch:    throughput.Content{Spans: 1000, Calls: 1000},
		Summary: []throughput.Summary{
			{Side: "llm", SpansPerSec: 180000, SpansPerCPUSecond: 100000, Checks: 1, ChecksMatched: 1},
			{Side: "nop", SpansPerSec: 200000, SpansPerCPUSecond: 150000},
			{Side: "stock", SpansPerSec: 90000, SpansPerCPUSecond: 40000, Checks: 1},
		},
		Runs: []throughput.Run{{
			Side: "stock", Round: 1, Load: &loadgen.Result{},
			Check: &throughput.Check{Items: []throughput.CheckItem{{Metric: "llm_prompt_tokens_total", Want: 100, Got: 95}}},
		}},
		LLMOverNop:   &throughput.Ratio{Median: 0.9, Min: 0.9, Max: 0.9, Target: 0.9, Met: true},
		LLMOverStock: &throughput.Ratio{Median: 2.5, Min: 2.5, Max: 2.5, Target: 2, Met: true},
	}
	soak := &throughput.SoakResult{
		Fraction: 0.5, DurationS: 600, FirstRSSMB: 50, LastRSSMB: 52, MaxRSSMB: 53,
		RSSHalvesMB: [2]float64{50, 52}, GCCycles: 40, GCCPUSharePercent: 12,
		FirstLiveHeapMB: 8, LastLiveHeapMB: 8.5, MaxLiveHeapMB: 9, LiveHeapHalvesMB: [2]float64{8, 8.5}, LiveHeapSlopeMBPH: 0.25,
		Samples: []throughput.SoakSample{{ElapsedS: 10, RSSMB: 50, LiveHeapMB: 8, GCs: 20}, {ElapsedS: 600, RSSMB: 52, LiveHeapMB: 8.5, GCs: 20}},
	}
	tput := &results.Saved{Command: "go run ./cmd/throughput", Throughput: tp}
	sk := &results.Saved{Command: "go run ./cmd/throughput -soak", Soak: soak}

	targets := render(func(p func(string, ...any)) { throughputTargets(p, tput, sk) })
	for _, want := range []string{
		"| 90 % (180,000 vs 200,000 spans/s; rounds 90–90 %) | **met** |",
		"| 2.50× (100,000 vs 40,000 spans per CPU-s; rounds 2.50–2.50×) | **met** |",
		"| 1 of 1 runs; (c) the stock recipe: 0 of 1 runs (see §2) | **met** |",
		"| 7 | soak: (a) at 50 % of capacity for 10 min, memory flat | VmRSS 50.0 → 52.0 MB (max 53.0; halves' means 50.0 / 52.0 MB), slope +0.0 MB/h; " +
			"live heap after GC (halves' means) 8.0 / 8.5 MB, slope +0.2 MB/h over 40 collections; /metrics max 0.0 ms | **met** |",
	} {
		if !strings.Contains(targets, want) {
			t.Errorf("targets lack %q:\n%s", want, targets)
		}
	}
	body := render(func(p func(string, ...any)) { writeThroughput(p, tput); writeSoak(p, sk) })
	for _, want := range []string{
		"| (a) otelcol-llm | otlp → llm_prometheus | 180,000 |",
		"`llm_prompt_tokens_total` 95 (want 100)",
		"### Soak",
		"VmRSS (MB) along the soak: 10 s: 50.0, 10 min: 52.0.",
		"| 8.0 MB | 8.5 MB | 9.0 MB | 8.00 / 8.50 MB | +0.25 MB/h |",
		"Live heap (MB, mean of the collections in each interval) along the soak: 10 s: 8.0, 10 min: 8.5.",
		"40 collections; the runtime spent 12 % of the collector's CPU in GC.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("section lacks %q:\n%s", want, body)
		}
	}
	// A live heap growing by 1 MB or more between the halves is not flat.
	soak.LiveHeapHalvesMB = [2]float64{8, 9}
	if grown := render(func(p func(string, ...any)) { throughputTargets(p, nil, sk) }); !strings.Contains(grown, "| **not met** |") {
		t.Errorf("a growing live heap is flat:\n%s", grown)
	}
	none := render(func(p func(string, ...any)) {
		throughputTargets(p, nil, nil)
		writeThroughput(p, nil)
		writeSoak(p, nil)
	})
	if !strings.Contains(none, "make bench-throughput") || !strings.Contains(none, "make bench-soak") {
		t.Errorf("nothing saved:\n%s", none)
	}
}

// A saved result goes through the JSON file and back unchanged.
func TestResultsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "throughput.json")
	in := results.Saved{Command: "x", Throughput: &throughput.Result{Summary: []throughput.Summary{{Side: "llm", SpansPerSec: 5}}}}
	if err := results.Save(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := results.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if out.Throughput.SummaryOf("llm").SpansPerSec != 5 || out.Soak != nil {
		t.Fatalf("loaded %+v", out)
	}
	if s, err := results.Load(filepath.Join(t.TempDir(), "missing.json")); s != nil || err != nil {
		t.Fatalf("missing file: %v, %v", s, err)
	}
}

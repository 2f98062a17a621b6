// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"
)

func TestScrapeBenchmarks(t *testing.T) {
	h := &hotPath{}
	for _, line := range []string{
		"BenchmarkScrape/text/identity-2 \t 78\t 14959797 ns/op\t 14.47 p50-ms\t 11033443 B/op\t 23810 allocs/op",
		"BenchmarkScrape/text/identity-2 \t 78\t 12513766 ns/op\t 11.78 p50-ms\t 11033733 B/op\t 23811 allocs/op",
		"BenchmarkScrape/text/identity-2 \t 81\t 14531276 ns/op\t 14.26 p50-ms\t 11032990 B/op\t 23810 allocs/op",
		"BenchmarkScrape/openmetrics/gzip-2 \t 30\t 55312541 ns/op\t 48.72 p50-ms\t 7769351 B/op\t 29204 allocs/op",
		"BenchmarkScrape/gather-2 \t 202\t 5421318 ns/op\t 5838776 B/op\t 5010 allocs/op",
		"BenchmarkConsumeTraces/default-2 55383 32719 ns/op 327.2 ns/span 0 B/op 0 allocs/op",
	} {
		h.addScrape(line)
	}
	if len(h.scrapes) != 3 {
		t.Fatalf("%d scrape benchmarks, want 3: %+v", len(h.scrapes), h.scrapes)
	}
	text := h.scrapes[0]
	if text.name != "text/identity" || median(text.p50MS) != 14.26 || median(text.msOp) != 14.531276 {
		t.Errorf("text/identity: %+v (p50 %v, ns/op %v)", text, median(text.p50MS), median(text.msOp))
	}
	summary, ok := h.scrapeTarget()
	if summary != "text/identity 14, openmetrics/gzip 49 ms" || !ok {
		t.Errorf("target: %q, %v", summary, ok)
	}
	h.addScrape("BenchmarkScrape/openmetrics/gzip-2 30 70000000 ns/op 61.5 p50-ms")
	h.addScrape("BenchmarkScrape/openmetrics/gzip-2 30 70000000 ns/op 62.5 p50-ms")
	if summary, ok := h.scrapeTarget(); summary != "text/identity 14, openmetrics/gzip 62 ms" || ok {
		t.Errorf("target past 60 ms: %q, %v", summary, ok)
	}

	out := render(func(p func(string, ...any)) { writeScrapeBeforeAfter(p, h) })
	for _, want := range []string{
		"| text/identity | 19.9 | 4.0 | 14.5 | 14.3 | **met** |",
		"| openmetrics/gzip | 33.4 | 9.4 | 70.0 | 61.5 | **not met** |",
		"| gather | 3.9 | 8.8 | 5.4 | – |  |",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("no row %q in:\n%s", want, out)
		}
	}
	if _, ok := (&hotPath{}).scrapeTarget(); ok {
		t.Error("no scrape result meets nothing")
	}
}

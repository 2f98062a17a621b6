// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package perspan

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

// BenchmarkPerSpan feeds the same 100-span spangen batch to llm_prometheus
// and to spanmetrics, exemplars on and off on both sides.
func BenchmarkPerSpan(b *testing.B) {
	td := Batch()
	for _, ex := range []bool{true, false} {
		name := map[bool]string{true: "exemplars_on", false: "exemplars_off"}[ex]
		b.Run("llm_prometheus/"+name, func(b *testing.B) {
			tg, err := NewLLMPrometheus(ex, nil)
			if err != nil {
				b.Fatal(err)
			}
			closeAtEnd(b, tg)
			Bench(b, tg, td)
		})
		b.Run("spanmetrics/"+name, func(b *testing.B) {
			tg, err := NewSpanmetrics(ex)
			if err != nil {
				b.Fatal(err)
			}
			closeAtEnd(b, tg)
			Bench(b, tg, td)
		})
	}
}

// BenchmarkRatio times both sides on the same batch in every iteration (a
// then b), so the ratio b/a is measured under the same machine noise.
func BenchmarkRatio(b *testing.B) {
	for _, ex := range []bool{true, false} {
		b.Run(fmt.Sprintf("exemplars_%v", ex), func(b *testing.B) {
			a, err := NewLLMPrometheus(ex, nil)
			if err != nil {
				b.Fatal(err)
			}
			closeAtEnd(b, a)
			s, err := NewSpanmetrics(ex)
			if err != nil {
				b.Fatal(err)
			}
			closeAtEnd(b, s)
			td := Batch()
			ctx := context.Background()
			_, _ = a.Consume(ctx, td), s.Consume(ctx, td)
			var da, ds time.Duration
			for b.Loop() {
				t0 := time.Now()
				_ = a.Consume(ctx, td)
				t1 := time.Now()
				_ = s.Consume(ctx, td)
				da += t1.Sub(t0)
				ds += time.Since(t1)
			}
			per := float64(b.N * td.SpanCount())
			b.ReportMetric(float64(da.Nanoseconds())/per, "a_ns/span")
			b.ReportMetric(float64(ds.Nanoseconds())/per, "b_ns/span")
			b.ReportMetric(float64(ds)/float64(da), "b/a")
		})
	}
}

// TestSteadyStateAllocs pins llm_prometheus' zero allocations per span in
// steady state (series created, exemplars off). Through the public factory the
// collector's exporterhelper allocates a few objects per ConsumeTraces call
// (obsreport span and context, request wrapper) whatever the batch size, so
// the test checks that a 10,000-span batch allocates no more than a 100-span
// one (give or take one allocation of the helper).
func TestSteadyStateAllocs(t *testing.T) {
	ctx := context.Background()
	a, err := NewLLMPrometheus(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, a)
	perBatch := map[int]float64{}
	for _, n := range []int{100, 1000, 10000} {
		td := spangen.Batch(n, Start)
		_ = a.Consume(ctx, td)
		perBatch[n] = testing.AllocsPerRun(200, func() { _ = a.Consume(ctx, td) })
		t.Logf("llm_prometheus (exemplars off): %v allocs per %d-span batch", perBatch[n], n)
	}
	// 100 → 10,000 spans: at most one more allocation per call (the
	// exporterhelper's own bookkeeping), i.e. nothing per span.
	if perBatch[10000] > perBatch[100]+1 {
		t.Errorf("allocations grow with the batch: %v per 100 spans, %v per 10,000 spans", perBatch[100], perBatch[10000])
	}
	if perBatch[100] > 10 {
		t.Errorf("%v allocations per batch, want at most the exporterhelper's handful", perBatch[100])
	}
	s, err := NewSpanmetrics(false)
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, s)
	td := Batch()
	_ = s.Consume(ctx, td)
	t.Logf("spanmetrics (exemplars off): %.3f allocs/span", testing.AllocsPerRun(200, func() { _ = s.Consume(ctx, td) })/float64(td.SpanCount()))
}

// closeAtEnd shuts tg down when the test or benchmark ends, failing it if
// the shutdown fails.
func closeAtEnd(tb testing.TB, tg *Target) {
	tb.Helper()
	tb.Cleanup(func() {
		if err := tg.Close(); err != nil {
			tb.Errorf("%s: shutdown: %v", tg.Name, err)
		}
	})
}

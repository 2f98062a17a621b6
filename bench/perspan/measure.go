// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package perspan

import (
	"context"
	"errors"
	"runtime"
	"sort"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Bench measures t on td: one warm-up call (creates the series), then the
// b.Loop steady state. It reports ns/span, B/span and allocs/span.
func Bench(b *testing.B, t *Target, td ptrace.Traces) {
	ctx := context.Background()
	spans := td.SpanCount()
	if err := t.Consume(ctx, td); err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		_ = t.Consume(ctx, td)
		n++
	}
	runtime.ReadMemStats(&after)
	per := float64(n * spans)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/span")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/per, "B/span")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/span")
}

// Result is one side's steady-state cost per span.
type Result struct {
	NsPerSpan, BytesPerSpan, AllocsPerSpan float64
}

// Pair is both sides measured in the same run, interleaved round by round.
type Pair struct {
	Exemplars bool
	Rounds    int
	// Medians over the rounds.
	A, B Result
	// RatioNs is the median over the rounds of b.ns/a.ns (each round measures
	// a then b back to back, so both see the same machine noise).
	RatioNs, RatioNsMin, RatioNsMax float64
}

// Compare measures llm_prometheus (a) and spanmetrics (b) on the same batch
// in the same run. Each of the rounds lasts about roundTime and alternates a
// and b batch by batch, timing each call, so both sides see the same machine
// noise; bytes and allocations per span are read from runtime.MemStats over
// separate runs of 200 calls each. The result holds the medians over the rounds.
func Compare(exemplars bool, rounds int, roundTime time.Duration) (_ Pair, err error) {
	a, err := NewLLMPrometheus(exemplars, nil)
	if err != nil {
		return Pair{}, err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	bt, err := NewSpanmetrics(exemplars)
	if err != nil {
		return Pair{}, err
	}
	defer func() { err = errors.Join(err, bt.Close()) }()
	td := Batch()
	ctx := context.Background()
	spans := float64(td.SpanCount())
	_, _ = a.Consume(ctx, td), bt.Consume(ctx, td)
	var ra, rb []Result
	var ratios []float64
	for range rounds {
		var da, db time.Duration
		n := 0
		for end := time.Now().Add(roundTime); time.Now().Before(end); n++ {
			t0 := time.Now()
			_ = a.Consume(ctx, td)
			t1 := time.Now()
			_ = bt.Consume(ctx, td)
			da += t1.Sub(t0)
			db += time.Since(t1)
		}
		x := Result{NsPerSpan: float64(da.Nanoseconds()) / (float64(n) * spans)}
		y := Result{NsPerSpan: float64(db.Nanoseconds()) / (float64(n) * spans)}
		x.BytesPerSpan, x.AllocsPerSpan = memPerSpan(ctx, a, td)
		y.BytesPerSpan, y.AllocsPerSpan = memPerSpan(ctx, bt, td)
		ra, rb = append(ra, x), append(rb, y)
		ratios = append(ratios, y.NsPerSpan/x.NsPerSpan)
	}
	p := Pair{Exemplars: exemplars, Rounds: rounds, A: median(ra), B: median(rb)}
	sort.Float64s(ratios)
	p.RatioNs, p.RatioNsMin, p.RatioNsMax = ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1]
	return p, nil
}

func memPerSpan(ctx context.Context, t *Target, td ptrace.Traces) (bytes, allocs float64) {
	const calls = 200
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range calls {
		_ = t.Consume(ctx, td)
	}
	runtime.ReadMemStats(&after)
	per := float64(calls * td.SpanCount())
	return float64(after.TotalAlloc-before.TotalAlloc) / per, float64(after.Mallocs-before.Mallocs) / per
}

func median(rs []Result) Result {
	pick := func(f func(Result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	return Result{
		NsPerSpan:     pick(func(r Result) float64 { return r.NsPerSpan }),
		BytesPerSpan:  pick(func(r Result) float64 { return r.BytesPerSpan }),
		AllocsPerSpan: pick(func(r Result) float64 { return r.AllocsPerSpan }),
	}
}

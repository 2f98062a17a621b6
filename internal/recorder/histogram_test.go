// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package recorder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientGolangHistogram is a client_golang native histogram configured as
// ours: bucket factor, bucket limit, never reset, zero bucket never widened.
func clientGolangHistogram(factor float64, maxBuckets uint32, bounds []float64) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "ref", Help: "ref", Buckets: bounds,
		NativeHistogramBucketFactor:     factor,
		NativeHistogramMaxBucketNumber:  maxBuckets,
		NativeHistogramMinResetDuration: 0,
		NativeHistogramMaxZeroThreshold: 0,
	})
}

func writeHistogram(t *testing.T, h prometheus.Histogram) *dto.Histogram {
	t.Helper()
	var m dto.Metric
	require.NoError(t, h.Write(&m))
	return m.GetHistogram()
}

// clientGolangNative observes vs into a client_golang native histogram and
// returns its protobuf form, the reference our histograms must match.
func clientGolangNative(t *testing.T, factor float64, bounds, vs []float64) *dto.Histogram {
	t.Helper()
	h := clientGolangHistogram(factor, 100_000, bounds)
	for _, v := range vs {
		h.Observe(v)
	}
	return writeHistogram(t, h)
}

func ours(factor float64, bounds, vs []float64) *dto.Histogram {
	shape := &histShape{bounds: bounds, native: true, schema: pickSchema(factor), maxBuckets: 100_000}
	h := newHistogram(shape, 1, false)
	for _, v := range vs {
		h.observe(v, nil)
	}
	return dtoOf(h)
}

// dtoOf builds h as Gather does.
func dtoOf(h *histogram) *dto.Histogram {
	var b builder
	return b.histogram(nil, h).GetHistogram()
}

func assertSameHistogram(t *testing.T, want, got *dto.Histogram, msg string) {
	t.Helper()
	assert.Equal(t, want.GetSampleCount(), got.GetSampleCount(), msg)
	assert.InDelta(t, want.GetSampleSum(), got.GetSampleSum(), 0, msg)
	require.Len(t, got.GetBucket(), len(want.GetBucket()), msg)
	for i, b := range want.GetBucket() {
		assert.InDelta(t, b.GetUpperBound(), got.GetBucket()[i].GetUpperBound(), 0, msg)
		assert.Equal(t, b.GetCumulativeCount(), got.GetBucket()[i].GetCumulativeCount(), msg)
	}
	assert.Equal(t, want.GetSchema(), got.GetSchema(), msg)
	assert.InDelta(t, want.GetZeroThreshold(), got.GetZeroThreshold(), 0, msg)
	assert.Equal(t, want.GetZeroCount(), got.GetZeroCount(), msg)
	assert.Equal(t, spanPairs(want.GetPositiveSpan()), spanPairs(got.GetPositiveSpan()), msg)
	assert.Equal(t, want.GetPositiveDelta(), got.GetPositiveDelta(), msg)
	assert.Equal(t, spanPairs(want.GetNegativeSpan()), spanPairs(got.GetNegativeSpan()), msg)
	assert.Equal(t, want.GetNegativeDelta(), got.GetNegativeDelta(), msg)
}

func spanPairs(spans []*dto.BucketSpan) [][2]int64 {
	var out [][2]int64
	for _, s := range spans {
		out = append(out, [2]int64{int64(s.GetOffset()), int64(s.GetLength())})
	}
	return out
}

// TestHistogramMatchesClientGolang checks classic and native buckets, bucket
// keys at every schema (bucket boundaries included), spans and deltas
// against client_golang's own histogram.
func TestHistogramMatchesClientGolang(t *testing.T) {
	bounds := []float64{0.5, 1, 2, 5, 10, 20, 30, 60}
	rng := rand.New(rand.NewPCG(1, 2))
	var random []float64
	for range 2000 {
		random = append(random, math.Exp(rng.NormFloat64()*2)) // 0.01 s … 400 s, log-normal
	}
	for _, factor := range []float64{1.0001, 1.003, 1.01, 1.1, 1.5, 2, 4, 16, 256, 65536, 1e10} {
		schema := pickSchema(factor)
		assertSameHistogram(t, clientGolangNative(t, factor, bounds, random), ours(factor, bounds, random), "random")
		// Every bucket boundary of one power of two, and its neighbors.
		var edges []float64
		if schema > 0 {
			for _, b := range nativeBounds[schema] {
				for _, scale := range []float64{0.25, 2, 1024} {
					v := b * 2 * scale
					edges = append(edges, v, math.Nextafter(v, 0), math.Nextafter(v, math.Inf(1)))
				}
			}
		}
		edges = append(edges, 0, 1e-300, 1, 0.5, 2, 3, 1e300, math.MaxFloat64, math.Inf(1), -1, -0.3, -1e-40, 1e-40)
		assertSameHistogram(t, clientGolangNative(t, factor, bounds, edges), ours(factor, bounds, edges), "edges")
	}
}

// TestNativeKeyFastPath: the bit-level fast path gives the key math.Frexp
// and a binary search give, for random normal floats of every magnitude and
// for the first and last float of every 1/512 cell of the fraction.
func TestNativeKeyFastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var vs []float64
	for range 200_000 {
		vs = append(vs, math.Float64frombits(rng.Uint64()&^(1<<63))) // any positive float
	}
	for c := range 256 {
		lo := math.Ldexp(0.5+float64(c)/512, 1)
		vs = append(vs, lo, math.Nextafter(lo, 0), math.Nextafter(lo, 10))
	}
	for schema := int32(minSchema); schema <= maxSchema; schema++ {
		for _, v := range vs {
			if math.IsNaN(v) || v == 0 {
				continue
			}
			if got, want := nativeKey(v, schema), nativeKeyFrexp(v, schema); got != want {
				t.Fatalf("nativeKey(%v, %d) = %d, want %d", v, schema, got, want)
			}
		}
	}
}

// TestNativeHistogramHalvesOncePerObservation: past the bucket limit each
// observation, one into the zero bucket included, halves the resolution once,
// as client_golang's limitBuckets does, even when the buckets still exceed the
// limit afterwards.
func TestNativeHistogramHalvesOncePerObservation(t *testing.T) {
	shape := &histShape{bounds: []float64{1}, native: true, schema: 0, maxBuckets: 2}
	h := newHistogram(shape, 1, false)
	ref := clientGolangHistogram(2, 2, []float64{1}) // factor 2: schema 0
	type state struct {
		schema int32
		keys   []int
		counts []uint64
		zero   uint64
	}
	for _, step := range []struct {
		v    float64
		want state
	}{
		{1, state{0, []int{0}, []uint64{1}, 0}},
		{4, state{0, []int{0, 2}, []uint64{1, 1}, 0}},
		// 3 buckets > 2: one halving, which leaves 3 buckets.
		{16, state{-1, []int{0, 1, 2}, []uint64{1, 1, 1}, 0}},
		// Still above the limit: the next observation, here into the zero
		// bucket, halves again.
		{0, state{-2, []int{0, 1}, []uint64{1, 2}, 1}},
		{64, state{-3, []int{0, 1}, []uint64{1, 3}, 1}},
		// At schema -4 the buckets stay above the limit.
		{1e30, state{-4, []int{0, 1, 7}, []uint64{1, 3, 1}, 1}},
		{1e-30, state{-4, []int{-6, 0, 1, 7}, []uint64{1, 1, 3, 1}, 1}},
	} {
		h.observe(step.v, nil)
		ref.Observe(step.v)
		assert.Equal(t, step.want, state{h.schema, h.pos.keys, h.pos.counts, h.zero}, "after %v", step.v)
		assertSameHistogram(t, writeHistogram(t, ref), dtoOf(h), "client_golang")
	}

	// The merged histogram equals one built at the final schema from the
	// start, and no observation is lost.
	big := newHistogram(&histShape{bounds: []float64{1}, native: true, schema: 3, maxBuckets: 16}, 1, false)
	var vs []float64
	for v := 0.001; v < 1000; v *= 1.07 {
		vs = append(vs, v, -v/100)
	}
	for _, v := range vs {
		big.observe(v, nil)
	}
	assert.Less(t, big.schema, int32(3), "resolution halved")
	var total uint64
	for _, c := range append(slices.Clone(big.pos.counts), big.neg.counts...) {
		total += c
	}
	assert.Equal(t, uint64(len(vs)), total+big.zero, "no observation lost by merging")
	want := newHistogram(&histShape{bounds: []float64{1}, native: true, schema: big.schema, maxBuckets: 100_000}, 1, false)
	for _, v := range vs {
		want.observe(v, nil)
	}
	assertSameHistogram(t, dtoOf(want), dtoOf(big), "merged")

	// At the lowest resolution the buckets may exceed the limit: nothing is dropped.
	tiny := newHistogram(&histShape{native: true, schema: minSchema, maxBuckets: 2}, 1, false)
	for _, v := range []float64{1e-30, 1, 1e30} {
		tiny.observe(v, nil)
	}
	assert.Equal(t, int32(minSchema), tiny.schema)
	assert.Equal(t, []int{-6, 0, 7}, tiny.pos.keys, "past the limit at the lowest resolution")
	assert.Equal(t, []uint64{1, 1, 1}, tiny.pos.counts)
}

// TestHistogramLimitMatchesClientGolang compares a native histogram with a
// low bucket limit against client_golang's after every observation of widely
// spread values of both signs and zeros, for several factors and limits.
func TestHistogramLimitMatchesClientGolang(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var vs []float64
	for range 300 {
		v := math.Exp(rng.NormFloat64() * 12) // 1e-16 … 1e16
		switch rng.IntN(10) {
		case 0:
			v = 0
		case 1, 2:
			v = -v
		}
		vs = append(vs, v)
	}
	bounds := []float64{0.5, 1, 2, 5}
	for _, factor := range []float64{1.003, 1.1, 65536} {
		for _, limit := range []uint32{1, 4, 16} {
			h := newHistogram(&histShape{bounds: bounds, native: true, schema: pickSchema(factor), maxBuckets: limit}, 1, false)
			ref := clientGolangHistogram(factor, limit, bounds)
			for i, v := range vs {
				h.observe(v, nil)
				ref.Observe(v)
				assertSameHistogram(t, writeHistogram(t, ref), dtoOf(h), fmt.Sprintf("factor %v, limit %d, after %d observations", factor, limit, i+1))
				if t.Failed() {
					return
				}
			}
		}
	}
}

func TestPickSchema(t *testing.T) {
	for _, tc := range []struct {
		factor float64
		want   int32
	}{{1.1, 3}, {1.0001, 8}, {2, 0}, {4, -1}, {65536, -4}, {1e300, -4}, {math.Sqrt2, 1}} {
		assert.Equal(t, tc.want, pickSchema(tc.factor), "factor %v", tc.factor)
	}
}

func BenchmarkHistogramObserve(b *testing.B) {
	shape := &histShape{bounds: []float64{0.5, 1, 2, 5, 10, 20, 30, 60}, native: true, schema: 3, maxBuckets: 160}
	h := newHistogram(shape, 1, true)
	vs := make([]float64, 1024)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range vs {
		vs[i] = math.Exp(rng.NormFloat64())
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.observe(vs[i&1023], nil)
		i++
	}
}

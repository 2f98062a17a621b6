// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package otlpmetrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// otlpIndex is the OTLP exponential bucket of magnitude v > 0 at scale:
// the k with base^k < v <= base^(k+1), from the definition (exact for
// powers of two, whose Log2 is exact).
func otlpIndex(v float64, scale int32) int64 {
	return int64(math.Ceil(math.Log2(v)*math.Exp2(float64(scale)))) - 1
}

// buckets returns the counts of b by OTLP index, zeros left out.
func buckets(b pmetric.ExponentialHistogramDataPointBuckets) map[int64]uint64 {
	m := map[int64]uint64{}
	for i, c := range b.BucketCounts().All() {
		if c != 0 {
			m[int64(b.Offset())+int64(i)] = c
		}
	}
	return m
}

// TestExponentialMatchesClientGolang observes values in a client_golang
// native histogram and requires each in the exponential bucket its value
// belongs to by the OTLP definition, and the zero bucket to hold those
// within the zero threshold.
func TestExponentialMatchesClientGolang(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "x_seconds", Help: "X.", Buckets: []float64{1, 10}, NativeHistogramBucketFactor: 1.1,
	})
	reg.MustRegister(h)
	values := []float64{0, 1e-40, -1e-40, 0.001, 0.3, 1, 1, 1.5, 2, 3, 7.77, 100, 1e6, 0.25, -0.3, -2, -3, -1e3}
	for _, v := range values {
		h.Observe(v)
	}
	fams, err := reg.Gather()
	require.NoError(t, err)
	ms := cumulative(fams, t1, Options{Exponential: true})
	require.Equal(t, pmetric.MetricTypeExponentialHistogram, ms.At(0).Type())
	dp := ms.At(0).ExponentialHistogram().DataPoints().At(0)
	assert.Equal(t, int32(3), dp.Scale(), "factor 1.1: schema 3")
	assert.Equal(t, prometheus.DefNativeHistogramZeroThreshold, dp.ZeroThreshold())
	pos, neg := map[int64]uint64{}, map[int64]uint64{}
	var zero uint64
	var sum float64
	for _, v := range values {
		sum += v
		switch {
		case math.Abs(v) <= dp.ZeroThreshold():
			zero++
		case v > 0:
			pos[otlpIndex(v, dp.Scale())]++
		default:
			neg[otlpIndex(-v, dp.Scale())]++
		}
	}
	assert.Equal(t, pos, buckets(dp.Positive()))
	assert.Equal(t, neg, buckets(dp.Negative()))
	assert.Equal(t, zero, dp.ZeroCount())
	assert.Equal(t, uint64(len(values)), dp.Count())
	assert.InDelta(t, sum, dp.Sum(), 1e-9)
	// A value on a bound is in the bucket it closes: 1 and 2 in (2^(k/8),
	// 2^((k+1)/8)] with k+1 = 0 and 8.
	assert.Equal(t, uint64(2), pos[-1])
	assert.Equal(t, uint64(1), pos[7])
	assert.Equal(t, uint64(1), neg[7])
}

// expAcc adds delta exponential histograms up, merging as the zero bucket
// widens and the scale falls.
type expAcc struct {
	scale    int32
	zt       float64
	zero     uint64
	count    uint64
	pos, neg map[int64]uint64
	started  bool
}

func (a *expAcc) add(dp pmetric.ExponentialHistogramDataPoint) {
	if !a.started {
		a.started, a.scale, a.zt = true, dp.Scale(), dp.ZeroThreshold()
		a.pos, a.neg = map[int64]uint64{}, map[int64]uint64{}
	}
	for _, m := range []map[int64]uint64{a.pos, a.neg} {
		// The zero bucket widened at a scale at least dp's, at most a's.
		for k, v := range m {
			if math.Exp2(float64(k+1)/math.Exp2(float64(a.scale))) <= dp.ZeroThreshold()*(1+1e-12) {
				a.zero += v
				delete(m, k)
			}
		}
		if by := a.scale - dp.Scale(); by > 0 {
			merged := map[int64]uint64{}
			for k, v := range m {
				merged[k>>by] += v
			}
			clear(m)
			for k, v := range merged {
				m[k] = v
			}
		}
	}
	a.scale, a.zt = dp.Scale(), dp.ZeroThreshold()
	a.zero += dp.ZeroCount()
	a.count += dp.Count()
	for k, v := range buckets(dp.Positive()) {
		a.pos[k] += v
	}
	for k, v := range buckets(dp.Negative()) {
		a.neg[k] += v
	}
}

// TestDeltaAddsUpToCumulative drives client_golang counters and classic
// and native histograms (one halving its resolution, one widening its
// zero bucket as their buckets exceed their maximum) through many calls:
// the deltas of every call add up to the cumulative values of the same
// gather, and no stream is ever seen reset.
func TestDeltaAddsUpToCumulative(t *testing.T) {
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x_requests_total", Help: "R."}, []string{"model"})
	classicH := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "x_duration_seconds", Help: "D.", Buckets: []float64{0.1, 1, 10},
	}, []string{"model"})
	halving := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "x_halving_seconds", Help: "H.", NativeHistogramBucketFactor: 1.01, NativeHistogramMaxBucketNumber: 12,
	}, []string{"model"})
	widening := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "x_widening_seconds", Help: "W.", NativeHistogramBucketFactor: 1.1, NativeHistogramMaxBucketNumber: 12,
		NativeHistogramMaxZeroThreshold: 0.5,
	}, []string{"model"})
	reg.MustRegister(requests, classicH, halving, widening)
	rng := rand.New(rand.NewPCG(1, 2))
	d := NewDelta()
	counters := map[string]float64{}
	explicit := map[string][]uint64{}
	exps := map[string]*expAcc{}
	var prev pcommon.Timestamp
	for call := range 40 {
		for range 25 {
			model := fmt.Sprintf("m%d", rng.IntN(4+call/10)) // new models appear
			requests.WithLabelValues(model).Add(float64(rng.IntN(3)))
			v := math.Exp(rng.NormFloat64() * 3)
			if rng.IntN(5) == 0 {
				v = -v
			}
			classicH.WithLabelValues(model).Observe(math.Abs(v))
			halving.WithLabelValues(model).Observe(v)
			widening.WithLabelValues(model).Observe(v)
		}
		fams, err := reg.Gather()
		require.NoError(t, err)
		now := t1 + pcommon.Timestamp(call)*second
		cum := cumulative(fams, now, Options{Exponential: true})
		del := deltaAppend(d, fams, now, Options{Exponential: true})
		require.Equal(t, cum.Len(), del.Len())
		for i := range cum.Len() {
			c, dm := cum.At(i), del.At(i)
			require.Equal(t, c.Type(), dm.Type())
			switch c.Type() {
			case pmetric.MetricTypeSum:
				for j := range dm.Sum().DataPoints().Len() {
					dp, cp := dm.Sum().DataPoints().At(j), c.Sum().DataPoints().At(j)
					key := fmt.Sprint(dp.Attributes().AsRaw())
					_, seen := counters[key]
					checkStart(t, dp.StartTimestamp(), cp.StartTimestamp(), prev, seen)
					counters[key] += dp.DoubleValue()
					assert.Equal(t, cp.DoubleValue(), counters[key], "call %d %s", call, key)
				}
			case pmetric.MetricTypeHistogram:
				for j := range dm.Histogram().DataPoints().Len() {
					dp, cp := dm.Histogram().DataPoints().At(j), c.Histogram().DataPoints().At(j)
					key := fmt.Sprint(dp.Attributes().AsRaw())
					acc, seen := explicit[key]
					checkStart(t, dp.StartTimestamp(), cp.StartTimestamp(), prev, seen)
					if !seen {
						acc = make([]uint64, dp.BucketCounts().Len())
					}
					for b, v := range dp.BucketCounts().All() {
						acc[b] += v
					}
					explicit[key] = acc
					assert.Equal(t, cp.BucketCounts().AsRaw(), acc, "call %d %s", call, key)
				}
			case pmetric.MetricTypeExponentialHistogram:
				for j := range dm.ExponentialHistogram().DataPoints().Len() {
					dp, cp := dm.ExponentialHistogram().DataPoints().At(j), c.ExponentialHistogram().DataPoints().At(j)
					key := c.Name() + fmt.Sprint(dp.Attributes().AsRaw())
					acc := exps[key]
					checkStart(t, dp.StartTimestamp(), cp.StartTimestamp(), prev, acc != nil)
					if acc == nil {
						acc = &expAcc{}
						exps[key] = acc
					}
					acc.add(dp)
					assert.Equal(t, cp.Scale(), acc.scale, "call %d %s", call, key)
					assert.Equal(t, cp.ZeroThreshold(), acc.zt, "call %d %s", call, key)
					assert.Equal(t, cp.ZeroCount(), acc.zero, "call %d %s", call, key)
					assert.Equal(t, cp.Count(), acc.count, "call %d %s", call, key)
					assert.Equal(t, buckets(cp.Positive()), acc.pos, "call %d %s", call, key)
					assert.Equal(t, buckets(cp.Negative()), acc.neg, "call %d %s", call, key)
				}
			default:
				t.Fatalf("unexpected %v", c.Type())
			}
		}
		prev = now
	}
	// The test saw what it is about: halvings and widenings.
	var minScale int32 = math.MaxInt32
	var maxZT float64
	for key, a := range exps {
		if key[:len("x_halving")] == "x_halving" {
			minScale = min(minScale, a.scale)
		} else {
			maxZT = max(maxZT, a.zt)
		}
	}
	assert.Less(t, minScale, int32(6), "halving: from schema 6 (factor 1.01)")
	assert.Greater(t, maxZT, prometheus.DefNativeHistogramZeroThreshold, "widening")
	assert.Len(t, counters, 7, "models m0 to m6")
}

// checkStart: a new stream starts at its created timestamp (the
// cumulative start), one seen before at the previous call.
func checkStart(t *testing.T, start, created, prev pcommon.Timestamp, seen bool) {
	t.Helper()
	if seen {
		assert.Equal(t, prev, start, "a stream seen before: no reset")
	} else {
		assert.Equal(t, created, start, "a new stream")
	}
}

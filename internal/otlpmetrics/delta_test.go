// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package otlpmetrics

import (
	"math"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"google.golang.org/protobuf/proto"
)

const second = pcommon.Timestamp(1_000_000_000)

func deltaAppend(d *Delta, fams []*dto.MetricFamily, now pcommon.Timestamp, opts Options) pmetric.MetricSlice {
	ms := pmetric.NewMetricSlice()
	d.Append(ms, fams, now, opts)
	return ms
}

// sumPoint is what a test expects of a sum data point.
type sumPoint struct {
	series    string // the value of label s
	value     float64
	start     pcommon.Timestamp
	exemplars int
}

func requireSums(t *testing.T, ms pmetric.MetricSlice, now pcommon.Timestamp, want ...sumPoint) {
	t.Helper()
	require.Equal(t, 1, ms.Len())
	require.Equal(t, pmetric.MetricTypeSum, ms.At(0).Type())
	s := ms.At(0).Sum()
	assert.Equal(t, pmetric.AggregationTemporalityDelta, s.AggregationTemporality())
	assert.True(t, s.IsMonotonic())
	require.Equal(t, len(want), s.DataPoints().Len())
	for i, w := range want {
		dp := s.DataPoints().At(i)
		v, _ := dp.Attributes().Get("s")
		assert.Equal(t, w.series, v.Str(), i)
		assert.Equal(t, w.value, dp.DoubleValue(), w.series)
		assert.Equal(t, w.start, dp.StartTimestamp(), w.series)
		assert.Equal(t, now, dp.Timestamp(), w.series)
		assert.Equal(t, w.exemplars, dp.Exemplars().Len(), w.series)
	}
}

// TestDeltaCounter: the change since the previous call, from its time; a
// new stream from its created timestamp; a reset (value down, or a new
// created timestamp) the new value; exemplars only when new; an absent
// stream forgotten.
func TestDeltaCounter(t *testing.T) {
	withExemplar := func(m *dto.Metric, ts pcommon.Timestamp) *dto.Metric {
		m.Counter.Exemplar = exemplar(1, ts, "trace_id", traceHex)
		return m
	}
	fams := func(ms ...*dto.Metric) []*dto.MetricFamily {
		return []*dto.MetricFamily{family("x_total", dto.MetricType_COUNTER, "", ms...)}
	}
	d := NewDelta()
	requireSums(t, deltaAppend(d, fams(
		withExemplar(counter(5, t0, "s", "a"), t0+second),
		counter(2, t0, "s", "b"),
	), t1, Options{}), t1,
		sumPoint{"a", 5, t0, 1},
		sumPoint{"b", 2, t0, 0},
	)
	requireSums(t, deltaAppend(d, fams(
		withExemplar(counter(8, t0, "s", "a"), t0+second), // the same exemplar: sent already
		counter(1, t0, "s", "b"),                          // went down: a reset
		counter(4, t1+5*second, "s", "c"),                 // new
	), t2, Options{}), t2,
		sumPoint{"a", 3, t1, 0},
		sumPoint{"b", 1, t1, 0},
		sumPoint{"c", 4, t1 + 5*second, 0},
	)
	requireSums(t, deltaAppend(d, fams(
		counter(1, t2+second, "s", "b"), // restarted and back at 1: a new created timestamp
		withExemplar(counter(10, t1+5*second, "s", "c"), t2+30*second),
	), t3, Options{}), t3,
		sumPoint{"b", 1, t2 + second, 0},
		sumPoint{"c", 6, t2, 1},
	)
	assert.Len(t, d.streams, 2, "a forgotten")
	// a is back: a new stream.
	requireSums(t, deltaAppend(d, fams(counter(9, t0, "s", "a")), t3+60*second, Options{}), t3+60*second,
		sumPoint{"a", 9, t0, 0},
	)
	assert.Len(t, d.streams, 1)
}

// TestDeltaCounterStart: a new stream without created timestamp starts at
// the previous call (0 on the first); a reset whose created timestamp is
// not after the previous call starts there too.
func TestDeltaCounterStart(t *testing.T) {
	d := NewDelta()
	noCreated := func(v float64, s string) *dto.Metric {
		return &dto.Metric{Label: labels("s", s), Counter: &dto.Counter{Value: proto.Float64(v)}}
	}
	f := func(ms ...*dto.Metric) []*dto.MetricFamily {
		return []*dto.MetricFamily{family("x_total", dto.MetricType_COUNTER, "", ms...)}
	}
	requireSums(t, deltaAppend(d, f(noCreated(1, "a")), t1, Options{}), t1, sumPoint{"a", 1, 0, 0})
	requireSums(t, deltaAppend(d, f(noCreated(3, "a"), noCreated(2, "b")), t2, Options{}), t2,
		sumPoint{"a", 2, t1, 0}, sumPoint{"b", 2, t1, 0})
	requireSums(t, deltaAppend(d, f(noCreated(1, "a"), noCreated(2, "b")), t3, Options{}), t3,
		sumPoint{"a", 1, t2, 0}, sumPoint{"b", 0, t2, 0})
}

// TestDeltaCounterNaNInf: NaN and infinite values pass; a stream whose
// previous value was NaN or infinite restarts from its new value.
func TestDeltaCounterNaNInf(t *testing.T) {
	d := NewDelta()
	nan, inf := math.NaN(), math.Inf(1)
	f := func(v float64) []*dto.MetricFamily {
		return []*dto.MetricFamily{family("x_total", dto.MetricType_COUNTER, "", counter(v, t0, "s", "a"))}
	}
	steps := []struct {
		v, want float64
		start   pcommon.Timestamp
	}{
		{1, 1, t0},
		{nan, nan, t1}, // nan - 1
		{5, 5, t2},     // restarts after NaN
		{inf, inf, t3}, // inf - 5
		{inf, inf, t3 + 60*second},
		{7, 7, t3 + 120*second},
	}
	for i, s := range steps {
		now := t1 + pcommon.Timestamp(i)*60*second
		dp := deltaAppend(d, f(s.v), now, Options{}).At(0).Sum().DataPoints().At(0)
		if math.IsNaN(s.want) {
			assert.True(t, math.IsNaN(dp.DoubleValue()), "step %d: NaN", i)
		} else {
			assert.Equal(t, s.want, dp.DoubleValue(), "step %d", i)
		}
		assert.Equal(t, s.start, dp.StartTimestamp(), "step %d", i)
	}
}

// TestDeltaExplicit: per-bucket changes, count and sum; changed bounds or
// a bucket that went down are resets.
func TestDeltaExplicit(t *testing.T) {
	d := NewDelta()
	h := func(count uint64, sum float64, bounds []float64, cums []uint64) []*dto.MetricFamily {
		return []*dto.MetricFamily{family("x_seconds", dto.MetricType_HISTOGRAM, "", classic(count, sum, bounds, cums, "s", "a"))}
	}
	type point struct {
		count  uint64
		sum    float64
		bounds []float64
		counts []uint64
		start  pcommon.Timestamp
	}
	for i, step := range []struct {
		fams []*dto.MetricFamily
		want point
	}{
		{h(3, 4, []float64{1, 2}, []uint64{1, 2}), point{3, 4, []float64{1, 2}, []uint64{1, 1, 1}, t0}},
		{h(6, 10, []float64{1, 2}, []uint64{2, 4}), point{3, 6, []float64{1, 2}, []uint64{1, 1, 1}, t1}},
		{h(6, 10, []float64{1, 2}, []uint64{2, 4}), point{0, 0, []float64{1, 2}, []uint64{0, 0, 0}, t2}},
		{h(7, 11, []float64{1, 5}, []uint64{2, 7}), point{7, 11, []float64{1, 5}, []uint64{2, 5, 0}, t3}},             // bounds changed
		{h(8, 12, []float64{1, 5}, []uint64{1, 8}), point{8, 12, []float64{1, 5}, []uint64{1, 7, 0}, t3 + 60*second}}, // bucket 1 went down
	} {
		now := t1 + pcommon.Timestamp(i)*60*second
		ms := deltaAppend(d, step.fams, now, Options{Exponential: true})
		require.Equal(t, pmetric.MetricTypeHistogram, ms.At(0).Type())
		assert.Equal(t, pmetric.AggregationTemporalityDelta, ms.At(0).Histogram().AggregationTemporality())
		dp := ms.At(0).Histogram().DataPoints().At(0)
		got := point{dp.Count(), dp.Sum(), dp.ExplicitBounds().AsRaw(), dp.BucketCounts().AsRaw(), dp.StartTimestamp()}
		assert.Equal(t, step.want, got, "step %d", i)
		assert.Equal(t, now, dp.Timestamp())
	}
}

// native returns a native histogram series (labels s=a) of schema with
// the given zero bucket and positive buckets from native index first.
func native(schema int32, zt float64, zero uint64, first int, counts ...int64) []*dto.MetricFamily {
	h := &dto.Histogram{
		Schema: proto.Int32(schema), ZeroThreshold: proto.Float64(zt), ZeroCount: proto.Uint64(zero),
		SampleSum: proto.Float64(float64(zero)), CreatedTimestamp: protoTime(t0),
	}
	total := zero
	if len(counts) > 0 {
		h.PositiveSpan = spans(first, len(counts))
		prev := int64(0)
		for _, c := range counts {
			h.PositiveDelta = append(h.PositiveDelta, c-prev)
			prev = c
			total += uint64(c)
		}
	}
	h.SampleCount = proto.Uint64(total)
	return []*dto.MetricFamily{family("x", dto.MetricType_HISTOGRAM, "", &dto.Metric{Label: labels("s", "a"), Histogram: h})}
}

// TestDeltaExponential: changes per bucket; a lower scale merges the
// previous buckets first; a wider zero bucket takes the previous buckets
// under it; a higher scale, a narrower zero bucket or a bucket that went
// down are resets.
func TestDeltaExponential(t *testing.T) {
	type point struct {
		scale  int32
		zt     float64
		zero   uint64
		count  uint64
		offset int32
		counts []uint64
		start  pcommon.Timestamp
	}
	d := NewDelta()
	// Step i is at t1 + i minutes; a reset starts at the previous step (the
	// created timestamp t0 is older).
	for i, step := range []struct {
		fams []*dto.MetricFamily
		want point
	}{
		// Scale 1: native 0, 1, 2 are OTLP -1, 0, 1.
		{native(1, 1e-3, 1, 0, 2, 3, 4), point{1, 1e-3, 1, 10, -1, []uint64{2, 3, 4}, t0}},
		// Scale 0: the previous -1, 0, 1 are -1, 0, 0 (2, 7); now native 0,
		// 1 (OTLP -1, 0) hold 3, 9.
		{native(0, 1e-3, 1, 0, 3, 9), point{0, 1e-3, 0, 3, -1, []uint64{1, 2}, t1}},
		// Zero bucket widened to 1 = the upper bound of OTLP -1: the previous
		// zero bucket holds 1+3; now 5, and native 1 (OTLP 0) holds 10.
		{native(0, 1, 5, 1, 10), point{0, 1, 1, 2, 0, []uint64{1}, t2}},
		// Unchanged: no bucket.
		{native(0, 1, 5, 1, 10), point{0, 1, 0, 0, 0, nil, t3}},
		// A bucket appears at both ends: zero runs trimmed.
		{native(0, 1, 5, 0, 2, 10, 0, 3), point{0, 1, 0, 5, -1, []uint64{2, 0, 0, 3}, t3 + 60*second}},
		// Scale up: a reset.
		{native(1, 1, 5, 2, 12), point{1, 1, 5, 17, 1, []uint64{12}, t3 + 120*second}},
		// Narrower zero bucket: a reset.
		{native(1, 0.5, 5, 2, 12), point{1, 0.5, 5, 17, 1, []uint64{12}, t3 + 180*second}},
		// A bucket went down (12 to 11, count up): a reset.
		{native(1, 0.5, 7, 2, 11), point{1, 0.5, 7, 18, 1, []uint64{11}, t3 + 240*second}},
		// Bucket gone (native 2 empty, native 3 has all): a reset.
		{native(1, 0.5, 7, 3, 20), point{1, 0.5, 7, 27, 2, []uint64{20}, t3 + 300*second}},
	} {
		now := t1 + pcommon.Timestamp(i)*60*second
		ms := deltaAppend(d, step.fams, now, Options{Exponential: true})
		require.Equal(t, pmetric.MetricTypeExponentialHistogram, ms.At(0).Type(), "step %d", i)
		assert.Equal(t, pmetric.AggregationTemporalityDelta, ms.At(0).ExponentialHistogram().AggregationTemporality())
		dp := ms.At(0).ExponentialHistogram().DataPoints().At(0)
		got := point{
			dp.Scale(), dp.ZeroThreshold(), dp.ZeroCount(), dp.Count(),
			dp.Positive().Offset(), dp.Positive().BucketCounts().AsRaw(), dp.StartTimestamp(),
		}
		assert.Equal(t, step.want, got, "step %d", i)
		assert.Equal(t, 0, dp.Negative().BucketCounts().Len(), "step %d", i)
	}
}

// TestDeltaKindChange: a family that turns from explicit to exponential
// (every series native now) starts its streams anew.
func TestDeltaKindChange(t *testing.T) {
	d := NewDelta()
	ex := []*dto.MetricFamily{family("x", dto.MetricType_HISTOGRAM, "", classic(3, 3, []float64{1}, []uint64{3}, "s", "a"))}
	deltaAppend(d, ex, t1, Options{})
	ms := deltaAppend(d, native(0, 1e-3, 0, 1, 4), t2, Options{Exponential: true})
	dp := ms.At(0).ExponentialHistogram().DataPoints().At(0)
	assert.Equal(t, uint64(4), dp.Count())
	assert.Equal(t, t0, dp.StartTimestamp())
	ms = deltaAppend(d, ex, t3, Options{})
	hp := ms.At(0).Histogram().DataPoints().At(0)
	assert.Equal(t, uint64(3), hp.Count())
	assert.Equal(t, t0, hp.StartTimestamp())
}

// TestDeltaExponentialWidenThenHalve: a producer that widened its zero
// bucket to a bound of its scale and then halved the resolution between
// two calls (client_golang does both as buckets exceed their maximum):
// the previous buckets under the threshold are merged at the previous
// scale, then the rest halved; nothing changed, so the delta is empty.
func TestDeltaExponentialWidenThenHalve(t *testing.T) {
	d := NewDelta()
	// Scale 1: native -1, 0, 1 are OTLP -2 (0.5, 0.707], -1 (0.707, 1],
	// 0 (1, 1.414].
	deltaAppend(d, native(1, 1e-3, 1, -1, 2, 3, 4), t1, Options{Exponential: true})
	// Zero bucket to 2^-0.5 (OTLP -2 in it: 1+2), then scale 0: native 0
	// (OTLP -1, (0.5, 1]) holds the 3 above the threshold, native 1 the 4.
	ms := deltaAppend(d, native(0, math.Sqrt2/2, 3, 0, 3, 4), t2, Options{Exponential: true})
	dp := ms.At(0).ExponentialHistogram().DataPoints().At(0)
	assert.Equal(t, t1, dp.StartTimestamp(), "no reset")
	assert.Equal(t, uint64(0), dp.Count())
	assert.Equal(t, uint64(0), dp.ZeroCount())
	assert.Equal(t, int32(0), dp.Scale())
	assert.Equal(t, math.Sqrt2/2, dp.ZeroThreshold())
	assert.Equal(t, 0, dp.Positive().BucketCounts().Len())
}

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

const (
	traceHex = "0102030405060708090a0b0c0d0e0f10"
	spanHex  = "a1a2a3a4a5a6a7a8"
)

// TestCumulativeSumGauge: counters become monotonic cumulative sums from
// their created timestamps, with their exemplars; gauges and untyped
// families gauges without start; label order is kept.
func TestCumulativeSumGauge(t *testing.T) {
	req1 := counter(3, t0, "model", "m1", "template", "t", "status", "success")
	req1.Counter.Exemplar = exemplar(1, t0+5_000_000_000, "trace_id", traceHex, "span_id", spanHex)
	req2 := counter(1, t0+10_000_000_000, "template", "t", "model", "m2", "status", "error")
	// No timestamp: now. A trace_id that is no trace ID stays a label.
	req2.Counter.Exemplar = exemplar(1, 0, "trace_id", "xyz", "user", "u1")
	fams := []*dto.MetricFamily{
		family("llm_requests_total", dto.MetricType_COUNTER, "LLM calls.", req1, req2),
		family("llm_budget_limit_usd", dto.MetricType_GAUGE, "Budgets.", gauge(100, "budget", "team-a", "period", "day")),
		family("legacy_ratio", dto.MetricType_UNTYPED, "Untyped.", &dto.Metric{Label: labels("a", "b"), Untyped: &dto.Untyped{Value: proto.Float64(0.25)}}),
	}
	ms := cumulative(fams, t1, Options{})
	requireGolden(t, "cumulative_sum_gauge.json", ms)

	// The same, field by field, for what the golden file holds.
	require.Equal(t, 3, ms.Len())
	m := ms.At(0)
	assert.Equal(t, "llm_requests", m.Name())
	assert.Empty(t, m.Unit())
	assert.Equal(t, "LLM calls.", m.Description())
	require.Equal(t, pmetric.MetricTypeSum, m.Type())
	assert.True(t, m.Sum().IsMonotonic())
	assert.Equal(t, pmetric.AggregationTemporalityCumulative, m.Sum().AggregationTemporality())
	dp := m.Sum().DataPoints().At(1)
	assert.Equal(t, map[string]any{"template": "t", "model": "m2", "status": "error"}, dp.Attributes().AsRaw())
	var keys []string
	for k := range dp.Attributes().All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"template", "model", "status"}, keys, "label order")
	assert.Equal(t, t0+10_000_000_000, dp.StartTimestamp())
	assert.Equal(t, t1, dp.Timestamp())
	assert.Equal(t, 1.0, dp.DoubleValue())
	ex := m.Sum().DataPoints().At(0).Exemplars().At(0)
	assert.Equal(t, pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, ex.TraceID())
	assert.Equal(t, pcommon.SpanID{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8}, ex.SpanID())
	assert.Equal(t, t0+5_000_000_000, ex.Timestamp())
	assert.Equal(t, 0, ex.FilteredAttributes().Len())
	ex = dp.Exemplars().At(0)
	assert.True(t, ex.TraceID().IsEmpty())
	assert.Equal(t, t1, ex.Timestamp())
	assert.Equal(t, map[string]any{"trace_id": "xyz", "user": "u1"}, ex.FilteredAttributes().AsRaw())
	g := ms.At(1)
	assert.Equal(t, "llm_budget_limit_usd", g.Name())
	require.Equal(t, pmetric.MetricTypeGauge, g.Type())
	assert.Equal(t, pcommon.Timestamp(0), g.Gauge().DataPoints().At(0).StartTimestamp())
	assert.Equal(t, 100.0, g.Gauge().DataPoints().At(0).DoubleValue())
	u := ms.At(2)
	assert.Equal(t, "legacy", u.Name())
	assert.Equal(t, "1", u.Unit())
	require.Equal(t, pmetric.MetricTypeGauge, u.Type())
	assert.Equal(t, 0.25, u.Gauge().DataPoints().At(0).DoubleValue())
}

// TestCumulativeHistogram: classic buckets become explicit bounds (+Inf
// left out) with per-bucket counts, float counts rounded, and the bucket
// exemplars in bucket order.
func TestCumulativeHistogram(t *testing.T) {
	h1 := classic(5, 7.5, []float64{0.5, 1, 2, math.Inf(1)}, []uint64{1, 3, 3, 5}, "model", "m1")
	h1.Histogram.Bucket[1].Exemplar = exemplar(0.75, t0+1_000_000_000, "trace_id", traceHex)
	h1.Histogram.Bucket[3].Exemplar = exemplar(9, t0+2_000_000_000, "span_id", spanHex)
	h2 := classic(4, 6, []float64{0.5, 1, 2}, []uint64{0, 0, 4}, "model", "m2")
	h3 := classic(0, 1, []float64{0.5, 1, 2}, []uint64{0, 0, 0}, "model", "m3")
	h3.Histogram.SampleCountFloat = proto.Float64(3.4)
	for i, f := range []float64{0.6, 2.5, 3.4} {
		h3.Histogram.Bucket[i].CumulativeCountFloat = proto.Float64(f)
	}
	fams := []*dto.MetricFamily{family("llm_request_duration_seconds", dto.MetricType_HISTOGRAM, "Durations.", h1, h2, h3)}
	ms := cumulative(fams, t1, Options{Exponential: true}) // no native buckets: explicit
	requireGolden(t, "cumulative_histogram.json", ms)

	m := ms.At(0)
	assert.Equal(t, "llm_request_duration", m.Name())
	assert.Equal(t, "s", m.Unit())
	require.Equal(t, pmetric.MetricTypeHistogram, m.Type())
	assert.Equal(t, pmetric.AggregationTemporalityCumulative, m.Histogram().AggregationTemporality())
	dps := m.Histogram().DataPoints()
	for i, want := range []struct {
		count  uint64
		sum    float64
		counts []uint64
	}{
		{5, 7.5, []uint64{1, 2, 0, 2}},
		{4, 6, []uint64{0, 0, 4, 0}},
		{3, 1, []uint64{1, 2, 0, 0}}, // float cumulative counts 0.6, 2.5, 3.4 round to 1, 3, 3
	} {
		dp := dps.At(i)
		assert.Equal(t, []float64{0.5, 1, 2}, dp.ExplicitBounds().AsRaw(), i)
		assert.Equal(t, want.counts, dp.BucketCounts().AsRaw(), i)
		assert.Equal(t, want.count, dp.Count(), i)
		assert.Equal(t, want.sum, dp.Sum(), i)
		assert.Equal(t, t0, dp.StartTimestamp(), i)
		assert.Equal(t, t1, dp.Timestamp(), i)
		assert.False(t, dp.HasMin() || dp.HasMax(), i)
	}
	exs := dps.At(0).Exemplars()
	require.Equal(t, 2, exs.Len())
	assert.Equal(t, 0.75, exs.At(0).DoubleValue())
	assert.Equal(t, 9.0, exs.At(1).DoubleValue())
	assert.Equal(t, pcommon.SpanID{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8}, exs.At(1).SpanID())
}

// nativeA is a native histogram of schema 0 (base 2): zero bucket 2;
// native buckets -1: 1, 0: 2, 3: 1 (spans -1+2, gap 2, 1), negative
// bucket 1: 3; classic buckets 1 and 10 beside them, and exemplars.
func nativeA() *dto.Metric {
	m := classic(9, 12, []float64{1, 10}, []uint64{5, 9}, "model", "a")
	h := m.Histogram
	h.Schema = proto.Int32(0)
	h.ZeroThreshold = proto.Float64(1e-3)
	h.ZeroCount = proto.Uint64(2)
	h.PositiveSpan = spans(-1, 2, 2, 1)
	h.PositiveDelta = []int64{1, 1, -1}
	h.NegativeSpan = spans(1, 1)
	h.NegativeDelta = []int64{3}
	h.Exemplars = []*dto.Exemplar{exemplar(6, t0+3_000_000_000, "trace_id", traceHex, "span_id", spanHex)}
	h.Bucket[0].Exemplar = exemplar(0.7, t0+4_000_000_000)
	return m
}

// TestCumulativeExponential: native buckets become exponential buckets one
// index lower, gaps filled with zeros; float counts rounded; an empty
// native histogram (client_golang's empty span) has no buckets.
func TestCumulativeExponential(t *testing.T) {
	b := &dto.Metric{Label: labels("model", "b"), Histogram: &dto.Histogram{
		SampleCountFloat: proto.Float64(4.25), SampleSum: proto.Float64(10), Schema: proto.Int32(2),
		ZeroThreshold: proto.Float64(0.5), ZeroCountFloat: proto.Float64(0.25),
		PositiveSpan: spans(3, 2), PositiveCount: []float64{1.25, 2.75},
		CreatedTimestamp: protoTime(t0),
	}}
	c := &dto.Metric{Label: labels("model", "c"), Histogram: &dto.Histogram{
		SampleCount: proto.Uint64(0), SampleSum: proto.Float64(0), Schema: proto.Int32(3),
		ZeroThreshold: proto.Float64(2.938735877055719e-39), ZeroCount: proto.Uint64(0),
		PositiveSpan: spans(0, 0), CreatedTimestamp: protoTime(t0),
	}}
	fams := []*dto.MetricFamily{family("x_seconds", dto.MetricType_HISTOGRAM, "X.", nativeA(), b, c)}
	ms := cumulative(fams, t1, Options{Exponential: true})
	requireGolden(t, "cumulative_exponential.json", ms)

	m := ms.At(0)
	assert.Equal(t, "x", m.Name())
	assert.Equal(t, "s", m.Unit())
	require.Equal(t, pmetric.MetricTypeExponentialHistogram, m.Type())
	assert.Equal(t, pmetric.AggregationTemporalityCumulative, m.ExponentialHistogram().AggregationTemporality())
	dps := m.ExponentialHistogram().DataPoints()
	a := dps.At(0)
	assert.Equal(t, int32(0), a.Scale())
	assert.Equal(t, uint64(9), a.Count())
	assert.Equal(t, 12.0, a.Sum())
	assert.Equal(t, 1e-3, a.ZeroThreshold())
	assert.Equal(t, uint64(2), a.ZeroCount())
	// Native -1 (0.25, 0.5] is OTLP -2 (2^-2, 2^-1]; native 3 (4, 8] is
	// OTLP 2 (2^2, 2^3].
	assert.Equal(t, int32(-2), a.Positive().Offset())
	assert.Equal(t, []uint64{1, 2, 0, 0, 1}, a.Positive().BucketCounts().AsRaw())
	assert.Equal(t, int32(0), a.Negative().Offset())
	assert.Equal(t, []uint64{3}, a.Negative().BucketCounts().AsRaw())
	assert.Equal(t, t0, a.StartTimestamp())
	assert.Equal(t, t1, a.Timestamp())
	require.Equal(t, 1, a.Exemplars().Len(), "the native exemplars, not the classic ones")
	assert.Equal(t, 6.0, a.Exemplars().At(0).DoubleValue())
	bp := dps.At(1)
	assert.Equal(t, int32(2), bp.Scale())
	assert.Equal(t, uint64(4), bp.Count())
	assert.Equal(t, uint64(0), bp.ZeroCount())
	assert.Equal(t, int32(2), bp.Positive().Offset())
	assert.Equal(t, []uint64{1, 3}, bp.Positive().BucketCounts().AsRaw())
	assert.Equal(t, 0, bp.Negative().BucketCounts().Len())
	cp := dps.At(2)
	assert.Equal(t, int32(3), cp.Scale())
	assert.Equal(t, 0, cp.Positive().BucketCounts().Len())
	assert.Equal(t, uint64(0), cp.Count())

	// Without Exponential, the classic buckets.
	ms = cumulative([]*dto.MetricFamily{family("x_seconds", dto.MetricType_HISTOGRAM, "X.", nativeA())}, t1, Options{})
	require.Equal(t, pmetric.MetricTypeHistogram, ms.At(0).Type())
	dp := ms.At(0).Histogram().DataPoints().At(0)
	assert.Equal(t, []float64{1, 10}, dp.ExplicitBounds().AsRaw())
	assert.Equal(t, []uint64{5, 4, 0}, dp.BucketCounts().AsRaw())
	require.Equal(t, 1, dp.Exemplars().Len(), "the classic exemplars, not the native ones")
	assert.Equal(t, 0.7, dp.Exemplars().At(0).DoubleValue())
}

// TestExponentialFallback: a family is exponential only if every series
// has native buckets an exponential histogram can hold; else explicit.
func TestExponentialFallback(t *testing.T) {
	withNative := func(f func(h *dto.Histogram)) *dto.Metric {
		m := nativeA()
		f(m.Histogram)
		return m
	}
	for name, m := range map[string]*dto.Metric{
		"classic only":   classic(1, 1, []float64{1}, []uint64{1}),
		"schema 9":       withNative(func(h *dto.Histogram) { h.Schema = proto.Int32(9) }),
		"custom buckets": withNative(func(h *dto.Histogram) { h.Schema = proto.Int32(-53) }),
		"negative gap":   withNative(func(h *dto.Histogram) { h.PositiveSpan = spans(-1, 2, -2, 1) }),
		"nil span":       withNative(func(h *dto.Histogram) { h.NegativeSpan = []*dto.BucketSpan{nil} }),
		"too wide at -4": withNative(func(h *dto.Histogram) { h.Schema = proto.Int32(-4); h.PositiveSpan = spans(0, 2, 1_000_000, 1) }),
		"too wide at -4 n": withNative(func(h *dto.Histogram) {
			h.Schema = proto.Int32(-4)
			h.NegativeSpan, h.NegativeDelta = spans(-1_000_000, 1, 2_000_000, 1), []int64{3, 0}
		}),
		// Native MinInt32 is OTLP MinInt32-1: no int32 at scale -4.
		"below int32": withNative(func(h *dto.Histogram) {
			h.Schema = proto.Int32(-4)
			h.NegativeSpan = spans(math.MinInt32, 1)
		}),
	} {
		ms := cumulative([]*dto.MetricFamily{family("x", dto.MetricType_HISTOGRAM, "", nativeA(), m)}, t1, Options{Exponential: true})
		require.Equal(t, pmetric.MetricTypeHistogram, ms.At(0).Type(), name)
		assert.Equal(t, 2, ms.At(0).Histogram().DataPoints().Len(), name)
	}
}

// TestExponentialDownscale: buckets spread wider than maxDense are merged
// to a lower scale: native -20000 and 20001 at schema 8 are OTLP -20001
// and 20000, 40002 buckets apart; at scale 6 (two halvings) -5001 and 5000.
func TestExponentialDownscale(t *testing.T) {
	m := &dto.Metric{Histogram: &dto.Histogram{
		SampleCount: proto.Uint64(7), SampleSum: proto.Float64(1), Schema: proto.Int32(8),
		PositiveSpan: spans(-20000, 1, 40000, 1), PositiveDelta: []int64{3, 1},
		NegativeSpan: spans(5, 2), NegativeDelta: []int64{0, 0},
	}}
	ms := cumulative([]*dto.MetricFamily{family("x", dto.MetricType_HISTOGRAM, "", m)}, t1, Options{Exponential: true})
	require.Equal(t, pmetric.MetricTypeExponentialHistogram, ms.At(0).Type())
	dp := ms.At(0).ExponentialHistogram().DataPoints().At(0)
	assert.Equal(t, int32(6), dp.Scale())
	assert.Equal(t, int32(-5001), dp.Positive().Offset())
	counts := dp.Positive().BucketCounts().AsRaw()
	require.Len(t, counts, 10002)
	assert.Equal(t, uint64(3), counts[0])
	assert.Equal(t, uint64(4), counts[10001])
	var total uint64
	for _, c := range counts {
		total += c
	}
	assert.Equal(t, uint64(7), total)
	// Native 5 and 6 are OTLP 4 and 5, at scale 6: 1 and 1.
	assert.Equal(t, int32(1), dp.Negative().Offset())
	assert.Equal(t, []uint64{0}, dp.Negative().BucketCounts().AsRaw())
}

// TestSummary: summaries become summaries with their quantiles.
func TestSummary(t *testing.T) {
	m := &dto.Metric{Label: labels("op", "get"), Summary: &dto.Summary{
		SampleCount: proto.Uint64(10), SampleSum: proto.Float64(2.5), CreatedTimestamp: protoTime(t0),
		Quantile: []*dto.Quantile{
			{Quantile: proto.Float64(0.5), Value: proto.Float64(0.2)},
			{Quantile: proto.Float64(0.99), Value: proto.Float64(math.NaN())},
		},
	}}
	fams := []*dto.MetricFamily{family("rpc_duration_seconds", dto.MetricType_SUMMARY, "RPCs.", m)}
	requireGolden(t, "cumulative_summary.json", cumulative(fams, t1, Options{}))
	// Delta passes summaries on as they are.
	d := NewDelta()
	for _, now := range []pcommon.Timestamp{t1, t2} {
		ms := pmetric.NewMetricSlice()
		d.Append(ms, fams, now, Options{})
		dp := ms.At(0).Summary().DataPoints().At(0)
		assert.Equal(t, uint64(10), dp.Count())
		assert.Equal(t, t0, dp.StartTimestamp())
		assert.Equal(t, now, dp.Timestamp())
	}
}

// TestEmptyAndUnusable: families without a usable series, of an
// unsupported type, or nil, add nothing; what dst holds stays.
func TestEmptyAndUnusable(t *testing.T) {
	fams := []*dto.MetricFamily{
		nil,
		family("empty_total", dto.MetricType_COUNTER, ""),
		family("wrong_total", dto.MetricType_COUNTER, "", gauge(1), nil, &dto.Metric{}),
		family("gh", dto.MetricType_GAUGE_HISTOGRAM, "", classic(1, 1, []float64{1}, []uint64{1})),
		family("bad_type", dto.MetricType(42), "", gauge(1)),
		{Metric: []*dto.Metric{counter(1, t0)}}, // no name, no type: an unnamed counter
	}
	for _, d := range []*Delta{nil, NewDelta()} {
		ms := pmetric.NewMetricSlice()
		ms.AppendEmpty().SetName("before")
		if d == nil {
			AppendCumulative(ms, fams, t1, Options{Exponential: true})
		} else {
			d.Append(ms, fams, t1, Options{Exponential: true})
		}
		require.Equal(t, 2, ms.Len())
		assert.Equal(t, "before", ms.At(0).Name())
		assert.Empty(t, ms.At(1).Name())
		assert.Equal(t, 1.0, ms.At(1).Sum().DataPoints().At(0).DoubleValue())
		AppendCumulative(ms, nil, t1, Options{})
		assert.Equal(t, 2, ms.Len())
	}
	// Only the usable series of a family count.
	ms := cumulative([]*dto.MetricFamily{family("x_total", dto.MetricType_COUNTER, "", gauge(1), counter(2, t0, "a", "b"), nil)}, t1, Options{})
	require.Equal(t, 1, ms.At(0).Sum().DataPoints().Len())
	assert.Equal(t, 2.0, ms.At(0).Sum().DataPoints().At(0).DoubleValue())
}

// TestNaNInf: values are kept as they are, NaN bits included.
func TestNaNInf(t *testing.T) {
	nan := math.Float64frombits(0x7ff0000000000002) // Prometheus' stale marker
	h := classic(1, math.NaN(), []float64{1}, []uint64{1})
	fams := []*dto.MetricFamily{
		family("a_total", dto.MetricType_COUNTER, "", counter(nan, t0, "v", "nan"), counter(math.Inf(1), t0, "v", "inf")),
		family("b", dto.MetricType_GAUGE, "", gauge(math.Inf(-1)), gauge(nan, "v", "nan")),
		family("c", dto.MetricType_HISTOGRAM, "", h),
	}
	check := func(ms pmetric.MetricSlice) {
		sums := ms.At(0).Sum().DataPoints()
		assert.Equal(t, uint64(0x7ff0000000000002), math.Float64bits(sums.At(0).DoubleValue()))
		assert.Equal(t, math.Inf(1), sums.At(1).DoubleValue())
		gauges := ms.At(1).Gauge().DataPoints()
		assert.Equal(t, math.Inf(-1), gauges.At(0).DoubleValue())
		assert.Equal(t, uint64(0x7ff0000000000002), math.Float64bits(gauges.At(1).DoubleValue()))
		assert.True(t, math.IsNaN(ms.At(2).Histogram().DataPoints().At(0).Sum()))
	}
	check(cumulative(fams, t1, Options{}))
	// A Delta's first call writes the whole values.
	ms := pmetric.NewMetricSlice()
	NewDelta().Append(ms, fams, t1, Options{})
	check(ms)
}

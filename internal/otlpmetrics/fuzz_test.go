// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package otlpmetrics

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"google.golang.org/protobuf/proto"
)

// FuzzConvert converts any family (a protobuf MetricFamily), cumulative
// and delta (twice: the second call diffs it against itself), and requires
// well-formed OTLP: at most one metric, explicit histograms with one
// bucket more than bounds, exponential ones at a native scale within
// maxDense buckets per side, the delta of an unchanged stream never more
// than its cumulative value.
func FuzzConvert(f *testing.F) {
	withSpans := nativeA()
	withSpans.Histogram.PositiveSpan = spans(-5, 3, 1_000_000, 2)
	withSpans.Histogram.PositiveDelta = []int64{1, -1, 4, -8, 2}
	seeds := []*dto.MetricFamily{
		family("a_total", dto.MetricType_COUNTER, "A.", counter(1, t0, "x", "y")),
		family("b", dto.MetricType_GAUGE, "", gauge(2)),
		family("c_seconds", dto.MetricType_HISTOGRAM, "", classic(3, 1, []float64{1, 2}, []uint64{1, 4}, "x", "y")),
		family("d", dto.MetricType_HISTOGRAM, "", nativeA(), withSpans),
		family("e", dto.MetricType_SUMMARY, "", &dto.Metric{Summary: &dto.Summary{SampleCount: proto.Uint64(1)}}),
	}
	for _, s := range seeds {
		b, err := proto.Marshal(s)
		require.NoError(f, err)
		f.Add(b, true)
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, b []byte, exponential bool) {
		fam := &dto.MetricFamily{}
		if proto.Unmarshal(b, fam) != nil {
			return
		}
		fams := []*dto.MetricFamily{fam}
		opts := Options{Exponential: exponential}
		cum := cumulative(fams, t1, opts)
		check(t, cum)
		d := NewDelta()
		first := deltaAppend(d, fams, t1, opts)
		check(t, first)
		second := deltaAppend(d, fams, t2, opts)
		check(t, second)
		require.Equal(t, cum.Len(), first.Len())
		require.Equal(t, cum.Len(), second.Len())
		if cum.Len() == 0 {
			return
		}
		switch m := cum.At(0); m.Type() {
		case pmetric.MetricTypeHistogram:
			for i := range m.Histogram().DataPoints().Len() {
				assert.LessOrEqual(t, second.At(0).Histogram().DataPoints().At(i).Count(), m.Histogram().DataPoints().At(i).Count())
			}
		case pmetric.MetricTypeExponentialHistogram:
			for i := range m.ExponentialHistogram().DataPoints().Len() {
				assert.LessOrEqual(t, second.At(0).ExponentialHistogram().DataPoints().At(i).Count(), m.ExponentialHistogram().DataPoints().At(i).Count())
			}
		default:
		}
	})
}

func check(t *testing.T, ms pmetric.MetricSlice) {
	t.Helper()
	require.LessOrEqual(t, ms.Len(), 1)
	if ms.Len() == 0 {
		return
	}
	switch m := ms.At(0); m.Type() {
	case pmetric.MetricTypeHistogram:
		for _, dp := range m.Histogram().DataPoints().All() {
			require.Equal(t, dp.ExplicitBounds().Len()+1, dp.BucketCounts().Len())
		}
	case pmetric.MetricTypeExponentialHistogram:
		for _, dp := range m.ExponentialHistogram().DataPoints().All() {
			require.GreaterOrEqual(t, dp.Scale(), int32(minSchema))
			require.LessOrEqual(t, dp.Scale(), int32(maxSchema))
			require.LessOrEqual(t, dp.Positive().BucketCounts().Len(), maxDense)
			require.LessOrEqual(t, dp.Negative().BucketCounts().Len(), maxDense)
		}
	case pmetric.MetricTypeSum:
		require.Positive(t, m.Sum().DataPoints().Len())
	case pmetric.MetricTypeGauge:
		require.Positive(t, m.Gauge().DataPoints().Len())
	case pmetric.MetricTypeSummary:
		require.Positive(t, m.Summary().DataPoints().Len())
	default:
		t.Fatalf("metric of type %v", m.Type())
	}
}

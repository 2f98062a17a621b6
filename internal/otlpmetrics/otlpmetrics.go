// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package otlpmetrics turns Prometheus metric families ([]*dto.MetricFamily,
// as a client_golang registry's Gather returns them) into OTLP metrics.
//
// One OTLP metric per family with at least one usable series (a series
// whose value matches the family's type), named by Options.Naming, its
// description the family's help:
//
//   - counter: a monotonic Sum, cumulative (AppendCumulative) or delta
//     (Delta.Append);
//   - gauge and untyped: a Gauge;
//   - histogram: a Histogram (the classic upper bounds without +Inf as
//     explicit bounds, non-cumulative bucket counts, count and sum) or, with
//     Options.Exponential and native buckets in every series, an
//     ExponentialHistogram (scale = schema, native bucket i → OTLP index
//     i-1, the zero bucket's threshold and count; buckets spread over more
//     than maxDense per side merged to a lower scale);
//   - summary: a Summary (count, sum, quantiles; OTLP summaries have no
//     temporality, so Delta passes them on as they are).
//
// Gauge histograms and families of another type are skipped. Every series
// is a data point: its label pairs are string attributes in the same
// order, its timestamp the now of the call, its start timestamp the
// series' created timestamp (gauges have none). Exemplars become exemplars:
// the trace_id and span_id labels (32 and 16 hex digits) their trace and
// span IDs, the other labels filtered attributes, an exemplar without a
// timestamp gets now. Values (NaN and ±Inf included) are kept as they are;
// float counts (the _float fields of float histograms) are rounded to
// integers, negative ones to 0.
package otlpmetrics // import "github.com/otelcol-llm/otelcol-llm/internal/otlpmetrics"

import (
	"encoding/hex"
	"math"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Options configure a conversion.
type Options struct {
	// Naming names the OTLP metrics; nil means PrometheusNaming{}.
	Naming Naming
	// Exponential makes histograms whose every series has native buckets
	// exponential histograms; else (and without it) they are explicit.
	Exponential bool
}

// AppendCumulative appends to dst the OTLP metrics of fams, with
// cumulative temporality: every counter and histogram data point holds the
// series' total since its created timestamp (its start timestamp).
func AppendCumulative(dst pmetric.MetricSlice, fams []*dto.MetricFamily, now pcommon.Timestamp, opts Options) {
	c := converter{}
	c.run(dst, fams, now, opts, nil)
}

// kind is the OTLP shape of a family or a series.
type kind uint8

const (
	kindNone kind = iota
	kindSum
	kindGauge
	kindHistogram
	kindExponential
	kindSummary
)

// converter converts families; its buffers are reused from one series to
// the next (and, in a Delta, from one call to the next).
type converter struct {
	now         pcommon.Timestamp
	naming      Naming
	exponential bool
	delta       *Delta // nil: cumulative

	explicit    explicitHist // the current series' explicit histogram
	exp         expHist      // the current series' exponential histogram
	outExplicit explicitHist // a Delta's change of explicit histograms
	out         expHist      // a Delta's change of exponential histograms
}

func (c *converter) run(dst pmetric.MetricSlice, fams []*dto.MetricFamily, now pcommon.Timestamp, opts Options, d *Delta) {
	c.now, c.naming, c.exponential, c.delta = now, opts.Naming, opts.Exponential, d
	if c.naming == nil {
		c.naming = PrometheusNaming{}
	}
	for _, f := range fams {
		if f != nil {
			c.family(dst, f)
		}
	}
}

// family appends the metric of f, if f has a usable series.
func (c *converter) family(dst pmetric.MetricSlice, f *dto.MetricFamily) {
	typ := f.GetType()
	var k kind
	switch typ {
	case dto.MetricType_COUNTER:
		k = kindSum
	case dto.MetricType_GAUGE, dto.MetricType_UNTYPED:
		k = kindGauge
	case dto.MetricType_HISTOGRAM:
		k = kindHistogram
	case dto.MetricType_SUMMARY:
		k = kindSummary
	default:
		return
	}
	n, native := 0, true
	for _, m := range f.Metric {
		if usable(m, typ) {
			n++
			native = native && k == kindHistogram && nativeOK(m.Histogram)
		}
	}
	if n == 0 {
		return
	}
	if k == kindHistogram && c.exponential && native {
		k = kindExponential
	}
	m := dst.AppendEmpty()
	name, unit := c.naming.OTLPName(f.GetName(), typ)
	m.SetName(name)
	m.SetUnit(unit)
	m.SetDescription(f.GetHelp())
	temporality := pmetric.AggregationTemporalityCumulative
	if c.delta != nil {
		temporality = pmetric.AggregationTemporalityDelta
	}
	switch k {
	case kindSum:
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(temporality)
		c.sums(s.DataPoints(), f, n)
	case kindGauge:
		c.gauges(m.SetEmptyGauge().DataPoints(), f, n)
	case kindHistogram:
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(temporality)
		c.histograms(h.DataPoints(), f, n)
	case kindExponential:
		h := m.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(temporality)
		c.exponentials(h.DataPoints(), f, n)
	case kindSummary:
		c.summaries(m.SetEmptySummary().DataPoints(), f, n)
	}
}

// usable reports whether m holds the value of a series of type typ.
func usable(m *dto.Metric, typ dto.MetricType) bool {
	if m == nil {
		return false
	}
	switch typ {
	case dto.MetricType_COUNTER:
		return m.Counter != nil
	case dto.MetricType_GAUGE:
		return m.Gauge != nil
	case dto.MetricType_UNTYPED:
		return m.Untyped != nil
	case dto.MetricType_HISTOGRAM:
		return m.Histogram != nil
	case dto.MetricType_SUMMARY:
		return m.Summary != nil
	}
	return false
}

func (c *converter) sums(dps pmetric.NumberDataPointSlice, f *dto.MetricFamily, n int) {
	dps.EnsureCapacity(n)
	for _, m := range f.Metric {
		if !usable(m, dto.MetricType_COUNTER) {
			continue
		}
		v, start := m.Counter.GetValue(), timestamp(m.Counter.CreatedTimestamp)
		var after pcommon.Timestamp
		if c.delta != nil {
			v, start, after = c.delta.counter(f.GetName(), m.Label, v, start)
		}
		dp := dps.AppendEmpty()
		putLabels(dp.Attributes(), m.Label)
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(c.now)
		dp.SetDoubleValue(v)
		if e := m.Counter.Exemplar; e != nil {
			c.putExemplar(dp.Exemplars(), e, after)
		}
	}
}

func (c *converter) gauges(dps pmetric.NumberDataPointSlice, f *dto.MetricFamily, n int) {
	dps.EnsureCapacity(n)
	typ := f.GetType()
	for _, m := range f.Metric {
		if !usable(m, typ) {
			continue
		}
		dp := dps.AppendEmpty()
		putLabels(dp.Attributes(), m.Label)
		dp.SetTimestamp(c.now)
		if typ == dto.MetricType_GAUGE {
			dp.SetDoubleValue(m.Gauge.GetValue())
		} else {
			dp.SetDoubleValue(m.Untyped.GetValue())
		}
	}
}

func (c *converter) summaries(dps pmetric.SummaryDataPointSlice, f *dto.MetricFamily, n int) {
	dps.EnsureCapacity(n)
	for _, m := range f.Metric {
		if !usable(m, dto.MetricType_SUMMARY) {
			continue
		}
		s := m.Summary
		dp := dps.AppendEmpty()
		putLabels(dp.Attributes(), m.Label)
		dp.SetStartTimestamp(timestamp(s.CreatedTimestamp))
		dp.SetTimestamp(c.now)
		dp.SetCount(s.GetSampleCount())
		dp.SetSum(s.GetSampleSum())
		qs := dp.QuantileValues()
		qs.EnsureCapacity(len(s.Quantile))
		for _, q := range s.Quantile {
			if q != nil {
				v := qs.AppendEmpty()
				v.SetQuantile(q.GetQuantile())
				v.SetValue(q.GetValue())
			}
		}
	}
}

// explicitHist is a classic histogram in OTLP terms.
type explicitHist struct {
	count  uint64
	sum    float64
	bounds []float64 // upper bounds, +Inf excluded
	counts []uint64  // per bucket, len(bounds)+1
}

// fromDTO sets e to the classic buckets of h: cumulative counts become
// per-bucket counts (a cumulative count below the previous one, bad input,
// counts 0), the +Inf bucket holds the count minus the last bound's
// cumulative count.
func (e *explicitHist) fromDTO(h *dto.Histogram) {
	e.count, e.sum = histCount(h), h.GetSampleSum()
	e.bounds, e.counts = e.bounds[:0], e.counts[:0]
	var prev uint64
	for _, b := range h.Bucket {
		if b == nil {
			continue
		}
		ub := b.GetUpperBound()
		if math.IsInf(ub, 1) {
			break
		}
		cum := b.GetCumulativeCount()
		if f := b.GetCumulativeCountFloat(); f > 0 {
			cum = floatCount(f)
		}
		e.bounds = append(e.bounds, ub)
		e.counts = append(e.counts, sub0(cum, prev))
		prev = max(prev, cum)
	}
	e.counts = append(e.counts, sub0(e.count, prev))
}

func (c *converter) histograms(dps pmetric.HistogramDataPointSlice, f *dto.MetricFamily, n int) {
	dps.EnsureCapacity(n)
	for _, m := range f.Metric {
		if !usable(m, dto.MetricType_HISTOGRAM) {
			continue
		}
		h := m.Histogram
		c.explicit.fromDTO(h)
		e, start := &c.explicit, timestamp(h.CreatedTimestamp)
		var after pcommon.Timestamp
		if c.delta != nil {
			e, start, after = c.delta.explicit(f.GetName(), m.Label, e, start)
		}
		dp := dps.AppendEmpty()
		putLabels(dp.Attributes(), m.Label)
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(c.now)
		dp.SetCount(e.count)
		dp.SetSum(e.sum)
		dp.ExplicitBounds().FromRaw(e.bounds)
		dp.BucketCounts().FromRaw(e.counts)
		c.histogramExemplars(dp.Exemplars(), h, false, after)
	}
}

func (c *converter) exponentials(dps pmetric.ExponentialHistogramDataPointSlice, f *dto.MetricFamily, n int) {
	dps.EnsureCapacity(n)
	for _, m := range f.Metric {
		if !usable(m, dto.MetricType_HISTOGRAM) {
			continue
		}
		h := m.Histogram
		c.exp.fromDTO(h)
		e, start := &c.exp, timestamp(h.CreatedTimestamp)
		var after pcommon.Timestamp
		if c.delta != nil {
			e, start, after = c.delta.exponential(f.GetName(), m.Label, e, start)
		}
		dp := dps.AppendEmpty()
		putLabels(dp.Attributes(), m.Label)
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(c.now)
		dp.SetCount(e.count)
		dp.SetSum(e.sum)
		dp.SetScale(e.scale)
		dp.SetZeroThreshold(e.zeroThreshold)
		dp.SetZeroCount(e.zero)
		e.pos.put(dp.Positive())
		e.neg.put(dp.Negative())
		c.histogramExemplars(dp.Exemplars(), h, true, after)
	}
}

// histogramExemplars appends the exemplars of h: those of the classic
// buckets, in bucket order, for an explicit histogram, the native ones for
// an exponential one; either falls back to the other when it has none.
func (c *converter) histogramExemplars(dst pmetric.ExemplarSlice, h *dto.Histogram, native bool, after pcommon.Timestamp) {
	classic := 0
	for _, b := range h.Bucket {
		if b != nil && b.Exemplar != nil {
			classic++
		}
	}
	if classic == 0 || (native && len(h.Exemplars) > 0) {
		for _, e := range h.Exemplars {
			c.putExemplar(dst, e, after)
		}
		return
	}
	for _, b := range h.Bucket {
		if b != nil && b.Exemplar != nil {
			c.putExemplar(dst, b.Exemplar, after)
		}
	}
}

// putExemplar appends e unless it is nil or, after not 0, it has a
// timestamp not after after (a Delta's previous call: an exemplar already
// sent).
func (c *converter) putExemplar(dst pmetric.ExemplarSlice, e *dto.Exemplar, after pcommon.Timestamp) {
	if e == nil {
		return
	}
	ts := c.now
	if e.Timestamp != nil {
		ts = timestamp(e.Timestamp)
		if after != 0 && ts <= after {
			return
		}
	}
	x := dst.AppendEmpty()
	x.SetTimestamp(ts)
	x.SetDoubleValue(e.GetValue())
	for _, l := range e.Label {
		if l == nil {
			continue
		}
		switch name, v := l.GetName(), l.GetValue(); {
		case name == "trace_id" && len(v) == 32:
			var id pcommon.TraceID
			if _, err := hex.Decode(id[:], []byte(v)); err == nil {
				x.SetTraceID(id)
				continue
			}
		case name == "span_id" && len(v) == 16:
			var id pcommon.SpanID
			if _, err := hex.Decode(id[:], []byte(v)); err == nil {
				x.SetSpanID(id)
				continue
			}
		}
		x.FilteredAttributes().PutStr(l.GetName(), l.GetValue())
	}
}

// putLabels sets the label pairs as string attributes, in their order.
func putLabels(attrs pcommon.Map, labels []*dto.LabelPair) {
	attrs.EnsureCapacity(len(labels))
	for _, l := range labels {
		// An empty label value is no label (as in Prometheus): the
		// semantic-convention profiles leave error.type empty on success.
		if l != nil && l.GetValue() != "" {
			attrs.PutStr(l.GetName(), l.GetValue())
		}
	}
}

// timestamp converts t (nil or before 1970: 0).
func timestamp(t *timestamppb.Timestamp) pcommon.Timestamp {
	s, ns := t.GetSeconds(), t.GetNanos()
	if s < 0 || (s == 0 && ns <= 0) {
		return 0
	}
	if uint64(s) >= math.MaxUint64/1_000_000_000-1 {
		return math.MaxUint64
	}
	return pcommon.Timestamp(uint64(s)*1e9 + uint64(min(max(ns, 0), 999_999_999)))
}

// histCount is the count of h: sample_count_float if > 0, else
// sample_count.
func histCount(h *dto.Histogram) uint64 {
	if f := h.GetSampleCountFloat(); f > 0 {
		return floatCount(f)
	}
	return h.GetSampleCount()
}

// floatCount rounds a float count to an integer: NaN and negative to 0,
// too large to the largest.
func floatCount(f float64) uint64 {
	switch {
	case !(f > 0):
		return 0
	case f >= math.MaxUint64:
		return math.MaxUint64
	}
	return uint64(math.Round(f))
}

// sub0 is a-b, 0 if b > a.
func sub0(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package otlpmetrics // import "github.com/otelcol-llm/otelcol-llm/internal/otlpmetrics"

import (
	"math"
	"slices"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Native histograms in OTLP terms.
//
// A native histogram of schema s has buckets of base b = 2^(2^-s): bucket
// i holds the observations in (b^(i-1), b^i] (negative ones: [-b^i,
// -b^(i-1))); those of an OTLP exponential histogram of scale s, the same
// base, are indexed one lower: index k holds (b^k, b^(k+1)]. So native
// bucket i is OTLP bucket i-1, and the zero bucket (threshold and count)
// is the same. Native buckets are sparse (spans of consecutive buckets,
// counts as deltas from the previous bucket, or absolute float counts);
// OTLP buckets are dense from an offset, so gaps become zeros.
const (
	// minSchema and maxSchema bound the exponential native schemas (other
	// schemas, such as custom bucket histograms, are not exponential) and
	// the scales Prometheus' OTLP receiver accepts.
	minSchema = -4
	maxSchema = 8
	// maxDense bounds the dense buckets of one side. Buckets spread wider
	// (far apart observations at a high schema, or bad spans) are merged to
	// a lower scale until they fit, exactly as a lower schema would have
	// counted them; a histogram that does not fit at the lowest scale is
	// converted as an explicit histogram.
	maxDense = 1 << 14
)

// expSide is one side of an exponential histogram: counts[i] is the
// count of OTLP bucket offset+i.
type expSide struct {
	offset int32
	counts []uint64
}

// expHist is an exponential histogram in OTLP terms.
type expHist struct {
	count         uint64
	sum           float64
	scale         int32
	zeroThreshold float64
	zero          uint64
	pos, neg      expSide
}

// isNative reports whether h has native buckets: spans or a zero bucket,
// as Prometheus decides (client_golang gives a native histogram without
// observations an empty span for that purpose).
func isNative(h *dto.Histogram) bool {
	return len(h.GetPositiveSpan()) > 0 || len(h.GetNegativeSpan()) > 0 ||
		h.GetZeroThreshold() > 0 || h.GetZeroCount() > 0 || h.GetZeroCountFloat() > 0
}

// nativeOK reports whether h has native buckets that an exponential
// histogram can hold.
func nativeOK(h *dto.Histogram) bool {
	if !isNative(h) {
		return false
	}
	_, ok := nativeShift(h)
	return ok
}

// nativeShift returns by how much h's schema must be lowered for its
// buckets to fit maxDense per side, and false if its schema is not
// exponential, its spans are malformed (a negative gap after the first),
// or they do not fit at minSchema.
func nativeShift(h *dto.Histogram) (int32, bool) {
	schema := h.GetSchema()
	if schema < minSchema || schema > maxSchema {
		return 0, false
	}
	pf, pl, pAny, pOK := nativeRange(h.PositiveSpan, sideLen(h.PositiveDelta, h.PositiveCount))
	nf, nl, nAny, nOK := nativeRange(h.NegativeSpan, sideLen(h.NegativeDelta, h.NegativeCount))
	if !pOK || !nOK {
		return 0, false
	}
	fits := func(first, last int64, found bool, shift int32) bool {
		if !found {
			return true
		}
		lo, hi := (first-1)>>shift, (last-1)>>shift
		return hi-lo < maxDense && lo >= math.MinInt32 && hi <= math.MaxInt32
	}
	for shift := int32(0); schema-shift >= minSchema; shift++ {
		if fits(pf, pl, pAny, shift) && fits(nf, nl, nAny, shift) {
			return shift, true
		}
	}
	return 0, false
}

// sideLen is the number of bucket counts of a side: its deltas, else its
// float counts.
func sideLen(deltas []int64, counts []float64) int {
	if len(deltas) > 0 {
		return len(deltas)
	}
	return len(counts)
}

// nativeRange returns the first and last native index of the buckets that
// spans give the n counts of a side (found: there is one), and false if a
// span is nil or a gap after the first span is negative. Buckets beyond
// the counts, and counts beyond the buckets, are ignored.
func nativeRange(spans []*dto.BucketSpan, n int) (first, last int64, found, ok bool) {
	var idx int64
	left := int64(n)
	for i, sp := range spans {
		if sp == nil || (i > 0 && sp.GetOffset() < 0) {
			return 0, 0, false, false
		}
		idx += int64(sp.GetOffset())
		l := int64(sp.GetLength())
		if take := min(l, left); take > 0 {
			if !found {
				first, found = idx, true
			}
			last = idx + take - 1
			left -= take
		}
		idx += l
	}
	return first, last, found, true
}

// fromDTO sets e to the native buckets of h, for which nativeOK holds.
func (e *expHist) fromDTO(h *dto.Histogram) {
	shift, _ := nativeShift(h)
	e.count, e.sum = histCount(h), h.GetSampleSum()
	e.scale = h.GetSchema() - shift
	e.zeroThreshold = h.GetZeroThreshold()
	e.zero = h.GetZeroCount()
	if f := h.GetZeroCountFloat(); f > 0 {
		e.zero = floatCount(f)
	}
	e.pos.fromNative(h.PositiveSpan, h.PositiveDelta, h.PositiveCount, shift)
	e.neg.fromNative(h.NegativeSpan, h.NegativeDelta, h.NegativeCount, shift)
}

// fromNative sets s to the buckets of a native side (spans, and deltas or
// else float counts), native bucket i at OTLP index (i-1)>>shift. A
// running count of deltas below 0 (bad input) counts 0.
func (s *expSide) fromNative(spans []*dto.BucketSpan, deltas []int64, counts []float64, shift int32) {
	s.offset, s.counts = 0, s.counts[:0]
	n := sideLen(deltas, counts)
	first, last, found, _ := nativeRange(spans, n)
	if !found {
		return
	}
	lo, hi := (first-1)>>shift, (last-1)>>shift
	s.offset = int32(lo)
	s.counts = slices.Grow(s.counts, int(hi-lo+1))[:hi-lo+1]
	clear(s.counts)
	var idx, cur int64
	j := 0
	for _, sp := range spans {
		idx += int64(sp.GetOffset())
		l := int64(sp.GetLength())
		for b := int64(0); b < l && j < n; b++ {
			var v uint64
			if len(deltas) > 0 {
				cur += deltas[j]
				v = uint64(max(cur, 0))
			} else {
				v = floatCount(counts[j])
			}
			s.counts[((idx+b-1)>>shift)-lo] += v
			j++
		}
		idx += l
	}
}

// put sets b to s.
func (s *expSide) put(b pmetric.ExponentialHistogramDataPointBuckets) {
	b.SetOffset(s.offset)
	b.BucketCounts().FromRaw(s.counts)
}

// downscale lowers the scale of s by by: bucket k becomes k>>by (each
// bucket of the lower scale is 2^by buckets of the higher one).
func (s *expSide) downscale(by int32) {
	lo := int64(s.offset) >> by
	if len(s.counts) == 0 {
		s.offset = int32(lo)
		return
	}
	// Targets never pass their source (j <= i) and grow with i, so the
	// merge can run in place.
	for i, v := range s.counts {
		if j := ((int64(s.offset) + int64(i)) >> by) - lo; j != int64(i) {
			s.counts[j] += v
			s.counts[i] = 0
		}
	}
	n := ((int64(s.offset)+int64(len(s.counts))-1)>>by - lo) + 1
	s.offset, s.counts = int32(lo), s.counts[:n]
}

// mergeBelow removes the lowest buckets of s (at scale) whose upper bound
// is at most threshold, and returns their count: what a zero bucket
// widened to threshold holds of them.
func (s *expSide) mergeBelow(threshold float64, scale int32) uint64 {
	var moved uint64
	i := 0
	for i < len(s.counts) && upperBound(int64(s.offset)+int64(i), scale) <= threshold*(1+1e-12) {
		moved += s.counts[i]
		i++
	}
	if i > 0 {
		n := copy(s.counts, s.counts[i:])
		s.counts = s.counts[:n]
		s.offset += int32(i)
	}
	return moved
}

// upperBound is the upper bound of the magnitudes of OTLP bucket k at
// scale: base^(k+1).
func upperBound(k int64, scale int32) float64 {
	if scale <= 0 {
		return math.Ldexp(1, int((k+1)<<-scale))
	}
	return math.Exp2(float64(k+1) / float64(int64(1)<<scale))
}

// copyFrom sets e to a copy of o, reusing e's buckets.
func (e *expHist) copyFrom(o *expHist) {
	e.pos.counts = append(e.pos.counts[:0], o.pos.counts...)
	e.neg.counts = append(e.neg.counts[:0], o.neg.counts...)
	e.count, e.sum, e.scale = o.count, o.sum, o.scale
	e.zeroThreshold, e.zero = o.zeroThreshold, o.zero
	e.pos.offset, e.neg.offset = o.pos.offset, o.neg.offset
}

// diff sets s to cur - prev (buckets at cur's offsets, zero runs at both
// ends trimmed) and reports false if a bucket of prev is missing from cur
// or larger: a reset.
func (s *expSide) diff(cur, prev *expSide) bool {
	at := func(x *expSide, k int64) uint64 {
		if i := k - int64(x.offset); i >= 0 && i < int64(len(x.counts)) {
			return x.counts[i]
		}
		return 0
	}
	for i, v := range prev.counts {
		if v > at(cur, int64(prev.offset)+int64(i)) {
			return false
		}
	}
	s.counts = s.counts[:0]
	first := -1
	for i, v := range cur.counts {
		v -= at(prev, int64(cur.offset)+int64(i))
		if v != 0 && first < 0 {
			first = i
		}
		s.counts = append(s.counts, v)
	}
	if first < 0 {
		s.offset, s.counts = 0, s.counts[:0]
		return true
	}
	last := len(s.counts) - 1
	for s.counts[last] == 0 {
		last--
	}
	n := copy(s.counts, s.counts[first:last+1])
	s.offset, s.counts = cur.offset+int32(first), s.counts[:n]
	return true
}

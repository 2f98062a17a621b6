// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package recorder // import "github.com/otelcol-llm/otelcol-llm/internal/recorder"

import (
	"math"
	"slices"
)

// Native histogram constants, as in Prometheus and client_golang.
const (
	minSchema = -4
	maxSchema = 8
	// zeroThreshold is client_golang's default: observations of magnitude
	// up to 2^-128 go to the zero bucket.
	zeroThreshold = 2.938735877055719e-39
	// nativeExemplars is how many recent exemplars a native histogram keeps
	// (client_golang's default).
	nativeExemplars = 10
)

// histShape is what the histograms of one metric family share.
type histShape struct {
	bounds     []float64 // classic upper bounds, sorted, +Inf excluded
	native     bool
	schema     int32  // initial native schema
	maxBuckets uint32 // maximum number of populated native buckets (positive + negative); 0: no limit
}

// histogram is one classic + native histogram. It is not safe for concurrent
// use: its series' mutex guards it.
//
// Native buckets are kept as sorted (key, count) slices. Past maxBuckets
// populated buckets, each observation halves the resolution once (the schema
// decreases and neighboring buckets merge), down to schema -4: exactly what a
// client_golang histogram does with NativeHistogramMaxBucketNumber =
// maxBuckets, NativeHistogramMinResetDuration 0 and
// NativeHistogramMaxZeroThreshold 0 (limitBuckets → doubleBucketWidth; it
// never resets the histogram and never widens the zero bucket), so its counts
// only grow (TestRecorderMatchesClientGolang). Memory per histogram stays
// bounded: an observation adds at most one bucket and a histogram halves at
// most 12 times (schema 8 to -4), so it holds at most maxBuckets + 12 buckets,
// or what schema -4 allows above the zero threshold (keys -7 to 65 per sign).
type histogram struct {
	shape   *histShape
	created int64 // Unix nanoseconds
	count   uint64
	sum     float64
	buckets []uint64 // classic, not cumulative; the last one is +Inf

	schema   int32
	zero     uint64
	pos, neg sparseBuckets

	exemplars []exemplar // per classic bucket, +Inf included
	recent    [nativeExemplars]exemplar
	recentPos int
}

// sparseBuckets are the populated native buckets of one sign, by key.
type sparseBuckets struct {
	keys   []int
	counts []uint64
}

func newHistogram(shape *histShape, created int64, withExemplars bool) *histogram {
	h := &histogram{
		shape:   shape,
		created: created,
		buckets: make([]uint64, len(shape.bounds)+1),
		schema:  shape.schema,
	}
	if withExemplars {
		h.exemplars = make([]exemplar, len(shape.bounds)+1)
	}
	return h
}

// observe adds v; ex, when set, becomes the exemplar of v's bucket.
func (h *histogram) observe(v float64, ex *exemplar) {
	b := classicBucket(h.shape.bounds, v)
	h.buckets[b]++
	h.count++
	h.sum += v
	if h.shape.native && !math.IsNaN(v) {
		h.observeNative(v)
	}
	if ex != nil && h.exemplars != nil {
		e := *ex
		e.value = v
		h.exemplars[b] = e
		if h.shape.native && !math.IsNaN(v) {
			h.recent[h.recentPos] = e
			h.recentPos = (h.recentPos + 1) % nativeExemplars
		}
	}
}

func classicBucket(bounds []float64, v float64) int {
	for i, b := range bounds {
		if v <= b {
			return i
		}
	}
	return len(bounds)
}

func (h *histogram) observeNative(v float64) {
	switch {
	case v > zeroThreshold:
		h.pos.add(nativeKey(v, h.schema))
	case v < -zeroThreshold:
		h.neg.add(nativeKey(-v, h.schema))
	default:
		h.zero++
	}
	// client_golang's limitBuckets, checked after every observation: one
	// halving per observation, even when it leaves the buckets above the limit.
	if limit := h.shape.maxBuckets; limit > 0 && uint32(len(h.pos.keys)+len(h.neg.keys)) > limit && h.schema > minSchema {
		h.schema--
		h.pos.merge()
		h.neg.merge()
	}
}

// nativeKey is the native bucket key of v > 0 at schema (Prometheus's
// exponential bucketing: bucket k holds (base^(k-1), base^k], base = 2^2^-schema).
func nativeKey(v float64, schema int32) int {
	// Fast path, positive schemas and normal finite v: the exponent and the
	// fraction come from the bits, and the fraction's top 8 bits give the
	// first candidate bound (nativeStart); at most two steps follow.
	if bits := math.Float64bits(v); schema > 0 {
		if e := int(bits>>52) & 0x7ff; e != 0 && e != 0x7ff {
			frac := math.Float64frombits(bits&(1<<52-1) | 1022<<52) // in [0.5, 1), as math.Frexp
			bounds := nativeBounds[schema]
			i := int(nativeStart[schema][bits>>44&0xff])
			for i < len(bounds) && bounds[i] < frac {
				i++
			}
			return i + (e-1022-1)*len(bounds)
		}
	}
	return nativeKeyFrexp(v, schema)
}

// nativeKeyFrexp is nativeKey for every v > 0, written as client_golang does.
func nativeKeyFrexp(v float64, schema int32) int {
	isInf := math.IsInf(v, 1)
	if isInf {
		v = math.MaxFloat64
	}
	frac, exp := math.Frexp(v)
	var key int
	if schema > 0 {
		bounds := nativeBounds[schema]
		// sort.SearchFloat64s(bounds, frac), inlined: the first i with bounds[i] >= frac.
		lo, hi := 0, len(bounds)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if bounds[mid] < frac {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		key = lo + (exp-1)*len(bounds)
	} else {
		key = exp
		if frac == 0.5 {
			key--
		}
		offset := (1 << -schema) - 1
		key = (key + offset) >> -schema
	}
	if isInf {
		key++
	}
	return key
}

// nativeStart[s][c] is the first index i of nativeBounds[s] with
// nativeBounds[s][i] >= 0.5 + c/512: the fractions whose top 8 bits are c
// lie in [0.5 + c/512, 0.5 + (c+1)/512), so their bucket index is at least it.
var nativeStart = func() (t [maxSchema + 1][256]uint16) {
	for s := 1; s <= maxSchema; s++ {
		bounds := nativeBounds[s]
		for c := range 256 {
			lo := 0.5 + float64(c)/512
			i := 0
			for i < len(bounds) && bounds[i] < lo {
				i++
			}
			t[s][c] = uint16(i)
		}
	}
	return t
}()

// add counts one observation in bucket key.
func (b *sparseBuckets) add(key int) {
	lo, hi := 0, len(b.keys)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if b.keys[mid] < key {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(b.keys) && b.keys[lo] == key {
		b.counts[lo]++
		return
	}
	b.keys = slices.Insert(b.keys, lo, key)
	b.counts = slices.Insert(b.counts, lo, 1)
}

// merge halves the resolution: buckets 2k-1 and 2k become bucket k.
func (b *sparseBuckets) merge() {
	n := 0
	for i, k := range b.keys {
		k = mergedKey(k)
		if n > 0 && b.keys[n-1] == k {
			b.counts[n-1] += b.counts[i]
			continue
		}
		b.keys[n], b.counts[n] = k, b.counts[i]
		n++
	}
	b.keys, b.counts = b.keys[:n], b.counts[:n]
}

// mergedKey is the key at schema-1 of the bucket key at schema.
func mergedKey(key int) int {
	if key > 0 {
		key++
	}
	return key / 2
}

// pickSchema returns the largest schema in [-4, 8] whose bucket growth
// factor 2^2^-schema is at most factor (> 1), as client_golang does.
func pickSchema(factor float64) int32 {
	floor := math.Floor(math.Log2(math.Log2(factor)))
	switch {
	case floor <= -maxSchema:
		return maxSchema
	case floor >= -minSchema:
		return minSchema
	default:
		return -int32(floor)
	}
}

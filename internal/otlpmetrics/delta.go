// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package otlpmetrics // import "github.com/otelcol-llm/otelcol-llm/internal/otlpmetrics"

import (
	"encoding/binary"
	"math"
	"slices"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Delta converts families with delta temporality: it remembers the last
// values of every stream (a family's series: its name and label pairs)
// and writes the change since the previous call, from the previous call's
// time to now.
//
// A new stream writes its whole value, from its created timestamp (else
// from the previous call's time, or 0 on the first call). A reset (a
// counter that went down; a histogram whose count, zero bucket or a
// bucket went down, whose bounds changed, whose scale rose or whose zero
// threshold shrank; a created timestamp that changed) writes the new
// value whole, from its created timestamp if that is after the previous
// call, else from the previous call's time. A counter whose previous value
// was NaN or infinite restarts likewise. An exponential histogram whose
// scale went down (client_golang halves the resolution of a histogram
// with too many buckets) or whose zero threshold widened is compared with
// its previous buckets merged the same way. The exemplars of a data point
// are those with a timestamp after the previous call or without one (all
// of them for a new or reset stream).
//
// Gauges and summaries are written as AppendCumulative writes them.
// Streams absent from a call are forgotten: one that comes back is new.
// Not safe for concurrent use.
type Delta struct {
	c       converter
	streams map[string]*stream
	prev    pcommon.Timestamp // the previous call's now
	gen     uint64            // the number of calls
	key     []byte
}

// stream is the state of one stream: its values at the previous call.
type stream struct {
	seen     uint64 // the call that saw it last
	kind     kind
	created  pcommon.Timestamp
	value    float64
	explicit explicitHist
	exp      expHist
}

// NewDelta returns a Delta that has seen nothing.
func NewDelta() *Delta {
	return &Delta{streams: map[string]*stream{}}
}

// Append appends to dst the OTLP metrics of fams, with delta temporality.
func (d *Delta) Append(dst pmetric.MetricSlice, fams []*dto.MetricFamily, now pcommon.Timestamp, opts Options) {
	d.gen++
	d.c.run(dst, fams, now, opts, d)
	for k, s := range d.streams {
		if s.seen != d.gen {
			delete(d.streams, k)
		}
	}
	d.prev = now
}

// stream returns the state of the series labels of family, and whether it
// is fresh: new, or of another kind before.
func (d *Delta) stream(family string, labels []*dto.LabelPair, k kind) (*stream, bool) {
	d.key = binary.AppendUvarint(d.key[:0], uint64(len(family)))
	d.key = append(d.key, family...)
	for _, l := range labels {
		if l == nil {
			continue
		}
		name, v := l.GetName(), l.GetValue()
		d.key = binary.AppendUvarint(d.key, uint64(len(name)))
		d.key = append(d.key, name...)
		d.key = binary.AppendUvarint(d.key, uint64(len(v)))
		d.key = append(d.key, v...)
	}
	s := d.streams[string(d.key)]
	if s == nil {
		s = &stream{}
		d.streams[string(d.key)] = s
	}
	fresh := s.seen == 0 || s.kind != k
	s.seen, s.kind = d.gen, k
	return s, fresh
}

// restart is the start of a stream that is fresh or was reset.
func (d *Delta) restart(created pcommon.Timestamp, fresh bool) pcommon.Timestamp {
	if created != 0 && (fresh || created > d.prev) {
		return created
	}
	return d.prev
}

// counter returns the delta of a counter's value v, its start, and the
// time after which its exemplars are new.
func (d *Delta) counter(family string, labels []*dto.LabelPair, v float64, created pcommon.Timestamp) (delta float64, start, after pcommon.Timestamp) {
	s, fresh := d.stream(family, labels, kindSum)
	prev, prevCreated := s.value, s.created
	s.value, s.created = v, created
	if fresh || v < prev || math.IsNaN(prev) || math.IsInf(prev, 0) || created != prevCreated {
		return v, d.restart(created, fresh), 0
	}
	return v - prev, d.prev, d.prev
}

// explicit returns the delta of an explicit histogram cur (cur itself
// after a reset, else d.c's scratch), its start, and the time after which
// its exemplars are new.
func (d *Delta) explicit(family string, labels []*dto.LabelPair, cur *explicitHist, created pcommon.Timestamp) (*explicitHist, pcommon.Timestamp, pcommon.Timestamp) {
	s, fresh := d.stream(family, labels, kindHistogram)
	p := &s.explicit
	reset := fresh || created != s.created || cur.count < p.count || !slices.Equal(cur.bounds, p.bounds)
	for i := 0; !reset && i < len(cur.counts); i++ {
		reset = cur.counts[i] < p.counts[i]
	}
	out := &d.c.outExplicit
	if !reset {
		out.count, out.sum = cur.count-p.count, cur.sum-p.sum
		out.bounds = append(out.bounds[:0], cur.bounds...)
		out.counts = out.counts[:0]
		for i, v := range cur.counts {
			out.counts = append(out.counts, v-p.counts[i])
		}
	}
	s.created = created
	p.count, p.sum = cur.count, cur.sum
	p.bounds = append(p.bounds[:0], cur.bounds...)
	p.counts = append(p.counts[:0], cur.counts...)
	if reset {
		return cur, d.restart(created, fresh), 0
	}
	return out, d.prev, d.prev
}

// exponential returns the delta of an exponential histogram cur (cur
// itself after a reset, else d.c's scratch), its start, and the time after
// which its exemplars are new.
func (d *Delta) exponential(family string, labels []*dto.LabelPair, cur *expHist, created pcommon.Timestamp) (*expHist, pcommon.Timestamp, pcommon.Timestamp) {
	s, fresh := d.stream(family, labels, kindExponential)
	out := &d.c.out
	ok := !fresh && created == s.created && out.diff(cur, &s.exp)
	s.created = created
	s.exp.copyFrom(cur)
	if !ok {
		return cur, d.restart(created, fresh), 0
	}
	return out, d.prev, d.prev
}

// diff sets e to cur - prev and reports false on a reset. It aligns prev
// with cur first (prev is changed): its lowest buckets into the zero
// bucket when cur's zero threshold is wider, then to cur's lower scale.
func (e *expHist) diff(cur, prev *expHist) bool {
	if cur.scale > prev.scale || cur.zeroThreshold < prev.zeroThreshold || cur.count < prev.count {
		return false
	}
	// The wider zero threshold is a bucket bound at the scale the producer
	// widened it at, at most prev's and at least cur's, so a bound at
	// prev's scale: merge there, then lower the scale.
	if cur.zeroThreshold > prev.zeroThreshold {
		prev.zero += prev.pos.mergeBelow(cur.zeroThreshold, prev.scale) + prev.neg.mergeBelow(cur.zeroThreshold, prev.scale)
		prev.zeroThreshold = cur.zeroThreshold
	}
	if by := prev.scale - cur.scale; by > 0 {
		prev.pos.downscale(by)
		prev.neg.downscale(by)
		prev.scale = cur.scale
	}
	if cur.zero < prev.zero {
		return false
	}
	e.count, e.sum = cur.count-prev.count, cur.sum-prev.sum
	e.scale, e.zeroThreshold, e.zero = cur.scale, cur.zeroThreshold, cur.zero-prev.zero
	return e.pos.diff(&cur.pos, &prev.pos) && e.neg.diff(&cur.neg, &prev.neg)
}

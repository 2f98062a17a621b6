package recorder // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"

import (
	"encoding/hex"
	"io"
	"math"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of io.prometheus.client (client_model's metrics.proto) and
// google.protobuf.Timestamp.
const (
	fFamilyName, fFamilyHelp, fFamilyType, fFamilyMetric = 1, 2, 3, 4
	fMetricCounter, fMetricHistogram                     = 3, 7
	fCounterValue, fCounterExemplar, fCounterCreated     = 1, 2, 3
	fHistCount, fHistSum, fHistBucket                    = 1, 2, 3
	fHistSchema, fHistZeroThreshold, fHistZeroCount      = 5, 6, 7
	fHistNegSpan, fHistNegDelta                          = 9, 10
	fHistPosSpan, fHistPosDelta                          = 12, 13
	fHistCreated, fHistExemplars                         = 15, 16
	fBucketCount, fBucketBound, fBucketExemplar          = 1, 2, 3
	fSpanOffset, fSpanLength                             = 1, 2
	fExemplarLabel, fExemplarValue, fExemplarTimestamp   = 1, 2, 3
	fTimestampSeconds, fTimestampNanos                   = 1, 2
)

// protoFamilyHeads renders each family's name, help and type fields.
func protoFamilyHeads(names familyNames) map[string]string {
	out := make(map[string]string, len(names.order))
	for _, short := range names.order {
		typ := dto.MetricType_COUNTER
		if isHistogram(short) {
			typ = dto.MetricType_HISTOGRAM
		}
		var b []byte
		b = protowire.AppendTag(b, fFamilyName, protowire.BytesType)
		b = protowire.AppendString(b, names.full[short])
		b = protowire.AppendTag(b, fFamilyHelp, protowire.BytesType)
		b = protowire.AppendString(b, helps[short])
		b = protowire.AppendTag(b, fFamilyType, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(typ))
		out[short] = string(b)
	}
	return out
}

// WriteProto writes every family as a length-delimited
// io.prometheus.client.MetricFamily, byte for byte what a promhttp handler
// writes from Gather's families for the delimited protobuf format
// (TestWriteProtoMatchesGather), without building them. Each series is copied
// under its lock and written after. It returns the first error of w.
func (r *Recorder) WriteProto(w io.Writer) error {
	p := &protoWriter{w: w, heads: r.protoHeads, out: make([]byte, 0, textFlushSize+4<<10)}
	r.walk(p, true, true)
	p.endFamily()
	p.flush()
	return p.err
}

// protoWriter writes one protobuf scrape, a family at a time.
type protoWriter struct {
	w     io.Writer
	heads map[string]string
	shape *histShape
	fam   []byte // the family being built, without its length
	msg   []byte // the counter or histogram being built
	sub   []byte // a bucket, span or exemplar being built
	ex    []byte // an exemplar being built
	out   []byte
	err   error
}

func (p *protoWriter) failed() bool { return p.err != nil }

func (p *protoWriter) family(short string, shape *histShape) {
	p.endFamily()
	p.fam = append(p.fam[:0], p.heads[short]...)
	p.shape = shape
}

func (p *protoWriter) endFamily() {
	if len(p.fam) == 0 {
		return
	}
	p.out = protowire.AppendVarint(p.out, uint64(len(p.fam)))
	p.out = append(p.out, p.fam...)
	p.fam = p.fam[:0]
	if len(p.out) >= textFlushSize {
		p.flush()
	}
}

func (p *protoWriter) flush() {
	if p.err == nil && len(p.out) > 0 {
		_, p.err = p.w.Write(p.out)
	}
	p.out = p.out[:0]
}

// metric appends a Metric of the labels and p.msg (field num) to the family.
func (p *protoWriter) metric(labels *labelSet, num protowire.Number) {
	n := len(labels.proto) + protowire.SizeTag(num) + protowire.SizeBytes(len(p.msg))
	p.fam = protowire.AppendTag(p.fam, fFamilyMetric, protowire.BytesType)
	p.fam = protowire.AppendVarint(p.fam, uint64(n))
	p.fam = append(p.fam, labels.proto...)
	p.fam = protowire.AppendTag(p.fam, num, protowire.BytesType)
	p.fam = protowire.AppendBytes(p.fam, p.msg)
}

func (p *protoWriter) counter(labels *labelSet, c *counter) {
	b := protowire.AppendTag(p.msg[:0], fCounterValue, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(c.value))
	if c.ex.ok {
		b = protowire.AppendTag(b, fCounterExemplar, protowire.BytesType)
		b = protowire.AppendBytes(b, p.exemplar(&c.ex))
	}
	b = appendTimestamp(b, fCounterCreated, c.created)
	p.msg = b
	p.metric(labels, fMetricCounter)
}

func (p *protoWriter) histogram(labels *labelSet, h *histSnapshot) {
	b := protowire.AppendTag(p.msg[:0], fHistCount, protowire.VarintType)
	b = protowire.AppendVarint(b, h.count)
	b = protowire.AppendTag(b, fHistSum, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(h.sum))
	bounds := p.shape.bounds
	var cum uint64
	for i, n := range h.buckets {
		cum += n
		inf := i == len(bounds)
		var ex *exemplar
		if i < len(h.exemplars) && h.exemplars[i].ok {
			ex = &h.exemplars[i]
		}
		if inf && ex == nil {
			break // the +Inf bucket is implied by the count unless it carries an exemplar
		}
		bound := math.Inf(1)
		if inf {
			cum = h.count
		} else {
			bound = bounds[i]
		}
		s := protowire.AppendTag(p.sub[:0], fBucketCount, protowire.VarintType)
		s = protowire.AppendVarint(s, cum)
		s = protowire.AppendTag(s, fBucketBound, protowire.Fixed64Type)
		s = protowire.AppendFixed64(s, math.Float64bits(bound))
		if ex != nil {
			s = protowire.AppendTag(s, fBucketExemplar, protowire.BytesType)
			s = protowire.AppendBytes(s, p.exemplar(ex))
		}
		p.sub = s
		b = protowire.AppendTag(b, fHistBucket, protowire.BytesType)
		b = protowire.AppendBytes(b, s)
	}
	if h.native {
		b = protowire.AppendTag(b, fHistSchema, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(h.schema)))
		b = protowire.AppendTag(b, fHistZeroThreshold, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(zeroThreshold))
		b = protowire.AppendTag(b, fHistZeroCount, protowire.VarintType)
		b = protowire.AppendVarint(b, h.zero)
		b = p.appendSpans(b, &h.neg, fHistNegSpan, fHistNegDelta)
		b = p.appendSpans(b, &h.pos, fHistPosSpan, fHistPosDelta)
	}
	b = appendTimestamp(b, fHistCreated, h.created)
	for i := range h.recent {
		b = protowire.AppendTag(b, fHistExemplars, protowire.BytesType)
		b = protowire.AppendBytes(b, p.exemplar(&h.recent[i]))
	}
	p.msg = b
	p.metric(labels, fMetricHistogram)
}

// appendSpans appends the bucket spans, then the deltas, of one sign, as
// sparseBuckets.spans computes them.
func (p *protoWriter) appendSpans(b []byte, sb *sparseBuckets, spanNum, deltaNum protowire.Number) []byte {
	if len(sb.keys) == 0 {
		return b
	}
	// Spans: (offset, length) pairs; gaps of one or two empty buckets stay
	// inside a span.
	type span struct {
		offset int32
		length uint32
	}
	var spans [64]span
	ss := spans[:0]
	next := 0
	for i, key := range sb.keys {
		gap := key - next
		if i == 0 || gap > 2 {
			ss = append(ss, span{offset: int32(gap)})
		} else {
			ss[len(ss)-1].length += uint32(gap)
		}
		ss[len(ss)-1].length++
		next = key + 1
	}
	for _, s := range ss {
		m := protowire.AppendTag(p.sub[:0], fSpanOffset, protowire.VarintType)
		m = protowire.AppendVarint(m, protowire.EncodeZigZag(int64(s.offset)))
		m = protowire.AppendTag(m, fSpanLength, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(s.length))
		p.sub = m
		b = protowire.AppendTag(b, spanNum, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	var prev int64
	next = 0
	for i, key := range sb.keys {
		if gap := key - next; i > 0 && gap <= 2 {
			for range gap {
				b = protowire.AppendTag(b, deltaNum, protowire.VarintType)
				b = protowire.AppendVarint(b, protowire.EncodeZigZag(-prev))
				prev = 0
			}
		}
		c := int64(sb.counts[i])
		b = protowire.AppendTag(b, deltaNum, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(c-prev))
		prev = c
		next = key + 1
	}
	return b
}

// exemplar returns e as an Exemplar message, in p.ex.
func (p *protoWriter) exemplar(e *exemplar) []byte {
	var hexBuf [32]byte
	b := p.ex[:0]
	for _, l := range [2]struct {
		name string
		id   []byte
	}{{"trace_id", e.traceID[:]}, {"span_id", e.spanID[:]}} {
		v := hexBuf[:hex.EncodedLen(len(l.id))]
		hex.Encode(v, l.id)
		size := protowire.SizeTag(1) + protowire.SizeBytes(len(l.name)) + protowire.SizeTag(2) + protowire.SizeBytes(len(v))
		b = protowire.AppendTag(b, fExemplarLabel, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(size))
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, l.name)
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, v)
	}
	b = protowire.AppendTag(b, fExemplarValue, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(e.value))
	b = appendTimestamp(b, fExemplarTimestamp, e.ts)
	p.ex = b
	return b
}

// appendTimestamp appends a google.protobuf.Timestamp of unixNano as field
// num (proto3: zero fields are left out).
func appendTimestamp(b []byte, num protowire.Number, unixNano int64) []byte {
	secs, nanos := unixNano/1e9, int32(unixNano%1e9)
	size := 0
	if secs != 0 {
		size += protowire.SizeTag(fTimestampSeconds) + protowire.SizeVarint(uint64(secs))
	}
	if nanos != 0 {
		size += protowire.SizeTag(fTimestampNanos) + protowire.SizeVarint(uint64(int64(nanos)))
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	if secs != 0 {
		b = protowire.AppendTag(b, fTimestampSeconds, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(secs))
	}
	if nanos != 0 {
		b = protowire.AppendTag(b, fTimestampNanos, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(nanos)))
	}
	return b
}

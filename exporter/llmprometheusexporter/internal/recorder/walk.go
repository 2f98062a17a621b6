package recorder // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"

import (
	dto "github.com/prometheus/client_model/go"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"google.golang.org/protobuf/encoding/protowire"
)

// labelSet is the label set of one series, rendered once, when the series is
// created, for each format a scrape writes.
type labelSet struct {
	text  string           // name="value" pairs, comma separated, values escaped (text formats)
	proto string           // the LabelPair messages as fields 1 of a Metric (protobuf)
	dto   []*dto.LabelPair // for Gather
}

// newLabelSet renders labels, given in label-name order.
func newLabelSet(labels ...*dto.LabelPair) labelSet {
	var b []byte
	for _, lp := range labels {
		var pair []byte
		pair = protowire.AppendTag(pair, 1, protowire.BytesType)
		pair = protowire.AppendString(pair, lp.GetName())
		pair = protowire.AppendTag(pair, 2, protowire.BytesType)
		pair = protowire.AppendString(pair, lp.GetValue())
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, pair)
	}
	return labelSet{text: labelText(labels), proto: string(b), dto: labels}
}

// histSnapshot is a copy of one histogram, taken under its series' lock so
// that a scrape writes it without holding the lock.
type histSnapshot struct {
	count     uint64
	created   int64
	sum       float64
	buckets   []uint64   // classic, not cumulative, +Inf last
	exemplars []exemplar // per classic bucket (empty without exemplars or when not asked for)

	// Native buckets, when asked for and enabled.
	native   bool
	schema   int32
	zero     uint64
	pos, neg sparseBuckets
	recent   []exemplar // oldest first
}

func (hs *histSnapshot) take(h *histogram, exemplars, native bool) {
	hs.count, hs.created, hs.sum = h.count, h.created, h.sum
	hs.buckets = append(hs.buckets[:0], h.buckets...)
	hs.exemplars = hs.exemplars[:0]
	if exemplars {
		hs.exemplars = append(hs.exemplars, h.exemplars...)
	}
	hs.native = native && h.shape.native
	hs.recent = hs.recent[:0]
	if !hs.native {
		return
	}
	hs.schema, hs.zero = h.schema, h.zero
	hs.pos.keys, hs.pos.counts = append(hs.pos.keys[:0], h.pos.keys...), append(hs.pos.counts[:0], h.pos.counts...)
	hs.neg.keys, hs.neg.counts = append(hs.neg.keys[:0], h.neg.keys...), append(hs.neg.counts[:0], h.neg.counts...)
	if exemplars {
		for i := range nativeExemplars {
			if e := h.recent[(h.recentPos+i)%nativeExemplars]; e.ok {
				hs.recent = append(hs.recent, e)
			}
		}
	}
}

// visitor receives a scrape's series, family by family, in Gather's order:
// families sorted by name, each started by family and holding at least one
// series.
type visitor interface {
	// family starts the family short; shape is its histograms' (nil for counters).
	family(short string, shape *histShape)
	counter(labels *labelSet, c *counter)
	histogram(labels *labelSet, h *histSnapshot)
	// failed stops the walk.
	failed() bool
}

// walk hands every exposed series to v, copying each under its lock.
// exemplars and native tell whether v writes exemplars and native buckets.
func (r *Recorder) walk(v visitor, exemplars, native bool) {
	all, models := r.sorted()
	// One copy of each kind for the whole walk: handed to an interface, they
	// live on the heap.
	var (
		hs   histSnapshot
		c    counter
		errs [genai.NumReasons]counter
	)
	for _, short := range r.names.order {
		started := false
		start := func(shape *histShape) {
			if !started {
				v.family(short, shape)
				started = true
			}
		}
		switch short {
		case nameRequests:
			for lo := 0; lo < len(all); {
				hi := lo + 1
				for hi < len(all) && all[hi].model == all[lo].model {
					hi++
				}
				for _, st := range r.statusOrder {
					for _, s := range all[lo:hi] {
						s.mu.Lock()
						c = s.requests[st]
						s.mu.Unlock()
						start(nil)
						v.counter(&s.requestLbl[st], &c)
					}
				}
				lo = hi
			}
		case nameDuration, nameTTFT, nameTPOT:
			shape := r.shapeOf(short)
			for _, s := range all {
				s.mu.Lock()
				h := s.histogramOf(short)
				if h != nil {
					hs.take(h, exemplars, native)
				}
				s.mu.Unlock()
				if h != nil {
					start(shape)
					v.histogram(&s.lbl, &hs)
				}
				if v.failed() {
					return
				}
			}
		case namePrompt, nameCompletion, nameCached, nameReasoning, nameCost:
			for _, s := range all {
				s.mu.Lock()
				c = *s.counterOf(short)
				s.mu.Unlock()
				if c.created != 0 {
					start(nil)
					v.counter(&s.lbl, &c)
				}
			}
		case nameErrors:
			for _, m := range models {
				m.mu.Lock()
				errs = m.errors
				m.mu.Unlock()
				for _, rs := range r.reasonOrder {
					if errs[rs].created != 0 {
						start(nil)
						v.counter(&m.errorLbl[rs], &errs[rs])
					}
				}
			}
		case nameUnpriced:
			for _, m := range models {
				m.mu.Lock()
				c = m.unpriced
				m.mu.Unlock()
				if c.created != 0 {
					start(nil)
					v.counter(&m.lbl, &c)
				}
			}
		}
		if v.failed() {
			return
		}
	}
}

func (r *Recorder) shapeOf(short string) *histShape {
	switch short {
	case nameTTFT:
		return &r.ttft
	case nameTPOT:
		return &r.tpot
	}
	return &r.duration
}

// histogramOf returns the series' histogram of family short (nil: none yet).
func (s *series) histogramOf(short string) *histogram {
	switch short {
	case nameTTFT:
		return s.ttft
	case nameTPOT:
		return s.tpot
	}
	return s.duration
}

// counterOf returns the series' counter of family short.
func (s *series) counterOf(short string) *counter {
	switch short {
	case namePrompt:
		return &s.prompt
	case nameCompletion:
		return &s.completion
	case nameCached:
		return &s.cached
	case nameReasoning:
		return &s.reasoning
	}
	return &s.cost
}

package recorder // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"

import (
	"math"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// Metric names without the namespace, and their help texts.
const (
	nameRequests   = "requests_total"
	nameDuration   = "request_duration_seconds"
	nameTTFT       = "time_to_first_token_seconds"
	namePrompt     = "prompt_tokens_total"
	nameCompletion = "completion_tokens_total"
	nameErrors     = "errors_total"
	nameCached     = "cached_prompt_tokens_total"
	nameReasoning  = "reasoning_tokens_total"
	nameCost       = "cost_usd_total"
	nameUnpriced   = "unpriced_requests_total"
	nameTPOT       = "time_per_output_token_seconds"
)

var helps = map[string]string{
	nameRequests:   "LLM calls by model, prompt template and status (success or error).",
	nameDuration:   "End-to-end duration of LLM calls in seconds, failed calls included.",
	nameTTFT:       "Time from the start of a streamed LLM call to its first output chunk, in seconds.",
	namePrompt:     "Input (prompt) tokens reported by LLM calls, failed calls included.",
	nameCompletion: "Output (completion) tokens reported by LLM calls, failed calls included.",
	nameErrors:     "Failed LLM calls by model and bounded error reason.",
	nameCached:     "Input tokens read from the provider's prompt cache (part of the prompt tokens).",
	nameReasoning:  "Reasoning output tokens (part of the completion tokens).",
	nameCost:       "Estimated cost of LLM calls in USD: the cost the span carries, else tokens times the price table.",
	nameUnpriced:   "LLM calls that carried no cost and whose model has no price in the table (their cost is not in cost_usd_total).",
	nameTPOT:       "Time per output token after the first of streamed calls: (duration - TTFT) / (output tokens - 1), in seconds.",
}

// familyNames are the full metric names, in the order Gather returns them
// (sorted, as a prometheus.Registry does).
type familyNames struct {
	full  map[string]string // short name -> full name
	order []string          // short names sorted by full name
}

func newFamilyNames(namespace string) familyNames {
	f := familyNames{full: map[string]string{}}
	for short := range helps {
		full := short
		if namespace != "" {
			full = namespace + "_" + short
		}
		f.full[short] = full
		f.order = append(f.order, short)
	}
	slices.SortFunc(f.order, func(a, b string) int { return strings.Compare(f.full[a], f.full[b]) })
	return f
}

// Gather implements prometheus.Gatherer: every family with at least one
// series, sorted by name, its series sorted by label values in label-name
// order, as a prometheus.Registry returns them (TestGatherMatchesRegistry).
// The series are built directly (no collector channel, no consistency
// checks: names and labels are valid by construction). /metrics writes the
// common formats without it (WriteText, WriteProto); Gather serves the rest
// through promhttp and is the reference those writers are checked against.
func (r *Recorder) Gather() ([]*dto.MetricFamily, error) {
	b := &builder{names: r.names}
	r.walk(b, true, true)
	return b.out, nil
}

// sorted returns every series, sorted by (model, template), and every
// per-model series, sorted by model: the order of a scrape.
func (r *Recorder) sorted() ([]*series, []*modelSeries) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unsorted {
		slices.SortFunc(r.all, func(a, b *series) int {
			if c := strings.Compare(a.model, b.model); c != 0 {
				return c
			}
			return strings.Compare(a.template, b.template)
		})
		slices.SortFunc(r.allModels, func(a, b *modelSeries) int { return strings.Compare(a.model, b.model) })
		r.unsorted = false
	}
	return slices.Clone(r.all), slices.Clone(r.allModels)
}

// slab hands out values of T from chunks, so building a scrape of n series
// costs n/slabSize allocations per type instead of n.
type slab[T any] struct{ buf []T }

const slabSize = 512

func (s *slab[T]) next() *T {
	if len(s.buf) == 0 {
		s.buf = make([]T, slabSize)
	}
	v := &s.buf[0]
	s.buf = s.buf[1:]
	return v
}

// builder builds the client_model families of one scrape, allocating their
// values from slabs.
type builder struct {
	names familyNames
	out   []*dto.MetricFamily
	fam   *dto.MetricFamily
	shape *histShape

	metrics  slab[dto.Metric]
	counters slab[dto.Counter]
	hists    slab[dto.Histogram]
	buckets  slab[dto.Bucket]
	floats   slab[float64]
	uints    slab[uint64]
}

func (b *builder) failed() bool { return false }

func (b *builder) family(short string, shape *histShape) {
	typ := dto.MetricType_COUNTER
	if isHistogram(short) {
		typ = dto.MetricType_HISTOGRAM
	}
	b.fam = &dto.MetricFamily{Name: proto.String(b.names.full[short]), Help: proto.String(helps[short]), Type: typ.Enum()}
	b.out = append(b.out, b.fam)
	b.shape = shape
}

func (b *builder) float(v float64) *float64 {
	p := b.floats.next()
	*p = v
	return p
}

func (b *builder) uint(v uint64) *uint64 {
	p := b.uints.next()
	*p = v
	return p
}

func (b *builder) counter(labels *labelSet, c *counter) {
	m := b.metrics.next()
	cnt := b.counters.next()
	cnt.Value = b.float(c.value)
	cnt.CreatedTimestamp = timestamp(c.created)
	cnt.Exemplar = c.ex.dto()
	m.Label, m.Counter = labels.dto, cnt
	b.fam.Metric = append(b.fam.Metric, m)
}

func (b *builder) histogram(labels *labelSet, h *histSnapshot) {
	m := b.metrics.next()
	out := b.hists.next()
	m.Label, m.Histogram = labels.dto, out
	b.fam.Metric = append(b.fam.Metric, m)

	out.SampleCount = b.uint(h.count)
	out.SampleSum = b.float(h.sum)
	out.CreatedTimestamp = timestamp(h.created)
	bounds := b.shape.bounds
	out.Bucket = make([]*dto.Bucket, len(bounds), len(bounds)+1)
	var cum uint64
	for i := range bounds {
		cum += h.buckets[i]
		bk := b.buckets.next()
		bk.CumulativeCount, bk.UpperBound = b.uint(cum), &bounds[i]
		if i < len(h.exemplars) {
			bk.Exemplar = h.exemplars[i].dto()
		}
		out.Bucket[i] = bk
	}
	// The +Inf bucket is implied by the count unless it carries an exemplar.
	if len(h.exemplars) > len(bounds) {
		if e := h.exemplars[len(bounds)].dto(); e != nil {
			out.Bucket = append(out.Bucket, &dto.Bucket{
				CumulativeCount: proto.Uint64(h.count), UpperBound: proto.Float64(math.Inf(1)), Exemplar: e,
			})
		}
	}
	if !h.native {
		return
	}
	out.Schema = proto.Int32(h.schema)
	out.ZeroThreshold = proto.Float64(zeroThreshold)
	out.ZeroCount = proto.Uint64(h.zero)
	out.PositiveSpan, out.PositiveDelta = h.pos.spans()
	out.NegativeSpan, out.NegativeDelta = h.neg.spans()
	for i := range h.recent {
		out.Exemplars = append(out.Exemplars, h.recent[i].dto())
	}
}

package recorder // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"

import (
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
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
// order, as a prometheus.Registry returns them. The series are built
// directly (no collector channel, no consistency checks: names and labels are
// valid by construction). /metrics writes the common formats without it
// (WriteText, WriteProto); Gather serves the rest through promhttp and is the
// reference those writers are checked against.
func (r *Recorder) Gather() ([]*dto.MetricFamily, error) {
	all, models := r.sorted()
	b := &builder{}
	out := make([]*dto.MetricFamily, 0, len(r.names.order))
	for _, short := range r.names.order {
		var ms []*dto.Metric
		switch short {
		case nameRequests:
			ms = r.gatherRequests(b, all)
		case nameDuration:
			ms = b.histograms(all, func(s *series) *histogram { return s.duration })
		case nameTTFT:
			ms = b.histograms(all, func(s *series) *histogram { return s.ttft })
		case nameTPOT:
			ms = b.histograms(all, func(s *series) *histogram { return s.tpot })
		case namePrompt:
			ms = b.counterSeries(all, func(s *series) *counter { return &s.prompt })
		case nameCompletion:
			ms = b.counterSeries(all, func(s *series) *counter { return &s.completion })
		case nameCached:
			ms = b.counterSeries(all, func(s *series) *counter { return &s.cached })
		case nameReasoning:
			ms = b.counterSeries(all, func(s *series) *counter { return &s.reasoning })
		case nameCost:
			ms = b.counterSeries(all, func(s *series) *counter { return &s.cost })
		case nameErrors:
			ms = r.gatherErrors(b, models)
		case nameUnpriced:
			ms = b.unpriced(models)
		}
		if len(ms) == 0 {
			continue
		}
		typ := dto.MetricType_COUNTER
		if short == nameDuration || short == nameTTFT || short == nameTPOT {
			typ = dto.MetricType_HISTOGRAM
		}
		out = append(out, &dto.MetricFamily{
			Name: proto.String(r.names.full[short]), Help: proto.String(helps[short]),
			Type: typ.Enum(), Metric: ms,
		})
	}
	return out, nil
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

// builder allocates the protobuf values of one scrape.
type builder struct {
	metrics  slab[dto.Metric]
	counters slab[dto.Counter]
	hists    slab[dto.Histogram]
	buckets  slab[dto.Bucket]
	floats   slab[float64]
	uints    slab[uint64]
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

func (b *builder) counter(c *counter, labels []*dto.LabelPair) *dto.Metric {
	m := b.metrics.next()
	cnt := b.counters.next()
	cnt.Value = b.float(c.value)
	cnt.CreatedTimestamp = c.createdTimestamp()
	cnt.Exemplar = c.ex.dto()
	m.Label, m.Counter = labels, cnt
	return m
}

// gatherRequests orders by model, status, template (label-name order).
func (r *Recorder) gatherRequests(b *builder, all []*series) []*dto.Metric {
	ms := make([]*dto.Metric, 0, len(all)*genai.NumStatuses)
	for lo := 0; lo < len(all); {
		hi := lo + 1
		for hi < len(all) && all[hi].model == all[lo].model {
			hi++
		}
		for _, st := range r.statusOrder {
			for _, s := range all[lo:hi] {
				s.mu.Lock()
				ms = append(ms, b.counter(&s.requests[st], s.requestLabels[st]))
				s.mu.Unlock()
			}
		}
		lo = hi
	}
	return ms
}

func (b *builder) counterSeries(all []*series, get func(*series) *counter) []*dto.Metric {
	ms := make([]*dto.Metric, 0, len(all))
	for _, s := range all {
		s.mu.Lock()
		if c := get(s); c.created != 0 {
			ms = append(ms, b.counter(c, s.labels))
		}
		s.mu.Unlock()
	}
	return ms
}

func (b *builder) histograms(all []*series, get func(*series) *histogram) []*dto.Metric {
	var ms []*dto.Metric
	for _, s := range all {
		s.mu.Lock()
		if h := get(s); h != nil {
			m := b.metrics.next()
			m.Label, m.Histogram = s.labels, b.hists.next()
			h.write(b, m.Histogram)
			ms = append(ms, m)
		}
		s.mu.Unlock()
	}
	return ms
}

func (r *Recorder) gatherErrors(b *builder, models []*modelSeries) []*dto.Metric {
	var ms []*dto.Metric
	for _, m := range models {
		m.mu.Lock()
		for _, rs := range r.reasonOrder {
			if c := &m.errors[rs]; c.created != 0 {
				ms = append(ms, b.counter(c, m.errorLabels[rs]))
			}
		}
		m.mu.Unlock()
	}
	return ms
}

func (b *builder) unpriced(models []*modelSeries) []*dto.Metric {
	var ms []*dto.Metric
	for _, m := range models {
		m.mu.Lock()
		if m.unpriced.created != 0 {
			ms = append(ms, b.counter(&m.unpriced, m.labels))
		}
		m.mu.Unlock()
	}
	return ms
}

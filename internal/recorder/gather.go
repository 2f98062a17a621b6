// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package recorder // import "github.com/otelcol-llm/otelcol-llm/internal/recorder"

import (
	"encoding/hex"
	"math"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/types/known/timestamppb"

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
	nameCacheWrite = "cache_creation_prompt_tokens_total"
	nameReasoning  = "reasoning_tokens_total"
	nameCost       = "cost_usd_total"
	nameReported   = "cost_reported_usd_total"
	nameUnpriced   = "unpriced_requests_total"
	nameTPOT       = "time_per_output_token_seconds"
	nameBudgetCost = "budget_cost_usd_total"
	nameBudget     = "budget_limit_usd"
	nameFinish     = "finish_reasons_total"
	nameInterrupt  = "stream_interruptions_total"
)

var helps = map[string]string{
	nameRequests:   "LLM calls by model, prompt template and status (success or error).",
	nameDuration:   "End-to-end duration of LLM calls in seconds, failed calls included.",
	nameTTFT:       "Time from the start of a streamed LLM call to its first output chunk, in seconds.",
	namePrompt:     "Input (prompt) tokens reported by LLM calls, failed calls included.",
	nameCompletion: "Output (completion) tokens reported by LLM calls, failed calls included.",
	nameErrors:     "Failed LLM calls by model and bounded error reason.",
	nameCached:     "Input tokens read from the provider's prompt cache (part of the prompt tokens).",
	nameCacheWrite: "Input tokens written to the provider's prompt cache (cache creation; part of the prompt tokens).",
	nameReasoning:  "Reasoning output tokens (part of the completion tokens).",
	nameCost:       "Estimated cost of LLM calls in USD: the cost the span carries, else tokens times the price table.",
	nameReported:   "Cost of LLM calls in USD that their spans carried (provider-reported): the part of cost_usd_total not computed from the price table.",
	nameUnpriced:   "LLM calls that carried no cost and whose model has no price in the table (their cost is not in cost_usd_total).",
	nameTPOT:       "Time per output token after the first of streamed calls: (duration - TTFT) / (output tokens - 1), in seconds.",
	nameBudgetCost: "Cost in USD of the LLM calls a budget matches, counted by this collector in the current calendar window (UTC) of the budget's period.",
	nameBudget:     "The amount of a budget in USD per period (configuration).",
	nameFinish:     "LLM calls by model and the finish reason of their first choice (stop, length, tool_calls, content_filter, error, other).",
	nameInterrupt:  "Streamed LLM calls that failed after their first chunk: the user saw a partial answer.",
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
// order, exactly as a prometheus.Registry holding client_golang CounterVecs
// and HistogramVecs fed the same calls returns them
// (TestRecorderMatchesClientGolang). /metrics is promhttp.HandlerFor over it.
//
// The families are built directly from the series (no collector channel, no
// consistency checks: names and labels are valid by construction), each
// series read once under its lock, and their values are allocated from
// slabs: a scrape costs one allocation per exemplar (its two hex IDs) and
// one per slab chunk, about 5,000 at the default caps' 26,700 series. The
// label pairs are built once per series and shared by every scrape, as
// client_golang shares a metric's; the families must be read only.
func (r *Recorder) Gather() ([]*dto.MetricFamily, error) {
	all, groups := r.sorted()
	b := &builder{}
	fams := make(map[string]*dto.MetricFamily, len(r.names.order))
	for _, short := range r.names.order {
		typ := dto.MetricType_COUNTER
		switch {
		case isHistogram(short):
			typ = dto.MetricType_HISTOGRAM
		case short == nameBudget:
			typ = dto.MetricType_GAUGE
		}
		name, help := r.names.full[short], helps[short]
		fams[short] = &dto.MetricFamily{Name: &name, Help: &help, Type: typ.Enum()}
	}
	var (
		requests = fams[nameRequests]
		perPair  = []*dto.MetricFamily{fams[namePrompt], fams[nameCompletion], fams[nameCached], fams[nameCacheWrite], fams[nameReasoning], fams[nameCost], fams[nameReported]}
		duration = fams[nameDuration]
		ttft     = fams[nameTTFT]
		tpot     = fams[nameTPOT]
		errs     = fams[nameErrors]
		unpriced = fams[nameUnpriced]
		// reqs[i][st]: the requests series of all[i] with status st.
		reqs = make([][genai.NumStatuses]*dto.Metric, len(all))
	)
	for _, f := range append(perPair, duration) {
		f.Metric = make([]*dto.Metric, 0, len(all))
	}
	for i, s := range all {
		s.mu.Lock()
		for st := range s.requests {
			reqs[i][st] = b.counter(s.requestLbl[st], &s.requests[st])
		}
		for n, c := range []*counter{&s.prompt, &s.completion, &s.cached, &s.cacheCreation, &s.reasoning, &s.cost, &s.reported} {
			if c.created != 0 {
				perPair[n].Metric = append(perPair[n].Metric, b.counter(s.lbl, c))
			}
		}
		duration.Metric = append(duration.Metric, b.histogram(s.lbl, s.duration))
		if s.ttft != nil {
			ttft.Metric = append(ttft.Metric, b.histogram(s.lbl, s.ttft))
		}
		if s.tpot != nil {
			tpot.Metric = append(tpot.Metric, b.histogram(s.lbl, s.tpot))
		}
		s.mu.Unlock()
	}
	// requests: by the labels named before status, then status, then the
	// labels after it.
	requests.Metric = make([]*dto.Metric, 0, len(all)*genai.NumStatuses)
	statusAt := r.layout.statusAt
	for lo := 0; lo < len(all); {
		hi := lo + 1
		for hi < len(all) && slices.Compare(all[hi].vals[:statusAt], all[lo].vals[:statusAt]) == 0 {
			hi++
		}
		for _, st := range r.statusOrder {
			for i := lo; i < hi; i++ {
				requests.Metric = append(requests.Metric, reqs[i][st])
			}
		}
		lo = hi
	}
	// errors: likewise around reason.
	reasonAt := r.layout.reasonAt
	for lo := 0; lo < len(groups); {
		hi := lo + 1
		for hi < len(groups) && slices.Compare(groups[hi].vals[:reasonAt], groups[lo].vals[:reasonAt]) == 0 {
			hi++
		}
		for _, rs := range r.reasonOrder {
			for _, m := range groups[lo:hi] {
				m.mu.Lock()
				if c := &m.errors[rs]; c.created != 0 {
					errs.Metric = append(errs.Metric, b.counter(m.errorLbl[rs], c))
				}
				m.mu.Unlock()
			}
		}
		lo = hi
	}
	// finish reasons: likewise around finish_reason.
	finish := fams[nameFinish]
	finishAt := r.layout.finishAt
	for lo := 0; lo < len(groups); {
		hi := lo + 1
		for hi < len(groups) && slices.Compare(groups[hi].vals[:finishAt], groups[lo].vals[:finishAt]) == 0 {
			hi++
		}
		for _, f := range r.finishOrder {
			for _, m := range groups[lo:hi] {
				if created := m.finishCreated[f].Load(); created != 0 {
					c := counter{ival: m.finish[f].Load(), created: created}
					finish.Metric = append(finish.Metric, b.counter(m.finishLbl[f], &c))
				}
			}
		}
		lo = hi
	}
	interrupted := fams[nameInterrupt]
	for _, m := range groups {
		m.mu.Lock()
		if m.unpriced.created != 0 {
			unpriced.Metric = append(unpriced.Metric, b.counter(m.lbl, &m.unpriced))
		}
		if m.interrupted.created != 0 {
			interrupted.Metric = append(interrupted.Metric, b.counter(m.lbl, &m.interrupted))
		}
		m.mu.Unlock()
	}
	r.gatherBudgets(b, fams[nameBudget], fams[nameBudgetCost])
	out := make([]*dto.MetricFamily, 0, len(fams))
	for _, short := range r.names.order {
		if f := fams[short]; len(f.Metric) > 0 {
			out = append(out, f)
		}
	}
	return out, nil
}

func isHistogram(short string) bool {
	return short == nameDuration || short == nameTTFT || short == nameTPOT
}

// sorted removes the expired label sets and returns every series and
// every group, sorted by their label values in label name order: the order
// of a scrape.
func (r *Recorder) sorted() ([]*series, []*groupSeries) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweepLocked(r.now())
	if r.unsorted {
		slices.SortFunc(r.all, func(a, b *series) int { return slices.Compare(a.vals, b.vals) })
		slices.SortFunc(r.allGroups, func(a, b *groupSeries) int { return slices.Compare(a.vals, b.vals) })
		r.unsorted = false
	}
	return slices.Clone(r.all), slices.Clone(r.allGroups)
}

// gatherBudgets adds the budgets' series, in configuration order sorted
// by (budget, period), as a registry sorts them.
func (r *Recorder) gatherBudgets(b *builder, limits, costs *dto.MetricFamily) {
	if len(r.budgets) == 0 {
		return
	}
	now := r.now()
	sorted := slices.Clone(r.budgets)
	slices.SortStableFunc(sorted, func(x, y *budget) int {
		if c := strings.Compare(x.name, y.name); c != 0 {
			return c
		}
		return strings.Compare(x.period.String(), y.period.String())
	})
	for _, bg := range sorted {
		m, g := b.metrics.one(), b.gauges.one()
		g.Value = b.float(bg.amount)
		m.Label, m.Gauge = bg.limitLbl, g
		limits.Metric = append(limits.Metric, m)
		bg.mu.Lock()
		bg.roll(now, r.now)
		costs.Metric = append(costs.Metric, b.counter(bg.costLbl, &bg.cost))
		bg.mu.Unlock()
	}
}

// slab hands out values of T from chunks, so building a scrape of n series
// costs about n/slabSize allocations per type instead of n.
type slab[T any] struct{ buf []T }

const slabSize = 1024

// take returns n zero values (len = cap = n).
func (s *slab[T]) take(n int) []T {
	if n > len(s.buf) {
		s.buf = make([]T, max(n, slabSize))
	}
	v := s.buf[:n:n]
	s.buf = s.buf[n:]
	return v
}

func (s *slab[T]) one() *T { return &s.take(1)[0] }

// builder builds the client_model values of one scrape from slabs.
type builder struct {
	metrics   slab[dto.Metric]
	counters  slab[dto.Counter]
	gauges    slab[dto.Gauge]
	hists     slab[dto.Histogram]
	buckets   slab[dto.Bucket]
	spans     slab[dto.BucketSpan]
	exemplars slab[dto.Exemplar]
	labels    slab[dto.LabelPair]
	times     slab[timestamppb.Timestamp]
	bucketPtr slab[*dto.Bucket]
	spanPtr   slab[*dto.BucketSpan]
	exPtr     slab[*dto.Exemplar]
	labelPtr  slab[*dto.LabelPair]
	floats    slab[float64]
	uints     slab[uint64]
	int64s    slab[int64]
	int32s    slab[int32]
	uint32s   slab[uint32]
	strs      slab[string]
}

func (b *builder) float(v float64) *float64 {
	p := b.floats.one()
	*p = v
	return p
}

func (b *builder) uint(v uint64) *uint64 {
	p := b.uints.one()
	*p = v
	return p
}

func (b *builder) timestamp(unixNano int64) *timestamppb.Timestamp {
	t := b.times.one()
	t.Seconds, t.Nanos = unixNano/1e9, int32(unixNano%1e9)
	return t
}

func (b *builder) counter(labels []*dto.LabelPair, c *counter) *dto.Metric {
	m, cnt := b.metrics.one(), b.counters.one()
	cnt.Value = b.float(c.value())
	cnt.CreatedTimestamp = b.timestamp(c.created)
	if c.ex.ok {
		cnt.Exemplar = b.exemplar(&c.ex)
	}
	m.Label, m.Counter = labels, cnt
	return m
}

// exemplar builds e (ok) as client_golang does: trace_id and span_id labels,
// the observed value, the time of the call.
func (b *builder) exemplar(e *exemplar) *dto.Exemplar {
	var ids [2 * (16 + 8)]byte
	hex.Encode(ids[:32], e.traceID[:])
	hex.Encode(ids[32:], e.spanID[:])
	idStr := string(ids[:]) // one allocation for both values
	strs := b.strs.take(4)
	strs[0], strs[1], strs[2], strs[3] = "trace_id", idStr[:32], "span_id", idStr[32:]
	pairs, ptrs := b.labels.take(2), b.labelPtr.take(2)
	pairs[0].Name, pairs[0].Value = &strs[0], &strs[1]
	pairs[1].Name, pairs[1].Value = &strs[2], &strs[3]
	ptrs[0], ptrs[1] = &pairs[0], &pairs[1]
	x := b.exemplars.one()
	x.Label, x.Value, x.Timestamp = ptrs, b.float(e.value), b.timestamp(e.ts)
	return x
}

func (b *builder) histogram(labels []*dto.LabelPair, h *histogram) *dto.Metric {
	m, out := b.metrics.one(), b.hists.one()
	m.Label, m.Histogram = labels, out
	out.SampleCount = b.uint(h.count)
	out.SampleSum = b.float(h.sum)
	out.CreatedTimestamp = b.timestamp(h.created)

	bounds := h.shape.bounds
	// The +Inf bucket is implied by the count unless it carries an exemplar.
	// h.exemplars is nil or has one slot per bucket, +Inf included.
	infEx := len(h.exemplars) > len(bounds) && h.exemplars[len(bounds)].ok
	n := len(bounds)
	if infEx {
		n++
	}
	out.Bucket = b.bucketPtr.take(n)
	bks := b.buckets.take(n)
	cums := b.uints.take(n)
	var cum uint64
	for i := range bounds {
		cum += h.buckets[i]
		cums[i] = cum
		bk := &bks[i]
		bk.CumulativeCount, bk.UpperBound = &cums[i], &bounds[i]
		if i < len(h.exemplars) && h.exemplars[i].ok {
			bk.Exemplar = b.exemplar(&h.exemplars[i])
		}
		out.Bucket[i] = bk
	}
	if infEx {
		bk := &bks[len(bounds)]
		cums[len(bounds)] = h.count
		bk.CumulativeCount, bk.UpperBound = &cums[len(bounds)], b.float(math.Inf(1))
		bk.Exemplar = b.exemplar(&h.exemplars[len(bounds)])
		out.Bucket[len(bounds)] = bk
	}
	if !h.shape.native {
		return m
	}
	schema := b.int32s.one()
	*schema = h.schema
	out.Schema = schema
	out.ZeroThreshold = b.float(zeroThreshold)
	out.ZeroCount = b.uint(h.zero)
	out.PositiveSpan, out.PositiveDelta = b.nativeSpans(&h.pos)
	out.NegativeSpan, out.NegativeDelta = b.nativeSpans(&h.neg)
	if h.exemplars != nil {
		var n int
		for i := range h.recent {
			if h.recent[i].ok {
				n++
			}
		}
		if n > 0 {
			out.Exemplars = b.exPtr.take(n)
			n = 0
			for i := range nativeExemplars { // oldest first
				if e := &h.recent[(h.recentPos+i)%nativeExemplars]; e.ok {
					out.Exemplars[n] = b.exemplar(e)
					n++
				}
			}
		}
	}
	return m
}

// nativeSpans encodes populated native buckets as Prometheus bucket spans
// and deltas, as client_golang does: gaps of one or two empty buckets stay
// inside a span.
func (b *builder) nativeSpans(sb *sparseBuckets) ([]*dto.BucketSpan, []int64) {
	keys := sb.keys
	if len(keys) == 0 {
		return nil, nil
	}
	nSpans, nDeltas := 1, len(keys)
	for i := 1; i < len(keys); i++ {
		if gap := keys[i] - keys[i-1] - 1; gap > 2 {
			nSpans++
		} else {
			nDeltas += gap
		}
	}
	spans, spanVals := b.spanPtr.take(nSpans), b.spans.take(nSpans)
	offsets, lengths := b.int32s.take(nSpans), b.uint32s.take(nSpans)
	deltas := b.int64s.take(nDeltas)
	var (
		prev   int64
		next   int // key after the last bucket written
		sp, dp = -1, 0
	)
	for i, key := range keys {
		gap := key - next
		if i == 0 || gap > 2 {
			sp++
			offsets[sp] = int32(gap)
			spanVals[sp].Offset, spanVals[sp].Length = &offsets[sp], &lengths[sp]
			spans[sp] = &spanVals[sp]
		} else {
			for range gap {
				lengths[sp]++
				deltas[dp] = -prev
				dp++
				prev = 0
			}
		}
		lengths[sp]++
		c := int64(sb.counts[i])
		deltas[dp] = c - prev
		dp++
		prev = c
		next = key + 1
	}
	return spans, deltas
}

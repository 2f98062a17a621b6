// Package recorder records canonical LLM calls into client_golang collectors
// with bounded labels.
package recorder // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"

import (
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

// Reserved label values. They are always admitted and never count toward a cap.
const (
	UnknownModel  = "unknown" // the span names no model
	NoTemplate    = "none"    // the span names no template
	OverflowValue = "other"   // the label reached its cap
)

// exemplarInterval is the minimum time between two exemplars of one series.
// Prometheus keeps one exemplar per bucket and scrape, so a finer refresh
// would only cost allocations.
const exemplarInterval = time.Second

// Settings configure a Recorder.
type Settings struct {
	Namespace           string
	DurationBuckets     []float64
	TTFTBuckets         []float64
	TPOTBuckets         []float64
	NativeHistograms    bool
	NativeBucketFactor  float64
	NativeMaxBuckets    uint32
	Exemplars           bool
	MaxLabelValueLength int
	MaxModels           int
	MaxTemplates        int
	// Pricer prices calls whose span carries no cost; nil prices nothing.
	Pricer *pricing.Pricer
}

// Overflow tells which labels of a call were folded into OverflowValue.
type Overflow struct {
	Model, Template bool
}

// Recorder turns Calls into Prometheus series. It is safe for concurrent use.
type Recorder struct {
	set Settings

	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	ttft       *prometheus.HistogramVec
	prompt     *prometheus.CounterVec
	completion *prometheus.CounterVec
	errors     *prometheus.CounterVec
	cached     *prometheus.CounterVec
	reasoning  *prometheus.CounterVec
	cost       *prometheus.CounterVec
	unpriced   *prometheus.CounterVec
	tpot       *prometheus.HistogramVec

	// snap is read without locks on the hot path. dirty, guarded by mu, holds
	// every series; a lookup that misses snap takes mu and finds or creates the
	// series in dirty, and dirty is published as the next snap once the misses
	// since the last publication reach its size (as sync.Map does), so the
	// copying costs O(1) per miss. Series are only ever added, and their number
	// is bounded by the label caps.
	snap      atomic.Pointer[snapshot]
	mu        sync.Mutex
	dirty     snapshot
	misses    int
	models    map[string]struct{}
	templates map[string]struct{}
}

type snapshot struct {
	series    map[seriesKey]*series
	errSeries map[errKey]*counterSeries
}

type seriesKey struct{ model, template string }

type errKey struct {
	model  string
	reason genai.Reason
}

type series struct {
	model, template string
	requests        [genai.NumStatuses]prometheus.Counter
	duration        prometheus.Observer
	prompt          prometheus.Counter
	completion      prometheus.Counter
	cached          prometheus.Counter
	reasoning       prometheus.Counter
	cost            prometheus.Counter
	ttft            atomic.Pointer[observerBox] // created on the first streamed call with a TTFT
	tpot            atomic.Pointer[observerBox] // created on the first call with a time per output token
	unpriced        atomic.Pointer[counterBox]  // created on the first unpriced call
	price           atomic.Pointer[priceCache]  // price of the last (provider, model) seen
	nextExemplar    atomic.Int64
}

type counterBox struct{ prometheus.Counter }

// priceCache remembers the price of one (provider, model) under one version
// of the price table, so a series looks its price up once, not per call.
type priceCache struct {
	version         uint64
	provider, model string
	price           *pricing.Price // nil: unpriced
}

type observerBox struct{ prometheus.Observer }

type counterSeries struct {
	prometheus.Counter
	nextExemplar atomic.Int64
}

// New builds a Recorder and registers its collectors on reg.
func New(set Settings, reg prometheus.Registerer) (*Recorder, error) {
	r := &Recorder{
		set:       set,
		models:    map[string]struct{}{},
		templates: map[string]struct{}{},
	}
	r.dirty = snapshot{series: map[seriesKey]*series{}, errSeries: map[errKey]*counterSeries{}}
	r.snap.Store(&snapshot{series: map[seriesKey]*series{}, errSeries: map[errKey]*counterSeries{}})
	mt := []string{"model", "template"}
	r.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: set.Namespace, Name: "requests_total",
		Help: "LLM calls by model, prompt template and status (success or error).",
	}, []string{"model", "template", "status"})
	r.duration = prometheus.NewHistogramVec(r.histogramOpts("request_duration_seconds",
		"End-to-end duration of LLM calls in seconds, failed calls included.", set.DurationBuckets), mt)
	r.ttft = prometheus.NewHistogramVec(r.histogramOpts("time_to_first_token_seconds",
		"Time from the start of a streamed LLM call to its first output chunk, in seconds.", set.TTFTBuckets), mt)
	r.prompt = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: set.Namespace, Name: "prompt_tokens_total",
		Help: "Input (prompt) tokens reported by LLM calls, failed calls included.",
	}, mt)
	r.completion = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: set.Namespace, Name: "completion_tokens_total",
		Help: "Output (completion) tokens reported by LLM calls, failed calls included.",
	}, mt)
	r.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: set.Namespace, Name: "errors_total",
		Help: "Failed LLM calls by model and bounded error reason.",
	}, []string{"model", "reason"})
	r.cached = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: set.Namespace, Name: "cached_prompt_tokens_total",
		Help: "Input tokens read from the provider's prompt cache (part of the prompt tokens).",
	}, mt)
	r.reasoning = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: set.Namespace, Name: "reasoning_tokens_total",
		Help: "Reasoning output tokens (part of the completion tokens).",
	}, mt)
	r.cost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: set.Namespace, Name: "cost_usd_total",
		Help: "Estimated cost of LLM calls in USD: the cost the span carries, else tokens times the price table.",
	}, mt)
	r.unpriced = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: set.Namespace, Name: "unpriced_requests_total",
		Help: "LLM calls that carried no cost and whose model has no price in the table (their cost is not in cost_usd_total).",
	}, []string{"model"})
	r.tpot = prometheus.NewHistogramVec(r.histogramOpts("time_per_output_token_seconds",
		"Time per output token after the first of streamed calls: (duration - TTFT) / (output tokens - 1), in seconds.", set.TPOTBuckets), mt)
	for _, c := range []prometheus.Collector{r.requests, r.duration, r.ttft, r.prompt, r.completion, r.errors,
		r.cached, r.reasoning, r.cost, r.unpriced, r.tpot} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Recorder) histogramOpts(name, help string, buckets []float64) prometheus.HistogramOpts {
	o := prometheus.HistogramOpts{
		Namespace: r.set.Namespace, Name: name, Help: help,
		Buckets: buckets,
	}
	if r.set.NativeHistograms {
		o.NativeHistogramBucketFactor = r.set.NativeBucketFactor
		o.NativeHistogramMaxBucketNumber = r.set.NativeMaxBuckets
		o.NativeHistogramMinResetDuration = time.Hour
	}
	return o
}

// Record counts one call. now (Unix nanoseconds) paces exemplars.
func (r *Recorder) Record(c *genai.Call, now int64) Overflow {
	model := c.Model()
	if model == "" {
		model = UnknownModel
	}
	tmpl := c.Template
	if tmpl == "" {
		tmpl = NoTemplate
	}
	var of Overflow
	s := r.snap.Load().series[seriesKey{model, tmpl}]
	if s == nil {
		s, of = r.lookupSlow(model, tmpl)
	}

	var exemplar prometheus.Labels
	if r.set.Exemplars && !c.TraceID.IsEmpty() {
		if next := s.nextExemplar.Load(); now >= next && s.nextExemplar.CompareAndSwap(next, now+int64(exemplarInterval)) {
			exemplar = exemplarLabels(c)
		}
	}

	addCounter(s.requests[c.Status], 1, exemplar)
	if c.HasDuration {
		observe(s.duration, c.Duration, exemplar)
	}
	if c.HasInputTokens {
		addCounter(s.prompt, float64(c.InputTokens), exemplar)
	}
	if c.HasOutputTokens {
		addCounter(s.completion, float64(c.OutputTokens), exemplar)
	}
	if c.HasCachedInput {
		addCounter(s.cached, float64(c.CachedInputTokens), exemplar)
	}
	if c.HasReasoning {
		addCounter(s.reasoning, float64(c.ReasoningTokens), exemplar)
	}
	if c.Streamed && c.HasTTFT {
		observe(lazyObserver(&s.ttft, r.ttft, s).Observer, c.TTFT, exemplar)
		if c.HasDuration && c.HasOutputTokens && c.OutputTokens >= 2 {
			tpot := (c.Duration - c.TTFT) / float64(c.OutputTokens-1)
			observe(lazyObserver(&s.tpot, r.tpot, s).Observer, tpot, exemplar)
		}
	}
	r.recordCost(s, c, exemplar)
	if c.Status == genai.StatusError {
		reason := c.Reason
		if reason == genai.ReasonNone {
			reason = genai.ReasonOther
		}
		es := r.errorSeries(s.model, reason)
		var ex prometheus.Labels
		if r.set.Exemplars && !c.TraceID.IsEmpty() {
			if next := es.nextExemplar.Load(); now >= next && es.nextExemplar.CompareAndSwap(next, now+int64(exemplarInterval)) {
				ex = exemplar
				if ex == nil {
					ex = exemplarLabels(c)
				}
			}
		}
		addCounter(es.Counter, 1, ex)
	}
	return of
}

// lookupSlow resolves the bounded labels of a (model, template) pair not seen
// under these exact values, creating the series when needed.
func (r *Recorder) lookupSlow(rawModel, rawTmpl string) (*series, Overflow) {
	maxLen := r.set.MaxLabelValueLength
	model := sanitize(rawModel, maxLen)
	tmpl := sanitize(rawTmpl, maxLen)

	r.mu.Lock()
	defer r.mu.Unlock()
	var of Overflow
	model, of.Model = admit(r.models, model, r.set.MaxModels)
	tmpl, of.Template = admit(r.templates, tmpl, r.set.MaxTemplates)
	defer r.missed()
	key := seriesKey{model, tmpl}
	if s := r.dirty.series[key]; s != nil {
		return s, of
	}
	s := &series{model: model, template: tmpl}
	for st := range genai.NumStatuses {
		s.requests[st] = r.requests.WithLabelValues(model, tmpl, genai.Status(st).String())
	}
	s.duration = r.duration.WithLabelValues(model, tmpl)
	s.prompt = r.prompt.WithLabelValues(model, tmpl)
	s.completion = r.completion.WithLabelValues(model, tmpl)
	s.cached = r.cached.WithLabelValues(model, tmpl)
	s.reasoning = r.reasoning.WithLabelValues(model, tmpl)
	s.cost = r.cost.WithLabelValues(model, tmpl)
	r.dirty.series[key] = s
	return s, of
}

// admit returns the label value to use for v (cloned, so it does not pin the
// span's memory) and whether v was folded into OverflowValue. Call with r.mu held.
// Values past the cap are never stored, so an attack with endless new values
// costs one lookup each and no memory.
func admit(set map[string]struct{}, v string, limit int) (string, bool) {
	switch v {
	case UnknownModel, NoTemplate, OverflowValue:
		return v, false
	}
	if _, ok := set[v]; ok {
		return v, false
	}
	if len(set) >= limit {
		return OverflowValue, true
	}
	v = strings.Clone(v)
	set[v] = struct{}{}
	return v, false
}

func (r *Recorder) errorSeries(model string, reason genai.Reason) *counterSeries {
	key := errKey{model, reason}
	if es := r.snap.Load().errSeries[key]; es != nil {
		return es
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.missed()
	es := r.dirty.errSeries[key]
	if es == nil {
		es = &counterSeries{Counter: r.errors.WithLabelValues(model, reason.String())}
		r.dirty.errSeries[key] = es
	}
	return es
}

// missed counts a lookup that missed snap and publishes dirty as the next
// snap when it holds series snap lacks and enough misses have paid for the
// copy. Misses of values folded into "other" (a cardinality attack) find
// nothing new in dirty and never trigger a copy. Call with r.mu held.
func (r *Recorder) missed() {
	cur := r.snap.Load()
	if len(r.dirty.series) == len(cur.series) && len(r.dirty.errSeries) == len(cur.errSeries) {
		r.misses = 0
		return
	}
	r.misses++
	if r.misses < len(r.dirty.series)+len(r.dirty.errSeries) {
		return
	}
	r.misses = 0
	r.snap.Store(&snapshot{series: maps.Clone(r.dirty.series), errSeries: maps.Clone(r.dirty.errSeries)})
}

// lazyObserver returns the series' child of vec, creating it on first use so
// a (model, template) pair that never streams exposes no empty histogram.
func lazyObserver(p *atomic.Pointer[observerBox], vec *prometheus.HistogramVec, s *series) *observerBox {
	if box := p.Load(); box != nil {
		return box
	}
	box := &observerBox{vec.WithLabelValues(s.model, s.template)}
	if !p.CompareAndSwap(nil, box) {
		box = p.Load()
	}
	return box
}

// recordCost adds the call's cost: the cost its span carries wins; else its
// tokens times the price of its model. A call with neither is counted in
// unpriced_requests_total so a missing price never reads as $0.
func (r *Recorder) recordCost(s *series, c *genai.Call, exemplar prometheus.Labels) {
	if c.HasCost {
		addCounter(s.cost, c.Cost, exemplar)
		return
	}
	price := r.priceOf(s, c)
	if price == nil {
		box := s.unpriced.Load()
		if box == nil {
			box = &counterBox{r.unpriced.WithLabelValues(s.model)}
			if !s.unpriced.CompareAndSwap(nil, box) {
				box = s.unpriced.Load()
			}
		}
		box.Add(1)
		return
	}
	if cost := price.Cost(pricing.Usage{
		Input: c.InputTokens, Output: c.OutputTokens,
		CachedInput: c.CachedInputTokens, Reasoning: c.ReasoningTokens,
	}); cost > 0 {
		addCounter(s.cost, cost, exemplar)
	}
}

// priceOf returns the price of the call's model (nil: unpriced), from the
// series' cache when the table, the provider and the model are unchanged.
// The model is the span's own (a series folded into "other" holds many).
func (r *Recorder) priceOf(s *series, c *genai.Call) *pricing.Price {
	if r.set.Pricer == nil {
		return nil
	}
	version := r.set.Pricer.Version()
	model := c.Model()
	if pc := s.price.Load(); pc != nil && pc.version == version && pc.provider == c.Provider && pc.model == model {
		return pc.price
	}
	price, ok := r.set.Pricer.Table().Lookup(c.Provider, model)
	if !ok {
		price = nil
	}
	s.price.Store(&priceCache{version: version, provider: strings.Clone(c.Provider), model: strings.Clone(model), price: price})
	return price
}

func exemplarLabels(c *genai.Call) prometheus.Labels {
	return prometheus.Labels{"trace_id": c.TraceID.String(), "span_id": c.SpanID.String()}
}

func addCounter(c prometheus.Counter, v float64, exemplar prometheus.Labels) {
	if exemplar != nil {
		if ea, ok := c.(prometheus.ExemplarAdder); ok {
			ea.AddWithExemplar(v, exemplar)
			return
		}
	}
	c.Add(v)
}

func observe(o prometheus.Observer, v float64, exemplar prometheus.Labels) {
	if exemplar != nil {
		if eo, ok := o.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(v, exemplar)
			return
		}
	}
	o.Observe(v)
}

// sanitize makes v a valid UTF-8 string of at most maxLen bytes, cut at a rune
// boundary. It allocates only when v needs a change.
func sanitize(v string, maxLen int) string {
	if len(v) <= maxLen && utf8.ValidString(v) {
		return v
	}
	if len(v) > 4*maxLen {
		v = v[:4*maxLen] // bound the work on huge values before repairing them
	}
	v = strings.ToValidUTF8(v, "\uFFFD")
	if len(v) > maxLen {
		cut := maxLen
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	return v
}

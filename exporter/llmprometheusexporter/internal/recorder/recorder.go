// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package recorder records canonical LLM calls into Prometheus series with
// bounded labels and serves them as a prometheus.Gatherer.
package recorder // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/otelcol-llm/otelcol-llm/internal/cost"
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
// would only cost work.
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
	// MaxPairs caps the (model, template) pairs, and so the series; 0: no
	// cap beyond MaxModels × MaxTemplates. Past the cap a new pair's template
	// folds into "other": at most MaxPairs pairs plus one (model, "other")
	// pair per model value exist.
	MaxPairs int
	// Pricer prices calls whose span carries no cost; nil prices nothing.
	Pricer *pricing.Pricer
}

// Overflow tells which labels of a call were folded into OverflowValue.
type Overflow struct {
	Model, Template bool
}

// Recorder turns Calls into Prometheus series and serves them as a
// prometheus.Gatherer. It is safe for concurrent use.
//
// Each (model, template) pair is one series struct holding every metric of
// the pair under one mutex, so recording a call is one map lookup and one
// uncontended lock, whatever the number of metrics it updates.
type Recorder struct {
	set            Settings
	duration, ttft histShape
	tpot           histShape
	names          familyNames
	statusLabels   [genai.NumStatuses]*dto.LabelPair
	reasonLabels   [genai.NumReasons]*dto.LabelPair
	statusOrder    []genai.Status // statuses in label value order
	reasonOrder    []genai.Reason // reasons in label value order
	now            func() int64   // creation times of series

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
	perModel  map[string]*modelSeries
	all       []*series      // every series, sorted by (model, template) when !unsorted
	allModels []*modelSeries // sorted by model when !unsorted
	unsorted  bool
	prices    *cost.Cache // nil without a Pricer
}

type snapshot struct {
	series map[seriesKey]*series
}

type seriesKey struct{ model, template string }

// counter is one counter series. created == 0: not exposed yet.
//
// As client_golang's counter, it sums integral increments as an integer and
// the others as a float, and its value is their sum: a value is the same
// float64 client_golang would expose for the same increments
// (TestRecorderMatchesClientGolang), and integral totals stay exact up to
// 2^64 instead of 2^53.
type counter struct {
	fval    float64 // the sum of the non-integral increments
	ival    uint64  // the sum of the integral increments
	created int64
	ex      exemplar
}

func (c *counter) add(v float64, ex *exemplar) {
	if iv := uint64(v); float64(iv) == v {
		c.ival += iv
	} else {
		c.fval += v
	}
	if ex != nil {
		c.ex = *ex
		c.ex.value = v
	}
}

// value is the counter's value, as client_golang computes it.
func (c *counter) value() float64 { return c.fval + float64(c.ival) }

// series holds every metric of one (model, template) pair.
type series struct {
	model, template string
	perModel        *modelSeries

	mu                 sync.Mutex
	requests           [genai.NumStatuses]counter
	prompt, completion counter
	cached, reasoning  counter
	cost               counter
	reported           counter // the part of cost the spans carried; created == 0 until one did
	duration           *histogram
	ttft, tpot         *histogram // nil until the first streamed call with a TTFT
	nextExemplar       int64
	price              cost.Memo // the price of the series' model
	// The label sets of its series, sorted by label name, as Gather exposes
	// them (shared by every scrape, as client_golang shares a metric's).
	lbl        []*dto.LabelPair // model, template
	requestLbl [genai.NumStatuses][]*dto.LabelPair
}

// modelSeries holds the metrics labeled by model only.
type modelSeries struct {
	model string

	mu           sync.Mutex
	errors       [genai.NumReasons]counter
	nextExemplar [genai.NumReasons]int64
	unpriced     counter
	lbl          []*dto.LabelPair // model
	errorLbl     [genai.NumReasons][]*dto.LabelPair
}

// New builds a Recorder.
func New(set Settings) (*Recorder, error) {
	r := &Recorder{
		set:       set,
		names:     newFamilyNames(set.Namespace),
		now:       func() int64 { return time.Now().UnixNano() },
		models:    map[string]struct{}{},
		templates: map[string]struct{}{},
		perModel:  map[string]*modelSeries{},
		prices:    cost.NewCache(set.Pricer),
	}
	schema := int32(0)
	if set.NativeHistograms {
		if !(set.NativeBucketFactor > 1) {
			return nil, fmt.Errorf("native bucket factor %v must be > 1", set.NativeBucketFactor)
		}
		schema = pickSchema(set.NativeBucketFactor)
	}
	for _, h := range []struct {
		shape   *histShape
		buckets []float64
	}{{&r.duration, set.DurationBuckets}, {&r.ttft, set.TTFTBuckets}, {&r.tpot, set.TPOTBuckets}} {
		if !sort.Float64sAreSorted(h.buckets) {
			return nil, fmt.Errorf("histogram buckets %v are not sorted", h.buckets)
		}
		bounds := h.buckets
		if n := len(bounds); n > 0 && math.IsInf(bounds[n-1], 1) {
			bounds = bounds[:n-1] // +Inf is implied
		}
		*h.shape = histShape{bounds: slices.Clone(bounds), native: set.NativeHistograms, schema: schema, maxBuckets: set.NativeMaxBuckets}
	}
	for st := range genai.NumStatuses {
		r.statusLabels[st] = labelPair("status", genai.Status(st).String())
		r.statusOrder = append(r.statusOrder, genai.Status(st))
	}
	slices.SortFunc(r.statusOrder, func(a, b genai.Status) int { return strings.Compare(a.String(), b.String()) })
	for rs := range genai.NumReasons {
		r.reasonLabels[rs] = labelPair("reason", genai.Reason(rs).String())
		if genai.Reason(rs) != genai.ReasonNone {
			r.reasonOrder = append(r.reasonOrder, genai.Reason(rs))
		}
	}
	slices.SortFunc(r.reasonOrder, func(a, b genai.Reason) int { return strings.Compare(a.String(), b.String()) })
	r.dirty = snapshot{series: map[seriesKey]*series{}}
	r.snap.Store(&snapshot{series: map[seriesKey]*series{}})
	return r, nil
}

func labelPair(name, value string) *dto.LabelPair {
	return &dto.LabelPair{Name: proto.String(name), Value: proto.String(value)}
}

// Record counts one call. now (Unix nanoseconds) paces exemplars and is
// their timestamp.
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
	wantExemplar := r.set.Exemplars && !c.TraceID.IsEmpty()
	var exv exemplar
	var ex *exemplar

	s.mu.Lock()
	if wantExemplar && now >= s.nextExemplar {
		s.nextExemplar = now + int64(exemplarInterval)
		exv = newExemplar(c, now)
		ex = &exv
	}
	s.requests[c.Status].add(1, ex)
	if c.HasDuration {
		s.duration.observe(c.Duration, ex)
	}
	if c.HasInputTokens {
		s.prompt.add(float64(c.InputTokens), ex)
	}
	if c.HasOutputTokens {
		s.completion.add(float64(c.OutputTokens), ex)
	}
	if c.HasCachedInput {
		s.cached.add(float64(c.CachedInputTokens), ex)
	}
	if c.HasReasoning {
		s.reasoning.add(float64(c.ReasoningTokens), ex)
	}
	if c.Streamed && c.HasTTFT {
		if s.ttft == nil {
			s.ttft = newHistogram(&r.ttft, r.now(), r.set.Exemplars)
		}
		s.ttft.observe(c.TTFT, ex)
		if c.HasDuration && c.HasOutputTokens && c.OutputTokens >= 2 {
			if s.tpot == nil {
				s.tpot = newHistogram(&r.tpot, r.now(), r.set.Exemplars)
			}
			s.tpot.observe((c.Duration-c.TTFT)/float64(c.OutputTokens-1), ex)
		}
	}
	unpriced := r.recordCost(s, c, ex)
	s.mu.Unlock()

	if c.Status == genai.StatusError || unpriced {
		r.recordPerModel(s.perModel, c, now, wantExemplar, ex, unpriced)
	}
	return of
}

// recordPerModel counts the call's error and its missing price.
func (r *Recorder) recordPerModel(m *modelSeries, c *genai.Call, now int64, wantExemplar bool, ex *exemplar, unpriced bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if unpriced {
		if m.unpriced.created == 0 {
			m.unpriced.created = r.now()
		}
		m.unpriced.add(1, nil)
	}
	if c.Status != genai.StatusError {
		return
	}
	reason := c.Reason
	if reason == genai.ReasonNone || int(reason) >= genai.NumReasons {
		reason = genai.ReasonOther
	}
	e := &m.errors[reason]
	if e.created == 0 {
		e.created = r.now()
	}
	var eex *exemplar
	if wantExemplar && now >= m.nextExemplar[reason] {
		m.nextExemplar[reason] = now + int64(exemplarInterval)
		if ex == nil {
			x := newExemplar(c, now)
			ex = &x
		}
		eex = ex
	}
	e.add(1, eex)
}

// lookupSlow resolves the bounded labels of a (model, template) pair not seen
// under these exact values, creating the series when needed.
func (r *Recorder) lookupSlow(rawModel, rawTmpl string) (*series, Overflow) {
	maxLen := r.set.MaxLabelValueLength
	model := sanitize(rawModel, maxLen)
	tmpl := sanitize(rawTmpl, maxLen)

	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.missed()
	var of Overflow
	model, of.Model = admit(r.models, model, r.set.MaxModels)
	tmpl, of.Template = admit(r.templates, tmpl, r.set.MaxTemplates)
	key := seriesKey{model, tmpl}
	if s := r.dirty.series[key]; s != nil {
		return s, of
	}
	if r.set.MaxPairs > 0 && len(r.all) >= r.set.MaxPairs && tmpl != OverflowValue {
		// Past the pair cap the template folds: the call counts under
		// (model, other), so its model stays visible.
		of.Template = true
		key.template = OverflowValue
		if s := r.dirty.series[key]; s != nil {
			return s, of
		}
	}
	s := r.newSeries(key.model, key.template)
	r.dirty.series[key] = s
	return s, of
}

func (r *Recorder) newSeries(model, tmpl string) *series {
	created := r.now()
	m := r.perModel[model]
	if m == nil {
		modelLabel := labelPair("model", model)
		m = &modelSeries{model: model, lbl: []*dto.LabelPair{modelLabel}}
		for rs := range genai.NumReasons {
			m.errorLbl[rs] = []*dto.LabelPair{modelLabel, r.reasonLabels[rs]}
		}
		r.perModel[model] = m
		r.allModels = append(r.allModels, m)
	}
	modelLabel, tmplLabel := m.lbl[0], labelPair("template", tmpl)
	s := &series{
		model: model, template: tmpl, perModel: m,
		lbl:      []*dto.LabelPair{modelLabel, tmplLabel},
		duration: newHistogram(&r.duration, created, r.set.Exemplars),
	}
	for st := range genai.NumStatuses {
		s.requests[st].created = created
		s.requestLbl[st] = []*dto.LabelPair{modelLabel, r.statusLabels[st], tmplLabel}
	}
	for _, c := range []*counter{&s.prompt, &s.completion, &s.cached, &s.reasoning, &s.cost} {
		c.created = created
	}
	r.all = append(r.all, s)
	r.unsorted = true
	return s
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

// missed counts a lookup that missed snap and publishes dirty as the next
// snap when it holds series snap lacks and enough misses have paid for the
// copy. Misses of values folded into "other" (a cardinality attack) find
// nothing new in dirty and never trigger a copy. Call with r.mu held.
func (r *Recorder) missed() {
	cur := r.snap.Load()
	if len(r.dirty.series) == len(cur.series) {
		r.misses = 0
		return
	}
	r.misses++
	if r.misses < len(r.dirty.series) {
		return
	}
	r.misses = 0
	r.snap.Store(&snapshot{series: maps.Clone(r.dirty.series)})
}

// recordCost adds the call's cost by the cost rule (internal/cost: the cost
// its span carries, else its tokens times its model's price) and reports a
// call with neither, to be counted in unpriced_requests_total so a missing
// price never reads as $0. A cost the span carries is also added to
// cost_reported_usd_total, whose series exists from the pair's first such
// call: cost_usd_total minus it is the part computed from the price table.
// A series remembers the price of its model (the span's own); the series
// folded into "other" holds many models and asks the bounded cache each
// time. Call with s.mu held.
func (r *Recorder) recordCost(s *series, c *genai.Call, ex *exemplar) (unpriced bool) {
	memo := &s.price
	if s.model == OverflowValue {
		memo = nil
	}
	v, src := r.prices.Of(c, memo)
	switch {
	case src == cost.Unpriced:
		return true
	case src == cost.Span:
		s.cost.add(v, ex)
		if s.reported.created == 0 {
			s.reported.created = r.now()
		}
		s.reported.add(v, ex)
	case v > 0:
		s.cost.add(v, ex)
	}
	return false
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

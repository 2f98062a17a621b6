// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package recorder records canonical LLM calls into Prometheus series with
// bounded labels and serves them as a prometheus.Gatherer.
package recorder // import "github.com/otelcol-llm/otelcol-llm/internal/recorder"

import (
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/otelcol-llm/otelcol-llm/internal/cost"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/labelvalue"
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

// Dimension is a configured label beside model and template.
type Dimension struct {
	Label string
	// Default is the value of a call without one; like OverflowValue it is
	// always admitted and takes no slot under MaxValues.
	Default   string
	MaxValues int
	// IdleTimeout > 0: see Recorder (expiry).
	IdleTimeout time.Duration
}

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
	// Dimensions are read from genai.Call.Dimensions, in order (at most
	// genai.MaxDimensions).
	Dimensions []Dimension
	// MaxLabelSets caps the label sets (model, template and the dimension
	// values), and so the series; 0: no cap beyond the caps of each label.
	// A new label set past the cap folds its least significant label into
	// "other" first: the last dimension, then the one before, …, then the
	// template, until it finds an existing label set; at most MaxLabelSets
	// label sets plus one (model, "other", …, "other") per model value exist.
	MaxLabelSets int
	// Budgets count the cost of the calls they match (budget.go).
	Budgets []Budget
	// Pricer prices calls whose span carries no cost; nil prices nothing.
	Pricer *pricing.Pricer
}

// Overflow tells which labels of a call were folded into OverflowValue (a
// label's cap, or the label set cap) and which dimension values were cut
// to the maximum length or repaired to valid UTF-8.
type Overflow struct {
	Model, Template bool
	// Dims: bit i, dimension i was folded into OverflowValue.
	Dims uint8
	// LabelSet: the label set cap folded a label.
	LabelSet bool
	// Cut: bit i, dimension i's value was cut or repaired.
	Cut uint8
}

// Recorder turns Calls into Prometheus series and serves them as a
// prometheus.Gatherer. It is safe for concurrent use.
//
// Each label set (model, template, dimension values) is one series struct
// holding every metric of the label set under one mutex, so recording a
// call is one map lookup and one uncontended lock, whatever the number of
// metrics it updates.
//
// Expiry: with a dimension's IdleTimeout set, a label set not updated for
// the smallest IdleTimeout of the dimensions leaves /metrics and frees the
// slots of its values under the caps; it is removed by the next scrape, or
// by a lookup that would otherwise fold a value into "other". A call to a
// removed label set creates it again, with a new created timestamp.
type Recorder struct {
	set            Settings
	duration, ttft histShape
	tpot           histShape
	names          familyNames
	layout         layout
	statusLabels   [genai.NumStatuses]*dto.LabelPair
	reasonLabels   [genai.NumReasons]*dto.LabelPair
	finishLabels   [genai.NumFinishReasons]*dto.LabelPair
	statusOrder    []genai.Status       // statuses in label value order
	reasonOrder    []genai.Reason       // reasons in label value order
	finishOrder    []genai.FinishReason // finish reasons in label value order
	now            func() int64         // creation times of series, expiry
	idle           int64                // expiry in nanoseconds, 0: off
	ndims          int
	defaults       [genai.MaxDimensions]string
	budgets        []*budget

	// snap is read without locks on the hot path. dirty, guarded by mu, holds
	// every series; a lookup that misses snap takes mu and finds or creates the
	// series in dirty, and dirty is published as the next snap once the misses
	// since the last publication reach its size (as sync.Map does), so the
	// copying costs O(1) per miss. Series are added, and removed only by
	// expiry (which publishes at once); their number is bounded by the caps.
	snap      atomic.Pointer[snapshot]
	seed      maphash.Seed
	seed64    uint64 // of hashString, random
	mu        sync.Mutex
	dirty     map[seriesKey]*series
	misses    int
	published int // len(dirty) at the last publication
	models    map[string]struct{}
	templates map[string]struct{}
	dimValues [genai.MaxDimensions]map[string]int // admitted values -> label sets holding them
	groups    map[groupKey]*groupSeries
	all       []*series      // every series, sorted by label values when !unsorted
	allGroups []*groupSeries // sorted by label values when !unsorted
	unsorted  bool
	nextSweep int64 // earliest time of a sweep asked by a lookup
	prices    *cost.Cache
}

// snapshot maps the hash of a label set (hashKey) to its series: hashing
// a few strings with maphash and looking a uint64 up costs a third of
// looking a struct of ten strings up. A lookup compares the key it finds;
// two label sets with the same hash (about one chance in 10^10 at the
// largest caps) are not both in a snapshot, and the other one is always
// found through dirty.
type snapshot struct {
	series map[uint64]*series
}

type dimValues = [genai.MaxDimensions]string

type seriesKey struct {
	model, template string
	dims            dimValues
}

// hashKey hashes the model, the template and the n configured dimensions of k.
func (r *Recorder) hashKey(k *seriesKey) uint64 {
	h := r.hashString(k.model)
	h = wymix(h^r.hashString(k.template), hashPrime1)
	for i := range r.ndims {
		h = wymix(h^r.hashString(k.dims[i&(genai.MaxDimensions-1)]), hashPrime1)
	}
	return h
}

// Constants of wyhash, whose short-input path hashString follows.
const (
	hashPrime0 = 0xa0761d6478bd642f
	hashPrime1 = 0xe7037ed1a0b428db
)

// hashString hashes s with the recorder's random seed: a string of up to 16
// bytes (most label values) as wyhash does, from its first and last bytes,
// inline; a longer one with maphash. Two label sets with one hash cost a
// slow lookup, never a wrong series (sameKey).
func (r *Recorder) hashString(s string) uint64 {
	n := len(s)
	var a, b uint64
	switch {
	case n > 16:
		return maphash.String(r.seed, s)
	case n >= 8:
		a, b = load64(s), load64(s[n-8:])
	case n >= 4:
		a, b = uint64(load32(s)), uint64(load32(s[n-4:]))
	case n > 0:
		a = uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1])
	}
	return wymix(hashPrime1^uint64(n), wymix(a^hashPrime1, b^r.seed64))
}

func wymix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// sameKey reports whether a and b have the same model, template and n
// configured dimensions.
func sameKey(a, b *seriesKey, n int) bool {
	if a.model != b.model || a.template != b.template {
		return false
	}
	for i := range n {
		if a.dims[i&(genai.MaxDimensions-1)] != b.dims[i&(genai.MaxDimensions-1)] {
			return false
		}
	}
	return true
}

// groupKey identifies the series labeled by model and dimensions only
// (errors, unpriced calls).
type groupKey struct {
	model string
	dims  dimValues
}

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

// series holds every metric of one label set.
type series struct {
	key   seriesKey
	hash  uint64   // hashKey(&key)
	vals  []string // label values in label name order (layout.series)
	group *groupSeries
	// budgets: bit i, the label set matches budget i.
	budgets uint64

	mu                 sync.Mutex
	dead               bool  // removed by expiry: look the label set up again
	last               int64 // time of the last call
	requests           [genai.NumStatuses]counter
	prompt, completion counter
	cached, reasoning  counter
	cacheCreation      counter
	cost               counter
	reported           counter // the part of cost the spans carried; created == 0 until one did
	duration           *histogram
	ttft, tpot         *histogram // nil until the first streamed call with a TTFT
	nextExemplar       int64
	price              cost.Memo // the price of the series' model
	// The label sets of its series, sorted by label name, as Gather exposes
	// them (shared by every scrape, as client_golang shares a metric's).
	lbl        []*dto.LabelPair // model, template, dimensions
	requestLbl [genai.NumStatuses][]*dto.LabelPair
}

// groupSeries holds the metrics labeled by model and dimensions only.
type groupSeries struct {
	key  groupKey
	vals []string // label values in label name order (layout.group)
	refs int      // series of the group; guarded by Recorder.mu

	mu           sync.Mutex
	errors       [genai.NumReasons]counter
	nextExemplar [genai.NumReasons]int64
	unpriced     counter
	// finish counts the calls by finish reason without the lock (most
	// calls have one): finishCreated[f] is 0 until the first.
	finish        [genai.NumFinishReasons]atomic.Uint64
	finishCreated [genai.NumFinishReasons]atomic.Int64
	interrupted   counter
	lbl           []*dto.LabelPair // model, dimensions
	errorLbl      [genai.NumReasons][]*dto.LabelPair
	finishLbl     [genai.NumFinishReasons][]*dto.LabelPair
}

// New builds a Recorder.
func New(set Settings) (*Recorder, error) {
	if len(set.Dimensions) > genai.MaxDimensions {
		return nil, fmt.Errorf("%d dimensions, at most %d", len(set.Dimensions), genai.MaxDimensions)
	}
	r := &Recorder{
		set:       set,
		names:     newFamilyNames(set.Namespace),
		now:       func() int64 { return time.Now().UnixNano() },
		models:    map[string]struct{}{},
		templates: map[string]struct{}{},
		groups:    map[groupKey]*groupSeries{},
		prices:    cost.NewCache(set.Pricer),
		ndims:     len(set.Dimensions),
	}
	labels := make([]string, 0, len(set.Dimensions))
	for i, d := range set.Dimensions {
		labels = append(labels, d.Label)
		r.defaults[i] = d.Default
		r.dimValues[i] = map[string]int{}
		if t := int64(d.IdleTimeout); t > 0 && (r.idle == 0 || t < r.idle) {
			r.idle = t
		}
	}
	r.layout = newLayout(labels)
	budgets, err := newBudgets(set.Budgets, labels)
	if err != nil {
		return nil, err
	}
	r.budgets = budgets
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
	for f := range genai.NumFinishReasons {
		r.finishLabels[f] = labelPair("finish_reason", genai.FinishReason(f).String())
		if genai.FinishReason(f) != genai.FinishNone {
			r.finishOrder = append(r.finishOrder, genai.FinishReason(f))
		}
	}
	slices.SortFunc(r.finishOrder, func(a, b genai.FinishReason) int { return strings.Compare(a.String(), b.String()) })
	r.seed = maphash.MakeSeed()
	r.seed64 = maphash.String(r.seed, "seed") ^ hashPrime0
	r.dirty = map[seriesKey]*series{}
	r.snap.Store(&snapshot{series: map[uint64]*series{}})
	return r, nil
}

func labelPair(name, value string) *dto.LabelPair {
	return &dto.LabelPair{Name: proto.String(name), Value: proto.String(value)}
}

// Record counts one call. now (Unix nanoseconds) paces exemplars, is their
// timestamp, the time of the label set's last update (expiry) and picks the
// budgets' windows.
func (r *Recorder) Record(c *genai.Call, now int64) Overflow {
	key := seriesKey{model: c.Model(), template: c.Template}
	if key.model == "" {
		key.model = UnknownModel
	}
	if key.template == "" {
		key.template = NoTemplate
	}
	for i := range r.ndims {
		i &= genai.MaxDimensions - 1
		if key.dims[i] = c.Dimensions[i]; key.dims[i] == "" {
			key.dims[i] = r.defaults[i]
		}
	}
	var of Overflow
	var budgets uint64
	s := r.snap.Load().series[r.hashKey(&key)]
	if s != nil && sameKey(&s.key, &key, r.ndims) {
		budgets = s.budgets
	} else {
		s, of, budgets = r.lookupSlow(&key, now)
	}
	wantExemplar := r.set.Exemplars && !c.TraceID.IsEmpty()
	var exv exemplar
	var ex *exemplar

	s.mu.Lock()
	for s.dead {
		s.mu.Unlock()
		s, of, budgets = r.lookupSlow(&key, now)
		s.mu.Lock()
	}
	s.last = now
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
	if c.HasCacheCreation {
		s.cacheCreation.add(float64(c.CacheCreationInputTokens), ex)
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
	v, unpriced := r.recordCost(s, c, ex)
	if f := c.FinishReason; f != genai.FinishNone && int(f) < genai.NumFinishReasons {
		// Under s.mu, as recordGroup: the group of a live series is live.
		g := s.group
		if g.finishCreated[f].Load() == 0 {
			g.finishCreated[f].CompareAndSwap(0, r.now())
		}
		g.finish[f].Add(1)
	}
	if c.Status == genai.StatusError || unpriced {
		// Under s.mu: expiry removes a group only after every series of it
		// is dead, so the group of a live series is live.
		r.recordGroup(s.group, c, now, wantExemplar, ex, unpriced)
	}
	s.mu.Unlock()
	if budgets != 0 && v > 0 {
		r.addBudgets(budgets, v, now)
	}
	return of
}

// recordGroup counts the call's error and its missing price.
func (r *Recorder) recordGroup(m *groupSeries, c *genai.Call, now int64, wantExemplar bool, ex *exemplar, unpriced bool) {
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
	if c.Interrupted() {
		if m.interrupted.created == 0 {
			m.interrupted.created = r.now()
		}
		m.interrupted.add(1, nil)
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

// lookupSlow resolves the bounded labels of a label set not seen under these
// exact values, creating the series when needed. It returns the budgets the
// call matches, by its own values (which may differ from the series' when a
// label was folded).
func (r *Recorder) lookupSlow(raw *seriesKey, now int64) (*series, Overflow, uint64) {
	maxLen := r.set.MaxLabelValueLength
	key := seriesKey{model: labelvalue.Sanitize(raw.model, maxLen), template: labelvalue.Sanitize(raw.template, maxLen)}
	var of Overflow
	for i := range r.ndims {
		i &= genai.MaxDimensions - 1
		key.dims[i] = labelvalue.Sanitize(raw.dims[i], maxLen)
		if len(key.dims[i]) != len(raw.dims[i]) || key.dims[i] != raw.dims[i] {
			of.Cut |= 1 << i
		}
	}
	budgets := r.matchBudgets(&key)

	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.missed()
	if r.idle > 0 && now >= r.nextSweep && r.full(&key) {
		// A value would fold: free what expired first (at most once a
		// second from lookups).
		r.nextSweep = now + int64(time.Second)
		r.sweepLocked(r.now())
	}
	key.model, of.Model = admit(r.models, key.model, r.set.MaxModels)
	key.template, of.Template = admit(r.templates, key.template, r.set.MaxTemplates)
	for i := range r.ndims {
		i &= genai.MaxDimensions - 1
		var folded bool
		key.dims[i], folded = r.admitDim(i, key.dims[i])
		if folded {
			of.Dims |= 1 << i
		}
	}
	if s := r.dirty[key]; s != nil {
		return s, of, budgets
	}
	if r.set.MaxLabelSets > 0 && len(r.all) >= r.set.MaxLabelSets {
		// Past the label set cap the least significant label folds first:
		// the last dimension, …, the first, then the template. The model
		// stays visible.
		admitted := key
		found := false
		for i := r.ndims - 1; i >= 0 && !found; i-- {
			if key.dims[i] == OverflowValue {
				continue
			}
			key.dims[i] = OverflowValue
			of.Dims |= 1 << i
			of.LabelSet = true
			found = r.dirty[key] != nil
		}
		if !found && key.template != OverflowValue {
			key.template = OverflowValue
			of.Template = true
			of.LabelSet = true
		}
		r.releaseUnused(&admitted, &key)
		if s := r.dirty[key]; s != nil {
			return s, of, budgets
		}
	}
	s := r.newSeries(key)
	r.dirty[key] = s
	return s, of, budgets
}

// full reports whether a value of key would fold into "other" under its
// label's cap or the label set cap. Call with r.mu held.
func (r *Recorder) full(key *seriesKey) bool {
	if r.set.MaxLabelSets > 0 && len(r.all) >= r.set.MaxLabelSets {
		return r.dirty[*key] == nil
	}
	for i := range r.ndims {
		v := key.dims[i]
		if _, ok := r.dimValues[i][v]; !ok && !r.reservedDim(i, v) && len(r.dimValues[i]) >= r.set.Dimensions[i].MaxValues {
			return true
		}
	}
	return false
}

func (r *Recorder) reservedDim(i int, v string) bool {
	return v == OverflowValue || v == r.defaults[i&(genai.MaxDimensions-1)]
}

// admitDim is admit for dimension i, whose values are counted by the label
// sets that hold them (expiry frees them). A value admitted here holds no
// label set yet: newSeries counts it, releaseUnused forgets it when the
// label set cap folded it. Call with r.mu held.
func (r *Recorder) admitDim(i int, v string) (string, bool) {
	if r.reservedDim(i, v) {
		return v, false
	}
	vals := r.dimValues[i&(genai.MaxDimensions-1)]
	if _, ok := vals[v]; ok {
		return v, false
	}
	if len(vals) >= r.set.Dimensions[i].MaxValues {
		return OverflowValue, true
	}
	v = strings.Clone(v)
	vals[v] = 0
	return v, false
}

// releaseUnused forgets the dimension values of admitted that the label set
// cap folded and that no label set holds. Call with r.mu held.
func (r *Recorder) releaseUnused(admitted, key *seriesKey) {
	for i := range r.ndims {
		i &= genai.MaxDimensions - 1
		v := admitted.dims[i]
		if v == key.dims[i] || r.reservedDim(i, v) {
			continue
		}
		if n, ok := r.dimValues[i][v]; ok && n == 0 {
			delete(r.dimValues[i], v)
		}
	}
}

func (r *Recorder) newSeries(key seriesKey) *series {
	created := r.now()
	gk := groupKey{model: key.model, dims: key.dims}
	g := r.groups[gk]
	if g == nil {
		g = &groupSeries{key: gk, vals: r.layout.groupValues(&gk)}
		g.lbl = r.layout.groupLabels(g.vals)
		for rs := range genai.NumReasons {
			g.errorLbl[rs] = withLabel(g.lbl, r.reasonLabels[rs], r.layout.reasonAt)
		}
		for f := range genai.NumFinishReasons {
			g.finishLbl[f] = withLabel(g.lbl, r.finishLabels[f], r.layout.finishAt)
		}
		r.groups[gk] = g
		r.allGroups = append(r.allGroups, g)
	}
	g.refs++
	for i := range r.ndims {
		if v := key.dims[i]; !r.reservedDim(i, v) {
			r.dimValues[i][v]++
		}
	}
	s := &series{
		key: key, hash: r.hashKey(&key), group: g, last: created,
		vals:     r.layout.seriesValues(&key),
		duration: newHistogram(&r.duration, created, r.set.Exemplars),
		budgets:  r.matchBudgets(&key),
	}
	s.lbl = r.layout.seriesLabels(s.vals, g.lbl)
	for st := range genai.NumStatuses {
		s.requests[st].created = created
		s.requestLbl[st] = withLabel(s.lbl, r.statusLabels[st], r.layout.statusAt)
	}
	for _, c := range []*counter{&s.prompt, &s.completion, &s.cached, &s.cacheCreation, &s.reasoning, &s.cost} {
		c.created = created
	}
	r.all = append(r.all, s)
	r.unsorted = true
	return s
}

// sweepLocked removes the label sets not updated since now - idle, and
// the groups and dimension values they alone held, and publishes the
// remaining series at once. Call with r.mu held.
func (r *Recorder) sweepLocked(now int64) {
	if r.idle <= 0 {
		return
	}
	removed := 0
	kept := r.all[:0]
	for _, s := range r.all {
		s.mu.Lock()
		expired := now-s.last >= r.idle
		if expired {
			s.dead = true
		}
		s.mu.Unlock()
		if !expired {
			kept = append(kept, s)
			continue
		}
		removed++
		delete(r.dirty, s.key)
		for i := range r.ndims {
			v := s.key.dims[i]
			if r.reservedDim(i, v) {
				continue
			}
			r.dimValues[i][v]--
			if r.dimValues[i][v] <= 0 {
				delete(r.dimValues[i], v)
			}
		}
		s.group.refs--
		if s.group.refs == 0 {
			delete(r.groups, s.group.key)
		}
	}
	if removed == 0 {
		return
	}
	clear(r.all[len(kept):]) // drop the references for the GC
	r.all = kept
	groups := r.allGroups[:0]
	for _, g := range r.allGroups {
		if g.refs > 0 {
			groups = append(groups, g)
		}
	}
	clear(r.allGroups[len(groups):])
	r.allGroups = groups
	r.publish()
}

// publish makes dirty the next snapshot. Call with r.mu held.
func (r *Recorder) publish() {
	r.misses, r.published = 0, len(r.dirty)
	m := make(map[uint64]*series, len(r.dirty))
	for _, s := range r.dirty {
		if _, taken := m[s.hash]; !taken {
			m[s.hash] = s
		}
	}
	r.snap.Store(&snapshot{series: m})
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
	if len(r.dirty) == r.published {
		r.misses = 0
		return
	}
	r.misses++
	if r.misses < len(r.dirty) {
		return
	}
	r.publish()
}

// recordCost adds the call's cost by the cost rule (internal/cost: the cost
// its span carries, else its tokens times its model's price) and reports a
// call with neither, to be counted in unpriced_requests_total so a missing
// price never reads as $0. A cost the span carries is also added to
// cost_reported_usd_total, whose series exists from the pair's first such
// call: cost_usd_total minus it is the part computed from the price table.
// A series remembers the price of its model (the span's own); the series
// folded into "other" holds many models and asks the bounded cache each
// time. It returns the call's cost. Call with s.mu held.
func (r *Recorder) recordCost(s *series, c *genai.Call, ex *exemplar) (v float64, unpriced bool) {
	memo := &s.price
	if s.key.model == OverflowValue {
		memo = nil
	}
	v, src := r.prices.Of(c, memo)
	switch {
	case src == cost.Unpriced:
		return 0, true
	case src == cost.Span:
		s.cost.add(v, ex)
		if s.reported.created == 0 {
			s.reported.created = r.now()
		}
		s.reported.add(v, ex)
	case v > 0:
		s.cost.add(v, ex)
	}
	return v, false
}

// SetClock replaces the clock of creation times, expiry and budget windows
// (tests).
func (r *Recorder) SetClock(now func() int64) { r.now = now }

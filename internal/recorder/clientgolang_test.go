// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package recorder

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/labelvalue"
)

// reference holds the recorder's metrics as client_golang CounterVecs and
// HistogramVecs on a pedantic registry: what the recorder's Gather must equal.
type reference struct {
	reg                                  *prometheus.Registry
	exemplars                            bool
	requests, prompt, completion, cached *prometheus.CounterVec
	cacheCreation, reasoning, cost       *prometheus.CounterVec
	errors, unpriced                     *prometheus.CounterVec
	reported, finish, interrupted        *prometheus.CounterVec
	duration, ttft, tpot                 *prometheus.HistogramVec
	pairs, errorSeries, unpricedSeries   map[string]bool
	maxLabelLength                       int
	dims                                 []Dimension
}

func newReference(t *testing.T, set Settings) *reference {
	t.Helper()
	ns := set.Namespace
	var dimLabels []string
	for _, d := range set.Dimensions {
		dimLabels = append(dimLabels, d.Label)
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help}, append(labels, dimLabels...))
	}
	histogram := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		opts := prometheus.HistogramOpts{Namespace: ns, Name: name, Help: help, Buckets: buckets}
		if set.NativeHistograms {
			opts.NativeHistogramBucketFactor = set.NativeBucketFactor
			opts.NativeHistogramMaxBucketNumber = set.NativeMaxBuckets
			// Never reset, never widen the zero bucket: past the bucket
			// limit, only halve the resolution.
			opts.NativeHistogramMinResetDuration = 0
			opts.NativeHistogramMaxZeroThreshold = 0
			// Keep the 10 latest exemplars (a negative TTL: "always delete
			// the oldest"; -1ns would disable them).
			opts.NativeHistogramExemplarTTL = -time.Hour
		}
		return prometheus.NewHistogramVec(opts, append([]string{"model", "template"}, dimLabels...))
	}
	r := &reference{
		reg:            prometheus.NewPedanticRegistry(),
		exemplars:      set.Exemplars,
		requests:       counter("requests_total", helps[nameRequests], "model", "status", "template"),
		prompt:         counter("prompt_tokens_total", helps[namePrompt], "model", "template"),
		completion:     counter("completion_tokens_total", helps[nameCompletion], "model", "template"),
		cached:         counter("cached_prompt_tokens_total", helps[nameCached], "model", "template"),
		cacheCreation:  counter("cache_creation_prompt_tokens_total", helps[nameCacheWrite], "model", "template"),
		reasoning:      counter("reasoning_tokens_total", helps[nameReasoning], "model", "template"),
		cost:           counter("cost_usd_total", helps[nameCost], "model", "template"),
		reported:       counter("cost_reported_usd_total", helps[nameReported], "model", "template"),
		errors:         counter("errors_total", helps[nameErrors], "model", "reason"),
		unpriced:       counter("unpriced_requests_total", helps[nameUnpriced], "model"),
		finish:         counter("finish_reasons_total", helps[nameFinish], "finish_reason", "model"),
		interrupted:    counter("stream_interruptions_total", helps[nameInterrupt], "model"),
		duration:       histogram("request_duration_seconds", helps[nameDuration], set.DurationBuckets),
		ttft:           histogram("time_to_first_token_seconds", helps[nameTTFT], set.TTFTBuckets),
		tpot:           histogram("time_per_output_token_seconds", helps[nameTPOT], set.TPOTBuckets),
		pairs:          map[string]bool{},
		errorSeries:    map[string]bool{},
		unpricedSeries: map[string]bool{},
		maxLabelLength: set.MaxLabelValueLength,
		dims:           set.Dimensions,
	}
	for _, c := range []prometheus.Collector{
		r.requests, r.prompt, r.completion, r.cached, r.cacheCreation, r.reasoning, r.cost, r.reported,
		r.errors, r.unpriced, r.duration, r.ttft, r.tpot, r.finish, r.interrupted,
	} {
		require.NoError(t, r.reg.Register(c))
	}
	return r
}

// record counts c as the recorder's metrics are specified: of tells which
// labels the recorder folded into "other" (the caps are tested elsewhere).
// Every call comes at least a second after the previous one, so every call
// with a trace ID leaves an exemplar wherever it counts.
func (r *reference) record(c *genai.Call, of Overflow) {
	model, tmpl := c.Model(), c.Template
	if model == "" {
		model = UnknownModel
	}
	if tmpl == "" {
		tmpl = NoTemplate
	}
	model, tmpl = labelvalue.Sanitize(model, r.maxLabelLength), labelvalue.Sanitize(tmpl, r.maxLabelLength)
	if of.Model {
		model = OverflowValue
	}
	if of.Template {
		tmpl = OverflowValue
	}
	var dims []string
	for i, d := range r.dims {
		v := c.Dimensions[i]
		if v == "" {
			v = d.Default
		}
		v = labelvalue.Sanitize(v, r.maxLabelLength)
		if of.Dims&(1<<i) != 0 {
			v = OverflowValue
		}
		dims = append(dims, v)
	}
	lv := func(vals ...string) []string { return append(vals, dims...) }
	if key := strings.Join(lv(model, tmpl), "\xff"); !r.pairs[key] {
		// A pair's counters and duration histogram exist from its first call.
		r.pairs[key] = true
		for st := range genai.NumStatuses {
			r.requests.WithLabelValues(lv(model, genai.Status(st).String(), tmpl)...)
		}
		for _, v := range []*prometheus.CounterVec{r.prompt, r.completion, r.cached, r.cacheCreation, r.reasoning, r.cost} {
			v.WithLabelValues(lv(model, tmpl)...)
		}
		r.duration.WithLabelValues(lv(model, tmpl)...)
	}
	var ex prometheus.Labels
	if r.exemplars && !c.TraceID.IsEmpty() {
		ex = prometheus.Labels{"trace_id": hex.EncodeToString(c.TraceID[:]), "span_id": hex.EncodeToString(c.SpanID[:])}
	}
	add := func(ctr prometheus.Counter, v float64) {
		if ex != nil {
			ctr.(prometheus.ExemplarAdder).AddWithExemplar(v, ex)
		} else {
			ctr.Add(v)
		}
	}
	observe := func(h prometheus.Observer, v float64) {
		if ex != nil {
			h.(prometheus.ExemplarObserver).ObserveWithExemplar(v, ex)
		} else {
			h.Observe(v)
		}
	}
	add(r.requests.WithLabelValues(lv(model, c.Status.String(), tmpl)...), 1)
	if c.HasDuration {
		observe(r.duration.WithLabelValues(lv(model, tmpl)...), c.Duration)
	}
	if c.HasInputTokens {
		add(r.prompt.WithLabelValues(lv(model, tmpl)...), float64(c.InputTokens))
	}
	if c.HasOutputTokens {
		add(r.completion.WithLabelValues(lv(model, tmpl)...), float64(c.OutputTokens))
	}
	if c.HasCachedInput {
		add(r.cached.WithLabelValues(lv(model, tmpl)...), float64(c.CachedInputTokens))
	}
	if c.HasCacheCreation {
		add(r.cacheCreation.WithLabelValues(lv(model, tmpl)...), float64(c.CacheCreationInputTokens))
	}
	if c.HasReasoning {
		add(r.reasoning.WithLabelValues(lv(model, tmpl)...), float64(c.ReasoningTokens))
	}
	if c.Streamed && c.HasTTFT {
		observe(r.ttft.WithLabelValues(lv(model, tmpl)...), c.TTFT)
		if c.HasDuration && c.HasOutputTokens && c.OutputTokens >= 2 {
			observe(r.tpot.WithLabelValues(lv(model, tmpl)...), (c.Duration-c.TTFT)/float64(c.OutputTokens-1))
		}
	}
	if c.HasCost {
		// No price table: every cost is the span's own, so reported equals
		// cost, its series created by the pair's first call carrying one.
		add(r.cost.WithLabelValues(lv(model, tmpl)...), c.Cost)
		add(r.reported.WithLabelValues(lv(model, tmpl)...), c.Cost)
	} else {
		// No price table: a call without a cost is unpriced (no exemplar).
		r.unpriced.WithLabelValues(lv(model)...).Inc()
	}
	if c.FinishReason != genai.FinishNone {
		r.finish.WithLabelValues(lv(c.FinishReason.String(), model)...).Inc()
	}
	if c.Streamed && c.HasTTFT && c.Status == genai.StatusError {
		r.interrupted.WithLabelValues(lv(model)...).Inc()
	}
	if c.Status == genai.StatusError {
		reason := c.Reason
		if reason == genai.ReasonNone {
			reason = genai.ReasonOther
		}
		add(r.errors.WithLabelValues(lv(model, reason.String())...), 1)
	}
}

// randomCalls returns n random calls a second or more apart (their times in
// Unix nanoseconds): many models (some needing sanitizing, the reserved
// values, none), templates, both statuses, every reason, tokens up to 2^40,
// durations, TTFTs and times per output token (negative when the TTFT exceeds
// the duration) at classic and native bucket bounds, their neighbors and far
// beyond, carried costs, trace IDs on most calls.
func randomCalls(seed uint64, n int) ([]genai.Call, []int64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var models []string
	for i := range 24 {
		models = append(models, fmt.Sprintf("model-%02d", i))
	}
	models = append(models, "", "unknown", "other", `quote"d`, `back\slash`, "new\nline", "ünïcödé", "\xffbad",
		strings.Repeat("long-", 30), "{braces}", "comma,=sign")
	dimPool := []string{"", "", "web", "api", "batch", "other", "none", "unknown", "openai", "x\xffy", "ünïcödé-long-value", "a", "b", "c"}
	templates := []string{"support", "", "none", "summarize", "classify", `t"1`, "t\\2", "t\n3", "日本語", strings.Repeat("x", 100), "other"}
	values := []float64{
		0, 1e-300, 1e-40, 3e-39, 0.01, 0.025, 0.1, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 30, 60, 123.456,
		0.1 + 0.2, 1e6, 1e21, 7,
	}
	for k := -8; k <= 8; k++ { // native bucket bounds at schema 3 and their neighbors
		v := math.Pow(2, float64(k)/8)
		values = append(values, v, math.Nextafter(v, 0), math.Nextafter(v, math.Inf(1)))
	}
	pick := func() float64 {
		switch rng.IntN(4) {
		case 0:
			return math.Exp(rng.NormFloat64() * 10) // widely spread: 1e-13 … 1e13
		case 1:
			return rng.ExpFloat64() * 3
		}
		return values[rng.IntN(len(values))]
	}
	calls := make([]genai.Call, n)
	times := make([]int64, n)
	now := int64(1_764_000_000_000_000_000)
	for i := range calls {
		now += int64(time.Second) + rng.Int64N(int64(2*time.Second))
		times[i] = now
		c := genai.Call{Template: templates[rng.IntN(len(templates))]}
		for d := range 3 { // read only by the configurations with dimensions
			c.Dimensions[d] = dimPool[rng.IntN(len(dimPool))]
		}
		if rng.IntN(6) == 0 {
			c.ResponseModel = models[rng.IntN(len(models))]
		} else {
			c.RequestModel = models[rng.IntN(len(models))]
		}
		if rng.IntN(5) > 0 {
			c.Duration, c.HasDuration = pick(), true
		}
		if rng.IntN(5) > 0 {
			c.InputTokens, c.HasInputTokens = rng.Int64N(1<<40), true
		}
		if rng.IntN(5) > 0 {
			c.OutputTokens, c.HasOutputTokens = rng.Int64N(3000), true
		}
		if rng.IntN(4) == 0 {
			c.CachedInputTokens, c.HasCachedInput = rng.Int64N(1000), true
		}
		if rng.IntN(4) == 0 {
			c.ReasoningTokens, c.HasReasoning = rng.Int64N(1000), true
		}
		if rng.IntN(3) == 0 {
			c.Cost, c.HasCost = pick(), true
		}
		if rng.IntN(3) == 0 {
			c.Streamed = true
			c.TTFT, c.HasTTFT = pick(), rng.IntN(8) > 0
		}
		if rng.IntN(4) == 0 {
			c.Status, c.Reason = genai.StatusError, genai.Reason(rng.IntN(genai.NumReasons))
		}
		if rng.IntN(8) > 0 {
			binary.LittleEndian.PutUint64(c.TraceID[:8], rng.Uint64())
			binary.LittleEndian.PutUint64(c.TraceID[8:], rng.Uint64())
			binary.LittleEndian.PutUint64(c.SpanID[:], rng.Uint64())
		}
		// Every finish reason, none included, and cache writes (up to 2^40
		// tokens) on a fifth of the calls, without drawing from rng (the
		// other tests' calls stay as they were).
		c.FinishReason = genai.FinishReason(i % genai.NumFinishReasons)
		if i%5 == 2 {
			c.CacheCreationInputTokens, c.HasCacheCreation = int64(i)*int64(i)*int64(i)*40_009%(1<<40), true
		}
		calls[i] = c
	}
	return calls, times
}

// callWindows are the wall-clock intervals, in Unix nanoseconds, during which
// each call was recorded into both sides.
type callWindows [][2]int64

// index returns the call during which ts was taken, or -1.
func (w callWindows) index(ts int64) int {
	i := sort.Search(len(w), func(i int) bool { return w[i][1] >= ts })
	if i < len(w) && w[i][0] <= ts {
		return i
	}
	return -1
}

// normalize rewrites what two sides cannot share so that the rest compares
// exactly: each created timestamp becomes the index of the call during which
// the series was created; each exemplar timestamp, once checked (ours: the
// time of its call; client_golang's: the wall clock during that call),
// becomes the index of its call; exemplar labels are sorted by name (client_golang
// builds them from a map) and native exemplars by value, then call
// (client_golang keeps them sorted by value, ours in arrival order).
func normalize(t *testing.T, mfs []*dto.MetricFamily, windows callWindows, callOf map[string]int, times []int64, ours bool) {
	t.Helper()
	created := func(ts *timestamppb.Timestamp) *timestamppb.Timestamp {
		if ts == nil {
			return nil
		}
		return &timestamppb.Timestamp{Seconds: int64(windows.index(ts.AsTime().UnixNano()))}
	}
	exemplar := func(e *dto.Exemplar) {
		if e == nil {
			return
		}
		slices.SortFunc(e.Label, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
		call := -1
		for _, lp := range e.Label {
			if lp.GetName() == "trace_id" {
				if i, ok := callOf[lp.GetValue()]; ok {
					call = i
				}
			}
		}
		ts := e.GetTimestamp().AsTime().UnixNano()
		if call >= 0 {
			if ours {
				require.Equal(t, times[call], ts, "our exemplar's timestamp is the time of its call")
			} else {
				require.Equal(t, call, windows.index(ts), "client_golang's exemplar is taken during its call")
			}
		}
		e.Timestamp = &timestamppb.Timestamp{Seconds: int64(call)}
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if c := m.GetCounter(); c != nil {
				c.CreatedTimestamp = created(c.CreatedTimestamp)
				exemplar(c.Exemplar)
			}
			if h := m.GetHistogram(); h != nil {
				h.CreatedTimestamp = created(h.CreatedTimestamp)
				for _, b := range h.GetBucket() {
					exemplar(b.Exemplar)
				}
				for _, e := range h.GetExemplars() {
					exemplar(e)
				}
				slices.SortStableFunc(h.Exemplars, func(a, b *dto.Exemplar) int {
					if c := cmp.Compare(a.GetValue(), b.GetValue()); c != 0 {
						return c
					}
					return int(a.GetTimestamp().GetSeconds() - b.GetTimestamp().GetSeconds())
				})
			}
		}
	}
}

// requireSameFamilies fails with the first series that differs.
func requireSameFamilies(t *testing.T, want, got []*dto.MetricFamily, msg string) {
	t.Helper()
	names := func(mfs []*dto.MetricFamily) []string {
		var out []string
		for _, mf := range mfs {
			out = append(out, fmt.Sprintf("%s (%d series)", mf.GetName(), len(mf.GetMetric())))
		}
		return out
	}
	require.Equal(t, names(want), names(got), "%s: families", msg)
	for i := range want {
		if proto.Equal(want[i], got[i]) {
			continue
		}
		w, g := want[i], got[i]
		for j := range w.Metric {
			if !proto.Equal(w.Metric[j], g.Metric[j]) {
				t.Fatalf("%s: %s series %d differs:\nclient_golang %s\nrecorder      %s", msg, w.GetName(), j,
					prototext.Format(w.Metric[j]), prototext.Format(g.Metric[j]))
			}
		}
		t.Fatalf("%s: %s differs:\nclient_golang %s\nrecorder      %s", msg, w.GetName(), prototext.Format(w), prototext.Format(g))
	}
}

// TestRecorderMatchesClientGolang records the same random calls into the
// recorder and into client_golang CounterVecs and HistogramVecs (classic and
// native, same schema, bucket limit, no reset, no zero-bucket widening) on a
// pedantic registry, and requires the same Gather output at several points:
// families, help, series and their order, values, classic buckets, native
// schema, zero bucket, spans and deltas (bucket reduction under a low bucket
// limit included), created timestamps (as the call that created the series)
// and exemplars (labels, values, the call they come from).
func TestRecorderMatchesClientGolang(t *testing.T) {
	configs := map[string]func(*Settings){
		"default": func(*Settings) {},
		// Widely spread values through 4 native buckets: the resolution
		// drops to the lowest schema, one halving per observation.
		"max_buckets_4": func(s *Settings) { s.NativeMaxBuckets = 4 },
		"max_buckets_1": func(s *Settings) { s.NativeMaxBuckets, s.NativeBucketFactor = 1, 1.003 },
		"no_exemplars":  func(s *Settings) { s.Exemplars = false },
		"classic_only":  func(s *Settings) { s.NativeHistograms = false },
		"classic_only_no_exemplars": func(s *Settings) {
			s.NativeHistograms, s.Exemplars = false, false
		},
		"other_buckets_no_namespace": func(s *Settings) {
			s.Namespace, s.NativeBucketFactor = "", 2
			s.DurationBuckets = []float64{1e-7, 1e-3, 1, 1e3, 1e7, 1e22, math.Inf(1)}
			s.TTFTBuckets = []float64{0.5}
		},
		// Models and templates past the caps fold into "other".
		"caps": func(s *Settings) { s.MaxModels, s.MaxTemplates, s.MaxLabelSets, s.MaxLabelValueLength = 6, 4, 9, 8 },
		// Dimensions: labels sorted among model, status, template and
		// reason; values past their caps and the label set cap fold.
		"dimensions": func(s *Settings) {
			s.Dimensions = []Dimension{
				{Label: "service", Default: "unknown", MaxValues: 4},
				{Label: "provider", Default: "unknown", MaxValues: 3},
				{Label: "a_first", Default: "none", MaxValues: 2},
			}
			s.MaxLabelSets, s.MaxLabelValueLength = 60, 8
		},
	}
	for name, configure := range configs {
		t.Run(name, func(t *testing.T) {
			set := testSettings()
			configure(&set)
			r, err := New(set)
			require.NoError(t, err)
			r.now = func() int64 { return time.Now().UnixNano() } // the clock client_golang reads
			ref := newReference(t, set)

			calls, times := randomCalls(uint64(len(name)), 3000)
			callOf := map[string]int{}
			var windows callWindows
			var folded int
			checkpoints := []int{1, 2, 10, 100, 500, 1000, 3000}
			for i := range calls {
				c := &calls[i]
				if !c.TraceID.IsEmpty() {
					callOf[hex.EncodeToString(c.TraceID[:])] = i
				}
				start := time.Now().UnixNano()
				of := r.Record(c, times[i])
				ref.record(c, of)
				windows = append(windows, [2]int64{start, time.Now().UnixNano()})
				if of.Model || of.Template || of.Dims != 0 {
					folded++
				}
				if !slices.Contains(checkpoints, i+1) {
					continue
				}
				want, err := ref.reg.Gather()
				require.NoError(t, err)
				got, err := r.Gather()
				require.NoError(t, err)
				// normalize must not edit what both sides share between
				// scrapes (client_golang's exemplars, our label pairs).
				want, got = cloneFamilies(want), cloneFamilies(got)
				normalize(t, want, windows, callOf, times, false)
				normalize(t, got, windows, callOf, times, true)
				requireSameFamilies(t, want, got, fmt.Sprintf("after %d calls", i+1))
			}
			if name == "caps" || name == "dimensions" {
				require.Positive(t, folded, "some calls fold into other")
			}
			assertCovered(t, r, set)
		})
	}
}

func cloneFamilies(mfs []*dto.MetricFamily) []*dto.MetricFamily {
	out := make([]*dto.MetricFamily, len(mfs))
	for i, mf := range mfs {
		out[i] = proto.Clone(mf).(*dto.MetricFamily)
	}
	return out
}

// assertCovered checks that the random calls reached what the comparison is
// meant to cover: every family, and with native histograms negative
// buckets, a full set of native exemplars and, under a low bucket limit, a
// reduced resolution.
func assertCovered(t *testing.T, r *Recorder, set Settings) {
	t.Helper()
	mfs, err := r.Gather()
	require.NoError(t, err)
	families := len(r.names.order)
	if len(set.Budgets) == 0 {
		families -= 2 // budget_limit_usd, budget_cost_usd_total
	}
	require.Len(t, mfs, families, "every family has series")
	if !set.NativeHistograms {
		return
	}
	var reduced, negative, exemplars bool
	wantReduced := set.NativeMaxBuckets < 16
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			if h == nil {
				continue
			}
			reduced = reduced || h.GetSchema() < pickSchema(set.NativeBucketFactor)
			negative = negative || len(h.GetNegativeSpan()) > 0
			exemplars = exemplars || len(h.GetExemplars()) == nativeExemplars
		}
	}
	if wantReduced {
		require.True(t, reduced, "some native histogram has a reduced resolution")
	}
	require.True(t, negative, "some native histogram has negative buckets")
	require.Equal(t, set.Exemplars, exemplars, "some native histogram keeps %d exemplars", nativeExemplars)
}

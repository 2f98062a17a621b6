// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const (
	acceptText        = "text/plain;version=0.0.4"
	acceptOpenMetrics = "application/openmetrics-text; version=1.0.0"
	acceptProto       = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
)

// scrapeText scrapes url in the Prometheus text format and parses it.
func scrapeText(ctx context.Context, t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	body, _, err := get(ctx, url, acceptText)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s: %v\n%s", url, err, body)
	}
	return mfs
}

// scrapeProto scrapes url in the delimited protobuf format (the one Prometheus
// prefers when it ingests created timestamps and native histograms).
func scrapeProto(ctx context.Context, t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	body, ct, err := get(ctx, url, acceptProto)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	if !strings.HasPrefix(ct, "application/vnd.google.protobuf") {
		t.Fatalf("scrape %s as protobuf: got Content-Type %q", url, ct)
	}
	dec := expfmt.NewDecoder(bytes.NewReader(body), expfmt.NewFormat(expfmt.TypeProtoDelim))
	mfs := map[string]*dto.MetricFamily{}
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err != nil {
			if errors.Is(err, io.EOF) {
				return mfs
			}
			t.Fatalf("decode protobuf scrape of %s: %v", url, err)
		}
		mfs[mf.GetName()] = mf
	}
}

func labelsOf(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.GetLabel()))
	for _, lp := range m.GetLabel() {
		out[lp.GetName()] = lp.GetValue()
	}
	return out
}

func labelNames(m *dto.Metric) []string {
	var out []string
	for _, lp := range m.GetLabel() {
		out = append(out, lp.GetName())
	}
	sort.Strings(out)
	return out
}

func seriesString(name string, m *dto.Metric) string {
	var parts []string
	for _, lp := range m.GetLabel() {
		parts = append(parts, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// family returns the named family and checks its type and label names.
func family(t *testing.T, mfs map[string]*dto.MetricFamily, name string, typ dto.MetricType, labels ...string) *dto.MetricFamily {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		t.Errorf("metric family %s is missing", name)
		return &dto.MetricFamily{}
	}
	if mf.GetType() != typ {
		t.Errorf("%s: type %s, want %s", name, mf.GetType(), typ)
	}
	want := slices.Clone(labels)
	sort.Strings(want)
	for _, m := range mf.GetMetric() {
		if got := labelNames(m); !slices.Equal(got, want) {
			t.Errorf("%s: label names %v, want %v", seriesString(name, m), got, want)
		}
	}
	return mf
}

// compareCounters asserts that the counter family holds exactly the want series
// (keyed by seriesString) with exactly these values.
func compareCounters(t *testing.T, mf *dto.MetricFamily, want map[string]float64) {
	t.Helper()
	got := map[string]float64{}
	for _, m := range mf.GetMetric() {
		got[seriesString(mf.GetName(), m)] = m.GetCounter().GetValue()
	}
	for k, v := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("series %s is missing (want %v)", k, v)
		case g != v:
			t.Errorf("series %s = %v, want %v", k, g, v)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected series %s = %v", k, g)
		}
	}
}

// wantHistogram is the exact content of one histogram series.
type wantHistogram struct {
	count   uint64
	sum     float64
	buckets []uint64 // cumulative, one per bound, +Inf last
}

// compareHistograms asserts that the histogram family holds exactly the want
// series with exactly these bucket counts (classic buckets), counts and sums.
func compareHistograms(t *testing.T, mf *dto.MetricFamily, bounds []float64, want map[string]wantHistogram) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range mf.GetMetric() {
		key := seriesString(mf.GetName(), m)
		seen[key] = true
		w, ok := want[key]
		if !ok {
			t.Errorf("unexpected series %s (count %d)", key, m.GetHistogram().GetSampleCount())
			continue
		}
		h := m.GetHistogram()
		if h.GetSampleCount() != w.count {
			t.Errorf("%s: count %d, want %d", key, h.GetSampleCount(), w.count)
		}
		if math.Abs(h.GetSampleSum()-w.sum) > 1e-9*math.Max(1, w.sum) {
			t.Errorf("%s: sum %v, want %v", key, h.GetSampleSum(), w.sum)
		}
		var gotBounds []float64
		var gotCounts []uint64
		for _, b := range h.GetBucket() {
			if math.IsInf(b.GetUpperBound(), +1) {
				if b.GetCumulativeCount() != h.GetSampleCount() {
					t.Errorf("%s: +Inf bucket %d != count %d", key, b.GetCumulativeCount(), h.GetSampleCount())
				}
				continue
			}
			gotBounds = append(gotBounds, b.GetUpperBound())
			gotCounts = append(gotCounts, b.GetCumulativeCount())
		}
		gotCounts = append(gotCounts, h.GetSampleCount())
		if !slices.Equal(gotBounds, bounds) {
			t.Errorf("%s: bucket bounds %v, want %v", key, gotBounds, bounds)
		}
		if !slices.Equal(gotCounts, w.buckets) {
			t.Errorf("%s: cumulative bucket counts %v (+Inf last), want %v", key, gotCounts, w.buckets)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("series %s is missing", k)
		}
	}
}

// key builds the seriesString of a series from label pairs.
func key(name string, kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, fmt.Sprintf("%s=%q", kv[i], kv[i+1]))
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// assertLLMMetrics checks every llm_* series after `rounds` sends of the
// scenario to a collector without dimensions.
func assertLLMMetrics(t *testing.T, mfs map[string]*dto.MetricFamily, rounds int) {
	t.Helper()
	assertLLMMetricsDims(t, mfs, rounds, false)
}

// assertLLMMetricsDims is assertLLMMetrics; with dims, for a collector with
// the shipped dimensions [service, provider] (config/*.yaml): every series
// also carries the service and provider labels of its calls (scenarioDims).
func assertLLMMetricsDims(t *testing.T, mfs map[string]*dto.MetricFamily, rounds int, dims bool) {
	t.Helper()
	k := float64(rounds)
	pairs, reasons := expectationsBy(dims)
	// lbl: the label pairs of a series of p beside extra; names: the label
	// names of a family beside extra.
	lbl := func(p pairKey, extra ...string) []string {
		out := append([]string{"model", p.model}, extra...)
		if dims {
			out = append(out, "service", p.service, "provider", p.provider)
		}
		return out
	}
	names := func(extra ...string) []string {
		out := append([]string{"model"}, extra...)
		if dims {
			out = append(out, "service", "provider")
		}
		return out
	}

	var families []string
	for name := range mfs {
		if strings.HasPrefix(name, "llm_") {
			families = append(families, name)
		}
	}
	sort.Strings(families)
	// Every call of the scenario has a price, so llm_unpriced_requests_total
	// has no series; no streamed call fails after its first chunk (no
	// llm_stream_interruptions_total), and the scenario has no guardrail and
	// no evaluation (no llm_guardrail_* or llm_evaluation_* series).
	wantFamilies := []string{
		"llm_agent_duration_seconds", "llm_agent_invocations_total", "llm_agent_model_calls", "llm_agent_tool_calls",
		"llm_cache_creation_prompt_tokens_total", "llm_cached_prompt_tokens_total", "llm_completion_tokens_total", "llm_cost_reported_usd_total", "llm_cost_usd_total", "llm_errors_total",
		"llm_finish_reasons_total", "llm_prompt_tokens_total", "llm_reasoning_tokens_total", "llm_request_duration_seconds", "llm_requests_total",
		"llm_time_per_output_token_seconds", "llm_time_to_first_token_seconds", "llm_tool_calls_total", "llm_tool_duration_seconds",
	}
	if !slices.Equal(families, wantFamilies) {
		t.Errorf("llm_* families %v, want %v", families, wantFamilies)
	}

	requests := map[string]float64{}
	prompt := map[string]float64{}
	compl := map[string]float64{}
	durations := map[string]wantHistogram{}
	ttfts := map[string]wantHistogram{}
	tpots := map[string]wantHistogram{}
	cost := map[string]float64{}
	reported := map[string]float64{} // only the pairs with a call carrying its cost
	zero := map[string]map[string]float64{"llm_cached_prompt_tokens_total": {}, "llm_cache_creation_prompt_tokens_total": {}, "llm_reasoning_tokens_total": {}}
	for p, e := range pairs {
		// Both status series exist as soon as the pair is seen (the other at 0).
		requests[key("llm_requests_total", lbl(p, "template", p.template, "status", "success")...)] = k * float64(e.success)
		requests[key("llm_requests_total", lbl(p, "template", p.template, "status", "error")...)] = k * float64(e.errors)
		prompt[key("llm_prompt_tokens_total", lbl(p, "template", p.template)...)] = k * float64(e.prompt)
		compl[key("llm_completion_tokens_total", lbl(p, "template", p.template)...)] = k * float64(e.compl)
		durations[key("llm_request_duration_seconds", lbl(p, "template", p.template)...)] = scaledHistogram(durationBuckets, e.durations, rounds)
		if len(e.ttfts) > 0 {
			ttfts[key("llm_time_to_first_token_seconds", lbl(p, "template", p.template)...)] = scaledHistogram(ttftBuckets, e.ttfts, rounds)
		}
		if len(e.tpots) > 0 {
			tpots[key("llm_time_per_output_token_seconds", lbl(p, "template", p.template)...)] = scaledHistogram(tpotBuckets, e.tpots, rounds)
		}
		cost[key("llm_cost_usd_total", lbl(p, "template", p.template)...)] = k * e.cost
		if e.hasReported {
			reported[key("llm_cost_reported_usd_total", lbl(p, "template", p.template)...)] = k * e.reported
		}
		// No call reports cache reads, cache writes or reasoning tokens: the
		// series exist at 0.
		for name, m := range zero {
			m[key(name, lbl(p, "template", p.template)...)] = 0
		}
	}
	errorsWant := map[string]float64{}
	for r, n := range reasons {
		errorsWant[key("llm_errors_total", lbl(r, "reason", r.template)...)] = k * float64(n)
	}

	compareCounters(t, family(t, mfs, "llm_requests_total", dto.MetricType_COUNTER, names("template", "status")...), requests)
	compareCounters(t, family(t, mfs, "llm_prompt_tokens_total", dto.MetricType_COUNTER, names("template")...), prompt)
	compareCounters(t, family(t, mfs, "llm_completion_tokens_total", dto.MetricType_COUNTER, names("template")...), compl)
	compareCounters(t, family(t, mfs, "llm_errors_total", dto.MetricType_COUNTER, names("reason")...), errorsWant)
	compareHistograms(t, family(t, mfs, "llm_request_duration_seconds", dto.MetricType_HISTOGRAM, names("template")...), durationBuckets, durations)
	compareHistograms(t, family(t, mfs, "llm_time_to_first_token_seconds", dto.MetricType_HISTOGRAM, names("template")...), ttftBuckets, ttfts)
	compareHistograms(t, family(t, mfs, "llm_time_per_output_token_seconds", dto.MetricType_HISTOGRAM, names("template")...), tpotBuckets, tpots)
	for name, m := range zero {
		compareCounters(t, family(t, mfs, name, dto.MetricType_COUNTER, names("template")...), m)
	}
	// Cost: exact up to float summation order. The reported part is a sum of
	// binary-exact values: exact.
	compareCosts(t, family(t, mfs, "llm_cost_usd_total", dto.MetricType_COUNTER, names("template")...), cost)
	if len(reported) != 1 {
		t.Errorf("the scenario has %d pairs with a reported cost, want 1 (a mixed pair)", len(reported))
	}
	compareCounters(t, family(t, mfs, "llm_cost_reported_usd_total", dto.MetricType_COUNTER, names("template")...), reported)

	// Finish reasons: per model and dims, like the errors.
	finishWant := map[string]float64{}
	for f, n := range finishExpectations(dims) {
		finishWant[key("llm_finish_reasons_total", lbl(f, "finish_reason", f.template)...)] = k * float64(n)
	}
	compareCounters(t, family(t, mfs, "llm_finish_reasons_total", dto.MetricType_COUNTER, names("finish_reason")...), finishWant)

	// Tools and agents: by name only, never with dims.
	tools, agents := scenarioActivities()
	if len(tools) == 0 || len(agents) == 0 {
		t.Fatalf("the scenario has %d tool and %d agent spans, want some of each", len(tools), len(agents))
	}
	toolCalls := map[string]float64{}
	toolDurations := map[string][]float64{}
	for _, a := range tools {
		toolCalls[key("llm_tool_calls_total", "tool", a.name, "status", a.status)] += k
		toolDurations[a.name] = append(toolDurations[a.name], a.duration)
	}
	invocations := map[string]float64{}
	agentDurations, modelCalls, agentTools := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	for _, a := range agents {
		invocations[key("llm_agent_invocations_total", "agent", a.name, "status", a.status)] += k
		agentDurations[a.name] = append(agentDurations[a.name], a.duration)
		modelCalls[a.name] = append(modelCalls[a.name], float64(a.modelCalls))
		agentTools[a.name] = append(agentTools[a.name], float64(a.toolCalls))
	}
	byName := func(family, label string, bounds []float64, values map[string][]float64) map[string]wantHistogram {
		out := map[string]wantHistogram{}
		for name, v := range values {
			out[key(family, label, name)] = scaledHistogram(bounds, v, rounds)
		}
		return out
	}
	compareCounters(t, family(t, mfs, "llm_tool_calls_total", dto.MetricType_COUNTER, "tool", "status"), toolCalls)
	compareHistograms(t, family(t, mfs, "llm_tool_duration_seconds", dto.MetricType_HISTOGRAM, "tool"), toolBuckets,
		byName("llm_tool_duration_seconds", "tool", toolBuckets, toolDurations))
	compareCounters(t, family(t, mfs, "llm_agent_invocations_total", dto.MetricType_COUNTER, "agent", "status"), invocations)
	compareHistograms(t, family(t, mfs, "llm_agent_duration_seconds", dto.MetricType_HISTOGRAM, "agent"), agentBuckets,
		byName("llm_agent_duration_seconds", "agent", agentBuckets, agentDurations))
	compareHistograms(t, family(t, mfs, "llm_agent_model_calls", dto.MetricType_HISTOGRAM, "agent"), callBuckets,
		byName("llm_agent_model_calls", "agent", callBuckets, modelCalls))
	compareHistograms(t, family(t, mfs, "llm_agent_tool_calls", dto.MetricType_HISTOGRAM, "agent"), callBuckets,
		byName("llm_agent_tool_calls", "agent", callBuckets, agentTools))
}

// compareCosts compares a cost family's series with want, exact up to float
// summation order.
func compareCosts(t *testing.T, f *dto.MetricFamily, want map[string]float64) {
	t.Helper()
	got := map[string]float64{}
	for _, m := range f.GetMetric() {
		got[seriesString(f.GetName(), m)] = m.GetCounter().GetValue()
	}
	if len(got) != len(want) {
		t.Errorf("%s has %d series, want %d: %v", f.GetName(), len(got), len(want), got)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-12*math.Max(1, w) {
			t.Errorf("series %s = %v, want %v", k, g, w)
		}
	}
}

func scaledHistogram(bounds, values []float64, rounds int) wantHistogram {
	var sum float64
	for _, v := range values {
		sum += v
	}
	b := cumulative(bounds, values)
	for i := range b {
		b[i] *= uint64(rounds)
	}
	return wantHistogram{count: uint64(len(values) * rounds), sum: sum * float64(rounds), buckets: b}
}

// classicOnly are the llm_* histograms without native buckets: counts of
// calls per agent invocation, whose buckets (callBuckets) are exact.
var classicOnly = map[string]bool{"llm_agent_model_calls": true, "llm_agent_tool_calls": true}

// assertCreatedAndNative checks the protobuf exposition: every llm_* counter and
// histogram series carries a created timestamp within [notBefore, now], and the
// histograms carry native buckets beside the classic ones (the default), but
// those of classicOnly, which carry none.
func assertCreatedAndNative(t *testing.T, mfs map[string]*dto.MetricFamily, notBefore time.Time) {
	t.Helper()
	now := time.Now().Add(time.Second)
	var n int
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "llm_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			s := seriesString(name, m)
			var created interface{ AsTime() time.Time }
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				if ts := m.GetCounter().GetCreatedTimestamp(); ts != nil {
					created = ts
				}
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				if ts := h.GetCreatedTimestamp(); ts != nil {
					created = ts
				}
				native := h.Schema != nil && (len(h.GetPositiveSpan())+len(h.GetNegativeSpan()) != 0 || h.GetZeroCount() != 0)
				var bounds []float64
				for _, b := range h.GetBucket() {
					if !math.IsInf(b.GetUpperBound(), +1) {
						bounds = append(bounds, b.GetUpperBound())
					}
				}
				switch {
				case classicOnly[name] && (h.Schema != nil || !slices.Equal(bounds, callBuckets)):
					t.Errorf("%s: schema %v and classic buckets %v, want classic buckets %v only", s, h.Schema, bounds, callBuckets)
				case !classicOnly[name] && !native:
					t.Errorf("%s: no native histogram buckets in the protobuf exposition", s)
				}
			default:
				continue
			}
			n++
			if created == nil {
				t.Errorf("%s: no created timestamp", s)
				continue
			}
			if ct := created.AsTime(); ct.Before(notBefore) || ct.After(now) {
				t.Errorf("%s: created timestamp %s outside [%s, %s]", s, ct, notBefore, now)
			}
		}
	}
	if n == 0 {
		t.Error("no llm_* series in the protobuf exposition")
	}
}

// spanRef is what an exemplar may point at: one counted span of one round.
type spanRef struct {
	traceID, spanID string
	c               *call
}

// sentSpans maps span id (hex) → the counted span, for rounds [0, rounds).
func sentSpans(rounds int) map[string]spanRef {
	out := map[string]spanRef{}
	for r := range rounds {
		for i := range scenario {
			if scenario[i].counted == nil {
				continue
			}
			tid, sid := ids(r, i)
			out[sid.String()] = spanRef{traceID: tid.String(), spanID: sid.String(), c: scenario[i].counted}
		}
	}
	return out
}

var (
	omSample   = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} (\S+)(?: \S+)? # \{([^}]*)\} (\S+)`)
	omLabel    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
	hexTraceID = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hexSpanID  = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

func parseOMLabels(s string) map[string]string {
	out := map[string]string{}
	for _, m := range omLabel.FindAllStringSubmatch(s, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// assertExemplars scrapes url as OpenMetrics and checks every exemplar: its
// trace_id and span_id are those of a sent span that counts in that very series,
// and on histograms its value is that span's observation, in the right bucket.
// At least one histogram and one counter exemplar must be present.
func assertExemplars(ctx context.Context, t *testing.T, url string, rounds int) {
	t.Helper()
	body, ct, err := get(ctx, url, acceptOpenMetrics)
	if err != nil {
		t.Fatalf("scrape %s as OpenMetrics: %v", url, err)
	}
	if !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("scrape %s as OpenMetrics: got Content-Type %q", url, ct)
	}
	spans := sentSpans(rounds)
	var histEx, counterEx int
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "llm_") || !strings.Contains(line, " # {") {
			continue
		}
		m := omSample.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("cannot parse exemplar line %q", line)
			continue
		}
		name, labels, ex := m[1], parseOMLabels(m[2]), parseOMLabels(m[4])
		exValue, err := strconv.ParseFloat(m[5], 64)
		if err != nil {
			t.Errorf("exemplar value in %q: %v", line, err)
			continue
		}
		tid, sid := ex["trace_id"], ex["span_id"]
		if !hexTraceID.MatchString(tid) || !hexSpanID.MatchString(sid) {
			t.Errorf("exemplar without hex trace_id/span_id: %q", line)
			continue
		}
		ref, ok := spans[sid]
		if !ok || ref.traceID != tid {
			t.Errorf("exemplar (trace_id %s, span_id %s) is not a sent LLM span: %q", tid, sid, line)
			continue
		}
		c := ref.c
		check := func(cond bool, what string) {
			if !cond {
				t.Errorf("exemplar of span %s (%+v) does not belong here (%s): %q", sid, *c, what, line)
			}
		}
		if name != "llm_errors_total" {
			check(labels["model"] == c.model && labels["template"] == c.template, "model/template")
		}
		switch name {
		case "llm_requests_total":
			counterEx++
			check(labels["status"] == c.status, "status")
			check(exValue == 1, "value")
		case "llm_errors_total":
			counterEx++
			check(labels["model"] == c.model && labels["reason"] == c.reason, "model/reason")
			check(exValue == 1, "value")
		case "llm_prompt_tokens_total":
			counterEx++
			check(exValue == float64(c.prompt), "value")
		case "llm_completion_tokens_total":
			counterEx++
			check(exValue == float64(c.compl), "value")
		case "llm_request_duration_seconds_bucket":
			histEx++
			check(math.Abs(exValue-c.duration) < 1e-9, "value")
			check(inBucket(labels["le"], exValue, durationBuckets), "bucket")
		case "llm_time_to_first_token_seconds_bucket":
			histEx++
			check(math.Abs(exValue-c.ttft) < 1e-9, "value")
			check(inBucket(labels["le"], exValue, ttftBuckets), "bucket")
		case "llm_time_per_output_token_seconds_bucket":
			histEx++
			check(c.compl >= 2 && math.Abs(exValue-(c.duration-c.ttft)/float64(c.compl-1)) < 1e-9, "value")
			check(inBucket(labels["le"], exValue, tpotBuckets), "bucket")
		case "llm_cost_usd_total":
			counterEx++
			check(math.Abs(exValue-c.cost()) < 1e-12, "value")
		case "llm_cost_reported_usd_total":
			counterEx++
			check(c.reported > 0 && exValue == c.reported, "value")
		default:
			t.Errorf("exemplar on unexpected series: %q", line)
		}
	}
	if histEx == 0 || counterEx == 0 {
		t.Errorf("OpenMetrics scrape: %d histogram and %d counter exemplars, want at least one of each\n%s", histEx, counterEx, body)
	}
	t.Logf("OpenMetrics scrape: %d histogram and %d counter exemplars, all pointing at the right spans", histEx, counterEx)
}

// inBucket reports whether v belongs to the bucket whose upper bound is le.
func inBucket(le string, v float64, bounds []float64) bool {
	upper, err := strconv.ParseFloat(le, 64)
	if err != nil {
		return false
	}
	lower := math.Inf(-1)
	for _, b := range bounds {
		if b < upper {
			lower = b
		}
	}
	return v > lower && v <= upper
}

// telemetryValue sums a family's samples on the collector's own metrics.
// A missing family sums to 0.
func telemetryValue(mfs map[string]*dto.MetricFamily, name string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
	var sum float64
	for _, m := range mf.GetMetric() {
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		}
	}
	return sum, true
}

// assertTelemetry checks the exporter's own counters (declared in the exporter's
// metadata.yaml) on the collector's telemetry endpoint after `rounds` sends.
func assertTelemetry(t *testing.T, mfs map[string]*dto.MetricFamily, rounds int) {
	t.Helper()
	received, calls, skipped := scenarioCounts()
	want := map[string]int{
		"otelcol_exporter_llm_prometheus_spans_received": received * rounds,
		"otelcol_exporter_llm_prometheus_calls":          calls * rounds,
		"otelcol_exporter_llm_prometheus_spans_skipped":  skipped * rounds,
	}
	for name, w := range want {
		got, ok := telemetryValue(mfs, name)
		if !ok {
			var names []string
			for n := range mfs {
				if strings.Contains(n, "llm") {
					names = append(names, n)
				}
			}
			sort.Strings(names)
			t.Errorf("own telemetry %s is missing; llm-related families: %v", name, names)
			continue
		}
		if got != float64(w) {
			t.Errorf("own telemetry %s = %v, want %d", name, got, w)
		}
	}
	// The scenario has no invalid value and stays far below the label caps.
	for _, name := range []string{"otelcol_exporter_llm_prometheus_invalid_values", "otelcol_exporter_llm_prometheus_label_overflow"} {
		if got, _ := telemetryValue(mfs, name); got != 0 {
			t.Errorf("own telemetry %s = %v, want 0 (absent)", name, got)
		}
	}
}

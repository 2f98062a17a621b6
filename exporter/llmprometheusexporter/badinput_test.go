// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// badWant is the exact outcome of one bad-input row. A counted row creates
// the series of its (model, template) pair; the row's delta on the registry
// must be exactly the series below (new ones at their value, existing ones by
// how much they grew), and the component telemetry must grow by exactly the
// invalid causes listed.
type badWant struct {
	skipped bool // not an LLM call: no llm_* call series change, spans_skipped +1
	// activity: with skipped, the series the span changes instead (an
	// agent or tool span counts in its own families).
	activity map[string]float64
	model    string
	tmpl     string
	errored  string // error reason; "" = success
	// nil: no observation (the histogram count stays 0; TTFT / TPOT series absent).
	dur, ttft, tpot                       *float64
	prompt, completion, cached, reasoning float64
	cacheWrite                            float64
	cost                                  *float64 // nil: unpriced (unpriced_requests_total{model} +1, cost 0)
	invalid                               []string
}

type badRow struct {
	name  string
	attrs map[string]any
	// span adjusts the span built from attrs (start = baseTime, end = +1 s).
	span func(sp ptrace.Span)
	// traces replaces the built batch entirely.
	traces func(t *testing.T) ptrace.Traces
	want   badWant
}

func f64(v float64) *float64 { return &v }

// chatAttrs is a chat call of an unpriced provider and model.
func chatAttrs(model, tmpl string, extra map[string]any) map[string]any {
	m := map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "acme",
		"gen_ai.request.model": model, "llm.template": tmpl,
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func nested(depth int) any {
	var v any = "deep"
	for range depth {
		v = map[string]any{"k": v}
	}
	return v
}

func badInputRows() []badRow {
	one := f64(1)
	oneMB := strings.Repeat("a", 1<<20)
	year2500 := pcommon.Timestamp(uint64(time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) * 1e9) // past int64 nanoseconds (2262)
	return []badRow{
		{
			name: "negative input tokens", attrs: chatAttrs("bad-01", "r01", map[string]any{"gen_ai.usage.input_tokens": -5, "gen_ai.usage.output_tokens": 7}),
			want: badWant{model: "bad-01", tmpl: "r01", dur: one, completion: 7, invalid: []string{"input_tokens"}},
		},
		{
			name: "NaN output tokens", attrs: chatAttrs("bad-02", "r02", map[string]any{"gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": math.NaN()}),
			want: badWant{model: "bad-02", tmpl: "r02", dur: one, prompt: 3, invalid: []string{"output_tokens"}},
		},
		{
			name: "+Inf and -Inf tokens", attrs: chatAttrs("bad-03", "r03", map[string]any{"gen_ai.usage.input_tokens": math.Inf(1), "gen_ai.usage.output_tokens": math.Inf(-1)}),
			want: badWant{model: "bad-03", tmpl: "r03", dur: one, invalid: []string{"input_tokens", "output_tokens"}},
		},
		{
			name: "numeric strings are read", attrs: chatAttrs("bad-04", "r04", map[string]any{"gen_ai.usage.input_tokens": "42", "gen_ai.usage.output_tokens": " 8 "}),
			want: badWant{model: "bad-04", tmpl: "r04", dur: one, prompt: 42, completion: 8},
		},
		{
			name: "12abc and a word as tokens", attrs: chatAttrs("bad-05", "r05", map[string]any{"gen_ai.usage.input_tokens": "12abc", "gen_ai.usage.output_tokens": "many"}),
			want: badWant{model: "bad-05", tmpl: "r05", dur: one, invalid: []string{"input_tokens", "output_tokens"}},
		},
		{
			name: "1e15 tokens (absurd) and exactly the 1e8 limit", attrs: chatAttrs("bad-06", "r06", map[string]any{"gen_ai.usage.input_tokens": int64(1e15), "gen_ai.usage.output_tokens": int64(1e8)}),
			want: badWant{model: "bad-06", tmpl: "r06", dur: one, completion: 1e8, invalid: []string{"input_tokens"}},
		},
		{
			name: "non-integral tokens; an integral double is read", attrs: chatAttrs("bad-07", "r07", map[string]any{"gen_ai.usage.input_tokens": 12.0, "gen_ai.usage.output_tokens": 12.5, "gen_ai.usage.cache_read.input_tokens": "3.5"}),
			want: badWant{model: "bad-07", tmpl: "r07", dur: one, prompt: 12, invalid: []string{"output_tokens", "cached_input_tokens"}},
		},
		{
			name: "end before start", attrs: chatAttrs("bad-08", "r08", map[string]any{"gen_ai.usage.input_tokens": 1}),
			span: func(sp ptrace.Span) { sp.SetEndTimestamp(pcommon.NewTimestampFromTime(baseTime.Add(-time.Second))) },
			want: badWant{model: "bad-08", tmpl: "r08", prompt: 1, invalid: []string{"duration"}},
		},
		{
			name: "zero timestamps", attrs: chatAttrs("bad-09", "r09", nil),
			span: func(sp ptrace.Span) { sp.SetStartTimestamp(0); sp.SetEndTimestamp(0) },
			want: badWant{model: "bad-09", tmpl: "r09", invalid: []string{"duration"}},
		},
		{
			name: "end in year 2500 (beyond int64 ns), start now", attrs: chatAttrs("bad-10", "r10", nil),
			span: func(sp ptrace.Span) { sp.SetEndTimestamp(year2500) },
			want: badWant{model: "bad-10", tmpl: "r10", invalid: []string{"duration"}},
		},
		{
			name: "start and end in year 2500, 2 s apart: only the difference matters", attrs: chatAttrs("bad-11", "r11", nil),
			span: func(sp ptrace.Span) { sp.SetStartTimestamp(year2500); sp.SetEndTimestamp(year2500 + 2e9) },
			want: badWant{model: "bad-11", tmpl: "r11", dur: f64(2)},
		},
		{
			name: "TTFT longer than the duration", attrs: chatAttrs("bad-12", "r12", map[string]any{"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 5.0}),
			want: badWant{model: "bad-12", tmpl: "r12", dur: one, invalid: []string{"ttft"}},
		},
		{
			name: "negative TTFT", attrs: chatAttrs("bad-13", "r13", map[string]any{"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": -0.5}),
			want: badWant{model: "bad-13", tmpl: "r13", dur: one, invalid: []string{"ttft"}},
		},
		{
			name: "NaN TTFT", attrs: chatAttrs("bad-14", "r14", map[string]any{"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": math.NaN()}),
			want: badWant{model: "bad-14", tmpl: "r14", dur: one, invalid: []string{"ttft"}},
		},
		{
			name: "non-UTF-8 model and template", attrs: chatAttrs("bad-15-\xff\xfe", "r15-\xc3", nil),
			want: badWant{model: "bad-15-\uFFFD", tmpl: "r15-\uFFFD", dur: one},
		}, // one U+FFFD per run of invalid bytes
		{
			name: "1 MB model string", attrs: chatAttrs(oneMB, "r16", nil),
			want: badWant{model: oneMB[:128], tmpl: "r16", dur: one},
		},
		{
			name: "empty attribute key beside a valid call", attrs: chatAttrs("bad-17", "r17", map[string]any{"": "chat", "gen_ai.usage.input_tokens": 4}),
			want: badWant{model: "bad-17", tmpl: "r17", dur: one, prompt: 4},
		},
		{
			name: "empty attribute key only", attrs: map[string]any{"": "chat"},
			want: badWant{skipped: true},
		},
		{name: "duplicate keys (OTLP JSON): the first key-value wins", traces: func(t *testing.T) ptrace.Traces {
			td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(duplicateKeyJSON))
			require.NoError(t, err)
			attrs := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
			require.Equal(t, 5, attrs.Len(), "pdata keeps both key-values of a duplicated key")
			return td
		}, want: badWant{model: "first-model", tmpl: "res-tmpl", dur: f64(1.2), prompt: 10}},
		{
			name: "unknown dialect keys only", attrs: map[string]any{"myllm.model": "gpt-4o", "myllm.tokens": 10, "myllm.kind": "chat"},
			want: badWant{skipped: true},
		},
		{
			name: "unknown operation name", attrs: map[string]any{"gen_ai.operation.name": "chat2", "gen_ai.request.model": "bad-21"},
			want: badWant{skipped: true},
		},
		{
			// Its tokens are the calls' under it (not in the batch): not counted
			// again. The agent counts as an invocation without a name (the
			// span name is the row's), of one second, with no calls under it.
			name: "agent span with tokens (wrapper)", attrs: map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "bad-22", "gen_ai.usage.input_tokens": 100},
			want: badWant{skipped: true, activity: map[string]float64{
				"llm_agent_invocations_total{agent=span-0,status=success}": 1,
				"llm_agent_duration_seconds_count{agent=span-0}":           1,
				"llm_agent_duration_seconds_sum{agent=span-0}":             1,
				"llm_agent_model_calls_count{agent=span-0}":                1,
				"llm_agent_model_calls_sum{agent=span-0}":                  0,
				"llm_agent_tool_calls_count{agent=span-0}":                 1,
				"llm_agent_tool_calls_sum{agent=span-0}":                   0,
			}},
		},
		{
			name: "10,000 chunk events: the first gives the TTFT", attrs: chatAttrs("bad-23", "r23", nil),
			span: func(sp ptrace.Span) {
				evs := sp.Events()
				evs.EnsureCapacity(10_000)
				for i := range 10_000 {
					ev := evs.AppendEmpty()
					ev.SetName("gen_ai.content.completion.chunk")
					ev.SetTimestamp(pcommon.NewTimestampFromTime(baseTime.Add(250*time.Millisecond + time.Duration(i)*time.Microsecond)))
				}
			},
			want: badWant{model: "bad-23", tmpl: "r23", dur: one, ttft: f64(0.25)},
		},
		{
			name: "chunk event before the start", attrs: chatAttrs("bad-24", "r24", nil),
			span: func(sp ptrace.Span) {
				ev := sp.Events().AppendEmpty()
				ev.SetName("gen_ai.content.completion.chunk")
				ev.SetTimestamp(pcommon.NewTimestampFromTime(baseTime.Add(-time.Millisecond)))
			},
			want: badWant{model: "bad-24", tmpl: "r24", dur: one, invalid: []string{"ttft"}},
		},
		// A non-string value in the first template key blocks the next keys (a
		// present value does not fall through) and is not an invalid cause; a
		// non-string model is (cause model).
		{
			name: "deeply nested maps where strings are expected (model, template)", attrs: map[string]any{
				"gen_ai.operation.name": "chat", "gen_ai.request.model": nested(64), "llm.template": nested(64),
				"gen_ai.prompt.name": "r25", "gen_ai.usage.input_tokens": nested(64),
			},
			want: badWant{model: "unknown", tmpl: "none", dur: one, invalid: []string{"input_tokens", "model"}},
		},
		{
			name: "request model a number: the response model names the call", attrs: chatAttrs("", "r25b", map[string]any{
				"gen_ai.request.model": 4, "gen_ai.response.model": "bad-25b",
			}),
			want: badWant{model: "bad-25b", tmpl: "r25b", dur: one, invalid: []string{"model"}},
		},
		{name: "span with every field missing", traces: func(*testing.T) ptrace.Traces {
			td := ptrace.NewTraces()
			td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
			return td
		}, want: badWant{skipped: true}},
		{
			name: "bool, bytes, slice and map where numbers are expected", attrs: chatAttrs("bad-27", "r27", map[string]any{
				"gen_ai.usage.input_tokens": true, "gen_ai.usage.output_tokens": []byte("5"),
				"gen_ai.usage.cache_read.input_tokens": []any{1}, "gen_ai.usage.reasoning.output_tokens": map[string]any{"n": 1},
			}),
			want: badWant{model: "bad-27", tmpl: "r27", dur: one, invalid: []string{"input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens"}},
		},
		{
			name: "negative cost: priced from the table instead (unpriced here)", attrs: chatAttrs("bad-28", "r28", map[string]any{"gen_ai.usage.cost": -1.0}),
			want: badWant{model: "bad-28", tmpl: "r28", dur: one, invalid: []string{"cost"}},
		},
		{
			name: "string cost does not fall through to a valid lower-priority cost", attrs: chatAttrs("bad-29", "r29", map[string]any{"gen_ai.usage.cost": "cheap", "llm.cost.total": 5.0}),
			want: badWant{model: "bad-29", tmpl: "r29", dur: one, invalid: []string{"cost"}},
		},
		{
			name: "cost above 1e6 USD", attrs: chatAttrs("bad-30", "r30", map[string]any{"gen_ai.usage.cost": 2e6}),
			want: badWant{model: "bad-30", tmpl: "r30", dur: one, invalid: []string{"cost"}},
		},
		{
			name: "valid cost on the span", attrs: chatAttrs("bad-31", "r31", map[string]any{"gen_ai.usage.cost": "0.25"}),
			want: badWant{model: "bad-31", tmpl: "r31", dur: one, cost: f64(0.25)},
		},
		{
			name: `model "other" is the overflow value`, attrs: chatAttrs("other", "r32", nil),
			want: badWant{model: "other", tmpl: "r32", dur: one},
		},
		{
			name: `model "none" and "NONE" mean absent`, attrs: chatAttrs("NONE", "r33", map[string]any{"gen_ai.response.model": "none"}),
			want: badWant{model: "unknown", tmpl: "r33", dur: one},
		},
		{
			name: `model "unknown"`, attrs: chatAttrs("unknown", "r34", nil),
			want: badWant{model: "unknown", tmpl: "r34", dur: one},
		},
		{
			name: "status error without a known reason", attrs: chatAttrs("bad-35", "r35", nil),
			span: func(sp ptrace.Span) { sp.Status().SetCode(ptrace.StatusCodeError); sp.Status().SetMessage("boom") },
			want: badWant{model: "bad-35", tmpl: "r35", dur: one, errored: "other"},
		},
		{
			name: "string stream flag and TTFT, time per output token", attrs: chatAttrs("bad-36", "r36", map[string]any{
				"gen_ai.request.stream": "True", "gen_ai.response.time_to_first_chunk": "0.5", "gen_ai.usage.output_tokens": 11,
			}),
			want: badWant{model: "bad-36", tmpl: "r36", dur: one, ttft: f64(0.5), tpot: f64(0.05), completion: 11},
		},
		{
			name: "TTFT on a call flagged not streamed is ignored", attrs: chatAttrs("bad-37", "r37", map[string]any{
				"gen_ai.request.stream": false, "gen_ai.response.time_to_first_chunk": -3.0,
			}),
			want: badWant{model: "bad-37", tmpl: "r37", dur: one},
		},
		{
			name: "cached tokens above the input tokens are recorded as sent", attrs: chatAttrs("bad-38", "r38", map[string]any{
				"gen_ai.usage.input_tokens": 10, "gen_ai.usage.cache_read.input_tokens": 50,
			}),
			want: badWant{model: "bad-38", tmpl: "r38", dur: one, prompt: 10, cached: 50},
		},
		{
			name: "-1 tokens of a minusOneUnknown source mean unknown, not invalid", attrs: chatAttrs("bad-39", "r39", map[string]any{
				"gen_ai.response.prompt_tokens": -1, "gen_ai.response.completion_tokens": -2,
			}),
			want: badWant{model: "bad-39", tmpl: "r39", dur: one, invalid: []string{"output_tokens"}},
		},
		{name: "response model only, template from the resource", traces: func(t *testing.T) ptrace.Traces {
			return buildTraces(t, spanSpec{
				dur: time.Second, resource: map[string]any{"llm.template": "r40"},
				attrs: map[string]any{"gen_ai.operation.name": "embeddings", "gen_ai.response.model": "bad-40", "gen_ai.usage.input_tokens": 0},
			})
		}, want: badWant{model: "bad-40", tmpl: "r40", dur: one}},
		{
			name: "cache reads and writes, part of the input tokens", attrs: chatAttrs("bad-41", "r41", map[string]any{
				"gen_ai.usage.input_tokens": 10000, "gen_ai.usage.cache_read.input_tokens": 2000, "gen_ai.usage.cache_creation.input_tokens": 6000,
			}),
			want: badWant{model: "bad-41", tmpl: "r41", dur: one, prompt: 10000, cached: 2000, cacheWrite: 6000},
		},
		{
			name: "negative cache writes are invalid", attrs: chatAttrs("bad-42", "r42", map[string]any{
				"gen_ai.usage.input_tokens": 100, "gen_ai.usage.cache_creation.input_tokens": -5,
			}),
			want: badWant{model: "bad-42", tmpl: "r42", dur: one, prompt: 100, invalid: []string{"cache_creation_input_tokens"}},
		},
		{
			name: "non-integral cache writes are invalid", attrs: chatAttrs("bad-43", "r43", map[string]any{
				"gen_ai.usage.cache_creation_input_tokens": "2.5",
			}),
			want: badWant{model: "bad-43", tmpl: "r43", dur: one, invalid: []string{"cache_creation_input_tokens"}},
		},
	}
}

// seriesValues flattens the registry: "name{k=v,...}" → counter value, or
// histogram _count and _sum.
func seriesValues(t *testing.T, e *llmExporter) map[string]float64 {
	t.Helper()
	mfs, err := e.registry.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, lp := range m.GetLabel() {
				ls = append(ls, lp.GetName()+"="+lp.GetValue())
			}
			sort.Strings(ls)
			lbl := "{" + strings.Join(ls, ",") + "}"
			if h := m.GetHistogram(); h != nil {
				out[mf.GetName()+"_count"+lbl] = float64(h.GetSampleCount())
				out[mf.GetName()+"_sum"+lbl] = h.GetSampleSum()
				continue
			}
			out[mf.GetName()+lbl] = m.GetCounter().GetValue()
		}
	}
	return out
}

// seriesDelta is after − before: new series at their value (zeros included),
// existing series that changed by their change.
func seriesDelta(before, after map[string]float64) map[string]float64 {
	d := map[string]float64{}
	for k, v := range after {
		if old, ok := before[k]; !ok {
			d[k] = v
		} else if v != old {
			d[k] = v - old
		}
	}
	return d
}

// expectedDelta is the registry delta of one counted row.
func (w badWant) expectedDelta() map[string]float64 {
	mt := fmt.Sprintf("{model=%s,template=%s}", w.model, w.tmpl)
	status := func(s string) string { return fmt.Sprintf("{model=%s,status=%s,template=%s}", w.model, s, w.tmpl) }
	d := map[string]float64{
		"llm_requests_total" + status("success"):      1,
		"llm_requests_total" + status("error"):        0,
		"llm_request_duration_seconds_count" + mt:     0,
		"llm_request_duration_seconds_sum" + mt:       0,
		"llm_prompt_tokens_total" + mt:                w.prompt,
		"llm_completion_tokens_total" + mt:            w.completion,
		"llm_cached_prompt_tokens_total" + mt:         w.cached,
		"llm_cache_creation_prompt_tokens_total" + mt: w.cacheWrite,
		"llm_reasoning_tokens_total" + mt:             w.reasoning,
		"llm_cost_usd_total" + mt:                     0,
	}
	if w.errored != "" {
		d["llm_requests_total"+status("success")] = 0
		d["llm_requests_total"+status("error")] = 1
		d[fmt.Sprintf("llm_errors_total{model=%s,reason=%s}", w.model, w.errored)] = 1
	}
	if w.dur != nil {
		d["llm_request_duration_seconds_count"+mt] = 1
		d["llm_request_duration_seconds_sum"+mt] = *w.dur
	}
	if w.ttft != nil {
		d["llm_time_to_first_token_seconds_count"+mt] = 1
		d["llm_time_to_first_token_seconds_sum"+mt] = *w.ttft
	}
	if w.tpot != nil {
		d["llm_time_per_output_token_seconds_count"+mt] = 1
		d["llm_time_per_output_token_seconds_sum"+mt] = *w.tpot
	}
	if w.cost != nil {
		// The rows' models have no price: a cost is the span's own.
		d["llm_cost_usd_total"+mt] = *w.cost
		d["llm_cost_reported_usd_total"+mt] = *w.cost
	} else {
		d[fmt.Sprintf("llm_unpriced_requests_total{model=%s}", w.model)] = 1
	}
	return d
}

// telemetrySum reads one data point of the component's own telemetry, 0 when absent.
func telemetrySum(t *testing.T, tel *componenttest.Telemetry, name string, attrs map[string]string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is %T", name, m.Data)
	for _, dp := range sum.DataPoints {
		match := true
		for k, v := range attrs {
			got, ok := dp.Attributes.Value(attribute.Key(k))
			match = match && ok && got.AsString() == v
		}
		if match {
			return dp.Value
		}
	}
	return 0
}

// invalidCauseNames are every cause the exporter counts.
var invalidCauseNames = func() (names []string) {
	for _, c := range genai.InvalidCauses() {
		names = append(names, c.Name)
	}
	return names
}()

func invalidCounts(t *testing.T, tel *componenttest.Telemetry) map[string]int64 {
	out := map[string]int64{}
	for _, c := range invalidCauseNames {
		out[c] = telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_invalid_values", map[string]string{"cause": c})
	}
	return out
}

// TestBadInputTable runs every row through one exporter, in order, and checks
// the exact registry delta and telemetry delta of each, then the totals.
func TestBadInputTable(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	e := newTestExporter(t, createDefaultConfig().(*Config), set)

	rows := badInputRows()
	require.GreaterOrEqual(t, len(rows), 25)
	wantInvalid := map[string]int64{}
	var wantCalls, wantSkipped int64
	for _, r := range rows {
		var td ptrace.Traces
		if r.traces != nil {
			td = r.traces(t)
		} else {
			td = buildTraces(t, spanSpec{attrs: r.attrs, dur: time.Second, traceID: 1})
			if r.span != nil {
				r.span(td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0))
			}
		}
		before := seriesValues(t, e)
		invBefore := invalidCounts(t, tel)
		callsBefore := telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_calls", nil)
		skippedBefore := telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_spans_skipped", nil)

		require.NotPanics(t, func() { require.NoError(t, e.consumeTraces(context.Background(), td)) }, r.name)

		t.Run(r.name, func(t *testing.T) {
			delta := seriesDelta(before, seriesValues(t, e))
			if r.want.skipped {
				if r.want.activity != nil {
					assert.Equal(t, r.want.activity, delta)
				} else {
					assert.Empty(t, delta)
				}
				assert.Equal(t, int64(1), telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_spans_skipped", nil)-skippedBefore)
				assert.Equal(t, int64(0), telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_calls", nil)-callsBefore)
			} else {
				want := r.want.expectedDelta()
				assert.ElementsMatch(t, keys(want), keys(delta), "series changed by the row")
				for k, v := range want {
					assert.InDelta(t, v, delta[k], 1e-9, k)
				}
				assert.Equal(t, int64(1), telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_calls", nil)-callsBefore)
			}
			invAfter := invalidCounts(t, tel)
			wantRow := map[string]int64{}
			for _, c := range invalidCauseNames {
				wantRow[c] = 0
			}
			for _, c := range r.want.invalid {
				wantRow[c]++
			}
			gotRow := map[string]int64{}
			for _, c := range invalidCauseNames {
				gotRow[c] = invAfter[c] - invBefore[c]
			}
			assert.Equal(t, wantRow, gotRow, "invalid values counted by the row")
		})
		if r.want.skipped {
			wantSkipped++
		} else {
			wantCalls++
		}
		for _, c := range r.want.invalid {
			wantInvalid[c]++
		}
	}

	// Totals after the whole table.
	assert.Equal(t, int64(len(rows)), telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_spans_received", nil))
	assert.Equal(t, wantCalls, telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_calls", nil))
	assert.Equal(t, wantSkipped, telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_spans_skipped", nil))
	for _, c := range invalidCauseNames {
		assert.Equal(t, wantInvalid[c], invalidCounts(t, tel)[c], "invalid_values{cause=%q}", c)
	}
	assert.Equal(t, map[string]int64{
		"input_tokens": 6, "output_tokens": 6, "cached_input_tokens": 2, "reasoning_tokens": 1,
		"duration": 3, "ttft": 4, "cost": 3, "cache_creation_input_tokens": 2, "model": 2,
	}, wantInvalid, "the table's own totals")
	assert.Equal(t, int64(39), wantCalls)
	assert.Equal(t, int64(5), wantSkipped)

	// The same totals on /metrics, served by the exporter's handler.
	rec := httptest.NewRecorder()
	e.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", http.NoBody))
	require.Equal(t, http.StatusOK, rec.Code)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	require.NoError(t, err, "the exposition parses")
	total := 0.0
	for _, m := range families["llm_requests_total"].GetMetric() {
		total += m.GetCounter().GetValue()
	}
	assert.InDelta(t, float64(wantCalls), total, 0, "sum of llm_requests_total")
	for _, m := range families["llm_requests_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			assert.True(t, utf8.ValidString(lp.GetValue()), lp.GetValue())
			assert.LessOrEqual(t, len(lp.GetValue()), 128)
		}
	}
}

func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The traffic of the dashboard's rows "Agents and tools" and "Quality": two
// invocations of one agent with model calls, tool calls, a guardrail span,
// guardrail and evaluation events, finish reasons and a stream broken after
// its first chunk. With the scenario (whose agent support-bot calls two
// models and one tool) every query of those rows has data, and the values
// below are exact.

const (
	modelMini   = "gpt-4o-mini"
	agentTriage = "triage-bot"
)

// spanEvent is an event of an agentSpan.
type spanEvent struct {
	name  string
	attrs map[string]any
}

// relevanceEvent is a gen_ai.evaluation.result event of the evaluation
// relevance.
func relevanceEvent(score float64, label string) spanEvent {
	return spanEvent{name: "gen_ai.evaluation.result", attrs: map[string]any{
		"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": score, "gen_ai.evaluation.score.label": label,
	}}
}

// guardrailEvent is a gen_ai.guardrail.result event.
func guardrailEvent(name, result string) spanEvent {
	return spanEvent{name: "gen_ai.guardrail.result", attrs: map[string]any{
		"gen_ai.guardrail.name": name, "gen_ai.guardrail.result.value": result,
	}}
}

// agentSpan is one span of agentTraffic.
type agentSpan struct {
	name     string
	parent   int // index of the parent span; -1: the root of a trace of its own
	duration time.Duration
	status   ptrace.StatusCode
	attrs    map[string]any
	events   []spanEvent
}

func chatMini(extra map[string]any) map[string]any {
	attrs := map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": modelMini,
		"gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 40,
	}
	for k, v := range extra {
		attrs[k] = v
	}
	return attrs
}

func toolAttrs(name string) map[string]any {
	return map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}
}

func agentAttrs(name string) map[string]any {
	return map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name}
}

// agentTraffic: triage-bot runs twice.
//   - 0 (failed): model calls 1 (finish reason length) and 2 (streamed, stop),
//     tools search_docs ×2 and send_email (failed), guardrail pii-filter
//     blocked; 2 model calls, 3 tool calls.
//   - 7 (succeeded): model calls 8 (streamed, failed after its first chunk:
//     an interruption, no finish reason) and 9 (tool_calls, carrying the
//     guardrail events pii-filter allowed ×3 and toxicity modified), tool
//     send_email; 2 model calls, 1 tool call.
//
// Evaluation relevance: 0.25 and 0.45 irrelevant, 0.5, 0.85 and 0.95 relevant.
var agentTraffic = []agentSpan{
	0: {name: "invoke_agent " + agentTriage, parent: -1, duration: ms(4000), status: ptrace.StatusCodeError, attrs: agentAttrs(agentTriage)},
	1: {
		name: "chat " + modelMini, parent: 0, duration: ms(1100),
		attrs:  chatMini(map[string]any{"gen_ai.response.finish_reasons": []any{"length"}}),
		events: []spanEvent{relevanceEvent(0.25, "irrelevant")},
	},
	2: {
		name: "chat " + modelMini, parent: 0, duration: ms(900),
		attrs: chatMini(map[string]any{
			"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 0.4,
			"gen_ai.response.finish_reasons": []any{"stop"},
		}),
		events: []spanEvent{relevanceEvent(0.85, "relevant")},
	},
	3: {name: "execute_tool search_docs", parent: 0, duration: ms(300), attrs: toolAttrs("search_docs")},
	4: {name: "execute_tool search_docs", parent: 0, duration: ms(400), attrs: toolAttrs("search_docs")},
	5: {name: "execute_tool send_email", parent: 0, duration: ms(200), status: ptrace.StatusCodeError, attrs: toolAttrs("send_email")},
	6: {
		name: "apply_guardrail pii-filter", parent: 0, duration: ms(50),
		attrs: map[string]any{
			"gen_ai.operation.name": "apply_guardrail", "gen_ai.guardrail.name": "pii-filter",
			"gen_ai.guardrail.result.value": "blocked",
		},
	},
	7: {name: "invoke_agent " + agentTriage, parent: -1, duration: ms(2500), attrs: agentAttrs(agentTriage)},
	8: {
		name: "chat " + modelMini, parent: 7, duration: ms(700), status: ptrace.StatusCodeError,
		attrs: chatMini(map[string]any{
			"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 0.2,
			"error.type": "APIConnectionError",
		}),
	},
	9: {
		name: "chat " + modelMini, parent: 7, duration: ms(800),
		attrs: chatMini(map[string]any{"gen_ai.response.finish_reasons": []any{"tool_calls"}}),
		events: []spanEvent{
			relevanceEvent(0.45, "irrelevant"),
			relevanceEvent(0.5, "relevant"),
			relevanceEvent(0.95, "relevant"),
			guardrailEvent("pii-filter", "allowed"),
			guardrailEvent("pii-filter", "allowed"),
			guardrailEvent("pii-filter", "allowed"),
			guardrailEvent("toxicity", "modified"),
		},
	},
	10: {name: "execute_tool send_email", parent: 7, duration: ms(250), attrs: toolAttrs("send_email")},
}

// dashboardAgentSpans adds agentTraffic to td, its spans starting at base.
func dashboardAgentSpans(td ptrace.Traces, base time.Time) {
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "support-api")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("e2e-dashboard-agents")
	for i, s := range agentTraffic {
		root := i
		for agentTraffic[root].parent >= 0 {
			root = agentTraffic[root].parent
		}
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID([16]byte{0xa6, 0xe7, byte(root + 1)}))
		sp.SetSpanID(pcommon.SpanID([8]byte{0xa6, 0xe7, byte(i + 1)}))
		if s.parent >= 0 {
			sp.SetParentSpanID(pcommon.SpanID([8]byte{0xa6, 0xe7, byte(s.parent + 1)}))
		}
		sp.SetName(s.name)
		sp.SetKind(ptrace.SpanKindInternal)
		if strings.HasPrefix(s.name, "chat ") {
			sp.SetKind(ptrace.SpanKindClient)
		}
		start := base.Add(time.Duration(i) * 10 * time.Millisecond)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(s.duration)))
		sp.Status().SetCode(s.status)
		if err := sp.Attributes().FromRaw(s.attrs); err != nil {
			panic(fmt.Sprintf("agent span %d: %v", i, err))
		}
		for j, e := range s.events {
			ev := sp.Events().AppendEmpty()
			ev.SetName(e.name)
			ev.SetTimestamp(pcommon.NewTimestampFromTime(start.Add(s.duration).Add(time.Duration(j) * time.Millisecond)))
			if err := ev.Attributes().FromRaw(e.attrs); err != nil {
				panic(fmt.Sprintf("agent span %d event %d: %v", i, j, err))
			}
		}
	}
}

// finishReasonCounts counts the first finish reason of every span the
// dashboard test sends (the scenario and agentTraffic; the values are
// canonical already).
func finishReasonCounts() map[string]float64 {
	out := map[string]float64{}
	add := func(attrs map[string]any) {
		if rs, ok := attrs["gen_ai.response.finish_reasons"].([]any); ok && len(rs) > 0 {
			out[rs[0].(string)]++
		}
	}
	for _, s := range scenario {
		add(s.attrs)
	}
	for _, s := range agentTraffic {
		add(s.attrs)
	}
	return out
}

// callBuckets are the exporter's buckets of llm_agent_model_calls and
// llm_agent_tool_calls (classic only).
var callBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128}

// checkAgentsAndQuality runs the queries of the rows "Agents and tools" and
// "Quality" at evalMs, the timestamp of a scrape after the send whose
// series hold their created-timestamp zero sample (see prometheus_test.go):
// over the window of rateInterval seconds, rate(x) = N / rateInterval
// exactly and every ratio is the ratio of the counts.
func checkAgentsAndQuality(ctx context.Context, t *testing.T, prom *promServer, dq dashboardQueries, evalMs int64) {
	t.Helper()
	rateInterval, err := time.ParseDuration(dq.Substitutions["__rate_interval"])
	if err != nil {
		t.Fatalf("queries.json: __rate_interval: %v", err)
	}
	w := rateInterval.Seconds()

	// Preconditions of the exact math.
	assertZeroThenScrape(ctx, t, prom, dq.Substitutions["__rate_interval"], evalMs,
		"llm_tool_calls_total", "llm_agent_invocations_total", "llm_agent_model_calls_bucket",
		"llm_finish_reasons_total", "llm_stream_interruptions_total", "llm_guardrail_results_total",
		"llm_evaluation_results_total")
	if t.Failed() {
		t.FailNow()
	}

	reasons := finishReasonCounts()
	var reasonsTotal float64
	for _, n := range reasons {
		reasonsTotal += n
	}
	shares := map[string]float64{}
	for r, n := range reasons {
		shares[r] = n / reasonsTotal
	}
	callsQ := func(q float64, obs ...float64) float64 {
		return bucketQuantile(q, callBuckets, cumulative(callBuckets, obs))
	}
	// support-bot (scenario): one invocation, model calls 8 and 9, tool 14.
	// triage-bot: invocations 0 (2 model calls, 3 tool calls) and 7 (2, 1).
	for _, c := range []struct {
		panel, refID string
		by           []string
		want         map[string]float64
	}{
		{"Tool calls by tool", "A", []string{"tool"}, map[string]float64{"lookup_order": 1 / w, "search_docs": 2 / w, "send_email": 2 / w}},
		{"Tool error ratio by tool", "A", []string{"tool"}, map[string]float64{"send_email": 0.5}},
		{"Agent invocations by agent", "A", []string{"agent"}, map[string]float64{"support-bot": 1 / w, agentTriage: 2 / w}},
		{"Agent error ratio by agent", "A", []string{"agent"}, map[string]float64{agentTriage: 0.5}},
		{"Model calls per agent invocation", "A", []string{"agent"}, map[string]float64{"support-bot": callsQ(0.5, 2), agentTriage: callsQ(0.5, 2, 2)}},
		{"Model calls per agent invocation", "B", []string{"agent"}, map[string]float64{"support-bot": callsQ(0.95, 2), agentTriage: callsQ(0.95, 2, 2)}},
		{"Model calls per agent invocation", "C", []string{"agent"}, map[string]float64{"support-bot": 2, agentTriage: 2}},
		{"Tool calls per agent invocation", "A", []string{"agent"}, map[string]float64{"support-bot": callsQ(0.5, 1), agentTriage: callsQ(0.5, 3, 1)}},
		{"Tool calls per agent invocation", "B", []string{"agent"}, map[string]float64{"support-bot": callsQ(0.95, 1), agentTriage: callsQ(0.95, 3, 1)}},
		{"Tool calls per agent invocation", "C", []string{"agent"}, map[string]float64{"support-bot": 1, agentTriage: 2}},
		{"Finish reasons", "A", []string{"finish_reason"}, shares},
		// gpt-4o-mini: length, stop, tool_calls; no other model was cut off.
		{"Truncated responses by model", "A", []string{"model"}, map[string]float64{modelMini: 1.0 / 3}},
		// gpt-4o-mini: calls 2 and 8 have a first chunk, 8 failed after it.
		{"Stream interruptions by model", "A", []string{"model"}, map[string]float64{modelMini: 0.5}},
		{"Guardrail results", "A", []string{"guardrail", "result"}, map[string]float64{
			"pii-filter/blocked": 1 / w, "pii-filter/allowed": 3 / w, "toxicity/modified": 1 / w,
		}},
		{"Guardrail block ratio by guardrail", "A", []string{"guardrail"}, map[string]float64{"pii-filter": 0.25}},
		{"Evaluation results by label", "A", []string{"evaluation", "label"}, map[string]float64{
			"relevance/relevant": 3 / w, "relevance/irrelevant": 2 / w,
		}},
	} {
		got := panelValues(ctx, t, prom, dq, c.panel, c.refID, c.by, evalMs)
		if !approxEqual(got, c.want, 1e-9) {
			t.Errorf("%s [%s]:\n  got  %v\n  want %v", c.panel, c.refID, fmtMap(got), fmtMap(c.want))
			continue
		}
		t.Logf("%s [%s] = %v", c.panel, c.refID, fmtMap(got))
	}

	// Evaluation score quantiles: the panel prefers the native histogram
	// (this Prometheus ingests both forms), whose buckets and interpolation
	// differ from the classic ones (p50 0.475, p10 0.25 of 0.25, 0.45, 0.5,
	// 0.85, 0.95). The scores are chosen so that both forms give a value in
	// the same classic bucket: the median's rank 2.5 falls inside the bucket
	// of 0.5, a power of two, which ends a native bucket at every schema and
	// the classic (0.4, 0.5]; the 10th percentile's rank 0.5 inside that of
	// 0.25, whose native bucket lies in (0.2, 0.3] at every schema >= 2
	// (bucket factor <= 1.19; the exporter's default is 1.1). No rank sits on
	// a bucket boundary, where float rounding could pick either bucket.
	for _, c := range []struct {
		refID  string
		lo, hi float64
	}{{"A", 0.4, 0.5}, {"B", 0.2, 0.3}} {
		got := panelValues(ctx, t, prom, dq, "Evaluation score by evaluation", c.refID, []string{"evaluation"}, evalMs)
		v, ok := got["relevance"]
		if len(got) != 1 || !ok || v <= c.lo || v > c.hi+1e-9 {
			t.Errorf("Evaluation score by evaluation [%s]: %v, want relevance in (%v, %v]", c.refID, fmtMap(got), c.lo, c.hi)
			continue
		}
		t.Logf("Evaluation score by evaluation [%s] = %v", c.refID, fmtMap(got))
	}
}

// panelValues runs the query refID of panel at evalMs and returns its values
// keyed by the by labels of each series, joined with "/".
func panelValues(ctx context.Context, t *testing.T, prom *promServer, dq dashboardQueries, panel, refID string, by []string, evalMs int64) map[string]float64 {
	t.Helper()
	i := slices.IndexFunc(dq.Queries, func(q dashboardQuery) bool { return q.Panel == panel && q.RefID == refID })
	if i < 0 {
		t.Fatalf("no query %s of panel %q in dashboards/queries.json", refID, panel)
	}
	res, err := prom.query(ctx, dq.Queries[i].Expr, evalMs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, s := range res {
		key := make([]string, len(by))
		for j, l := range by {
			key[j] = s.Metric[l]
		}
		_, v, err := pointMs(s.Value)
		if err != nil {
			t.Fatal(err)
		}
		got[strings.Join(key, "/")] = v
	}
	return got
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"context"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
)

// agentSpan appends a span of trace 7 with span id id under parent (0: a
// root), lasting dur from t0.
func agentSpan(ss ptrace.SpanSlice, name string, id, parent byte, dur time.Duration, attrs map[string]any) ptrace.Span {
	sp := ss.AppendEmpty()
	sp.SetName(name)
	sp.SetTraceID(pcommon.TraceID{15: 7})
	sp.SetSpanID(pcommon.SpanID{7: id})
	if parent != 0 {
		sp.SetParentSpanID(pcommon.SpanID{7: parent})
	}
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(dur)))
	if err := sp.Attributes().FromRaw(attrs); err != nil {
		panic(err)
	}
	return sp
}

// agentTrace is one agent invocation: three model calls (one under a chain
// span, one streamed and broken after its first chunk), two tool
// executions (one failed), a guardrail that blocks, evaluation events, and
// spans of another trace that belong to no agent in the batch.
func agentTrace() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "support-bot")
	ss := rs.ScopeSpans().AppendEmpty().Spans()
	chat := func(extra map[string]any) map[string]any {
		m := map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
			"gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 20,
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	// Children first, as SDKs export them (a span ends before its parent).
	agentSpan(ss, "chat gpt-4o", 2, 1, time.Second, chat(map[string]any{"gen_ai.response.finish_reasons": []any{"tool_calls"}}))
	agentSpan(ss, "execute_tool get_weather", 3, 1, 300*time.Millisecond, map[string]any{
		"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
	})
	failed := agentSpan(ss, "execute_tool get_weather", 4, 1, 500*time.Millisecond, map[string]any{
		"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
	})
	failed.Status().SetCode(ptrace.StatusCodeError)
	call := agentSpan(ss, "chat gpt-4o", 6, 5, 2*time.Second, chat(map[string]any{"gen_ai.response.finish_reasons": []any{"stop"}}))
	ev := call.Events().AppendEmpty()
	ev.SetName("gen_ai.evaluation.result")
	_ = ev.Attributes().FromRaw(map[string]any{
		"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.85, "gen_ai.evaluation.score.label": "pass",
	})
	ev = call.Events().AppendEmpty()
	ev.SetName("gen_ai.evaluation.result")
	_ = ev.Attributes().FromRaw(map[string]any{
		"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": "high", "gen_ai.evaluation.score.label": "fail",
	})
	agentSpan(ss, "RunnableSequence", 5, 1, 3*time.Second, map[string]any{"openinference.span.kind": "CHAIN"})
	broken := agentSpan(ss, "chat gpt-4o", 7, 1, 4*time.Second, chat(map[string]any{
		"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 0.25,
	}))
	broken.Status().SetCode(ptrace.StatusCodeError)
	agentSpan(ss, "apply_guardrail pii", 8, 1, 100*time.Millisecond, map[string]any{
		"gen_ai.operation.name": "apply_guardrail", "gen_ai.guardrail.component.name": "pii",
		"gen_ai.guardrail.result.type": "action", "gen_ai.guardrail.result.value": "GUARDRAIL_INTERVENED",
	})
	agentSpan(ss, "invoke_agent planner", 1, 0, 10*time.Second, map[string]any{
		"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner",
	})
	return td
}

// agentLogs are OTLP log records: an evaluation result, a guardrail
// result, and a record that is neither.
func agentLogs() plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lr := lrs.AppendEmpty()
	lr.SetEventName("gen_ai.evaluation.result")
	_ = lr.Attributes().FromRaw(map[string]any{
		"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.4, "gen_ai.evaluation.score.label": "fail",
	})
	lr = lrs.AppendEmpty() // the event name as an attribute (older SDKs)
	_ = lr.Attributes().FromRaw(map[string]any{
		"event.name": "gen_ai.guardrail.result", "gen_ai.guardrail.component.name": "toxicity",
		"gen_ai.guardrail.result.type": "action", "gen_ai.guardrail.result.value": "NONE",
	})
	lr = lrs.AppendEmpty()
	lr.Body().SetStr("user logged in")
	return ld
}

func TestAgentsToolsGuardrailsEvaluations(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	e := newTestExporter(t, createDefaultConfig().(*Config), set)

	require.NoError(t, e.consumeTraces(context.Background(), agentTrace()))
	require.NoError(t, e.consumeLogs(context.Background(), agentLogs()))

	got := seriesValues(t, e)
	want := map[string]float64{
		// The calls count once each, as before: the agent, chain, tool and
		// guardrail spans are no calls.
		"llm_requests_total{model=gpt-4o,status=success,template=none}":   2,
		"llm_requests_total{model=gpt-4o,status=error,template=none}":     1,
		"llm_prompt_tokens_total{model=gpt-4o,template=none}":             300,
		"llm_finish_reasons_total{finish_reason=stop,model=gpt-4o}":       1,
		"llm_finish_reasons_total{finish_reason=tool_calls,model=gpt-4o}": 1,
		"llm_stream_interruptions_total{model=gpt-4o}":                    1,
		"llm_tool_calls_total{status=success,tool=get_weather}":           1,
		"llm_tool_calls_total{status=error,tool=get_weather}":             1,
		"llm_tool_duration_seconds_count{tool=get_weather}":               2,
		"llm_tool_duration_seconds_sum{tool=get_weather}":                 0.8,
		"llm_agent_invocations_total{agent=planner,status=success}":       1,
		"llm_agent_duration_seconds_count{agent=planner}":                 1,
		"llm_agent_duration_seconds_sum{agent=planner}":                   10,
		// The chain's call counts for the agent above the chain.
		"llm_agent_model_calls_count{agent=planner}":                     1,
		"llm_agent_model_calls_sum{agent=planner}":                       3,
		"llm_agent_tool_calls_count{agent=planner}":                      1,
		"llm_agent_tool_calls_sum{agent=planner}":                        2,
		"llm_guardrail_results_total{guardrail=pii,result=blocked}":      1,
		"llm_guardrail_results_total{guardrail=toxicity,result=allowed}": 1,
		"llm_evaluation_score_count{evaluation=relevance}":               2,
		"llm_evaluation_score_sum{evaluation=relevance}":                 1.25,
		"llm_evaluation_results_total{evaluation=relevance,label=pass}":  1,
		"llm_evaluation_results_total{evaluation=relevance,label=fail}":  2,
		// A guardrail block is no LLM error: the one error is the broken
		// stream.
		"llm_errors_total{model=gpt-4o,reason=other}": 1,
	}
	for k, v := range want {
		assert.InDelta(t, v, got[k], 1e-9, k)
	}
	for k := range got {
		if strings.HasPrefix(k, "llm_agent") || strings.HasPrefix(k, "llm_tool") || strings.HasPrefix(k, "llm_guardrail") ||
			strings.HasPrefix(k, "llm_evaluation") || strings.HasPrefix(k, "llm_finish") || strings.HasPrefix(k, "llm_stream") ||
			strings.HasPrefix(k, "llm_errors") {
			_, ok := want[k]
			assert.True(t, ok, "unexpected series %s = %v", k, got[k])
		}
	}
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_calls", nil, 3)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_spans_skipped", nil, 5)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_invalid_values", map[string]string{"cause": "evaluation_score"}, 1)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_log_records_received", nil, 3)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_log_records_skipped", nil, 1)
}

// TestAgentsBadInput: names and values of every type and size, scores that
// are no number from 0 to 1, events without names, unknown guardrail
// results: counted as invalid with their cause, never a crash, and every
// valid value kept.
func TestAgentsBadInput(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := createDefaultConfig().(*Config)
	cfg.Labels.Tool.MaxValues = 2
	e := newTestExporter(t, cfg, set)

	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	tool := func(id byte, name any) {
		attrs := map[string]any{"gen_ai.operation.name": "execute_tool"}
		if name != nil {
			attrs["gen_ai.tool.name"] = name
		}
		agentSpan(ss, "execute_tool", id, 0, time.Second, attrs)
	}
	tool(1, 42)                          // a number: its string form
	tool(2, map[string]any{"a": "b"})    // a map: unknown, invalid name
	tool(3, strings.Repeat("t", 10_000)) // cut to 128 bytes
	tool(4, "third-tool")                // past the cap of 2: other
	tool(5, "\xff\xfebad")               // repaired, past the cap: other
	tool(6, nil)                         // no name, span name only the operation: unknown
	// A guardrail with a severity number maps to no result; one with
	// neither a result nor a result event.
	agentSpan(ss, "apply_guardrail", 7, 0, time.Second, map[string]any{
		"gen_ai.operation.name": "apply_guardrail", "gen_ai.guardrail.component.name": "azure", "gen_ai.guardrail.result.value": 6,
	})
	agentSpan(ss, "apply_guardrail", 8, 0, time.Second, map[string]any{"gen_ai.operation.name": "apply_guardrail"})
	// Evaluation events: NaN, +Inf, 1.5, -0.1, a string, no name (valid
	// score, counted as unknown), a bytes label, an event with no name at all.
	host := agentSpan(ss, "GET /", 9, 0, time.Second, nil)
	for _, attrs := range []map[string]any{
		{"gen_ai.evaluation.name": "e", "gen_ai.evaluation.score.value": math.NaN()},
		{"gen_ai.evaluation.name": "e", "gen_ai.evaluation.score.value": math.Inf(1)},
		{"gen_ai.evaluation.name": "e", "gen_ai.evaluation.score.value": 1.5},
		{"gen_ai.evaluation.name": "e", "gen_ai.evaluation.score.value": -0.1},
		{"gen_ai.evaluation.name": "e", "gen_ai.evaluation.score.value": "0.5"},
		{"gen_ai.evaluation.score.value": 1},
		{"gen_ai.evaluation.name": "e", "gen_ai.evaluation.score.value": 0, "gen_ai.evaluation.score.label": []any{"x"}},
	} {
		ev := host.Events().AppendEmpty()
		ev.SetName("gen_ai.evaluation.result")
		require.NoError(t, ev.Attributes().FromRaw(attrs))
	}
	host.Events().AppendEmpty() // an event without a name: not ours
	require.NotPanics(t, func() { require.NoError(t, e.consumeTraces(context.Background(), td)) })

	got := seriesValues(t, e)
	long := strings.Repeat("t", 128)
	want := map[string]float64{
		"llm_tool_calls_total{status=success,tool=42}":           1,
		"llm_tool_calls_total{status=success,tool=unknown}":      2,
		"llm_tool_calls_total{status=success,tool=" + long + "}": 1,
		"llm_tool_calls_total{status=success,tool=other}":        2,
		"llm_evaluation_score_count{evaluation=e}":               1,
		"llm_evaluation_score_sum{evaluation=e}":                 0,
		"llm_evaluation_score_count{evaluation=unknown}":         1,
		"llm_evaluation_score_sum{evaluation=unknown}":           1,
	}
	for k, v := range want {
		assert.InDelta(t, v, got[k], 1e-9, k)
	}
	for k := range got {
		if strings.HasPrefix(k, "llm_tool_calls") || strings.HasPrefix(k, "llm_guardrail") || strings.HasPrefix(k, "llm_evaluation_score_") ||
			strings.HasPrefix(k, "llm_evaluation_results") {
			_, ok := want[k]
			assert.True(t, ok, "unexpected series %s = %v", k, got[k])
		}
	}
	for cause, n := range map[string]int64{
		"name": 1, "name_value": 2, "guardrail_result": 2, "evaluation_score": 5, "evaluation_name": 1, "evaluation_label": 1,
	} {
		assertSum(t, tel, "otelcol_exporter_llm_prometheus_invalid_values", map[string]string{"cause": cause}, n)
	}
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_label_overflow", map[string]string{"label": "tool"}, 2)
}

// The README's table of the agent, tool and quality families lists exactly
// the families the exporter serves for agent traffic, and its pipelines
// block wires traces and logs into llm_prometheus.
func TestReadmeAgentsSection(t *testing.T) {
	section := readmeSection(t, "## Agents, tools and quality")
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(llm_[a-z_]+)`(?:, `(llm_[a-z_]+)`)? \\|").FindAllStringSubmatch(section, -1) {
		for _, name := range m[1:] {
			if name != "" {
				listed[name] = true
			}
		}
	}
	e := newTestExporter(t, createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	before, err := e.registry.Gather()
	require.NoError(t, err)
	require.Empty(t, before)
	require.NoError(t, e.consumeTraces(context.Background(), agentTrace()))
	require.NoError(t, e.consumeLogs(context.Background(), agentLogs()))
	served := map[string]bool{}
	mfs, err := e.registry.Gather()
	require.NoError(t, err)
	calls := map[string]bool{} // the families of plain calls, documented in Metric reference
	for _, n := range []string{
		"llm_requests_total", "llm_request_duration_seconds", "llm_time_to_first_token_seconds", "llm_prompt_tokens_total",
		"llm_completion_tokens_total", "llm_errors_total", "llm_cost_usd_total", "llm_cached_prompt_tokens_total", "llm_cache_creation_prompt_tokens_total",
		"llm_reasoning_tokens_total", "llm_unpriced_requests_total", "llm_cost_reported_usd_total", "llm_time_per_output_token_seconds",
	} {
		calls[n] = true
	}
	for _, mf := range mfs {
		if !calls[mf.GetName()] {
			served[mf.GetName()] = true
		}
	}
	assert.Equal(t, served, listed)

	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(section, -1)
	require.Len(t, blocks, 1)
	var doc struct {
		Service struct {
			Pipelines map[string]struct {
				Exporters []string `yaml:"exporters"`
			} `yaml:"pipelines"`
		} `yaml:"service"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(blocks[0][1]), &doc))
	for _, p := range []string{"traces", "logs"} {
		assert.Equal(t, []string{"llm_prometheus"}, doc.Service.Pipelines[p].Exporters, p)
	}
}

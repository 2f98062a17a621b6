// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

const benchBatch = 100

// BenchmarkConsumeTraces measures the exporter's hot path (extraction and
// metric updates) on a realistic 100-span batch, per span.
func BenchmarkConsumeTraces(b *testing.B) {
	b.Run("default", func(b *testing.B) { benchmarkConsumeTraces(b, createDefaultConfig().(*Config)) })
	// Three dimensions: service (resource service.name), provider and
	// tenant (span attribute tenant.id, 8 tenants across the 5 models). The
	// target is ≤ 1.3× default's ns/span and 0 allocs/span.
	b.Run("dimensions", func(b *testing.B) {
		benchmarkConsumeTracesOn(b, dimensionsConfig(b, "service", "provider", "tenant"), tenantBenchBatch(benchBatch))
	})
	b.Run("classic_histograms_only", func(b *testing.B) {
		cfg := createDefaultConfig().(*Config)
		cfg.NativeHistograms.Enabled = false
		benchmarkConsumeTraces(b, cfg)
	})
	// The same batch through the single-pass path (no nested-call rule).
	b.Run("deduplicate_nested_calls_off", func(b *testing.B) {
		cfg := createDefaultConfig().(*Config)
		cfg.DeduplicateNestedCalls = false
		benchmarkConsumeTraces(b, cfg)
	})
	// Every span has a parent, a quarter are nested duplicates.
	b.Run("nested_pairs", func(b *testing.B) {
		benchmarkConsumeTracesOn(b, createDefaultConfig().(*Config), nestedBenchBatch(benchBatch))
	})
	// One agent invocation per batch: the agent span, its 4 model calls and
	// 6 tool executions (agentBenchBatch). Per span and per invocation.
	b.Run("agents", func(b *testing.B) {
		e := newBenchExporter(b, createDefaultConfig().(*Config))
		td := agentBenchBatch()
		td.MarkReadOnly()
		ctx := context.Background()
		require.NoError(b, e.consumeTraces(ctx, td)) // create the series
		b.ReportAllocs()
		for b.Loop() {
			_ = e.consumeTraces(ctx, td)
		}
		ns := float64(b.Elapsed().Nanoseconds())
		b.ReportMetric(ns/float64(b.N*agentBenchSpans), "ns/span")
		b.ReportMetric(ns/float64(b.N), "ns/invocation")
	})
}

// agentBenchSpans is the number of spans of agentBenchBatch: the agent, its
// model calls and its tool executions.
const agentBenchSpans = 1 + agentBenchCalls + agentBenchTools

const (
	agentBenchCalls = 4
	agentBenchTools = 6
)

// agentBenchToolNames are the tools of agentBenchBatch, in call order.
var agentBenchToolNames = [agentBenchTools]string{"search_docs", "get_order", "search_docs", "get_weather", "get_order", "search_docs"}

// agentBenchBatch is one agent invocation as the GenAI semantic conventions
// write it: an invoke_agent span (support-agent, gpt-4o on openai) and,
// under it, 4 chat calls and 6 execute_tool spans, children first (a span
// ends, and is exported, before its parent). Calls 1-3 finish with
// tool_calls and are each followed by two tool executions, call 4 finishes
// with stop; call 2 is streamed with a time to first chunk; the fifth tool
// fails.
func agentBenchBatch() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ra := rs.Resource().Attributes()
	ra.PutStr("service.name", "support-bot")
	ra.PutStr("service.version", "2.3.0")
	ra.PutStr("deployment.environment.name", "production")
	ra.PutStr("telemetry.sdk.language", "python")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("opentelemetry.instrumentation.openai_agents")
	spans := ss.Spans()
	spans.EnsureCapacity(agentBenchSpans)
	trace := pcommon.TraceID{0x4b, 0x1d, 0x7a, 15: 0x13}
	agentID := pcommon.SpanID{0xa9, 0x01}
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	at, id := t0, byte(0)
	span := func(name string, dur time.Duration) ptrace.Span {
		id++
		sp := spans.AppendEmpty()
		sp.SetName(name)
		sp.SetTraceID(trace)
		sp.SetSpanID(pcommon.SpanID{0xa9, 0x02, id})
		sp.SetParentSpanID(agentID)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at))
		at = at.Add(dur)
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at))
		return sp
	}
	tool := 0
	for c := range agentBenchCalls {
		sp := span("chat gpt-4o", time.Duration(700+300*c)*time.Millisecond)
		sp.SetKind(ptrace.SpanKindClient)
		a := sp.Attributes()
		a.EnsureCapacity(14)
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", "openai")
		a.PutStr("gen_ai.request.model", "gpt-4o")
		a.PutStr("gen_ai.response.model", "gpt-4o-2025-06-01")
		a.PutStr("server.address", "api.example.test")
		a.PutInt("server.port", 443)
		a.PutDouble("gen_ai.request.temperature", 0.2)
		a.PutStr("gen_ai.response.id", "chatcmpl-0123456789abcdef")
		a.PutStr("gen_ai.tool.definitions", `[{"type":"function","name":"search_docs"},{"type":"function","name":"get_order"},{"type":"function","name":"get_weather"}]`)
		a.PutInt("gen_ai.usage.input_tokens", int64(900+450*c))
		a.PutInt("gen_ai.usage.output_tokens", int64(40+25*c))
		reason := "tool_calls"
		if c == agentBenchCalls-1 {
			reason = "stop"
		}
		a.PutEmptySlice("gen_ai.response.finish_reasons").AppendEmpty().SetStr(reason)
		if c == 1 {
			a.PutBool("gen_ai.request.stream", true)
			a.PutDouble("gen_ai.response.time_to_first_chunk", 0.31)
		}
		if c == agentBenchCalls-1 {
			break // the answer: no tool after it
		}
		for range agentBenchTools / (agentBenchCalls - 1) {
			name := agentBenchToolNames[tool]
			sp := span("execute_tool "+name, time.Duration(120+90*tool)*time.Millisecond)
			sp.SetKind(ptrace.SpanKindInternal)
			a := sp.Attributes()
			a.PutStr("gen_ai.operation.name", "execute_tool")
			a.PutStr("gen_ai.tool.name", name)
			a.PutStr("gen_ai.tool.type", "function")
			a.PutStr("gen_ai.tool.call.id", "call_"+name)
			if tool == 4 {
				sp.Status().SetCode(ptrace.StatusCodeError)
				sp.Status().SetMessage("order service unavailable")
				a.PutStr("error.type", "TimeoutError")
			}
			tool++
		}
	}
	sp := spans.AppendEmpty()
	sp.SetName("invoke_agent support-agent")
	sp.SetKind(ptrace.SpanKindInternal)
	sp.SetTraceID(trace)
	sp.SetSpanID(agentID)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at.Add(50 * time.Millisecond)))
	a := sp.Attributes()
	a.PutStr("gen_ai.operation.name", "invoke_agent")
	a.PutStr("gen_ai.agent.name", "support-agent")
	a.PutStr("gen_ai.agent.id", "asst_5j66UpCpwteGg4YSxUnt7lPY")
	a.PutStr("gen_ai.provider.name", "openai")
	a.PutStr("gen_ai.request.model", "gpt-4o")
	a.PutStr("gen_ai.conversation.id", "conv_5j66UpCpwteGg4YSxUnt7lPY")
	return td
}

// dimensionsConfig is the default configuration with the dimension presets
// named, decoded as a configuration file would give them.
func dimensionsConfig(tb testing.TB, presets ...string) *Config {
	cfg := createDefaultConfig().(*Config)
	for _, name := range presets {
		var d llmconfig.Dimension
		require.NoError(tb, d.UnmarshalText([]byte(name)))
		cfg.Dimensions = append(cfg.Dimensions, d)
	}
	require.NoError(tb, cfg.Validate())
	return cfg
}

// tenantBenchBatch is the spangen batch whose span i carries tenant.id
// tenant-<i%8>.
func tenantBenchBatch(n int) ptrace.Traces {
	td := spangen.Batch(n, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		spans.At(i).Attributes().PutStr("tenant.id", fmt.Sprintf("tenant-%d", i%8))
	}
	return td
}

// BenchmarkDimensionsRatio alternates the default and dimensions cases of
// BenchmarkConsumeTraces batch by batch and times every call, so both see
// the same machine noise: ratio is dimensions' ns/span over default's (the
// target is ≤ 1.3). On Linux, cpu-ratio is the same ratio of the CPU time
// of the benchmark's thread (locked to it), which a core taken by another
// process does not inflate.
func BenchmarkDimensionsRatio(b *testing.B) {
	def := newBenchExporter(b, createDefaultConfig().(*Config))
	dim := newBenchExporter(b, dimensionsConfig(b, "service", "provider", "tenant"))
	tdDef := spangen.Batch(benchBatch, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	tdDim := tenantBenchBatch(benchBatch)
	tdDef.MarkReadOnly()
	tdDim.MarkReadOnly()
	ctx := context.Background()
	for range 3 { // create the series and publish them to the lock-free map
		require.NoError(b, def.consumeTraces(ctx, tdDef))
		require.NoError(b, dim.consumeTraces(ctx, tdDim))
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := threadCPU
	if cpu == nil {
		cpu = func() time.Duration { return 0 }
	}
	var tDef, tDim, cDef, cDim time.Duration
	b.ReportAllocs()
	// Each call is timed the same way: CPU time around wall time around it.
	timed := func(e *llmExporter, td ptrace.Traces, wall, cpuTime *time.Duration) {
		c0 := cpu()
		t0 := time.Now()
		_ = e.consumeTraces(ctx, td)
		t1 := time.Now()
		c1 := cpu()
		*wall += t1.Sub(t0)
		*cpuTime += c1 - c0
	}
	for b.Loop() {
		timed(def, tdDef, &tDef, &cDef)
		timed(dim, tdDim, &tDim, &cDim)
	}
	perSpan := float64(b.N * benchBatch)
	b.ReportMetric(float64(tDef.Nanoseconds())/perSpan, "default-ns/span")
	b.ReportMetric(float64(tDim.Nanoseconds())/perSpan, "dimensions-ns/span")
	b.ReportMetric(float64(tDim)/float64(tDef), "ratio")
	if cDef > 0 {
		b.ReportMetric(float64(cDim)/float64(cDef), "cpu-ratio")
	}
}

// threadCPU returns the CPU time of the calling thread, where the platform
// tells it (benchcpu_linux_test.go); nil elsewhere.
var threadCPU func() time.Duration

func newBenchExporter(tb testing.TB, cfg *Config) *llmExporter {
	e, err := newLLMExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(tb, err)
	return e
}

func benchmarkConsumeTraces(b *testing.B, cfg *Config) {
	benchmarkConsumeTracesOn(b, cfg, spangen.Batch(benchBatch, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)))
}

// nestedBenchBatch is the spangen batch with parents: span 4k+1 is the child
// of span 4k (same trace, same provider and model: span 4k is its nested
// duplicate), the other spans have a parent that is not in the batch (an
// agent span).
func nestedBenchBatch(n int) ptrace.Traces {
	td := spangen.Batch(n, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		sp := spans.At(i)
		switch i % 4 {
		case 1:
			parent := spans.At(i - 1)
			sp.SetTraceID(parent.TraceID())
			sp.SetParentSpanID(parent.SpanID())
			for _, k := range []string{"gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model"} {
				v, _ := parent.Attributes().Get(k)
				sp.Attributes().PutStr(k, v.Str())
			}
		default:
			sp.SetParentSpanID(pcommon.SpanID{0xa9, byte(i), 0x11})
		}
	}
	return td
}

func benchmarkConsumeTracesOn(b *testing.B, cfg *Config, td ptrace.Traces) {
	e, err := newLLMExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(b, err)
	td.MarkReadOnly()
	ctx := context.Background()
	require.NoError(b, e.consumeTraces(ctx, td)) // create the series
	b.ReportAllocs()
	for b.Loop() {
		_ = e.consumeTraces(ctx, td)
	}
	perSpan := float64(b.N * benchBatch)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/perSpan, "ns/span")
}

// TestConsumeTracesNoAllocs pins the zero-allocation steady state: once the
// series exist and within one exemplar interval, a batch allocates nothing,
// with dimensions too.
func TestConsumeTracesNoAllocs(t *testing.T) {
	e, err := newLLMExporter(createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	fixed := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return fixed }
	td := spangen.Batch(benchBatch, fixed)
	ctx := context.Background()
	require.NoError(t, e.consumeTraces(ctx, td))
	allocs := testing.AllocsPerRun(50, func() { _ = e.consumeTraces(ctx, td) })
	require.Zero(t, allocs)

	// With nested duplicates to find and leave out.
	nested := nestedBenchBatch(benchBatch)
	require.NoError(t, e.consumeTraces(ctx, nested))
	allocs = testing.AllocsPerRun(50, func() { _ = e.consumeTraces(ctx, nested) })
	require.Zero(t, allocs)

	// With dimensions [service, provider, tenant], ~100 label sets.
	e, err = newLLMExporter(dimensionsConfig(t, "service", "provider", "tenant"), exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	e.now = func() time.Time { return fixed }
	td = tenantBenchBatch(benchBatch)
	for range 3 { // create the series and publish them to the lock-free map
		require.NoError(t, e.consumeTraces(ctx, td))
	}
	allocs = testing.AllocsPerRun(50, func() { _ = e.consumeTraces(ctx, td) })
	require.Zero(t, allocs)
}

// TestConsumeTracesAgentsNoAllocs: the batch of BenchmarkConsumeTraces/agents
// is what it claims (1 invocation, 4 calls, 6 tools, checked on the
// metrics), and once its series exist a batch allocates nothing.
func TestConsumeTracesAgentsNoAllocs(t *testing.T) {
	e := newTestExporter(t, createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	fixed := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return fixed }
	td := agentBenchBatch()
	require.Equal(t, agentBenchSpans, td.SpanCount())
	ctx := context.Background()
	require.NoError(t, e.consumeTraces(ctx, td))

	got := seriesValues(t, e)
	for k, v := range map[string]float64{
		"llm_requests_total{model=gpt-4o,status=success,template=none}":     4,
		"llm_prompt_tokens_total{model=gpt-4o,template=none}":               900 + 1350 + 1800 + 2250,
		"llm_completion_tokens_total{model=gpt-4o,template=none}":           40 + 65 + 90 + 115,
		"llm_finish_reasons_total{finish_reason=tool_calls,model=gpt-4o}":   3,
		"llm_finish_reasons_total{finish_reason=stop,model=gpt-4o}":         1,
		"llm_time_to_first_token_seconds_count{model=gpt-4o,template=none}": 1,
		"llm_tool_calls_total{status=success,tool=search_docs}":             3,
		"llm_tool_calls_total{status=success,tool=get_order}":               1,
		"llm_tool_calls_total{status=error,tool=get_order}":                 1,
		"llm_tool_calls_total{status=success,tool=get_weather}":             1,
		"llm_tool_duration_seconds_count{tool=search_docs}":                 3,
		"llm_agent_invocations_total{agent=support-agent,status=success}":   1,
		"llm_agent_duration_seconds_count{agent=support-agent}":             1,
		"llm_agent_model_calls_count{agent=support-agent}":                  1,
		"llm_agent_model_calls_sum{agent=support-agent}":                    agentBenchCalls,
		"llm_agent_tool_calls_count{agent=support-agent}":                   1,
		"llm_agent_tool_calls_sum{agent=support-agent}":                     agentBenchTools,
	} {
		assert.InDelta(t, v, got[k], 1e-9, k)
	}

	allocs := testing.AllocsPerRun(50, func() { _ = e.consumeTraces(ctx, td) })
	require.Zero(t, allocs)
}

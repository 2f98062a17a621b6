// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
)

var baseTime = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// spanSpec describes one span of a test batch.
type spanSpec struct {
	attrs    map[string]any
	dur      time.Duration
	status   ptrace.StatusCode
	msg      string
	traceID  byte
	resource map[string]any
}

func buildTraces(tb testing.TB, specs ...spanSpec) ptrace.Traces {
	tb.Helper()
	td := ptrace.NewTraces()
	for i, s := range specs {
		rs := td.ResourceSpans().AppendEmpty()
		require.NoError(tb, rs.Resource().Attributes().FromRaw(s.resource))
		sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetName(fmt.Sprintf("span-%d", i))
		sp.SetKind(ptrace.SpanKindClient)
		sp.SetTraceID(pcommon.TraceID([16]byte{s.traceID, 0xab, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i)}))
		sp.SetSpanID(pcommon.SpanID([8]byte{s.traceID, 0xcd, 0, 0, 0, 0, 0, byte(i)}))
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(baseTime))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(baseTime.Add(s.dur)))
		sp.Status().SetCode(s.status)
		sp.Status().SetMessage(s.msg)
		require.NoError(tb, sp.Attributes().FromRaw(s.attrs))
	}
	return td
}

// scenario is a batch in both GenAI semantic-convention generations.
func scenario(tb testing.TB) ptrace.Traces {
	tb.Helper()
	return buildTraces(tb,
		// ≥1.37 names, template on the span.
		spanSpec{dur: 1500 * time.Millisecond, traceID: 1, attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
			"gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30,
			"llm.template": "support",
		}},
		// ≤1.36 names, template on the resource, streamed with TTFT.
		spanSpec{dur: 3 * time.Second, traceID: 2, resource: map[string]any{"gen_ai.prompt.name": "support"}, attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.system": "openai",
			"gen_ai.request.model":       "gpt-4o",
			"gen_ai.usage.prompt_tokens": 80, "gen_ai.usage.completion_tokens": 40,
			"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 0.4,
		}},
		// Rate limited.
		spanSpec{dur: 300 * time.Millisecond, traceID: 3, status: ptrace.StatusCodeError, msg: "Error code: 429", attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
			"gen_ai.request.model": "claude-sonnet-4-5", "error.type": "RateLimitError",
		}},
		// Generic class plus a specific message: context overflow; tokens still count.
		spanSpec{
			dur: 700 * time.Millisecond, traceID: 4, status: ptrace.StatusCodeError,
			msg: "400 This model's maximum context length is 8192 tokens", attrs: map[string]any{
				"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
				"gen_ai.request.model": "gpt-4o", "error.type": "BadRequestError",
				"gen_ai.usage.input_tokens": 9000, "llm.template": "support",
			},
		},
		// An OK span blocked by the safety filter, no model at all.
		spanSpec{dur: 12 * time.Second, traceID: 5, attrs: map[string]any{
			"gen_ai.operation.name": "text_completion", "gen_ai.provider.name": "openai",
			"gen_ai.response.finish_reasons": []any{"content_filter"},
		}},
		// Not counted: an agent span carrying totals, a tool span, a plain HTTP span.
		spanSpec{dur: 20 * time.Second, traceID: 6, attrs: map[string]any{
			"gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "gpt-4o",
			"gen_ai.usage.input_tokens": 5000, "gen_ai.usage.output_tokens": 500,
		}},
		spanSpec{dur: time.Second, traceID: 7, attrs: map[string]any{"gen_ai.operation.name": "execute_tool"}},
		spanSpec{dur: time.Second, traceID: 8, attrs: map[string]any{"http.request.method": "GET", "http.response.status_code": 429}},
		// Negative tokens are rejected; the call still counts.
		spanSpec{dur: 800 * time.Millisecond, traceID: 9, attrs: map[string]any{
			"gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.input_tokens": -5,
		}},
	)
}

const scenarioExposition = `
# HELP llm_requests_total LLM calls by model, prompt template and status (success or error).
# TYPE llm_requests_total counter
llm_requests_total{model="claude-sonnet-4-5",status="error",template="none"} 1
llm_requests_total{model="claude-sonnet-4-5",status="success",template="none"} 0
llm_requests_total{model="gpt-4o",status="error",template="support"} 1
llm_requests_total{model="gpt-4o",status="success",template="support"} 2
llm_requests_total{model="text-embedding-3-small",status="error",template="none"} 0
llm_requests_total{model="text-embedding-3-small",status="success",template="none"} 1
llm_requests_total{model="unknown",status="error",template="none"} 1
llm_requests_total{model="unknown",status="success",template="none"} 0
# HELP llm_errors_total Failed LLM calls by model and bounded error reason.
# TYPE llm_errors_total counter
llm_errors_total{model="claude-sonnet-4-5",reason="rate_limit"} 1
llm_errors_total{model="gpt-4o",reason="context_overflow"} 1
llm_errors_total{model="unknown",reason="safety_block"} 1
# HELP llm_prompt_tokens_total Input (prompt) tokens reported by LLM calls, failed calls included.
# TYPE llm_prompt_tokens_total counter
llm_prompt_tokens_total{model="claude-sonnet-4-5",template="none"} 0
llm_prompt_tokens_total{model="gpt-4o",template="support"} 9200
llm_prompt_tokens_total{model="text-embedding-3-small",template="none"} 0
llm_prompt_tokens_total{model="unknown",template="none"} 0
# HELP llm_completion_tokens_total Output (completion) tokens reported by LLM calls, failed calls included.
# TYPE llm_completion_tokens_total counter
llm_completion_tokens_total{model="claude-sonnet-4-5",template="none"} 0
llm_completion_tokens_total{model="gpt-4o",template="support"} 70
llm_completion_tokens_total{model="text-embedding-3-small",template="none"} 0
llm_completion_tokens_total{model="unknown",template="none"} 0
# HELP llm_time_to_first_token_seconds Time from the start of a streamed LLM call to its first output chunk, in seconds.
# TYPE llm_time_to_first_token_seconds histogram
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="0.1"} 0
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="0.25"} 0
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="0.5"} 1
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="1"} 1
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="2"} 1
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="5"} 1
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="+Inf"} 1
llm_time_to_first_token_seconds_sum{model="gpt-4o",template="support"} 0.4
llm_time_to_first_token_seconds_count{model="gpt-4o",template="support"} 1
`

func newTestExporter(t *testing.T, cfg *Config, set exporter.Settings) *llmExporter {
	t.Helper()
	e, err := newLLMExporter(cfg, set)
	require.NoError(t, err)
	return e
}

func TestConsumeTracesExposition(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	e := newTestExporter(t, createDefaultConfig().(*Config), set)

	require.NoError(t, e.consumeTraces(context.Background(), scenario(t)))
	require.NoError(t, testutil.GatherAndCompare(e.registry, strings.NewReader(scenarioExposition),
		"llm_requests_total", "llm_errors_total", "llm_prompt_tokens_total", "llm_completion_tokens_total",
		"llm_time_to_first_token_seconds"))
	n, err := testutil.GatherAndCount(e.registry, "llm_request_duration_seconds")
	require.NoError(t, err)
	assert.Equal(t, 4, n, "one duration series per (model, template)")

	assertSum(t, tel, "otelcol_exporter_llm_prometheus_spans_received", nil, 9)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_calls", nil, 6)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_spans_skipped", nil, 3)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_invalid_values", map[string]string{"cause": "input_tokens"}, 1)

	// The same batch again doubles every counter.
	require.NoError(t, e.consumeTraces(context.Background(), scenario(t)))
	assert.InDelta(t, 4, successRequests(t, e, "gpt-4o", "support"), 0)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_calls", nil, 12)
}

func TestConsumeTracesLabelOverflowTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := createDefaultConfig().(*Config)
	cfg.Labels.Model.MaxValues = 2
	cfg.Labels.Template.MaxValues = 3
	e := newTestExporter(t, cfg, set)

	var specs []spanSpec
	for i := range 10 {
		specs = append(specs, spanSpec{dur: time.Second, attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.request.model": fmt.Sprintf("m%d", i),
			"llm.template": fmt.Sprintf("t%d", i),
		}})
	}
	require.NoError(t, e.consumeTraces(context.Background(), buildTraces(t, specs...)))
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_label_overflow", map[string]string{"label": "model"}, 8)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_label_overflow", map[string]string{"label": "template"}, 7)
	// m0/t0 and m1/t1 are admitted; span 2 is (other, t2); spans 3..9 are (other, other).
	assert.InDelta(t, 7, successRequests(t, e, "other", "other"), 0)
	assert.InDelta(t, 1, successRequests(t, e, "other", "t2"), 0)
}

// TestServeMetrics runs the component as the collector does and scrapes it.
func TestServeMetrics(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = freeAddr(t)
	f := NewFactory()
	exp, err := f.CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeTraces(context.Background(), scenario(t)))

	url := "http://" + cfg.NetAddr.Endpoint + "/metrics"
	// Visible as soon as ConsumeTraces returned: no flush interval.
	text := scrape(t, url, "")
	assert.Contains(t, text, `llm_requests_total{model="gpt-4o",status="success",template="support"} 2`+"\n")
	assert.Contains(t, text, `llm_errors_total{model="claude-sonnet-4-5",reason="rate_limit"} 1`+"\n")

	om := scrape(t, url, "application/openmetrics-text; version=1.0.0")
	// Exemplars with the trace and span ids, and created timestamps.
	assertExemplar(t, om, `llm_requests_total{model="claude-sonnet-4-5",status="error",template="none"} 1.0`, "03ab0000000000000000000000000002", "03cd000000000002", "1.0")
	assertExemplar(t, om, `llm_request_duration_seconds_bucket{model="gpt-4o",template="support",le="2.0"} 2`, "01ab0000000000000000000000000000", "01cd000000000000", "1.5")
	assertExemplar(t, om, `llm_errors_total{model="gpt-4o",reason="context_overflow"} 1.0`, "04ab0000000000000000000000000003", "04cd000000000003", "1.0")
	assert.Contains(t, om, `llm_requests_created{model="gpt-4o",status="success",template="support"} `)
	assert.True(t, strings.HasSuffix(om, "# EOF\n"))

	require.NoError(t, exp.Shutdown(context.Background()))
	// The port is free again after shutdown.
	ln, err := net.Listen("tcp", cfg.NetAddr.Endpoint)
	require.NoError(t, err)
	require.NoError(t, ln.Close())
}

func TestStartFailsOnBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = ln.Addr().String()
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.Error(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.Shutdown(context.Background()))
}

func TestShutdownWithoutStart(t *testing.T) {
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), createDefaultConfig())
	require.NoError(t, err)
	require.NoError(t, exp.Shutdown(context.Background()))
}

// assertExemplar finds the OpenMetrics sample line starting with sample and
// checks its exemplar (label order is not fixed by the format).
func assertExemplar(t *testing.T, om, sample, traceID, spanID, value string) {
	t.Helper()
	for _, line := range strings.Split(om, "\n") {
		rest, ok := strings.CutPrefix(line, sample+" # {")
		if !ok {
			continue
		}
		labels, after, ok := strings.Cut(rest, "} ")
		require.True(t, ok, line)
		assert.ElementsMatch(t, []string{`trace_id="` + traceID + `"`, `span_id="` + spanID + `"`}, strings.Split(labels, ","), line)
		assert.True(t, strings.HasPrefix(after, value+" "), line)
		return
	}
	t.Fatalf("no exemplar line %q in:\n%s", sample, om)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func scrape(t *testing.T, url, accept string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	require.NoError(t, err)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

func assertSum(t *testing.T, tel *componenttest.Telemetry, name string, attrs map[string]string, want int64) {
	t.Helper()
	m, err := tel.GetMetric(name)
	require.NoError(t, err, name)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is %T", name, m.Data)
	for _, dp := range sum.DataPoints {
		match := true
		for k, v := range attrs {
			got, ok := dp.Attributes.Value(attribute.Key(k))
			match = match && ok && got.AsString() == v
		}
		if match {
			assert.Equal(t, want, dp.Value, "%s%v", name, attrs)
			return
		}
	}
	t.Fatalf("%s%v: no data point", name, attrs)
}

// successRequests reads llm_requests_total{model, template, status="success"}
// from the registry.
func successRequests(t *testing.T, e *llmExporter, model, tmpl string) float64 {
	t.Helper()
	const name, status = "llm_requests_total", "success"
	mfs, err := e.registry.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			if got["model"] == model && got["template"] == tmpl && got["status"] == status {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("%s{model=%q,template=%q,status=%q} not found", name, model, tmpl, status)
	return 0
}

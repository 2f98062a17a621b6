// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

// realisticBatch builds a batch of n spans shaped like what instrumentations
// send: mostly 12-attribute chat calls in both semconv generations, some
// streamed with a TTFT attribute, some failed, and some non-LLM (HTTP) and
// agent spans, under a resource of 8 attributes.
func realisticBatch(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ra := rs.Resource().Attributes()
	ra.PutStr("service.name", "checkout-assistant")
	ra.PutStr("service.version", "1.4.2")
	ra.PutStr("deployment.environment.name", "production")
	ra.PutStr("telemetry.sdk.name", "opentelemetry")
	ra.PutStr("telemetry.sdk.language", "python")
	ra.PutStr("telemetry.sdk.version", "1.38.0")
	ra.PutStr("host.name", "ip-10-0-3-17")
	ra.PutStr("process.runtime.name", "cpython")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("opentelemetry.instrumentation.openai_v2")
	start := pcommon.NewTimestampFromTime(time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC))
	for i := range n {
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID{1, 2, 3, byte(i)})
		s.SetSpanID(pcommon.SpanID{4, 5, byte(i)})
		s.SetStartTimestamp(start)
		s.SetEndTimestamp(start + pcommon.Timestamp(1_250_000_000+i*1_000_000))
		s.SetKind(ptrace.SpanKindClient)
		a := s.Attributes()
		switch i % 10 {
		case 8: // a non-LLM HTTP span
			s.SetName("GET /api/cart")
			a.PutStr("http.request.method", "GET")
			a.PutStr("url.path", "/api/cart")
			a.PutInt("http.response.status_code", 200)
			a.PutStr("server.address", "cart.internal")
			a.PutInt("server.port", 8080)
			a.PutStr("network.protocol.version", "1.1")
			continue
		case 9: // an agent wrapper
			s.SetName("invoke_agent support")
			a.PutStr("gen_ai.operation.name", "invoke_agent")
			a.PutStr("gen_ai.provider.name", "openai")
			a.PutStr("gen_ai.agent.name", "support")
			a.PutInt("gen_ai.usage.input_tokens", 900)
			a.PutInt("gen_ai.usage.output_tokens", 200)
			continue
		}
		s.SetName("chat gpt-4o-mini")
		a.PutStr("gen_ai.operation.name", "chat")
		if i%2 == 0 {
			a.PutStr("gen_ai.provider.name", "openai")
			a.PutInt("gen_ai.usage.input_tokens", int64(100+i))
			a.PutInt("gen_ai.usage.output_tokens", int64(20+i))
		} else {
			a.PutStr("gen_ai.system", "openai")
			a.PutInt("gen_ai.usage.prompt_tokens", int64(100+i))
			a.PutInt("gen_ai.usage.completion_tokens", int64(20+i))
		}
		a.PutStr("gen_ai.request.model", "gpt-4o-mini")
		a.PutStr("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
		a.PutStr("gen_ai.response.id", "chatcmpl-"+strconv.Itoa(i))
		a.PutEmptySlice("gen_ai.response.finish_reasons").AppendEmpty().SetStr("stop")
		a.PutStr("server.address", "api.openai.com")
		a.PutInt("server.port", 443)
		a.PutDouble("gen_ai.request.temperature", 0.2)
		switch {
		case i%5 == 1:
			a.PutBool("gen_ai.request.stream", true)
			a.PutDouble("gen_ai.response.time_to_first_chunk", 0.31)
		case i%3 == 0:
			a.PutStr("gen_ai.prompt.name", "cart-summary")
		default:
			a.PutInt("gen_ai.request.max_tokens", 512)
		}
		if i%20 == 7 {
			a.PutStr("error.type", "openai.RateLimitError")
			s.Status().SetCode(ptrace.StatusCodeError)
			s.Status().SetMessage("Error code: 429 - Rate limit reached for gpt-4o-mini")
		}
	}
	return td
}

// realisticSpan is a typical 12-attribute chat span.
func realisticSpan() (ptrace.Span, pcommon.Resource) {
	td := realisticBatch(1)
	rs := td.ResourceSpans().At(0)
	return rs.ScopeSpans().At(0).Spans().At(0), rs.Resource()
}

func TestExtractNoAllocs(t *testing.T) {
	e := NewExtractor(Options{})
	td := realisticBatch(100)
	rs := td.ResourceSpans().At(0)
	spans := rs.ScopeSpans().At(0).Spans()
	var call Call
	span, res := realisticSpan()
	require.Equal(t, 12, span.Attributes().Len())
	require.True(t, e.Extract(span, res, &call))
	allocs := testing.AllocsPerRun(200, func() { e.Extract(span, res, &call) })
	require.Zero(t, allocs, "one realistic span")
	allocs = testing.AllocsPerRun(20, func() {
		for i := range spans.Len() {
			e.Extract(spans.At(i), rs.Resource(), &call)
		}
	})
	require.Zero(t, allocs, "a realistic batch (streamed, failed, HTTP and agent spans)")
}

func BenchmarkExtract(b *testing.B) {
	const n = 100
	e := NewExtractor(Options{})
	td := realisticBatch(n)
	rs := td.ResourceSpans().At(0)
	res := rs.Resource()
	spans := rs.ScopeSpans().At(0).Spans()
	var call Call
	counted := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range n {
			if e.Extract(spans.At(i), res, &call) {
				counted++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/span")
	if counted == 0 {
		b.Fatal("no span counted")
	}
}

// BenchmarkExtractSpangen extracts the exporter benchmark's batch
// (internal/spangen): Extract's share of BenchmarkConsumeTraces.
func BenchmarkExtractSpangen(b *testing.B) {
	const n = 100
	e := NewExtractor(Options{})
	td := spangen.Batch(n, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	rs := td.ResourceSpans().At(0)
	res := rs.Resource()
	spans := rs.ScopeSpans().At(0).Spans()
	var call Call
	b.ReportAllocs()
	for b.Loop() {
		for i := range n {
			e.Extract(spans.At(i), res, &call)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/span")
}

func BenchmarkExtractSpan(b *testing.B) {
	e := NewExtractor(Options{})
	span, res := realisticSpan()
	var call Call
	b.ReportAllocs()
	for b.Loop() {
		e.Extract(span, res, &call)
	}
}

// goldenSpans returns every span of the testdata/*.json golden inputs with
// its resource: one or more per dialect and era.
func goldenSpans(tb testing.TB) (spans []ptrace.Span, resources []pcommon.Resource) {
	tb.Helper()
	inputs, err := filepath.Glob("testdata/*.json")
	require.NoError(tb, err)
	for _, in := range inputs {
		if strings.HasSuffix(in, ".calls.json") {
			continue
		}
		raw, err := os.ReadFile(in)
		require.NoError(tb, err)
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
		require.NoError(tb, err)
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, span := range ss.Spans().All() {
					spans = append(spans, span)
					resources = append(resources, rs.Resource())
				}
			}
		}
	}
	require.NotEmpty(tb, spans)
	return spans, resources
}

// Every dialect is read without allocating.
func TestExtractDialectsNoAllocs(t *testing.T) {
	e := NewExtractor(Options{})
	spans, resources := goldenSpans(t)
	var call Call
	for i, span := range spans {
		allocs := testing.AllocsPerRun(20, func() { e.Extract(span, resources[i], &call) })
		assert.Zero(t, allocs, "span %d %q", i, span.Name())
	}
}

// BenchmarkExtractDialects extracts one of each golden span: every dialect
// and era, LLM calls and wrappers, successes and failures.
func BenchmarkExtractDialects(b *testing.B) {
	e := NewExtractor(Options{})
	spans, resources := goldenSpans(b)
	var call Call
	b.ReportAllocs()
	for b.Loop() {
		for i, span := range spans {
			e.Extract(span, resources[i], &call)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(spans)), "ns/span")
}

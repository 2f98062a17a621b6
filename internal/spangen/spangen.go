// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package spangen builds realistic batches of GenAI spans for benchmarks and
// load tests: several models and templates, 10% errors, 30% streamed calls
// with a time to first chunk, token counts and the everyday attributes real
// instrumentations add (server address, response id, request parameters).
package spangen // import "github.com/otelcol-llm/otelcol-llm/internal/spangen"

import (
	"encoding/binary"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var (
	models    = []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-pro", "mistral-large-latest"}
	providers = []string{"openai", "openai", "anthropic", "gcp.gemini", "mistral_ai"}
	templates = []string{"support-answer", "summarize-ticket", "classify-intent", "extract-entities", "draft-reply", "translate"}
	errTypes  = []string{"RateLimitError", "APITimeoutError", "InternalServerError", "BadRequestError"}
)

// Batch returns n LLM call spans (one resource, one scope) starting at start.
// The same n and start always give the same batch.
func Batch(n int, start time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ra := rs.Resource().Attributes()
	ra.PutStr("service.name", "checkout-assistant")
	ra.PutStr("service.version", "1.4.2")
	ra.PutStr("deployment.environment.name", "production")
	ra.PutStr("telemetry.sdk.language", "python")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("opentelemetry.instrumentation.openai_v2")
	spans := ss.Spans()
	spans.EnsureCapacity(n)
	for i := range n {
		fill(spans.AppendEmpty(), i, start)
	}
	return td
}

func fill(sp ptrace.Span, i int, start time.Time) {
	m := i % len(models)
	var tid [16]byte
	binary.BigEndian.PutUint64(tid[:8], uint64(i)*0x9e3779b97f4a7c15+1)
	binary.BigEndian.PutUint64(tid[8:], uint64(i)+1)
	var sid [8]byte
	binary.BigEndian.PutUint64(sid[:], uint64(i)*0xbf58476d1ce4e5b9+7)
	sp.SetTraceID(pcommon.TraceID(tid))
	sp.SetSpanID(pcommon.SpanID(sid))
	sp.SetName("chat " + models[m])
	sp.SetKind(ptrace.SpanKindClient)
	dur := time.Duration(300+(i*7919)%9000) * time.Millisecond
	begin := start.Add(time.Duration(i) * time.Millisecond)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(begin))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(begin.Add(dur)))

	a := sp.Attributes()
	a.EnsureCapacity(16)
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.provider.name", providers[m])
	a.PutStr("gen_ai.request.model", models[m])
	a.PutStr("gen_ai.response.model", models[m]+"-2025-06-01")
	a.PutStr("server.address", "api.example.test")
	a.PutInt("server.port", 443)
	a.PutDouble("gen_ai.request.temperature", 0.2)
	a.PutInt("gen_ai.request.max_tokens", 1024)
	a.PutStr("gen_ai.response.id", "chatcmpl-0123456789abcdef")
	a.PutStr("llm.template", templates[(i/len(models))%len(templates)])
	a.PutInt("gen_ai.usage.input_tokens", int64(200+(i*131)%3000))
	if i%10 == 3 {
		sp.Status().SetCode(ptrace.StatusCodeError)
		sp.Status().SetMessage("Error code: 429 - rate limit exceeded")
		a.PutStr("error.type", errTypes[(i/10)%len(errTypes)])
		return
	}
	a.PutInt("gen_ai.usage.output_tokens", int64(20+(i*37)%800))
	a.PutEmptySlice("gen_ai.response.finish_reasons").AppendEmpty().SetStr("stop")
	if i%10 < 3 {
		a.PutBool("gen_ai.request.stream", true)
		ttft := float64(100+(i*53)%900) / 1000
		a.PutDouble("gen_ai.response.time_to_first_chunk", ttft)
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package dimensions

import (
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

// llmModel is a model and the gen_ai.provider.name of its calls.
type llmModel struct{ name, provider string }

// models are the models of the traffic, each with its provider.
var models = []llmModel{
	{"gpt-4o", "openai"},
	{"gpt-4o-mini", "azure.ai.openai"},
	{"claude-sonnet-4-5", "anthropic"},
	{"gemini-2.5-pro", "gcp.vertex_ai"},
	{"mistral-large-latest", "aws.bedrock"},
}

// template is the llm.template of every call.
const template = "support-answer"

// call is one span to send: its resource's service.name, its model (and
// provider) and its tenant.id ("" for none).
type call struct {
	service string
	model   int
	tenant  string
}

// spanMaker builds export requests from the spangen mix (streamed, failed
// and plain calls with tokens), one resource per span.
type spanMaker struct {
	base ptrace.SpanSlice
	next int
}

func newSpanMaker() *spanMaker {
	td := spangen.Batch(1000, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return &spanMaker{base: td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()}
}

// batch returns the spans of calls, in order, each in its own resource;
// span i takes the attributes of the next spangen span.
func (m *spanMaker) batch(calls []call) ptrace.Traces {
	td := ptrace.NewTraces()
	rss := td.ResourceSpans()
	rss.EnsureCapacity(len(calls))
	for _, c := range calls {
		rs := rss.AppendEmpty()
		ra := rs.Resource().Attributes()
		ra.PutStr("service.name", c.service)
		ra.PutStr("telemetry.sdk.language", "python")
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("opentelemetry.instrumentation.openai_v2")
		sp := ss.Spans().AppendEmpty()
		m.base.At(m.next).CopyTo(sp)
		m.next = (m.next + 1) % m.base.Len()
		a := sp.Attributes()
		md := models[c.model%len(models)]
		a.PutStr("gen_ai.request.model", md.name)
		a.PutStr("gen_ai.response.model", md.name)
		a.PutStr("gen_ai.provider.name", md.provider)
		a.PutStr("llm.template", template)
		if c.tenant != "" {
			a.PutStr("tenant.id", c.tenant)
		}
	}
	return td
}

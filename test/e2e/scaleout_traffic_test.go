// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"encoding/binary"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Traffic of the scale-out tests: many traces, generated from a fixed seed,
// as an instrumented application with a framework on top of provider SDKs
// exports them. Every trace has an HTTP server root span and one LLM call
// recorded twice, by a LangSmith llm run and, as its child, the provider
// instrumentation's span (the nested-call rule counts it once); half of the
// traces make a second, direct call. Models (one without a price), templates,
// errors of five reasons, streamed calls with a time to first token, prompt
// cache and reasoning tokens are mixed so that every llm_* family, recording
// rule and dashboard panel has data.

// llmModel is a model of the traffic with the provider that serves it.
type llmModel struct {
	name, provider string
	framework      string // the LangSmith run's name for this provider
}

var (
	modelGPT4o     = llmModel{"gpt-4o", "openai", "ChatOpenAI"}
	modelGPT4oMini = llmModel{"gpt-4o-mini", "openai", "ChatOpenAI"}
	modelSonnet    = llmModel{"claude-sonnet-4", "anthropic", "ChatAnthropic"}
	modelHaiku     = llmModel{"claude-haiku-4-5", "anthropic", "ChatAnthropic"}
	// modelUnpriced has no row in the default price table.
	modelUnpriced = llmModel{"acme-internal-1", "acme", "ChatAcme"}
	// modelSplit is used only by traces whose parent and child spans are
	// exported in different requests (splitTraces).
	modelSplit = llmModel{"gpt-4.1", "openai", "ChatOpenAI"}

	trafficModels    = []llmModel{modelGPT4o, modelGPT4o, modelGPT4oMini, modelSonnet, modelSonnet, modelHaiku}
	trafficTemplates = []string{"summarize", "classify", "none"}
	trafficServices  = []string{"chat-api", "batch-worker", "support-bot"}
)

// span is one span to export.
type span struct {
	traceID        pcommon.TraceID
	spanID, parent pcommon.SpanID
	service, scope string
	name           string
	kind           ptrace.SpanKind
	start          time.Time
	duration       time.Duration
	attrs          map[string]any
	status         ptrace.StatusCode
	message        string
}

// traffic is a list of OTLP requests and what one collector counts for them.
type traffic struct {
	requests []ptrace.Traces
	traces   int
	spans    int
	// calls per model as llm_prometheus counts them when each request is
	// one export (nested calls within a request once, split ones twice).
	calls map[string]int
	// calls per model when groupbytrace merged the requests of each trace.
	grouped map[string]int
}

func newTraffic() *traffic {
	return &traffic{calls: map[string]int{}, grouped: map[string]int{}}
}

func (tr *traffic) add(o *traffic) {
	tr.requests = append(tr.requests, o.requests...)
	tr.traces += o.traces
	tr.spans += o.spans
	for k, v := range o.calls {
		tr.calls[k] += v
	}
	for k, v := range o.grouped {
		tr.grouped[k] += v
	}
}

// trafficGen generates traces from a seed. tag is the first byte of every
// trace id, so the traces of different phases never share an id.
type trafficGen struct {
	r    *rand.Rand
	tag  byte
	base time.Time
}

func newTrafficGen(seed uint64, tag byte) *trafficGen {
	return &trafficGen{
		r:    rand.New(rand.NewPCG(seed, uint64(tag))),
		tag:  tag,
		base: time.Now().Add(-2 * time.Minute).Truncate(time.Millisecond),
	}
}

func (g *trafficGen) traceID() pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[:8], g.r.Uint64())
	binary.BigEndian.PutUint64(id[8:], g.r.Uint64())
	id[0] = g.tag
	return id
}

func (g *trafficGen) spanID() pcommon.SpanID {
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], g.r.Uint64()|1)
	return id
}

func (g *trafficGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// callSpec is one LLM call of a trace.
type callSpec struct {
	model    llmModel
	template string
	duration time.Duration
	ttft     time.Duration // > 0: streamed with this time to first token
	input    int
	output   int
	cached   int
	reason   string // "" success, else the error reason to write
}

func (g *trafficGen) randomCall(m llmModel) callSpec {
	c := callSpec{
		model:    m,
		template: g.pick(trafficTemplates),
		duration: time.Duration(200+g.r.IntN(24_000)) * time.Millisecond,
		input:    20 + g.r.IntN(3000),
		output:   2 + g.r.IntN(900),
	}
	if g.r.IntN(100) < 40 {
		c.ttft = time.Duration(50+g.r.IntN(int(min(c.duration, 4*time.Second)/time.Millisecond)-40)) * time.Millisecond
	}
	if g.r.IntN(100) < 15 {
		c.cached = g.r.IntN(c.input)
	}
	if g.r.IntN(100) < 14 {
		c.reason = g.pick([]string{"rate_limit", "timeout", "provider_5xx", "safety_block", "context_overflow"})
	}
	return c
}

// providerAttrs are the provider instrumentation's attributes of call c.
func providerAttrs(c callSpec) (map[string]any, ptrace.StatusCode, string) {
	a := map[string]any{
		"gen_ai.operation.name":     "chat",
		"gen_ai.provider.name":      c.model.provider,
		"gen_ai.request.model":      c.model.name,
		"gen_ai.usage.input_tokens": c.input,
	}
	if c.template != "none" {
		a["llm.template"] = c.template
	}
	if c.ttft > 0 {
		a["gen_ai.request.stream"] = true
		a["gen_ai.response.time_to_first_chunk"] = c.ttft.Seconds()
	}
	if c.cached > 0 {
		a["gen_ai.usage.cache_read.input_tokens"] = c.cached
		if c.model.provider == "openai" {
			a["gen_ai.usage.reasoning.output_tokens"] = c.output / 2
		}
	}
	status, message := ptrace.StatusCodeUnset, ""
	switch c.reason {
	case "":
		a["gen_ai.usage.output_tokens"] = c.output
		a["gen_ai.response.finish_reasons"] = []any{"stop"}
	case "rate_limit":
		a["error.type"] = "RateLimitError"
		status, message = ptrace.StatusCodeError, "Error code: 429 - Rate limit reached"
	case "timeout":
		a["error.type"] = "APITimeoutError"
		status, message = ptrace.StatusCodeError, "Request timed out."
	case "provider_5xx":
		a["error.type"] = "InternalServerError"
		a["http.response.status_code"] = 500
		status, message = ptrace.StatusCodeError, "Internal server error"
	case "safety_block":
		a["gen_ai.usage.output_tokens"] = 0
		a["gen_ai.response.finish_reasons"] = []any{"content_filter"}
	case "context_overflow":
		a["error.type"] = "BadRequestError"
		status, message = ptrace.StatusCodeError, "400 This model's maximum context length is 128000 tokens."
	}
	return a, status, message
}

// trace holds the spans of one trace: the root and framework spans, and the
// provider spans under the framework spans.
type trace struct {
	id        pcommon.TraceID
	parents   []span // root span and LangSmith runs
	children  []span // provider spans
	calls     int    // counted calls when parents and children share an export
	model     string // the model of the nested call
	direct    int    // direct (not nested) calls among calls
	directFor string
}

// nestedTrace is a trace with a root span and the nested call c, plus, when
// second is not nil, a direct call.
func (g *trafficGen) nestedTrace(c callSpec, second *callSpec) trace {
	tr := trace{id: g.traceID(), model: c.model.name}
	service := g.pick(trafficServices)
	start := g.base.Add(time.Duration(g.r.IntN(60_000)) * time.Millisecond)
	root := span{
		traceID: tr.id, spanID: g.spanID(), service: service, scope: "opentelemetry.instrumentation.fastapi",
		name: "POST /chat", kind: ptrace.SpanKindServer, start: start, duration: c.duration + 2*time.Second,
		attrs: map[string]any{"http.request.method": "POST", "http.route": "/chat", "http.response.status_code": 200},
	}
	attrs, status, message := providerAttrs(c)
	// The LangSmith run repeats the request (model, tokens when known) and
	// wraps the provider span.
	runAttrs := map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.system": c.model.provider, "gen_ai.request.model": c.model.name,
		"langsmith.span.kind": "llm", "gen_ai.usage.input_tokens": c.input,
	}
	if v, ok := attrs["gen_ai.usage.output_tokens"]; ok {
		runAttrs["gen_ai.usage.output_tokens"] = v
	}
	run := span{
		traceID: tr.id, spanID: g.spanID(), parent: root.spanID, service: service, scope: "langsmith",
		name: c.model.framework, kind: ptrace.SpanKindInternal, start: start.Add(10 * time.Millisecond),
		duration: c.duration + 40*time.Millisecond, attrs: runAttrs,
	}
	provider := span{
		traceID: tr.id, spanID: g.spanID(), parent: run.spanID, service: service,
		scope: "opentelemetry.instrumentation." + c.model.provider, name: "chat " + c.model.name,
		kind: ptrace.SpanKindClient, start: start.Add(20 * time.Millisecond), duration: c.duration,
		attrs: attrs, status: status, message: message,
	}
	tr.parents = append(tr.parents, root, run)
	tr.children = append(tr.children, provider)
	tr.calls = 1
	if second != nil {
		a, st, msg := providerAttrs(*second)
		tr.parents = append(tr.parents, span{
			traceID: tr.id, spanID: g.spanID(), parent: root.spanID, service: service,
			scope: "opentelemetry.instrumentation." + second.model.provider, name: "chat " + second.model.name,
			kind: ptrace.SpanKindClient, start: start.Add(c.duration + 100*time.Millisecond), duration: second.duration,
			attrs: a, status: st, message: msg,
		})
		tr.calls++
		tr.direct, tr.directFor = 1, second.model.name
	}
	return tr
}

// mixedTraces generates n traces of the mixed traffic, perRequest traces per
// request (each request holds whole traces).
func (g *trafficGen) mixedTraces(n, perRequest int) *traffic {
	out := newTraffic()
	var batch []span
	flush := func() {
		if len(batch) > 0 {
			out.requests = append(out.requests, buildRequest(batch))
			batch = nil
		}
	}
	for i := range n {
		c := g.randomCall(trafficModels[g.r.IntN(len(trafficModels))])
		var second *callSpec
		if g.r.IntN(100) < 50 {
			m := trafficModels[g.r.IntN(len(trafficModels))]
			if g.r.IntN(100) < 12 {
				m = modelUnpriced
			}
			s := g.randomCall(m)
			second = &s
		}
		tr := g.nestedTrace(c, second)
		out.addTrace(tr)
		batch = append(batch, tr.parents...)
		batch = append(batch, tr.children...)
		if (i+1)%perRequest == 0 {
			flush()
		}
	}
	flush()
	return out
}

// pairTrace is one trace whose nested call has exactly this model and template.
func (g *trafficGen) pairTrace(m llmModel, template string) *traffic {
	c := g.randomCall(m)
	c.template = template
	tr := g.nestedTrace(c, nil)
	out := newTraffic()
	out.addTrace(tr)
	out.requests = append(out.requests, buildRequest(append(tr.parents, tr.children...)))
	return out
}

// singleTraces is n requests of one trace each, every trace with 3 spans and
// 1 counted call (the nested call only).
func (g *trafficGen) singleTraces(n int) *traffic {
	out := newTraffic()
	for range n {
		tr := g.nestedTrace(g.randomCall(trafficModels[g.r.IntN(len(trafficModels))]), nil)
		out.addTrace(tr)
		out.requests = append(out.requests, buildRequest(append(tr.parents, tr.children...)))
	}
	return out
}

// splitTraces is n traces of modelSplit whose spans leave the application in
// two requests: first every root span and LangSmith run, then every provider
// span under them (two batch span processors, or two flushes of one). Without
// groupbytrace each half is an export of its own and the call counts twice.
func (g *trafficGen) splitTraces(n int) *traffic {
	out := newTraffic()
	var parents, children []span
	for range n {
		c := g.randomCall(modelSplit)
		c.reason = "" // the run and the provider span then agree on the outcome
		tr := g.nestedTrace(c, nil)
		out.traces++
		out.spans += len(tr.parents) + len(tr.children)
		out.calls[modelSplit.name] += 2
		out.grouped[modelSplit.name]++
		parents = append(parents, tr.parents...)
		children = append(children, tr.children...)
	}
	out.requests = append(out.requests, buildRequest(parents), buildRequest(children))
	return out
}

func (tr *traffic) addTrace(t trace) {
	tr.traces++
	tr.spans += len(t.parents) + len(t.children)
	tr.calls[t.model]++
	tr.grouped[t.model]++
	if t.direct > 0 {
		tr.calls[t.directFor]++
		tr.grouped[t.directFor]++
	}
}

// buildRequest writes spans into one request, one ResourceSpans per service
// and one ScopeSpans per instrumentation scope, in first-seen order.
func buildRequest(spans []span) ptrace.Traces {
	td := ptrace.NewTraces()
	type key struct{ service, scope string }
	scopes := map[key]ptrace.ScopeSpans{}
	resources := map[string]ptrace.ResourceSpans{}
	for _, s := range spans {
		rs, ok := resources[s.service]
		if !ok {
			rs = td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr("service.name", s.service)
			rs.Resource().Attributes().PutStr("deployment.environment.name", "e2e")
			resources[s.service] = rs
		}
		ss, ok := scopes[key{s.service, s.scope}]
		if !ok {
			ss = rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName(s.scope)
			scopes[key{s.service, s.scope}] = ss
		}
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(s.traceID)
		sp.SetSpanID(s.spanID)
		sp.SetParentSpanID(s.parent)
		sp.SetName(s.name)
		sp.SetKind(s.kind)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(s.start.Add(s.duration)))
		if err := sp.Attributes().FromRaw(s.attrs); err != nil {
			panic(err)
		}
		sp.Status().SetCode(s.status)
		sp.Status().SetMessage(s.message)
	}
	return td
}

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
// cache and reasoning tokens, stop and length finish reasons are mixed so that
// every llm_* family, recording rule and dashboard panel has data. In the
// mixed and split traffic most traces run an agent (addAgent): an
// invoke_agent span between the root and the calls, with tool executions
// (some failing) and a guardrail and an evaluation result event.
//
// What the agents add is derived from the trace id (its bytes are drawn
// already) and from the calls, never drawn from the generator: the calls,
// models and numbers of a seed are the same with or without agents.

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

	trafficAgents      = []string{"support-bot", "triage-bot", "research-agent"}
	trafficTools       = []string{"search_docs", "lookup_order", "get_weather", "send_email"}
	trafficGuardrails  = []string{"pii-filter", "prompt-injection"}
	trafficEvaluations = []string{"relevance", "faithfulness"}
)

// lengthFrom: a successful call that wrote this many output tokens or more
// was cut off at its request's max_tokens (finish reason length).
const lengthFrom = 850

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
	events         []timedEvent
}

// timedEvent is a span event at a time after its span's start.
type timedEvent struct {
	spanEvent
	at time.Duration
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
	// agent invocations and tool executions (each counted once: their spans
	// are never split from their agent's).
	agents, tools int
}

func newTraffic() *traffic {
	return &traffic{calls: map[string]int{}, grouped: map[string]int{}}
}

func (tr *traffic) add(o *traffic) {
	tr.requests = append(tr.requests, o.requests...)
	tr.traces += o.traces
	tr.spans += o.spans
	tr.agents += o.agents
	tr.tools += o.tools
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
		if c.output >= lengthFrom {
			a["gen_ai.request.max_tokens"] = c.output
			a["gen_ai.response.finish_reasons"] = []any{"length"}
		}
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
	agents    int // invoke_agent spans among parents
	tools     int // execute_tool spans among parents
}

// nestedTrace is a trace with a root span and the nested call c, plus, when
// second is not nil, a direct call; with agentic, most traces run them in an
// agent (addAgent).
func (g *trafficGen) nestedTrace(c callSpec, second *callSpec, agentic bool) trace {
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
	if agentic {
		addAgent(&tr, c, second)
	}
	return tr
}

// addAgent makes three traces in four (by the trace id) run their calls in
// an agent: an invoke_agent span under the root becomes the parent of the
// LangSmith run and of the direct call, with 0 to 2 tool executions under it
// (one in six failing), a gen_ai.guardrail.result event (blocked one time in
// eight, modified one in eight, else allowed) and a gen_ai.evaluation.result
// event. The agent fails when one of its calls failed. Names, durations,
// results and scores come from the trace id's bytes, the span ids of the new
// spans from the trace id too: even, where the generator's are odd.
func addAgent(tr *trace, c callSpec, second *callSpec) {
	// b[15]: agent or not; b[14] agent name; b[13] number of tools; b[12],
	// b[11] their names; b[10], b[9] their failures; b[4], b[3] their
	// durations; b[8], b[7] guardrail name and result; b[6], b[5]
	// evaluation name and score.
	b := tr.id
	if b[15]%4 == 0 {
		return
	}
	root := tr.parents[0]
	start := root.start.Add(5 * time.Millisecond)
	base := binary.BigEndian.Uint64(b[8:]) &^ 7
	spanID := func(n uint64) pcommon.SpanID {
		var id pcommon.SpanID
		binary.BigEndian.PutUint64(id[:], base|n<<1)
		return id
	}
	agentID := spanID(1)
	name := trafficAgents[int(b[14])%len(trafficAgents)]

	end := tr.parents[1].start.Add(tr.parents[1].duration) // the LangSmith run's
	var tools []span
	at := end.Add(10 * time.Millisecond)
	for k := range int(b[13] % 3) {
		tool := trafficTools[int(b[12-k])%len(trafficTools)]
		t := span{
			traceID: tr.id, spanID: spanID(uint64(2 + k)), parent: agentID, service: root.service,
			scope: "opentelemetry.instrumentation.openai_agents", name: "execute_tool " + tool,
			kind: ptrace.SpanKindInternal, start: at, duration: time.Duration(20+5*int(b[4-k])) * time.Millisecond,
			attrs: map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool},
		}
		if b[10-k]%6 == 0 {
			t.status, t.message = ptrace.StatusCodeError, "tool "+tool+" failed"
			t.attrs["error.type"] = "ToolError"
		}
		tools = append(tools, t)
		at = t.start.Add(t.duration + 5*time.Millisecond)
		end = t.start.Add(t.duration)
	}

	failed := c.reason != ""
	for i := 1; i < len(tr.parents); i++ { // the run and the direct call
		tr.parents[i].parent = agentID
		if e := tr.parents[i].start.Add(tr.parents[i].duration); e.After(end) {
			end = e
		}
	}
	if second != nil && second.reason != "" {
		failed = true
	}
	end = end.Add(5 * time.Millisecond)

	result := "allowed"
	switch b[7] % 8 {
	case 0:
		result = "blocked"
	case 1:
		result = "modified"
	}
	score := (float64(b[5]) + 0.5) / 256
	label := "fail"
	if score >= 0.5 {
		label = "pass"
	}
	agent := span{
		traceID: tr.id, spanID: agentID, parent: root.spanID, service: root.service,
		scope: "opentelemetry.instrumentation.openai_agents", name: "invoke_agent " + name,
		kind: ptrace.SpanKindInternal, start: start, duration: end.Sub(start),
		attrs: map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name},
		events: []timedEvent{
			{guardrailEvent(trafficGuardrails[int(b[8])%len(trafficGuardrails)], result), time.Millisecond},
			{spanEvent{name: "gen_ai.evaluation.result", attrs: map[string]any{
				"gen_ai.evaluation.name":        trafficEvaluations[int(b[6])%len(trafficEvaluations)],
				"gen_ai.evaluation.score.value": score, "gen_ai.evaluation.score.label": label,
			}}, end.Sub(start)},
		},
	}
	if failed {
		agent.status, agent.message = ptrace.StatusCodeError, "agent run failed"
	}
	tr.parents = append(append([]span{root, agent}, tr.parents[1:]...), tools...)
	tr.agents, tr.tools = 1, len(tools)
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
		tr := g.nestedTrace(c, second, true)
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
	tr := g.nestedTrace(c, nil, false)
	out := newTraffic()
	out.addTrace(tr)
	out.requests = append(out.requests, buildRequest(append(tr.parents, tr.children...)))
	return out
}

// singleTraces is n requests of one trace each, every trace with 3 spans and
// 1 counted call (the nested call only; no agent).
func (g *trafficGen) singleTraces(n int) *traffic {
	out := newTraffic()
	for range n {
		tr := g.nestedTrace(g.randomCall(trafficModels[g.r.IntN(len(trafficModels))]), nil, false)
		out.addTrace(tr)
		out.requests = append(out.requests, buildRequest(append(tr.parents, tr.children...)))
	}
	return out
}

// splitTraces is n traces of modelSplit whose spans leave the application in
// two requests: first every root span, agent span, LangSmith run and tool
// span, then every provider span under them (two batch span processors, or
// two flushes of one). Without groupbytrace each half is an export of its own
// and the call counts twice (the agent counts once, with the run as its
// model call).
func (g *trafficGen) splitTraces(n int) *traffic {
	out := newTraffic()
	var parents, children []span
	for range n {
		c := g.randomCall(modelSplit)
		c.reason = "" // the run and the provider span then agree on the outcome
		tr := g.nestedTrace(c, nil, true)
		out.traces++
		out.spans += len(tr.parents) + len(tr.children)
		out.agents += tr.agents
		out.tools += tr.tools
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
	tr.agents += t.agents
	tr.tools += t.tools
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
		for _, e := range s.events {
			ev := sp.Events().AppendEmpty()
			ev.SetName(e.name)
			ev.SetTimestamp(pcommon.NewTimestampFromTime(s.start.Add(e.at)))
			if err := ev.Attributes().FromRaw(e.attrs); err != nil {
				panic(err)
			}
		}
	}
	return td
}

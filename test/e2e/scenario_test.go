// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"encoding/binary"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The fixed scenario sent by every phase of the test: 13 LLM calls on two
// models, two templates and none, written with both generations of the
// OpenTelemetry GenAI semantic conventions, plus three spans that must not
// count as calls (an HTTP server span, an agent span carrying token totals, a
// tool span). The agent and the tool span count as an agent invocation and a
// tool execution (scenarioActivities); the calls that report a finish reason
// count in llm_finish_reasons_total (finishExpectations).
//
// Durations and TTFTs sit well inside a bucket (never on a boundary), so the
// bucket each one lands in is unambiguous.

const (
	modelGPT    = "gpt-4o"
	modelClaude = "claude-sonnet-4"

	tplSummarize = "summarize"
	tplClassify  = "classify"
	tplNone      = "none"
)

// durationBuckets and ttftBuckets are the exporter's default bucket bounds.
var (
	durationBuckets = []float64{0.5, 1, 2, 5, 10, 20, 30, 60}
	ttftBuckets     = []float64{0.1, 0.25, 0.5, 1, 2, 5}
	tpotBuckets     = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5}
	// toolBuckets and agentBuckets are the default bounds of
	// llm_tool_duration_seconds and llm_agent_duration_seconds.
	toolBuckets  = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30}
	agentBuckets = []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600}
)

// listPrice is what the shipped default price table (pricing/default.yaml)
// charges, in USD per million tokens, for the scenario's two models: the
// openai row `gpt-4o` and the anthropic prefix row `claude-sonnet-4`.
var listPrice = map[string]struct{ input, output float64 }{
	modelGPT:    {2.50, 10.00},
	modelClaude: {3.00, 15.00},
}

// call is what one LLM span of the scenario must count as.
type call struct {
	model    string
	template string // "none" when the span has no template
	status   string // success | error
	reason   string // error reason, "" on success
	duration float64
	ttft     float64 // seconds; 0 = not observed in the TTFT histogram
	prompt   int64   // prompt tokens counted (0 when the span reports none)
	compl    int64   // completion tokens counted
	reported float64 // USD the span carries (gen_ai.usage.cost); 0: priced from listPrice
}

// scenarioSpan is one span of the scenario: how to write it, and what it counts as
// (counted == nil for spans that must not count).
type scenarioSpan struct {
	name     string
	kind     ptrace.SpanKind
	duration time.Duration
	attrs    map[string]any
	status   ptrace.StatusCode
	message  string
	// chunkAt, when > 0, adds a gen_ai.content.completion.chunk event at start+chunkAt.
	chunkAt time.Duration
	// parent is the index of the parent span in the scenario (-1: root).
	parent int
	// resource is the index of the resource the span belongs to.
	resource int
	counted  *call
}

// resources of the scenario; the second carries the template on the resource.
var scenarioResources = []map[string]any{
	{"service.name": "chat-api", "service.version": "1.2.3"},
	{"service.name": "batch-worker", "llm.template": tplClassify},
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// scenario is the fixed list of spans. Index 13 (the agent) is the parent of
// spans 8 and 9.
var scenario = []scenarioSpan{
	// 0: semconv ≥1.37, non-streamed chat, success.
	{
		name: "chat gpt-4o", kind: ptrace.SpanKindClient, duration: ms(700), parent: -1,
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": modelGPT, "gen_ai.response.model": "gpt-4o-2024-08-06",
			"llm.template":              tplSummarize,
			"gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 50,
			"gen_ai.response.finish_reasons": []any{"stop"},
		},
		counted: &call{model: modelGPT, template: tplSummarize, status: "success", duration: 0.7, prompt: 100, compl: 50},
	},
	// 1: semconv ≥1.37, streamed with a TTFT attribute, success.
	{
		name: "chat gpt-4o", kind: ptrace.SpanKindClient, duration: ms(1500), parent: -1,
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": modelGPT, "llm.template": tplSummarize,
			"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 0.3,
			"gen_ai.usage.input_tokens": 200, "gen_ai.usage.output_tokens": 120,
			"gen_ai.response.finish_reasons": []any{"stop"},
		},
		counted: &call{model: modelGPT, template: tplSummarize, status: "success", duration: 1.5, ttft: 0.3, prompt: 200, compl: 120},
	},
	// 2: semconv ≤1.36 names, no template, success.
	{
		name: "chat gpt-4o", kind: ptrace.SpanKindClient, duration: ms(200), parent: -1,
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": modelGPT,
			"gen_ai.usage.prompt_tokens": 30, "gen_ai.usage.completion_tokens": 10,
		},
		counted: &call{model: modelGPT, template: tplNone, status: "success", duration: 0.2, prompt: 30, compl: 10},
	},
	// 3: rate limit (error.type RateLimitError), no tokens reported.
	{
		name: "chat gpt-4o", kind: ptrace.SpanKindClient, duration: ms(300), parent: -1,
		status: ptrace.StatusCodeError, message: "Error code: 429 - Rate limit reached for gpt-4o",
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": modelGPT, "llm.template": tplSummarize,
			"error.type": "RateLimitError",
		},
		counted: &call{model: modelGPT, template: tplSummarize, status: "error", reason: "rate_limit", duration: 0.3},
	},
	// 4: context overflow: generic BadRequestError + a status message naming the cause;
	// template from gen_ai.prompt.name.
	{
		name: "chat gpt-4o", kind: ptrace.SpanKindClient, duration: ms(900), parent: -1,
		status:  ptrace.StatusCodeError,
		message: "400 This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens.",
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": modelGPT, "gen_ai.prompt.name": tplClassify,
			"error.type": "BadRequestError",
		},
		counted: &call{model: modelGPT, template: tplClassify, status: "error", reason: "context_overflow", duration: 0.9},
	},
	// 5: provider 5xx with input tokens reported (failed calls count their tokens).
	{
		name: "chat claude-sonnet-4", kind: ptrace.SpanKindClient, duration: ms(12500), parent: -1,
		status: ptrace.StatusCodeError, message: "Internal server error",
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
			"gen_ai.request.model": modelClaude, "gen_ai.prompt.name": tplClassify,
			"error.type": "InternalServerError", "http.response.status_code": 500,
			"gen_ai.usage.input_tokens": 40,
		},
		counted: &call{model: modelClaude, template: tplClassify, status: "error", reason: "provider_5xx", duration: 12.5, prompt: 40},
	},
	// 6: safety block: an OK span whose finish reason is content_filter.
	{
		name: "chat claude-sonnet-4", kind: ptrace.SpanKindClient, duration: ms(2500), parent: -1,
		status: ptrace.StatusCodeOk,
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
			"gen_ai.request.model": modelClaude, "llm.template": tplClassify,
			"gen_ai.usage.input_tokens": 60, "gen_ai.usage.output_tokens": 0,
			"gen_ai.response.finish_reasons": []any{"content_filter"},
		},
		counted: &call{model: modelClaude, template: tplClassify, status: "error", reason: "safety_block", duration: 2.5, prompt: 60},
	},
	// 7: timeout (APITimeoutError), semconv ≤1.36 names, no template.
	{
		name: "chat claude-sonnet-4", kind: ptrace.SpanKindClient, duration: ms(45000), parent: -1,
		status: ptrace.StatusCodeError, message: "Request timed out.",
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.system": "anthropic",
			"gen_ai.request.model": modelClaude, "error.type": "APITimeoutError",
		},
		counted: &call{model: modelClaude, template: tplNone, status: "error", reason: "timeout", duration: 45},
	},
	// 8: streamed, TTFT from the first gen_ai.content.completion.chunk event (0.7 s
	// after the start), child of the agent span.
	{
		name: "chat claude-sonnet-4", kind: ptrace.SpanKindClient, duration: ms(3200), parent: 13,
		chunkAt: ms(700),
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
			"gen_ai.request.model": modelClaude, "llm.template": tplSummarize,
			"gen_ai.request.stream":     true,
			"gen_ai.usage.input_tokens": 80, "gen_ai.usage.output_tokens": 300,
		},
		counted: &call{model: modelClaude, template: tplSummarize, status: "success", duration: 3.2, ttft: 0.7, prompt: 80, compl: 300},
	},
	// 9: streamed with a TTFT attribute, semconv ≤1.36 token names, child of the
	// agent; it carries its own cost, which wins over the table.
	{
		name: "chat claude-sonnet-4", kind: ptrace.SpanKindClient, duration: ms(6000), parent: 13,
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.system": "anthropic",
			"gen_ai.request.model": modelClaude, "gen_ai.prompt.name": tplClassify,
			"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 1.5,
			"gen_ai.usage.prompt_tokens": 500, "gen_ai.usage.completion_tokens": 40,
			"gen_ai.usage.cost": 0.03125,
		},
		counted: &call{model: modelClaude, template: tplClassify, status: "success", duration: 6, ttft: 1.5, prompt: 500, compl: 40, reported: 0.03125},
	},
	// 10: no request model: the response model counts; text_completion.
	{
		name: "text_completion", kind: ptrace.SpanKindClient, duration: ms(800), parent: -1,
		attrs: map[string]any{
			"gen_ai.operation.name": "text_completion", "gen_ai.provider.name": "anthropic",
			"gen_ai.response.model":     modelClaude,
			"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 20,
		},
		counted: &call{model: modelClaude, template: tplNone, status: "success", duration: 0.8, prompt: 10, compl: 20},
	},
	// 11: explicitly non-streamed; the template comes from the resource.
	{
		name: "chat gpt-4o", kind: ptrace.SpanKindClient, duration: ms(4200), parent: -1, resource: 1,
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": modelGPT, "gen_ai.request.stream": false,
			"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 200,
		},
		counted: &call{model: modelGPT, template: tplClassify, status: "success", duration: 4.2, prompt: 1000, compl: 200},
	},
	// 12: streamed without any TTFT source: counted, but not in the TTFT histogram.
	{
		name: "chat gpt-4o", kind: ptrace.SpanKindClient, duration: ms(600), parent: -1,
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": modelGPT, "gen_ai.request.stream": true,
			"gen_ai.usage.input_tokens": 20, "gen_ai.usage.output_tokens": 30,
		},
		counted: &call{model: modelGPT, template: tplNone, status: "success", duration: 0.6, prompt: 20, compl: 30},
	},
	// 13: agent span carrying the token totals of its children: must not count.
	{
		name: "invoke_agent support-bot", kind: ptrace.SpanKindInternal, duration: ms(9800), parent: 15,
		attrs: map[string]any{
			"gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "anthropic",
			"gen_ai.agent.name": "support-bot", "gen_ai.request.model": modelClaude,
			"gen_ai.usage.input_tokens": 580, "gen_ai.usage.output_tokens": 340,
		},
	},
	// 14: tool span: must not count.
	{
		name: "execute_tool lookup_order", kind: ptrace.SpanKindInternal, duration: ms(150), parent: 13,
		attrs: map[string]any{
			"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order",
		},
	},
	// 15: the application's HTTP server span (no gen_ai attributes): must not count.
	{
		name: "POST /chat", kind: ptrace.SpanKindServer, duration: ms(10000), parent: -1,
		attrs: map[string]any{
			"http.request.method": "POST", "http.route": "/chat", "url.path": "/chat",
			"http.response.status_code": 200,
		},
	},
}

// ids returns the trace and span id of span i in send round r (rounds differ so
// every send is a distinct set of spans). Spans share the trace of their root.
func ids(r, i int) (pcommon.TraceID, pcommon.SpanID) {
	root := i
	for scenario[root].parent >= 0 {
		root = scenario[root].parent
	}
	var tid pcommon.TraceID
	copy(tid[:], "otelcol-llm-e2e!")
	binary.BigEndian.PutUint16(tid[12:], uint16(r))
	binary.BigEndian.PutUint16(tid[14:], uint16(root))
	var sid pcommon.SpanID
	copy(sid[:], "e2e!")
	binary.BigEndian.PutUint16(sid[4:], uint16(r))
	binary.BigEndian.PutUint16(sid[6:], uint16(i)+1)
	return tid, sid
}

// buildTraces writes the scenario for send round r, with spans starting at base.
func buildTraces(r int, base time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	scopes := make([]ptrace.ScopeSpans, len(scenarioResources))
	for i, attrs := range scenarioResources {
		rs := td.ResourceSpans().AppendEmpty()
		if err := rs.Resource().Attributes().FromRaw(attrs); err != nil {
			panic(err)
		}
		scopes[i] = rs.ScopeSpans().AppendEmpty()
		scopes[i].Scope().SetName("e2e-scenario")
	}
	for i, s := range scenario {
		sp := scopes[s.resource].Spans().AppendEmpty()
		tid, sid := ids(r, i)
		sp.SetTraceID(tid)
		sp.SetSpanID(sid)
		if s.parent >= 0 {
			_, psid := ids(r, s.parent)
			sp.SetParentSpanID(psid)
		}
		sp.SetName(s.name)
		sp.SetKind(s.kind)
		start := base.Add(time.Duration(i) * 100 * time.Millisecond)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(s.duration)))
		if err := sp.Attributes().FromRaw(s.attrs); err != nil {
			panic(fmt.Sprintf("span %d: %v", i, err))
		}
		sp.Status().SetCode(s.status)
		sp.Status().SetMessage(s.message)
		if s.chunkAt > 0 {
			ev := sp.Events().AppendEmpty()
			ev.SetName("gen_ai.content.completion.chunk")
			ev.SetTimestamp(pcommon.NewTimestampFromTime(start.Add(s.chunkAt)))
			// a second chunk: only the first one gives the TTFT
			ev2 := sp.Events().AppendEmpty()
			ev2.SetName("gen_ai.content.completion.chunk")
			ev2.SetTimestamp(pcommon.NewTimestampFromTime(start.Add(s.chunkAt + ms(400))))
		}
	}
	return td
}

// cost is what the call adds to llm_cost_usd_total: the cost its span
// carries, else its tokens times listPrice.
func (c *call) cost() float64 {
	if c.reported > 0 {
		return c.reported
	}
	price := listPrice[c.model]
	return float64(c.prompt)*price.input/1e6 + float64(c.compl)*price.output/1e6
}

// counts of the scenario, per send.
func scenarioCounts() (received, calls, skipped int) {
	for _, s := range scenario {
		received++
		if s.counted != nil {
			calls++
		} else {
			skipped++
		}
	}
	return received, calls, skipped
}

// pairKey identifies a (model, template) series, or with the shipped
// dimensions (expectationsBy(true)) a (model, template, service, provider)
// series.
type pairKey struct{ model, template, service, provider string }

// scenarioDims are the labels of span s under the shipped dimensions
// [service, provider] (config/*.yaml): its resource's service.name and its
// provider attribute (the scenario writes canonical provider names only).
func scenarioDims(s *scenarioSpan) (service, provider string) {
	service, _ = scenarioResources[s.resource]["service.name"].(string)
	if provider, _ = s.attrs["gen_ai.provider.name"].(string); provider == "" {
		provider, _ = s.attrs["gen_ai.system"].(string)
	}
	if service == "" || provider == "" {
		panic(fmt.Sprintf("scenario span %q: no service.name or provider", s.name))
	}
	return service, provider
}

// expectedPair is what one (model, template) pair must show after one send.
type expectedPair struct {
	success, errors int64
	prompt, compl   int64
	durations       []float64
	ttfts           []float64
	tpots           []float64 // time per output token of streamed calls with a TTFT and ≥ 2 output tokens
	cost            float64   // USD: the span's own cost, else tokens times listPrice
	reported        float64   // USD: the part of cost the spans carried
	hasReported     bool      // some call of the pair carried its cost
}

// expectations aggregates the scenario per (model, template) and per (model, reason).
func expectations() (map[pairKey]*expectedPair, map[pairKey]int64) {
	return expectationsBy(false)
}

// expectationsBy is expectations, with dims also per service and provider
// (scenarioDims).
func expectationsBy(dims bool) (map[pairKey]*expectedPair, map[pairKey]int64) {
	pairs := map[pairKey]*expectedPair{}
	reasons := map[pairKey]int64{} // template field holds the reason
	for i := range scenario {
		s := &scenario[i]
		c := s.counted
		if c == nil {
			continue
		}
		k := pairKey{model: c.model, template: c.template}
		if dims {
			k.service, k.provider = scenarioDims(s)
		}
		p := pairs[k]
		if p == nil {
			p = &expectedPair{}
			pairs[k] = p
		}
		if c.status == "success" {
			p.success++
		} else {
			p.errors++
			reasons[pairKey{model: c.model, template: c.reason, service: k.service, provider: k.provider}]++
		}
		p.prompt += c.prompt
		p.compl += c.compl
		p.cost += c.cost()
		if c.reported > 0 {
			p.reported += c.reported
			p.hasReported = true
		}
		if c.ttft > 0 && c.compl >= 2 {
			p.tpots = append(p.tpots, (c.duration-c.ttft)/float64(c.compl-1))
		}
		p.durations = append(p.durations, c.duration)
		if c.ttft > 0 {
			p.ttfts = append(p.ttfts, c.ttft)
		}
	}
	return pairs, reasons
}

// cumulative returns the cumulative bucket counts of values for bounds (+Inf last).
func cumulative(bounds, values []float64) []uint64 {
	out := make([]uint64, len(bounds)+1)
	for _, v := range values {
		for i, b := range bounds {
			if v <= b {
				out[i]++
			}
		}
		out[len(bounds)]++
	}
	return out
}

// scenarioFinish maps the finish reasons the scenario writes to their
// finish_reason label (the scenario writes canonical spellings only).
var scenarioFinish = map[string]string{
	"stop": "stop", "length": "length", "tool_calls": "tool_calls", "content_filter": "content_filter",
}

// finishOf is the finish_reason label of span s: the first of its
// gen_ai.response.finish_reasons, "" when it reports none.
func finishOf(s *scenarioSpan) string {
	rs, ok := s.attrs["gen_ai.response.finish_reasons"].([]any)
	if !ok || len(rs) == 0 {
		return ""
	}
	raw, _ := rs[0].(string)
	f, ok := scenarioFinish[raw]
	if !ok {
		panic(fmt.Sprintf("scenario span %q: finish reason %v has no label in scenarioFinish", s.name, rs[0]))
	}
	return f
}

// finishExpectations counts the calls of one send by (model, finish reason)
// (the template field holds the finish reason), with dims also per service
// and provider; a call without a finish reason counts in none, a failed call
// with one counts (span 6: content_filter).
func finishExpectations(dims bool) map[pairKey]int64 {
	out := map[pairKey]int64{}
	for i := range scenario {
		s := &scenario[i]
		f := finishOf(s)
		if s.counted == nil || f == "" {
			continue
		}
		k := pairKey{model: s.counted.model, template: f}
		if dims {
			k.service, k.provider = scenarioDims(s)
		}
		out[k]++
	}
	return out
}

// operation is the gen_ai.operation.name of span s.
func operation(s *scenarioSpan) string {
	op, _ := s.attrs["gen_ai.operation.name"].(string)
	return op
}

// nearestAgent is the index of the nearest invoke_agent ancestor of span i,
// -1 when it has none.
func nearestAgent(i int) int {
	for p := scenario[i].parent; p >= 0; p = scenario[p].parent {
		if operation(&scenario[p]) == "invoke_agent" {
			return p
		}
	}
	return -1
}

// expectedActivity is what one tool or agent span of the scenario must count
// as after one send.
type expectedActivity struct {
	name     string // tool or agent name
	status   string // success | error
	duration float64
	// modelCalls and toolCalls (agents only): the counted calls and the tool
	// spans whose nearest agent span this one is.
	modelCalls, toolCalls int
}

// scenarioActivities lists the tool spans (execute_tool, named by
// gen_ai.tool.name) and the agent spans (invoke_agent, named by
// gen_ai.agent.name) of the scenario.
func scenarioActivities() (tools, agents []expectedActivity) {
	agentAt := map[int]int{} // scenario index → index in agents
	for i := range scenario {
		s := &scenario[i]
		a := expectedActivity{status: "success", duration: s.duration.Seconds()}
		if s.status == ptrace.StatusCodeError {
			a.status = "error"
		}
		switch operation(s) {
		case "execute_tool":
			a.name, _ = s.attrs["gen_ai.tool.name"].(string)
			tools = append(tools, a)
		case "invoke_agent":
			a.name, _ = s.attrs["gen_ai.agent.name"].(string)
			agentAt[i] = len(agents)
			agents = append(agents, a)
		}
	}
	for i := range scenario {
		j, ok := agentAt[nearestAgent(i)]
		if !ok {
			continue
		}
		switch {
		case scenario[i].counted != nil:
			agents[j].modelCalls++
		case operation(&scenario[i]) == "execute_tool":
			agents[j].toolCalls++
		}
	}
	return tools, agents
}

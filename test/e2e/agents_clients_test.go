// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// agentRuns is how many agent invocations each agent script makes (AGENT_RUNS).
const agentRuns = 2

// agentName is the agent of the agent scripts (common.cjs AGENT_NAME).
const agentName = "weather-agent"

// agentCallsPerRun and agentToolsPerRun: one invocation of the agent scenario
// (fakeAgentPlan: two tool-calling turns, then the answer).
const (
	agentCallsPerRun = 3
	agentToolsPerRun = 3
)

// wantCall is one model call as the collector must count it.
type wantCall struct {
	model, template string
	status          string // success | error
	reason          string // llm_errors_total reason of a failed call
	finish          string // canonical finish reason; "" when the span reports none
	prompt, compl   int
	interrupted     bool // a streamed call that failed after its first chunk
}

// wantTool is one tool call as the collector must count it.
type wantTool struct{ tool, status string }

// wantAgent is one agent invocation: its status and the model and tool
// calls observed under it.
type wantAgent struct {
	agent, status string
	models, tools int
}

// agentClientCase is one script of TestAgentClients and what it must produce.
type agentClientCase struct {
	name, dir, script string
	service           string // the script's service.name (the service dimension)
	provider          string // the provider dimension of its calls
	spans             int    // spans the script sends
	requests          []fakeRequest
	calls             []wantCall
	tools             []wantTool
	agents            []wantAgent
	// tentative: its agent spans are agents only beside the calls that offer
	// tools (Vercel AI SDK v6: ai.generateText with a functionId carries no
	// tool of its own); an agent span in a batch without them is no agent.
	tentative bool
}

// repeat returns n copies of s one after the other.
func repeat[T any](n int, s ...T) []T {
	var out []T
	for range n {
		out = append(out, s...)
	}
	return out
}

// agentRequests is what the fake server sees from agent invocations.
func agentRequests(runs int) []fakeRequest {
	var out []fakeRequest
	for range runs {
		for turn := range agentCallsPerRun {
			out = append(out, fakeRequest{Path: "/v1/chat/completions", Scenario: "agent", Model: clientModelChat, Status: 200, Turn: turn})
		}
	}
	return out
}

// agentCalls is the model calls of runs invocations of the agent scenario.
func agentCalls(runs int, template string) []wantCall {
	return repeat(runs,
		wantCall{model: clientModelChat, template: template, status: "success", finish: "tool_calls", prompt: fakeToolTurnPromptTokens, compl: fakeToolTurnCompletionTokens},
		wantCall{model: clientModelChat, template: template, status: "success", finish: "tool_calls", prompt: fakeToolTurnPromptTokens, compl: fakeToolTurnCompletionTokens},
		wantCall{model: clientModelChat, template: template, status: "success", finish: "stop", prompt: fakeAgentFinalPromptTokens, compl: fakeAgentFinalCompletionTokens},
	)
}

// agentTools is the tool calls of runs invocations: get_weather twice, get_stock_price failing.
func agentTools(runs int) []wantTool {
	return repeat(runs, wantTool{"get_weather", "success"}, wantTool{"get_weather", "success"}, wantTool{"get_stock_price", "error"})
}

// finishRequests is what the fake server sees from the finish-reason scenario.
var finishRequests = []fakeRequest{
	{Path: "/v1/chat/completions", Model: clientModelChat, Status: 200},
	{Path: "/v1/chat/completions", Scenario: "length", Model: clientModelChat, Status: 200},
	{Path: "/v1/chat/completions", Scenario: "content_filter", Model: clientModelChat, Status: 200},
	{Path: "/v1/chat/completions", Model: clientModelStream, Stream: true, Usage: true, Status: 200},
	{Path: "/v1/chat/completions", Scenario: "broken_stream", Model: clientModelStream, Stream: true, Usage: true, Status: 200},
	{Path: "/v1/chat/completions", Scenario: "stream_error", Model: clientModelStream, Stream: true, Usage: true, Status: 200},
}

// finishCalls is the four calls of the finish-reason scenario that every
// client reports: stop, length, content_filter (a failure: safety_block), a
// complete stream. What follows, the two streams that fail after their first
// chunk (broken_stream: the connection drops; stream_error: the server sends
// an error event), each client reports its own way (or not at all).
func finishCalls(template string) []wantCall {
	return []wantCall{
		{model: clientModelChat, template: template, status: "success", finish: "stop", prompt: fakeChatPromptTokens, compl: fakeChatCompletionTokens},
		{model: clientModelChat, template: template, status: "success", finish: "length", prompt: fakeLengthPromptTokens, compl: fakeLengthCompletionTokens},
		{model: clientModelChat, template: template, status: "error", reason: "safety_block", finish: "content_filter", prompt: fakeFilterPromptTokens, compl: fakeFilterCompletionTokens},
		{model: clientModelStream, template: template, status: "success", finish: "stop", prompt: fakeStreamPromptTokens, compl: fakeStreamCompletionTokens},
	}
}

// agentClientCases pins what each real library emits (the captures in
// test/e2e/clients/captures show the spans). Gaps are the libraries' own,
// found in their source and the captures; COMPATIBILITY.md lists them.
var agentClientCases = []agentClientCase{
	{
		// Vercel AI SDK ai 6.0.325: per invocation ai.generateText (the agent:
		// functionId weather-agent and tools) > 3 ai.generateText.doGenerate (the
		// model calls; ai.response.finishReason tool-calls, tool-calls, stop) and
		// 3 ai.toolCall (ai.toolCall.name; the failing one status ERROR with an
		// exception event). The functionId is also the template. The
		// ai.generateText span names no tool (ai.prompt.tools is on the
		// doGenerate spans): it is an agent only in a batch with its calls.
		name: "vercel-ai-v6", dir: ".", script: "run-agent-vercel.cjs", service: "e2e-agent-vercel", provider: "openai",
		spans:     agentRuns * 7,
		requests:  agentRequests(agentRuns),
		calls:     agentCalls(agentRuns, agentName),
		tools:     agentTools(agentRuns),
		agents:    repeat(agentRuns, wantAgent{agentName, "success", agentCallsPerRun, agentToolsPerRun}),
		tentative: true,
	},
	{
		// Vercel AI SDK ai 7.0.173 + @ai-sdk/otel 1.0.173: per invocation
		// invoke_agent (gen_ai.agent.name weather-agent) > 3 "step N"
		// (agent_step) > "chat gpt-4o-mini" (gen_ai.response.finish_reasons
		// ["tool-calls"] / ["stop"]) and "execute_tool <name>" (gen_ai.tool.name;
		// the failing one status ERROR). Template none: the functionId is only
		// the agent name.
		name: "vercel-ai-v7", dir: "vercel-v7", script: "run-agent-vercel-v7.cjs", service: "e2e-agent-vercel-v7", provider: "openai",
		spans:    agentRuns * 10,
		requests: agentRequests(agentRuns),
		calls:    agentCalls(agentRuns, tplNone),
		tools:    agentTools(agentRuns),
		agents:   repeat(agentRuns, wantAgent{agentName, "success", agentCallsPerRun, agentToolsPerRun}),
	},
	{
		// LangChain.js createAgent under @arizeai/openinference-instrumentation-langchain
		// 4.1.1: per invocation the graph "weather-agent" > model_request /
		// tools / __start__ nodes, all CHAIN, > ChatOpenAI (LLM: llm.model_name
		// gpt-4o-mini, llm.token_count.*, llm.finish_reason) and get_weather /
		// get_stock_price (TOOL, tool.name; the failing one status ERROR).
		// No AGENT span: the instrumentation maps a run to AGENT only when
		// LangChain's run type contains "agent", and createAgent's graph is a
		// "chain" run. Its CHAIN span is named after the agent and carries
		// metadata.lc_agent_name weather-agent (its nodes carry the same member
		// under their own names): that span is the agent invocation. Gap, the
		// library's: no provider, the LLM span has no llm.provider /
		// llm.system (only ls_provider inside the metadata JSON), so the
		// provider is unknown.
		name: "langchain-openinference", dir: "langchain", script: "run-agent-langchain.cjs", service: "e2e-agent-langchain", provider: "unknown",
		spans:    agentRuns * 17,
		requests: agentRequests(agentRuns),
		calls:    agentCalls(agentRuns, tplNone),
		tools:    agentTools(agentRuns),
		agents:   repeat(agentRuns, wantAgent{agentName, "success", agentCallsPerRun, agentToolsPerRun}),
	},
	{
		// openai 6.49.0 + @opentelemetry/instrumentation-openai 0.21.0:
		// gen_ai.response.finish_reasons ["stop"] / ["length"] / ["content_filter"].
		// Gap, the library's: neither failing stream yields a span. The stream
		// wrapper (_onChatCompletionsStreamIterator) ends the span after the
		// last chunk only; when the iterator throws (the dropped connection,
		// or the APIError the openai client throws for the error event), the
		// span is never ended.
		name: "finish-otel", dir: ".", script: "run-finish-otel.cjs", service: "e2e-finish-otel", provider: "openai",
		spans:    4,
		requests: finishRequests,
		calls:    finishCalls(tplNone),
	},
	{
		// Vercel AI SDK ai 6.0.325: ai.generateText / ai.streamText (functionId
		// capital-question, no tools: not an agent) > doGenerate / doStream
		// (ai.response.finishReason stop, length, content-filter).
		// Gap, the library's: the broken stream yields NO span: neither
		// ai.streamText nor ai.streamText.doStream is ended when the provider
		// stream fails mid-body.
		// The stream_error call: ai.streamText > ai.streamText.doStream, ended
		// (ai.stream.firstChunk, ai.response.msToFirstChunk,
		// ai.response.finishReason "error") but with status UNSET and no
		// exception: the error event became an error part of the stream, not
		// a failure of the span. The finish reason "error" fails the call
		// (reason other): a stream interruption, finish_reason error, no tokens.
		name: "finish-vercel-ai-v6", dir: ".", script: "run-finish-vercel.cjs", service: "e2e-finish-vercel", provider: "openai",
		spans:    10,
		requests: finishRequests,
		calls: append(finishCalls("capital-question"),
			wantCall{model: clientModelStream, template: "capital-question", status: "error", reason: "other", finish: "error", interrupted: true}),
	},
	{
		// Vercel AI SDK ai 7.0.173: every call is invoke_agent (gen_ai.agent.name
		// = the functionId capital-question) > step 1 > chat, so each call is
		// also an agent invocation with one model call and no tool call. The
		// broken stream: chat, step and invoke_agent all status ERROR
		// ("Failed to process successful response", exception AI_APICallError,
		// http.response.status_code 200): a failed call, reason other.
		// Gap, the library's: the broken chat span has no
		// gen_ai.client.operation.time_to_first_chunk (set only when the step
		// ends, and a stream error fails it instead) and nothing else says it
		// streamed, so it is not counted as a stream interruption.
		// The stream_error call: the step ends with finish reason "error", so
		// chat, step and invoke_agent are status ERROR (no exception, no
		// message) and the chat span has the time to first chunk
		// (gen_ai.client.operation.time_to_first_chunk) and
		// gen_ai.response.finish_reasons ["error"], no usage: a stream
		// interruption, reason other, finish_reason error.
		name: "finish-vercel-ai-v7", dir: "vercel-v7", script: "run-finish-vercel-v7.cjs", service: "e2e-finish-vercel-v7", provider: "openai",
		spans:    18,
		requests: finishRequests,
		calls: append(finishCalls(tplNone),
			wantCall{model: clientModelStream, template: tplNone, status: "error", reason: "other"},
			wantCall{model: clientModelStream, template: tplNone, status: "error", reason: "other", finish: "error", interrupted: true}),
		agents: append(repeat(4, wantAgent{"capital-question", "success", 1, 0}), repeat(2, wantAgent{"capital-question", "error", 1, 0})...),
	},
	{
		// Vercel AI SDK ai 7.0.173 + @ai-sdk/otel 1.0.173 LegacyOpenTelemetry:
		// the spans of v6 (ai.generateText / ai.streamText, functionId
		// capital-question and no tools: not an agent, > doGenerate /
		// doStream). Unlike v6 it ends the spans of both failing streams,
		// status ERROR: the broken stream's ai.streamText.doStream has an
		// exception ("Failed to process successful response") but no
		// ai.response.msToFirstChunk (set when the step ends): a failed
		// streamed call (ai.streamText.doStream is a streaming operation),
		// reason other, no interruption. The stream_error one has
		// ai.response.msToFirstChunk and ai.response.finishReason "error": a
		// stream interruption. Its ai.stream.firstChunk event is stamped when
		// the step ends, not at the first chunk: the attribute gives the time.
		name: "finish-vercel-ai-v7-legacy", dir: "vercel-v7", script: "run-finish-vercel-v7-legacy.cjs", service: "e2e-finish-vercel-v7-legacy", provider: "openai",
		spans:    12,
		requests: finishRequests,
		calls: append(finishCalls("capital-question"),
			wantCall{model: clientModelStream, template: "capital-question", status: "error", reason: "other"},
			wantCall{model: clientModelStream, template: "capital-question", status: "error", reason: "other", finish: "error", interrupted: true}),
	},
}

// TestAgentClients runs the real agent and finish-reason clients against the
// fake OpenAI server and a collector with a shipped configuration, and checks
// the exact agent, tool, finish-reason and interruption series, and that the
// model calls and tokens are the ones of the calls (nothing counted twice):
//
//   - default: config/otelcol.yaml, each script exporting once, at its end:
//     every invocation's spans in one batch, exact per-invocation counts;
//   - per-span/default: config/otelcol.yaml, each span exported alone (the
//     worst split): the same counters, but each agent invocation is observed
//     in the batch of its agent span alone, with 0 model and 0 tool calls,
//     and a Vercel AI SDK v6 agent span alone is no agent at all;
//   - per-span/agents: config/otelcol-agents.yaml (groupbytrace, wait_duration
//     lowered to 2s for the test), each span exported alone: groupbytrace
//     joins each trace again, the per-invocation counts are exact.
func TestAgentClients(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := filepath.Join(testproc.RepoRoot(t), clientsDir)
	for _, p := range agentClientProjects {
		npmCI(ctx, t, filepath.Join(dir, p))
	}
	for _, run := range []struct {
		name, config, batching string
		set                    []string
		joined                 bool // each invocation's spans reach llm_prometheus together
	}{
		{name: "default", config: "otelcol.yaml", joined: true},
		{name: "per-span/default", config: "otelcol.yaml", batching: "per-span"},
		{name: "per-span/agents", config: "otelcol-agents.yaml", batching: "per-span", set: []string{"processors::groupbytrace::wait_duration=2s"}, joined: true},
	} {
		t.Run(run.name, func(t *testing.T) {
			fake := startFakeOpenAI(t)
			n := newReplica(t, "otelcol-llm", run.config)
			layout := n.layout
			n.layout = func(t *testing.T) {
				layout(t)
				for _, s := range run.set {
					n.args = append(n.args, "--set", s)
				}
			}
			startAll(t, n)
			tracesURL := fmt.Sprintf("http://127.0.0.1:%d/v1/traces", n.httpPort)
			var spans int
			for _, tc := range agentClientCases {
				dump := filepath.Join(t.TempDir(), tc.name+".jsonl")
				t.Cleanup(func() {
					if t.Failed() || os.Getenv("E2E_LOG_SPANS") != "" {
						logDump(t, dump)
					}
				})
				before := len(fake.seen())
				runClientTo(ctx, t, filepath.Join(dir, tc.dir), tc.script, fake, tracesURL, dump,
					"SPAN_BATCHING="+run.batching, fmt.Sprintf("AGENT_RUNS=%d", agentRuns))
				got := fake.seen()[before:]
				if fmt.Sprint(got) != fmt.Sprint(tc.requests) {
					t.Errorf("%s: the fake server saw\n %+v\nwant\n %+v", tc.name, got, tc.requests)
				}
				spans += tc.spans
			}
			waitSpans(ctx, t, "every span of the clients", float64(spans), n)
			assertAgentMetrics(t, scrapeText(ctx, t, n.metricsURL()), agentClientCases, run.joined)
		})
	}
}

// assertAgentMetrics checks the series of the cases' calls, tools and agents
// exactly. joined: each invocation was observed with its calls; otherwise
// with none (its agent span in a batch of its own).
func assertAgentMetrics(t *testing.T, mfs map[string]*dto.MetricFamily, cases []agentClientCase, joined bool) {
	t.Helper()
	requests, prompt, compl := map[string]float64{}, map[string]float64{}, map[string]float64{}
	errs, finish, interrupted := map[string]float64{}, map[string]float64{}, map[string]float64{}
	tools, agents := map[string]float64{}, map[string]float64{}
	toolDurations, agentDurations := map[string]uint64{}, map[string]uint64{}
	agentModels, agentTools := map[string][]float64{}, map[string][]float64{}
	for _, tc := range cases {
		provider := tc.provider
		for _, c := range tc.calls {
			dims := []string{"model", c.model, "template", c.template, "service", tc.service, "provider", provider}
			// Both status series exist as soon as the pair is seen (the other at 0).
			for _, s := range []string{"success", "error"} {
				requests[key("llm_requests_total", append(dims, "status", s)...)] += 0
			}
			requests[key("llm_requests_total", append(dims, "status", c.status)...)]++
			prompt[key("llm_prompt_tokens_total", dims...)] += float64(c.prompt)
			compl[key("llm_completion_tokens_total", dims...)] += float64(c.compl)
			if c.status == "error" {
				errs[key("llm_errors_total", "model", c.model, "reason", c.reason, "service", tc.service, "provider", provider)]++
			}
			if c.finish != "" {
				finish[key("llm_finish_reasons_total", "model", c.model, "finish_reason", c.finish, "service", tc.service, "provider", provider)]++
			}
			if c.interrupted {
				interrupted[key("llm_stream_interruptions_total", "model", c.model, "service", tc.service, "provider", provider)]++
			}
		}
		for _, tl := range tc.tools {
			tools[key("llm_tool_calls_total", "tool", tl.tool, "status", tl.status)]++
			toolDurations[key("llm_tool_duration_seconds", "tool", tl.tool)]++
		}
		for _, a := range tc.agents {
			if tc.tentative && !joined {
				continue
			}
			agents[key("llm_agent_invocations_total", "agent", a.agent, "status", a.status)]++
			agentDurations[key("llm_agent_duration_seconds", "agent", a.agent)]++
			models, toolCalls := a.models, a.tools
			if !joined {
				models, toolCalls = 0, 0
			}
			agentModels[key("llm_agent_model_calls", "agent", a.agent)] = append(agentModels[key("llm_agent_model_calls", "agent", a.agent)], float64(models))
			agentTools[key("llm_agent_tool_calls", "agent", a.agent)] = append(agentTools[key("llm_agent_tool_calls", "agent", a.agent)], float64(toolCalls))
		}
	}
	dims := []string{"service", "provider"}
	compareCounters(t, family(t, mfs, "llm_requests_total", dto.MetricType_COUNTER, append([]string{"model", "template", "status"}, dims...)...), requests)
	compareCounters(t, family(t, mfs, "llm_prompt_tokens_total", dto.MetricType_COUNTER, append([]string{"model", "template"}, dims...)...), prompt)
	compareCounters(t, family(t, mfs, "llm_completion_tokens_total", dto.MetricType_COUNTER, append([]string{"model", "template"}, dims...)...), compl)
	compareCounters(t, family(t, mfs, "llm_errors_total", dto.MetricType_COUNTER, append([]string{"model", "reason"}, dims...)...), errs)
	compareCounters(t, family(t, mfs, "llm_finish_reasons_total", dto.MetricType_COUNTER, append([]string{"model", "finish_reason"}, dims...)...), finish)
	compareOptionalCounters(t, mfs, "llm_stream_interruptions_total", append([]string{"model"}, dims...), interrupted)
	compareCounters(t, family(t, mfs, "llm_tool_calls_total", dto.MetricType_COUNTER, "tool", "status"), tools)
	compareCounters(t, family(t, mfs, "llm_agent_invocations_total", dto.MetricType_COUNTER, "agent", "status"), agents)
	compareHistogramCounts(t, family(t, mfs, "llm_tool_duration_seconds", dto.MetricType_HISTOGRAM, "tool"), toolDurationBuckets, toolDurations)
	compareHistogramCounts(t, family(t, mfs, "llm_agent_duration_seconds", dto.MetricType_HISTOGRAM, "agent"), agentDurationBuckets, agentDurations)
	compareHistograms(t, family(t, mfs, "llm_agent_model_calls", dto.MetricType_HISTOGRAM, "agent"), agentCallBuckets, observe(agentCallBuckets, agentModels))
	compareHistograms(t, family(t, mfs, "llm_agent_tool_calls", dto.MetricType_HISTOGRAM, "agent"), agentCallBuckets, observe(agentCallBuckets, agentTools))
}

// The default buckets of llm_agent_model_calls / llm_agent_tool_calls,
// llm_tool_duration_seconds and llm_agent_duration_seconds.
var (
	agentCallBuckets     = []float64{1, 2, 4, 8, 16, 32, 64, 128}
	toolDurationBuckets  = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30}
	agentDurationBuckets = []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600}
)

// observe turns observed values per series into exact histograms.
func observe(bounds []float64, values map[string][]float64) map[string]wantHistogram {
	out := map[string]wantHistogram{}
	for k, vs := range values {
		h := wantHistogram{buckets: make([]uint64, len(bounds)+1)}
		for _, v := range vs {
			h.count++
			h.sum += v
			for i, b := range bounds {
				if v <= b {
					h.buckets[i]++
				}
			}
			h.buckets[len(bounds)]++
		}
		out[k] = h
	}
	return out
}

// compareOptionalCounters is compareCounters for a family that may be absent
// or hold only zero series when want is empty.
func compareOptionalCounters(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels []string, want map[string]float64) {
	t.Helper()
	mf := mfs[name]
	if len(want) == 0 {
		for _, m := range mf.GetMetric() {
			if v := m.GetCounter().GetValue(); v != 0 {
				t.Errorf("unexpected series %s = %v", seriesString(name, m), v)
			}
		}
		return
	}
	compareCounters(t, family(t, mfs, name, dto.MetricType_COUNTER, labels...), want)
}

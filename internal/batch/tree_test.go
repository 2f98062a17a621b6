// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package batch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// gspan appends a span of trace tr with the given ids and attributes.
func gspan(ss ptrace.SpanSlice, name string, tr, id, parent byte, attrs map[string]any) ptrace.Span {
	sp := ss.AppendEmpty()
	sp.SetName(name)
	sp.SetTraceID(pcommon.TraceID{15: tr})
	sp.SetSpanID(pcommon.SpanID{7: id})
	if parent != 0 {
		sp.SetParentSpanID(pcommon.SpanID{7: parent})
	}
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Second)))
	if err := sp.Attributes().FromRaw(attrs); err != nil {
		panic(err)
	}
	return sp
}

func chatAttrs(model string) map[string]any {
	return map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": model}
}

func agentAttrs(name string) map[string]any {
	return map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name}
}

func toolAttrs(name string) map[string]any {
	return map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}
}

// seen is what ExtractAll visited.
type seen struct {
	calls       []string // model, "(dup)" appended for duplicates
	agents      []string // name:model calls:tool calls
	tools       []string
	guardrails  []string // name:result
	evaluations []string
}

func extractSeen(e *Extractor, td ptrace.Traces) (seen, Counts) {
	var s seen
	c := e.ExtractAll(td, &Visitor{
		Call: func(call *genai.Call, _ ptrace.Span, dup bool) {
			m := call.Model()
			if dup {
				m += "(dup)"
			}
			s.calls = append(s.calls, m)
		},
		Activity: func(a *genai.Activity, _ ptrace.Span) {
			switch a.Kind {
			case genai.KindAgent:
				s.agents = append(s.agents, a.Name+":"+itoa(a.ModelCalls)+":"+itoa(a.ToolCalls))
			case genai.KindTool:
				s.tools = append(s.tools, a.Name+":"+a.Status.String())
			case genai.KindGuardrail:
				s.guardrails = append(s.guardrails, a.Name+":"+a.Guardrail.String())
			}
		},
		Evaluation: func(ev *genai.Evaluation, _ ptrace.Span) {
			s.evaluations = append(s.evaluations, ev.Name+":"+ev.Label)
		},
	})
	return s, c
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// agentBatch: trace 1, planner (1) > chat (2), tool (3), chain (4) > chat
// (5), sub-agent researcher (6) > chat (7), tool (8); a LangChain-style
// nested pair under the planner: llm run (9) > provider span (10). Trace 2:
// a call whose parent is not in the batch, and a root call.
func agentBatch() ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	gspan(ss, "chat", 1, 2, 1, chatAttrs("gpt-4o"))
	gspan(ss, "tool", 1, 3, 1, toolAttrs("search"))
	gspan(ss, "chat", 1, 5, 4, chatAttrs("gpt-4o"))
	gspan(ss, "chain", 1, 4, 1, map[string]any{"openinference.span.kind": "CHAIN"})
	gspan(ss, "chat", 1, 7, 6, chatAttrs("gpt-4o-mini"))
	gspan(ss, "tool", 1, 8, 6, toolAttrs("fetch"))
	gspan(ss, "researcher", 1, 6, 1, agentAttrs("researcher"))
	gspan(ss, "provider", 1, 10, 9, chatAttrs("gpt-4o"))
	gspan(ss, "llm run", 1, 9, 1, map[string]any{"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o"})
	gspan(ss, "planner", 1, 1, 0, agentAttrs("planner"))
	gspan(ss, "orphan", 2, 2, 9, chatAttrs("gpt-4o"))
	gspan(ss, "root", 2, 3, 0, chatAttrs("gpt-4o"))
	return td
}

func TestAgentCounts(t *testing.T) {
	s, c := extractSeen(NewExtractor(genai.Options{}, true), agentBatch())
	// The nearest agent counts a call: the researcher its own, the planner
	// the rest (through the chain; the nested pair once). Agents are
	// visited in batch order, after every span.
	assert.Equal(t, []string{"researcher:1:1", "planner:3:1"}, s.agents)
	assert.Equal(t, []string{"search:success", "fetch:success"}, s.tools)
	assert.Equal(t, []string{"gpt-4o", "gpt-4o", "gpt-4o-mini", "gpt-4o", "gpt-4o(dup)", "gpt-4o", "gpt-4o"}, s.calls)
	assert.Equal(t, Counts{Spans: 12, Calls: 7, Nested: 1, Skipped: 5}, c)

	// Without the nested rule both spans of the pair count, for the agent
	// too.
	s, c = extractSeen(NewExtractor(genai.Options{}, false), agentBatch())
	assert.Equal(t, []string{"researcher:1:1", "planner:4:1"}, s.agents)
	assert.Equal(t, Counts{Spans: 12, Calls: 7, Skipped: 5}, c)
}

// An agent split from its children across two batches counts what each
// batch holds (COUNTING.md: groupbytrace puts them together).
func TestAgentSplitAcrossBatches(t *testing.T) {
	e := NewExtractor(genai.Options{}, true)
	first := ptrace.NewTraces()
	ss := first.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	gspan(ss, "chat", 1, 2, 1, chatAttrs("gpt-4o"))
	gspan(ss, "tool", 1, 3, 1, toolAttrs("search"))
	s, _ := extractSeen(e, first)
	assert.Empty(t, s.agents)
	assert.Len(t, s.calls, 1)

	second := ptrace.NewTraces()
	ss = second.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	gspan(ss, "chat", 1, 4, 1, chatAttrs("gpt-4o"))
	gspan(ss, "planner", 1, 1, 0, agentAttrs("planner"))
	s, _ = extractSeen(e, second)
	assert.Equal(t, []string{"planner:1:0"}, s.agents)
}

// A Vercel generateText with a functionId is an agent when tools were
// offered (ai.prompt.tools on a call) or called under it; else it is no
// agent.
func TestTentativeAgents(t *testing.T) {
	vercel := func(fn string) map[string]any {
		return map[string]any{"ai.operationId": "ai.generateText", "ai.telemetry.functionId": fn}
	}
	doGenerate := func(tools bool) map[string]any {
		m := map[string]any{"ai.operationId": "ai.generateText.doGenerate", "ai.model.id": "gpt-4o"}
		if tools {
			m["ai.prompt.tools"] = []any{`{"type":"function","name":"weather"}`}
		}
		return m
	}
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	gspan(ss, "ai.generateText.doGenerate", 1, 2, 1, doGenerate(true))
	gspan(ss, "ai.generateText.doGenerate", 1, 3, 1, doGenerate(false))
	gspan(ss, "ai.generateText", 1, 1, 0, vercel("offered"))
	gspan(ss, "ai.toolCall", 2, 2, 1, map[string]any{"ai.operationId": "ai.toolCall", "ai.toolCall.name": "weather"})
	gspan(ss, "ai.generateText.doGenerate", 2, 3, 1, doGenerate(false))
	gspan(ss, "ai.generateText", 2, 1, 0, vercel("called"))
	gspan(ss, "ai.generateText.doGenerate", 3, 2, 1, doGenerate(false))
	gspan(ss, "ai.generateText", 3, 1, 0, vercel("plain"))
	s, _ := extractSeen(NewExtractor(genai.Options{}, true), td)
	assert.Equal(t, []string{"offered:2:0", "called:1:1"}, s.agents)
	assert.Equal(t, []string{"weather:success"}, s.tools)
}

// A guardrail span's own result counts once (its result events are then
// not counted again); a guardrail span without one counts each result
// event; result events on other spans count; evaluation events count.
func TestGuardrailsAndEvaluations(t *testing.T) {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	event := func(sp ptrace.Span, name string, attrs map[string]any) {
		ev := sp.Events().AppendEmpty()
		ev.SetName(name)
		if err := ev.Attributes().FromRaw(attrs); err != nil {
			panic(err)
		}
	}
	own := gspan(ss, "apply_guardrail", 1, 1, 0, map[string]any{
		"gen_ai.operation.name": "apply_guardrail", "gen_ai.guardrail.component.name": "pii", "gen_ai.guardrail.result.value": "GUARDRAIL_INTERVENED",
	})
	event(own, genai.EventGuardrailResult, map[string]any{"gen_ai.guardrail.result.value": "NONE"})
	events := gspan(ss, "apply_guardrail", 1, 2, 0, map[string]any{
		"gen_ai.operation.name": "apply_guardrail", "gen_ai.guardrail.component.name": "azure",
	})
	event(events, genai.EventGuardrailResult, map[string]any{"gen_ai.guardrail.result.value": "MATCH_FOUND"})
	event(events, genai.EventGuardrailResult, map[string]any{"gen_ai.guardrail.result.value": "NO_MATCH"})
	gspan(ss, "apply_guardrail", 1, 3, 0, map[string]any{"gen_ai.operation.name": "apply_guardrail", "gen_ai.guardrail.component.name": "bare"})
	call := gspan(ss, "chat", 1, 4, 0, chatAttrs("gpt-4o"))
	event(call, genai.EventGuardrailResult, map[string]any{"gen_ai.guardrail.component.name": "toxicity", "gen_ai.guardrail.result.value": "passed"})
	event(call, genai.EventEvaluationResult, map[string]any{"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.label": "good"})
	event(call, "gen_ai.content.completion.chunk", nil)
	other := gspan(ss, "GET /", 1, 5, 0, nil)
	event(other, genai.EventEvaluationResult, map[string]any{"gen_ai.evaluation.name": "faithfulness"})

	for _, dedup := range []bool{true, false} {
		s, c := extractSeen(NewExtractor(genai.Options{}, dedup), td)
		assert.Equal(t, []string{"pii:blocked", "azure:blocked", "azure:allowed", "bare:", "toxicity:allowed"}, s.guardrails)
		assert.Equal(t, []string{"relevance:good", "faithfulness:"}, s.evaluations)
		assert.Equal(t, Counts{Spans: 5, Calls: 1, Skipped: 4}, c)
	}
}

// A batch of one agent and many wrapper spans keeps at most maxWrappers +
// 4 per counted span of them: memory follows the calls, not the spans.
func TestTreeMemoryBound(t *testing.T) {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	const wrappers = 20_000
	ss.EnsureCapacity(wrappers + 2)
	for i := range wrappers {
		sp := ss.AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{15: 3})
		sp.SetSpanID(pcommon.SpanID{6: byte(i >> 8), 7: byte(i)})
		sp.Attributes().PutStr("openinference.span.kind", "CHAIN")
	}
	gspan(ss, "chat", 1, 200, 1, chatAttrs("gpt-4o"))
	gspan(ss, "planner", 1, 1, 0, agentAttrs("planner"))

	e := NewExtractor(genai.Options{}, true)
	var nodes int
	s, _ := extractSeen(e, td)
	// The scratch went back to the free list: read its tree's capacity.
	sc := e.scratch.Get()
	nodes = cap(sc.tree.nodes)
	e.scratch.Put(sc)
	require.Equal(t, []string{"planner:1:0"}, s.agents)
	assert.LessOrEqual(t, nodes, 2*(maxWrappers+4*2+2), "tree nodes")
	assert.Empty(t, sc.tree.nodes, "reset after the batch")
}

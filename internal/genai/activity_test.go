// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// classifySpan runs Classify on one span named name.
func classifySpan(t *testing.T, name string, attrs map[string]any, mods ...spanMod) (Kind, Activity, Call) {
	t.Helper()
	span, res := mkSpan(attrs, mods...)
	span.SetName(name)
	var call Call
	var act Activity
	var rc ResourceCache
	kind := NewExtractor(Options{}).Classify(span, res, &rc, &call, &act)
	return kind, act, call
}

func TestClassifyActivities(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spanName string
		attrs    map[string]any
		kind     Kind
		actName  string
		tent     bool
		result   GuardrailResult
		invalid  Invalid
	}{
		// Agents.
		{"semconv invoke_agent", "invoke_agent planner", map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"}, KindAgent, "planner", false, 0, 0},
		{"agent name from the span name", "invoke_agent triage", map[string]any{"gen_ai.operation.name": "invoke_agent"}, KindAgent, "triage", false, 0, 0},
		{"span name only the operation", "invoke_agent", map[string]any{"gen_ai.operation.name": "invoke_agent"}, KindAgent, "", false, 0, 0},
		{"OpenInference AGENT", "AgentExecutor", map[string]any{"openinference.span.kind": "AGENT"}, KindAgent, "AgentExecutor", false, 0, 0},
		{"OpenInference agent.name", "agent", map[string]any{"openinference.span.kind": "AGENT", "agent.name": "researcher"}, KindAgent, "researcher", false, 0, 0},
		{"OpenLLMetry workflow", "joke_workflow.workflow", map[string]any{"traceloop.span.kind": "workflow", "traceloop.entity.name": "joke_workflow"}, KindAgent, "joke_workflow", false, 0, 0},
		{"OpenLLMetry task is a wrapper", "t.task", map[string]any{"traceloop.span.kind": "task", "traceloop.entity.name": "t"}, KindWrapper, "", false, 0, 0},
		{"Langfuse agent", "my-agent", map[string]any{"langfuse.observation.type": "agent"}, KindAgent, "my-agent", false, 0, 0},
		{"Vercel generateText with a functionId", "ai.generateText", map[string]any{"ai.operationId": "ai.generateText", "ai.telemetry.functionId": "weather-agent"}, KindAgent, "weather-agent", true, 0, 0},
		{"Vercel streamText with a functionId", "ai.streamText", map[string]any{"ai.operationId": "ai.streamText", "ai.telemetry.functionId": "chat"}, KindAgent, "chat", true, 0, 0},
		{"Vercel generateText without one", "ai.generateText", map[string]any{"ai.operationId": "ai.generateText"}, KindWrapper, "", false, 0, 0},
		{"Vercel generateObject", "ai.generateObject", map[string]any{"ai.operationId": "ai.generateObject", "ai.telemetry.functionId": "x"}, KindWrapper, "", false, 0, 0},
		{"agent name a number", "invoke_agent", map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": 7}, KindAgent, "7", false, 0, 0},
		{"agent name a map", "invoke_agent x", map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": map[string]any{"a": 1}}, KindAgent, "", false, 0, InvalidName},
		// Tools.
		{"semconv execute_tool", "execute_tool get_weather", map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}, KindTool, "get_weather", false, 0, 0},
		{"tool name from the span name", "execute_tool search", map[string]any{"gen_ai.operation.name": "execute_tool"}, KindTool, "search", false, 0, 0},
		{"OpenInference TOOL", "multiply", map[string]any{"openinference.span.kind": "TOOL", "tool.name": "multiply"}, KindTool, "multiply", false, 0, 0},
		{"Vercel ai.toolCall", "ai.toolCall", map[string]any{"ai.operationId": "ai.toolCall", "ai.toolCall.name": "weather"}, KindTool, "weather", false, 0, 0},
		{"Vercel ai.toolCall without a name", "ai.toolCall", map[string]any{"ai.operationId": "ai.toolCall"}, KindTool, "", false, 0, 0},
		{"OpenLLMetry tool", "get_time.tool", map[string]any{"traceloop.span.kind": "tool", "traceloop.entity.name": "get_time"}, KindTool, "get_time", false, 0, 0},
		{"LangSmith tool run", "calculator", map[string]any{"langsmith.span.kind": "tool"}, KindTool, "calculator", false, 0, 0},
		{"Langfuse tool", "lookup", map[string]any{"langfuse.observation.type": "tool"}, KindTool, "lookup", false, 0, 0},
		// Guardrails.
		{"semconv apply_guardrail, Bedrock intervened", "apply_guardrail Amazon Bedrock Guardrails", map[string]any{
			"gen_ai.operation.name": "apply_guardrail", "gen_ai.guardrail.component.name": "Amazon Bedrock Guardrails",
			"gen_ai.guardrail.result.type": "action", "gen_ai.guardrail.result.value": "GUARDRAIL_INTERVENED",
		}, KindGuardrail, "Amazon Bedrock Guardrails", false, GuardrailBlocked, 0},
		{"Bedrock NONE is allowed", "apply_guardrail", map[string]any{
			"gen_ai.operation.name": "apply_guardrail", "gen_ai.guardrail.policy.id": "gr-1", "gen_ai.guardrail.result.value": "NONE",
		}, KindGuardrail, "gr-1", false, GuardrailAllowed, 0},
		{"OpenAI Agents tripwire (bool)", "apply_guardrail", map[string]any{
			"gen_ai.operation.name": "apply_guardrail", "gen_ai.guardrail.component.name": "OpenAI Agents",
			"gen_ai.guardrail.result.type": "tripwire_triggered", "gen_ai.guardrail.result.value": true,
		}, KindGuardrail, "OpenAI Agents", false, GuardrailBlocked, 0},
		{"Azure severity maps to nothing", "apply_guardrail", map[string]any{
			"gen_ai.operation.name": "apply_guardrail", "gen_ai.guardrail.result.type": "severity", "gen_ai.guardrail.result.value": "6",
		}, KindGuardrail, "", false, GuardrailNone, InvalidGuardrailResult},
		{"OpenInference GUARDRAIL failing", "moderation", map[string]any{"openinference.span.kind": "GUARDRAIL", "error.type": "Timeout"}, KindGuardrail, "moderation", false, GuardrailError, 0},
		{"Langfuse guardrail", "pii", map[string]any{"langfuse.observation.type": "guardrail", "guardrail.result": "redacted"}, KindGuardrail, "pii", false, GuardrailModified, 0},
		{"LangChain createAgent graph (OpenInference CHAIN named like lc_agent_name)", "weather-agent", map[string]any{
			"openinference.span.kind": "CHAIN", "metadata": `{"ls_integration":"langchain_create_agent","lc_agent_name":"weather-agent"}`,
		}, KindAgent, "weather-agent", false, 0, 0},
		{"a node of that graph is a wrapper", "model_request", map[string]any{
			"openinference.span.kind": "CHAIN", "metadata": `{"lc_agent_name":"weather-agent","langgraph_node":"model_request"}`,
		}, KindWrapper, "", false, 0, 0},
		// Wrappers and others.
		{"OpenInference CHAIN", "RunnableSequence", map[string]any{"openinference.span.kind": "CHAIN"}, KindWrapper, "", false, 0, 0},
		{"semconv retrieval", "retrieval", map[string]any{"gen_ai.operation.name": "retrieval"}, KindWrapper, "", false, 0, 0},
		{"an unknown operation", "plan", map[string]any{"gen_ai.operation.name": "plan"}, KindWrapper, "", false, 0, 0},
		{"HTTP span", "GET /", map[string]any{"http.request.method": "GET"}, KindNone, "", false, 0, 0},
		{"an empty detection value", "x", map[string]any{"gen_ai.operation.name": ""}, KindNone, "", false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, act, _ := classifySpan(t, tc.spanName, tc.attrs)
			require.Equal(t, tc.kind, kind)
			if kind == KindNone {
				assert.Equal(t, Activity{}, act, "not read")
				return
			}
			assert.Equal(t, tc.kind, act.Kind)
			assert.Equal(t, traceID, act.TraceID)
			assert.Equal(t, spanID, act.SpanID)
			if kind == KindWrapper {
				assert.Empty(t, act.Name)
				return
			}
			assert.Equal(t, tc.actName, act.Name)
			assert.Equal(t, tc.tent, act.Tentative)
			assert.Equal(t, tc.result, act.Guardrail)
			assert.Equal(t, tc.invalid, act.Invalid)
			assert.True(t, act.HasDuration)
			assert.InDelta(t, 2.0, act.Duration, 0)
		})
	}
}

// A failed tool or agent: span status ERROR or an error attribute, never
// its finish reason.
func TestClassifyActivityStatus(t *testing.T) {
	tool := map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "t"}
	_, act, _ := classifySpan(t, "x", tool, withStatus(ptrace.StatusCodeError, "boom"))
	assert.Equal(t, StatusError, act.Status)
	_, act, _ = classifySpan(t, "x", map[string]any{"gen_ai.operation.name": "execute_tool", "error.type": "ValueError"})
	assert.Equal(t, StatusError, act.Status)
	_, act, _ = classifySpan(t, "x", map[string]any{
		"ai.operationId": "ai.generateText", "ai.telemetry.functionId": "f", "ai.response.finishReason": "content-filter",
	})
	assert.Equal(t, StatusSuccess, act.Status)
	_, act, _ = classifySpan(t, "x", tool, withTimes(tEnd, t0))
	assert.False(t, act.HasDuration)
	assert.Equal(t, InvalidDuration, act.Invalid)
}

// Without an Activity, Classify reads no span that is no call, and
// ExtractCached is Classify's KindCall.
func TestClassifyWithoutActivity(t *testing.T) {
	e := NewExtractor(Options{})
	span, res := mkSpan(map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "t"})
	var call Call
	var rc ResourceCache
	assert.Equal(t, KindWrapper, e.Classify(span, res, &rc, &call, nil))
	assert.False(t, e.ExtractCached(span, res, &rc, &call))
	span, res = mkSpan(chat(map[string]any{"ai.prompt.tools": []any{`{"name":"w"}`}}))
	var act Activity
	assert.Equal(t, KindCall, e.Classify(span, res, &rc, &call, &act))
	assert.True(t, call.ToolsOffered)
	assert.Equal(t, Activity{}, act, "a call leaves the activity untouched")
}

func TestInterrupted(t *testing.T) {
	streamed := chat(map[string]any{"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 0.5})
	_, _, c := classifySpan(t, "x", streamed, withStatus(ptrace.StatusCodeError, ""))
	assert.True(t, c.Interrupted())
	_, _, c = classifySpan(t, "x", streamed)
	assert.False(t, c.Interrupted(), "completed")
	_, _, c = classifySpan(t, "x", chat(map[string]any{"gen_ai.request.stream": true}), withStatus(ptrace.StatusCodeError, ""))
	assert.False(t, c.Interrupted(), "failed before its first chunk")
	_, _, c = classifySpan(t, "x", chat(nil), withStatus(ptrace.StatusCodeError, ""))
	assert.False(t, c.Interrupted(), "not streamed")
}

func TestReadEvaluation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]any
		want  Evaluation
	}{
		{
			"full",
			map[string]any{"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.75, "gen_ai.evaluation.score.label": "pass"},
			Evaluation{Name: "relevance", Score: 0.75, HasScore: true, Label: "pass"},
		},
		{"int score", map[string]any{"gen_ai.evaluation.name": "r", "gen_ai.evaluation.score.value": 1}, Evaluation{Name: "r", Score: 1, HasScore: true}},
		{"bounds", map[string]any{"gen_ai.evaluation.name": "r", "gen_ai.evaluation.score.value": 0.0}, Evaluation{Name: "r", Score: 0, HasScore: true}},
		{"label only", map[string]any{"gen_ai.evaluation.name": "r", "gen_ai.evaluation.score.label": "toxic"}, Evaluation{Name: "r", Label: "toxic"}},
		{"NaN", map[string]any{"gen_ai.evaluation.name": "r", "gen_ai.evaluation.score.value": math.NaN()}, Evaluation{Name: "r", Invalid: InvalidEvaluationScore}},
		{"-Inf", map[string]any{"gen_ai.evaluation.name": "r", "gen_ai.evaluation.score.value": math.Inf(-1)}, Evaluation{Name: "r", Invalid: InvalidEvaluationScore}},
		{"above 1", map[string]any{"gen_ai.evaluation.name": "r", "gen_ai.evaluation.score.value": 4}, Evaluation{Name: "r", Invalid: InvalidEvaluationScore}},
		{"string", map[string]any{"gen_ai.evaluation.name": "r", "gen_ai.evaluation.score.value": "0.5"}, Evaluation{Name: "r", Invalid: InvalidEvaluationScore}},
		{"bool", map[string]any{"gen_ai.evaluation.name": "r", "gen_ai.evaluation.score.value": true}, Evaluation{Name: "r", Invalid: InvalidEvaluationScore}},
		{"no name", map[string]any{"gen_ai.evaluation.score.value": 0.5}, Evaluation{Score: 0.5, HasScore: true, Invalid: InvalidEvaluationName}},
		{
			"name a slice, label bytes",
			map[string]any{"gen_ai.evaluation.name": []any{"a"}, "gen_ai.evaluation.score.label": []byte("x")},
			Evaluation{Invalid: InvalidEvaluationName | InvalidEvaluationLabel},
		},
		{"name a number", map[string]any{"gen_ai.evaluation.name": 3, "gen_ai.evaluation.score.label": false}, Evaluation{Name: "3", Label: "false"}},
		{"nothing", map[string]any{}, Evaluation{Invalid: InvalidEvaluationName}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := pcommon.NewMap()
			require.NoError(t, m.FromRaw(tc.attrs))
			var ev Evaluation
			ev.Name = "stale" // ReadEvaluation starts from zero
			ReadEvaluation(m, &ev)
			assert.Equal(t, tc.want, ev)
		})
	}
}

func TestReadGuardrailEvent(t *testing.T) {
	e := NewExtractor(Options{})
	for _, tc := range []struct {
		attrs map[string]any
		want  Activity
	}{
		{
			map[string]any{"gen_ai.guardrail.component.name": "Azure AI Content Safety", "gen_ai.guardrail.result.type": "filter_match_state", "gen_ai.guardrail.result.value": "MATCH_FOUND"},
			Activity{Kind: KindGuardrail, FromEvent: true, Name: "Azure AI Content Safety", Guardrail: GuardrailBlocked},
		},
		{
			map[string]any{"gen_ai.guardrail.component.name": "x", "gen_ai.guardrail.result.value": "NO_MATCH"},
			Activity{Kind: KindGuardrail, FromEvent: true, Name: "x", Guardrail: GuardrailAllowed},
		},
		{
			map[string]any{"gen_ai.guardrail.component.name": "x", "gen_ai.guardrail.result.value": "maybe"},
			Activity{Kind: KindGuardrail, FromEvent: true, Name: "x", Invalid: InvalidGuardrailResult},
		},
		{
			map[string]any{"gen_ai.guardrail.component.name": "x"},
			Activity{Kind: KindGuardrail, FromEvent: true, Name: "x", Invalid: InvalidGuardrailResult},
		},
	} {
		m := pcommon.NewMap()
		require.NoError(t, m.FromRaw(tc.attrs))
		var a Activity
		e.ReadGuardrailEvent(m, &a)
		assert.Equal(t, tc.want, a)
	}
}

func TestKindNames(t *testing.T) {
	assert.Equal(t, "agent", KindAgent.String())
	assert.Equal(t, "none", Kind(99).String())
	assert.Equal(t, "tool_calls", FinishToolCalls.String())
	assert.Equal(t, "other", FinishReason(99).String())
	assert.Equal(t, "modified", GuardrailModified.String())
	assert.Empty(t, GuardrailResult(99).String())
}

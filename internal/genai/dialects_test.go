// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// dialectCase is one span of an instrumentation library and the Call it must
// give (nil want: the span must not be counted).
type dialectCase struct {
	name  string
	attrs map[string]any
	mods  []spanMod
	want  func(*Call)
}

// call returns the Call of a 2 s span built by mkSpan, with operation chat,
// modified by mods.
func call(mods ...func(*Call)) func(*Call) {
	return func(c *Call) {
		*c = Call{Operation: OpChat, Duration: 2, HasDuration: true, Time: int64(tEnd), TraceID: traceID, SpanID: spanID}
		for _, m := range mods {
			m(c)
		}
	}
}

func runDialectCases(t *testing.T, cases []dialectCase) {
	t.Helper()
	e := NewExtractor(Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			span, res := mkSpan(tc.attrs, tc.mods...)
			var got Call
			counted := e.Extract(span, res, &got)
			if tc.want == nil {
				assert.False(t, counted, "must not be counted")
				return
			}
			require.True(t, counted, "must be counted")
			var want Call
			tc.want(&want)
			assert.Equal(t, want, got)
		})
	}
}

// Small Call modifiers.
func provider(p string) func(*Call)     { return func(c *Call) { c.Provider = p } }
func op(o string) func(*Call)           { return func(c *Call) { c.Operation = o } }
func reqModel(m string) func(*Call)     { return func(c *Call) { c.RequestModel = m } }
func respModel(m string) func(*Call)    { return func(c *Call) { c.ResponseModel = m } }
func template(s string) func(*Call)     { return func(c *Call) { c.Template = s } }
func finish(f FinishReason) func(*Call) { return func(c *Call) { c.FinishReason = f } }
func streamed() func(*Call)             { return func(c *Call) { c.Streamed = true } }
func ttft(s float64) func(*Call) {
	return func(c *Call) { c.Streamed, c.TTFT, c.HasTTFT = true, s, true }
}
func cost(usd float64) func(*Call)     { return func(c *Call) { c.Cost, c.HasCost = usd, true } }
func invalid(bits Invalid) func(*Call) { return func(c *Call) { c.Invalid |= bits } }
func tokensIn(n int64) func(*Call) {
	return func(c *Call) { c.InputTokens, c.HasInputTokens = n, true }
}

func tokensOut(n int64) func(*Call) {
	return func(c *Call) { c.OutputTokens, c.HasOutputTokens = n, true }
}

func tokensCached(n int64) func(*Call) {
	return func(c *Call) { c.CachedInputTokens, c.HasCachedInput = n, true }
}

func tokensCacheWrite(n int64) func(*Call) {
	return func(c *Call) { c.CacheCreationInputTokens, c.HasCacheCreation = n, true }
}

func tokensReasoning(n int64) func(*Call) {
	return func(c *Call) { c.ReasoningTokens, c.HasReasoning = n, true }
}

func tokens(in, out int64) func(*Call) {
	return func(c *Call) { tokensIn(in)(c); tokensOut(out)(c) }
}

// merge returns base with extra merged in (a del value removes the key).
func merge(base, extra map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range extra {
		if _, ok := v.(removed); ok {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

func chunkAt(name string, ms int) spanMod {
	return withEvent(name, time.Duration(ms)*time.Millisecond, nil)
}

func TestDialectOpenLLMetry(t *testing.T) {
	old := map[string]any{"llm.vendor": "OpenAI", "llm.request.type": "chat", "llm.request.model": "gpt-3.5-turbo"}
	v047 := map[string]any{"gen_ai.system": "openai", "llm.request.type": "chat", "gen_ai.request.model": "gpt-4o"}
	v055 := map[string]any{"gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}
	runDialectCases(t, []dialectCase{
		{
			"2023: llm.vendor, llm.request.model, llm.usage.*",
			merge(old, map[string]any{"llm.response.model": "gpt-3.5-turbo-0613", "llm.usage.prompt_tokens": 42, "llm.usage.completion_tokens": 17, "llm.usage.total_tokens": 59}),
			nil, call(provider("openai"), reqModel("gpt-3.5-turbo"), respModel("gpt-3.5-turbo-0613"), tokens(42, 17)),
		},
		{
			"llm.request.type completion is a text completion",
			merge(old, map[string]any{"llm.request.type": "completion", "llm.vendor": "Anthropic"}),
			nil, call(provider("anthropic"), op(OpTextCompletion), reqModel("gpt-3.5-turbo")),
		},
		{
			"llm.request.type embedding",
			merge(old, map[string]any{"llm.request.type": "embedding", "llm.request.model": "text-embedding-ada-002"}),
			nil, call(provider("openai"), op(OpEmbeddings), reqModel("text-embedding-ada-002")),
		},
		{"llm.request.type rerank is not counted", merge(old, map[string]any{"llm.request.type": "rerank"}), nil, nil},
		{"llm.request.type unknown is not counted", merge(old, map[string]any{"llm.request.type": "unknown"}), nil, nil},
		{
			"≤0.47: capitalized gen_ai.system, prompt/completion tokens, cache_read_input_tokens",
			merge(v047, map[string]any{
				"gen_ai.system": "Anthropic", "gen_ai.usage.prompt_tokens": 2048, "gen_ai.usage.completion_tokens": 311,
				"gen_ai.usage.cache_read_input_tokens": 1536, "llm.usage.total_tokens": 2359,
			}),
			nil, call(provider("anthropic"), reqModel("gpt-4o"), tokens(2048, 311), tokensCached(1536)),
		},
		{
			"≤0.47: cache_creation_input_tokens",
			merge(v047, map[string]any{
				"gen_ai.system": "Anthropic", "gen_ai.usage.prompt_tokens": 2048, "gen_ai.usage.completion_tokens": 311,
				"gen_ai.usage.cache_read_input_tokens": 512, "gen_ai.usage.cache_creation_input_tokens": 1024,
			}),
			nil, call(provider("anthropic"), reqModel("gpt-4o"), tokens(2048, 311), tokensCached(512), tokensCacheWrite(1024)),
		},
		{"≤0.47: AWS is Bedrock", merge(v047, map[string]any{"gen_ai.system": "AWS"}), nil, call(provider("aws.bedrock"), reqModel("gpt-4o"))},
		{"≤0.47: Azure is Azure OpenAI", merge(v047, map[string]any{"gen_ai.system": "Azure"}), nil, call(provider("azure.ai.openai"), reqModel("gpt-4o"))},
		{"≤0.47: MistralAI", merge(v047, map[string]any{"gen_ai.system": "MistralAI"}), nil, call(provider("mistral_ai"), reqModel("gpt-4o"))},
		{"≤0.47: VertexAI", merge(v047, map[string]any{"gen_ai.system": "VertexAI"}), nil, call(provider("gcp.vertex_ai"), reqModel("gpt-4o"))},
		{"≤0.47: Watsonx", merge(v047, map[string]any{"gen_ai.system": "Watsonx"}), nil, call(provider("ibm.watsonx.ai"), reqModel("gpt-4o"))},
		{
			"≤0.53: llm.is_streaming and llm.content.completion.chunk events",
			merge(v047, map[string]any{"llm.is_streaming": true, "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5}),
			[]spanMod{chunkAt("llm.content.completion.chunk", 380), chunkAt("llm.content.completion.chunk", 420)},
			call(provider("openai"), reqModel("gpt-4o"), tokens(10, 5), ttft(0.38)),
		},
		{
			"≤0.53: llm.is_streaming false wins over chunk events",
			merge(v047, map[string]any{"llm.is_streaming": false}),
			[]spanMod{chunkAt("llm.content.completion.chunk", 380)},
			call(provider("openai"), reqModel("gpt-4o")),
		},
		{
			"traceloop.prompt.key is the template",
			merge(v047, map[string]any{"traceloop.prompt.key": "joke", "traceloop.prompt.version": 3}),
			nil, call(provider("openai"), reqModel("gpt-4o"), template("joke")),
		},
		{
			"≥0.55: provider.name, operation.name, reasoning_tokens, gen_ai.is_streaming, gen_ai.content.completion.chunk",
			merge(v055, map[string]any{
				"gen_ai.is_streaming": true, "gen_ai.usage.input_tokens": 700, "gen_ai.usage.output_tokens": 350,
				"gen_ai.usage.cache_read.input_tokens": 512, "gen_ai.usage.reasoning_tokens": 128, "gen_ai.usage.total_tokens": 1050,
			}),
			[]spanMod{chunkAt("gen_ai.content.completion.chunk", 750)},
			call(provider("openai"), reqModel("gpt-4o"), tokens(700, 350), tokensCached(512), tokensReasoning(128), ttft(0.75)),
		},
		{
			"≥0.55: az.ai.openai", merge(v055, map[string]any{"gen_ai.provider.name": "az.ai.openai", "gen_ai.operation.name": "embeddings"}),
			nil, call(provider("azure.ai.openai"), op(OpEmbeddings), reqModel("gpt-4o")),
		},
		{"workflow span", map[string]any{"traceloop.span.kind": "workflow", "traceloop.workflow.name": "w", "llm.usage.total_tokens": 9}, nil, nil},
		{"task span", map[string]any{"traceloop.span.kind": "task"}, nil, nil},
		{"agent span, even with an LLM operation", merge(v055, map[string]any{"traceloop.span.kind": "agent"}), nil, nil},
		{"tool span", map[string]any{"traceloop.span.kind": "tool", "llm.request.type": "chat"}, nil, nil},
	})
}

func TestDialectOpenInference(t *testing.T) {
	llm := map[string]any{"openinference.span.kind": "LLM", "llm.provider": "openai", "llm.system": "openai"}
	runDialectCases(t, []dialectCase{
		{
			"LLM span: invocation parameters model is the request model, llm.model_name the response model",
			merge(llm, map[string]any{
				"llm.model_name": "gpt-4o-2024-08-06", "llm.invocation_parameters": `{"temperature": 0.1, "model": "gpt-4o"}`,
				"llm.token_count.prompt": 812, "llm.token_count.completion": 96, "llm.token_count.total": 908,
				"llm.token_count.prompt_details.cache_read": 512, "llm.token_count.completion_details.reasoning": 64, "llm.cost.total": 0.003,
			}),
			[]spanMod{func(s ptrace.Span, _ pcommon.Resource) { s.SetKind(ptrace.SpanKindInternal) }},
			call(provider("openai"), reqModel("gpt-4o"), respModel("gpt-4o-2024-08-06"), tokens(812, 96), tokensCached(512), tokensReasoning(64), cost(0.003)),
		},
		{
			"prompt_details.cache_write", merge(llm, map[string]any{
				"llm.model_name":         "claude-sonnet-4-5",
				"llm.token_count.prompt": 3000, "llm.token_count.completion": 20,
				"llm.token_count.prompt_details.cache_read": 1000, "llm.token_count.prompt_details.cache_write": 1900,
			}),
			nil, call(provider("openai"), respModel("claude-sonnet-4-5"), tokens(3000, 20), tokensCached(1000), tokensCacheWrite(1900)),
		},
		{"lower-case kind", merge(llm, map[string]any{"openinference.span.kind": "llm"}), nil, call(provider("openai"))},
		{
			"EMBEDDING span", merge(llm, map[string]any{"openinference.span.kind": "EMBEDDING", "embedding.model_name": "text-embedding-3-small", "llm.token_count.prompt": 9}),
			nil, call(provider("openai"), op(OpEmbeddings), respModel("text-embedding-3-small"), tokensIn(9)),
		},
		{"CHAIN with totals", merge(llm, map[string]any{"openinference.span.kind": "CHAIN", "llm.token_count.prompt": 900}), nil, nil},
		{"TOOL", merge(llm, map[string]any{"openinference.span.kind": "TOOL"}), nil, nil},
		{"AGENT", merge(llm, map[string]any{"openinference.span.kind": "AGENT", "llm.token_count.total": 2000}), nil, nil},
		{"RETRIEVER", map[string]any{"openinference.span.kind": "RETRIEVER"}, nil, nil},
		{"RERANKER", map[string]any{"openinference.span.kind": "RERANKER"}, nil, nil},
		{"GUARDRAIL", map[string]any{"openinference.span.kind": "GUARDRAIL"}, nil, nil},
		{"EVALUATOR", map[string]any{"openinference.span.kind": "EVALUATOR"}, nil, nil},
		{"PROMPT", map[string]any{"openinference.span.kind": "PROMPT"}, nil, nil},
		{"UNKNOWN", map[string]any{"openinference.span.kind": "UNKNOWN", "llm.model_name": "x"}, nil, nil},
		{
			"LangChain: model_name in the invocation parameters",
			merge(llm, map[string]any{"llm.provider": "anthropic", "llm.invocation_parameters": `{"model_name": "claude-3-5-sonnet-20241022", "stop": null}`}),
			nil, call(provider("anthropic"), reqModel("claude-3-5-sonnet-20241022")),
		},
		{
			"2026-08 request and response model names win",
			merge(llm, map[string]any{
				"llm.request.model_name": "gpt-4.1", "llm.response.model_name": "gpt-4.1-2025-04-14",
				"llm.model_name": "ignored", "llm.invocation_parameters": `{"model": "ignored"}`,
			}),
			nil, call(provider("openai"), reqModel("gpt-4.1"), respModel("gpt-4.1-2025-04-14")),
		},
		{
			"malformed invocation parameters: no request model, nothing invalid",
			merge(llm, map[string]any{"llm.invocation_parameters": `{"temperature": 0.1 "model": "gpt-4o"}`, "llm.model_name": "gpt-4o-2024-08-06"}),
			nil, call(provider("openai"), respModel("gpt-4o-2024-08-06")),
		},
		{
			"invocation parameters truncated (attribute length limit) after the model",
			merge(llm, map[string]any{"llm.invocation_parameters": `{"model": "gpt-4o", "tools": [{"type": "func`}),
			nil, call(provider("openai"), reqModel("gpt-4o")),
		},
		{"model null in the invocation parameters", merge(llm, map[string]any{"llm.invocation_parameters": `{"model": null}`}), nil, call(provider("openai"))},
		{
			"invocation parameters as an attribute map",
			merge(llm, map[string]any{"llm.invocation_parameters": map[string]any{"model": "gpt-4o", "stream": true}}),
			nil, call(provider("openai"), reqModel("gpt-4o"), streamed()),
		},
		{
			"stream in the invocation parameters and First Token Stream Event",
			merge(llm, map[string]any{"llm.invocation_parameters": `{"model": "gpt-4o-mini", "stream": true, "stream_options": {"include_usage": true}}`}),
			[]spanMod{chunkAt("First Token Stream Event", 410)},
			call(provider("openai"), reqModel("gpt-4o-mini"), ttft(0.41)),
		},
		{
			"stream false in the invocation parameters wins over the event",
			merge(llm, map[string]any{"llm.invocation_parameters": `{"model": "gpt-4o-mini", "stream": false}`}),
			[]spanMod{chunkAt("First Token Stream Event", 410)},
			call(provider("openai"), reqModel("gpt-4o-mini")),
		},
		{
			"OK span with llm.finish_reason content_filter (openinference-instrumentation-openai JS)",
			merge(llm, map[string]any{"llm.finish_reason": "content_filter"}), nil, call(provider("openai"), failed(ReasonSafetyBlock), finish(FinishContentFilter)),
		},
		{"llm.finish_reason stop", merge(llm, map[string]any{"llm.finish_reason": "stop"}), nil, call(provider("openai"), finish(FinishStop))},
		{"llm.provider wins over llm.system", merge(llm, map[string]any{"llm.provider": "azure", "llm.system": "openai"}), nil, call(provider("azure.ai.openai"))},
		{"llm.system alone", merge(llm, map[string]any{"llm.provider": del, "llm.system": "vertexai"}), nil, call(provider("gcp.vertex_ai"))},
		{"google is any Google endpoint", merge(llm, map[string]any{"llm.provider": "google"}), nil, call(provider("gcp.gen_ai"))},
		{"aws is Bedrock", merge(llm, map[string]any{"llm.provider": "aws"}), nil, call(provider("aws.bedrock"))},
		{"mistralai", merge(llm, map[string]any{"llm.provider": "mistralai"}), nil, call(provider("mistral_ai"))},
	})
}

func TestDialectOpenLIT(t *testing.T) {
	base := map[string]any{"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}
	runDialectCases(t, []dialectCase{
		{
			"streamed (is_stream): server TTFT trusted",
			merge(base, map[string]any{"gen_ai.request.is_stream": true, "gen_ai.server.time_to_first_token": 0.35, "gen_ai.usage.cost": 0.0012}),
			nil, call(provider("openai"), reqModel("gpt-4o"), ttft(0.35), cost(0.0012)),
		},
		{
			"streamed (request.stream): server TTFT trusted",
			merge(base, map[string]any{"gen_ai.request.stream": true, "gen_ai.server.time_to_first_token": 0.35}),
			nil, call(provider("openai"), reqModel("gpt-4o"), ttft(0.35)),
		},
		{
			"not streamed: server TTFT (the whole duration) ignored, not invalid",
			merge(base, map[string]any{"gen_ai.request.is_stream": false, "gen_ai.server.time_to_first_token": 2.0}),
			nil, call(provider("openai"), reqModel("gpt-4o")),
		},
		{
			"no stream flag: server TTFT ignored and does not mark the call streamed",
			merge(base, map[string]any{"gen_ai.server.time_to_first_token": 2.0}),
			nil, call(provider("openai"), reqModel("gpt-4o")),
		},
		{
			"no stream flag: a chunk event still gives the TTFT",
			merge(base, map[string]any{"gen_ai.server.time_to_first_token": 2.0}),
			[]spanMod{chunkAt("gen_ai.content.completion.chunk", 300)},
			call(provider("openai"), reqModel("gpt-4o"), ttft(0.3)),
		},
		{
			"no stream flag: a later trusted TTFT source applies",
			merge(base, map[string]any{"gen_ai.server.time_to_first_token": 2.0, "langfuse.observation.completion_start_time": "2026-08-01T12:00:00.25Z"}),
			nil, call(provider("openai"), reqModel("gpt-4o"), ttft(0.25)),
		},
		{
			"streamed, invalid server TTFT is invalid",
			merge(base, map[string]any{"gen_ai.request.is_stream": true, "gen_ai.server.time_to_first_token": 3.0}),
			nil, call(provider("openai"), reqModel("gpt-4o"), streamed(), invalid(InvalidTTFT)),
		},
		{
			"reasoning tokens", merge(base, map[string]any{"gen_ai.usage.reasoning_tokens": 1792, "gen_ai.usage.output_tokens": 2100}),
			nil, call(provider("openai"), reqModel("gpt-4o"), tokensOut(2100), tokensReasoning(1792)),
		},
	})
}

func TestDialectVercelAI(t *testing.T) {
	v6 := func(opID string, extra map[string]any) map[string]any {
		return merge(map[string]any{
			"ai.operationId": opID, "operation.name": opID + " fn", "ai.model.id": "gpt-4o", "ai.model.provider": "openai.chat",
			"ai.telemetry.functionId": "fn",
		}, extra)
	}
	base := call(provider("openai"), reqModel("gpt-4o"), template("fn"))
	runDialectCases(t, []dialectCase{
		{
			"doGenerate, v4 usage names", v6("ai.generateText.doGenerate", map[string]any{"ai.usage.promptTokens": 140, "ai.usage.completionTokens": 18}),
			nil, call(base, tokens(140, 18)),
		},
		{
			"doGenerate, v5 usage names", v6("ai.generateText.doGenerate", map[string]any{
				"ai.usage.inputTokens": 2100, "ai.usage.outputTokens": 320, "ai.usage.cachedInputTokens": 2048, "ai.usage.reasoningTokens": 128,
			}),
			nil, call(base, tokens(2100, 320), tokensCached(2048), tokensReasoning(128)),
		},
		{
			"doGenerate, v6 token details", v6("ai.generateText.doGenerate", map[string]any{
				"ai.usage.inputTokens": 2100, "ai.usage.inputTokenDetails.cacheReadTokens": 2048, "ai.usage.outputTokenDetails.reasoningTokens": 128,
			}),
			nil, call(base, tokensIn(2100), tokensCached(2048), tokensReasoning(128)),
		},
		{
			"doGenerate, v6 cache write tokens", v6("ai.generateText.doGenerate", map[string]any{
				"ai.usage.inputTokens": 2100, "ai.usage.inputTokenDetails.noCacheTokens": 52,
				"ai.usage.inputTokenDetails.cacheReadTokens": 0, "ai.usage.inputTokenDetails.cacheWriteTokens": 2048,
			}),
			nil, call(base, tokensIn(2100), tokensCached(0), tokensCacheWrite(2048)),
		},
		{
			"gen_ai.* on do* spans win", v6("ai.generateText.doGenerate", map[string]any{
				"gen_ai.system": "openai.chat", "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
				"ai.response.model": "ignored", "gen_ai.usage.input_tokens": 5, "ai.usage.inputTokens": 6,
			}),
			nil, call(base, respModel("gpt-4o-2024-08-06"), tokensIn(5)),
		},
		{
			"doStream is streamed, msToFirstChunk in ms", v6("ai.streamText.doStream", map[string]any{"ai.response.msToFirstChunk": 250}),
			nil, call(base, ttft(0.25)),
		},
		{
			"doStream, ai.stream.firstChunk event", v6("ai.streamText.doStream", nil),
			[]spanMod{chunkAt("ai.stream.firstChunk", 640)},
			call(base, ttft(0.64)),
		},
		{"doStream without a TTFT source", v6("ai.streamObject.doStream", nil), nil, call(base, streamed())},
		{
			"doEmbed, ai.usage.tokens", v6("ai.embedMany.doEmbed", map[string]any{"ai.model.id": "text-embedding-3-small", "ai.model.provider": "openai.embedding", "ai.usage.tokens": 8}),
			nil, call(base, op(OpEmbeddings), reqModel("text-embedding-3-small"), tokensIn(8)),
		},
		{"generateObject.doGenerate", v6("ai.generateObject.doGenerate", map[string]any{"ai.model.provider": "openai.responses"}), nil, call(base)},
		{"ai.generateText parent", v6("ai.generateText", map[string]any{"ai.usage.promptTokens": 310}), nil, nil},
		{"ai.streamText parent", v6("ai.streamText", map[string]any{"ai.usage.inputTokens": 95}), nil, nil},
		{"ai.generateObject parent", v6("ai.generateObject", nil), nil, nil},
		{"ai.streamObject parent", v6("ai.streamObject", nil), nil, nil},
		{"ai.embed parent", v6("ai.embed", map[string]any{"ai.usage.tokens": 8}), nil, nil},
		{"ai.embedMany parent", v6("ai.embedMany", nil), nil, nil},
		{"ai.toolCall", v6("ai.toolCall", map[string]any{"ai.toolCall.name": "getWeather"}), nil, nil},
		{
			"content-filter finish reason on an OK span", v6("ai.streamText.doStream", map[string]any{"ai.response.finishReason": "content-filter"}),
			nil, call(base, streamed(), failed(ReasonSafetyBlock), finish(FinishContentFilter)),
		},
		{"tool-calls finish reason", v6("ai.generateText.doGenerate", map[string]any{"ai.response.finishReason": "tool-calls"}), nil, call(base, finish(FinishToolCalls))},
		{"anthropic.messages", v6("ai.generateText.doGenerate", map[string]any{"ai.model.provider": "anthropic.messages"}), nil, call(base, provider("anthropic"))},
		{
			"google.generative-ai is the Gemini API", v6("ai.generateText.doGenerate", map[string]any{"ai.model.provider": "google.generative-ai"}),
			nil, call(base, provider("gcp.gemini")),
		},
		{"google.vertex.chat", v6("ai.generateText.doGenerate", map[string]any{"ai.model.provider": "google.vertex.chat"}), nil, call(base, provider("gcp.vertex_ai"))},
		{"amazon-bedrock", v6("ai.generateText.doGenerate", map[string]any{"ai.model.provider": "amazon-bedrock"}), nil, call(base, provider("aws.bedrock"))},
		{"azure.chat", v6("ai.generateText.doGenerate", map[string]any{"ai.model.provider": "azure.chat"}), nil, call(base, provider("azure.ai.openai"))},
		{"mistral.chat", v6("ai.generateText.doGenerate", map[string]any{"ai.model.provider": "mistral.chat"}), nil, call(base, provider("mistral_ai"))},
		{"xai.chat", v6("ai.generateText.doGenerate", map[string]any{"ai.model.provider": "xai.chat"}), nil, call(base, provider("x_ai"))},
		{"an unknown provider keeps its name", v6("ai.generateText.doGenerate", map[string]any{"ai.model.provider": "deepinfra.chat"}), nil, call(base, provider("deepinfra"))},
		{"gen_ai.system in the Vercel form", v6("ai.generateText.doGenerate", map[string]any{"gen_ai.system": "groq.chat"}), nil, call(base, provider("groq"))},
		{
			"v7 chat span, TTFT attribute in seconds",
			map[string]any{
				"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4.1",
				"gen_ai.client.operation.time_to_first_chunk": 0.38, "gen_ai.client.operation.duration": 2.38,
			},
			nil, call(provider("openai"), reqModel("gpt-4.1"), ttft(0.38)),
		},
		{"v7 invoke_agent", map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 1900}, nil, nil},
		{"v7 step", map[string]any{"gen_ai.operation.name": "agent_step"}, nil, nil},
		{"v7 execute_tool", map[string]any{"gen_ai.operation.name": "execute_tool"}, nil, nil},
	})
}

func TestDialectLiteLLM(t *testing.T) {
	base := map[string]any{"llm.request.type": "acompletion", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini", "llm.is_streaming": "False"}
	runDialectCases(t, []dialectCase{
		{
			"acompletion, cost, JSON finish reasons",
			merge(base, map[string]any{
				"gen_ai.operation.name": "acompletion", "gen_ai.cost.total_cost": 0.000465,
				"gen_ai.usage.input_tokens": 400, "gen_ai.usage.output_tokens": 675, "gen_ai.response.finish_reasons": `["stop"]`,
			}),
			nil, call(provider("openai"), reqModel("gpt-4o-mini"), tokens(400, 675), cost(0.000465), finish(FinishStop)),
		},
		{
			"completion with gen_ai.operation.name chat",
			merge(base, map[string]any{"llm.request.type": "completion", "gen_ai.operation.name": "chat"}),
			nil, call(provider("openai"), reqModel("gpt-4o-mini")),
		},
		{
			"completion without gen_ai.operation.name (message logging off) reads as a text completion",
			merge(base, map[string]any{"llm.request.type": "completion"}),
			nil, call(provider("openai"), op(OpTextCompletion), reqModel("gpt-4o-mini")),
		},
		{
			"aembedding", merge(base, map[string]any{"llm.request.type": "aembedding", "gen_ai.operation.name": "aembedding"}),
			nil, call(provider("openai"), op(OpEmbeddings), reqModel("gpt-4o-mini")),
		},
		{
			"atext_completion", merge(base, map[string]any{"llm.request.type": "atext_completion"}),
			nil, call(provider("openai"), op(OpTextCompletion), reqModel("gpt-4o-mini")),
		},
		{"aresponses", merge(base, map[string]any{"llm.request.type": "aresponses"}), nil, call(provider("openai"), reqModel("gpt-4o-mini"))},
		{"image generation is not counted", merge(base, map[string]any{"llm.request.type": "aimage_generation", "gen_ai.operation.name": "aimage_generation"}), nil, nil},
		{"llm.is_streaming True", merge(base, map[string]any{"llm.is_streaming": "True"}), nil, call(provider("openai"), reqModel("gpt-4o-mini"), streamed())},
		{"raw_gen_ai_request child", map[string]any{"llm.openai.model": "gpt-4o-mini", "llm.openai.stream": false, "llm.openai.messages": "[]"}, nil, nil},
		{"proxy span without call attributes", map[string]any{"call_type": "acompletion", "service": "proxy_pre_call"}, nil, nil},
		{"guardrail span", map[string]any{"openinference.span.kind": "GUARDRAIL", "guardrail_name": "pii"}, nil, nil},
		{
			"content_filter in the JSON finish reasons", merge(base, map[string]any{"gen_ai.response.finish_reasons": `["content_filter"]`}),
			nil, call(provider("openai"), reqModel("gpt-4o-mini"), failed(ReasonSafetyBlock), finish(FinishContentFilter)),
		},
		{"azure", merge(base, map[string]any{"gen_ai.system": "azure"}), nil, call(provider("azure.ai.openai"), reqModel("gpt-4o-mini"))},
		{"azure_ai", merge(base, map[string]any{"gen_ai.system": "azure_ai"}), nil, call(provider("azure.ai.inference"), reqModel("gpt-4o-mini"))},
		{"bedrock", merge(base, map[string]any{"gen_ai.system": "bedrock"}), nil, call(provider("aws.bedrock"), reqModel("gpt-4o-mini"))},
		{"vertex_ai", merge(base, map[string]any{"gen_ai.system": "vertex_ai"}), nil, call(provider("gcp.vertex_ai"), reqModel("gpt-4o-mini"))},
		{"mistral", merge(base, map[string]any{"gen_ai.system": "mistral"}), nil, call(provider("mistral_ai"), reqModel("gpt-4o-mini"))},
	})
}

func TestDialectLangfuse(t *testing.T) {
	gen := map[string]any{"langfuse.observation.type": "generation", "langfuse.observation.model.name": "gpt-4o"}
	base := call(reqModel("gpt-4o"))
	startAt := func(ts string) map[string]any {
		return merge(gen, map[string]any{"langfuse.observation.completion_start_time": ts})
	}
	runDialectCases(t, []dialectCase{
		{
			"usage and cost JSON, prompt name", merge(gen, map[string]any{
				"langfuse.observation.usage_details": `{"input": 1250, "output": 310, "total": 1560, "input_cached_tokens": 1024}`,
				"langfuse.observation.cost_details":  `{"input": 0.003125, "output": 0.0031, "total": 0.006225}`,
				"langfuse.observation.prompt.name":   "support-answer", "langfuse.observation.prompt.version": 7,
			}),
			nil, call(base, tokens(1250, 310), tokensCached(1024), cost(0.006225), template("support-answer")),
		},
		{
			"Anthropic-style usage keys", merge(gen, map[string]any{
				"langfuse.observation.usage_details": `{"input": 10, "output": 5, "cache_read_input_tokens": 2, "cache_creation_input_tokens": 1}`,
			}),
			nil, call(base, tokens(10, 5), tokensCached(2), tokensCacheWrite(1)),
		},
		{
			"LangChain handler usage keys: input_cache_read, input_cache_creation", merge(gen, map[string]any{
				"langfuse.observation.usage_details": `{"input": 10, "output": 5, "input_cache_read": 2, "input_cache_creation": 40}`,
			}),
			nil, call(base, tokens(10, 5), tokensCached(2), tokensCacheWrite(40)),
		},
		{
			"OpenAI-style usage keys, reasoning", merge(gen, map[string]any{
				"langfuse.observation.usage_details": `{"prompt_tokens": 10, "completion_tokens": 5, "output_reasoning_tokens": 3}`,
			}),
			nil, call(base, tokens(10, 5), tokensReasoning(3)),
		},
		{
			"usage as an attribute map", merge(gen, map[string]any{"langfuse.observation.usage_details": map[string]any{"input": 7, "output": 2}}),
			nil, call(base, tokens(7, 2)),
		},
		{
			"usage numbers as JSON strings", merge(gen, map[string]any{"langfuse.observation.usage_details": `{"input": "7", "output": " 2 "}`}),
			nil, call(base, tokens(7, 2)),
		},
		{
			"negative usage is invalid", merge(gen, map[string]any{"langfuse.observation.usage_details": `{"input": -7, "output": 1.5}`}),
			nil, call(base, invalid(InvalidInputTokens|InvalidOutputTokens)),
		},
		{"malformed usage is absent", merge(gen, map[string]any{"langfuse.observation.usage_details": `{"input" 7}`}), nil, call(base)},
		{"usage that is not an object is absent", merge(gen, map[string]any{"langfuse.observation.usage_details": `[{"input": 7}]`}), nil, call(base)},
		{"usage without the members is absent", merge(gen, map[string]any{"langfuse.observation.usage_details": `{"characters": 40}`}), nil, call(base)},
		{
			"an earlier source wins over the JSON", merge(gen, map[string]any{"langfuse.observation.usage_details": `{"input": 7}`, "gen_ai.usage.input_tokens": 9}),
			nil, call(base, tokensIn(9)),
		},
		{"completion start time, JSON-quoted, Python offset", startAt(`"2026-08-01T12:00:00.512000+00:00"`), nil, call(base, ttft(0.512))},
		{"completion start time, Z", startAt("2026-08-01T12:00:01.25Z"), nil, call(base, ttft(1.25))},
		{"completion start time, no zone is UTC", startAt("2026-08-01T12:00:01.5"), nil, call(base, ttft(1.5))},
		{"completion start time, +02:00", startAt("2026-08-01T14:00:00.75+02:00"), nil, call(base, ttft(0.75))},
		{"completion start time, RFC 3339 without fraction", startAt("2026-08-01T12:00:01Z"), nil, call(base, ttft(1))},
		{"completion start time before the span start", startAt("2026-08-01T11:59:59.9Z"), nil, call(base, streamed(), invalid(InvalidTTFT))},
		{"completion start time after the span end", startAt("2026-08-01T12:00:02.001Z"), nil, call(base, streamed(), invalid(InvalidTTFT))},
		{"unparsable completion start time", startAt("yesterday"), nil, call(base, streamed(), invalid(InvalidTTFT))},
		{
			"completion start time as a number", merge(gen, map[string]any{"langfuse.observation.completion_start_time": 1785585600}),
			nil, call(base, streamed(), invalid(InvalidTTFT)),
		},
		{
			"level ERROR and status message", merge(gen, map[string]any{
				"langfuse.observation.level":          "ERROR",
				"langfuse.observation.status_message": "Error code: 429 - Rate limit reached for gpt-4o",
			}),
			nil, call(base, failed(ReasonRateLimit)),
		},
		{"level error, no message", merge(gen, map[string]any{"langfuse.observation.level": "error"}), nil, call(base, failed(ReasonOther))},
		{"level WARNING is not a failure", merge(gen, map[string]any{
			"langfuse.observation.level":          "WARNING",
			"langfuse.observation.status_message": "rate limit close",
		}), nil, call(base)},
		{"embedding observation", merge(gen, map[string]any{"langfuse.observation.type": "embedding"}), nil, call(base, op(OpEmbeddings))},
		{"span observation", merge(gen, map[string]any{"langfuse.observation.type": "span"}), nil, nil},
		{"agent observation with usage", merge(gen, map[string]any{
			"langfuse.observation.type":          "agent",
			"langfuse.observation.usage_details": `{"input": 5000}`,
		}), nil, nil},
		{"tool observation", map[string]any{"langfuse.observation.type": "tool"}, nil, nil},
		{"event observation", map[string]any{"langfuse.observation.type": "event"}, nil, nil},
		{"chain observation", map[string]any{"langfuse.observation.type": "chain"}, nil, nil},
	})
}

func TestDialectSpringAI(t *testing.T) {
	base := map[string]any{"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}
	runDialectCases(t, []dialectCase{
		{
			"every value a string", merge(base, map[string]any{
				"gen_ai.usage.input_tokens": "512", "gen_ai.usage.output_tokens": "128",
				"gen_ai.request.temperature": "0.7", "gen_ai.response.finish_reasons": `["STOP"]`, "gen_ai.request.stream": "false",
			}),
			nil, call(provider("openai"), reqModel("gpt-4o"), tokens(512, 128), finish(FinishStop)),
		},
		{
			"cache tokens as strings", merge(base, map[string]any{
				"gen_ai.system": "anthropic", "gen_ai.usage.input_tokens": "20",
				"gen_ai.usage.cache_read.input_tokens": "4096", "gen_ai.usage.cache_creation.input_tokens": "1024",
			}),
			nil, call(provider("anthropic"), reqModel("gpt-4o"), tokensIn(20), tokensCached(4096), tokensCacheWrite(1024)),
		},
		{"stream \"true\"", merge(base, map[string]any{"gen_ai.request.stream": "true"}), nil, call(provider("openai"), reqModel("gpt-4o"), streamed())},
		{
			"model none is absent", merge(base, map[string]any{"gen_ai.request.model": "none", "gen_ai.response.model": "gpt-4o-mini-2024-07-18"}),
			nil, call(provider("openai"), respModel("gpt-4o-mini-2024-07-18")),
		},
		{"response model none is absent", merge(base, map[string]any{"gen_ai.response.model": "none"}), nil, call(provider("openai"), reqModel("gpt-4o"))},
		{"None in any case", merge(base, map[string]any{"gen_ai.request.model": "None"}), nil, call(provider("openai"))},
		{"embedding operation", merge(base, map[string]any{"gen_ai.operation.name": "embedding"}), nil, call(provider("openai"), op(OpEmbeddings), reqModel("gpt-4o"))},
		{"chat client wrapper", map[string]any{"gen_ai.operation.name": "framework", "spring.ai.kind": "chat_client"}, nil, nil},
		{
			"SAFETY as a JSON string", merge(base, map[string]any{"gen_ai.response.finish_reasons": `["SAFETY"]`}),
			nil, call(provider("openai"), reqModel("gpt-4o"), failed(ReasonSafetyBlock), finish(FinishContentFilter)),
		},
		{"bedrock_converse", merge(base, map[string]any{"gen_ai.system": "bedrock_converse"}), nil, call(provider("aws.bedrock"), reqModel("gpt-4o"))},
		{"azure-openai", merge(base, map[string]any{"gen_ai.system": "azure-openai"}), nil, call(provider("azure.ai.openai"), reqModel("gpt-4o"))},
		{"google_genai", merge(base, map[string]any{"gen_ai.system": "google_genai"}), nil, call(provider("gcp.gen_ai"), reqModel("gpt-4o"))},
	})
}

func TestDialectSemanticKernel(t *testing.T) {
	base := map[string]any{"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}
	sk := func(o string, extra map[string]any) map[string]any {
		return merge(merge(base, map[string]any{"gen_ai.operation.name": o}), extra)
	}
	b := call(provider("openai"), reqModel("gpt-4o"))
	runDialectCases(t, []dialectCase{
		{
			"chat.completions, response tokens", sk("chat.completions", map[string]any{"gen_ai.response.prompt_tokens": 44, "gen_ai.response.completion_tokens": 12}),
			nil, call(b, tokens(44, 12)),
		},
		{"chat.streaming_completions is streamed", sk("chat.streaming_completions", nil), nil, call(b, streamed())},
		{"text.completions", sk("text.completions", nil), nil, call(b, op(OpTextCompletion))},
		{"text.streaming_completions", sk("text.streaming_completions", nil), nil, call(b, op(OpTextCompletion), streamed())},
		{"a stream flag wins over the operation", sk("chat.streaming_completions", map[string]any{"gen_ai.request.stream": false}), nil, call(b)},
		{
			"-1 tokens are unknown, not invalid", sk("chat.streaming_completions", map[string]any{"gen_ai.response.prompt_tokens": -1, "gen_ai.response.completion_tokens": "-1"}),
			nil, call(b, streamed()),
		},
		{"-1.0 tokens are unknown", sk("chat.completions", map[string]any{"gen_ai.response.prompt_tokens": -1.0}), nil, call(b)},
		{"-2 tokens are invalid", sk("chat.completions", map[string]any{"gen_ai.response.prompt_tokens": -2}), nil, call(b, invalid(InvalidInputTokens))},
		{"-1 in a semconv attribute is invalid", sk("chat.completions", map[string]any{"gen_ai.usage.input_tokens": -1}), nil, call(b, invalid(InvalidInputTokens))},
		{
			"newer usage names", sk("chat.completions", map[string]any{"gen_ai.usage.input_tokens": 700, "gen_ai.usage.output_tokens": 40}),
			nil, call(b, tokens(700, 40)),
		},
		{"singular finish reason", sk("chat.completions", map[string]any{"gen_ai.response.finish_reason": "FinishReason.STOP"}), nil, call(b, finish(FinishStop))},
		{
			"comma-joined finish reasons with a filter", sk("chat.completions", map[string]any{"gen_ai.response.finish_reason": "stop,content_filter"}),
			nil, call(b, failed(ReasonSafetyBlock), finish(FinishStop)),
		},
		{"invoke_agent", sk("invoke_agent", nil), nil, nil},
		{"execute_tool", sk("execute_tool", nil), nil, nil},
	})
}

func TestDialectLangSmith(t *testing.T) {
	base := map[string]any{"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini"}
	ls := func(kind, o string, extra map[string]any) map[string]any {
		return merge(merge(base, map[string]any{"langsmith.span.kind": kind, "gen_ai.operation.name": o}), extra)
	}
	b := call(provider("openai"), reqModel("gpt-4o-mini"))
	runDialectCases(t, []dialectCase{
		{
			"llm run", ls("llm", "chat", map[string]any{"gen_ai.usage.input_tokens": 450, "gen_ai.usage.output_tokens": 60, "langsmith.request.streaming": false}),
			nil, call(b, tokens(450, 60)),
		},
		{"llm run without an operation", ls("llm", "", nil), nil, call(b)},
		{"streaming", ls("llm", "chat", map[string]any{"langsmith.request.streaming": true}), nil, call(b, streamed())},
		{
			"comma-joined finish reasons", ls("llm", "chat", map[string]any{"gen_ai.response.finish_reasons": "stop, content_filter"}),
			nil, call(b, failed(ReasonSafetyBlock), finish(FinishStop)),
		},
		{"embedding run", ls("embedding", "embedding", nil), nil, call(b, op(OpEmbeddings))},
		{"chain run with totals", ls("chain", "chain", map[string]any{"gen_ai.usage.input_tokens": 950}), nil, nil},
		{"tool run", ls("tool", "execute_tool", nil), nil, nil},
		{"retriever run", ls("retriever", "retriever", nil), nil, nil},
		{"prompt run", ls("prompt", "prompt", nil), nil, nil},
		{"parser run", ls("parser", "parser", nil), nil, nil},
		{"guessed provider langchain", ls("llm", "chat", map[string]any{"gen_ai.system": "langchain"}), nil, call(b, provider("langchain"))},
	})
}

// Template sources in their default order, span then resource.
func TestDialectTemplateKeys(t *testing.T) {
	keys := DefaultTemplateKeys()
	for i, k := range keys {
		attrs := chat(nil)
		for _, later := range keys[i:] {
			attrs[later] = "from " + later
		}
		assert.Equal(t, "from "+k, extractOne(t, attrs).Template, "span: %s", k)
		res := map[string]any{}
		for _, later := range keys[i:] {
			res[later] = "from " + later
		}
		assert.Equal(t, "from "+k, extractOne(t, chat(nil), withResource(res)).Template, "resource: %s", k)
	}
	assert.Equal(t, "fn", extractOne(t, chat(map[string]any{"traceloop.prompt.key": "none", "ai.telemetry.functionId": "fn"})).Template,
		"a template \"none\" is absent")
}

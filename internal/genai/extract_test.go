// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type extractCase struct {
	name  string
	attrs map[string]any
	mods  []spanMod
	opts  Options
	want  Call
}

func runExtractCases(t *testing.T, cases []extractCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			span, res := mkSpan(tc.attrs, tc.mods...)
			var got Call
			require.True(t, NewExtractor(tc.opts).Extract(span, res, &got), "span must be counted")
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestExtractSemconvGenerations(t *testing.T) {
	runExtractCases(t, []extractCase{
		{
			name: "1.37+ chat, every field",
			attrs: map[string]any{
				"gen_ai.operation.name":                "chat",
				"gen_ai.provider.name":                 "anthropic",
				"gen_ai.request.model":                 "claude-sonnet-4",
				"gen_ai.response.model":                "claude-sonnet-4-20250514",
				"gen_ai.usage.input_tokens":            1200,
				"gen_ai.usage.output_tokens":           300,
				"gen_ai.usage.cache_read.input_tokens": 1000,
				"gen_ai.usage.reasoning.output_tokens": 120,
				"gen_ai.usage.cost":                    0.0042,
				"gen_ai.response.finish_reasons":       []any{"stop"},
				"gen_ai.prompt.name":                   "triage",
				"server.address":                       "api.anthropic.com",
			},
			want: want(func(c *Call) {
				c.Provider, c.RequestModel, c.ResponseModel, c.Template = "anthropic", "claude-sonnet-4", "claude-sonnet-4-20250514", "triage"
				c.InputTokens, c.OutputTokens, c.CachedInputTokens, c.ReasoningTokens = 1200, 300, 1000, 120
				c.HasInputTokens, c.HasOutputTokens, c.HasCachedInput, c.HasReasoning = true, true, true, true
				c.Cost, c.HasCost = 0.0042, true
				c.FinishReason = FinishStop
			}),
		},
		{
			name: "1.36 chat: gen_ai.system and prompt/completion tokens",
			attrs: map[string]any{
				"gen_ai.operation.name":          "chat",
				"gen_ai.system":                  "az.ai.openai",
				"gen_ai.request.model":           "gpt-4o",
				"gen_ai.usage.prompt_tokens":     50,
				"gen_ai.usage.completion_tokens": 7,
			},
			want: want(func(c *Call) {
				c.Provider = "azure.ai.openai"
				c.InputTokens, c.OutputTokens, c.HasInputTokens, c.HasOutputTokens = 50, 7, true, true
			}),
		},
		{
			name: "both generations on one span: the newer names win",
			attrs: chat(map[string]any{
				"gen_ai.system":                  "gemini",
				"gen_ai.provider.name":           "gcp.vertex_ai",
				"gen_ai.usage.prompt_tokens":     1,
				"gen_ai.usage.input_tokens":      10,
				"gen_ai.usage.completion_tokens": 2,
				"gen_ai.usage.output_tokens":     20,
			}),
			want: want(func(c *Call) {
				c.Provider = "gcp.vertex_ai"
				c.InputTokens, c.OutputTokens, c.HasInputTokens, c.HasOutputTokens = 10, 20, true, true
			}),
		},
		{
			name:  "empty preferred source falls through to the next",
			attrs: chat(map[string]any{"gen_ai.provider.name": "", "gen_ai.system": "xai", "gen_ai.usage.input_tokens": "", "gen_ai.usage.prompt_tokens": 5}),
			want:  want(func(c *Call) { c.Provider, c.InputTokens, c.HasInputTokens = "x_ai", 5, true }),
		},
		{
			name:  "text_completion",
			attrs: chat(map[string]any{"gen_ai.operation.name": "text_completion"}),
			want:  want(func(c *Call) { c.Operation = OpTextCompletion }),
		},
		{
			name:  "generate_content",
			attrs: chat(map[string]any{"gen_ai.operation.name": "generate_content", "gen_ai.provider.name": "gcp.gemini"}),
			want:  want(func(c *Call) { c.Operation, c.Provider = OpGenerateContent, "gcp.gemini" }),
		},
		{
			name:  "embeddings with input tokens only",
			attrs: chat(map[string]any{"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.input_tokens": 8}),
			want: want(func(c *Call) {
				c.Operation, c.RequestModel, c.InputTokens, c.HasInputTokens = OpEmbeddings, "text-embedding-3-small", 8, true
			}),
		},
		{
			name:  "operation is matched case-insensitively and returned canonical",
			attrs: chat(map[string]any{"gen_ai.operation.name": "Chat"}),
			want:  want(nil),
		},
		{
			name:  "response model only",
			attrs: chat(map[string]any{"gen_ai.request.model": del, "gen_ai.response.model": "gpt-4o-2024-08-06"}),
			want:  want(func(c *Call) { c.RequestModel, c.ResponseModel = "", "gpt-4o-2024-08-06" }),
		},
		{
			name:  "empty request model counts as absent",
			attrs: chat(map[string]any{"gen_ai.request.model": "", "gen_ai.response.model": "gpt-4o-2024-08-06"}),
			want:  want(func(c *Call) { c.RequestModel, c.ResponseModel = "", "gpt-4o-2024-08-06" }),
		},
		{
			name:  "no model (a number is refused), no provider",
			attrs: map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": 42},
			want:  want(func(c *Call) { c.Provider, c.RequestModel, c.Invalid = "", "", InvalidModel }),
		},
	})
}

func TestCallModel(t *testing.T) {
	assert.Equal(t, "req", (&Call{RequestModel: "req", ResponseModel: "resp"}).Model())
	assert.Equal(t, "resp", (&Call{ResponseModel: "resp"}).Model())
	assert.Empty(t, (&Call{}).Model())
}

func TestExtractProvider(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"openai", "openai"},
		{"OpenAI", "openai"},
		{"Anthropic", "anthropic"},
		{"AWS.Bedrock", "aws.bedrock"},
		{"az.ai.openai", "azure.ai.openai"},
		{"az.ai.inference", "azure.ai.inference"},
		{"AZ.AI.OpenAI", "azure.ai.openai"},
		{"vertex_ai", "gcp.vertex_ai"},
		{"gemini", "gcp.gemini"},
		{"xai", "x_ai"},
		{"x_ai", "x_ai"},
		{"ibm.watsonx.ai", "ibm.watsonx.ai"},
		{"mistral_ai", "mistral_ai"},
		{"ollama", "ollama"},         // unknown lower-case: as is
		{"MyProvider", "myprovider"}, // unknown with upper case: lowered
		{"Ünïcode", "Ünïcode"},       // only ASCII is folded
	} {
		for _, key := range []string{"gen_ai.provider.name", "gen_ai.system"} {
			span, res := mkSpan(map[string]any{"gen_ai.operation.name": "chat", key: tc.in})
			var c Call
			require.True(t, NewExtractor(Options{}).Extract(span, res, &c))
			assert.Equal(t, tc.want, c.Provider, "%s=%q", key, tc.in)
		}
	}
}

func TestExtractProviderKnownValuesDoNotAllocate(t *testing.T) {
	for _, p := range []string{"OpenAI", "az.ai.openai", "GCP.Vertex_AI", "ollama"} {
		assert.Zero(t, testing.AllocsPerRun(10, func() { _ = normalizeProvider(p) }), p)
	}
}

func TestExtractTokens(t *testing.T) {
	type tokCase struct {
		name    string
		value   any
		n       int64
		ok      bool
		invalid bool
	}
	cases := []tokCase{
		{"int", 42, 42, true, false},
		{"zero", 0, 0, true, false},
		{"integral double", 42.0, 42, true, false},
		{"numeric string", "42", 42, true, false},
		{"padded string", " 42 ", 42, true, false},
		{"integral decimal string", "42.0", 42, true, false},
		{"exponent string", "4.2e1", 42, true, false},
		{"limit", int64(maxTokens), maxTokens, true, false},
		{"limit as string", "100000000", maxTokens, true, false},
		{"over limit", int64(maxTokens + 1), 0, false, true},
		{"absurd double", 1e12, 0, false, true},
		{"absurd string", "1000000000000", 0, false, true},
		{"negative", -1, 0, false, true},
		{"negative double", -3.0, 0, false, true},
		{"negative string", "-5", 0, false, true},
		{"NaN", math.NaN(), 0, false, true},
		{"+Inf", math.Inf(1), 0, false, true},
		{"-Inf", math.Inf(-1), 0, false, true},
		{"non-integral double", 1.5, 0, false, true},
		{"non-integral string", "1.5", 0, false, true},
		{"unparsable string", "abc", 0, false, true},
		{"NaN string", "NaN", 0, false, true},
		{"Inf string", "Inf", 0, false, true},
		{"hex string", "0x10", 0, false, true},
		{"underscore string", "1_000", 0, false, true},
		{"overflowing exponent", "1e400", 0, false, true},
		{"huge string", string(make([]byte, 1<<20)), 0, false, true},
		{"bool", true, 0, false, true},
		{"slice", []any{1}, 0, false, true},
		{"map", map[string]any{"n": 1}, 0, false, true},
		{"empty string is absent", "", 0, false, false},
		{"empty value is absent", nil, 0, false, false},
	}
	fields := []struct {
		key     string
		invalid Invalid
		get     func(*Call) (int64, bool)
	}{
		{"gen_ai.usage.input_tokens", InvalidInputTokens, func(c *Call) (int64, bool) { return c.InputTokens, c.HasInputTokens }},
		{"gen_ai.usage.prompt_tokens", InvalidInputTokens, func(c *Call) (int64, bool) { return c.InputTokens, c.HasInputTokens }},
		{"gen_ai.usage.output_tokens", InvalidOutputTokens, func(c *Call) (int64, bool) { return c.OutputTokens, c.HasOutputTokens }},
		{"gen_ai.usage.completion_tokens", InvalidOutputTokens, func(c *Call) (int64, bool) { return c.OutputTokens, c.HasOutputTokens }},
		{"gen_ai.usage.cache_read.input_tokens", InvalidCachedInputTokens, func(c *Call) (int64, bool) { return c.CachedInputTokens, c.HasCachedInput }},
		{"gen_ai.usage.cache_creation.input_tokens", InvalidCacheCreationInputTokens, func(c *Call) (int64, bool) { return c.CacheCreationInputTokens, c.HasCacheCreation }},
		{"gen_ai.usage.cache_creation_input_tokens", InvalidCacheCreationInputTokens, func(c *Call) (int64, bool) { return c.CacheCreationInputTokens, c.HasCacheCreation }},
		{"llm.token_count.prompt_details.cache_write", InvalidCacheCreationInputTokens, func(c *Call) (int64, bool) { return c.CacheCreationInputTokens, c.HasCacheCreation }},
		{"ai.usage.inputTokenDetails.cacheWriteTokens", InvalidCacheCreationInputTokens, func(c *Call) (int64, bool) { return c.CacheCreationInputTokens, c.HasCacheCreation }},
		{"gen_ai.usage.reasoning.output_tokens", InvalidReasoningTokens, func(c *Call) (int64, bool) { return c.ReasoningTokens, c.HasReasoning }},
	}
	for _, f := range fields {
		for _, tc := range cases {
			t.Run(f.key+"/"+tc.name, func(t *testing.T) {
				span, res := mkSpan(chat(map[string]any{f.key: tc.value}))
				var c Call
				require.True(t, NewExtractor(Options{}).Extract(span, res, &c))
				n, ok := f.get(&c)
				assert.Equal(t, tc.n, n)
				assert.Equal(t, tc.ok, ok)
				if tc.invalid {
					assert.Equal(t, f.invalid, c.Invalid)
				} else {
					assert.Zero(t, c.Invalid)
				}
			})
		}
	}
}

// Cache-creation (write) tokens: every source, in order (the first present
// wins), including Langfuse's usage JSON; strings are parsed, refused values
// are flagged.
func TestExtractCacheCreationSources(t *testing.T) {
	ordered := []struct {
		key   string
		value any // the source's spelling of 100+i
	}{
		{"gen_ai.usage.cache_creation.input_tokens", 100},
		{"gen_ai.usage.cache_creation_input_tokens", 101},
		{"llm.token_count.prompt_details.cache_write", 102},
		{"ai.usage.inputTokenDetails.cacheWriteTokens", 103},
		{"langfuse.observation.usage_details", `{"input": 9, "input_cache_creation": 104}`},
	}
	for i := range ordered {
		t.Run("first present: "+ordered[i].key, func(t *testing.T) {
			attrs := map[string]any{}
			for _, s := range ordered[i:] {
				attrs[s.key] = s.value
			}
			span, res := mkSpan(chat(attrs))
			var c Call
			require.True(t, NewExtractor(Options{}).Extract(span, res, &c))
			assert.True(t, c.HasCacheCreation)
			assert.Equal(t, int64(100+i), c.CacheCreationInputTokens)
			assert.Zero(t, c.Invalid)
		})
	}
	runExtractCases(t, []extractCase{
		{
			name:  "string value",
			attrs: chat(map[string]any{"gen_ai.usage.cache_creation.input_tokens": "2048"}),
			want:  want(func(c *Call) { c.CacheCreationInputTokens, c.HasCacheCreation = 2048, true }),
		},
		{
			name:  "Langfuse: Anthropic's key, a JSON string number",
			attrs: chat(map[string]any{"langfuse.observation.usage_details": `{"cache_creation_input_tokens": "12"}`}),
			want:  want(func(c *Call) { c.CacheCreationInputTokens, c.HasCacheCreation = 12, true }),
		},
		{
			name:  "Langfuse: input_cache_creation wins over cache_creation_input_tokens",
			attrs: chat(map[string]any{"langfuse.observation.usage_details": `{"cache_creation_input_tokens": 1, "input_cache_creation": 2}`}),
			want:  want(func(c *Call) { c.CacheCreationInputTokens, c.HasCacheCreation = 2, true }),
		},
		{
			name:  "Langfuse: negative is invalid",
			attrs: chat(map[string]any{"langfuse.observation.usage_details": `{"input_cache_creation": -1}`}),
			want:  want(func(c *Call) { c.Invalid = InvalidCacheCreationInputTokens }),
		},
		{
			name:  "Langfuse: as an attribute map",
			attrs: chat(map[string]any{"langfuse.observation.usage_details": map[string]any{"input_cache_creation": 77}}),
			want:  want(func(c *Call) { c.CacheCreationInputTokens, c.HasCacheCreation = 77, true }),
		},
		{
			name:  "NaN is invalid",
			attrs: chat(map[string]any{"llm.token_count.prompt_details.cache_write": math.NaN()}),
			want:  want(func(c *Call) { c.Invalid = InvalidCacheCreationInputTokens }),
		},
		{
			name:  "absurd is invalid",
			attrs: chat(map[string]any{"ai.usage.inputTokenDetails.cacheWriteTokens": int64(maxTokens) + 1}),
			want:  want(func(c *Call) { c.Invalid = InvalidCacheCreationInputTokens }),
		},
		{
			name:  "unparsable string is invalid",
			attrs: chat(map[string]any{"gen_ai.usage.cache_creation_input_tokens": "lots"}),
			want:  want(func(c *Call) { c.Invalid = InvalidCacheCreationInputTokens }),
		},
		{
			name:  "empty string is absent",
			attrs: chat(map[string]any{"gen_ai.usage.cache_creation.input_tokens": ""}),
			want:  want(nil),
		},
		{
			name: "independent of cache reads",
			attrs: chat(map[string]any{
				"gen_ai.usage.input_tokens": 5000, "gen_ai.usage.cache_read.input_tokens": -1,
				"gen_ai.usage.cache_creation.input_tokens": 4000,
			}),
			want: want(func(c *Call) {
				c.InputTokens, c.HasInputTokens = 5000, true
				c.CacheCreationInputTokens, c.HasCacheCreation = 4000, true
				c.Invalid = InvalidCachedInputTokens
			}),
		},
	})
}

// An invalid value in the preferred source is reported as invalid; it does
// not fall through to an older source.
func TestExtractInvalidPreferredSourceDoesNotFallThrough(t *testing.T) {
	runExtractCases(t, []extractCase{
		{
			name:  "request model not a string",
			attrs: chat(map[string]any{"gen_ai.request.model": 4, "llm.request.model": "gpt-4o"}),
			want:  want(func(c *Call) { c.RequestModel, c.Invalid = "", InvalidModel }),
		},
		{
			name:  "response model a map, request model kept",
			attrs: chat(map[string]any{"gen_ai.response.model": map[string]any{"id": "gpt-4o-2024"}}),
			want:  want(func(c *Call) { c.Invalid = InvalidModel }),
		},
		{
			name:  "model a slice, an empty string and a bool",
			attrs: chat(map[string]any{"gen_ai.request.model": []any{"gpt-4o"}, "gen_ai.response.model": true}),
			want:  want(func(c *Call) { c.RequestModel, c.Invalid = "", InvalidModel }),
		},
		{
			name:  "empty model is absent, not invalid",
			attrs: chat(map[string]any{"gen_ai.request.model": ""}),
			want:  want(func(c *Call) { c.RequestModel = "" }),
		},
		{
			name:  "cache creation",
			attrs: chat(map[string]any{"gen_ai.usage.cache_creation.input_tokens": -3, "gen_ai.usage.cache_creation_input_tokens": 7}),
			want:  want(func(c *Call) { c.Invalid = InvalidCacheCreationInputTokens }),
		},
		{
			name:  "input",
			attrs: chat(map[string]any{"gen_ai.usage.input_tokens": -1, "gen_ai.usage.prompt_tokens": 12}),
			want:  want(func(c *Call) { c.Invalid = InvalidInputTokens }),
		},
		{
			name:  "output",
			attrs: chat(map[string]any{"gen_ai.usage.output_tokens": "abc", "gen_ai.usage.completion_tokens": 12}),
			want:  want(func(c *Call) { c.Invalid = InvalidOutputTokens }),
		},
		{
			name:  "ttft",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": -0.5, "gen_ai.client.operation.time_to_first_chunk": 0.5}),
			want:  want(func(c *Call) { c.Streamed, c.Invalid = true, InvalidTTFT }),
		},
		{
			name: "several invalid fields at once",
			attrs: chat(map[string]any{
				"gen_ai.usage.input_tokens": math.NaN(), "gen_ai.usage.output_tokens": 1e12,
				"gen_ai.usage.cache_read.input_tokens": -1, "gen_ai.usage.reasoning.output_tokens": 0.5,
				"gen_ai.usage.cache_creation.input_tokens": "many", "gen_ai.usage.cost": -1.0,
			}),
			want: want(func(c *Call) {
				c.Invalid = InvalidInputTokens | InvalidOutputTokens | InvalidCachedInputTokens | InvalidReasoningTokens | InvalidCost |
					InvalidCacheCreationInputTokens
			}),
		},
	})
}

func TestExtractCost(t *testing.T) {
	for _, tc := range []struct {
		name    string
		value   any
		cost    float64
		has     bool
		invalid bool
	}{
		{"double", 0.0042, 0.0042, true, false},
		{"zero", 0.0, 0, true, false},
		{"int", 2, 2, true, false},
		{"string", "0.01", 0.01, true, false},
		{"negative", -0.01, 0, false, true},
		{"NaN", math.NaN(), 0, false, true},
		{"Inf", math.Inf(1), 0, false, true},
		{"absurd", 1e9, 0, false, true},
		{"unparsable", "free", 0, false, true},
		{"bool", false, 0, false, true},
		{"empty string", "", 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			span, res := mkSpan(chat(map[string]any{"gen_ai.usage.cost": tc.value}))
			var c Call
			require.True(t, NewExtractor(Options{}).Extract(span, res, &c))
			assert.Equal(t, want(func(c *Call) {
				c.Cost, c.HasCost = tc.cost, tc.has
				if tc.invalid {
					c.Invalid = InvalidCost
				}
			}), c)
		})
	}
}

// llm.cost_estimated = true (bool) marks a carried cost as computed from a
// price table; any other value, or the mark without a valid cost, marks
// nothing.
func TestExtractCostEstimated(t *testing.T) {
	for _, tc := range []struct {
		name     string
		attrs    map[string]any
		cost     float64
		has, est bool
		invalid  bool
	}{
		{"marked", map[string]any{"gen_ai.usage.cost": 0.5, KeyCostEstimated: true}, 0.5, true, true, false},
		{"not marked", map[string]any{"gen_ai.usage.cost": 0.5}, 0.5, true, false, false},
		{"marked false", map[string]any{"gen_ai.usage.cost": 0.5, KeyCostEstimated: false}, 0.5, true, false, false},
		{"a string is not the mark", map[string]any{"gen_ai.usage.cost": 0.5, KeyCostEstimated: "true"}, 0.5, true, false, false},
		{"the mark without a cost", map[string]any{KeyCostEstimated: true}, 0, false, false, false},
		{"the mark with a refused cost", map[string]any{"gen_ai.usage.cost": -1.0, KeyCostEstimated: true}, 0, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			span, res := mkSpan(chat(tc.attrs))
			var c Call
			require.True(t, NewExtractor(Options{}).Extract(span, res, &c))
			assert.Equal(t, want(func(c *Call) {
				c.Cost, c.HasCost, c.CostEstimated = tc.cost, tc.has, tc.est
				if tc.invalid {
					c.Invalid = InvalidCost
				}
			}), c)
		})
	}
}

func TestExtractSkipsNonLLMSpans(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]any
	}{
		{"invoke_agent", chat(map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 900})},
		{"invoke_agent any case", chat(map[string]any{"gen_ai.operation.name": "INVOKE_AGENT"})},
		{"execute_tool", chat(map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"})},
		{"create_agent", chat(map[string]any{"gen_ai.operation.name": "create_agent"})},
		{"invoke_workflow", chat(map[string]any{"gen_ai.operation.name": "invoke_workflow"})},
		{"agent_step", chat(map[string]any{"gen_ai.operation.name": "agent_step"})},
		{"retrieval", chat(map[string]any{"gen_ai.operation.name": "retrieval"})},
		{"unknown operation", chat(map[string]any{"gen_ai.operation.name": "rerank"})},
		{"operation as a prefix", chat(map[string]any{"gen_ai.operation.name": "chat.stream"})},
		{"empty operation", chat(map[string]any{"gen_ai.operation.name": ""})},
		{"operation not a string", chat(map[string]any{"gen_ai.operation.name": 1})},
		{"operation as a slice", chat(map[string]any{"gen_ai.operation.name": []any{"chat"}})},
		{"no operation", chat(map[string]any{"gen_ai.operation.name": del, "gen_ai.usage.input_tokens": 5})},
		{"HTTP span", map[string]any{"http.request.method": "POST", "url.full": "https://api.openai.com/v1/chat/completions", "http.response.status_code": 200}},
		{"no attributes", map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			span, res := mkSpan(tc.attrs, withStatus(ptrace.StatusCodeError, "boom"))
			var c Call
			assert.False(t, NewExtractor(Options{}).Extract(span, res, &c))
		})
	}
	var c Call
	assert.False(t, NewExtractor(Options{}).Extract(ptrace.NewSpan(), pcommon.NewResource(), &c), "zero span")
}

func TestExtractTemplate(t *testing.T) {
	custom := Options{TemplateKeys: []string{"app.prompt", "gen_ai.prompt.name"}}
	runExtractCases(t, []extractCase{
		{
			name:  "absent",
			attrs: chat(nil),
			mods:  []spanMod{withResource(map[string]any{"service.name": "svc"})},
			want:  want(nil),
		},
		{
			name:  "span",
			attrs: chat(map[string]any{"gen_ai.prompt.name": "summarize"}),
			want:  want(func(c *Call) { c.Template = "summarize" }),
		},
		{
			name:  "key order on the span, whatever the attribute order",
			attrs: chat(map[string]any{"gen_ai.prompt.name": "second", "llm.template": "first"}),
			want:  want(func(c *Call) { c.Template = "first" }),
		},
		{
			name:  "resource",
			attrs: chat(nil),
			mods:  []spanMod{withResource(map[string]any{"gen_ai.prompt.name": "from-resource"})},
			want:  want(func(c *Call) { c.Template = "from-resource" }),
		},
		{
			name:  "span over resource, even for a later key",
			attrs: chat(map[string]any{"gen_ai.prompt.name": "span"}),
			mods:  []spanMod{withResource(map[string]any{"llm.template": "resource"})},
			want:  want(func(c *Call) { c.Template = "span" }),
		},
		{
			name:  "key order on the resource",
			attrs: chat(nil),
			mods:  []spanMod{withResource(map[string]any{"gen_ai.prompt.name": "second", "llm.template": "first"})},
			want:  want(func(c *Call) { c.Template = "first" }),
		},
		{
			name:  "empty and non-string values are skipped",
			attrs: chat(map[string]any{"llm.template": "", "gen_ai.prompt.name": 7}),
			mods:  []spanMod{withResource(map[string]any{"llm.template": []any{"x"}, "gen_ai.prompt.name": "resource"})},
			want:  want(func(c *Call) { c.Template = "resource" }),
		},
		{
			name:  "custom keys",
			attrs: chat(map[string]any{"llm.template": "ignored", "gen_ai.prompt.name": "second", "app.prompt": "first"}),
			opts:  custom,
			want:  want(func(c *Call) { c.Template = "first" }),
		},
		{
			name:  "custom keys on the resource",
			attrs: chat(map[string]any{"llm.template": "ignored"}),
			opts:  custom,
			mods:  []spanMod{withResource(map[string]any{"app.prompt": "resource"})},
			want:  want(func(c *Call) { c.Template = "resource" }),
		},
		{
			name:  "a template key that is also a field source",
			attrs: chat(nil),
			opts:  Options{TemplateKeys: []string{"gen_ai.request.model"}},
			want:  want(func(c *Call) { c.Template = "gpt-4o" }),
		},
		{
			name:  "no template keys",
			attrs: chat(map[string]any{"llm.template": "ignored"}),
			opts:  Options{TemplateKeys: []string{}},
			want:  want(nil),
		},
	})
}

func TestDefaultTemplateKeys(t *testing.T) {
	assert.Equal(t, []string{
		"llm.template", "gen_ai.prompt.name", "traceloop.prompt.key", "langfuse.observation.prompt.name", "ai.telemetry.functionId",
	}, DefaultTemplateKeys())
	DefaultTemplateKeys()[0] = "changed"
	assert.Equal(t, "llm.template", DefaultTemplateKeys()[0], "each call returns a new slice")
	keys := []string{"a"}
	e := NewExtractor(Options{TemplateKeys: keys})
	keys[0] = "b"
	assert.Equal(t, []string{"a"}, e.templateKeys, "the extractor keeps its own copy")
}

func TestExtractDuration(t *testing.T) {
	runExtractCases(t, []extractCase{
		{
			name:  "sub-second",
			attrs: chat(nil),
			mods:  []spanMod{withTimes(t0, t0+1_500_000)},
			want:  want(func(c *Call) { c.Duration, c.Time = 0.0015, int64(t0+1_500_000) }),
		},
		{
			name:  "zero length",
			attrs: chat(nil),
			mods:  []spanMod{withTimes(t0, t0)},
			want:  want(func(c *Call) { c.Duration, c.Time = 0, int64(t0) }),
		},
		{
			name:  "exactly 24h",
			attrs: chat(nil),
			mods:  []spanMod{withTimes(t0, t0+pcommon.Timestamp(24*time.Hour))},
			want:  want(func(c *Call) { c.Duration, c.Time = 86400, int64(t0)+int64(24*time.Hour) }),
		},
		{
			name:  "over 24h",
			attrs: chat(nil),
			mods:  []spanMod{withTimes(t0, t0+pcommon.Timestamp(24*time.Hour)+1)},
			want: want(func(c *Call) {
				c.Duration, c.HasDuration, c.Invalid = 0, false, InvalidDuration
				c.Time = int64(t0) + int64(24*time.Hour) + 1 // the end, else the start
			}),
		},
		{
			name:  "end before start",
			attrs: chat(nil),
			mods:  []spanMod{withTimes(t0, t0-1)},
			want: want(func(c *Call) {
				c.Duration, c.HasDuration, c.Invalid = 0, false, InvalidDuration
				c.Time = int64(t0) - 1 // the end, else the start
			}),
		},
		{
			name:  "no start",
			attrs: chat(nil),
			mods:  []spanMod{withTimes(0, t0)},
			want: want(func(c *Call) {
				c.Duration, c.HasDuration, c.Invalid = 0, false, InvalidDuration
				c.Time = int64(t0) // the end, else the start
			}),
		},
		{
			name:  "no end",
			attrs: chat(nil),
			mods:  []spanMod{withTimes(t0, 0)},
			want: want(func(c *Call) {
				c.Duration, c.HasDuration, c.Invalid = 0, false, InvalidDuration
				c.Time = int64(t0) // the end, else the start
			}),
		},
		{
			name:  "no timestamps",
			attrs: chat(nil),
			mods:  []spanMod{withTimes(0, 0)},
			want: want(func(c *Call) {
				c.Duration, c.HasDuration, c.Invalid = 0, false, InvalidDuration
				c.Time = 0 // the end, else the start
			}),
		},
	})
}

func TestExtractStreamedAndTTFT(t *testing.T) {
	const chunk = "gen_ai.content.completion.chunk"
	streamed := func(ttft float64) func(*Call) {
		return func(c *Call) { c.Streamed, c.TTFT, c.HasTTFT = true, ttft, true }
	}
	badTTFT := func(c *Call) { c.Streamed, c.Invalid = true, InvalidTTFT }
	runExtractCases(t, []extractCase{
		{
			name:  "not streamed by default",
			attrs: chat(nil),
			want:  want(nil),
		},
		{
			name:  "stream flag and TTFT attribute",
			attrs: chat(map[string]any{"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 0.3}),
			want:  want(streamed(0.3)),
		},
		{
			name:  "TTFT attribute alone marks the call streamed",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": 0.3}),
			want:  want(streamed(0.3)),
		},
		{
			name:  "client metric name as a span attribute",
			attrs: chat(map[string]any{"gen_ai.client.operation.time_to_first_chunk": 0.4}),
			want:  want(streamed(0.4)),
		},
		{
			name:  "response attribute wins over the client one",
			attrs: chat(map[string]any{"gen_ai.client.operation.time_to_first_chunk": 0.4, "gen_ai.response.time_to_first_chunk": 0.3}),
			want:  want(streamed(0.3)),
		},
		{
			name:  "TTFT attribute wins over chunk events",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": 0.3}),
			mods:  []spanMod{withEvent(chunk, 500*time.Millisecond, nil)},
			want:  want(streamed(0.3)),
		},
		{
			name:  "TTFT as a numeric string",
			attrs: chat(map[string]any{"gen_ai.request.stream": "true", "gen_ai.response.time_to_first_chunk": "0.25"}),
			want:  want(streamed(0.25)),
		},
		{
			name:  "TTFT as an Int",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": 1}),
			want:  want(streamed(1)),
		},
		{
			name:  "first chunk event",
			attrs: chat(map[string]any{"gen_ai.request.stream": true}),
			mods: []spanMod{
				withEvent("gen_ai.client.inference.operation.details", 100*time.Millisecond, nil),
				withEvent(chunk, 250*time.Millisecond, map[string]any{"gen_ai.completion.chunk": "Hel"}),
				withEvent(chunk, 400*time.Millisecond, map[string]any{"gen_ai.completion.chunk": "lo"}),
			},
			want: want(streamed(0.25)),
		},
		{
			name:  "chunk events alone mark the call streamed",
			attrs: chat(nil),
			mods:  []spanMod{withEvent(chunk, 600*time.Millisecond, nil)},
			want:  want(streamed(0.6)),
		},
		{
			name:  "stream flag \"True\" string",
			attrs: chat(map[string]any{"gen_ai.request.stream": "True"}),
			mods:  []spanMod{withEvent(chunk, 600*time.Millisecond, nil)},
			want:  want(streamed(0.6)),
		},
		{
			name:  "streamed without any TTFT source",
			attrs: chat(map[string]any{"gen_ai.request.stream": true}),
			want:  want(func(c *Call) { c.Streamed = true }),
		},
		{
			name:  "stream=false ignores a TTFT attribute",
			attrs: chat(map[string]any{"gen_ai.request.stream": false, "gen_ai.response.time_to_first_chunk": 2.0}),
			want:  want(nil),
		},
		{
			name:  "stream=\"false\" ignores chunk events",
			attrs: chat(map[string]any{"gen_ai.request.stream": "false"}),
			mods:  []spanMod{withEvent(chunk, 600*time.Millisecond, nil)},
			want:  want(nil),
		},
		{
			name:  "stream=false ignores even an invalid TTFT",
			attrs: chat(map[string]any{"gen_ai.request.stream": false, "gen_ai.response.time_to_first_chunk": -1.0}),
			want:  want(nil),
		},
		{
			name:  "unreadable stream flag is ignored",
			attrs: chat(map[string]any{"gen_ai.request.stream": "yes"}),
			want:  want(nil),
		},
		{
			name:  "unreadable stream flag, TTFT attribute present",
			attrs: chat(map[string]any{"gen_ai.request.stream": 1, "gen_ai.response.time_to_first_chunk": 0.5}),
			want:  want(streamed(0.5)),
		},
		{
			name:  "TTFT equal to the duration",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": 2.0}),
			want:  want(streamed(2)),
		},
		{
			name:  "TTFT zero",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": 0.0}),
			want:  want(streamed(0)),
		},
		{
			name:  "TTFT longer than the call",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": 2.5}),
			want:  want(badTTFT),
		},
		{
			name:  "negative TTFT",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": -0.1}),
			want:  want(badTTFT),
		},
		{
			name:  "NaN TTFT",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": math.NaN()}),
			want:  want(badTTFT),
		},
		{
			name:  "Inf TTFT",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": math.Inf(1)}),
			want:  want(badTTFT),
		},
		{
			name:  "unparsable TTFT",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": "soon"}),
			want:  want(badTTFT),
		},
		{
			name:  "invalid TTFT attribute does not fall through to chunk events",
			attrs: chat(map[string]any{"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": "n/a"}),
			mods:  []spanMod{withEvent(chunk, 500*time.Millisecond, nil)},
			want:  want(badTTFT),
		},
		{
			name:  "empty TTFT attribute is absent: chunk events apply",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": ""}),
			mods:  []spanMod{withEvent(chunk, 500*time.Millisecond, nil)},
			want:  want(streamed(0.5)),
		},
		{
			name:  "chunk event after the end",
			attrs: chat(nil),
			mods:  []spanMod{withEvent(chunk, 3*time.Second, nil)},
			want:  want(badTTFT),
		},
		{
			name:  "chunk event before the start",
			attrs: chat(nil),
			mods:  []spanMod{withEvent(chunk, -time.Millisecond, nil)},
			want:  want(badTTFT),
		},
		{
			name:  "chunk event without a timestamp",
			attrs: chat(nil),
			mods:  []spanMod{withEvent(chunk, -time.Duration(t0), nil)},
			want:  want(badTTFT),
		},
		{
			name:  "chunk event, span without start",
			attrs: chat(nil),
			mods:  []spanMod{withTimes(0, t0+pcommon.Timestamp(time.Second)), withEvent(chunk, 0, nil)},
			want: want(func(c *Call) {
				c.Streamed, c.Duration, c.HasDuration, c.Invalid = true, 0, false, InvalidDuration|InvalidTTFT
				c.Time = int64(t0) + int64(time.Second)
			}),
		},
		{
			name:  "TTFT attribute with an unknown duration",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": 0.7}),
			mods:  []spanMod{withTimes(t0, 0)},
			want: want(func(c *Call) {
				c.Streamed, c.TTFT, c.HasTTFT = true, 0.7, true
				c.Duration, c.HasDuration, c.Invalid = 0, false, InvalidDuration
				c.Time = int64(t0)
			}),
		},
		{
			name:  "absurd TTFT with an unknown duration",
			attrs: chat(map[string]any{"gen_ai.response.time_to_first_chunk": 1e9}),
			mods:  []spanMod{withTimes(t0, 0)},
			want: want(func(c *Call) {
				c.Streamed, c.Duration, c.HasDuration, c.Invalid = true, 0, false, InvalidDuration|InvalidTTFT
				c.Time = int64(t0)
			}),
		},
	})
}

func TestExtractIDs(t *testing.T) {
	span, res := mkSpan(chat(nil))
	var c Call
	require.True(t, NewExtractor(Options{}).Extract(span, res, &c))
	assert.Equal(t, traceID, c.TraceID)
	assert.Equal(t, spanID, c.SpanID)
}

// Extract resets every field of a reused Call.
func TestExtractResetsCall(t *testing.T) {
	e := NewExtractor(Options{})
	var c Call
	full, res := mkSpan(chat(map[string]any{
		"gen_ai.usage.input_tokens": 1, "gen_ai.usage.output_tokens": 1, "gen_ai.usage.cost": 1,
		"gen_ai.response.time_to_first_chunk": 0.1, "error.type": "timeout", "gen_ai.prompt.name": "p",
		"gen_ai.usage.cache_read.input_tokens": -1,
	}))
	require.True(t, e.Extract(full, res, &c))
	require.Equal(t, StatusError, c.Status)
	bare, res := mkSpan(chat(nil))
	require.True(t, e.Extract(bare, res, &c))
	assert.Equal(t, want(nil), c)
}

func TestStatusReasonNames(t *testing.T) {
	assert.Equal(t, "success", StatusSuccess.String())
	assert.Equal(t, "error", StatusError.String())
	assert.Equal(t, "error", Status(9).String())
	assert.Equal(t, "rate_limit", ReasonRateLimit.String())
	assert.Equal(t, "other", ReasonOther.String())
	assert.Equal(t, "other", Reason(200).String())
	causes := InvalidCauses()
	require.Len(t, causes, 15)
	// Existing bits and names never move: a new cause is appended.
	assert.Equal(t, InvalidCause{Bit: InvalidTTFT, Name: "ttft"}, causes[5])
	assert.Equal(t, InvalidCause{Bit: InvalidCost, Name: "cost"}, causes[6])
	assert.Equal(t, InvalidCause{Bit: 1 << 7, Name: "cache_creation_input_tokens"}, causes[7])
	assert.Equal(t, InvalidCacheCreationInputTokens, causes[7].Bit)
	assert.Equal(t, InvalidCause{Bit: 1 << 8, Name: "model"}, causes[8])
	assert.Equal(t, InvalidCause{Bit: 1 << 9, Name: "dimension"}, causes[9])
	assert.Equal(t, InvalidModel, causes[8].Bit)
	assert.Equal(t, []InvalidCause{
		{InvalidName, "name"},
		{InvalidGuardrailResult, "guardrail_result"},
		{InvalidEvaluationScore, "evaluation_score"},
		{InvalidEvaluationName, "evaluation_name"},
		{InvalidEvaluationLabel, "evaluation_label"},
	}, causes[10:])
	assert.Equal(t, InvalidEvaluationLabel, Invalid(1<<14))
}

// One Extractor serves concurrent consumers (run with -race).
func TestExtractConcurrent(t *testing.T) {
	e := NewExtractor(Options{})
	td := realisticBatch(100)
	rs := td.ResourceSpans().At(0)
	spans := rs.ScopeSpans().At(0).Spans()
	want := make([]Call, spans.Len())
	for i := range spans.Len() {
		e.Extract(spans.At(i), rs.Resource(), &want[i])
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var c Call
			for i := range spans.Len() {
				if e.Extract(spans.At(i), rs.Resource(), &c) && c != want[i] {
					t.Errorf("span %d: got %+v, want %+v", i, c, want[i])
				}
			}
		})
	}
	wg.Wait()
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package enrich

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/labelvalue"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
)

// plain writes no dimension.
var plain = NewWriter(nil)

func TestWriteOnlyWhatTheCallHas(t *testing.T) {
	attrs := pcommon.NewMap()
	attrs.PutStr("server.address", "api.example.test")
	call := genai.Call{Operation: genai.OpChat, RequestModel: "gpt-4o", InputTokens: 0, HasInputTokens: true}
	plain.Write(&call, attrs)
	assert.Equal(t, map[string]any{
		"server.address": "api.example.test",
		KeyOperationName: "chat",
		KeyRequestModel:  "gpt-4o",
		KeyInputTokens:   int64(0), // a present zero is written
	}, attrs.AsRaw())
}

func TestWriteEveryField(t *testing.T) {
	attrs := pcommon.NewMap()
	call := genai.Call{
		Provider: "anthropic", Operation: genai.OpChat, RequestModel: "claude-sonnet-4-5", ResponseModel: "claude-sonnet-4-5-20250929",
		Template: "support-answer", Streamed: true, Status: genai.StatusError, Reason: genai.ReasonRateLimit,
		InputTokens: 10, HasInputTokens: true, OutputTokens: 20, HasOutputTokens: true,
		CachedInputTokens: 3, HasCachedInput: true, CacheCreationInputTokens: 5, HasCacheCreation: true,
		ReasoningTokens: 4, HasReasoning: true,
		TTFT: 0.25, HasTTFT: true,
		Cost: 0.5, HasCost: true, // not written: no semconv name
		FinishReason: genai.FinishLength,
	}
	plain.Write(&call, attrs)
	assert.Equal(t, map[string]any{
		KeyProviderName:        "anthropic",
		KeyOperationName:       "chat",
		KeyRequestModel:        "claude-sonnet-4-5",
		KeyResponseModel:       "claude-sonnet-4-5-20250929",
		KeyInputTokens:         int64(10),
		KeyOutputTokens:        int64(20),
		KeyCacheReadTokens:     int64(3),
		KeyCacheCreationTokens: int64(5),
		KeyReasoningTokens:     int64(4),
		KeyRequestStream:       true,
		KeyTimeToFirstChunk:    0.25,
		KeyTemplate:            "support-answer",
		KeyErrorReason:         "rate_limit",
		KeyFinishReason:        "length",
	}, attrs.AsRaw())
	assert.Len(t, attrs.AsRaw(), maxWritten, "every key Write knows")
}

// Agent, tool and guardrail spans get their canonical name (bounded), status,
// result and counts; a name already there is set in place, and other
// activities (wrappers) get nothing.
func TestWriteActivity(t *testing.T) {
	w := NewWriter(nil)
	attrs := pcommon.NewMap()
	attrs.PutStr(KeyStatus, "pending")
	w.WriteActivity(&genai.Activity{Kind: genai.KindAgent, Name: "planner", ModelCalls: 4, ToolCalls: 6}, attrs)
	assert.Equal(t, map[string]any{
		KeyStatus: "success", KeyAgentName: "planner", KeyAgentModelCalls: int64(4), KeyAgentToolCalls: int64(6),
	}, attrs.AsRaw())

	attrs = pcommon.NewMap()
	w.WriteActivity(&genai.Activity{Kind: genai.KindTool, Name: strings.Repeat("x", 1000), Status: genai.StatusError}, attrs)
	assert.Equal(t, map[string]any{KeyToolName: strings.Repeat("x", labelvalue.DefaultMaxLength), KeyStatus: "error"}, attrs.AsRaw())

	attrs = pcommon.NewMap()
	w.WriteActivity(&genai.Activity{Kind: genai.KindGuardrail, Guardrail: genai.GuardrailBlocked}, attrs)
	assert.Equal(t, map[string]any{KeyGuardrailResult: "blocked", KeyStatus: "success"}, attrs.AsRaw())

	attrs = pcommon.NewMap()
	w.WriteActivity(&genai.Activity{Kind: genai.KindWrapper, Name: "chain"}, attrs)
	assert.Empty(t, attrs.AsRaw())
}

// Cache writes are written under the latest semconv name: a legacy key stays,
// a string value (Spring AI) becomes the Int, a refused value is left as it was.
func TestWriteCacheCreation(t *testing.T) {
	attrs := pcommon.NewMap()
	attrs.PutInt("llm.token_count.prompt_details.cache_write", 900) // OpenInference: kept
	call := genai.Call{Operation: genai.OpChat, CacheCreationInputTokens: 900, HasCacheCreation: true}
	plain.Write(&call, attrs)
	assert.Equal(t, map[string]any{
		"llm.token_count.prompt_details.cache_write": int64(900),
		KeyOperationName:       "chat",
		KeyCacheCreationTokens: int64(900),
	}, attrs.AsRaw())

	attrs = pcommon.NewMap()
	attrs.PutStr(KeyCacheCreationTokens, "1024") // Spring AI
	call.CacheCreationInputTokens = 1024
	plain.Write(&call, attrs)
	assert.Equal(t, map[string]any{KeyCacheCreationTokens: int64(1024), KeyOperationName: "chat"}, attrs.AsRaw())

	attrs = pcommon.NewMap()
	attrs.PutInt(KeyCacheCreationTokens, -5) // refused: HasCacheCreation is false
	call = genai.Call{Operation: genai.OpChat, Invalid: genai.InvalidCacheCreationInputTokens}
	plain.Write(&call, attrs)
	assert.Equal(t, map[string]any{KeyCacheCreationTokens: int64(-5), KeyOperationName: "chat"}, attrs.AsRaw())
}

func TestWriteCanonicalWinsOthersKept(t *testing.T) {
	attrs := pcommon.NewMap()
	attrs.PutStr(KeyInputTokens, "42")      // Spring AI: a string
	attrs.PutStr(KeyProviderName, "OpenAI") // not the semconv spelling
	attrs.PutStr(KeyRequestStream, "true")  // a string flag
	attrs.PutInt(KeyOutputTokens, -1)       // refused by the extractor: HasOutputTokens is false
	attrs.PutStr("gen_ai.system", "OpenAI") // not ours: untouched
	attrs.PutStr("gen_ai.usage.prompt_tokens", "42")
	call := genai.Call{Provider: "openai", Operation: genai.OpChat, Streamed: true, InputTokens: 42, HasInputTokens: true}
	plain.Write(&call, attrs)
	assert.Equal(t, map[string]any{
		KeyInputTokens:               int64(42),
		KeyProviderName:              "openai",
		KeyRequestStream:             true,
		KeyOutputTokens:              int64(-1),
		"gen_ai.system":              "OpenAI",
		"gen_ai.usage.prompt_tokens": "42",
		KeyOperationName:             "chat",
	}, attrs.AsRaw())
	// Keys already present keep their position; new ones are appended.
	var keys []string
	for k := range attrs.All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{
		KeyInputTokens, KeyProviderName, KeyRequestStream, KeyOutputTokens,
		"gen_ai.system", "gen_ai.usage.prompt_tokens", KeyOperationName,
	}, keys)
}

func TestWriteSuccessHasNoReason(t *testing.T) {
	attrs := pcommon.NewMap()
	plain.Write(&genai.Call{Operation: genai.OpEmbeddings}, attrs)
	_, ok := attrs.Get(KeyErrorReason)
	assert.False(t, ok)
	_, ok = attrs.Get(KeyTemplate)
	assert.False(t, ok)
	_, ok = attrs.Get(KeyRequestStream)
	assert.False(t, ok)
}

func TestWriteCanonicalSpanDoesNotAllocate(t *testing.T) {
	call := genai.Call{
		Provider: "openai", Operation: genai.OpChat, RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06",
		Template: "t", Streamed: true, InputTokens: 1, HasInputTokens: true, OutputTokens: 2, HasOutputTokens: true,
		TTFT: 0.1, HasTTFT: true,
	}
	attrs := pcommon.NewMap()
	plain.Write(&call, attrs)
	allocs := testing.AllocsPerRun(100, func() { plain.Write(&call, attrs) })
	assert.Zero(t, allocs)
	assert.Equal(t, 9, attrs.Len())
}

// dims are the four presets and a map with no default of its own.
func dims() []llmconfig.Dimension {
	p := llmconfig.Presets()
	return []llmconfig.Dimension{
		p["service"], p["provider"], p["operation"], p["tenant"],
		{Label: "team", Attributes: []string{"team"}, MaxValues: 20},
	}
}

func TestWriteDimensions(t *testing.T) {
	w := NewWriter(dims())
	attrs := pcommon.NewMap()
	call := genai.Call{Operation: genai.OpChat, Provider: "openai"}
	call.Dimensions = [genai.MaxDimensions]string{"checkout", "openai", "chat", "", "search"}
	w.Write(&call, attrs)
	assert.Equal(t, map[string]any{
		KeyProviderName:           "openai",
		KeyOperationName:          "chat",
		"llm.dimension.service":   "checkout",
		"llm.dimension.provider":  "openai",
		"llm.dimension.operation": "chat",
		"llm.dimension.tenant":    "none", // absent: the preset's default
		"llm.dimension.team":      "search",
	}, attrs.AsRaw())

	// Absent everywhere: every default ("unknown" when the map sets none).
	attrs = pcommon.NewMap()
	w.Write(&genai.Call{Operation: genai.OpEmbeddings}, attrs)
	assert.Equal(t, map[string]any{
		KeyOperationName:          "embeddings",
		"llm.dimension.service":   "unknown",
		"llm.dimension.provider":  "unknown",
		"llm.dimension.operation": "unknown",
		"llm.dimension.tenant":    "none",
		"llm.dimension.team":      "unknown",
	}, attrs.AsRaw())
}

// TestWriteDimensionsBounded: values are bounded as the exporter bounds a
// label value (cut to 128 bytes at a rune boundary, invalid UTF-8 repaired);
// "other" and values past any cap are written as they are.
func TestWriteDimensionsBounded(t *testing.T) {
	w := NewWriter(dims())
	huge := strings.Repeat("é", 1<<19) // 1 MiB
	call := genai.Call{Operation: genai.OpChat}
	call.Dimensions = [genai.MaxDimensions]string{huge, "other", "chat", "t\xff\xfe42", "x\xc3"}
	attrs := pcommon.NewMap()
	w.Write(&call, attrs)
	assert.Equal(t, map[string]any{
		KeyOperationName:          "chat",
		"llm.dimension.service":   strings.Repeat("é", 64), // 128 bytes
		"llm.dimension.provider":  "other",
		"llm.dimension.operation": "chat",
		"llm.dimension.tenant":    "t\uFFFD42",
		"llm.dimension.team":      "x\uFFFD",
	}, attrs.AsRaw())
}

// TestWriteDimensionsInPlace: a dimension key the span already carries is set
// in place (the call's value wins) and keeps its position.
func TestWriteDimensionsInPlace(t *testing.T) {
	w := NewWriter(dims()[:1])
	attrs := pcommon.NewMap()
	attrs.PutInt("llm.dimension.service", 7)
	attrs.PutStr("team", "search")
	call := genai.Call{Operation: genai.OpChat}
	call.Dimensions[0] = "checkout"
	w.Write(&call, attrs)
	var keys []string
	for k := range attrs.All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"llm.dimension.service", "team", KeyOperationName}, keys)
	assert.Equal(t, map[string]any{"llm.dimension.service": "checkout", "team": "search", KeyOperationName: "chat"}, attrs.AsRaw())
}

// TestWriteDimensionsDoNotAllocate: once a span holds its values, writing
// them again costs nothing, a cut 1 MiB value included; appending them costs
// what pdata costs per appended attribute (one value each) and one grown
// attribute slice, nothing more.
func TestWriteDimensionsDoNotAllocate(t *testing.T) {
	w := NewWriter(dims())
	call := genai.Call{Provider: "openai", Operation: genai.OpChat, RequestModel: "gpt-4o"}
	call.Dimensions = [genai.MaxDimensions]string{strings.Repeat("s", 1<<20), "openai", "chat", "tenant-42"}
	attrs := pcommon.NewMap()
	w.Write(&call, attrs)
	require.Equal(t, 8, attrs.Len())
	assert.Zero(t, testing.AllocsPerRun(100, func() { w.Write(&call, attrs) }))

	fresh := pcommon.NewMap()
	fresh.EnsureCapacity(1)
	assert.InDelta(t, 1+8, testing.AllocsPerRun(100, func() {
		fresh.Clear()
		w.Write(&call, fresh)
	}), 0)
}

func TestNewWriterBoundsDimensions(t *testing.T) {
	many := make([]llmconfig.Dimension, genai.MaxDimensions+2)
	for i := range many {
		many[i] = llmconfig.Dimension{Label: fmt.Sprintf("d%d", i), Source: llmconfig.SourceProvider}
	}
	w := NewWriter(many)
	attrs := pcommon.NewMap()
	w.Write(&genai.Call{Operation: genai.OpChat}, attrs)
	assert.Equal(t, 1+genai.MaxDimensions, attrs.Len())
	_, ok := attrs.Get("llm.dimension.d8")
	assert.False(t, ok)
}

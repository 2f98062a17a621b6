// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package enrich

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

func TestWriteOnlyWhatTheCallHas(t *testing.T) {
	attrs := pcommon.NewMap()
	attrs.PutStr("server.address", "api.example.test")
	call := genai.Call{Operation: genai.OpChat, RequestModel: "gpt-4o", InputTokens: 0, HasInputTokens: true}
	Write(&call, attrs)
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
	}
	Write(&call, attrs)
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
	}, attrs.AsRaw())
	assert.Len(t, attrs.AsRaw(), maxWritten, "every key Write knows")
}

// Cache writes are written under the latest semconv name: a legacy key stays,
// a string value (Spring AI) becomes the Int, a refused value is left as it was.
func TestWriteCacheCreation(t *testing.T) {
	attrs := pcommon.NewMap()
	attrs.PutInt("llm.token_count.prompt_details.cache_write", 900) // OpenInference: kept
	call := genai.Call{Operation: genai.OpChat, CacheCreationInputTokens: 900, HasCacheCreation: true}
	Write(&call, attrs)
	assert.Equal(t, map[string]any{
		"llm.token_count.prompt_details.cache_write": int64(900),
		KeyOperationName:       "chat",
		KeyCacheCreationTokens: int64(900),
	}, attrs.AsRaw())

	attrs = pcommon.NewMap()
	attrs.PutStr(KeyCacheCreationTokens, "1024") // Spring AI
	call.CacheCreationInputTokens = 1024
	Write(&call, attrs)
	assert.Equal(t, map[string]any{KeyCacheCreationTokens: int64(1024), KeyOperationName: "chat"}, attrs.AsRaw())

	attrs = pcommon.NewMap()
	attrs.PutInt(KeyCacheCreationTokens, -5) // refused: HasCacheCreation is false
	call = genai.Call{Operation: genai.OpChat, Invalid: genai.InvalidCacheCreationInputTokens}
	Write(&call, attrs)
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
	Write(&call, attrs)
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
	Write(&genai.Call{Operation: genai.OpEmbeddings}, attrs)
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
	Write(&call, attrs)
	allocs := testing.AllocsPerRun(100, func() { Write(&call, attrs) })
	assert.Zero(t, allocs)
	assert.Equal(t, 9, attrs.Len())
}

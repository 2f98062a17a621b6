// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsContentKey(t *testing.T) {
	m := NewContentMatcher([]string{"llm.template", "ai.prompt.id"})
	for _, k := range []string{
		"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
		"gen_ai.prompt", "gen_ai.prompt.0.content", "gen_ai.prompt.0.role",
		"gen_ai.completion", "gen_ai.completion.0.content",
		"llm.input_messages.0.message.content", "llm.output_messages.0.message.role",
		"input.value", "output.value", "ai.prompt", "ai.prompt.messages", "ai.response.text",
		"traceloop.entity.input", "traceloop.entity.output",
	} {
		assert.True(t, m.IsContentKey(k), k)
	}
	for _, k := range []string{
		"gen_ai.prompt.name", // template identity
		"ai.prompt.id",       // a configured template attribute
		"gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens", "gen_ai.usage.input_tokens",
		"gen_ai.request.model", "llm.template", "input.mime_type", "ai.response.finishReason",
		"llm.token_count.prompt", "traceloop.entity.name", "llm.invocation_parameters", "",
	} {
		assert.False(t, m.IsContentKey(k), k)
	}
	// Without the configured keys, ai.prompt.id is content (it has the ai.prompt prefix).
	assert.True(t, NewContentMatcher(nil).IsContentKey("ai.prompt.id"))
}

// TestContentTables: every key and prefix of the tables is content, every
// exception is not, and the accessors hand out copies.
func TestContentTables(t *testing.T) {
	m := NewContentMatcher(nil)
	for _, k := range ContentKeys() {
		assert.True(t, m.IsContentKey(k), k)
	}
	for _, p := range ContentKeyPrefixes() {
		assert.True(t, m.IsContentKey(p), p)
		assert.True(t, m.IsContentKey(p+".0.content"), p)
	}
	for _, k := range NotContentKeys() {
		assert.False(t, m.IsContentKey(k), k)
	}
	keys := ContentKeys()
	keys[0] = "changed"
	assert.Equal(t, "gen_ai.input.messages", ContentKeys()[0])
	assert.Len(t, ContentKeys(), 21)
	assert.Len(t, ContentKeyPrefixes(), 7)
	assert.Len(t, ContentEvents(), 8)
}

func TestIsContentEvent(t *testing.T) {
	for _, n := range ContentEvents() {
		assert.True(t, IsContentEvent(n), n)
	}
	for _, n := range []string{
		"gen_ai.content.completion.chunk", "llm.content.completion.chunk", "First Token Stream Event",
		"ai.stream.firstChunk", "exception", "",
	} {
		assert.False(t, IsContentEvent(n), n)
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package redact

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestSpan: content attributes go (on the span and on the events kept),
// content events go whole, the rest stays. Which keys and events are content
// is tested in internal/genai (content_test.go).
func TestSpan(t *testing.T) {
	span := ptrace.NewSpan()
	a := span.Attributes()
	a.PutStr("gen_ai.request.model", "gpt-4o")
	a.PutStr("gen_ai.input.messages", "[]")
	a.PutStr("gen_ai.prompt.0.content", "hi")
	a.PutStr("gen_ai.prompt.name", "greeting")
	ev := span.Events().AppendEmpty()
	ev.SetName("gen_ai.user.message")
	ev.Attributes().PutStr("content", "hi")
	chunk := span.Events().AppendEmpty()
	chunk.SetName("gen_ai.content.completion.chunk")
	chunk.Attributes().PutStr("gen_ai.completion.chunk", "He")
	chunk.Attributes().PutInt("index", 0)
	span.Events().AppendEmpty().SetName("exception")

	attrs, events := New(nil).Span(span)
	assert.Equal(t, 3, attrs)
	assert.Equal(t, 1, events)
	assert.Equal(t, map[string]any{"gen_ai.request.model": "gpt-4o", "gen_ai.prompt.name": "greeting"}, span.Attributes().AsRaw())
	assert.Equal(t, 2, span.Events().Len())
	assert.Equal(t, "gen_ai.content.completion.chunk", span.Events().At(0).Name())
	assert.Equal(t, map[string]any{"index": int64(0)}, span.Events().At(0).Attributes().AsRaw())
	assert.Equal(t, "exception", span.Events().At(1).Name())

	// A span without content is left alone.
	attrs, events = New(nil).Span(span)
	assert.Zero(t, attrs)
	assert.Zero(t, events)
}

func TestSpanWithoutContentDoesNotAllocate(t *testing.T) {
	span := ptrace.NewSpan()
	span.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
	span.Attributes().PutInt("gen_ai.usage.input_tokens", 3)
	span.Events().AppendEmpty().SetName("gen_ai.content.completion.chunk")
	r := New(nil)
	assert.Zero(t, testing.AllocsPerRun(100, func() { r.Span(span) }))
}

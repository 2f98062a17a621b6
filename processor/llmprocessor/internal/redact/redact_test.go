package redact

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestIsContentKey(t *testing.T) {
	r := New([]string{"llm.template", "ai.prompt.id"})
	for _, k := range []string{
		"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
		"gen_ai.prompt", "gen_ai.prompt.0.content", "gen_ai.prompt.0.role",
		"gen_ai.completion", "gen_ai.completion.0.content",
		"llm.input_messages.0.message.content", "llm.output_messages.0.message.role",
		"input.value", "output.value", "ai.prompt", "ai.prompt.messages", "ai.response.text",
		"traceloop.entity.input", "traceloop.entity.output",
	} {
		assert.True(t, r.IsContentKey(k), k)
	}
	for _, k := range []string{
		"gen_ai.prompt.name", // template identity
		"ai.prompt.id",       // a configured template attribute
		"gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens", "gen_ai.usage.input_tokens",
		"gen_ai.request.model", "llm.template", "input.mime_type", "ai.response.finishReason",
		"llm.token_count.prompt", "traceloop.entity.name", "llm.invocation_parameters", "",
	} {
		assert.False(t, r.IsContentKey(k), k)
	}
}

func TestIsContentEvent(t *testing.T) {
	for _, n := range ContentEvents {
		assert.True(t, IsContentEvent(n), n)
	}
	for _, n := range []string{"gen_ai.content.completion.chunk", "llm.content.completion.chunk", "First Token Stream Event",
		"ai.stream.firstChunk", "exception", ""} {
		assert.False(t, IsContentEvent(n), n)
	}
}

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

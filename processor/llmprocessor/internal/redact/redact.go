// Package redact removes prompt and completion content from spans. What is
// content is described once, as data, in the tables below.
package redact // import "github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/redact"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// ContentKeys are attribute keys whose value is prompt or completion content.
var ContentKeys = []string{
	// OTel GenAI semconv ≥1.37.
	"gen_ai.input.messages",
	"gen_ai.output.messages",
	"gen_ai.system_instructions",
	"gen_ai.tool.call.arguments",
	"gen_ai.tool.call.result",
	// OpenInference.
	"input.value",
	"output.value",
	"llm.prompt_template.template",
	"llm.prompt_template.variables",
	// Vercel AI SDK ≤v6.
	"ai.response.text",
	"ai.response.object",
	"ai.response.toolCalls",
	"ai.toolCall.args",
	"ai.toolCall.result",
	"ai.value",
	"ai.values",
	// OpenLLMetry.
	"traceloop.entity.input",
	"traceloop.entity.output",
	"traceloop.prompt.template",
	// Langfuse.
	"langfuse.observation.input",
	"langfuse.observation.output",
}

// ContentPrefixes: every attribute key that starts with one of these strings
// is content (plain string prefix, so "gen_ai.prompt" covers "gen_ai.prompt",
// "gen_ai.prompt.0.content" and "gen_ai.prompt.0.role").
var ContentPrefixes = []string{
	"gen_ai.prompt",        // semconv ≤1.27 attributes, OpenLLMetry, LiteLLM, LangSmith
	"gen_ai.completion",    // idem
	"llm.input_messages",   // OpenInference
	"llm.output_messages",  // OpenInference
	"llm.prompts",          // OpenInference (completions API)
	"embedding.embeddings", // OpenInference (embedded texts)
	"ai.prompt",            // Vercel AI SDK ≤v6: ai.prompt, ai.prompt.messages, ai.prompt.tools…
}

// KeptKeys match a content prefix but are not content: they are kept.
// (gen_ai.usage.* matches no prefix and needs no entry.)
var KeptKeys = []string{
	"gen_ai.prompt.name", // semconv ≥1.39: the prompt template's identity
}

// ContentEvents are span events that carry prompt or completion content:
// they are removed whole. Other events (exceptions, streamed-chunk markers
// such as gen_ai.content.completion.chunk) are kept, with their content
// attributes removed.
var ContentEvents = []string{
	"gen_ai.content.prompt",     // semconv ≤1.27, OpenLIT, Semantic Kernel, Spring AI
	"gen_ai.content.completion", // idem
	"gen_ai.system.message",     // semconv 1.28–1.36 per-message events
	"gen_ai.user.message",
	"gen_ai.assistant.message",
	"gen_ai.tool.message",
	"gen_ai.choice",
	"gen_ai.client.inference.operation.details", // semconv ≥1.37
}

// Redactor removes content from spans. It is safe for concurrent use.
type Redactor struct {
	// byFirst holds the rules of ContentKeys and ContentPrefixes by the first
	// byte of their key: most attribute keys are rejected after one or two
	// comparisons.
	byFirst [256][]rule
	kept    []string
}

type rule struct {
	s      string
	prefix bool
}

// New returns a Redactor that also keeps the keys in keep (e.g. the
// configured template attributes: a template identity is not content).
func New(keep []string) *Redactor {
	r := &Redactor{kept: append([]string(nil), KeptKeys...)}
	for _, k := range keep {
		if k != "" && !contains(r.kept, k) {
			r.kept = append(r.kept, k)
		}
	}
	for _, p := range ContentPrefixes {
		r.byFirst[p[0]] = append(r.byFirst[p[0]], rule{s: p, prefix: true})
	}
	for _, k := range ContentKeys {
		r.byFirst[k[0]] = append(r.byFirst[k[0]], rule{s: k})
	}
	return r
}

// IsContentKey reports whether the attribute key holds content.
func (r *Redactor) IsContentKey(k string) bool {
	if k == "" {
		return false
	}
	for _, ru := range r.byFirst[k[0]] {
		if k == ru.s || (ru.prefix && strings.HasPrefix(k, ru.s)) {
			return !contains(r.kept, k)
		}
	}
	return false
}

// IsContentEvent reports whether a span event with this name is content.
func IsContentEvent(name string) bool {
	return contains(ContentEvents, name)
}

// Span removes the content attributes and content events of span, and the
// content attributes of the events it keeps. It returns the number of
// attributes and of events removed.
func (r *Redactor) Span(span ptrace.Span) (attrs, events int) {
	attrs = r.removeAttrs(span.Attributes())
	evs := span.Events()
	if evs.Len() == 0 {
		return attrs, 0
	}
	evs.RemoveIf(func(ev ptrace.SpanEvent) bool {
		if IsContentEvent(ev.Name()) {
			events++
			return true
		}
		attrs += r.removeAttrs(ev.Attributes())
		return false
	})
	return attrs, events
}

func (r *Redactor) removeAttrs(m pcommon.Map) (n int) {
	// Most spans carry no content: look before rewriting the map.
	found := false
	for k := range m.All() {
		if r.IsContentKey(k) {
			found = true
			break
		}
	}
	if !found {
		return 0
	}
	m.RemoveIf(func(k string, _ pcommon.Value) bool {
		if r.IsContentKey(k) {
			n++
			return true
		}
		return false
	})
	return n
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

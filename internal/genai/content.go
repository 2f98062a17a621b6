// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"slices"
	"strings"
)

// Which attributes and span events carry prompt or completion content, per
// dialect: the llm processor's redact_content removes what these tables name.

// contentKeys are attribute keys whose value is prompt or completion content.
var contentKeys = []string{
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

// contentPrefixes: every attribute key that starts with one of these strings
// is content (plain string prefix, so "gen_ai.prompt" covers "gen_ai.prompt",
// "gen_ai.prompt.0.content" and "gen_ai.prompt.0.role").
var contentPrefixes = []string{
	"gen_ai.prompt",        // semconv ≤1.27 attributes, OpenLLMetry, LiteLLM, LangSmith
	"gen_ai.completion",    // idem
	"llm.input_messages",   // OpenInference
	"llm.output_messages",  // OpenInference
	"llm.prompts",          // OpenInference (completions API)
	"embedding.embeddings", // OpenInference (embedded texts)
	"ai.prompt",            // Vercel AI SDK ≤v6: ai.prompt, ai.prompt.messages, ai.prompt.tools…
}

// notContentKeys match a content prefix but are not content.
// (gen_ai.usage.* matches no prefix and needs no entry.)
var notContentKeys = []string{
	"gen_ai.prompt.name", // semconv ≥1.39: the prompt template's identity
}

// contentEvents are span events that carry prompt or completion content as a
// whole. Other events (exceptions, streamed-chunk markers such as
// gen_ai.content.completion.chunk) are not content; their attributes are
// judged key by key.
var contentEvents = []string{
	"gen_ai.content.prompt",     // semconv ≤1.27, OpenLIT, Semantic Kernel, Spring AI
	"gen_ai.content.completion", // idem
	"gen_ai.system.message",     // semconv 1.28–1.36 per-message events
	"gen_ai.user.message",
	"gen_ai.assistant.message",
	"gen_ai.tool.message",
	"gen_ai.choice",
	"gen_ai.client.inference.operation.details", // semconv ≥1.37
}

// ContentKeys returns the attribute keys whose value is content.
func ContentKeys() []string { return slices.Clone(contentKeys) }

// ContentKeyPrefixes returns the prefixes of attribute keys that are content.
func ContentKeyPrefixes() []string { return slices.Clone(contentPrefixes) }

// NotContentKeys returns the keys that match a content prefix but are not content.
func NotContentKeys() []string { return slices.Clone(notContentKeys) }

// ContentEvents returns the names of the span events that are content.
func ContentEvents() []string { return slices.Clone(contentEvents) }

// IsContentEvent reports whether a span event with this name is content.
func IsContentEvent(name string) bool {
	return slices.Contains(contentEvents, name)
}

// ContentMatcher tells content attribute keys from the others. It is
// immutable and safe for concurrent use.
type ContentMatcher struct {
	// byFirst holds the content keys and prefixes by the first byte of their
	// key: most attribute keys are rejected after one or two comparisons.
	byFirst [256][]contentRule
	kept    []string
}

type contentRule struct {
	s      string
	prefix bool
}

// NewContentMatcher returns a matcher that also treats the keys in keep as
// not content (e.g. the configured template attributes: a template identity
// is not content).
func NewContentMatcher(keep []string) *ContentMatcher {
	m := &ContentMatcher{kept: slices.Clone(notContentKeys)}
	for _, k := range keep {
		if k != "" && !slices.Contains(m.kept, k) {
			m.kept = append(m.kept, k)
		}
	}
	for _, p := range contentPrefixes {
		m.byFirst[p[0]] = append(m.byFirst[p[0]], contentRule{s: p, prefix: true})
	}
	for _, k := range contentKeys {
		m.byFirst[k[0]] = append(m.byFirst[k[0]], contentRule{s: k})
	}
	return m
}

// IsContentKey reports whether the attribute key holds content.
func (m *ContentMatcher) IsContentKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range m.byFirst[k[0]] {
		if k == r.s || (r.prefix && strings.HasPrefix(k, r.s)) {
			return !slices.Contains(m.kept, k)
		}
	}
	return false
}

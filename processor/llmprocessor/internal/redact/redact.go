// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package redact removes prompt and completion content from spans. What is
// content is internal/genai's knowledge (genai.ContentMatcher,
// genai.IsContentEvent); this package only removes it.
package redact // import "github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/redact"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// Redactor removes content from spans. It is safe for concurrent use.
type Redactor struct {
	content *genai.ContentMatcher
}

// New returns a Redactor that also keeps the keys in keep (e.g. the
// configured template attributes: a template identity is not content).
func New(keep []string) *Redactor {
	return &Redactor{content: genai.NewContentMatcher(keep)}
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
		if genai.IsContentEvent(ev.Name()) {
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
		if r.content.IsContentKey(k) {
			found = true
			break
		}
	}
	if !found {
		return 0
	}
	m.RemoveIf(func(k string, _ pcommon.Value) bool {
		if r.content.IsContentKey(k) {
			n++
			return true
		}
		return false
	})
	return n
}

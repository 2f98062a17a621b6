package genai

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// DefaultTemplateKeys are the attribute keys read, in order, for the prompt
// template identity (span attributes first, then resource attributes).
func DefaultTemplateKeys() []string {
	return []string{"llm.template", "gen_ai.prompt.name"}
}

// Options configure an Extractor.
type Options struct {
	// TemplateKeys are read in order, on the span then on the resource; the
	// first non-empty string wins. Nil means DefaultTemplateKeys.
	TemplateKeys []string
}

// Extractor turns spans into Calls. It is safe for concurrent use.
type Extractor struct {
	templateKeys []string
}

// NewExtractor builds an Extractor.
func NewExtractor(opts Options) *Extractor {
	keys := opts.TemplateKeys
	if keys == nil {
		keys = DefaultTemplateKeys()
	}
	return &Extractor{templateKeys: keys}
}

// Extract fills call from span and resource and reports whether the span is an
// LLM call that must be counted. When it returns false, call is unspecified.
// It never panics and never allocates on the hot path.
func (e *Extractor) Extract(span ptrace.Span, resource pcommon.Resource, call *Call) bool {
	// TODO: implemented in the next change.
	return false
}

package llmprocessor // import "github.com/otelcol-llm/otelcol-llm/processor/llmprocessor"

import (
	"errors"
	"fmt"

	"github.com/otelcol-llm/otelcol-llm/pricing"
)

// Config is the configuration of the llm processor.
type Config struct {
	// TemplateAttributes are the attribute keys read, in order, on the span
	// then on the resource, for the prompt template identity (llm.template).
	// Same meaning and default as the llm_prometheus exporter's; give both
	// components the same list.
	TemplateAttributes []string `mapstructure:"template_attributes"`

	// RedactContent removes prompt and completion content (attributes and
	// span events) from every span, LLM call or not.
	RedactContent bool `mapstructure:"redact_content"`

	// Pricing prices LLM calls whose span carries no cost; the cost is written
	// as gen_ai.usage.cost. Same block as the llm_prometheus exporter's.
	Pricing pricing.Config `mapstructure:"pricing"`

	// DeduplicateNestedCalls: a call recorded by two nested LLM spans of one
	// batch is enriched once, on the child span; the parent gets
	// llm.duplicate_of_child = true instead. Same rule as the llm_prometheus
	// exporter's option of the same name (internal/genai/COUNTING.md).
	DeduplicateNestedCalls bool `mapstructure:"deduplicate_nested_calls"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the configuration; every message names the field and value.
func (cfg Config) Validate() error {
	var errs []error
	for i, k := range cfg.TemplateAttributes {
		if k == "" {
			errs = append(errs, fmt.Errorf("template_attributes[%d]: %q must not be empty", i, k))
		}
	}
	return errors.Join(errs...)
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package llmconfig is the configuration block the llm_prometheus exporter
// and the llm processor share: how calls are read from spans
// (template_attributes), counted once when nested (deduplicate_nested_calls)
// and priced (pricing). Each component squashes it into its own Config, so
// the keys sit at the top level of the component's configuration.
package llmconfig // import "github.com/otelcol-llm/otelcol-llm/internal/llmconfig"

import (
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/otelcol-llm/otelcol-llm/internal/batch"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

// DefaultDeduplicateNestedCalls counts a call seen as two nested LLM spans once.
const DefaultDeduplicateNestedCalls = true

// Shared is the block both components read.
type Shared struct {
	// TemplateAttributes are the attribute keys read, in order, on the span
	// then on the resource, for the prompt template identity (the template
	// label, llm.template). Give both components the same list.
	TemplateAttributes []string `mapstructure:"template_attributes"`
	// Pricing prices the calls whose span carries no cost (internal/cost).
	Pricing pricing.Config `mapstructure:"pricing"`
	// DeduplicateNestedCalls counts a call recorded by two nested LLM spans
	// of one batch (a framework span and the provider span under it) once, on
	// the child span; internal/genai/COUNTING.md gives the rule.
	DeduplicateNestedCalls bool `mapstructure:"deduplicate_nested_calls"`
	// Dimensions are the labels beside model and template (service,
	// provider, tenant …), each with its own cap: the llm_prometheus
	// exporter adds them to every llm_* family, the llm processor writes
	// their values onto the span as llm.dimension.<label>.
	Dimensions []Dimension `mapstructure:"dimensions"`
}

// Default returns the default block.
func Default() Shared {
	return Shared{
		TemplateAttributes:     genai.DefaultTemplateKeys(),
		Pricing:                pricing.DefaultConfig(),
		DeduplicateNestedCalls: DefaultDeduplicateNestedCalls,
	}
}

// Check checks the block; every message names the configuration key and
// the value. The components' Validate calls it. It is not named Validate on
// purpose: the collector validates nested structs itself and prefixes their
// errors with the Go field path, which for this squashed block would be
// "shared::", a key no configuration has.
func (c Shared) Check() error {
	var errs []error
	for i, k := range c.TemplateAttributes {
		if k == "" {
			errs = append(errs, fmt.Errorf("template_attributes[%d]: %q must not be empty", i, k))
		}
	}
	if err := c.Pricing.Check(); err != nil {
		errs = append(errs, fmt.Errorf("pricing: %w", err))
	}
	if err := checkDimensions(c.Dimensions); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// TemplateKeys returns the template attributes as configured, or the
// default keys when none were configured (nil).
func (c Shared) TemplateKeys() []string {
	if c.TemplateAttributes == nil {
		return genai.DefaultTemplateKeys()
	}
	return c.TemplateAttributes
}

// NewExtractor returns the batch extractor the block configures.
func (c Shared) NewExtractor() *batch.Extractor {
	return batch.NewExtractor(genai.Options{
		TemplateKeys: c.TemplateAttributes,
		Dimensions:   GenAIDimensions(c.Dimensions),
	}, c.DeduplicateNestedCalls)
}

// NewPricer loads the price tables the block configures.
func (c Shared) NewPricer(logger *zap.Logger) (*pricing.Pricer, error) {
	return pricing.NewPricer(c.Pricing.Settings(), logger)
}

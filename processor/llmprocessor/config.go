// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor // import "github.com/otelcol-llm/otelcol-llm/processor/llmprocessor"

import (
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
)

// Config is the configuration of the llm processor.
type Config struct {
	// Shared holds template_attributes, pricing, deduplicate_nested_calls
	// and dimensions, the block the llm_prometheus exporter has too (same
	// keys, same meaning, same defaults: give both components the same
	// values). Here the template is written as llm.template, a price table
	// cost as gen_ai.usage.cost, each dimension's value as
	// llm.dimension.<label> (bounded as a label value, never folded to
	// "other": max_values and idle_timeout act only in the exporter), and a
	// nested duplicate is not enriched but marked llm.duplicate_of_child =
	// true.
	llmconfig.Shared `mapstructure:",squash"`

	// RedactContent removes prompt and completion content (attributes and
	// span events) from every span, LLM call or not.
	RedactContent bool `mapstructure:"redact_content"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the configuration; every message names the key and the
// value (redact_content is a bool the collector has parsed already).
func (cfg Config) Validate() error {
	return cfg.Check()
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconfig_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
	"github.com/otelcol-llm/otelcol-llm/pricing"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor"
)

func TestDefault(t *testing.T) {
	assert.Equal(t, llmconfig.Shared{
		TemplateAttributes:     genai.DefaultTemplateKeys(),
		Pricing:                pricing.Config{DefaultTable: true, ReloadInterval: 30 * time.Second},
		DeduplicateNestedCalls: true,
	}, llmconfig.Default())
	require.NoError(t, llmconfig.Default().Check())
}

func TestValidate(t *testing.T) {
	err := llmconfig.Shared{TemplateAttributes: []string{"a", "", "b", ""}}.Check()
	require.Error(t, err)
	assert.Equal(t, "template_attributes[1]: \"\" must not be empty\ntemplate_attributes[3]: \"\" must not be empty", err.Error())
}

func TestTemplateKeys(t *testing.T) {
	assert.Equal(t, genai.DefaultTemplateKeys(), llmconfig.Shared{}.TemplateKeys())
	assert.Empty(t, llmconfig.Shared{TemplateAttributes: []string{}}.TemplateKeys())
	assert.Equal(t, []string{"x"}, llmconfig.Shared{TemplateAttributes: []string{"x"}}.TemplateKeys())
}

// shared returns the block inside a component's Config.
func shared(t *testing.T, cfg component.Config) llmconfig.Shared {
	t.Helper()
	switch c := cfg.(type) {
	case *llmprometheusexporter.Config:
		return c.Shared
	case *llmprocessor.Config:
		return c.Shared
	}
	t.Fatalf("unexpected config %T", cfg)
	return llmconfig.Shared{}
}

// TestBothComponentsReadTheBlock: the exporter and the processor read the
// same keys at the top level of their configuration into the same block,
// with the same defaults, and validate it once.
func TestBothComponentsReadTheBlock(t *testing.T) {
	raw := map[string]any{
		"template_attributes":      []any{"app.prompt.id"},
		"deduplicate_nested_calls": false,
		"pricing": map[string]any{
			"default_table": false, "reload_interval": "1m",
			"models": []any{map[string]any{"model": "m", "input": 1, "output": 2}},
		},
	}
	want := llmconfig.Shared{
		TemplateAttributes: []string{"app.prompt.id"},
		Pricing: pricing.Config{
			ReloadInterval: time.Minute,
			Models:         []pricing.Row{{Model: "m", Input: 1, Output: 2}},
		},
	}
	for _, defaults := range []component.Config{
		llmprometheusexporter.NewFactory().CreateDefaultConfig(),
		llmprocessor.NewFactory().CreateDefaultConfig(),
	} {
		assert.Equal(t, llmconfig.Default(), shared(t, defaults), "%T defaults", defaults)
		require.NoError(t, confmap.NewFromStringMap(raw).Unmarshal(defaults))
		assert.Equal(t, want, shared(t, defaults), "%T", defaults)

		bad := confmap.NewFromStringMap(map[string]any{
			"template_attributes": []any{"", "x", ""},
			"pricing":             map[string]any{"models": []any{map[string]any{"model": "m", "prefix": "p"}}},
		})
		require.NoError(t, bad.Unmarshal(defaults))
		// The whole message: each problem once, named by its configuration
		// key (no Go field path such as "shared::" in front).
		assert.EqualError(t, confmap.Validate(defaults), `template_attributes[0]: "" must not be empty
template_attributes[2]: "" must not be empty
pricing: models[0]: exactly one of model, prefix and regex must be set (model "m", prefix "p", regex "")`, "%T", defaults)
	}
}

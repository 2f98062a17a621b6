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

// TestEffectiveFromInConfig: effective_from is read from the collector's
// YAML, quoted or not (an unquoted date is a YAML timestamp), and a bad date
// fails naming the row and the field.
func TestEffectiveFromInConfig(t *testing.T) {
	conf := func(t *testing.T, yaml string) *confmap.Conf {
		t.Helper()
		r, err := confmap.NewRetrievedFromYAML([]byte(yaml))
		require.NoError(t, err)
		c, err := r.AsConf()
		require.NoError(t, err)
		return c
	}
	cfg := llmprometheusexporter.NewFactory().CreateDefaultConfig()
	require.NoError(t, conf(t, `
pricing:
  models:
    - {model: m, input: 2, output: 8}
    - {model: m, input: 1, output: 4, effective_from: 2026-03-15}
    - {model: m, input: 0.5, output: 2, effective_from: "2026-06-01"}
`).Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	models := shared(t, cfg).Pricing.Models
	require.Len(t, models, 3)
	assert.Equal(t, []string{"", "2026-03-15", "2026-06-01"}, []string{models[0].EffectiveFrom, models[1].EffectiveFrom, models[2].EffectiveFrom})
	tbl, err := pricing.NewTable(models)
	require.NoError(t, err)
	at := func(s string) *pricing.Price {
		d, err := time.Parse(time.DateOnly, s)
		require.NoError(t, err)
		return tbl.Schedule("", "m").At(d.UnixNano())
	}
	assert.InDelta(t, 2e-6, at("2026-03-14").Input, 1e-18)
	assert.InDelta(t, 1e-6, at("2026-03-15").Input, 1e-18)
	assert.InDelta(t, 0.5e-6, at("2026-06-01").Input, 1e-18)

	bad := llmprometheusexporter.NewFactory().CreateDefaultConfig()
	require.NoError(t, conf(t, `
pricing:
  models:
    - {model: a, input: 1, output: 1}
    - {model: a, input: 1, output: 1, effective_from: 2026-03-01}
    - {model: a, input: 1, output: 1, effective_from: 2026-13-01}
`).Unmarshal(bad))
	require.EqualError(t, confmap.Validate(bad), `pricing: models[2]: effective_from: "2026-13-01" is not a date (YYYY-MM-DD, UTC)`)

	// A timestamp with a time of day is not a date; an unknown key in a row
	// still fails the unmarshaling.
	timed := llmprometheusexporter.NewFactory().CreateDefaultConfig()
	require.NoError(t, conf(t, "pricing:\n  models:\n    - {model: a, input: 1, output: 1, effective_from: 2026-03-01T10:00:00Z}\n").Unmarshal(timed))
	require.EqualError(t, confmap.Validate(timed), `pricing: models[0]: effective_from: "2026-03-01T10:00:00Z" is not a date (YYYY-MM-DD, UTC)`)
	require.ErrorContains(t, conf(t, "pricing:\n  models:\n    - {model: a, input: 1, output: 1, effective_form: 2026-03-01}\n").
		Unmarshal(llmprometheusexporter.NewFactory().CreateDefaultConfig()), "effective_form")
}

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
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor"
)

func yamlConf(t *testing.T, yaml string) *confmap.Conf {
	t.Helper()
	r, err := confmap.NewRetrievedFromYAML([]byte(yaml))
	require.NoError(t, err)
	c, err := r.AsConf()
	require.NoError(t, err)
	return c
}

// TestDimensionsInConfig: both components read presets (strings) and maps
// from the collector's YAML into the same dimensions.
func TestDimensionsInConfig(t *testing.T) {
	for _, cfg := range []component.Config{
		llmprometheusexporter.NewFactory().CreateDefaultConfig(),
		llmprocessor.NewFactory().CreateDefaultConfig(),
	} {
		require.NoError(t, yamlConf(t, `
dimensions:
  - service
  - label: provider
    source: provider
  - label: tenant
    attributes: [tenant.id, enduser.id, user.id]
    default: none
    max_values: 1000
    idle_timeout: 1h
  - label: team
    attributes: [team, service.namespace]
`).Unmarshal(cfg))
		require.NoError(t, confmap.Validate(cfg))
		dims := shared(t, cfg).Dimensions
		assert.Equal(t, []llmconfig.Dimension{
			{Label: "service", Attributes: []string{"service.name"}, Default: "unknown", MaxValues: 50},
			{Label: "provider", Source: "provider"},
			{Label: "tenant", Attributes: []string{"tenant.id", "enduser.id", "user.id"}, Default: "none", MaxValues: 1000, IdleTimeout: time.Hour},
			{Label: "team", Attributes: []string{"team", "service.namespace"}},
		}, dims, "%T", cfg)
		assert.Equal(t, []string{"unknown", "unknown", "none", "unknown"},
			[]string{dims[0].DefaultValue(), dims[1].DefaultValue(), dims[2].DefaultValue(), dims[3].DefaultValue()})
		assert.Equal(t, []int{50, 100, 1000, 100}, []int{dims[0].Cap(), dims[1].Cap(), dims[2].Cap(), dims[3].Cap()})
		assert.Equal(t, []genai.Dimension{
			{Keys: []string{"service.name"}},
			{Source: genai.DimensionProvider},
			{Keys: []string{"tenant.id", "enduser.id", "user.id"}},
			{Keys: []string{"team", "service.namespace"}},
		}, llmconfig.GenAIDimensions(dims))
	}
}

func TestDimensionPresets(t *testing.T) {
	cfg := llmprometheusexporter.NewFactory().CreateDefaultConfig()
	require.NoError(t, yamlConf(t, "dimensions: [service, provider, operation, tenant]\n").Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	p := llmconfig.Presets()
	assert.Equal(t, []llmconfig.Dimension{p["service"], p["provider"], p["operation"], p["tenant"]}, shared(t, cfg).Dimensions)
	assert.Equal(t, llmconfig.Dimension{
		Label: "tenant", Attributes: []string{"tenant.id", "enduser.id", "user.id"},
		Default: "none", MaxValues: 1000, IdleTimeout: time.Hour,
	}, p["tenant"])

	err := yamlConf(t, "dimensions: [service, tenants]\n").Unmarshal(llmprometheusexporter.NewFactory().CreateDefaultConfig())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"tenants" is not a dimension preset (operation, provider, service, tenant)`)
}

// TestDimensionsCheck: every bad dimension fails at start-up naming the
// field and the value.
func TestDimensionsCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		dims []llmconfig.Dimension
		want string
	}{
		{"empty label", []llmconfig.Dimension{{Attributes: []string{"a"}}}, `dimensions[0]::label: "" must not be empty`},
		{
			"invalid label",
			[]llmconfig.Dimension{{Label: "service.name", Attributes: []string{"a"}}},
			`dimensions[0]::label: "service.name" is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`,
		},
		{
			"leading digit",
			[]llmconfig.Dimension{{Label: "1x", Attributes: []string{"a"}}},
			`dimensions[0]::label: "1x" is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`,
		},
		{
			"double underscore",
			[]llmconfig.Dimension{{Label: "__name__", Attributes: []string{"a"}}},
			`dimensions[0]::label: "__name__" is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`,
		},
		{
			"built-in label",
			[]llmconfig.Dimension{{Label: "model", Attributes: []string{"a"}}},
			`dimensions[0]::label: "model" clashes with a built-in label (model, template, status, reason, le, quantile, budget, period, window, job, instance)`,
		},
		{
			"duplicate",
			[]llmconfig.Dimension{{Label: "team", Attributes: []string{"a"}}, {Label: "x", Source: "provider"}, {Label: "team", Source: "operation"}},
			`dimensions[2]::label: "team" is already the label of dimensions[0]`,
		},
		{
			"unknown source",
			[]llmconfig.Dimension{{Label: "x", Source: "region"}},
			`dimensions[0]::source: "region" is not a built-in source (provider, operation)`,
		},
		{
			"neither",
			[]llmconfig.Dimension{{Label: "x"}},
			`dimensions[0]::attributes: [] must list at least one attribute key (or set source: provider | operation)`,
		},
		{
			"both",
			[]llmconfig.Dimension{{Label: "x", Source: "provider", Attributes: []string{"a"}}},
			`dimensions[0]::attributes: [a] cannot be set with source "provider"`,
		},
		{
			"empty key",
			[]llmconfig.Dimension{{Label: "x", Attributes: []string{"a", ""}}},
			`dimensions[0]::attributes[1]: "" must not be empty`,
		},
		{
			"default other",
			[]llmconfig.Dimension{{Label: "x", Source: "provider", Default: "other"}},
			`dimensions[0]::default: "other" is the reserved value past a cap`,
		},
		{
			"default not UTF-8",
			[]llmconfig.Dimension{{Label: "x", Source: "provider", Default: "\xff"}},
			`dimensions[0]::default: "\xff" must be valid UTF-8 of at most 128 bytes`,
		},
		{
			"negative cap",
			[]llmconfig.Dimension{{Label: "x", Source: "provider", MaxValues: -1}},
			`dimensions[0]::max_values: -1 must be between 1 and 100000 (0: 100)`,
		},
		{
			"huge cap",
			[]llmconfig.Dimension{{Label: "x", Source: "provider", MaxValues: 100_001}},
			`dimensions[0]::max_values: 100001 must be between 1 and 100000 (0: 100)`,
		},
		{
			"tiny idle timeout",
			[]llmconfig.Dimension{{Label: "x", Source: "provider", IdleTimeout: time.Millisecond}},
			`dimensions[0]::idle_timeout: 1ms must be 0 (off) or at least 1s`,
		},
		{"too many", func() []llmconfig.Dimension {
			var d []llmconfig.Dimension
			for i := range 9 {
				d = append(d, llmconfig.Dimension{Label: "d" + string(rune('a'+i)), Source: "provider"})
			}
			return d
		}(), `dimensions: 9 entries, at most 8`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, llmconfig.Shared{Dimensions: tc.dims}.Check(), tc.want)
		})
	}
}

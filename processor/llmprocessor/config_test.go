// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	full := createDefaultConfig().(*Config)
	full.TemplateAttributes = []string{"app.prompt.id", "llm.template"}
	full.RedactContent = true
	full.DeduplicateNestedCalls = false

	noTemplates := createDefaultConfig().(*Config)
	noTemplates.TemplateAttributes = []string{}

	presets := llmconfig.Presets()
	dims := createDefaultConfig().(*Config)
	dims.Dimensions = []llmconfig.Dimension{
		presets["service"], presets["provider"], presets["operation"], presets["tenant"],
		{Label: "team", Attributes: []string{"team", "service.namespace"}, MaxValues: 20},
	}

	tests := []struct {
		id       component.ID
		expected component.Config
		errMsg   string // substring of the Validate or Unmarshal error
	}{
		{id: component.NewID(metadata.Type), expected: createDefaultConfig()},
		{id: component.NewIDWithName(metadata.Type, "full"), expected: full},
		{id: component.NewIDWithName(metadata.Type, "no_templates"), expected: noTemplates},
		{id: component.NewIDWithName(metadata.Type, "dimensions"), expected: dims},
		{id: component.NewIDWithName(metadata.Type, "bad_dimension"), errMsg: `dimensions[0]::label: "model"`},
		{id: component.NewIDWithName(metadata.Type, "unknown_preset"), errMsg: `"region" is not a dimension preset`},
		{id: component.NewIDWithName(metadata.Type, "empty_template_key"), errMsg: `template_attributes[1]: "" must not be empty`},
		{id: component.NewIDWithName(metadata.Type, "bad_redact"), errMsg: "redact_content"},
		{id: component.NewIDWithName(metadata.Type, "bad_deduplicate"), errMsg: "deduplicate_nested_calls"},
		{id: component.NewIDWithName(metadata.Type, "unknown_key"), errMsg: "redact_contents"},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if err == nil {
				err = confmap.Validate(cfg)
			}
			if tt.errMsg != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.errMsg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.expected, cfg)
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, genai.DefaultTemplateKeys(), cfg.TemplateAttributes)
	assert.False(t, cfg.RedactContent)
	assert.True(t, cfg.DeduplicateNestedCalls)
	assert.Empty(t, cfg.Dimensions, "no dimension unless configured: nothing new is written")
	require.NoError(t, confmap.Validate(cfg))
}

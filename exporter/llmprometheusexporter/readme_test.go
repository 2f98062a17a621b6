// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
)

// readmeSection returns the section of the project README that starts with
// heading, up to the next heading of the same level.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(b)
	start := strings.Index(readme, heading+"\n")
	require.GreaterOrEqual(t, start, 0, "README section %q", heading)
	rest := readme[start+len(heading):]
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

// TestReadmeDimensionExamples: every YAML example of the README's section on
// dimensions and budgets is a valid llm_prometheus configuration, and the
// presets table shows the presets as they are.
func TestReadmeDimensionExamples(t *testing.T) {
	section := readmeSection(t, "## Usage and cost per service, team and tenant")
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(section, -1)
	require.Len(t, blocks, 4)
	for i, b := range blocks {
		var doc map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(b[1]), &doc), "block %d", i)
		body := doc
		if ex, ok := doc["exporters"].(map[string]any); ok {
			body, ok = ex["llm_prometheus"].(map[string]any)
			require.True(t, ok, "block %d: exporters::llm_prometheus", i)
		}
		cfg := createDefaultConfig().(*Config)
		require.NoError(t, confmap.NewFromStringMap(body).Unmarshal(cfg), "block %d", i)
		require.NoError(t, confmap.Validate(cfg), "block %d", i)
		require.NotEmpty(t, cfg.Dimensions, "block %d", i)
		_, err := newLLMExporter(cfg, exportertest.NewNopSettings(metadata.Type))
		require.NoError(t, err, "block %d", i)
	}

	for name, p := range llmconfig.Presets() {
		read := strings.Join(p.Attributes, "`, `")
		if read != "" {
			read = "attributes `" + read + "`"
		}
		idle := "off"
		if p.IdleTimeout > 0 {
			idle = "`" + strings.TrimSuffix(strings.TrimSuffix(p.IdleTimeout.String(), "0s"), "0m") + "`"
		}
		row := fmt.Sprintf("| %#q | %#q | ", name, p.Label)
		at := strings.Index(section, row)
		require.GreaterOrEqual(t, at, 0, "the presets table has a row for %s", name)
		line, _, _ := strings.Cut(section[at:], "\n")
		if read != "" {
			assert.Contains(t, line, read, name)
		}
		assert.Contains(t, line, fmt.Sprintf(" | %#q | %d | %s |", p.DefaultValue(), p.Cap(), idle), name)
	}
}

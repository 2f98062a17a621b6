// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// TestReadmeListsRedactionTable: the README's redaction section names every
// entry of the content tables of internal/genai.
func TestReadmeListsRedactionTable(t *testing.T) {
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(b)
	start := strings.Index(readme, "## Content redaction")
	end := strings.Index(readme, "## Configuration")
	require.True(t, start >= 0 && end > start, "README sections not found")
	section := readme[start:end]
	for _, list := range [][]string{genai.ContentKeys(), genai.ContentKeyPrefixes(), genai.NotContentKeys(), genai.ContentEvents()} {
		for _, k := range list {
			assert.Contains(t, section, "`"+k+"`")
		}
	}
}

// TestReadmeDimensionsExample: the configuration example of the README's
// dimensions section loads in both components, gives them the same
// dimensions, and is the configuration the tests use (llm/dimensions).
func TestReadmeDimensionsExample(t *testing.T) {
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(b)
	start := strings.Index(readme, "## Dimensions on spans")
	require.GreaterOrEqual(t, start, 0, "README section not found")
	section := readme[start:]
	from := strings.Index(section, "```yaml\n")
	require.GreaterOrEqual(t, from, 0, "no yaml block")
	section = section[from+len("```yaml\n"):]
	end := strings.Index(section, "```")
	require.GreaterOrEqual(t, end, 0, "yaml block not closed")
	block := section[:end]

	retrieved, err := confmap.NewRetrievedFromYAML([]byte(block))
	require.NoError(t, err)
	conf, err := retrieved.AsConf()
	require.NoError(t, err)

	procConf, err := conf.Sub("processors::llm")
	require.NoError(t, err)
	proc := createDefaultConfig().(*Config)
	require.NoError(t, procConf.Unmarshal(proc))
	require.NoError(t, confmap.Validate(proc))

	f := llmprometheusexporter.NewFactory()
	expConf, err := conf.Sub("exporters::llm_prometheus")
	require.NoError(t, err)
	exporterCfg := f.CreateDefaultConfig().(*llmprometheusexporter.Config)
	require.NoError(t, expConf.Unmarshal(exporterCfg))
	require.NoError(t, confmap.Validate(exporterCfg))

	assert.Equal(t, loadConfig(t, "dimensions").Dimensions, proc.Dimensions)
	assert.Equal(t, proc.Dimensions, exporterCfg.Dimensions)
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

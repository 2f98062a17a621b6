// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportsNothingOfOurs: genai is the bottom of the project's packages. It
// knows span dialects and nothing else (not prices, not metrics): its
// production files import no package of this module. Pricing depends on the
// canonical call, not the other way round (internal/cost builds the usage).
func TestImportsNothingOfOurs(t *testing.T) {
	const module = "github.com/otelcol-llm/otelcol-llm/"
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			assert.False(t, strings.HasPrefix(path, module), "%s imports %s", f, path)
		}
		checked++
	}
	assert.GreaterOrEqual(t, checked, 10, "the package's files were read")
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRulesGeneratorKnowsTheReasons: the rules generator checks the excluded
// reasons of the availability SLO against its list, which must be the
// reasons of llm_errors_total.
func TestRulesGeneratorKnowsTheReasons(t *testing.T) {
	raw, err := os.ReadFile("../../dashboards/mixin/reasons.txt")
	require.NoError(t, err)
	var want []string
	for r := ReasonNone + 1; r < NumReasons; r++ {
		want = append(want, r.String())
	}
	assert.Equal(t, want, strings.Fields(string(raw)))
}

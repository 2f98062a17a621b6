// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmmetrics

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestRulesGeneratorKnowsTheDefaultBuckets: the rules generator refuses a
// latency or time-to-first-token SLO threshold that is not a bucket boundary
// of its buckets setting, whose defaults must be the collector's.
func TestRulesGeneratorKnowsTheDefaultBuckets(t *testing.T) {
	raw, err := os.ReadFile("../../dashboards/mixin/defaults.yaml")
	require.NoError(t, err)
	var defaults struct {
		Buckets struct {
			RequestDuration  []float64 `yaml:"request_duration"`
			TimeToFirstToken []float64 `yaml:"time_to_first_token"`
		} `yaml:"buckets"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &defaults))
	c := DefaultConfig()
	assert.Equal(t, c.RequestDuration.Buckets, defaults.Buckets.RequestDuration)
	assert.Equal(t, c.TimeToFirstToken.Buckets, defaults.Buckets.TimeToFirstToken)
}

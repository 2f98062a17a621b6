// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmmetrics

import (
	"github.com/otelcol-llm/otelcol-llm/internal/labelvalue"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
)

const (
	defaultNamespace         = "llm"
	defaultNativeFactor      = 1.1
	defaultNativeMaxBuckets  = 160
	defaultMaxValueLength    = labelvalue.DefaultMaxLength // the llm processor's bound too
	DefaultMaxModelValues    = 100
	defaultMaxTemplateValues = 50
	// DefaultMaxLabelSets bounds /metrics to about 26,700 series (with the
	// (model, other, …) label set of each model): a scrape of all of them
	// answers in under 60 ms in every format (BENCHMARKS.md).
	DefaultMaxLabelSets = 500

	defaultMaxToolValues            = 100
	defaultMaxAgentValues           = 50
	defaultMaxGuardrailValues       = 50
	defaultMaxEvaluationValues      = 50
	defaultMaxEvaluationLabelValues = 20
)

var (
	defaultDurationBuckets = []float64{0.5, 1, 2, 5, 10, 20, 30, 60}
	defaultTTFTBuckets     = []float64{0.1, 0.25, 0.5, 1, 2, 5}
	// The GenAI semantic conventions' buckets of gen_ai.server.time_per_output_token.
	defaultTPOTBuckets = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5}
	// Tools (functions, HTTP APIs, retrieval) are mostly faster than a model
	// call; agents run several model calls and tools.
	defaultToolBuckets  = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30}
	defaultAgentBuckets = []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600}
)

// DefaultConfig returns the block's defaults.
func DefaultConfig() Config {
	return Config{
		Namespace:          defaultNamespace,
		RequestDuration:    HistogramConfig{Buckets: append([]float64(nil), defaultDurationBuckets...)},
		TimeToFirstToken:   HistogramConfig{Buckets: append([]float64(nil), defaultTTFTBuckets...)},
		TimePerOutputToken: HistogramConfig{Buckets: append([]float64(nil), defaultTPOTBuckets...)},
		ToolDuration:       HistogramConfig{Buckets: append([]float64(nil), defaultToolBuckets...)},
		AgentDuration:      HistogramConfig{Buckets: append([]float64(nil), defaultAgentBuckets...)},
		NativeHistograms: NativeHistogramsConfig{
			Enabled:      true,
			BucketFactor: defaultNativeFactor,
			MaxBuckets:   defaultNativeMaxBuckets,
		},
		Exemplars: ExemplarsConfig{Enabled: true},
		Labels: LabelsConfig{
			MaxValueLength: defaultMaxValueLength,
			Model:          LabelLimit{MaxValues: DefaultMaxModelValues},
			Template:       LabelLimit{MaxValues: defaultMaxTemplateValues},
			MaxLabelSets:   DefaultMaxLabelSets,

			Tool:            LabelLimit{MaxValues: defaultMaxToolValues},
			Agent:           LabelLimit{MaxValues: defaultMaxAgentValues},
			Guardrail:       LabelLimit{MaxValues: defaultMaxGuardrailValues},
			Evaluation:      LabelLimit{MaxValues: defaultMaxEvaluationValues},
			EvaluationLabel: LabelLimit{MaxValues: defaultMaxEvaluationLabelValues},
		},
		Shared: llmconfig.Default(),
	}
}

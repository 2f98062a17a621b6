// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/labelvalue"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
)

const (
	defaultEndpoint          = "127.0.0.1:8889"
	defaultNamespace         = "llm"
	defaultNativeFactor      = 1.1
	defaultNativeMaxBuckets  = 160
	defaultMaxValueLength    = labelvalue.DefaultMaxLength // the llm processor's bound too
	defaultMaxModelValues    = 100
	defaultMaxTemplateValues = 50
	// defaultMaxLabelSets bounds /metrics to about 26,000 series (with the
	// (model, other, …) label set of each model): a scrape of all of them
	// answers in under 60 ms in every format (BENCHMARKS.md).
	defaultMaxLabelSets = 500

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

// NewFactory returns the factory of the llm_prometheus exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(metadata.Type, createDefaultConfig,
		exporter.WithTraces(createTraces, metadata.TracesStability),
		exporter.WithLogs(createLogs, metadata.LogsStability))
}

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = defaultEndpoint
	return &Config{
		ServerConfig:       server,
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
			Model:          LabelLimit{MaxValues: defaultMaxModelValues},
			Template:       LabelLimit{MaxValues: defaultMaxTemplateValues},
			MaxLabelSets:   defaultMaxLabelSets,

			Tool:            LabelLimit{MaxValues: defaultMaxToolValues},
			Agent:           LabelLimit{MaxValues: defaultMaxAgentValues},
			Guardrail:       LabelLimit{MaxValues: defaultMaxGuardrailValues},
			Evaluation:      LabelLimit{MaxValues: defaultMaxEvaluationValues},
			EvaluationLabel: LabelLimit{MaxValues: defaultMaxEvaluationLabelValues},
		},
		Shared: llmconfig.Default(),
	}
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	e, err := exporters.LoadOrStore(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, e.consumeTraces,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		// Metrics are updated synchronously: no queue, no retry, no timeout.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	)
}

// createLogs makes the logs side of an llm_prometheus exporter: it reads the
// gen_ai.evaluation.result and gen_ai.guardrail.result events sent as OTLP
// log records. The traces and logs sides of one exporter (one component ID)
// share one exporter, one recorder and one /metrics endpoint.
func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	e, err := exporters.LoadOrStore(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.consumeLogs,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	)
}

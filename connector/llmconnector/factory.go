// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconnector // import "github.com/otelcol-llm/otelcol-llm/connector/llmconnector"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/otelcol-llm/otelcol-llm/connector/llmconnector/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/llmmetrics"
)

// defaultFlushInterval: a Prometheus-like resolution for the backends that
// store what they receive.
const defaultFlushInterval = 15 * time.Second

// NewFactory returns the factory of the llm connector.
func NewFactory() connector.Factory {
	return connector.NewFactory(metadata.Type, createDefaultConfig,
		connector.WithTracesToMetrics(createTracesToMetrics, metadata.TracesToMetricsStability))
}

func createDefaultConfig() component.Config {
	return &Config{
		Config:        llmmetrics.DefaultConfig(),
		MetricNames:   ProfileLLM,
		Temporality:   TemporalityCumulative,
		Histograms:    HistogramsExplicit,
		FlushInterval: defaultFlushInterval,
	}
}

func createTracesToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Traces, error) {
	return newLLMConnector(cfg.(*Config), set, next)
}

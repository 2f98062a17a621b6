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
	"github.com/otelcol-llm/otelcol-llm/internal/sharedcomponent"
)

// defaultFlushInterval: a Prometheus-like resolution for the backends that
// store what they receive.
const defaultFlushInterval = 15 * time.Second

// NewFactory returns the factory of the llm connector.
func NewFactory() connector.Factory {
	return connector.NewFactory(metadata.Type, createDefaultConfig,
		connector.WithTracesToMetrics(createTracesToMetrics, metadata.TracesToMetricsStability),
		connector.WithLogsToMetrics(createLogsToMetrics, metadata.LogsToMetricsStability))
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
	return loadOrCreate(cfg.(*Config), set, next)
}

// createLogsToMetrics makes the logs side: the gen_ai.evaluation.result and
// gen_ai.guardrail.result events sent as OTLP log records. The traces and
// logs sides of one llm connector (one configuration) are one connector:
// one aggregation, one flush.
func createLogsToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Logs, error) {
	return loadOrCreate(cfg.(*Config), set, next)
}

// connectors gives the traces and logs sides of one llm connector (one
// configuration) one llmConnector; its Shutdown forgets it.
var connectors sharedcomponent.Map[*Config, *llmConnector]

func loadOrCreate(cfg *Config, set connector.Settings, next consumer.Metrics) (*llmConnector, error) {
	return connectors.LoadOrCreate(cfg, func() (*llmConnector, error) {
		c, err := newLLMConnector(cfg, set, next)
		if err != nil {
			return nil, err
		}
		c.forget = func() { connectors.Forget(cfg) }
		return c, nil
	})
}

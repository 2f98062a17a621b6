// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package perspan builds the sides of the per-span cost benchmarks: our
// llm_prometheus exporter (through its public factory, default config),
// contrib's spanmetrics connector configured with the closest equivalent
// dimensions, and our llm connector (issue 14: its per-span cost against
// llm_prometheus'), all fed the same pre-built spangen batch.
package perspan

import (
	"context"
	"fmt"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/freeport"
	"github.com/otelcol-llm/otelcol-llm/connector/llmconnector"
	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

// BatchSize is the number of spans in the benchmark batch.
const BatchSize = 100

// Start is the fixed start time of the benchmark batch.
var Start = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// Batch returns the benchmark batch (spangen, BatchSize spans), read-only.
func Batch() ptrace.Traces {
	td := spangen.Batch(BatchSize, Start)
	td.MarkReadOnly()
	return td
}

// Target is one side of the benchmark.
type Target struct {
	Name    string
	Consume func(context.Context, ptrace.Traces) error
	Close   func() error
}

// DurationBuckets are llm_prometheus' default request-duration buckets, given
// to spanmetrics too (it has none for LLM calls: its defaults end at 15 s).
var DurationBuckets = []string{"500ms", "1s", "2s", "5s", "10s", "20s", "30s", "60s"}

// NewLLMPrometheus starts the llm_prometheus exporter with its default
// configuration (native histograms, exemplars, pricing) but for the endpoint,
// a free loopback port, and exemplars as asked.
func NewLLMPrometheus(exemplars bool, set *component.TelemetrySettings) (*Target, error) {
	f := llmprometheusexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*llmprometheusexporter.Config)
	addr, err := freeport.Addr()
	if err != nil {
		return nil, err
	}
	cfg.NetAddr.Endpoint = addr
	cfg.Exemplars.Enabled = exemplars
	err = cfg.Validate()
	if err != nil {
		return nil, err
	}
	s := exportertest.NewNopSettings(f.Type())
	if set != nil {
		s.TelemetrySettings = *set
	}
	ctx := context.Background()
	exp, err := f.CreateTraces(ctx, s, cfg)
	if err != nil {
		return nil, err
	}
	if err := exp.Start(ctx, componenttest.NewNopHost()); err != nil {
		return nil, err
	}
	return &Target{
		Name:    "llm_prometheus",
		Consume: exp.ConsumeTraces,
		Close:   func() error { return exp.Shutdown(ctx) },
	}, nil
}

// SpanmetricsConfig is the closest spanmetrics equivalent of llm_prometheus'
// model/template/status breakdown: dimensions gen_ai.request.model and
// llm.template (default "none"), status.code kept; service.name, span.name and
// span.kind excluded (llm_prometheus does not label by them); histogram in
// seconds with llm_prometheus' buckets; the series capped at 5,200 (our caps:
// 100 models × 50 templates plus the reserved values); cumulative; the default
// 60 s flush, so no flush happens inside a benchmark.
func SpanmetricsConfig(exemplars bool) map[string]any {
	buckets := make([]any, len(DurationBuckets))
	for i, b := range DurationBuckets {
		buckets[i] = b
	}
	return map[string]any{
		"dimensions": []any{
			map[string]any{"name": "gen_ai.request.model", "default": "unknown"},
			map[string]any{"name": "llm.template", "default": "none"},
		},
		"exclude_dimensions": []any{"service.name", "span.name", "span.kind"},
		"histogram": map[string]any{
			"unit":     "s",
			"explicit": map[string]any{"buckets": buckets},
		},
		"exemplars":                     map[string]any{"enabled": exemplars},
		"aggregation_cardinality_limit": 5200,
	}
}

// NewSpanmetrics starts contrib's spanmetrics connector (SpanmetricsConfig)
// into a consumertest sink.
func NewSpanmetrics(exemplars bool) (*Target, error) {
	f := spanmetricsconnector.NewFactory()
	cfg := f.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(SpanmetricsConfig(exemplars)).Unmarshal(cfg); err != nil {
		return nil, fmt.Errorf("spanmetrics config: %w", err)
	}
	if v, ok := cfg.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	ctx := context.Background()
	conn, err := f.CreateTracesToMetrics(ctx, connectortest.NewNopSettings(f.Type()), cfg, new(consumertest.MetricsSink))
	if err != nil {
		return nil, err
	}
	if err := conn.Start(ctx, componenttest.NewNopHost()); err != nil {
		return nil, err
	}
	return &Target{
		Name:    "spanmetrics",
		Consume: conn.ConsumeTraces,
		Close:   func() error { return conn.Shutdown(ctx) },
	}, nil
}

// NewLLMConnector starts the llm connector through its public factory
// (NewFactory().CreateTracesToMetrics), with its default configuration
// (metric_names llm, cumulative, explicit histograms, the same metrics block
// defaults as llm_prometheus: native histograms, exemplars, pricing) but for
// flush_interval, into a nop metrics consumer. A flush_interval longer than
// the measurement keeps every flush out of it; Close flushes once
// (Shutdown sends the last values).
func NewLLMConnector(flushInterval time.Duration) (*Target, error) {
	f := llmconnector.NewFactory()
	cfg := f.CreateDefaultConfig().(*llmconnector.Config)
	cfg.FlushInterval = flushInterval
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx := context.Background()
	conn, err := f.CreateTracesToMetrics(ctx, connectortest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	if err != nil {
		return nil, err
	}
	if err := conn.Start(ctx, componenttest.NewNopHost()); err != nil {
		return nil, err
	}
	return &Target{
		Name:    "llm connector",
		Consume: conn.ConsumeTraces,
		Close:   func() error { return conn.Shutdown(ctx) },
	}, nil
}

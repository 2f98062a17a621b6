// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"

	"github.com/otelcol-llm/otelcol-llm/internal/sharedcomponent"
)

// exporters gives the traces and logs sides of one llm_prometheus exporter
// (one configuration) one llmExporter: one recorder, one /metrics endpoint.
// The first Start starts it, the first Shutdown stops it and forgets it.
var exporters sharedcomponent.Map[*Config, *sharedExporter]

type sharedExporter struct {
	*llmExporter
	key       *Config
	startOnce sync.Once
	startErr  error
	stopOnce  sync.Once
	stopErr   error
}

// loadOrCreate returns the exporter of cfg, creating it the first time.
func loadOrCreate(cfg *Config, set exporter.Settings) (*sharedExporter, error) {
	return exporters.LoadOrCreate(cfg, func() (*sharedExporter, error) {
		e, err := newLLMExporter(cfg, set)
		if err != nil {
			return nil, err
		}
		return &sharedExporter{llmExporter: e, key: cfg}, nil
	})
}

func (e *sharedExporter) start(ctx context.Context, host component.Host) error {
	e.startOnce.Do(func() { e.startErr = e.llmExporter.start(ctx, host) })
	return e.startErr
}

func (e *sharedExporter) shutdown(ctx context.Context) error {
	e.stopOnce.Do(func() {
		exporters.Forget(e.key)
		e.stopErr = e.llmExporter.shutdown(ctx)
	})
	return e.stopErr
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
)

// sharedExporters gives the traces and logs sides of one llm_prometheus
// exporter (one configuration) one llmExporter: one recorder, one /metrics
// endpoint. As the collector's receivers share theirs (its internal
// sharedcomponent package, keyed by the configuration as the OTLP receiver
// keys it), the first Start starts it, the first Shutdown stops it and
// forgets it.
type sharedExporters struct {
	mu sync.Mutex
	m  map[*Config]*sharedExporter
}

var exporters = &sharedExporters{m: map[*Config]*sharedExporter{}}

type sharedExporter struct {
	*llmExporter
	parent    *sharedExporters
	key       *Config
	startOnce sync.Once
	startErr  error
	stopOnce  sync.Once
	stopErr   error
}

// LoadOrStore returns the exporter of cfg, creating it the first time.
func (s *sharedExporters) LoadOrStore(cfg *Config, set exporter.Settings) (*sharedExporter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[cfg]; ok {
		return e, nil
	}
	e, err := newLLMExporter(cfg, set)
	if err != nil {
		return nil, err
	}
	se := &sharedExporter{llmExporter: e, parent: s, key: cfg}
	s.m[cfg] = se
	return se, nil
}

func (e *sharedExporter) start(ctx context.Context, host component.Host) error {
	e.startOnce.Do(func() { e.startErr = e.llmExporter.start(ctx, host) })
	return e.startErr
}

func (e *sharedExporter) shutdown(ctx context.Context) error {
	e.stopOnce.Do(func() {
		e.parent.mu.Lock()
		delete(e.parent.m, e.key)
		e.parent.mu.Unlock()
		e.stopErr = e.llmExporter.shutdown(ctx)
	})
	return e.stopErr
}

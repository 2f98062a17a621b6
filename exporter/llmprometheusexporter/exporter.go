// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"

import (
	"context"
	"errors"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/promhttp/zstd" // lets promhttp offer zstd
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/llmmetrics"
	"github.com/otelcol-llm/otelcol-llm/internal/recorder"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

type llmExporter struct {
	cfg       *Config
	settings  component.TelemetrySettings
	metrics   *llmmetrics.Metrics
	registry  prometheus.Gatherer // every llm_* family
	recorder  *recorder.Recorder
	telemetry *metadata.TelemetryBuilder
	instr     llmmetrics.Telemetry
	pricer    *pricing.Pricer
	now       func() time.Time

	mu     sync.Mutex
	server *http.Server
	// served is closed when the server's Serve has returned (its error is
	// logged and reported there).
	served chan struct{}
}

func newLLMExporter(cfg *Config, set exporter.Settings) (*llmExporter, error) {
	m, err := llmmetrics.New(&cfg.Config, set.Logger.With(zap.String("component", "llm_prometheus")))
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &llmExporter{
		cfg:       cfg,
		settings:  set.TelemetrySettings,
		metrics:   m,
		registry:  m.Gatherer(),
		recorder:  m.Recorder,
		telemetry: tb,
		instr: llmmetrics.Telemetry{
			SpansReceived:      tb.ExporterLlmPrometheusSpansReceived,
			Calls:              tb.ExporterLlmPrometheusCalls,
			SpansSkipped:       tb.ExporterLlmPrometheusSpansSkipped,
			NestedCalls:        tb.ExporterLlmPrometheusNestedCalls,
			InvalidValues:      tb.ExporterLlmPrometheusInvalidValues,
			LabelOverflow:      tb.ExporterLlmPrometheusLabelOverflow,
			LabelSetOverflow:   tb.ExporterLlmPrometheusLabelSetOverflow,
			LogRecordsReceived: tb.ExporterLlmPrometheusLogRecordsReceived,
			LogRecordsSkipped:  tb.ExporterLlmPrometheusLogRecordsSkipped,
		},
		pricer: m.Pricer,
		now:    time.Now,
	}, nil
}

// handler serves /metrics: promhttp over the recorder. Content negotiation
// (Prometheus text, OpenMetrics 1.0 with exemplars and _created lines,
// delimited protobuf with native histograms and created timestamps, the
// name escaping schemes), name[] filters and compression (gzip, zstd) all
// come from client_golang; gzip is written by fastGzip.
func (e *llmExporter) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", newFastGzip(e.promHandler(e.registry), e.promHandler))
	return mux
}

// promHandler is promhttp's /metrics handler over g with the exporter's
// options.
func (e *llmExporter) promHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		// Gather never fails; what can fail is writing to a client that
		// went away: log it and stop writing.
		ErrorLog:                            scrapeErrorLog(e.settings.Logger),
		ErrorHandling:                       promhttp.HTTPErrorOnError,
		EnableOpenMetrics:                   true,
		EnableOpenMetricsTextCreatedSamples: true,
		OfferedCompressions:                 []promhttp.Compression{promhttp.Identity, promhttp.Gzip, promhttp.Zstd},
	})
}

// scrapeErrorLog is promhttp's error log as zap warnings: a failed scrape is
// the scraper's problem (a client gone, an unknown encoding), not the
// collector's.
func scrapeErrorLog(logger *zap.Logger) *log.Logger {
	l, err := zap.NewStdLogAt(logger.With(zap.String("path", "/metrics")), zapcore.WarnLevel)
	if err != nil { // only for an invalid level
		return zap.NewStdLog(logger)
	}
	return l
}

func (e *llmExporter) start(ctx context.Context, host component.Host) error {
	ln, err := e.cfg.ToListener(ctx)
	if err != nil {
		return err
	}
	srv, err := e.cfg.ToServer(ctx, host.GetExtensions(), e.settings, e.handler())
	if err != nil {
		_ = ln.Close()
		return err
	}
	served := make(chan struct{})
	e.mu.Lock()
	e.server = srv
	e.served = served
	e.mu.Unlock()
	go func() {
		defer close(served)
		err := srv.Serve(ln)
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.settings.Logger.Error("llm_prometheus /metrics server stopped", zap.Error(err))
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	e.pricer.Start()
	e.settings.Logger.Info("llm_prometheus serving /metrics", zap.String("endpoint", ln.Addr().String()))
	return nil
}

func (e *llmExporter) shutdown(ctx context.Context) error {
	e.mu.Lock()
	srv, served := e.server, e.served
	e.server = nil
	e.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
		if err != nil {
			// ctx ended before the open scrapes finished: cut them off.
			err = errors.Join(err, srv.Close())
		}
		// Serve returns at once after Shutdown or Close, and closes the
		// listener even when it had not started serving yet: wait for it so
		// the port is free when shutdown returns.
		<-served
	}
	e.pricer.Stop()
	e.telemetry.Shutdown()
	return err
}

// consumeTraces records every counted call of td but the nested duplicates
// (with deduplicate_nested_calls), its agents, tools, guardrails and
// evaluations, and reports the batch.
func (e *llmExporter) consumeTraces(ctx context.Context, td ptrace.Traces) error {
	var counts llmmetrics.Counts
	e.metrics.ConsumeTraces(td, e.now(), &counts)
	e.metrics.Report(ctx, &e.instr, &counts)
	return nil
}

// consumeLogs records the gen_ai.evaluation.result and
// gen_ai.guardrail.result events of ld and reports the batch.
func (e *llmExporter) consumeLogs(ctx context.Context, ld plog.Logs) error {
	var counts llmmetrics.Counts
	e.metrics.ConsumeLogs(ld, &counts)
	e.metrics.Report(ctx, &e.instr, &counts)
	return nil
}

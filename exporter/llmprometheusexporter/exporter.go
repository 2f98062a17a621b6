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
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"
	"github.com/otelcol-llm/otelcol-llm/internal/freelist"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

type llmExporter struct {
	cfg       *Config
	settings  component.TelemetrySettings
	registry  prometheus.Gatherer // the recorder
	recorder  *recorder.Recorder
	extractor *genai.Extractor
	telemetry *metadata.TelemetryBuilder
	pricer    *pricing.Pricer
	now       func() time.Time

	invalidCauses []genai.InvalidCause
	invalidAttrs  []metric.AddOption
	modelAttr     metric.AddOption
	templateAttr  metric.AddOption

	// scratch holds *batchScratch values for consumeDeduplicated.
	scratch freelist.List[batchScratch]

	mu       sync.Mutex
	server   *http.Server
	serveErr chan error
}

func newLLMExporter(cfg *Config, set exporter.Settings) (*llmExporter, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	pricer, err := pricing.NewPricer(cfg.Pricing.Settings(), set.Logger)
	if err != nil {
		tb.Shutdown()
		return nil, err
	}
	rec, err := recorder.New(recorder.Settings{
		Namespace:           cfg.Namespace,
		DurationBuckets:     cfg.RequestDuration.Buckets,
		TTFTBuckets:         cfg.TimeToFirstToken.Buckets,
		TPOTBuckets:         cfg.TimePerOutputToken.Buckets,
		NativeHistograms:    cfg.NativeHistograms.Enabled,
		NativeBucketFactor:  cfg.NativeHistograms.BucketFactor,
		NativeMaxBuckets:    cfg.NativeHistograms.MaxBuckets,
		Exemplars:           cfg.Exemplars.Enabled,
		MaxLabelValueLength: cfg.Labels.MaxValueLength,
		MaxModels:           cfg.Labels.Model.MaxValues,
		MaxTemplates:        cfg.Labels.Template.MaxValues,
		MaxPairs:            cfg.Labels.MaxPairs,
		Pricer:              pricer,
	})
	if err != nil {
		tb.Shutdown()
		return nil, err
	}
	e := &llmExporter{
		cfg:           cfg,
		settings:      set.TelemetrySettings,
		registry:      rec,
		recorder:      rec,
		extractor:     genai.NewExtractor(genai.Options{TemplateKeys: cfg.TemplateAttributes}),
		telemetry:     tb,
		pricer:        pricer,
		now:           time.Now,
		invalidCauses: genai.InvalidCauses(),
		modelAttr:     metric.WithAttributeSet(attribute.NewSet(attribute.String("label", "model"))),
		templateAttr:  metric.WithAttributeSet(attribute.NewSet(attribute.String("label", "template"))),
	}
	for _, c := range e.invalidCauses {
		e.invalidAttrs = append(e.invalidAttrs, metric.WithAttributeSet(attribute.NewSet(attribute.String("cause", c.Name))))
	}
	return e, nil
}

// handler serves /metrics: promhttp over the recorder. Content negotiation
// (Prometheus text, OpenMetrics 1.0 with exemplars and _created lines,
// delimited protobuf with native histograms and created timestamps, the
// name escaping schemes), name[] filters and compression (gzip, zstd) all
// come from client_golang.
func (e *llmExporter) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{
		// Gather never fails; what can fail is writing to a client that
		// went away: log it and stop writing.
		ErrorLog:                            scrapeErrorLog(e.settings.Logger),
		ErrorHandling:                       promhttp.HTTPErrorOnError,
		EnableOpenMetrics:                   true,
		EnableOpenMetricsTextCreatedSamples: true,
		OfferedCompressions:                 []promhttp.Compression{promhttp.Identity, promhttp.Gzip, promhttp.Zstd},
	}))
	return mux
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
	e.mu.Lock()
	e.server = srv
	e.serveErr = make(chan error, 1)
	e.mu.Unlock()
	go func() {
		err := srv.Serve(ln)
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.settings.Logger.Error("llm_prometheus /metrics server stopped", zap.Error(err))
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
		e.serveErr <- err
	}()
	e.pricer.Start()
	e.settings.Logger.Info("llm_prometheus serving /metrics", zap.String("endpoint", ln.Addr().String()))
	return nil
}

func (e *llmExporter) shutdown(ctx context.Context) error {
	e.mu.Lock()
	srv, done := e.server, e.serveErr
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
		<-done
	}
	e.pricer.Stop()
	e.telemetry.Shutdown()
	return err
}

// batchCounts accumulates the component's own telemetry for one batch so the
// instruments are updated once per batch, not once per span.
type batchCounts struct {
	received, calls, skipped int64
	nested                   int64
	modelOverflow            int64
	templateOverflow         int64
	invalid                  [16]int64
}

// batchScratch is the memory of one batch on the deduplicating path, reused
// through llmExporter.scratch (consumeTraces runs concurrently).
type batchScratch struct {
	calls  []genai.Call // the counted calls of the batch
	nested genai.Nested
}

// maxPooledCalls bounds the scratch kept for the next batches (about 200
// bytes per call): the memory of a rare huge batch goes back to the GC.
const maxPooledCalls = 1 << 14

func (e *llmExporter) consumeTraces(ctx context.Context, td ptrace.Traces) error {
	var counts batchCounts
	now := e.now().UnixNano()
	if e.cfg.DeduplicateNestedCalls {
		e.consumeDeduplicated(td, now, &counts)
	} else {
		e.consumeEach(td, now, &counts)
	}
	e.report(ctx, &counts)
	return nil
}

// consumeEach records every counted span as it is extracted.
func (e *llmExporter) consumeEach(td ptrace.Traces, now int64, counts *batchCounts) {
	var call genai.Call
	counts.received += int64(td.SpanCount())
	for res, span := range genai.Spans(td) {
		if e.extractor.Extract(span, res, &call) {
			e.record(&call, now, counts)
		} else {
			counts.skipped++
		}
	}
}

// consumeDeduplicated extracts every span of the batch first, then leaves out
// the nested duplicates (genai.Nested: a counted span whose counted child
// records the same call), then records the other calls.
func (e *llmExporter) consumeDeduplicated(td ptrace.Traces, now int64, counts *batchCounts) {
	s := e.scratch.Get()
	n := td.SpanCount()
	if cap(s.calls) < n {
		s.calls = make([]genai.Call, n)
	}
	all := s.calls[:n]
	m := 0 // counted calls so far, in all[:m]
	counts.received += int64(n)
	for res, span := range genai.Spans(td) {
		if e.extractor.Extract(span, res, &all[m]) {
			m++
		} else {
			counts.skipped++
		}
	}
	calls := all[:m]
	counts.nested = int64(s.nested.Find(calls))
	for i := range calls {
		if !s.nested.Dup(i) {
			e.record(&calls[i], now, counts)
		}
	}
	// Drop the references to the batch's strings before the scratch waits in
	// the free list (all[m] may hold a partly written call).
	clear(all[:min(m+1, n)])
	if cap(s.calls) <= maxPooledCalls {
		e.scratch.Put(s)
	}
}

// record counts one call into the llm_* metrics and the batch's telemetry.
func (e *llmExporter) record(call *genai.Call, now int64, counts *batchCounts) {
	counts.calls++
	if call.Invalid != 0 {
		for n, c := range e.invalidCauses {
			if call.Invalid&c.Bit != 0 {
				counts.invalid[n]++
			}
		}
	}
	of := e.recorder.Record(call, now)
	if of.Model {
		counts.modelOverflow++
	}
	if of.Template {
		counts.templateOverflow++
	}
}

func (e *llmExporter) report(ctx context.Context, c *batchCounts) {
	t := e.telemetry
	if c.received > 0 {
		t.ExporterLlmPrometheusSpansReceived.Add(ctx, c.received)
	}
	if c.calls > 0 {
		t.ExporterLlmPrometheusCalls.Add(ctx, c.calls)
	}
	if c.skipped > 0 {
		t.ExporterLlmPrometheusSpansSkipped.Add(ctx, c.skipped)
	}
	if c.nested > 0 {
		t.ExporterLlmPrometheusNestedCalls.Add(ctx, c.nested)
	}
	for n, v := range c.invalid[:len(e.invalidAttrs)] {
		if v > 0 {
			t.ExporterLlmPrometheusInvalidValues.Add(ctx, v, e.invalidAttrs[n])
		}
	}
	if c.modelOverflow > 0 {
		t.ExporterLlmPrometheusLabelOverflow.Add(ctx, c.modelOverflow, e.modelAttr)
	}
	if c.templateOverflow > 0 {
		t.ExporterLlmPrometheusLabelOverflow.Add(ctx, c.templateOverflow, e.templateAttr)
	}
}

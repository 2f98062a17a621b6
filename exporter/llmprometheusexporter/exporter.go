// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"

import (
	"context"
	"errors"
	"log"
	"math/bits"
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
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/activity"
	"github.com/otelcol-llm/otelcol-llm/internal/batch"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/recorder"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

type llmExporter struct {
	cfg       *Config
	settings  component.TelemetrySettings
	registry  prometheus.Gatherer // the recorder and the activity families
	recorder  *recorder.Recorder
	activity  *activity.Metrics
	batches   *batch.Extractor
	telemetry *metadata.TelemetryBuilder
	pricer    *pricing.Pricer
	now       func() time.Time

	invalidCauses []genai.InvalidCause
	invalidAttrs  []metric.AddOption
	cutAttr       metric.AddOption                     // invalid_values{cause=dimension_value}
	nameCutAttr   metric.AddOption                     // invalid_values{cause=name_value}
	activityAttrs [activity.NumLabels]metric.AddOption // label_overflow{label=tool|agent|…}
	modelAttr     metric.AddOption
	templateAttr  metric.AddOption
	dimAttrs      []metric.AddOption // label_overflow{label=<dimension>}

	mu     sync.Mutex
	server *http.Server
	// served is closed when the server's Serve has returned (its error is
	// logged and reported there).
	served chan struct{}
}

func newLLMExporter(cfg *Config, set exporter.Settings) (*llmExporter, error) {
	// The pricer starts no goroutine before start: nothing to release on the
	// errors below.
	pricer, err := cfg.NewPricer(set.Logger)
	if err != nil {
		return nil, err
	}
	if cfg.Labels.MaxPairs > 0 {
		set.Logger.Warn("llm_prometheus: labels::max_pairs is deprecated, use labels::max_label_sets",
			zap.Int("max_pairs", cfg.Labels.MaxPairs))
	}
	dims, budgets := recorderDimensions(cfg), recorderBudgets(cfg)
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
		Dimensions:          dims,
		MaxLabelSets:        cfg.maxLabelSets(),
		Budgets:             budgets,
		Pricer:              pricer,
	})
	if err != nil {
		return nil, err
	}
	var caps [activity.NumLabels]int
	for l, lim := range cfg.Labels.activityLimits() {
		caps[l] = lim.max
	}
	act, err := activity.New(activity.Settings{
		Namespace:          cfg.Namespace,
		ToolBuckets:        cfg.ToolDuration.Buckets,
		AgentBuckets:       cfg.AgentDuration.Buckets,
		NativeHistograms:   cfg.NativeHistograms.Enabled,
		NativeBucketFactor: cfg.NativeHistograms.BucketFactor,
		NativeMaxBuckets:   cfg.NativeHistograms.MaxBuckets,
		MaxValueLength:     cfg.Labels.MaxValueLength,
		MaxValues:          caps,
	})
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	e := &llmExporter{
		cfg:           cfg,
		settings:      set.TelemetrySettings,
		registry:      prometheus.Gatherers{rec, act.Gatherer()},
		recorder:      rec,
		activity:      act,
		batches:       cfg.NewExtractor(),
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
	e.cutAttr = metric.WithAttributeSet(attribute.NewSet(attribute.String("cause", causeDimensionValue)))
	e.nameCutAttr = metric.WithAttributeSet(attribute.NewSet(attribute.String("cause", causeNameValue)))
	for l := range activity.NumLabels {
		e.activityAttrs[l] = metric.WithAttributeSet(attribute.NewSet(attribute.String("label", l.String())))
	}
	for _, d := range dims {
		e.dimAttrs = append(e.dimAttrs, metric.WithAttributeSet(attribute.NewSet(attribute.String("label", d.Label))))
	}
	return e, nil
}

// causeDimensionValue counts the dimension values cut to
// labels::max_value_length or repaired to valid UTF-8.
const causeDimensionValue = "dimension_value"

// causeNameValue counts the agent, tool, guardrail, evaluation and
// evaluation label values cut to labels::max_value_length or repaired to
// valid UTF-8.
const causeNameValue = "name_value"

func recorderDimensions(cfg *Config) []recorder.Dimension {
	out := make([]recorder.Dimension, 0, len(cfg.Dimensions))
	for _, d := range cfg.Dimensions {
		out = append(out, recorder.Dimension{
			Label: d.Label, Default: d.DefaultValue(), MaxValues: d.Cap(), IdleTimeout: d.IdleTimeout,
		})
	}
	return out
}

func recorderBudgets(cfg *Config) []recorder.Budget {
	out := make([]recorder.Budget, 0, len(cfg.Budgets))
	for _, b := range cfg.Budgets {
		p, _ := parsePeriod(b.Period) // validated
		out = append(out, recorder.Budget{Name: b.Name, Match: b.Match, Period: p, AmountUSD: b.AmountUSD})
	}
	return out
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

// batchCounts accumulates the component's own telemetry for one batch so the
// instruments are updated once per batch, not once per span.
type batchCounts struct {
	received, calls, skipped int64
	nested                   int64
	modelOverflow            int64
	templateOverflow         int64
	labelSetOverflow         int64
	cut                      int64
	dimOverflow              [genai.MaxDimensions]int64
	invalid                  [16]int64
	nameCut                  int64
	activityOverflow         [activity.NumLabels]int64
	records, recordsSkipped  int64
}

// consumeTraces records every counted call of td but the nested duplicates
// (internal/batch, with deduplicate_nested_calls) and reports the batch.
func (e *llmExporter) consumeTraces(ctx context.Context, td ptrace.Traces) error {
	var counts batchCounts
	now := e.now().UnixNano()
	bc := e.batches.ExtractAll(td, &batch.Visitor{
		Call: func(call *genai.Call, _ ptrace.Span, dup bool) {
			if !dup {
				e.record(call, now, &counts)
			}
		},
		Activity: func(a *genai.Activity, _ ptrace.Span) {
			e.recordActivity(a, &counts)
		},
		Evaluation: func(ev *genai.Evaluation, _ ptrace.Span) {
			e.recordEvaluation(ev, &counts)
		},
	})
	counts.received, counts.skipped, counts.nested = int64(bc.Spans), int64(bc.Skipped), int64(bc.Nested)
	e.report(ctx, &counts)
	return nil
}

// consumeLogs records the gen_ai.evaluation.result and
// gen_ai.guardrail.result events of ld (log records whose event name, or
// else event.name attribute, names them) and reports the batch.
func (e *llmExporter) consumeLogs(ctx context.Context, ld plog.Logs) error {
	var counts batchCounts
	var ev genai.Evaluation
	var g genai.Activity
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			lrs := sls.At(j).LogRecords()
			for k := range lrs.Len() {
				lr := lrs.At(k)
				counts.records++
				name := lr.EventName()
				if name == "" {
					if v, ok := lr.Attributes().Get("event.name"); ok {
						name = v.Str()
					}
				}
				switch name {
				case genai.EventEvaluationResult:
					genai.ReadEvaluation(lr.Attributes(), &ev)
					e.recordEvaluation(&ev, &counts)
				case genai.EventGuardrailResult:
					e.batches.ReadGuardrailEvent(lr.Attributes(), &g)
					e.recordActivity(&g, &counts)
				default:
					counts.recordsSkipped++
				}
			}
		}
	}
	e.report(ctx, &counts)
	return nil
}

// recordActivity counts a tool, agent or guardrail.
func (e *llmExporter) recordActivity(a *genai.Activity, counts *batchCounts) {
	e.countInvalid(a.Invalid, counts)
	var o activity.Outcome
	switch a.Kind {
	case genai.KindTool:
		o = e.activity.RecordTool(a)
	case genai.KindAgent:
		o = e.activity.RecordAgent(a)
	case genai.KindGuardrail:
		o = e.activity.RecordGuardrail(a)
	}
	e.countOutcome(o, counts)
}

// recordEvaluation counts an evaluation result.
func (e *llmExporter) recordEvaluation(ev *genai.Evaluation, counts *batchCounts) {
	e.countInvalid(ev.Invalid, counts)
	e.countOutcome(e.activity.RecordEvaluation(ev), counts)
}

func (e *llmExporter) countInvalid(inv genai.Invalid, counts *batchCounts) {
	if inv == 0 {
		return
	}
	for n, c := range e.invalidCauses {
		if inv&c.Bit != 0 {
			counts.invalid[n]++
		}
	}
}

func (e *llmExporter) countOutcome(o activity.Outcome, counts *batchCounts) {
	counts.nameCut += int64(o.Cut)
	for l := o.Overflow; l != 0; l &= l - 1 {
		counts.activityOverflow[bits.TrailingZeros8(l)%int(activity.NumLabels)]++
	}
}

// record counts one call into the llm_* metrics and the batch's telemetry.
func (e *llmExporter) record(call *genai.Call, now int64, counts *batchCounts) {
	counts.calls++
	e.countInvalid(call.Invalid, counts)
	of := e.recorder.Record(call, now)
	if of.Model {
		counts.modelOverflow++
	}
	if of.Template {
		counts.templateOverflow++
	}
	if of.LabelSet {
		counts.labelSetOverflow++
	}
	for d := of.Dims; d != 0; d &= d - 1 {
		counts.dimOverflow[bits.TrailingZeros8(d)&(genai.MaxDimensions-1)]++
	}
	if of.Cut != 0 {
		counts.cut += int64(bits.OnesCount8(of.Cut))
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
	for i, v := range c.dimOverflow[:len(e.dimAttrs)] {
		if v > 0 {
			t.ExporterLlmPrometheusLabelOverflow.Add(ctx, v, e.dimAttrs[i])
		}
	}
	if c.labelSetOverflow > 0 {
		t.ExporterLlmPrometheusLabelSetOverflow.Add(ctx, c.labelSetOverflow)
	}
	if c.cut > 0 {
		t.ExporterLlmPrometheusInvalidValues.Add(ctx, c.cut, e.cutAttr)
	}
	if c.nameCut > 0 {
		t.ExporterLlmPrometheusInvalidValues.Add(ctx, c.nameCut, e.nameCutAttr)
	}
	for l, v := range c.activityOverflow {
		if v > 0 {
			t.ExporterLlmPrometheusLabelOverflow.Add(ctx, v, e.activityAttrs[l])
		}
	}
	if c.records > 0 {
		t.ExporterLlmPrometheusLogRecordsReceived.Add(ctx, c.records)
	}
	if c.recordsSkipped > 0 {
		t.ExporterLlmPrometheusLogRecordsSkipped.Add(ctx, c.recordsSkipped)
	}
}

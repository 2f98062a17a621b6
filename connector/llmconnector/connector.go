// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconnector // import "github.com/otelcol-llm/otelcol-llm/connector/llmconnector"

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-llm/otelcol-llm/connector/llmconnector/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/llmmetrics"
	"github.com/otelcol-llm/otelcol-llm/internal/otlpmetrics"
)

type llmConnector struct {
	cfg       *Config
	logger    *zap.Logger
	next      consumer.Metrics
	metrics   *llmmetrics.Metrics
	gatherer  prometheus.Gatherer // what a flush sends: the llm_* families or a profile's
	profile   *semconv            // nil: the llm profile
	telemetry *metadata.TelemetryBuilder
	instr     llmmetrics.Telemetry
	opts      otlpmetrics.Options
	// resource is the collector's own resource (service.name,
	// service.instance.id, service.version): every stream of one collector
	// is its own, and two replicas never write the same stream.
	resource pcommon.Resource
	version  string
	now      func() time.Time

	success, failure metric.AddOption

	flushMu sync.Mutex         // one flush at a time
	delta   *otlpmetrics.Delta // temporality delta; guarded by flushMu

	forget              func() // drops the shared instance (factory.go); nil when unshared
	startOnce, stopOnce sync.Once
	started             bool               // set by the first Start, read after startOnce
	cancel              context.CancelFunc // ends the flush loop
	done                chan struct{}      // closed when the loop has returned
}

func newLLMConnector(cfg *Config, set connector.Settings, next consumer.Metrics) (*llmConnector, error) {
	m, err := llmmetrics.New(&cfg.Config, set.Logger)
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	c := &llmConnector{
		cfg: cfg, logger: set.Logger, next: next, metrics: m, telemetry: tb,
		instr: llmmetrics.Telemetry{
			SpansReceived:    tb.ConnectorLlmSpansReceived,
			Calls:            tb.ConnectorLlmCalls,
			SpansSkipped:     tb.ConnectorLlmSpansSkipped,
			NestedCalls:      tb.ConnectorLlmNestedCalls,
			InvalidValues:    tb.ConnectorLlmInvalidValues,
			LabelOverflow:    tb.ConnectorLlmLabelOverflow,
			LabelSetOverflow: tb.ConnectorLlmLabelSetOverflow,

			LogRecordsReceived: tb.ConnectorLlmLogRecordsReceived,
			LogRecordsSkipped:  tb.ConnectorLlmLogRecordsSkipped,
		},
		opts: otlpmetrics.Options{
			Naming:      otlpmetrics.PrometheusNaming{},
			Exponential: cfg.Histograms == HistogramsExponential,
		},
		resource: pcommon.NewResource(),
		version:  set.BuildInfo.Version,
		now:      time.Now,
		success:  metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "success"))),
		failure:  metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "failure"))),
		done:     make(chan struct{}),
	}
	c.gatherer = m.Gatherer()
	if p, ok := profileNamed(cfg.MetricNames); ok {
		sc, err := newSemconv(p, cfg)
		if err != nil {
			return nil, err
		}
		m.OnCall = sc.record
		c.gatherer, c.opts.Naming, c.profile = sc.reg, sc, sc
		if p.provisional {
			set.Logger.Info("llm connector: metric_names " + p.name + " are the GenAI conventions' unreleased names; they may change")
		}
	}
	set.Resource.CopyTo(c.resource)
	if cfg.Temporality == TemporalityDelta {
		c.delta = otlpmetrics.NewDelta()
	}
	return c, nil
}

func (*llmConnector) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// ConsumeTraces records the batch; the metrics leave at the next flush.
func (c *llmConnector) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	var counts llmmetrics.Counts
	c.metrics.ConsumeTraces(td, c.now(), &counts)
	c.metrics.Report(ctx, &c.instr, &counts)
	return nil
}

// ConsumeLogs records the evaluation and guardrail result events of ld; the
// metrics leave at the next flush.
func (c *llmConnector) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	var counts llmmetrics.Counts
	c.metrics.ConsumeLogs(ld, &counts)
	c.metrics.Report(ctx, &c.instr, &counts)
	return nil
}

// Start starts the flushes; they outlive Start's context (the collector
// cancels it once Start returns) and stop at Shutdown.
func (c *llmConnector) Start(ctx context.Context, _ component.Host) error {
	c.startOnce.Do(func() {
		c.started = true
		c.metrics.Start()
		loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c.cancel = cancel
		go c.loop(loopCtx)
	})
	return nil
}

// loop flushes every flush_interval until ctx ends (Shutdown).
func (c *llmConnector) loop(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(c.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.flush(ctx); err != nil {
				c.logger.Warn("llm connector: the next consumer refused the metrics; they go again at the next flush", zap.Error(err))
			}
		}
	}
}

// Shutdown stops the flushes and sends the last values. A Start after it
// does nothing.
func (c *llmConnector) Shutdown(ctx context.Context) error {
	var err error
	c.stopOnce.Do(func() {
		if c.forget != nil {
			c.forget()
		}
		c.startOnce.Do(func() {}) // after Start's, or instead of it: c.started is settled
		if c.started {
			c.cancel()
			select {
			case <-c.done:
				err = c.flush(ctx)
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		c.metrics.Stop()
		c.telemetry.Shutdown()
	})
	return err
}

// flush sends every llm_* series to the next consumer.
func (c *llmConnector) flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.reportProfile(ctx)
	fams, err := c.gatherer.Gather()
	if err != nil {
		return err
	}
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	c.resource.CopyTo(rm.Resource())
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(metadata.ScopeName)
	sm.Scope().SetVersion(c.version)
	now := pcommon.NewTimestampFromTime(c.now())
	if c.delta != nil {
		c.delta.Append(sm.Metrics(), fams, now, c.opts)
	} else {
		otlpmetrics.AppendCumulative(sm.Metrics(), fams, now, c.opts)
	}
	if sm.Metrics().Len() == 0 {
		return nil
	}
	if err := c.next.ConsumeMetrics(ctx, md); err != nil {
		c.telemetry.ConnectorLlmFlushes.Add(ctx, 1, c.failure)
		return err
	}
	c.telemetry.ConnectorLlmFlushes.Add(ctx, 1, c.success)
	return nil
}

// reportProfile adds what a semantic-convention profile folded into other
// or cut since the last flush to the own telemetry (label_overflow{label},
// invalid_values{cause="name_value"}).
func (c *llmConnector) reportProfile(ctx context.Context) {
	if c.profile == nil {
		return
	}
	for i, l := range overflowLabels {
		if n := c.profile.overflow[i].Swap(0); n > 0 {
			c.telemetry.ConnectorLlmLabelOverflow.Add(ctx, n, metric.WithAttributeSet(attribute.NewSet(attribute.String("label", l))))
		}
	}
	if n := c.profile.cut.Swap(0); n > 0 {
		c.telemetry.ConnectorLlmInvalidValues.Add(ctx, n, metric.WithAttributeSet(attribute.NewSet(attribute.String("cause", llmmetrics.CauseNameValue))))
	}
}

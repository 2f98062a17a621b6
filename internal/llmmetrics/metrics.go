// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package llmmetrics is the llm_* metrics pipeline the llm_prometheus
// exporter and the llm connector share: its configuration block (Config),
// and Metrics, which reads span batches and log records (internal/batch),
// records calls (internal/recorder) and agents, tools, guardrails and
// evaluations (internal/activity), and counts what it saw for the
// component's own telemetry (Counts).
package llmmetrics // import "github.com/otelcol-llm/otelcol-llm/internal/llmmetrics"

import (
	"context"
	"math/bits"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-llm/otelcol-llm/internal/activity"
	"github.com/otelcol-llm/otelcol-llm/internal/batch"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/recorder"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

// Metrics records span batches and log records into the llm_* families. It
// is safe for concurrent use.
type Metrics struct {
	Recorder *recorder.Recorder
	Activity *activity.Metrics
	Pricer   *pricing.Pricer
	batches  *batch.Extractor
	gatherer prometheus.Gatherer

	invalidCauses []genai.InvalidCause
	attrs         attrs

	// OnCall, when set before the first batch, receives every counted call
	// (nested duplicates left out) INSTEAD of the recorder: another set of
	// instruments (the connector's semantic-convention profiles), which then
	// bounds its own labels. The call is valid until it returns.
	OnCall func(*genai.Call)
}

// attrs are the attribute sets of the component's own telemetry, built once
// as the one-option slices Add takes (a variadic call with one option would
// build its slice at every call).
type attrs struct {
	invalid       []opts // invalid_values{cause=<genai cause>}
	cut           opts   // invalid_values{cause=dimension_value}
	nameCut       opts   // invalid_values{cause=name_value}
	model         opts   // label_overflow{label=model}
	template      opts   // label_overflow{label=template}
	dims          []opts // label_overflow{label=<dimension>}
	activityLabel [activity.NumLabels]opts
}

// opts are the options of one Add.
type opts []metric.AddOption

// Causes of invalid_values beside the genai ones.
const (
	// CauseDimensionValue counts the dimension values cut to
	// labels::max_value_length or repaired to valid UTF-8.
	CauseDimensionValue = "dimension_value"
	// CauseNameValue counts the agent, tool, guardrail, evaluation and
	// evaluation label values cut or repaired likewise.
	CauseNameValue = "name_value"
)

// New builds the pipeline cfg configures. The pricer starts no goroutine
// before Start.
func New(cfg *Config, logger *zap.Logger) (*Metrics, error) {
	pricer, err := cfg.NewPricer(logger)
	if err != nil {
		return nil, err
	}
	if cfg.Labels.MaxPairs > 0 {
		logger.Warn("labels::max_pairs is deprecated, use labels::max_label_sets", zap.Int("max_pairs", cfg.Labels.MaxPairs))
	}
	dims := make([]recorder.Dimension, 0, len(cfg.Dimensions))
	for _, d := range cfg.Dimensions {
		dims = append(dims, recorder.Dimension{Label: d.Label, Default: d.DefaultValue(), MaxValues: d.Cap(), IdleTimeout: d.IdleTimeout})
	}
	budgets := make([]recorder.Budget, 0, len(cfg.Budgets))
	for _, b := range cfg.Budgets {
		p, _ := parsePeriod(b.Period) // validated
		budgets = append(budgets, recorder.Budget{Name: b.Name, Match: b.Match, Period: p, AmountUSD: b.AmountUSD})
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
	m := &Metrics{
		Recorder: rec, Activity: act, Pricer: pricer, batches: cfg.NewExtractor(),
		gatherer:      prometheus.Gatherers{rec, act.Gatherer()},
		invalidCauses: genai.InvalidCauses(),
	}
	set := func(k, v string) opts {
		return opts{metric.WithAttributeSet(attribute.NewSet(attribute.String(k, v)))}
	}
	for _, c := range m.invalidCauses {
		m.attrs.invalid = append(m.attrs.invalid, set("cause", c.Name))
	}
	m.attrs.cut, m.attrs.nameCut = set("cause", CauseDimensionValue), set("cause", CauseNameValue)
	m.attrs.model, m.attrs.template = set("label", "model"), set("label", "template")
	for _, d := range dims {
		m.attrs.dims = append(m.attrs.dims, set("label", d.Label))
	}
	for l := range activity.NumLabels {
		m.attrs.activityLabel[l] = set("label", l.String())
	}
	return m, nil
}

// Gatherer gathers every llm_* family: the recorder's and the activity
// families.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.gatherer }

// Start starts the pricer's reloading; Stop stops it.
func (m *Metrics) Start() { m.Pricer.Start() }

// Stop stops what Start started.
func (m *Metrics) Stop() { m.Pricer.Stop() }

// Counts accumulates the component's own telemetry for one batch, so the
// instruments are updated once per batch, not once per span.
type Counts struct {
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

// ConsumeTraces records every counted call of td but the nested duplicates,
// and its agents, tools, guardrails and evaluations; now (its Unix
// nanoseconds) paces exemplars and picks the budget windows.
func (m *Metrics) ConsumeTraces(td ptrace.Traces, now time.Time, counts *Counts) {
	ns := now.UnixNano()
	bc := m.batches.ExtractAll(td, &batch.Visitor{
		Call: func(call *genai.Call, _ ptrace.Span, dup bool) {
			if !dup {
				m.record(call, ns, counts)
			}
		},
		Activity: func(a *genai.Activity, _ ptrace.Span) {
			m.recordActivity(a, counts)
		},
		Evaluation: func(ev *genai.Evaluation, _ ptrace.Span) {
			m.recordEvaluation(ev, counts)
		},
	})
	counts.received += int64(bc.Spans)
	counts.skipped += int64(bc.Skipped)
	counts.nested += int64(bc.Nested)
}

// ConsumeLogs records the gen_ai.evaluation.result and
// gen_ai.guardrail.result events of ld (log records whose event name, or
// else event.name attribute, names them).
func (m *Metrics) ConsumeLogs(ld plog.Logs, counts *Counts) {
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
					m.recordEvaluation(&ev, counts)
				case genai.EventGuardrailResult:
					m.batches.ReadGuardrailEvent(lr.Attributes(), &g)
					m.recordActivity(&g, counts)
				default:
					counts.recordsSkipped++
				}
			}
		}
	}
}

// record counts one call into the llm_* metrics and the batch's telemetry.
func (m *Metrics) record(call *genai.Call, now int64, counts *Counts) {
	counts.calls++
	m.countInvalid(call.Invalid, counts)
	if m.OnCall != nil {
		m.OnCall(call)
		return
	}
	of := m.Recorder.Record(call, now)
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

// recordActivity counts a tool, agent or guardrail.
func (m *Metrics) recordActivity(a *genai.Activity, counts *Counts) {
	m.countInvalid(a.Invalid, counts)
	var o activity.Outcome
	switch a.Kind {
	case genai.KindTool:
		o = m.Activity.RecordTool(a)
	case genai.KindAgent:
		o = m.Activity.RecordAgent(a)
	case genai.KindGuardrail:
		o = m.Activity.RecordGuardrail(a)
	}
	m.countOutcome(o, counts)
}

// recordEvaluation counts an evaluation result.
func (m *Metrics) recordEvaluation(ev *genai.Evaluation, counts *Counts) {
	m.countInvalid(ev.Invalid, counts)
	m.countOutcome(m.Activity.RecordEvaluation(ev), counts)
}

func (m *Metrics) countInvalid(inv genai.Invalid, counts *Counts) {
	if inv == 0 {
		return
	}
	for n, c := range m.invalidCauses {
		if inv&c.Bit != 0 {
			counts.invalid[n]++
		}
	}
}

func (m *Metrics) countOutcome(o activity.Outcome, counts *Counts) {
	counts.nameCut += int64(o.Cut)
	for l := o.Overflow; l != 0; l &= l - 1 {
		counts.activityOverflow[bits.TrailingZeros8(l)%int(activity.NumLabels)]++
	}
}

// Telemetry are the component's own instruments (its mdatagen
// TelemetryBuilder's, named for the component).
type Telemetry struct {
	SpansReceived, Calls, SpansSkipped, NestedCalls metric.Int64Counter
	InvalidValues, LabelOverflow, LabelSetOverflow  metric.Int64Counter
	LogRecordsReceived, LogRecordsSkipped           metric.Int64Counter
}

// Report adds the batch's counts to the instruments.
func (m *Metrics) Report(ctx context.Context, t *Telemetry, c *Counts) {
	add := func(ctr metric.Int64Counter, v int64, o opts) {
		if v > 0 && ctr != nil {
			ctr.Add(ctx, v, o...)
		}
	}
	add(t.SpansReceived, c.received, nil)
	add(t.Calls, c.calls, nil)
	add(t.SpansSkipped, c.skipped, nil)
	add(t.NestedCalls, c.nested, nil)
	for n, v := range c.invalid[:len(m.attrs.invalid)] {
		add(t.InvalidValues, v, m.attrs.invalid[n])
	}
	add(t.LabelOverflow, c.modelOverflow, m.attrs.model)
	add(t.LabelOverflow, c.templateOverflow, m.attrs.template)
	for i, v := range c.dimOverflow[:len(m.attrs.dims)] {
		add(t.LabelOverflow, v, m.attrs.dims[i])
	}
	add(t.LabelSetOverflow, c.labelSetOverflow, nil)
	add(t.InvalidValues, c.cut, m.attrs.cut)
	add(t.InvalidValues, c.nameCut, m.attrs.nameCut)
	for l, v := range c.activityOverflow {
		add(t.LabelOverflow, v, m.attrs.activityLabel[l])
	}
	add(t.LogRecordsReceived, c.records, nil)
	add(t.LogRecordsSkipped, c.recordsSkipped, nil)
}

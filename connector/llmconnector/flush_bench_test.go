// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconnector

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-llm/otelcol-llm/connector/llmconnector/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/llmmetrics"
	"github.com/otelcol-llm/otelcol-llm/internal/otlpmetrics"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

// filled is a connector filled to the largest series count the default
// caps allow, and what sends one more fill batch to it.
type filled struct {
	c *llmConnector
	// send sends the 10-span spangen mix as model m, template t.
	send func(m, t int)
}

// fillConnector returns a connector (cfg) whose every (model, template)
// pair of models × (templates + 1) has seen the 10-span spangen mix
// (streamed, failed and plain calls), so every llm_* call family has a
// series per pair: the exporter's BenchmarkScrape fill (fillExporter).
// Every model's first templates go first, then the extra template of each
// model: with models × templates at the label set cap, the extra ones meet
// a full cap and fold into (model, other).
func fillConnector(tb testing.TB, cfg *Config, models, templates int) *filled {
	tb.Helper()
	c, err := newLLMConnector(cfg, connectortest.NewNopSettings(metadata.Type), consumertest.NewNop())
	require.NoError(tb, err)
	td := spangen.Batch(10, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	f := &filled{c: c}
	f.send = func(m, t int) {
		for k := range spans.Len() {
			spans.At(k).Attributes().PutStr("gen_ai.request.model", fmt.Sprintf("model-%03d", m))
			spans.At(k).Attributes().PutStr("llm.template", fmt.Sprintf("template-%02d", t))
		}
		require.NoError(tb, c.ConsumeTraces(context.Background(), td))
	}
	for t := range templates {
		for m := range models {
			f.send(m, t)
		}
	}
	for m := range models {
		f.send(m, templates)
	}
	return f
}

// promSeries is the number of samples of fams in the text exposition: the
// series a Prometheus server stores, every classic bucket (+Inf included),
// _sum and _count of a histogram counted (BenchmarkScrape's series count).
func promSeries(fams []*dto.MetricFamily) int {
	n := 0
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			switch {
			case m.GetHistogram() != nil:
				h := m.GetHistogram()
				n += len(h.GetBucket()) + 2
				if b := h.GetBucket(); len(b) == 0 || !math.IsInf(b[len(b)-1].GetUpperBound(), 1) {
					n++ // +Inf is implied
				}
			case m.GetSummary() != nil:
				n += len(m.GetSummary().GetQuantile()) + 2
			default:
				n++
			}
		}
	}
	return n
}

// BenchmarkFlush (issue 14: 26,000 series flushed to OTLP in ≤ 50 ms) times
// the connector's flush alone: the Gather of every llm_* family, its
// conversion to one pmetric.Metrics (resource, scope, a data point per
// series) and the hand-off to a nop consumer, at the largest series count
// the default caps allow: 100 models × 5 templates (the max_label_sets cap
// of 500) and a (model, other) label set per model, filled as
// BenchmarkScrape fills the exporter. Per temporality and histogram kind;
// the connector is not started (no flush loop), flush is called directly.
// Between two timed flushes, with the timer stopped, one more 10-span fill
// batch goes to a pair in turn, so a delta flush has changes and new
// exemplars to write, as a live one does. delta/explicit/first is a delta
// connector's first flush, every stream new (a fresh Delta before each).
// gather times the Gather alone.
// Each case logs its series (text-exposition samples), its OTLP data
// points and label sets.
func BenchmarkFlush(b *testing.B) {
	models := llmmetrics.DefaultMaxModelValues
	templates := llmmetrics.DefaultMaxLabelSets / models
	for _, tc := range []struct {
		temporality, histograms string
		first                   bool
	}{
		{TemporalityCumulative, HistogramsExplicit, false},
		{TemporalityCumulative, HistogramsExponential, false},
		{TemporalityDelta, HistogramsExplicit, false},
		{TemporalityDelta, HistogramsExponential, false},
		{TemporalityDelta, HistogramsExplicit, true},
	} {
		name := tc.temporality + "/" + tc.histograms
		if tc.first {
			name += "/first"
		}
		b.Run(name, func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			cfg.Temporality, cfg.Histograms = tc.temporality, tc.histograms
			require.NoError(b, cfg.Validate())
			f := fillConnector(b, cfg, models, templates)
			c := f.c
			fams, err := c.metrics.Gatherer().Gather()
			require.NoError(b, err)
			series, sets := promSeries(fams), labelSets(b, fams)
			require.Len(b, sets, models*(templates+1), "label sets")
			// A first flush, counted: one data point per series of every
			// family (delta: every stream new).
			points, dtoSeries := 0, 0
			for _, fam := range fams {
				dtoSeries += len(fam.GetMetric())
			}
			c.next, err = consumer.NewMetrics(func(_ context.Context, md pmetric.Metrics) error {
				points = md.DataPointCount()
				return nil
			})
			require.NoError(b, err)
			ctx := context.Background()
			require.NoError(b, c.flush(ctx))
			require.Equal(b, dtoSeries, points, "data points")
			c.next = consumertest.NewNop()
			b.Logf("%d series, %d data points, %d label sets", series, points, len(sets))

			pair := 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				f.send(pair%models, pair/models%templates)
				pair++
				if tc.first {
					c.delta = otlpmetrics.NewDelta()
				}
				b.StartTimer()
				if err := c.flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("gather", func(b *testing.B) {
		c := fillConnector(b, createDefaultConfig().(*Config), models, templates).c
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.metrics.Gatherer().Gather(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// labelSets are the label sets of llm_requests_total (its labels but
// status), as keys.
func labelSets(tb testing.TB, fams []*dto.MetricFamily) map[string]bool {
	tb.Helper()
	sets := map[string]bool{}
	for _, f := range fams {
		if f.GetName() != "llm_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			var key strings.Builder
			for _, lp := range m.GetLabel() {
				if lp.GetName() != "status" {
					fmt.Fprintf(&key, "%s=%q,", lp.GetName(), lp.GetValue())
				}
			}
			sets[key.String()] = true
		}
	}
	return sets
}

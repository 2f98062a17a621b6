// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconnector

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// conventionMetric is a metric as the conventions' tables give it.
type conventionMetric struct {
	typ     pmetric.MetricType
	unit    string
	attrs   []string // the attributes the profile writes (sorted)
	buckets []float64
}

// semconvV141Tables is gen-ai-metrics.md of semantic conventions v1.41, by
// hand (names, instrument type, unit, bucket advice), with the attributes we
// write: gen_ai.operation.name, gen_ai.provider.name (required),
// gen_ai.request.model (conditionally required), gen_ai.token.type (token
// usage, required), error.type (operation duration, conditionally required:
// failed calls).
var semconvV141Tables = map[string]conventionMetric{
	"gen_ai.client.token.usage": {
		typ: pmetric.MetricTypeHistogram, unit: "{token}",
		attrs:   []string{"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.token.type"},
		buckets: []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864},
	},
	"gen_ai.client.operation.duration": {
		typ: pmetric.MetricTypeHistogram, unit: "s",
		attrs:   []string{"error.type", "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model"},
		buckets: []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92},
	},
	"gen_ai.client.operation.time_to_first_chunk": {
		typ: pmetric.MetricTypeHistogram, unit: "s",
		attrs:   []string{"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model"},
		buckets: []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92},
	},
}

// streamed adds a streamed gpt-4o call with a 0.3 s time to first chunk.
func streamed() map[string]any {
	return map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
		"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5,
		"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 0.3,
	}
}

func flushProfile(t *testing.T, name string) pmetric.MetricSlice {
	t.Helper()
	sink := &consumertest.MetricsSink{}
	cfg := createDefaultConfig().(*Config)
	cfg.MetricNames = name
	require.NoError(t, cfg.Validate())
	c, _ := newTestConnector(t, cfg, sink)
	ctx := context.Background()
	td := calls()
	sp := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty()
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).CopyTo(sp)
	sp.Attributes().Clear()
	require.NoError(t, sp.Attributes().FromRaw(streamed()))
	require.NoError(t, c.ConsumeTraces(ctx, td))
	require.NoError(t, c.flush(ctx))
	require.Len(t, sink.AllMetrics(), 1)
	return sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
}

// TestSemconvV141Golden: the profile's metrics are exactly the conventions'
// (names, types, units, buckets, attributes).
func TestSemconvV141Golden(t *testing.T) {
	ms := flushProfile(t, ProfileSemconvV141)
	got := map[string]conventionMetric{}
	for i := range ms.Len() {
		m := ms.At(i)
		cm := conventionMetric{typ: m.Type(), unit: m.Unit()}
		attrs := map[string]bool{}
		if m.Type() == pmetric.MetricTypeHistogram {
			for _, p := range m.Histogram().DataPoints().All() {
				cm.buckets = p.ExplicitBounds().AsRaw()
				for k := range p.Attributes().All() {
					attrs[k] = true
				}
			}
		}
		for k := range attrs {
			cm.attrs = append(cm.attrs, k)
		}
		sort.Strings(cm.attrs)
		got[m.Name()] = cm
	}
	assert.Equal(t, semconvV141Tables, got)
}

// Exact values: tokens by type, durations with error.type on the failed
// call only, the streamed call's time to first chunk.
func TestSemconvV141Values(t *testing.T) {
	got := points(pmetricWrap(flushProfile(t, ProfileSemconvV141)))
	const gpt = "gen_ai.operation.name=chat,gen_ai.provider.name=openai,gen_ai.request.model=gpt-4o"
	const claude = "gen_ai.operation.name=chat,gen_ai.provider.name=openai,gen_ai.request.model=claude-sonnet-4"
	for k, v := range map[string]float64{
		"gen_ai.client.token.usage_count{" + gpt + ",gen_ai.token.type=input}":    3,
		"gen_ai.client.token.usage_sum{" + gpt + ",gen_ai.token.type=input}":      410,
		"gen_ai.client.token.usage_sum{" + gpt + ",gen_ai.token.type=output}":     65,
		"gen_ai.client.token.usage_sum{" + claude + ",gen_ai.token.type=output}":  0,
		"gen_ai.client.operation.duration_count{" + gpt + "}":                     3,
		"gen_ai.client.operation.duration_sum{" + gpt + "}":                       0.7 + 1.5 + 0.7, // the streamed span has the first one\'s times
		"gen_ai.client.operation.duration_count{error.type=other," + claude + "}": 1,
		"gen_ai.client.operation.time_to_first_chunk_count{" + gpt + "}":          1,
		"gen_ai.client.operation.time_to_first_chunk_sum{" + gpt + "}":            0.3,
	} {
		assert.InDelta(t, v, got[k], 1e-9, k)
	}
	for k := range got {
		assert.NotContains(t, k, "llm_", "a profile writes no llm_* family")
	}
}

func TestGenAIDevelopmentValues(t *testing.T) {
	ms := flushProfile(t, ProfileGenAIDevelopment)
	got := points(pmetricWrap(ms))
	const gpt = "gen_ai.operation.name=chat,gen_ai.provider.name=openai,gen_ai.request.model=gpt-4o"
	for k, v := range map[string]float64{
		"gen_ai.client.inference.usage.input_tokens{" + gpt + ",gen_ai.token.modality=unknown}":  410,
		"gen_ai.client.inference.usage.output_tokens{" + gpt + ",gen_ai.token.modality=unknown}": 65,
		"gen_ai.client.inference.operation.input_tokens_count{" + gpt + "}":                      3,
		"gen_ai.client.inference.duration_count{" + gpt + "}":                                    3,
	} {
		assert.InDelta(t, v, got[k], 1e-9, k)
	}
	var names []string
	for i := range ms.Len() {
		names = append(names, ms.At(i).Name())
	}
	// No call reports cache or reasoning tokens: those counters have no series.
	assert.False(t, slices.Contains(names, "gen_ai.client.inference.usage.cache_read.input_tokens"))
}

func pmetricWrap(ms pmetric.MetricSlice) pmetric.Metrics {
	md := pmetric.NewMetrics()
	ms.CopyTo(md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics())
	return md
}

// A profile bounds the model like the llm profile: past labels::model::
// max_values it is other, counted in label_overflow{label=gen_ai.request.model}.
func TestSemconvModelCap(t *testing.T) {
	sink := &consumertest.MetricsSink{}
	cfg := createDefaultConfig().(*Config)
	cfg.MetricNames = ProfileSemconvV141
	cfg.Labels.Model.MaxValues = 1
	c, tel := newTestConnector(t, cfg, sink)
	ctx := context.Background()
	require.NoError(t, c.ConsumeTraces(ctx, calls())) // gpt-4o twice, then claude-sonnet-4
	require.NoError(t, c.flush(ctx))
	got := points(sink.AllMetrics()[0])
	assert.InDelta(t, 2, got["gen_ai.client.operation.duration_count{gen_ai.operation.name=chat,gen_ai.provider.name=openai,gen_ai.request.model=gpt-4o}"], 0)
	assert.InDelta(t, 1, got["gen_ai.client.operation.duration_count{error.type=other,gen_ai.operation.name=chat,gen_ai.provider.name=openai,gen_ai.request.model=other}"], 0)
	m, err := tel.GetMetric("otelcol_connector_llm_label_overflow")
	require.NoError(t, err)
	sum := m.Data.(metricdata.Sum[int64])
	require.Len(t, sum.DataPoints, 1) // the profile's model label (the llm_* recorder does not run)
	label, _ := sum.DataPoints[0].Attributes.Value("label")
	assert.Equal(t, "gen_ai.request.model", label.AsString())
	assert.Equal(t, int64(1), sum.DataPoints[0].Value)
}

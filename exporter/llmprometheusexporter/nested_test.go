// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
)

// genaiFixture reads a golden input of internal/genai (OTLP JSON).
func genaiFixture(tb testing.TB, name string) ptrace.Traces {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "internal", "genai", "testdata", name))
	require.NoError(tb, err)
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
	require.NoError(tb, err)
	return td
}

// nestedWant is what one call recorded by two nested spans must give.
type nestedWant struct {
	model            string
	prompt, complete float64 // counted once
	twice            float64 // how many times the tokens count without deduplication
	duration         float64 // the child span's, in seconds
}

// histogramOf returns the sample count and sum of one {model, template}
// series of a histogram family.
func histogramOf(t *testing.T, e *llmExporter, name, model, tmpl string) (uint64, float64) {
	t.Helper()
	mfs, err := e.registry.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelOf(m, "model") == model && labelOf(m, "template") == tmpl {
				return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
			}
		}
	}
	t.Fatalf("%s{model=%q,template=%q} not found", name, model, tmpl)
	return 0, 0
}

func labelOf(m *dto.Metric, name string) string {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

// TestConsumeTracesNestedCalls runs the two fixtures where one request is
// recorded by two nested counted spans through the exporter: with
// deduplicate_nested_calls (the default) the call counts once, with the child
// span's tokens and duration; without it, twice, as span by span.
func TestConsumeTracesNestedCalls(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    nestedWant
	}{
		// A LangSmith llm run (ChatOpenAI, 1.3 s) and the openai-v2 span under it (1.24 s).
		{"langsmith_with_openai_v2.json", nestedWant{model: "gpt-4o", prompt: 300, complete: 25, twice: 2, duration: 1.24}},
		// Vercel AI SDK v7 embed(): the outer embeddings span (7.6 ms, no tokens)
		// and the inner one (6.2 ms, 4 input tokens).
		{"vercel_ai_v7_embed.json", nestedWant{model: "text-embedding-3-small", prompt: 4, twice: 1, duration: 0.0062}},
	} {
		for _, dedup := range []bool{true, false} {
			name := tc.fixture + "/deduplicate_nested_calls=false"
			if dedup {
				name = tc.fixture + "/deduplicate_nested_calls=true"
			}
			t.Run(name, func(t *testing.T) {
				tel := componenttest.NewTelemetry()
				t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
				set := exportertest.NewNopSettings(metadata.Type)
				set.TelemetrySettings = tel.NewTelemetrySettings()
				cfg := createDefaultConfig().(*Config)
				cfg.DeduplicateNestedCalls = dedup
				e := newTestExporter(t, cfg, set)

				require.NoError(t, e.consumeTraces(context.Background(), genaiFixture(t, tc.fixture)))

				w := tc.want
				requests, spanCount := 1.0, 1
				if !dedup {
					requests, spanCount = 2, 2
				}
				assert.InDelta(t, requests, successRequests(t, e, w.model, "none"), 0)
				count, sum := histogramOf(t, e, "llm_request_duration_seconds", w.model, "none")
				assert.Equal(t, uint64(spanCount), count)
				if dedup {
					assert.InDelta(t, w.duration, sum, 1e-9, "the child span's duration")
				}
				// Tokens: the parent repeats the child's (LangSmith) or has none
				// (Vercel): deduplicated, they are the child's exactly.
				factor := 1.0
				if !dedup {
					factor = w.twice
				}
				assert.InDelta(t, factor*w.prompt, familyValue(t, e, "llm_prompt_tokens_total", w.model), 0)
				assert.InDelta(t, factor*w.complete, familyValue(t, e, "llm_completion_tokens_total", w.model), 0)

				assertSum(t, tel, "otelcol_exporter_llm_prometheus_spans_received", nil, 2)
				assertSum(t, tel, "otelcol_exporter_llm_prometheus_calls", nil, int64(spanCount))
				if dedup {
					assertSum(t, tel, "otelcol_exporter_llm_prometheus_nested_calls", nil, 1)
				} else {
					assert.Zero(t, telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_nested_calls", nil))
				}
				assert.Zero(t, telemetrySum(t, tel, "otelcol_exporter_llm_prometheus_spans_skipped", nil))
			})
		}
	}
}

// familyValue sums a counter family over the series of one model.
func familyValue(t *testing.T, e *llmExporter, name, model string) float64 {
	t.Helper()
	mfs, err := e.registry.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				if labelOf(m, "model") == model {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}

// TestConsumeTracesNestedAcrossBatches pins the limit of the rule: it sees one
// batch. The child and its parent exported in two batches count twice.
func TestConsumeTracesNestedAcrossBatches(t *testing.T) {
	e := newTestExporter(t, createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	td := genaiFixture(t, "vercel_ai_v7_embed.json")
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	require.Equal(t, 2, spans.Len())
	for i := range 2 { // the inner span's batch, then the outer span's
		one := ptrace.NewTraces()
		rs := td.ResourceSpans().At(0)
		ors := one.ResourceSpans().AppendEmpty()
		rs.Resource().CopyTo(ors.Resource())
		spans.At(i).CopyTo(ors.ScopeSpans().AppendEmpty().Spans().AppendEmpty())
		require.NoError(t, e.consumeTraces(context.Background(), one))
	}
	assert.InDelta(t, 2, successRequests(t, e, "text-embedding-3-small", "none"), 0)
}

// TestConsumeTracesNestedConcurrent consumes batches with nested pairs from
// many goroutines (the scratch memory is pooled) and checks exact totals.
// Run with -race.
func TestConsumeTracesNestedConcurrent(t *testing.T) {
	const workers, batches = 8, 50
	e := newTestExporter(t, createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	langsmith := genaiFixture(t, "langsmith_with_openai_v2.json")
	vercel := genaiFixture(t, "vercel_ai_v7_embed.json")
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range batches {
				td := ptrace.NewTraces()
				langsmith.ResourceSpans().CopyTo(td.ResourceSpans())
				if (w+i)%2 == 0 { // batches of two sizes
					vercel.ResourceSpans().At(0).CopyTo(td.ResourceSpans().AppendEmpty())
				}
				assert.NoError(t, e.consumeTraces(context.Background(), td))
			}
		})
	}
	wg.Wait()
	assert.InDelta(t, workers*batches, successRequests(t, e, "gpt-4o", "none"), 0)
	assert.InDelta(t, 300*workers*batches, familyValue(t, e, "llm_prompt_tokens_total", "gpt-4o"), 0)
	assert.InDelta(t, workers*batches/2, successRequests(t, e, "text-embedding-3-small", "none"), 0)
}

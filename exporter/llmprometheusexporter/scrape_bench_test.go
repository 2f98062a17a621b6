// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

// filledExporter returns an exporter (default configuration) whose every
// (model, template) pair of models × (templates + 1) has seen the spangen mix
// (streamed, failed and plain calls), so every metric family has a series
// per pair. With models × templates at the label set cap, the last template
// of each model folds into (model, "other"): the largest series count the
// caps allow.
func filledExporter(tb testing.TB, models, templates int) *llmExporter {
	return fillExporter(tb, createDefaultConfig().(*Config), models, templates, nil)
}

// benchProviders are gen_ai.provider.name values, each its own provider
// label value.
var benchProviders = []string{"openai", "azure.ai.openai", "aws.bedrock", "anthropic", "gcp.vertex_ai"}

// filledDimensionsExporter is filledExporter with dimensions [service,
// provider] (the shipped configurations') filled: the label set of model m
// and template t has service checkout-assistant-<(m+t)%50> (resource
// service.name, up to its cap of 50 values) and provider
// benchProviders[m%5]. The extra template of each model folds all the way
// to (model, other, other, other).
func filledDimensionsExporter(tb testing.TB, models, templates int) *llmExporter {
	cfg := dimensionsConfig(tb, "service", "provider")
	return fillExporter(tb, cfg, models, templates, func(td ptrace.Traces, m, t int) {
		rs := td.ResourceSpans().At(0)
		rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("checkout-assistant-%02d", (m+t)%50))
		for _, sp := range rs.ScopeSpans().At(0).Spans().All() {
			sp.Attributes().PutStr("gen_ai.provider.name", benchProviders[m%len(benchProviders)])
		}
	})
}

// fillExporter sends the 10-span spangen mix once per (model, template) of
// models × (templates + 1), after set (if not nil) has adjusted the batch.
func fillExporter(tb testing.TB, cfg *Config, models, templates int, set func(td ptrace.Traces, m, t int)) *llmExporter {
	e, err := newLLMExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(tb, err)
	td := spangen.Batch(10, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	// Every model's first templates, then the extra template of each model:
	// with models × templates at the label set cap, the extra ones meet a
	// full cap and fold.
	send := func(m, t int) {
		for k := range spans.Len() {
			spans.At(k).Attributes().PutStr("gen_ai.request.model", fmt.Sprintf("model-%03d", m))
			spans.At(k).Attributes().PutStr("llm.template", fmt.Sprintf("template-%02d", t))
		}
		if set != nil {
			set(td, m, t)
		}
		require.NoError(tb, e.consumeTraces(context.Background(), td))
	}
	for t := range templates {
		for m := range models {
			send(m, t)
		}
	}
	for m := range models {
		send(m, templates)
	}
	return e
}

// BenchmarkScrape times one /metrics request through the handler (promhttp
// over the recorder, into an httptest recorder), per format and compression,
// at the largest series count the default caps allow: 100 models × 5
// templates (the 500-pair cap) and a (model, "other") pair per model. Besides
// ns/op (the mean) it reports the median scrape, p50-ms: the issue 10 target
// is p50 ≤ 60 ms in every format. gather times Gather alone.
func BenchmarkScrape(b *testing.B) {
	models, templates := defaultMaxModelValues, defaultMaxLabelSets/defaultMaxModelValues
	e := filledExporter(b, models, templates)
	sets := labelSets(b, e)
	require.Len(b, sets, models*(templates+1), "label sets")
	b.Logf("%d series, %d label sets", seriesCount(b, e), len(sets))
	benchmarkScrape(b, e)
}

// BenchmarkScrapeDimensions is BenchmarkScrape with dimensions [service,
// provider] filled (filledDimensionsExporter): the same 600 label sets (the
// default max_label_sets of 500 and a (model, other, other, other) per
// model), each series with two labels more. Target: p50 ≤ 60 ms in every
// format.
func BenchmarkScrapeDimensions(b *testing.B) {
	models, templates := defaultMaxModelValues, defaultMaxLabelSets/defaultMaxModelValues
	e := filledDimensionsExporter(b, models, templates)
	// Every label set of the fill is there, service and provider filled
	// (other only in the folded label set of each model).
	sets := labelSets(b, e)
	require.Len(b, sets, models*(templates+1), "label sets")
	for _, ls := range sets {
		if ls["template"] == "other" {
			require.Equal(b, map[string]string{"model": ls["model"], "template": "other", "service": "other", "provider": "other"}, ls)
			continue
		}
		require.True(b, strings.HasPrefix(ls["service"], "checkout-assistant-") && slices.Contains(benchProviders, ls["provider"]), "%v", ls)
	}
	b.Logf("%d series, %d label sets", seriesCount(b, e), len(sets))
	benchmarkScrape(b, e)
}

func benchmarkScrape(b *testing.B, e *llmExporter) {
	h := e.handler()
	for _, f := range []struct{ name, accept string }{
		{"text", ""},
		{"openmetrics", "application/openmetrics-text;version=1.0.0"},
		{"protobuf", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"},
	} {
		for _, enc := range []string{"identity", "gzip", "zstd"} {
			b.Run(f.name+"/"+enc, func(b *testing.B) {
				var took []time.Duration
				b.ReportAllocs()
				for b.Loop() {
					start := time.Now()
					req := httptest.NewRequest(http.MethodGet, "/metrics", http.NoBody)
					req.Header.Set("Accept", f.accept)
					req.Header.Set("Accept-Encoding", enc)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK || (enc != "identity") != (w.Header().Get("Content-Encoding") == enc) {
						b.Fatalf("status %d, Content-Encoding %q", w.Code, w.Header().Get("Content-Encoding"))
					}
					_, _ = io.Copy(io.Discard, w.Body)
					took = append(took, time.Since(start))
				}
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2])/1e6, "p50-ms")
			})
		}
	}
	b.Run("gather", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = e.registry.Gather()
		}
	})
}

// labelSets are the label sets of llm_requests_total (its labels but status).
func labelSets(tb testing.TB, e *llmExporter) []map[string]string {
	mfs, err := e.registry.Gather()
	require.NoError(tb, err)
	seen := map[string]map[string]string{}
	for _, mf := range mfs {
		if mf.GetName() != "llm_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			ls := map[string]string{}
			var key strings.Builder
			for _, lp := range m.GetLabel() {
				if lp.GetName() != "status" {
					ls[lp.GetName()] = lp.GetValue()
					fmt.Fprintf(&key, "%s=%q,", lp.GetName(), lp.GetValue())
				}
			}
			seen[key.String()] = ls
		}
	}
	out := make([]map[string]string, 0, len(seen))
	for _, ls := range seen {
		out = append(out, ls)
	}
	return out
}

// seriesCount is the number of samples of a text scrape: the series a
// Prometheus server stores (classic histograms count every bucket, _sum and _count).
func seriesCount(tb testing.TB, e *llmExporter) int {
	req := httptest.NewRequest(http.MethodGet, "/metrics", http.NoBody)
	w := httptest.NewRecorder()
	e.handler().ServeHTTP(w, req)
	require.Equal(tb, http.StatusOK, w.Code)
	n := 0
	for line := range strings.SplitSeq(w.Body.String(), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n
}

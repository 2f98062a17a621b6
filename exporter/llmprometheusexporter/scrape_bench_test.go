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

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

// filledExporter returns an exporter (default configuration) whose every
// (model, template) pair of models × (templates + 1) has seen the spangen mix
// (streamed, failed and plain calls), so every metric family has a series
// per pair. With models × templates at the pair cap, the last template of
// each model folds into (model, "other"): the largest series count the caps
// allow.
func filledExporter(tb testing.TB, models, templates int) *llmExporter {
	cfg := createDefaultConfig().(*Config)
	e, err := newLLMExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(tb, err)
	td := spangen.Batch(10, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for m := range models {
		for t := range templates + 1 {
			for k := range spans.Len() {
				spans.At(k).Attributes().PutStr("gen_ai.request.model", fmt.Sprintf("model-%03d", m))
				spans.At(k).Attributes().PutStr("llm.template", fmt.Sprintf("template-%02d", t))
			}
			require.NoError(tb, e.consumeTraces(context.Background(), td))
		}
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
	e := filledExporter(b, defaultMaxModelValues, defaultMaxLabelSets/defaultMaxModelValues)
	b.Logf("%d series", seriesCount(b, e))
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

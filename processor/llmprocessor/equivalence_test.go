// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
	"github.com/otelcol-llm/otelcol-llm/pricing"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/enrich"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadata"
)

// mixedBatch gathers spans of every kind the tests know: this package's
// golden inputs (semconv ≤1.36 and ≥1.37, errors, streamed calls with chunk
// events, numeric strings, agent and non-LLM spans, content), the dialect
// fixtures of internal/genai (they grow with every dialect it learns), and a
// spangen batch (errors, streamed calls, several models and templates).
func mixedBatch(tb testing.TB) ptrace.Traces {
	tb.Helper()
	var files []string
	for _, tc := range goldenCases {
		files = append(files, filepath.Join("testdata", tc.name, "input.json"))
	}
	fixtures, err := filepath.Glob(filepath.Join("..", "..", "internal", "genai", "testdata", "*.json"))
	require.NoError(tb, err)
	for _, f := range fixtures {
		if !strings.HasSuffix(f, ".calls.json") {
			files = append(files, f)
		}
	}
	require.Greater(tb, len(files), len(goldenCases), "no fixture found in internal/genai/testdata")

	out := ptrace.NewTraces()
	for _, f := range files {
		readTraces(tb, f).ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	spangen.Batch(100, time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)).ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	return out
}

// TestExtractUnchangedByProcessor: for every span, the extractor reads the
// same Call (counted or not, every field, refused values included) before and
// after the processor, with and without redaction; a call under a nested
// duplicate reads as the exporter sees it, with what it inherits (template,
// model, provider).
func TestExtractUnchangedByProcessor(t *testing.T) {
	in := mixedBatch(t)
	ex := genai.NewExtractor(genai.Options{})
	// The counted calls of the batch after the nested rule, in span order.
	var calls []genai.Call
	eachSpanPair(in, in, func(res pcommon.Resource, span, _ ptrace.Span) {
		var c genai.Call
		if ex.Extract(span, res, &c) {
			calls = append(calls, c)
		}
	})
	var nested genai.Nested
	require.Equal(t, 7, nested.Find(calls))
	table, err := pricing.NewTable(pricing.DefaultRows())
	require.NoError(t, err)
	for _, redact := range []bool{false, true} {
		t.Run(fmt.Sprintf("redact_content=%v", redact), func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.RedactContent = redact
			out := process(t, cfg, in)
			require.Equal(t, in.SpanCount(), out.SpanCount())
			counted, priced, marked := 0, 0, 0
			next := 0 // index in calls of the next counted span
			eachSpanPair(in, out, func(res pcommon.Resource, before, after ptrace.Span) {
				var want, got genai.Call
				okWant := ex.Extract(before, res, &want)
				okGot := ex.Extract(after, res, &got)
				if okWant {
					want = calls[next]
					next++
				}
				if _, ok := after.Attributes().Get(enrich.KeyDuplicateOfChild); ok {
					marked++ // a nested duplicate: marked, not enriched, read the same
				}
				if assert.Equal(t, okWant, okGot, "span %q counted", before.Name()) && okWant {
					counted++
					if !want.HasCost && got.HasCost {
						// The processor wrote the price-table cost: exactly what the
						// exporter would have computed from the same table.
						price, ok := table.Lookup(want.Provider, want.Model())
						if assert.True(t, ok, "span %q got a cost without a price", before.Name()) {
							assert.InDelta(t, price.Cost(pricing.Usage{
								Input: want.InputTokens, Output: want.OutputTokens,
								CachedInput: want.CachedInputTokens, CacheWrite: want.CacheCreationInputTokens,
								Reasoning: want.ReasoningTokens,
							}), got.Cost, 0, "span %q", before.Name())
						}
						priced++
						assert.True(t, got.CostEstimated, "span %q: the written cost is marked estimated", before.Name())
						got.Cost, got.HasCost, got.CostEstimated = 0, false, false
					}
					assert.Equal(t, want, got, "span %q", before.Name())
				}
			})
			assert.Greater(t, counted, 100)
			assert.Greater(t, priced, 50)
			// testdata/nested (4), testdata/dimensions, langsmith_with_openai_v2 and
			// vercel_ai_v7_embed (1 each).
			assert.Equal(t, 7, marked, "nested duplicates marked")
		})
	}
}

// eachSpanPair calls f for the spans at the same position in a and b (the
// processor neither adds, removes nor reorders spans). The resource is a's.
func eachSpanPair(a, b ptrace.Traces, f func(pcommon.Resource, ptrace.Span, ptrace.Span)) {
	for i := range a.ResourceSpans().Len() {
		ra, rb := a.ResourceSpans().At(i), b.ResourceSpans().At(i)
		for j := range ra.ScopeSpans().Len() {
			sa, sb := ra.ScopeSpans().At(j).Spans(), rb.ScopeSpans().At(j).Spans()
			for k := range sa.Len() {
				f(ra.Resource(), sa.At(k), sb.At(k))
			}
		}
	}
}

// TestExporterSameNumbersWithProcessor runs one mixed batch through
// (a) the llm_prometheus exporter alone, (b) llm processor → exporter,
// (c) llm processor with redact_content → exporter and (d) llm processor with
// deduplicate_nested_calls off → exporter, scrapes the four exporters'
// /metrics over HTTP and requires identical llm_* samples. The batch holds
// calls seen as nested spans (testdata/nested, the LangSmith + openai-v2 and
// Vercel AI v7 embed fixtures): the exporter counts them once whether the
// processor marked them or not.
func TestExporterSameNumbersWithProcessor(t *testing.T) {
	batch := mixedBatch(t)

	alone := startExporter(t)
	enriched := startExporter(t)
	redacted := startExporter(t)
	undeduplicated := startExporter(t)
	redactCfg := createDefaultConfig().(*Config)
	redactCfg.RedactContent = true
	noDedupCfg := createDefaultConfig().(*Config)
	noDedupCfg.DeduplicateNestedCalls = false

	pipelines := []struct {
		name string
		in   consumer.Traces
		url  string
	}{
		{"exporter alone", alone.exp, alone.url},
		{"processor, exporter", newProcessorInFront(t, createDefaultConfig().(*Config), enriched.exp), enriched.url},
		{"processor with redact_content, exporter", newProcessorInFront(t, redactCfg, redacted.exp), redacted.url},
		{"processor with deduplicate_nested_calls off, exporter", newProcessorInFront(t, noDedupCfg, undeduplicated.exp), undeduplicated.url},
	}
	samples := make([]map[string]float64, len(pipelines))
	for i, p := range pipelines {
		td := ptrace.NewTraces()
		batch.CopyTo(td)
		require.NoError(t, p.in.ConsumeTraces(context.Background(), td), p.name)
		samples[i] = llmSamples(t, p.url)
	}

	base := samples[0]
	// The batch must exercise what the comparison is about.
	for _, want := range []string{
		`llm_requests_total{model="gpt-4o-mini", status="error", template="none"}`,
		`llm_errors_total{model="gpt-4o", reason="safety_block"}`,
		`llm_errors_total{model="gpt-4o", reason="rate_limit"}`,
		`llm_time_to_first_token_seconds_count{model="gpt-4o", template="none"}`,
		`llm_prompt_tokens_total{model="gpt-4o", template="none"}`,
		`llm_completion_tokens_total{model="claude-sonnet-4-5", template="support-answer"}`,
	} {
		assert.Greater(t, base[want], 0.0, "sample %s", want)
	}
	assert.Greater(t, len(base), 100)
	// Every counted span is a request, but the nested duplicates.
	calls, nested := countedAndNested(batch)
	require.Equal(t, 7, nested)
	requests := 0.0
	for k, v := range base {
		if strings.HasPrefix(k, "llm_requests_total{") {
			requests += v
		}
	}
	assert.InDelta(t, float64(calls-nested), requests, 0)
	for i := 1; i < len(pipelines); i++ {
		assert.Empty(t, diffSamples(base, samples[i]), "%s vs %s", pipelines[0].name, pipelines[i].name)
	}
}

// countedAndNested counts, with an independent extractor, the counted spans
// of td and the nested duplicates among them.
func countedAndNested(td ptrace.Traces) (calls, nested int) {
	ex := genai.NewExtractor(genai.Options{})
	var all []genai.Call
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				var c genai.Call
				if ex.Extract(sp, rs.Resource(), &c) {
					all = append(all, c)
				}
			}
		}
	}
	var n genai.Nested
	return len(all), n.Find(all)
}

// diffSamples lists the series whose value differs between a and b, sorted.
func diffSamples(a, b map[string]float64) []string {
	var diff []string
	for k, va := range a {
		if vb, ok := b[k]; !ok || vb != va {
			diff = append(diff, fmt.Sprintf("%s: %v != %v (present: %v)", k, va, vb, ok))
		}
	}
	for k, vb := range b {
		if _, ok := a[k]; !ok {
			diff = append(diff, fmt.Sprintf("%s: absent != %v", k, vb))
		}
	}
	sort.Strings(diff)
	return diff
}

type runningExporter struct {
	exp consumer.Traces
	url string
}

// startExporter starts an llm_prometheus exporter on a loopback port, with
// its default configuration changed by set (in order).
func startExporter(t *testing.T, set ...func(*llmprometheusexporter.Config)) runningExporter {
	t.Helper()
	f := llmprometheusexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*llmprometheusexporter.Config)
	for _, s := range set {
		s(cfg)
	}
	cfg.NetAddr.Endpoint = freeAddr(t)
	exp, err := f.CreateTraces(context.Background(), exportertest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	return runningExporter{exp: exp, url: "http://" + cfg.NetAddr.Endpoint + "/metrics"}
}

func newProcessorInFront(t *testing.T, cfg *Config, next consumer.Traces) consumer.Traces {
	t.Helper()
	p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, next)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// llmSamples scrapes url (text format) and returns every llm_* sample by
// series name with its sorted labels.
func llmSamples(t *testing.T, url string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for name, family := range scrapeFamilies(t, url) {
		if !strings.HasPrefix(name, "llm_") {
			continue
		}
		vec, err := expfmt.ExtractSamples(&expfmt.DecodeOptions{Timestamp: 0}, family)
		require.NoError(t, err)
		for _, s := range vec {
			out[s.Metric.String()] = float64(s.Value)
		}
	}
	return out
}

// scrapeFamilies scrapes url (text format) and returns its families by name.
func scrapeFamilies(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	require.NoError(t, err)
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	require.NoError(t, err)
	return families
}

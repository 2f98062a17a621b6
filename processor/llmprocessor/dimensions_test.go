// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/enrich"
)

// dimensionLabels are the labels of testdata/config.yaml llm/dimensions.
var dimensionLabels = []string{"service", "provider", "operation", "tenant", "team"}

// badValueSpans is one resource (service.name "billing") holding a chat call
// per awkward dimension value, named after it; each span's call is an
// OpenAI chat call, so only the tenant and team values differ.
func badValueSpans() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "billing")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	start := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	add := func(name string, set func(a pcommon.Map)) {
		sp := spans.AppendEmpty()
		sp.SetName(name)
		sp.SetTraceID(pcommon.TraceID{0xd2, byte(spans.Len())})
		sp.SetSpanID(pcommon.SpanID{0xd2, byte(spans.Len())})
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Second)))
		a := sp.Attributes()
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", "openai")
		a.PutStr("gen_ai.request.model", "gpt-4o")
		set(a)
	}
	add("1 MB", func(a pcommon.Map) { a.PutStr("tenant.id", strings.Repeat("t", 1<<20)) })
	add("not UTF-8", func(a pcommon.Map) { a.PutStr("tenant.id", "acme\xff\xfe-eu") })
	add("map", func(a pcommon.Map) { a.PutEmptyMap("tenant.id").PutStr("id", "acme") })
	add("bytes", func(a pcommon.Map) { a.PutEmptyBytes("team").FromRaw([]byte("search")) })
	add("int", func(a pcommon.Map) { a.PutInt("tenant.id", 42) })
	add("empty", func(a pcommon.Map) {
		a.PutStr("tenant.id", "") // empty counts as absent: the next key
		a.PutStr("user.id", "u-1")
	})
	add("other", func(a pcommon.Map) { a.PutStr("team", "other") })
	return td
}

// dimensionAttrs returns the llm.dimension.* attributes of a span.
func dimensionAttrs(span ptrace.Span) map[string]string {
	out := map[string]string{}
	for k, v := range span.Attributes().All() {
		if strings.HasPrefix(k, llmconfig.DimensionKeyPrefix) {
			out[strings.TrimPrefix(k, llmconfig.DimensionKeyPrefix)] = v.AsString()
		}
	}
	return out
}

// TestDimensionsBadValues: awkward values are bounded as the exporter bounds
// a label value; a value of a type the extractor refuses gives the default.
// The span's own attributes stay as they were.
func TestDimensionsBadValues(t *testing.T) {
	in := badValueSpans()
	out := process(t, loadConfig(t, "dimensions"), in)
	dims := func(tenant, team string) map[string]string {
		return map[string]string{"service": "billing", "provider": "openai", "operation": "chat", "tenant": tenant, "team": team}
	}
	want := map[string]map[string]string{
		"1 MB":      dims(strings.Repeat("t", 128), "unknown"),
		"not UTF-8": dims("acme\uFFFD-eu", "unknown"),
		"map":       dims("none", "unknown"),
		"bytes":     dims("none", "unknown"),
		"int":       dims("42", "unknown"),
		"empty":     dims("u-1", "unknown"),
		"other":     dims("none", "other"), // never folded nor refused by the processor
	}
	spans := out.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	orig := in.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	require.Equal(t, len(want), spans.Len())
	for i := range spans.Len() {
		sp := spans.At(i)
		assert.Equal(t, want[sp.Name()], dimensionAttrs(sp), "span %q", sp.Name())
		for k, v := range orig.At(i).Attributes().All() {
			got, ok := sp.Attributes().Get(k)
			if assert.True(t, ok, "span %q: %s removed", sp.Name(), k) {
				assert.True(t, v.Equal(got), "span %q: %s changed", sp.Name(), k)
			}
		}
	}
}

// TestNoDimensionsWritesNone: without dimensions (the default) no
// llm.dimension.* attribute is written, on any span of the mixed batch.
func TestNoDimensionsWritesNone(t *testing.T) {
	in := mixedBatch(t)
	badValueSpans().ResourceSpans().MoveAndAppendTo(in.ResourceSpans())
	out := process(t, createDefaultConfig().(*Config), in)
	eachSpanPair(in, out, func(_ pcommon.Resource, _, after ptrace.Span) {
		assert.Empty(t, dimensionAttrs(after), "span %q", after.Name())
	})
}

// TestDimensionsAgreeWithExporter: the values the processor writes onto the
// spans are the label values the llm_prometheus exporter exposes for the
// same spans (same dimensions, caps high enough that nothing folds to
// "other"): llm_requests_total summed by the dimension labels equals the
// count of enriched spans by their llm.dimension.* values. An exporter behind
// the processor exposes the same samples as one alone.
func TestDimensionsAgreeWithExporter(t *testing.T) {
	cfg := loadConfig(t, "dimensions")
	batch := mixedBatch(t)
	badValueSpans().ResourceSpans().MoveAndAppendTo(batch.ResourceSpans())

	expCfg := func(c *llmprometheusexporter.Config) {
		c.Dimensions = cfg.Dimensions
		c.Labels.MaxLabelSets = 10_000
	}
	alone, behind := startExporter(t, expCfg), startExporter(t, expCfg)
	in := ptrace.NewTraces()
	batch.CopyTo(in)
	require.NoError(t, alone.exp.ConsumeTraces(context.Background(), in))
	in = ptrace.NewTraces()
	batch.CopyTo(in)
	require.NoError(t, newProcessorInFront(t, cfg, behind.exp).ConsumeTraces(context.Background(), in))
	assert.Empty(t, diffSamples(llmSamples(t, alone.url), llmSamples(t, behind.url)))

	// From the exporter: requests by dimension values (a value folded to
	// "other" under a cap would show as a difference: the caps are above the
	// batch's distinct values).
	fromExporter := map[string]float64{}
	for _, s := range scrapeFamily(t, alone.url, "llm_requests_total") {
		var vals []string
		for _, l := range dimensionLabels {
			vals = append(vals, string(s.Metric[model.LabelName(l)]))
		}
		fromExporter[strings.Join(vals, "|")] += float64(s.Value)
	}
	// From the processor: enriched spans by their llm.dimension.* values.
	out := process(t, cfg, batch)
	fromSpans := map[string]float64{}
	enriched := 0
	eachSpanPair(out, out, func(_ pcommon.Resource, sp, _ ptrace.Span) {
		attrs := dimensionAttrs(sp)
		if len(attrs) == 0 {
			return
		}
		_, dup := sp.Attributes().Get(enrich.KeyDuplicateOfChild)
		assert.False(t, dup, "span %q: a nested duplicate got dimensions", sp.Name())
		require.Len(t, attrs, len(dimensionLabels), "span %q", sp.Name())
		var vals []string
		for _, l := range dimensionLabels {
			vals = append(vals, attrs[l])
		}
		fromSpans[strings.Join(vals, "|")]++
		enriched++
	})
	calls, nested := countedAndNested(batch)
	assert.Equal(t, calls-nested, enriched, "every counted call but the nested duplicates")
	assert.Equal(t, fromExporter, fromSpans)
	// The batch exercises what the comparison is about.
	for _, key := range []string{
		"billing|openai|chat|" + strings.Repeat("t", 128) + "|unknown",
		"billing|openai|chat|acme\uFFFD-eu|unknown",
		"billing|openai|chat|none|unknown", // map and bytes values
		"billing|openai|chat|none|other",   // a span's own "other"
		"checkout-worker|azure.ai.openai|embeddings|u-7|payments",
		"unknown|anthropic|chat|u-9|unknown",
	} {
		assert.Positive(t, fromSpans[key], key)
	}
	assert.Len(t, fromSpans, len(fromExporter))
	assert.Greater(t, len(fromSpans), 10)
}

// scrapeFamily scrapes url (text format) and returns the samples of one
// family.
func scrapeFamily(t *testing.T, url, name string) model.Vector {
	t.Helper()
	family, ok := scrapeFamilies(t, url)[name]
	require.True(t, ok, "%s not exposed", name)
	vec, err := expfmt.ExtractSamples(&expfmt.DecodeOptions{Timestamp: 0}, family)
	require.NoError(t, err)
	return vec
}

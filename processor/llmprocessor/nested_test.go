// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/enrich"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadatatest"
)

// The spans of testdata/nested/input.json that are nested duplicates: the
// LangSmith run over the openai-v2 span, the outer two of a chain of three,
// the outer Vercel AI v7 embeddings span.
var nestedDuplicates = []string{"7a00000000000001", "7a00000000000011", "7a00000000000012", "7a00000000000031"}

// duplicatesOf lists the span ids of out marked llm.duplicate_of_child, and
// checks that the marker is the only change the processor made to them (in:
// the spans before the processor, in the same order).
func duplicatesOf(t *testing.T, in, out ptrace.Traces) []string {
	t.Helper()
	var ids []string
	eachSpanPair(in, out, func(_ pcommon.Resource, before, after ptrace.Span) {
		v, ok := after.Attributes().Get(enrich.KeyDuplicateOfChild)
		if !ok {
			return
		}
		assert.Equal(t, pcommon.ValueTypeBool, v.Type())
		assert.True(t, v.Bool())
		ids = append(ids, after.SpanID().String())
		want := pcommon.NewMap()
		before.Attributes().CopyTo(want)
		want.PutBool(enrich.KeyDuplicateOfChild, true)
		assert.Equal(t, want.AsRaw(), after.Attributes().AsRaw(), "span %s: only the marker is written on a nested duplicate", after.SpanID())
	})
	return ids
}

// TestNestedCalls: with deduplicate_nested_calls (the default) the nested
// duplicates are marked, not enriched, and counted in their own telemetry;
// without it every counted span is enriched and none is marked.
func TestNestedCalls(t *testing.T) {
	for _, dedup := range []bool{true, false} {
		name := "deduplicate_nested_calls=false"
		if dedup {
			name = "deduplicate_nested_calls=true"
		}
		t.Run(name, func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			cfg := createDefaultConfig().(*Config)
			cfg.DeduplicateNestedCalls = dedup
			p, sink := newTestProcessor(t, cfg, metadatatest.NewSettings(tel))
			in := readTraces(t, filepath.Join("testdata", "nested", "input.json"))
			td := ptrace.NewTraces()
			in.CopyTo(td)
			require.NoError(t, p.ConsumeTraces(context.Background(), td))
			require.Equal(t, 9, sink.SpanCount())
			out := sink.AllTraces()[0]

			if dedup {
				assert.Equal(t, nestedDuplicates, duplicatesOf(t, in, out))
				metadatatest.AssertEqualProcessorLlmSpansEnriched(t, tel, []metricdata.DataPoint[int64]{{Value: 5}}, metricdatatest.IgnoreTimestamp())
				metadatatest.AssertEqualProcessorLlmNestedCalls(t, tel, []metricdata.DataPoint[int64]{{Value: 4}}, metricdatatest.IgnoreTimestamp())
			} else {
				assert.Empty(t, duplicatesOf(t, in, out))
				metadatatest.AssertEqualProcessorLlmSpansEnriched(t, tel, []metricdata.DataPoint[int64]{{Value: 9}}, metricdatatest.IgnoreTimestamp())
				_, err := tel.GetMetric("otelcol_processor_llm_nested_calls")
				require.Error(t, err, "nothing was nested: the counter must not exist")
			}
		})
	}
}

// TestNestedCallsRedaction: redaction still covers every span, nested
// duplicates included, after the calls were read from the untouched spans.
func TestNestedCallsRedaction(t *testing.T) {
	in := readTraces(t, filepath.Join("testdata", "nested", "input.json"))
	for _, rs := range in.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				sp.Attributes().PutStr("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`)
			}
		}
	}
	cfg := createDefaultConfig().(*Config)
	cfg.RedactContent = true
	out := process(t, cfg, in)
	var marked []string
	for _, rs := range out.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				_, has := sp.Attributes().Get("gen_ai.input.messages")
				assert.False(t, has, "span %s keeps its content", sp.SpanID())
				if _, ok := sp.Attributes().Get(enrich.KeyDuplicateOfChild); ok {
					marked = append(marked, sp.SpanID().String())
				}
			}
		}
	}
	assert.Equal(t, nestedDuplicates, marked)
}

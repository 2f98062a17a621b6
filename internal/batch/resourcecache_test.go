// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package batch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// TestDimensionsPerResource: the spans of a batch read the dimensions their
// own resource holds (each resource is read once, genai.ResourceCache),
// with or without deduplication: a service per resource, the span's value
// before the resource's, the resource's next key when the first is absent,
// an integer as its string form, and a value without one refused on the
// calls of its resource only.
func TestDimensionsPerResource(t *testing.T) {
	opts := genai.Options{Dimensions: []genai.Dimension{
		{Keys: []string{"service.name"}},
		{Keys: []string{"tenant.id", "service.namespace"}},
	}}
	td := ptrace.NewTraces()
	resource := func(attrs map[string]any) ptrace.SpanSlice {
		rs := td.ResourceSpans().AppendEmpty()
		require.NoError(t, rs.Resource().Attributes().FromRaw(attrs))
		return rs.ScopeSpans().AppendEmpty().Spans()
	}
	a := resource(map[string]any{"service.name": "checkout", "service.namespace": "shop"})
	span(a, "a1", "gpt-4o", 1, 0)
	span(a, "a2", "gpt-4o", 2, 0)
	a.At(1).Attributes().PutStr("tenant.id", "acme")
	b := resource(map[string]any{"service.name": 7, "tenant.id": []any{"not", "a", "string"}})
	span(b, "b1", "gpt-4o", 3, 0)
	span(b, "b2", "gpt-4o", 4, 0)
	b.At(1).Attributes().PutStr("tenant.id", "globex")
	c := resource(map[string]any{"host.name": "h"})
	span(c, "c1", "gpt-4o", 5, 0)
	// A second scope of resource a's kind: another resource with the same
	// values is read on its own.
	d := resource(map[string]any{"service.name": "search"})
	span(d, "d1", "gpt-4o", 6, 0)

	type got struct {
		span       string
		dims       [2]string
		invalidDim bool
	}
	want := []got{
		{"a1", [2]string{"checkout", "shop"}, false},
		{"a2", [2]string{"checkout", "acme"}, false},
		{"b1", [2]string{"7", ""}, true},
		{"b2", [2]string{"7", "globex"}, false},
		{"c1", [2]string{"", ""}, false},
		{"d1", [2]string{"search", ""}, false},
	}
	for _, dedup := range []bool{false, true} {
		var calls []got
		NewExtractor(opts, dedup).Extract(td, func(call *genai.Call, sp ptrace.Span, _ bool) {
			calls = append(calls, got{sp.Name(), [2]string{call.Dimensions[0], call.Dimensions[1]}, call.Invalid&genai.InvalidDimension != 0})
		})
		assert.Equal(t, want, calls, "deduplicate %v", dedup)
	}
}

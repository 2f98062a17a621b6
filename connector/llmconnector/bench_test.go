// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconnector

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-llm/otelcol-llm/connector/llmconnector/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

// benchBatch is the span count of a batch, as the exporter's benchmark.
const benchBatch = 100

// BenchmarkConsumeTraces is the exporter's BenchmarkConsumeTraces/default
// through the connector: the same pipeline, so the same cost per span.
func BenchmarkConsumeTraces(b *testing.B) {
	c, err := newLLMConnector(createDefaultConfig().(*Config), connectortest.NewNopSettings(metadata.Type), consumertest.NewNop())
	require.NoError(b, err)
	td := spangen.Batch(benchBatch, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	td.MarkReadOnly()
	ctx := context.Background()
	require.NoError(b, c.ConsumeTraces(ctx, td))
	b.ReportAllocs()
	for b.Loop() {
		_ = c.ConsumeTraces(ctx, td)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/span")
}

// TestConsumeTracesNoAllocs: once the series exist, a batch allocates
// nothing.
func TestConsumeTracesNoAllocs(t *testing.T) {
	c, err := newLLMConnector(createDefaultConfig().(*Config), connectortest.NewNopSettings(metadata.Type), consumertest.NewNop())
	require.NoError(t, err)
	fixed := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return fixed }
	td := spangen.Batch(benchBatch, fixed)
	ctx := context.Background()
	require.NoError(t, c.ConsumeTraces(ctx, td))
	require.Zero(t, testing.AllocsPerRun(50, func() { _ = c.ConsumeTraces(ctx, td) }))

	// A large batch has invalid values (times to first chunk after the
	// end): reporting them allocates nothing either.
	big := spangen.Batch(10_000, fixed)
	require.NoError(t, c.ConsumeTraces(ctx, big))
	require.Zero(t, testing.AllocsPerRun(10, func() { _ = c.ConsumeTraces(ctx, big) }))
}

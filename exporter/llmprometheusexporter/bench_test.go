package llmprometheusexporter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

const benchBatch = 100

// BenchmarkConsumeTraces measures the exporter's hot path (extraction and
// metric updates) on a realistic 100-span batch, per span.
func BenchmarkConsumeTraces(b *testing.B) {
	b.Run("default", func(b *testing.B) { benchmarkConsumeTraces(b, createDefaultConfig().(*Config)) })
	b.Run("classic_histograms_only", func(b *testing.B) {
		cfg := createDefaultConfig().(*Config)
		cfg.NativeHistograms.Enabled = false
		benchmarkConsumeTraces(b, cfg)
	})
}

func benchmarkConsumeTraces(b *testing.B, cfg *Config) {
	e, err := newLLMExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(b, err)
	td := spangen.Batch(benchBatch, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	td.MarkReadOnly()
	ctx := context.Background()
	require.NoError(b, e.consumeTraces(ctx, td)) // create the series
	b.ReportAllocs()
	for b.Loop() {
		_ = e.consumeTraces(ctx, td)
	}
	perSpan := float64(b.N * benchBatch)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/perSpan, "ns/span")
}

// TestConsumeTracesNoAllocs pins the zero-allocation steady state: once the
// series exist and within one exemplar interval, a batch allocates nothing.
func TestConsumeTracesNoAllocs(t *testing.T) {
	e, err := newLLMExporter(createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	fixed := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return fixed }
	td := spangen.Batch(benchBatch, fixed)
	ctx := context.Background()
	require.NoError(t, e.consumeTraces(ctx, td))
	allocs := testing.AllocsPerRun(50, func() { _ = e.consumeTraces(ctx, td) })
	require.Zero(t, allocs)
}

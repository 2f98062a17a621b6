// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

const benchBatch = 100

// BenchmarkConsumeTraces measures the exporter's hot path (extraction and
// metric updates) on a realistic 100-span batch, per span.
func BenchmarkConsumeTraces(b *testing.B) {
	b.Run("default", func(b *testing.B) { benchmarkConsumeTraces(b, createDefaultConfig().(*Config)) })
	// Three dimensions: service (resource service.name), provider and
	// tenant (span attribute tenant.id, 8 tenants across the 5 models). The
	// target is ≤ 1.3× default's ns/span and 0 allocs/span.
	b.Run("dimensions", func(b *testing.B) {
		benchmarkConsumeTracesOn(b, dimensionsConfig(b, "service", "provider", "tenant"), tenantBenchBatch(benchBatch))
	})
	b.Run("classic_histograms_only", func(b *testing.B) {
		cfg := createDefaultConfig().(*Config)
		cfg.NativeHistograms.Enabled = false
		benchmarkConsumeTraces(b, cfg)
	})
	// The same batch through the single-pass path (no nested-call rule).
	b.Run("deduplicate_nested_calls_off", func(b *testing.B) {
		cfg := createDefaultConfig().(*Config)
		cfg.DeduplicateNestedCalls = false
		benchmarkConsumeTraces(b, cfg)
	})
	// Every span has a parent, a quarter are nested duplicates.
	b.Run("nested_pairs", func(b *testing.B) {
		benchmarkConsumeTracesOn(b, createDefaultConfig().(*Config), nestedBenchBatch(benchBatch))
	})
}

// dimensionsConfig is the default configuration with the dimension presets
// named, decoded as a configuration file would give them.
func dimensionsConfig(tb testing.TB, presets ...string) *Config {
	cfg := createDefaultConfig().(*Config)
	for _, name := range presets {
		var d llmconfig.Dimension
		require.NoError(tb, d.UnmarshalText([]byte(name)))
		cfg.Dimensions = append(cfg.Dimensions, d)
	}
	require.NoError(tb, cfg.Validate())
	return cfg
}

// tenantBenchBatch is the spangen batch whose span i carries tenant.id
// tenant-<i%8>.
func tenantBenchBatch(n int) ptrace.Traces {
	td := spangen.Batch(n, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		spans.At(i).Attributes().PutStr("tenant.id", fmt.Sprintf("tenant-%d", i%8))
	}
	return td
}

// BenchmarkDimensionsRatio alternates the default and dimensions cases of
// BenchmarkConsumeTraces batch by batch and times every call, so both see
// the same machine noise: ratio is dimensions' ns/span over default's (the
// target is ≤ 1.3). On Linux, cpu-ratio is the same ratio of the CPU time
// of the benchmark's thread (locked to it), which a core taken by another
// process does not inflate.
func BenchmarkDimensionsRatio(b *testing.B) {
	def := newBenchExporter(b, createDefaultConfig().(*Config))
	dim := newBenchExporter(b, dimensionsConfig(b, "service", "provider", "tenant"))
	tdDef := spangen.Batch(benchBatch, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	tdDim := tenantBenchBatch(benchBatch)
	tdDef.MarkReadOnly()
	tdDim.MarkReadOnly()
	ctx := context.Background()
	for range 3 { // create the series and publish them to the lock-free map
		require.NoError(b, def.consumeTraces(ctx, tdDef))
		require.NoError(b, dim.consumeTraces(ctx, tdDim))
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := threadCPU
	if cpu == nil {
		cpu = func() time.Duration { return 0 }
	}
	var tDef, tDim, cDef, cDim time.Duration
	b.ReportAllocs()
	// Each call is timed the same way: CPU time around wall time around it.
	timed := func(e *llmExporter, td ptrace.Traces, wall, cpuTime *time.Duration) {
		c0 := cpu()
		t0 := time.Now()
		_ = e.consumeTraces(ctx, td)
		t1 := time.Now()
		c1 := cpu()
		*wall += t1.Sub(t0)
		*cpuTime += c1 - c0
	}
	for b.Loop() {
		timed(def, tdDef, &tDef, &cDef)
		timed(dim, tdDim, &tDim, &cDim)
	}
	perSpan := float64(b.N * benchBatch)
	b.ReportMetric(float64(tDef.Nanoseconds())/perSpan, "default-ns/span")
	b.ReportMetric(float64(tDim.Nanoseconds())/perSpan, "dimensions-ns/span")
	b.ReportMetric(float64(tDim)/float64(tDef), "ratio")
	if cDef > 0 {
		b.ReportMetric(float64(cDim)/float64(cDef), "cpu-ratio")
	}
}

// threadCPU returns the CPU time of the calling thread, where the platform
// tells it (benchcpu_linux_test.go); nil elsewhere.
var threadCPU func() time.Duration

func newBenchExporter(tb testing.TB, cfg *Config) *llmExporter {
	e, err := newLLMExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(tb, err)
	return e
}

func benchmarkConsumeTraces(b *testing.B, cfg *Config) {
	benchmarkConsumeTracesOn(b, cfg, spangen.Batch(benchBatch, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)))
}

// nestedBenchBatch is the spangen batch with parents: span 4k+1 is the child
// of span 4k (same trace, same provider and model: span 4k is its nested
// duplicate), the other spans have a parent that is not in the batch (an
// agent span).
func nestedBenchBatch(n int) ptrace.Traces {
	td := spangen.Batch(n, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		sp := spans.At(i)
		switch i % 4 {
		case 1:
			parent := spans.At(i - 1)
			sp.SetTraceID(parent.TraceID())
			sp.SetParentSpanID(parent.SpanID())
			for _, k := range []string{"gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model"} {
				v, _ := parent.Attributes().Get(k)
				sp.Attributes().PutStr(k, v.Str())
			}
		default:
			sp.SetParentSpanID(pcommon.SpanID{0xa9, byte(i), 0x11})
		}
	}
	return td
}

func benchmarkConsumeTracesOn(b *testing.B, cfg *Config, td ptrace.Traces) {
	e, err := newLLMExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(b, err)
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
// series exist and within one exemplar interval, a batch allocates nothing,
// with dimensions too.
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

	// With nested duplicates to find and leave out.
	nested := nestedBenchBatch(benchBatch)
	require.NoError(t, e.consumeTraces(ctx, nested))
	allocs = testing.AllocsPerRun(50, func() { _ = e.consumeTraces(ctx, nested) })
	require.Zero(t, allocs)

	// With dimensions [service, provider, tenant], ~100 label sets.
	e, err = newLLMExporter(dimensionsConfig(t, "service", "provider", "tenant"), exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	e.now = func() time.Time { return fixed }
	td = tenantBenchBatch(benchBatch)
	for range 3 { // create the series and publish them to the lock-free map
		require.NoError(t, e.consumeTraces(ctx, td))
	}
	allocs = testing.AllocsPerRun(50, func() { _ = e.consumeTraces(ctx, td) })
	require.Zero(t, allocs)
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadatatest"
)

func TestCapabilitiesMutatesData(t *testing.T) {
	p, _ := newTestProcessor(t, createDefaultConfig().(*Config), processortest.NewNopSettings(metadata.Type))
	assert.True(t, p.Capabilities().MutatesData)
}

func TestOwnTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := createDefaultConfig().(*Config)
	cfg.RedactContent = true
	p, sink := newTestProcessor(t, cfg, metadatatest.NewSettings(tel))

	// testdata/redaction_on: 2 LLM calls and 2 other spans; 3+7+5+3 content
	// attributes on spans, 1 on a kept chunk event; 1+5 content events.
	td := readTraces(t, filepath.Join("testdata", "redaction_on", "input.json"))
	require.NoError(t, p.ConsumeTraces(context.Background(), td))
	require.Equal(t, 4, sink.SpanCount())

	metadatatest.AssertEqualProcessorLlmSpansEnriched(t, tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorLlmSpansSkipped(t, tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorLlmAttributesRedacted(t, tel, []metricdata.DataPoint[int64]{{Value: 19}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorLlmEventsRedacted(t, tel, []metricdata.DataPoint[int64]{{Value: 6}}, metricdatatest.IgnoreTimestamp())
}

func TestNoRedactionCountsWhenOff(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	p, _ := newTestProcessor(t, createDefaultConfig().(*Config), metadatatest.NewSettings(tel))
	require.NoError(t, p.ConsumeTraces(context.Background(), readTraces(t, filepath.Join("testdata", "redaction_off", "input.json"))))
	metadatatest.AssertEqualProcessorLlmSpansEnriched(t, tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
	_, err := tel.GetMetric("otelcol_processor_llm_attributes_redacted")
	require.Error(t, err, "nothing was redacted: the counter must not exist")
}

func TestEmptyTraces(t *testing.T) {
	p, sink := newTestProcessor(t, createDefaultConfig().(*Config), processortest.NewNopSettings(metadata.Type))
	require.NoError(t, p.ConsumeTraces(context.Background(), ptrace.NewTraces()))
	assert.Len(t, sink.AllTraces(), 1)
}

func TestShutdownWithoutStart(t *testing.T) {
	p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type),
		createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.Shutdown(context.Background()))
}

// TestConcurrentConsume runs batches through one processor from several
// goroutines (run with -race).
func TestConcurrentConsume(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.RedactContent = true
	p, sink := newTestProcessor(t, cfg, processortest.NewNopSettings(metadata.Type))
	const workers, batches = 4, 10
	errs := make(chan error, workers)
	for range workers {
		go func() {
			var err error
			for range batches {
				if err = p.ConsumeTraces(context.Background(), spangen.Batch(20, time.Unix(1785585600, 0))); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range workers {
		require.NoError(t, <-errs)
	}
	assert.Equal(t, workers*batches*20, sink.SpanCount())
}

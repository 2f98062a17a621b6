// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadata"
)

const benchSpans = 100

var benchStart = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

// legacyBatch is spangen's batch written the semconv ≤1.36 way: gen_ai.system,
// 1.26 token names, and a chunk event instead of the stream flag and TTFT.
func legacyBatch() ptrace.Traces {
	td := spangen.Batch(benchSpans, benchStart)
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		sp := spans.At(i)
		a := sp.Attributes()
		rename(a, "gen_ai.provider.name", "gen_ai.system")
		rename(a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
		rename(a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
		a.Remove("gen_ai.request.stream")
		if ttft, ok := a.Get("gen_ai.response.time_to_first_chunk"); ok {
			ev := sp.Events().AppendEmpty()
			ev.SetName("gen_ai.content.completion.chunk")
			ev.SetTimestamp(sp.StartTimestamp() + pcommon.Timestamp(ttft.Double()*1e9))
			a.Remove("gen_ai.response.time_to_first_chunk")
		}
	}
	return td
}

func rename(a pcommon.Map, from, to string) {
	if v, ok := a.Get(from); ok {
		v.CopyTo(a.PutEmpty(to))
		a.Remove(from)
	}
}

// contentBatch is spangen's batch with prompt and completion content on
// every span: the messages attributes and one per-message event each.
func contentBatch() ptrace.Traces {
	td := spangen.Batch(benchSpans, benchStart)
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		sp := spans.At(i)
		a := sp.Attributes()
		a.PutStr("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"Where is my order 1234?"}]}]`)
		a.PutStr("gen_ai.output.messages", `[{"role":"assistant","parts":[{"type":"text","content":"It ships tomorrow."}]}]`)
		ev := sp.Events().AppendEmpty()
		ev.SetName("gen_ai.user.message")
		ev.Attributes().PutStr("content", "Where is my order 1234?")
	}
	return td
}

// tenantBatch is spangen's batch with a tenant.id on every span (one of 20).
func tenantBatch() ptrace.Traces {
	td := spangen.Batch(benchSpans, benchStart)
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		spans.At(i).Attributes().PutStr("tenant.id", fmt.Sprintf("tenant-%02d", i%20))
	}
	return td
}

// dimensionsConfig is the default configuration with the service, provider
// and tenant dimensions.
func dimensionsConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	p := llmconfig.Presets()
	cfg.Dimensions = []llmconfig.Dimension{p["service"], p["provider"], p["tenant"]}
	return cfg
}

// BenchmarkProcessTraces: one 100-span batch through the processor (built by
// its factory, processorhelper included). Each iteration copies the batch
// first (the processor mutates it); copy_only measures that copy alone.
func BenchmarkProcessTraces(b *testing.B) {
	redact := createDefaultConfig().(*Config)
	redact.RedactContent = true
	cases := []struct {
		name  string
		batch ptrace.Traces
		cfg   *Config
	}{
		{"semconv_latest", spangen.Batch(benchSpans, benchStart), createDefaultConfig().(*Config)},
		{"semconv_1_36", legacyBatch(), createDefaultConfig().(*Config)},
		{"redact_content", contentBatch(), redact},
		// Three dimensions appended to every span (pdata allocates each
		// appended value), then the same batch once enriched: its spans
		// already hold the values, so writing them costs no allocation.
		{"dimensions", tenantBatch(), dimensionsConfig()},
		{"dimensions_present", process(b, dimensionsConfig(), tenantBatch()), dimensionsConfig()},
	}
	for _, c := range cases {
		b.Run(c.name+"/copy_only", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				td := ptrace.NewTraces()
				c.batch.CopyTo(td)
			}
		})
		b.Run(c.name, func(b *testing.B) {
			p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), c.cfg, consumertest.NewNop())
			require.NoError(b, err)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				td := ptrace.NewTraces()
				c.batch.CopyTo(td)
				if err := p.ConsumeTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

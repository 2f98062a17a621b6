// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconnector

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// badSpans are calls with values the pipeline refuses: counted as invalid
// with their cause, the rest of each call still counted, never a crash.
func badSpans() ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for i, attrs := range []map[string]any{
		{"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": -5},                      // input_tokens
		{"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.usage.output_tokens": math.NaN()},             // output_tokens
		{"gen_ai.operation.name": "chat", "gen_ai.request.model": map[string]any{"x": 1}},                                    // model
		{"gen_ai.operation.name": "chat", "gen_ai.request.model": strings.Repeat("m", 1000), "gen_ai.provider.name": "\xff"}, // cut
		{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": []any{"a"}},                                            // name
	} {
		sp := ss.AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{15: byte(i + 1)})
		sp.SetSpanID(pcommon.SpanID{7: byte(i + 1)})
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Second)))
		if err := sp.Attributes().FromRaw(attrs); err != nil {
			panic(err)
		}
	}
	return td
}

func TestBadInput(t *testing.T) {
	for _, profile := range profileNames() {
		t.Run(profile, func(t *testing.T) {
			sink := &consumertest.MetricsSink{}
			cfg := createDefaultConfig().(*Config)
			cfg.MetricNames = profile
			c, tel := newTestConnector(t, cfg, sink)
			ctx := context.Background()
			require.NotPanics(t, func() {
				require.NoError(t, c.ConsumeTraces(ctx, badSpans()))
				require.NoError(t, c.flush(ctx))
			})
			require.Len(t, sink.AllMetrics(), 1)
			assertTelemetrySum(t, tel, "otelcol_connector_llm_calls", 4)
			m, err := tel.GetMetric("otelcol_connector_llm_invalid_values")
			require.NoError(t, err)
			got := map[string]int64{}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				v, _ := dp.Attributes.Value(attribute.Key("cause"))
				got[v.AsString()] += dp.Value
			}
			want := map[string]int64{"input_tokens": 1, "output_tokens": 1, "model": 1, "name": 1}
			// The long model is cut (and, the provider repaired, by a
			// profile's own bounds too) wherever it is a label value.
			if profile == ProfileLLM {
				want["name_value"] = 0
			} else {
				want["name_value"] = 2
			}
			for cause, n := range want {
				assert.Equal(t, n, got[cause], cause)
			}
		})
	}
}

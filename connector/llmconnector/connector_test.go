// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconnector

import (
	"context"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-llm/otelcol-llm/connector/llmconnector/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// calls is a batch of three chat calls (two gpt-4o, one failed
// claude-sonnet-4) and a tool span.
func calls() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "chat-api")
	ss := rs.ScopeSpans().AppendEmpty().Spans()
	add := func(id byte, dur time.Duration, attrs map[string]any) ptrace.Span {
		sp := ss.AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{15: id})
		sp.SetSpanID(pcommon.SpanID{7: id})
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(dur)))
		if err := sp.Attributes().FromRaw(attrs); err != nil {
			panic(err)
		}
		return sp
	}
	chat := func(model string, in, out int) map[string]any {
		return map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": model,
			"gen_ai.usage.input_tokens": in, "gen_ai.usage.output_tokens": out, "gen_ai.response.finish_reasons": []any{"stop"},
		}
	}
	add(1, 700*time.Millisecond, chat("gpt-4o", 100, 20))
	add(2, 1500*time.Millisecond, chat("gpt-4o", 300, 40))
	add(3, 3*time.Second, chat("claude-sonnet-4", 50, 0)).Status().SetCode(ptrace.StatusCodeError)
	add(4, 100*time.Millisecond, map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"})
	return td
}

func newTestConnector(t *testing.T, cfg *Config, next consumer.Metrics) (*llmConnector, *componenttest.Telemetry) {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := connectortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Resource.Attributes().PutStr("service.name", "otelcol-llm")
	set.Resource.Attributes().PutStr("service.instance.id", "replica-1")
	c, err := newLLMConnector(cfg, set, next)
	require.NoError(t, err)
	return c, tel
}

// points flattens the sum and histogram points of md:
// "name{k=v,...}" → value (sums), or _count / _sum (histograms).
func points(md pmetric.Metrics) map[string]float64 {
	out := map[string]float64{}
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		sms := rms.At(i).ScopeMetrics()
		for j := range sms.Len() {
			ms := sms.At(j).Metrics()
			for k := range ms.Len() {
				m := ms.At(k)
				lbl := func(a pcommon.Map) string {
					var ls []string
					for k, v := range a.All() {
						ls = append(ls, k+"="+v.AsString())
					}
					sort.Strings(ls)
					return "{" + strings.Join(ls, ",") + "}"
				}
				switch m.Type() {
				case pmetric.MetricTypeSum:
					for _, p := range m.Sum().DataPoints().All() {
						out[m.Name()+lbl(p.Attributes())] = p.DoubleValue() + float64(p.IntValue())
					}
				case pmetric.MetricTypeHistogram:
					for _, p := range m.Histogram().DataPoints().All() {
						out[m.Name()+"_count"+lbl(p.Attributes())] = float64(p.Count())
						out[m.Name()+"_sum"+lbl(p.Attributes())] = p.Sum()
					}
				case pmetric.MetricTypeExponentialHistogram:
					for _, p := range m.ExponentialHistogram().DataPoints().All() {
						out[m.Name()+"_count"+lbl(p.Attributes())] = float64(p.Count())
						out[m.Name()+"_sum"+lbl(p.Attributes())] = p.Sum()
					}
				}
			}
		}
	}
	return out
}

func TestFlushCumulative(t *testing.T) {
	sink := &consumertest.MetricsSink{}
	cfg := createDefaultConfig().(*Config)
	c, tel := newTestConnector(t, cfg, sink)
	ctx := context.Background()
	// The first gpt-4o call reads 40 of its 100 input tokens from the
	// prompt cache and writes 60 to it.
	withCache := func() ptrace.Traces {
		td := calls()
		attrs := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
		attrs.PutInt("gen_ai.usage.cache_read.input_tokens", 40)
		attrs.PutInt("gen_ai.usage.cache_creation.input_tokens", 60)
		return td
	}
	require.NoError(t, c.ConsumeTraces(ctx, withCache()))
	require.NoError(t, c.flush(ctx))
	require.NoError(t, c.ConsumeTraces(ctx, withCache()))
	require.NoError(t, c.flush(ctx))
	require.Len(t, sink.AllMetrics(), 2)

	md := sink.AllMetrics()[1]
	res := md.ResourceMetrics().At(0).Resource().Attributes().AsRaw()
	assert.Equal(t, map[string]any{"service.name": "otelcol-llm", "service.instance.id": "replica-1"}, res)
	got := points(md)
	for k, v := range map[string]float64{
		"llm_requests{model=gpt-4o,status=success,template=none}":               4,
		"llm_requests{model=gpt-4o,status=error,template=none}":                 0,
		"llm_requests{model=claude-sonnet-4,status=error,template=none}":        2,
		"llm_prompt_tokens{model=gpt-4o,template=none}":                         800,
		"llm_cached_prompt_tokens{model=gpt-4o,template=none}":                  80,
		"llm_cache_creation_prompt_tokens{model=gpt-4o,template=none}":          120,
		"llm_cache_creation_prompt_tokens{model=claude-sonnet-4,template=none}": 0,
		"llm_errors{model=claude-sonnet-4,reason=other}":                        2,
		"llm_finish_reasons{finish_reason=stop,model=gpt-4o}":                   4,
		"llm_request_duration_count{model=gpt-4o,template=none}":                4,
		"llm_request_duration_sum{model=gpt-4o,template=none}":                  4.4,
		"llm_tool_calls{status=success,tool=search}":                            2,
		"llm_tool_duration_count{tool=search}":                                  2,
	} {
		assert.Contains(t, got, k)
		assert.InDelta(t, v, got[k], 1e-9, k)
	}
	// Cumulative: every point starts when its series was created.
	m := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	writes := 0
	for i := range m.Len() {
		if w := m.At(i); w.Name() == "llm_cache_creation_prompt_tokens" {
			writes++
			assert.Equal(t, "Input tokens written to the provider's prompt cache (cache creation; part of the prompt tokens).", w.Description())
			assert.Equal(t, pmetric.MetricTypeSum, w.Type())
			assert.True(t, w.Sum().IsMonotonic())
		}
	}
	assert.Equal(t, 1, writes)
	for i := range m.Len() {
		if m.At(i).Type() == pmetric.MetricTypeSum {
			assert.Equal(t, pmetric.AggregationTemporalityCumulative, m.At(i).Sum().AggregationTemporality(), m.At(i).Name())
			for _, p := range m.At(i).Sum().DataPoints().All() {
				assert.NotZero(t, p.StartTimestamp(), m.At(i).Name())
				assert.Less(t, p.StartTimestamp(), p.Timestamp(), m.At(i).Name())
			}
		}
	}
	assertTelemetrySum(t, tel, "otelcol_connector_llm_calls", 6)
	assertTelemetrySum(t, tel, "otelcol_connector_llm_flushes", 2)
}

func TestFlushDelta(t *testing.T) {
	sink := &consumertest.MetricsSink{}
	cfg := createDefaultConfig().(*Config)
	cfg.Temporality = TemporalityDelta
	c, _ := newTestConnector(t, cfg, sink)
	ctx := context.Background()
	require.NoError(t, c.ConsumeTraces(ctx, calls()))
	require.NoError(t, c.flush(ctx))
	require.NoError(t, c.flush(ctx)) // nothing new: zero changes
	require.NoError(t, c.ConsumeTraces(ctx, calls()))
	require.NoError(t, c.flush(ctx))
	require.Len(t, sink.AllMetrics(), 3)
	for i, want := range []float64{2, 0, 2} {
		got := points(sink.AllMetrics()[i])
		assert.InDelta(t, want, got["llm_requests{model=gpt-4o,status=success,template=none}"], 0, "flush %d", i)
	}
}

// A refused flush is counted; cumulative values go again at the next one.
func TestFlushRefused(t *testing.T) {
	sink := &consumertest.MetricsSink{}
	refuse := true
	next, err := consumer.NewMetrics(func(ctx context.Context, md pmetric.Metrics) error {
		if refuse {
			return errors.New("backend down")
		}
		return sink.ConsumeMetrics(ctx, md)
	})
	require.NoError(t, err)
	c, tel := newTestConnector(t, createDefaultConfig().(*Config), next)
	ctx := context.Background()
	require.NoError(t, c.ConsumeTraces(ctx, calls()))
	require.Error(t, c.flush(ctx))
	refuse = false
	require.NoError(t, c.flush(ctx))
	require.Len(t, sink.AllMetrics(), 1)
	assert.InDelta(t, 2, points(sink.AllMetrics()[0])["llm_requests{model=gpt-4o,status=success,template=none}"], 0)
	assertTelemetrySum(t, tel, "otelcol_connector_llm_flushes", 2)
}

// The loop flushes every flush_interval; Shutdown sends the last values
// and stops it; a second Shutdown does nothing.
func TestLifecycle(t *testing.T) {
	sink := &consumertest.MetricsSink{}
	cfg := createDefaultConfig().(*Config)
	cfg.FlushInterval = 100 * time.Millisecond
	set := connectortest.NewNopSettings(metadata.Type)
	conn, err := NewFactory().CreateTracesToMetrics(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, conn.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, conn.ConsumeTraces(ctx, calls()))
	deadline := time.Now().Add(10 * time.Second)
	for len(sink.AllMetrics()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.NotEmpty(t, sink.AllMetrics(), "a flush within 10 s")
	require.NoError(t, conn.ConsumeTraces(ctx, calls()))
	require.NoError(t, conn.Shutdown(ctx))
	last := sink.AllMetrics()[len(sink.AllMetrics())-1]
	assert.InDelta(t, 4, points(last)["llm_requests{model=gpt-4o,status=success,template=none}"], 0, "the last values at shutdown")
	n := len(sink.AllMetrics())
	require.NoError(t, conn.Shutdown(ctx))
	assert.Len(t, sink.AllMetrics(), n)
}

func TestShutdownBeforeStart(t *testing.T) {
	sink := &consumertest.MetricsSink{}
	c, _ := newTestConnector(t, createDefaultConfig().(*Config), sink)
	require.NoError(t, c.Shutdown(context.Background()))
	require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
	assert.Empty(t, sink.AllMetrics())
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	load := func(name string) *Config {
		sub, subErr := cm.Sub(component.MustNewIDWithName("llm", name).String())
		require.NoError(t, subErr)
		cfg := createDefaultConfig().(*Config)
		require.NoError(t, sub.Unmarshal(cfg))
		return cfg
	}
	assert.Equal(t, createDefaultConfig(), load(""))
	require.NoError(t, confmap.Validate(load("")))

	full := load("full")
	want := createDefaultConfig().(*Config)
	want.Temporality, want.Histograms, want.FlushInterval = TemporalityDelta, HistogramsExponential, 30*time.Second
	want.Namespace = "genai"
	want.Labels.Model.MaxValues = 20
	for _, p := range []string{"service", "provider"} {
		var d llmconfig.Dimension
		require.NoError(t, d.UnmarshalText([]byte(p)))
		want.Dimensions = append(want.Dimensions, d)
	}
	assert.Equal(t, want, full)
	require.NoError(t, confmap.Validate(full))

	err = confmap.Validate(load("bad"))
	require.Error(t, err)
	for _, msg := range []string{
		`metric_names: "semconv_v0_1" is not a known profile`,
		`temporality: "weekly" must be cumulative or delta`,
		`histograms: "fancy" must be explicit or exponential`,
		`flush_interval: 1ms must be at least 100ms`,
	} {
		assert.Contains(t, err.Error(), msg)
	}
}

func assertTelemetrySum(t *testing.T, tel *componenttest.Telemetry, name string, want int64) {
	t.Helper()
	m, err := tel.GetMetric(name)
	require.NoError(t, err, name)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is %T", name, m.Data)
	var total int64
	for _, dp := range sum.DataPoints {
		total += dp.Value
	}
	assert.Equal(t, want, total, name)
}

// The traces and logs sides of one configuration are one connector: an
// evaluation sent as a log record and the calls sent as spans leave in the
// same flush, once; Shutdown of both sides flushes once.
func TestTracesAndLogsShareOneConnector(t *testing.T) {
	sink := &consumertest.MetricsSink{}
	cfg := createDefaultConfig().(*Config)
	cfg.FlushInterval = time.Hour
	set := connectortest.NewNopSettings(metadata.Type)
	f := NewFactory()
	ctx := context.Background()
	tr, err := f.CreateTracesToMetrics(ctx, set, cfg, sink)
	require.NoError(t, err)
	lg, err := f.CreateLogsToMetrics(ctx, set, cfg, sink)
	require.NoError(t, err)
	require.Same(t, tr.(*llmConnector), lg.(*llmConnector))
	require.NoError(t, tr.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, lg.Start(ctx, componenttest.NewNopHost()))

	require.NoError(t, tr.ConsumeTraces(ctx, calls()))
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("gen_ai.evaluation.result")
	require.NoError(t, lr.Attributes().FromRaw(map[string]any{"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.75}))
	require.NoError(t, lg.ConsumeLogs(ctx, ld))

	require.NoError(t, tr.Shutdown(ctx))
	require.NoError(t, lg.Shutdown(ctx))
	require.Len(t, sink.AllMetrics(), 1, "one flush, at the first Shutdown")
	got := points(sink.AllMetrics()[0])
	assert.InDelta(t, 2, got["llm_requests{model=gpt-4o,status=success,template=none}"], 0)
	assert.InDelta(t, 1, got["llm_evaluation_score_count{evaluation=relevance}"], 0)
	assert.InDelta(t, 0.75, got["llm_evaluation_score_sum{evaluation=relevance}"], 0)

	// Shut down, the configuration makes a new connector.
	again, err := f.CreateTracesToMetrics(ctx, set, cfg, sink)
	require.NoError(t, err)
	assert.NotSame(t, tr.(*llmConnector), again.(*llmConnector))
	require.NoError(t, again.Shutdown(ctx))
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package otlpmetrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// llmGather returns the families of a client_golang registry shaped as the
// llm_prometheus recorder's Gather at its largest default caps (the
// recorder is internal to the exporter): 100 models × 6 templates (the 500
// label sets of the cap and a (model, other) per model), the families and
// series counts of a full recorder (BenchmarkScrape's filledExporter):
// 6,900 series, 26,700 samples with the histogram buckets. Token counters
// and requests carry exemplars, as the recorder's do; each histogram
// series has 10 observations, the duration ones with exemplars. With
// native, histograms also have native buckets (the exporter's
// native_histograms defaults: factor 1.1, at most 160 buckets).
func llmGather(tb testing.TB, native bool) []*dto.MetricFamily {
	tb.Helper()
	reg := prometheus.NewRegistry()
	counter := func(name string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: name + " help."}, labels)
		reg.MustRegister(c)
		return c
	}
	histogram := func(name string, bounds []float64) *prometheus.HistogramVec {
		o := prometheus.HistogramOpts{Name: name, Help: name + " help.", Buckets: bounds}
		if native {
			o.NativeHistogramBucketFactor, o.NativeHistogramMaxBucketNumber = 1.1, 160
		}
		h := prometheus.NewHistogramVec(o, []string{"model", "template"})
		reg.MustRegister(h)
		return h
	}
	var (
		requests = counter("llm_requests_total", "model", "template", "status")
		perPair  = []*prometheus.CounterVec{ // the first two with exemplars
			counter("llm_prompt_tokens_total", "model", "template"),
			counter("llm_completion_tokens_total", "model", "template"),
			counter("llm_cached_prompt_tokens_total", "model", "template"),
			counter("llm_cache_creation_prompt_tokens_total", "model", "template"),
			counter("llm_reasoning_tokens_total", "model", "template"),
			counter("llm_cost_usd_total", "model", "template"),
		}
		errs     = counter("llm_errors_total", "model", "reason")
		finish   = counter("llm_finish_reasons_total", "model", "finish_reason")
		unpriced = counter("llm_unpriced_requests_total", "model")
		duration = histogram("llm_request_duration_seconds", []float64{0.5, 1, 2, 5, 10, 20, 30, 60})
		ttft     = histogram("llm_time_to_first_token_seconds", []float64{0.1, 0.25, 0.5, 1, 2, 5})
		tpot     = histogram("llm_time_per_output_token_seconds", []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5})
		rng      = rand.New(rand.NewPCG(3, 4))
		ex       = func() prometheus.Labels {
			return prometheus.Labels{"trace_id": fmt.Sprintf("%032x", rng.Uint64()), "span_id": fmt.Sprintf("%016x", rng.Uint64())}
		}
	)
	for m := range 100 {
		model := fmt.Sprintf("model-%03d", m)
		errs.WithLabelValues(model, "rate_limit").Inc()
		finish.WithLabelValues(model, "stop").Inc()
		unpriced.WithLabelValues(model).Inc()
		for tp := range 6 {
			template := fmt.Sprintf("template-%02d", tp)
			if tp == 5 {
				template = "other"
			}
			requests.WithLabelValues(model, template, "success").(prometheus.ExemplarAdder).AddWithExemplar(9, ex())
			requests.WithLabelValues(model, template, "error").Inc()
			for i, c := range perPair {
				if i < 2 {
					c.WithLabelValues(model, template).(prometheus.ExemplarAdder).AddWithExemplar(float64(100+rng.IntN(1000)), ex())
				} else {
					c.WithLabelValues(model, template).Add(float64(rng.IntN(100)))
				}
			}
			for range 10 {
				duration.WithLabelValues(model, template).(prometheus.ExemplarObserver).ObserveWithExemplar(math.Exp(rng.NormFloat64()), ex())
				ttft.WithLabelValues(model, template).Observe(math.Exp(rng.NormFloat64() - 1))
				tpot.WithLabelValues(model, template).Observe(math.Exp(rng.NormFloat64() - 3))
			}
		}
	}
	fams, err := reg.Gather()
	require.NoError(tb, err)
	series, samples := 0, 0
	for _, f := range fams {
		series += len(f.Metric)
		for _, m := range f.Metric {
			samples++
			if h := m.Histogram; h != nil {
				samples += len(h.Bucket) + 2 // and +Inf, _sum, _count
			}
		}
	}
	require.Equal(tb, 6900, series)
	require.Equal(tb, 26700, samples)
	return fams
}

// BenchmarkAppendCumulative converts a full recorder's Gather (llmGather):
// classic histograms as explicit, native ones as exponential. Target:
// well under 50 ms per conversion (issue 14: 26,000 series flushed to OTLP
// in at most 50 ms).
func BenchmarkAppendCumulative(b *testing.B) {
	for _, native := range []bool{false, true} {
		b.Run(map[bool]string{false: "classic", true: "native"}[native], func(b *testing.B) {
			fams := llmGather(b, native)
			opts := Options{Exponential: native}
			b.ReportAllocs()
			for b.Loop() {
				ms := pmetric.NewMetricSlice()
				AppendCumulative(ms, fams, t1, opts)
				if ms.Len() != len(fams) {
					b.Fatalf("%d metrics", ms.Len())
				}
			}
		})
	}
}

// BenchmarkDeltaAppend is BenchmarkAppendCumulative through a Delta in
// steady state: every stream known, every one diffed.
func BenchmarkDeltaAppend(b *testing.B) {
	for _, native := range []bool{false, true} {
		b.Run(map[bool]string{false: "classic", true: "native"}[native], func(b *testing.B) {
			fams := llmGather(b, native)
			opts := Options{Exponential: native}
			d := NewDelta()
			d.Append(pmetric.NewMetricSlice(), fams, t1, opts)
			now := t1
			b.ReportAllocs()
			for b.Loop() {
				now += second
				ms := pmetric.NewMetricSlice()
				d.Append(ms, fams, now, opts)
				if ms.Len() != len(fams) {
					b.Fatalf("%d metrics", ms.Len())
				}
			}
		})
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package recorder

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/otelcol-llm/otelcol-llm/internal/cost"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

func testSettings() Settings {
	return Settings{
		Namespace:           "llm",
		DurationBuckets:     []float64{0.5, 1, 2, 5, 10, 20, 30, 60},
		TTFTBuckets:         []float64{0.1, 0.25, 0.5, 1, 2, 5},
		TPOTBuckets:         []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5},
		NativeHistograms:    true,
		NativeBucketFactor:  1.1,
		NativeMaxBuckets:    160,
		Exemplars:           true,
		MaxLabelValueLength: 64,
		MaxModels:           100,
		MaxTemplates:        50,
	}
}

func newTestRecorder(tb testing.TB, set Settings) (*Recorder, prometheus.Gatherer) {
	tb.Helper()
	r, err := New(set)
	require.NoError(tb, err)
	return r, r
}

// value reads one counter series; labels are name, value pairs.
func value(t *testing.T, g prometheus.Gatherer, metric string, labels ...string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	m := findMetric(t, mfs, metric, want)
	require.Len(t, m.GetLabel(), len(want), "all labels of %s given", metric)
	return m.GetCounter().GetValue()
}

var (
	traceA = pcommon.TraceID([16]byte{0x5b, 0x8e, 0xfc, 0xf1, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5})
	spanA  = pcommon.SpanID([8]byte{0xeb, 0x7a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06})
)

func chat(model, tmpl string, dur float64, in, out int64) genai.Call {
	return genai.Call{
		RequestModel: model, Template: tmpl,
		Duration: dur, HasDuration: true,
		InputTokens: in, HasInputTokens: true,
		OutputTokens: out, HasOutputTokens: true,
	}
}

func TestRecordExposition(t *testing.T) {
	r, reg := newTestRecorder(t, testSettings())

	ok1 := chat("gpt-4o", "support", 1.5, 100, 20)
	ok2 := chat("gpt-4o", "support", 7, 200, 30)
	streamed := chat("gpt-4o", "support", 3, 50, 10)
	streamed.Streamed, streamed.TTFT, streamed.HasTTFT = true, 0.3, true
	failed := genai.Call{RequestModel: "gpt-4o", Template: "support", Status: genai.StatusError, Reason: genai.ReasonRateLimit, Duration: 0.2, HasDuration: true}
	// No model, no template, failed with no reason: counted under unknown/none/other.
	anon := genai.Call{Status: genai.StatusError, Duration: 45, HasDuration: true, InputTokens: 5, HasInputTokens: true}
	// A TTFT on a non-streamed call is never observed.
	notStreamed := chat("claude-sonnet-4-5", "none", 0.7, 10, 1)
	notStreamed.TTFT, notStreamed.HasTTFT = 0.1, true
	// A streamed call whose TTFT is absent is not observed in the TTFT histogram.
	noTTFT := chat("claude-sonnet-4-5", "", 0.9, 10, 2)
	noTTFT.Streamed = true

	for _, c := range []genai.Call{ok1, ok2, streamed, failed, anon, notStreamed, noTTFT} {
		assert.Equal(t, Overflow{}, r.Record(&c, 0))
	}

	expected := `
# HELP llm_requests_total LLM calls by model, prompt template and status (success or error).
# TYPE llm_requests_total counter
llm_requests_total{model="claude-sonnet-4-5",status="error",template="none"} 0
llm_requests_total{model="claude-sonnet-4-5",status="success",template="none"} 2
llm_requests_total{model="gpt-4o",status="error",template="support"} 1
llm_requests_total{model="gpt-4o",status="success",template="support"} 3
llm_requests_total{model="unknown",status="error",template="none"} 1
llm_requests_total{model="unknown",status="success",template="none"} 0
# HELP llm_prompt_tokens_total Input (prompt) tokens reported by LLM calls, failed calls included.
# TYPE llm_prompt_tokens_total counter
llm_prompt_tokens_total{model="claude-sonnet-4-5",template="none"} 20
llm_prompt_tokens_total{model="gpt-4o",template="support"} 350
llm_prompt_tokens_total{model="unknown",template="none"} 5
# HELP llm_completion_tokens_total Output (completion) tokens reported by LLM calls, failed calls included.
# TYPE llm_completion_tokens_total counter
llm_completion_tokens_total{model="claude-sonnet-4-5",template="none"} 3
llm_completion_tokens_total{model="gpt-4o",template="support"} 60
llm_completion_tokens_total{model="unknown",template="none"} 0
# HELP llm_errors_total Failed LLM calls by model and bounded error reason.
# TYPE llm_errors_total counter
llm_errors_total{model="gpt-4o",reason="rate_limit"} 1
llm_errors_total{model="unknown",reason="other"} 1
# HELP llm_request_duration_seconds End-to-end duration of LLM calls in seconds, failed calls included.
# TYPE llm_request_duration_seconds histogram
llm_request_duration_seconds_bucket{model="claude-sonnet-4-5",template="none",le="0.5"} 0
llm_request_duration_seconds_bucket{model="claude-sonnet-4-5",template="none",le="1"} 2
llm_request_duration_seconds_bucket{model="claude-sonnet-4-5",template="none",le="2"} 2
llm_request_duration_seconds_bucket{model="claude-sonnet-4-5",template="none",le="5"} 2
llm_request_duration_seconds_bucket{model="claude-sonnet-4-5",template="none",le="10"} 2
llm_request_duration_seconds_bucket{model="claude-sonnet-4-5",template="none",le="20"} 2
llm_request_duration_seconds_bucket{model="claude-sonnet-4-5",template="none",le="30"} 2
llm_request_duration_seconds_bucket{model="claude-sonnet-4-5",template="none",le="60"} 2
llm_request_duration_seconds_bucket{model="claude-sonnet-4-5",template="none",le="+Inf"} 2
llm_request_duration_seconds_sum{model="claude-sonnet-4-5",template="none"} 1.6
llm_request_duration_seconds_count{model="claude-sonnet-4-5",template="none"} 2
llm_request_duration_seconds_bucket{model="gpt-4o",template="support",le="0.5"} 1
llm_request_duration_seconds_bucket{model="gpt-4o",template="support",le="1"} 1
llm_request_duration_seconds_bucket{model="gpt-4o",template="support",le="2"} 2
llm_request_duration_seconds_bucket{model="gpt-4o",template="support",le="5"} 3
llm_request_duration_seconds_bucket{model="gpt-4o",template="support",le="10"} 4
llm_request_duration_seconds_bucket{model="gpt-4o",template="support",le="20"} 4
llm_request_duration_seconds_bucket{model="gpt-4o",template="support",le="30"} 4
llm_request_duration_seconds_bucket{model="gpt-4o",template="support",le="60"} 4
llm_request_duration_seconds_bucket{model="gpt-4o",template="support",le="+Inf"} 4
llm_request_duration_seconds_sum{model="gpt-4o",template="support"} 11.7
llm_request_duration_seconds_count{model="gpt-4o",template="support"} 4
llm_request_duration_seconds_bucket{model="unknown",template="none",le="0.5"} 0
llm_request_duration_seconds_bucket{model="unknown",template="none",le="1"} 0
llm_request_duration_seconds_bucket{model="unknown",template="none",le="2"} 0
llm_request_duration_seconds_bucket{model="unknown",template="none",le="5"} 0
llm_request_duration_seconds_bucket{model="unknown",template="none",le="10"} 0
llm_request_duration_seconds_bucket{model="unknown",template="none",le="20"} 0
llm_request_duration_seconds_bucket{model="unknown",template="none",le="30"} 0
llm_request_duration_seconds_bucket{model="unknown",template="none",le="60"} 1
llm_request_duration_seconds_bucket{model="unknown",template="none",le="+Inf"} 1
llm_request_duration_seconds_sum{model="unknown",template="none"} 45
llm_request_duration_seconds_count{model="unknown",template="none"} 1
# HELP llm_time_to_first_token_seconds Time from the start of a streamed LLM call to its first output chunk, in seconds.
# TYPE llm_time_to_first_token_seconds histogram
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="0.1"} 0
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="0.25"} 0
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="0.5"} 1
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="1"} 1
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="2"} 1
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="5"} 1
llm_time_to_first_token_seconds_bucket{model="gpt-4o",template="support",le="+Inf"} 1
llm_time_to_first_token_seconds_sum{model="gpt-4o",template="support"} 0.3
llm_time_to_first_token_seconds_count{model="gpt-4o",template="support"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"llm_requests_total", "llm_prompt_tokens_total", "llm_completion_tokens_total", "llm_errors_total",
		"llm_request_duration_seconds", "llm_time_to_first_token_seconds"))
}

// pricedRecorder is a recorder (testSettings, then set) pricing from a price
// file holding models; the file's path is returned to rewrite it.
func pricedRecorder(t *testing.T, models string, set func(*Settings)) (*Recorder, *pricing.Pricer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prices.yaml")
	require.NoError(t, os.WriteFile(path, []byte(models), 0o600))
	pricer, err := pricing.NewPricer(pricing.Settings{File: path}, zap.NewNop())
	require.NoError(t, err)
	s := testSettings()
	s.Pricer = pricer
	if set != nil {
		set(&s)
	}
	r, _ := newTestRecorder(t, s)
	return r, pricer, path
}

func TestRecordCostTokensAndTPOT(t *testing.T) {
	r, pricer, path := pricedRecorder(t, "models:\n  - {model: gpt-4o, provider: openai, input: 2.5, output: 10, cached_input: 1.25}\n", nil)
	reg := r

	// Priced from the table: 1000 input of which 400 cached, 200 output of which 50 reasoning.
	priced := chat("gpt-4o-2024-08-06", "support", 2.5, 1000, 200)
	priced.Provider = "openai"
	priced.CachedInputTokens, priced.HasCachedInput = 400, true
	priced.ReasoningTokens, priced.HasReasoning = 50, true
	// Streamed: TPOT = (2.5 - 0.5) / (200 - 1).
	priced.Streamed, priced.TTFT, priced.HasTTFT = true, 0.5, true
	// The cost on the span wins over the table.
	carried := chat("gpt-4o", "support", 1, 100, 10)
	carried.Provider = "openai"
	carried.Cost, carried.HasCost = 0.25, true
	// No price, no cost: unpriced, and nothing added to the cost.
	unpriced := chat("my-finetune", "support", 1, 100, 10)
	unpriced.Provider = "openai"
	// The same model under another provider has no row either.
	otherProvider := chat("gpt-4o", "support", 1, 100, 10)
	otherProvider.Provider = "azure.ai.openai"
	// Streamed with one output token: no TPOT.
	single := chat("my-finetune", "support", 1, 10, 1)
	single.Streamed, single.TTFT, single.HasTTFT = true, 0.2, true

	for _, c := range []genai.Call{priced, carried, unpriced, otherProvider, single} {
		r.Record(&c, 0)
	}
	tableCost := (600*2.5 + 400*1.25 + 200*10) / 1e6 // 0.004 USD
	expected := `
# HELP llm_unpriced_requests_total LLM calls that carried no cost and whose model has no price in the table (their cost is not in cost_usd_total).
# TYPE llm_unpriced_requests_total counter
llm_unpriced_requests_total{model="gpt-4o"} 1
llm_unpriced_requests_total{model="my-finetune"} 2
# HELP llm_cached_prompt_tokens_total Input tokens read from the provider's prompt cache (part of the prompt tokens).
# TYPE llm_cached_prompt_tokens_total counter
llm_cached_prompt_tokens_total{model="gpt-4o",template="support"} 0
llm_cached_prompt_tokens_total{model="gpt-4o-2024-08-06",template="support"} 400
llm_cached_prompt_tokens_total{model="my-finetune",template="support"} 0
# HELP llm_reasoning_tokens_total Reasoning output tokens (part of the completion tokens).
# TYPE llm_reasoning_tokens_total counter
llm_reasoning_tokens_total{model="gpt-4o",template="support"} 0
llm_reasoning_tokens_total{model="gpt-4o-2024-08-06",template="support"} 50
llm_reasoning_tokens_total{model="my-finetune",template="support"} 0
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"llm_unpriced_requests_total", "llm_cached_prompt_tokens_total", "llm_reasoning_tokens_total"))

	mfs, err := reg.Gather()
	require.NoError(t, err)
	costOf := func(mfs []*dto.MetricFamily, model string) float64 {
		return findMetric(t, mfs, "llm_cost_usd_total", map[string]string{"model": model}).GetCounter().GetValue()
	}
	assert.InDelta(t, tableCost, costOf(mfs, "gpt-4o-2024-08-06"), 1e-15)
	assert.InDelta(t, 0.25, costOf(mfs, "gpt-4o"), 1e-15)
	assert.Zero(t, costOf(mfs, "my-finetune"))
	h := findMetric(t, mfs, "llm_time_per_output_token_seconds", nil).GetHistogram()
	assert.Equal(t, uint64(1), h.GetSampleCount())
	assert.InDelta(t, 2.0/199, h.GetSampleSum(), 1e-12)

	// A new price file takes effect for the next call.
	require.NoError(t, os.WriteFile(path, []byte("models:\n  - {model: gpt-4o, provider: openai, input: 5, output: 20}\n"), 0o600))
	require.True(t, pricer.Reload())
	again := chat("gpt-4o-2024-08-06", "support", 1, 1000, 0)
	again.Provider = "openai"
	r.Record(&again, 0)
	mfs, err = reg.Gather()
	require.NoError(t, err)
	assert.InDelta(t, tableCost+1000*5/1e6, costOf(mfs, "gpt-4o-2024-08-06"), 1e-15)
}

// cost_reported_usd_total is the part of cost_usd_total the spans carried:
// a pair with only table-priced calls has no series of it, a pair with only
// carried costs has the same value in both, a mixed pair has the carried part,
// a carried cost of 0 is reported (a series at 0), and a folded model reports
// under "other" as cost_usd_total does.
func TestRecordCostReported(t *testing.T) {
	r, _, _ := pricedRecorder(t, "models:\n  - {model: gpt-4o, provider: openai, input: 2, output: 8}\n",
		func(s *Settings) { s.MaxModels = 3 })
	spanCost := func(model, tmpl string, usd float64) genai.Call {
		c := chat(model, tmpl, 1, 1000, 500)
		c.Provider, c.Cost, c.HasCost = "openai", usd, true
		return c
	}
	table := func(model, tmpl string) genai.Call {
		c := chat(model, tmpl, 1, 1000, 500) // 1000 × 2 + 500 × 8 per 1M: 0.006 USD
		c.Provider = "openai"
		return c
	}
	calls := []genai.Call{
		table("gpt-4o", "table-only"), table("gpt-4o", "table-only"),
		spanCost("gpt-4o", "mixed", 0.125), table("gpt-4o", "mixed"),
		spanCost("claude-x", "reported-only", 0.5), spanCost("claude-x", "reported-only", 0.25),
		spanCost("free", "t", 0),
		spanCost("late", "t", 0.0625), // past MaxModels: (other, t)
		table("late", "u"),            // unpriced under (other, u): no cost, no reported series
	}
	for i := range calls {
		r.Record(&calls[i], 0)
	}
	expected := `
# HELP llm_cost_reported_usd_total Cost of LLM calls in USD that their spans carried (provider-reported): the part of cost_usd_total not computed from the price table.
# TYPE llm_cost_reported_usd_total counter
llm_cost_reported_usd_total{model="claude-x",template="reported-only"} 0.75
llm_cost_reported_usd_total{model="free",template="t"} 0
llm_cost_reported_usd_total{model="gpt-4o",template="mixed"} 0.125
llm_cost_reported_usd_total{model="other",template="t"} 0.0625
# HELP llm_unpriced_requests_total LLM calls that carried no cost and whose model has no price in the table (their cost is not in cost_usd_total).
# TYPE llm_unpriced_requests_total counter
llm_unpriced_requests_total{model="other"} 1
`
	require.NoError(t, testutil.GatherAndCompare(r, strings.NewReader(expected),
		"llm_cost_reported_usd_total", "llm_unpriced_requests_total"))

	mfs, err := r.Gather()
	require.NoError(t, err)
	costs := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "llm_cost_usd_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			costs[m.GetLabel()[0].GetValue()+"/"+m.GetLabel()[1].GetValue()] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"claude-x/reported-only": 0.75,
		"free/t":                 0,
		"gpt-4o/mixed":           0.125 + 0.006,
		"gpt-4o/table-only":      2 * 0.006,
		"other/t":                0.0625,
		"other/u":                0,
	}
	require.Len(t, costs, len(want), "cost series: %v", costs)
	for k, v := range want {
		assert.InDelta(t, v, costs[k], 1e-15, k)
	}
	// The table-priced part of each pair: cost minus reported.
	assert.InDelta(t, 0.006, costs["gpt-4o/mixed"]-value(t, r, "llm_cost_reported_usd_total", "model", "gpt-4o", "template", "mixed"), 1e-15)
}

// A price change (a dated row) applies to the calls from its day on: a call
// that ended before it keeps the old price, whenever it is recorded.
func TestRecordCostDatedPrices(t *testing.T) {
	r, _, _ := pricedRecorder(t, `models:
  - {model: gpt-4o, input: 2.5, output: 10}
  - {model: gpt-4o, input: 2, output: 8, effective_from: "2026-03-15"}
`, nil)
	boundary := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC).UnixNano()
	for _, tm := range []int64{boundary - int64(time.Hour), boundary, boundary - 1, boundary + int64(time.Hour)} {
		c := chat("gpt-4o", "t", 1, 1000, 100)
		c.Time = tm
		r.Record(&c, 0)
	}
	// Two calls at 2.5/10 (0.0035 each), two at 2/8 (0.0028 each).
	assert.InDelta(t, 2*(1000*2.5+100*10)/1e6+2*(1000*2+100*8)/1e6, value(t, r, "llm_cost_usd_total", "model", "gpt-4o", "template", "t"), 1e-15)
	assert.InDelta(t, 0.0126, value(t, r, "llm_cost_usd_total", "model", "gpt-4o", "template", "t"), 1e-15)
}

// Models folded into "other" are each priced by their own row, through the
// recorder's bounded price cache, which a new price table empties.
func TestRecordCostFoldedModels(t *testing.T) {
	r, pricer, path := pricedRecorder(t, "models:\n  - {model: cheap, input: 1, output: 2}\n  - {model: dear, input: 10, output: 20}\n",
		func(s *Settings) { s.MaxModels = 1 })
	reg := r

	first := chat("first", "t", 1, 1, 1) // takes the only model slot; unpriced
	r.Record(&first, 0)
	for range 3 { // alternating models under (other, t)
		for _, m := range []string{"cheap", "dear", "unlisted"} {
			c := chat(m, "t", 1, 1000, 100)
			r.Record(&c, 0)
		}
	}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	costOther := func() float64 {
		return findMetric(t, mfs, "llm_cost_usd_total", map[string]string{"model": OverflowValue}).GetCounter().GetValue()
	}
	assert.InDelta(t, 3*(1000*1+100*2+1000*10+100*20)/1e6, costOther(), 1e-15)
	assert.InDelta(t, 3, value(t, reg, "llm_unpriced_requests_total", "model", OverflowValue), 0)
	assert.Equal(t, 4, r.prices.Len(), "cheap, dear, unlisted, and first (its series' memo asked the cache)")

	require.NoError(t, os.WriteFile(path, []byte("models:\n  - {model: cheap, input: 100, output: 0}\n"), 0o600))
	require.True(t, pricer.Reload())
	c := chat("cheap", "t", 1, 1000, 100)
	r.Record(&c, 0)
	mfs, err = reg.Gather()
	require.NoError(t, err)
	assert.InDelta(t, 3*(1000*1+100*2+1000*10+100*20)/1e6+1000*100/1e6, costOther(), 1e-15)
	assert.Equal(t, 1, r.prices.Len(), "a new table empties the cache")

	// The cache is bounded: past it folded models are looked up each time.
	for i := range cost.MaxCached + 10 {
		c := chat(fmt.Sprintf("m-%d", i), "t", 1, 1, 1)
		r.Record(&c, 0)
	}
	assert.Equal(t, cost.MaxCached, r.prices.Len())
}

// Prompt-cache writes are priced at the row's cache_write price, once, and
// counted in cache_creation_prompt_tokens_total, whose series exists from the
// pair's first call (0 without writes): a pair with cache writes exposes
// exactly the series of a pair without.
func TestRecordCostCacheWrite(t *testing.T) {
	pricer, err := pricing.NewPricer(pricing.Settings{Inline: []pricing.Row{{
		Prefix: "claude-sonnet-4", Provider: "anthropic", Input: 3, Output: 15,
		CachedInput: ptr(0.30), CacheWrite: ptr(3.75),
	}}}, zap.NewNop())
	require.NoError(t, err)
	set := testSettings()
	set.Pricer = pricer
	r, reg := newTestRecorder(t, set)

	// 10000 input tokens of which 2000 cache reads and 6000 cache writes; 500 output.
	writes := chat("claude-sonnet-4-5", "support", 2, 10000, 500)
	writes.Provider = "anthropic"
	writes.CachedInputTokens, writes.HasCachedInput = 2000, true
	writes.CacheCreationInputTokens, writes.HasCacheCreation = 6000, true
	// The same tokens without cache writes, under another template.
	noWrites := writes
	noWrites.Template = "other-template"
	noWrites.CacheCreationInputTokens, noWrites.HasCacheCreation = 0, false
	r.Record(&writes, 0)
	r.Record(&noWrites, 0)

	mfs, err := reg.Gather()
	require.NoError(t, err)
	costOf := func(tmpl string) float64 {
		return findMetric(t, mfs, "llm_cost_usd_total", map[string]string{"model": "claude-sonnet-4-5", "template": tmpl}).GetCounter().GetValue()
	}
	// 2000 uncached at 3, 2000 reads at 0.30, 6000 writes at 3.75, 500 output at 15: 0.0366 USD.
	assert.InDelta(t, (2000*3+2000*0.30+6000*3.75+500*15)/1e6, costOf("support"), 1e-15)
	assert.InDelta(t, 0.0366, costOf("support"), 1e-15)
	// Without the writes the same 6000 tokens cost the input price: 0.0276 USD.
	assert.InDelta(t, (8000*3+2000*0.30+500*15)/1e6, costOf("other-template"), 1e-15)

	writesOf := func(tmpl string) float64 {
		return findMetric(t, mfs, "llm_cache_creation_prompt_tokens_total", map[string]string{"model": "claude-sonnet-4-5", "template": tmpl}).GetCounter().GetValue()
	}
	assert.InDelta(t, 6000, writesOf("support"), 0)
	assert.InDelta(t, 0, writesOf("other-template"), 0)

	series := map[string]int{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "template" {
					series[lp.GetValue()]++
				}
			}
		}
	}
	assert.Positive(t, series["support"])
	assert.Equal(t, series["other-template"], series["support"], "same series per pair with and without cache writes")
}

func ptr(v float64) *float64 { return &v }

// Cache writes are counted per pair as the spans report them, exemplars
// included; a call without them, or whose value was invalid (the extractor
// leaves HasCacheCreation false and sets the Invalid bit), adds nothing, and
// the pair's series is there from its first call, at 0.
func TestRecordCacheCreationTokens(t *testing.T) {
	r, reg := newTestRecorder(t, testSettings())
	writes := chat("claude-sonnet-4-5", "support", 2, 10000, 500)
	writes.CachedInputTokens, writes.HasCachedInput = 2000, true
	writes.CacheCreationInputTokens, writes.HasCacheCreation = 6000, true
	writes.TraceID = pcommon.TraceID{15: 1}
	writes.SpanID = pcommon.SpanID{7: 1}
	again := chat("claude-sonnet-4-5", "support", 1, 3000, 20)
	again.CacheCreationInputTokens, again.HasCacheCreation = 1024, true
	// A zero is counted as a value: the series stays where it was.
	zero := chat("claude-sonnet-4-5", "support", 1, 100, 20)
	zero.CacheCreationInputTokens, zero.HasCacheCreation = 0, true
	invalid := chat("claude-sonnet-4-5", "batch", 1, 100, 20)
	invalid.Invalid = genai.InvalidCacheCreationInputTokens
	none := chat("gpt-4o", "support", 1, 100, 20)
	for _, c := range []genai.Call{writes, again, zero, invalid, none} {
		r.Record(&c, 1_764_000_000_000_000_000)
	}

	expected := `
# HELP llm_cache_creation_prompt_tokens_total Input tokens written to the provider's prompt cache (cache creation; part of the prompt tokens).
# TYPE llm_cache_creation_prompt_tokens_total counter
llm_cache_creation_prompt_tokens_total{model="claude-sonnet-4-5",template="batch"} 0
llm_cache_creation_prompt_tokens_total{model="claude-sonnet-4-5",template="support"} 7024
llm_cache_creation_prompt_tokens_total{model="gpt-4o",template="support"} 0
# HELP llm_cached_prompt_tokens_total Input tokens read from the provider's prompt cache (part of the prompt tokens).
# TYPE llm_cached_prompt_tokens_total counter
llm_cached_prompt_tokens_total{model="claude-sonnet-4-5",template="batch"} 0
llm_cached_prompt_tokens_total{model="claude-sonnet-4-5",template="support"} 2000
llm_cached_prompt_tokens_total{model="gpt-4o",template="support"} 0
# HELP llm_prompt_tokens_total Input (prompt) tokens reported by LLM calls, failed calls included.
# TYPE llm_prompt_tokens_total counter
llm_prompt_tokens_total{model="claude-sonnet-4-5",template="batch"} 100
llm_prompt_tokens_total{model="claude-sonnet-4-5",template="support"} 13100
llm_prompt_tokens_total{model="gpt-4o",template="support"} 100
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"llm_cache_creation_prompt_tokens_total", "llm_cached_prompt_tokens_total", "llm_prompt_tokens_total"))

	// The first call's exemplar: its trace, its 6000 tokens.
	mfs, err := reg.Gather()
	require.NoError(t, err)
	ex := findMetric(t, mfs, "llm_cache_creation_prompt_tokens_total", map[string]string{"model": "claude-sonnet-4-5", "template": "support"}).GetCounter().GetExemplar()
	require.NotNil(t, ex)
	assert.InDelta(t, 6000, ex.GetValue(), 0)
	assert.Equal(t, map[string]string{"trace_id": "00000000000000000000000000000001", "span_id": "0000000000000001"}, exemplarLabelMap(ex))
}

func TestRecordTemplateCap(t *testing.T) {
	set := testSettings()
	set.MaxTemplates = 50
	r, reg := newTestRecorder(t, set)
	folded := 0
	for i := range 10_000 {
		c := chat("gpt-4o", fmt.Sprintf("tmpl-%05d", i), 1, 1, 1)
		if r.Record(&c, 0).Template {
			folded++
		}
	}
	assert.Equal(t, 10_000-50, folded)
	templates := labelValues(t, reg, "llm_requests_total", "template")
	assert.Len(t, templates, 51, "cap + other")
	assert.Contains(t, templates, OverflowValue)
	assert.InDelta(t, 10_000-50, value(t, r, "llm_requests_total", "model", "gpt-4o", "template", OverflowValue, "status", "success"), 0)
	assert.InDelta(t, 1, value(t, r, "llm_requests_total", "model", "gpt-4o", "template", "tmpl-00049", "status", "success"), 0)
	// A value admitted before the cap was reached keeps its own series afterwards.
	c := chat("gpt-4o", "tmpl-00000", 1, 1, 1)
	assert.Equal(t, Overflow{}, r.Record(&c, 0))
	assert.InDelta(t, 2, value(t, r, "llm_requests_total", "model", "gpt-4o", "template", "tmpl-00000", "status", "success"), 0)
}

func TestRecordModelCapAndReservedValues(t *testing.T) {
	set := testSettings()
	set.MaxModels = 2
	r, reg := newTestRecorder(t, set)
	var overflowed int
	for _, m := range []string{"a", "b", "c", "", "d", "a", "other"} {
		c := chat(m, "", 1, 1, 1)
		c.Status, c.Reason = genai.StatusError, genai.ReasonTimeout
		if r.Record(&c, 0).Model {
			overflowed++
		}
	}
	assert.Equal(t, 2, overflowed, "c and d are folded")
	assert.ElementsMatch(t, []string{"a", "b", OverflowValue, UnknownModel}, labelValues(t, reg, "llm_requests_total", "model"))
	assert.ElementsMatch(t, []string{"a", "b", OverflowValue, UnknownModel}, labelValues(t, reg, "llm_errors_total", "model"))
	assert.InDelta(t, 3, value(t, r, "llm_errors_total", "model", OverflowValue, "reason", "timeout"), 0)
	assert.InDelta(t, 2, value(t, r, "llm_errors_total", "model", "a", "reason", "timeout"), 0)
}

func TestRecordSanitizesLabelValues(t *testing.T) {
	r, reg := newTestRecorder(t, testSettings())
	huge := strings.Repeat("é", 1<<19) // 1 MiB
	bad := "gpt-\xff\xfe-4o"
	for _, m := range []string{huge, bad} {
		c := chat(m, huge, 1, 1, 1)
		r.Record(&c, 0)
	}
	for _, label := range []string{"model", "template"} {
		for _, v := range labelValues(t, reg, "llm_requests_total", label) {
			assert.True(t, utf8.ValidString(v), "%q", v)
			assert.LessOrEqual(t, len(v), 64)
		}
	}
	assert.Contains(t, labelValues(t, reg, "llm_requests_total", "model"), "gpt-\uFFFD-4o")
	assert.Contains(t, labelValues(t, reg, "llm_requests_total", "model"), strings.Repeat("é", 32))
}

func TestRecordExemplars(t *testing.T) {
	r, reg := newTestRecorder(t, testSettings())
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC).UnixNano()
	c := chat("gpt-4o", "support", 1.5, 100, 20)
	c.TraceID, c.SpanID = traceA, spanA
	r.Record(&c, start)

	// Within the exemplar interval a second call does not replace the exemplar.
	c2 := chat("gpt-4o", "support", 1.6, 100, 20)
	c2.TraceID = pcommon.TraceID([16]byte{1})
	c2.SpanID = pcommon.SpanID([8]byte{1})
	r.Record(&c2, start+int64(time.Second)/2)

	mfs, err := reg.Gather()
	require.NoError(t, err)
	want := map[string]string{"trace_id": "5b8efcf11a2b3c4d5e6f708192a3b4c5", "span_id": "eb7a010203040506"}
	requests := findMetric(t, mfs, "llm_requests_total", map[string]string{"status": "success"})
	assert.Equal(t, want, exemplarLabelMap(requests.GetCounter().GetExemplar()))
	assert.Equal(t, want, exemplarLabelMap(findMetric(t, mfs, "llm_prompt_tokens_total", nil).GetCounter().GetExemplar()))
	h := findMetric(t, mfs, "llm_request_duration_seconds", nil).GetHistogram()
	var seen int
	for _, b := range h.GetBucket() {
		if b.GetExemplar() != nil {
			seen++
			assert.Equal(t, want, exemplarLabelMap(b.GetExemplar()))
			assert.InDelta(t, 1.5, b.GetExemplar().GetValue(), 0)
		}
	}
	assert.Equal(t, 1, seen)
	// Native histogram buckets are on (a schema is exposed) beside the classic ones.
	assert.NotNil(t, h.Schema)
	assert.Len(t, h.GetBucket(), 8)

	// After the interval the next call refreshes the exemplar.
	r.Record(&c2, start+int64(time.Second))
	mfs, err = reg.Gather()
	require.NoError(t, err)
	requests = findMetric(t, mfs, "llm_requests_total", map[string]string{"status": "success"})
	assert.Equal(t, "01000000000000000000000000000000", exemplarLabelMap(requests.GetCounter().GetExemplar())["trace_id"])
}

func TestRecordExemplarsDisabled(t *testing.T) {
	set := testSettings()
	set.Exemplars = false
	set.NativeHistograms = false
	r, reg := newTestRecorder(t, set)
	c := chat("gpt-4o", "support", 1.5, 100, 20)
	c.TraceID, c.SpanID = traceA, spanA
	r.Record(&c, 0)
	mfs, err := reg.Gather()
	require.NoError(t, err)
	assert.Nil(t, findMetric(t, mfs, "llm_requests_total", map[string]string{"status": "success"}).GetCounter().GetExemplar())
	h := findMetric(t, mfs, "llm_request_duration_seconds", nil).GetHistogram()
	assert.Nil(t, h.Schema, "no native histogram")
}

func TestRecordConcurrent(t *testing.T) {
	r, _ := newTestRecorder(t, testSettings())
	const workers, perWorker = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				c := chat(fmt.Sprintf("m%d", i%3), fmt.Sprintf("t%d", (i+w)%4), 1, 2, 3)
				c.TraceID = traceA
				if i%10 == 0 {
					c.Status, c.Reason = genai.StatusError, genai.ReasonProvider5xx
				}
				r.Record(&c, int64(i)*int64(time.Millisecond))
			}
		})
	}
	wg.Wait()
	var total, errs, prompt float64
	for m := range 3 {
		model := fmt.Sprintf("m%d", m)
		for tm := range 4 {
			tmpl := fmt.Sprintf("t%d", tm)
			for _, st := range []string{"success", "error"} {
				total += value(t, r, "llm_requests_total", "model", model, "template", tmpl, "status", st)
			}
			prompt += value(t, r, "llm_prompt_tokens_total", "model", model, "template", tmpl)
		}
		errs += value(t, r, "llm_errors_total", "model", model, "reason", "provider_5xx")
	}
	assert.InDelta(t, workers*perWorker, total, 0)
	assert.InDelta(t, workers*perWorker/10, errs, 0)
	assert.InDelta(t, 2*workers*perWorker, prompt, 0)
}

func TestRecordNoAllocsSteadyState(t *testing.T) {
	r, _ := newTestRecorder(t, testSettings())
	calls := benchCalls()
	for i := range calls {
		r.Record(&calls[i], 0)
	}
	now := int64(0)
	allocs := testing.AllocsPerRun(100, func() {
		for i := range calls {
			r.Record(&calls[i], now) // same instant: exemplars already taken
		}
	})
	assert.Zero(t, allocs)
}

func benchCalls() []genai.Call {
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-pro"}
	templates := []string{"support", "summarize", "classify", ""}
	calls := make([]genai.Call, 100)
	for i := range calls {
		c := chat(models[i%len(models)], templates[(i/4)%len(templates)], 0.3+float64(i%17), int64(100+i), int64(10+i))
		c.TraceID, c.SpanID = traceA, spanA
		if i%10 == 0 {
			c.Status, c.Reason = genai.StatusError, genai.Reason(1+i%11)
		}
		if i%3 == 0 {
			c.Streamed, c.TTFT, c.HasTTFT = true, 0.05*float64(i%20), true
		}
		calls[i] = c
	}
	return calls
}

func BenchmarkRecord(b *testing.B) {
	b.Run("default", func(b *testing.B) { benchmarkRecord(b, testSettings()) })
	b.Run("classic_only", func(b *testing.B) {
		set := testSettings()
		set.NativeHistograms = false
		benchmarkRecord(b, set)
	})
}

// BenchmarkRecordFoldedModels: more models than the model cap, so most calls
// count under model "other" and each carries its own model to be priced.
func BenchmarkRecordFoldedModels(b *testing.B) {
	pricer, err := pricing.NewPricer(pricing.Settings{Defaults: true}, zap.NewNop())
	require.NoError(b, err)
	set := testSettings()
	set.Pricer, set.MaxModels = pricer, 4
	r, _ := newTestRecorder(b, set)
	calls := make([]genai.Call, 1000)
	for i := range calls {
		calls[i] = chat(fmt.Sprintf("ft:gpt-4o-mini:acme:customer-%d", i%300), "support", 1.5, 1000, 100)
		calls[i].Provider = "openai"
	}
	benchmarkCalls(b, r, calls)
}

func benchmarkRecord(b *testing.B, set Settings) {
	r, _ := newTestRecorder(b, set)
	benchmarkCalls(b, r, benchCalls())
}

// benchmarkCalls records calls once per iteration, a millisecond apart.
func benchmarkCalls(b *testing.B, r *Recorder, calls []genai.Call) {
	now := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		now += int64(time.Millisecond)
		for i := range calls {
			r.Record(&calls[i], now)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(calls)), "ns/call")
}

func labelValues(t *testing.T, reg prometheus.Gatherer, metric, label string) []string {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	seen := map[string]bool{}
	var out []string
	for _, mf := range mfs {
		if mf.GetName() != metric {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && !seen[lp.GetValue()] {
					seen[lp.GetValue()] = true
					out = append(out, lp.GetValue())
				}
			}
		}
	}
	return out
}

func findMetric(t *testing.T, mfs []*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			return m
		}
	}
	t.Fatalf("metric %s%v not found", name, labels)
	return nil
}

func exemplarLabelMap(e *dto.Exemplar) map[string]string {
	if e == nil {
		return nil
	}
	out := map[string]string{}
	for _, lp := range e.GetLabel() {
		out[lp.GetName()] = lp.GetValue()
	}
	return out
}

func TestRecordPairCap(t *testing.T) {
	set := testSettings()
	set.MaxModels = 2
	set.MaxTemplates = 2
	set.MaxLabelSets = 3
	r, reg := newTestRecorder(t, set)
	for _, tc := range []struct {
		model, tmpl string
		want        Overflow
	}{
		{"a", "t1", Overflow{}},
		{"a", "t2", Overflow{}},
		{"a", "t3", Overflow{Template: true}},                 // template cap: (a, other), the 3rd pair
		{"b", "t1", Overflow{Template: true, LabelSet: true}}, // pair cap: (b, other), created past the cap
		{"a", "t1", Overflow{}},                               // an admitted pair keeps its series
		{"b", "t2", Overflow{Template: true, LabelSet: true}},
		{"a", "t9", Overflow{Template: true}},                              // template cap: (a, other) exists
		{"c", "t1", Overflow{Model: true, Template: true, LabelSet: true}}, // model cap (2) and pair cap: (other, other)
	} {
		c := chat(tc.model, tc.tmpl, 1, 1, 1)
		assert.Equal(t, tc.want, r.Record(&c, 0), "%s/%s", tc.model, tc.tmpl)
	}
	assert.InDelta(t, 2, value(t, reg, "llm_requests_total", "model", "a", "template", "t1", "status", "success"), 0)
	assert.InDelta(t, 1, value(t, reg, "llm_requests_total", "model", "a", "template", "t2", "status", "success"), 0)
	assert.InDelta(t, 2, value(t, reg, "llm_requests_total", "model", "a", "template", OverflowValue, "status", "success"), 0)
	assert.InDelta(t, 2, value(t, reg, "llm_requests_total", "model", "b", "template", OverflowValue, "status", "success"), 0)
	assert.InDelta(t, 1, value(t, reg, "llm_requests_total", "model", OverflowValue, "template", OverflowValue, "status", "success"), 0)
	assert.ElementsMatch(t, []string{"a", "b", OverflowValue}, labelValues(t, reg, "llm_request_duration_seconds", "model"))
	n, err := testutil.GatherAndCount(reg, "llm_prompt_tokens_total")
	require.NoError(t, err)
	assert.Equal(t, 5, n, "3 pairs + (b, other) + (other, other)")
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// TestSLORules: a real Prometheus scrapes the collector and evaluates
// rules/llm-slo.yaml (once ingesting the native histograms, once the classic
// buckets only); after one send of sloCalls, at one evaluation of the
// group otelcol-llm.slo, every SLO series has exactly the value the calls
// imply (bad events / events, per job and model, the same in every window),
// with Sloth's labels, and the burn-rate alerts that fire are exactly those
// sloAlerts lists.
//
// Why the ratios are exact. Every counter and histogram series of the send
// holds, in the window of every rule (5m to 3d), its created-timestamp zero
// sample at C_i (see prometheus_test.go) and then the same value N_i at each
// scrape T0 < T1 < ... < Tk <= E, the evaluation time. In Prometheus'
// extrapolatedRate, with n = k + 1 intervals and s_i = Tk - C_i:
//   - the left side is not extrapolated: the first sample is 0, so the zero
//     point of the counter is the first sample itself (durationToStart = 0);
//   - the right side is extrapolated by E - Tk if that is below 1.1 × the
//     average interval s_i / n, else by half the average interval, s_i / 2n.
//
// So rate(x[w]) = N_i × f_i / w with f_i = 1 + (E - Tk) / s_i in the first
// case: C_i is the wall clock when the collector created the series, a few
// microseconds (sometimes a millisecond) apart between series, so f_i differs
// between, e.g., a model's llm_errors_total and llm_requests_total series,
// and their ratio is not bad/total. In the second case f_i = 1 + 1/(2n) for
// every series (they all have the same n: the send created them between two
// scrapes). The test therefore picks an evaluation E of the group where
// E - Tk >= 1.1 × s_i / n holds for every series, checked on the stored
// samples (sloExactEvaluation); a scrape interval (4 s) four times the
// evaluation interval (1 s), and the send 1.5 s before the next scrape, leave
// about 2.3 s after that scrape where it holds. At E every rate is
// N_i × (1 + 1/(2n)) / w: a sum of rates is the sum of the N_i times one
// factor, every ratio of sums is bad / total, whatever the window w (all
// samples are inside 5m, hence inside the longer windows too), up to float
// rounding. For latency and ttft this holds for the classic le="10" / le="2"
// bucket over the count, and for histogram_fraction of the summed native
// histograms: no observation lies near a bound (2 s is a native bucket
// boundary, and the native bucket around 10 s, (9.51, 10.37], is empty), so
// it does not interpolate.
const sloPrometheusConfig = `global:
  scrape_interval: 4s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %[2]s
scrape_configs:
  - job_name: otelcol-llm
    scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0, PrometheusText0.0.4]
    scrape_native_histograms: %[3]t
    always_scrape_classic_histograms: true
    static_configs:
      - targets: ["127.0.0.1:%[1]d"]
`

const (
	sloScrapeMs = 4000 // scrape_interval above
	sloSendMs   = 2500 // the send, after a scrape: 1.5 s before the next one

	sloModelA = "gpt-4o"          // every SLI, alerts on availability
	sloModelB = "claude-sonnet-4" // no streamed call: no ttft series
	sloModelC = "mistral-large"   // no failure that counts: availability 0
)

// sloCall is n identical calls of the send.
type sloCall struct {
	n        int
	model    string
	template string
	duration time.Duration
	ttft     float64 // seconds; > 0: a streamed call with this time to first token
	status   ptrace.StatusCode
	attrs    map[string]any // error.type, finish reasons, ...
	reason   string         // the llm_errors_total reason the collector must assign; "" = success
}

// sloExcluded are the reasons the availability SLO does not count
// (rules/README.md#slos).
var sloExcluded = map[string]bool{"safety_block": true, "bad_request": true, "cancelled": true, "context_overflow": true}

func sloErr(errorType string) map[string]any { return map[string]any{"error.type": errorType} }

// sloCalls: model A, 40 calls: 5 failures that count (3 rate_limit, 1
// provider_5xx, 1 timeout) and 4 that do not (context_overflow,
// safety_block, bad_request, cancelled); 4 slower than 10 s; 5 streamed, 2
// of them with a first token after 2 s. Model B, 10 calls, none streamed:
// 1 failure that counts (provider_5xx), 1 that does not (bad_request), 8
// slower than 10 s. Model C, 3 calls: one safety_block. No duration or TTFT
// lies near a bound.
var sloCalls = []sloCall{
	{n: 19, model: sloModelA, template: tplSummarize, duration: ms(800)},
	{n: 5, model: sloModelA, template: tplClassify, duration: ms(3500)},
	{n: 2, model: sloModelA, template: tplClassify, duration: ms(12000)},
	{n: 3, model: sloModelA, template: tplSummarize, duration: ms(300), status: ptrace.StatusCodeError, attrs: sloErr("RateLimitError"), reason: "rate_limit"},
	{
		n: 1, model: sloModelA, template: tplSummarize, duration: ms(1100), status: ptrace.StatusCodeError,
		attrs: map[string]any{"error.type": "InternalServerError", "http.response.status_code": 500}, reason: "provider_5xx",
	},
	{n: 1, model: sloModelA, template: tplClassify, duration: ms(30500), status: ptrace.StatusCodeError, attrs: sloErr("APITimeoutError"), reason: "timeout"},
	{n: 1, model: sloModelA, template: tplClassify, duration: ms(600), status: ptrace.StatusCodeError, attrs: sloErr("context_length_exceeded"), reason: "context_overflow"},
	{
		n: 1, model: sloModelA, template: tplSummarize, duration: ms(1800), status: ptrace.StatusCodeOk,
		attrs: map[string]any{"gen_ai.response.finish_reasons": []any{"content_filter"}}, reason: "safety_block",
	},
	{n: 1, model: sloModelA, template: tplSummarize, duration: ms(200), status: ptrace.StatusCodeError, attrs: sloErr("BadRequestError"), reason: "bad_request"},
	{n: 1, model: sloModelA, template: tplClassify, duration: ms(4500), status: ptrace.StatusCodeError, attrs: sloErr("CancelledError"), reason: "cancelled"},
	{n: 2, model: sloModelA, template: tplSummarize, duration: ms(1600), ttft: 0.3},
	{n: 1, model: sloModelA, template: tplSummarize, duration: ms(3300), ttft: 1.5},
	{n: 1, model: sloModelA, template: tplClassify, duration: ms(6500), ttft: 2.5},
	{n: 1, model: sloModelA, template: tplClassify, duration: ms(11500), ttft: 3.5},

	{n: 1, model: sloModelB, template: tplSummarize, duration: ms(900)},
	{n: 6, model: sloModelB, template: tplSummarize, duration: ms(13000)},
	{n: 1, model: sloModelB, template: tplClassify, duration: ms(25000), attrs: map[string]any{"gen_ai.request.stream": false}},
	{n: 1, model: sloModelB, template: tplClassify, duration: ms(500), status: ptrace.StatusCodeError, attrs: sloErr("OverloadedError"), reason: "provider_5xx"},
	{n: 1, model: sloModelB, template: tplClassify, duration: ms(20000), status: ptrace.StatusCodeError, attrs: sloErr("BadRequestError"), reason: "bad_request"},

	{n: 2, model: sloModelC, template: tplSummarize, duration: ms(400)},
	{n: 1, model: sloModelC, template: tplSummarize, duration: ms(500), status: ptrace.StatusCodeError, attrs: sloErr("ContentPolicyViolationError"), reason: "safety_block"},
}

// sloTraces writes sloCalls as client spans starting at base.
func sloTraces(base time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty()
	if err := ss.Resource().Attributes().FromRaw(map[string]any{"service.name": "slo-e2e"}); err != nil {
		panic(err)
	}
	spans := ss.ScopeSpans().AppendEmpty()
	spans.Scope().SetName("e2e-slo")
	providers := map[string]string{sloModelA: "openai", sloModelB: "anthropic", sloModelC: "mistral_ai"}
	i := 0
	for _, c := range sloCalls {
		for range c.n {
			i++
			sp := spans.Spans().AppendEmpty()
			var tid pcommon.TraceID
			copy(tid[:], "otelcol-llm-slo!")
			binary.BigEndian.PutUint16(tid[14:], uint16(i))
			var sid pcommon.SpanID
			copy(sid[:], "slo!")
			binary.BigEndian.PutUint16(sid[6:], uint16(i))
			sp.SetTraceID(tid)
			sp.SetSpanID(sid)
			sp.SetName("chat " + c.model)
			sp.SetKind(ptrace.SpanKindClient)
			start := base.Add(time.Duration(i) * time.Second)
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(c.duration)))
			attrs := map[string]any{
				"gen_ai.operation.name": "chat", "gen_ai.provider.name": providers[c.model],
				"gen_ai.request.model": c.model, "llm.template": c.template,
				"gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 20,
			}
			if c.ttft > 0 {
				attrs["gen_ai.request.stream"] = true
				attrs["gen_ai.response.time_to_first_chunk"] = c.ttft
			}
			for k, v := range c.attrs {
				attrs[k] = v
			}
			if err := sp.Attributes().FromRaw(attrs); err != nil {
				panic(err)
			}
			sp.Status().SetCode(c.status)
		}
	}
	return td
}

// sloCounts are the events of one model, as the SLOs count them.
type sloCounts struct {
	calls, bad     int // availability: calls, failures whose reason counts
	slow           int // latency: calls slower than 10 s
	streamed, late int // ttft: streamed calls, first token after 2 s
}

func sloExpectations() (map[string]*sloCounts, map[string]float64) {
	counts := map[string]*sloCounts{}
	reasons := map[string]float64{} // {model, reason} label key -> failed calls
	for _, c := range sloCalls {
		m := counts[c.model]
		if m == nil {
			m = &sloCounts{}
			counts[c.model] = m
		}
		m.calls += c.n
		if c.reason != "" {
			reasons[labelKey(map[string]string{"model": c.model, "reason": c.reason})] += float64(c.n)
			if !sloExcluded[c.reason] {
				m.bad += c.n
			}
		}
		if c.duration > 10*time.Second {
			m.slow += c.n
		}
		if c.ttft > 0 {
			m.streamed += c.n
			if c.ttft > 2 {
				m.late += c.n
			}
		}
	}
	return counts, reasons
}

// sloSeries is one expected SLO series: its labels and value.
type sloSeries struct {
	labels map[string]string
	value  float64
}

// sloLabels are the labels of an SLO series of model for SLI slo (window ""
// for the series without sloth_window).
func sloLabels(name, model, slo, window string) map[string]string {
	l := map[string]string{
		"__name__": name, "job": promJob, "model": model,
		"sloth_service": "llm", "sloth_slo": slo, "sloth_id": "llm-" + slo,
	}
	if window != "" {
		l["sloth_window"] = window
	}
	return l
}

// sloObjectives are the objectives of rules/llm-slo.yaml.
var sloObjectives = map[string]float64{"availability": 0.995, "latency": 0.95, "ttft": 0.95}

// sloRatios returns the error ratio of every SLI and model the calls give
// series to: bad events / events (no ttft series for a model without
// streamed calls).
func sloRatios(counts map[string]*sloCounts) map[[2]string]float64 {
	out := map[[2]string]float64{}
	for model, c := range counts {
		out[[2]string{"availability", model}] = float64(c.bad) / float64(c.calls)
		out[[2]string{"latency", model}] = float64(c.slow) / float64(c.calls)
		if c.streamed > 0 {
			out[[2]string{"ttft", model}] = float64(c.late) / float64(c.streamed)
		}
	}
	return out
}

// sloAlerts are the burn-rate alerts the calls fire, from the ratios above
// and the guards (one event per minute over the short window): every call
// is inside every window, and a window's event rate is the calls times an
// extrapolation factor between 1 and 2.1 (see the top of this file), divided
// by the window.
//   - A, availability: 5/40 / 0.005 = burn 25: above 14.4 and 6; its 40
//     calls pass the 5m and 30m guards (40/1800 > 1/60) but not the 2h one
//     (40 × 2.1 / 7200 < 1/60): the two critical pairs.
//   - B, availability: 1/10 / 0.005 = 20 > 14.4, 10 calls pass the 5m guard
//     only; B, latency: 8/10 / 0.05 = 16 > 14.4, same guard: 1h/5m each.
//   - A, latency: 4/40 / 0.05 = 2 (below 3; above 1, but the 6h guard fails);
//     A, ttft: 2/5 / 0.05 = 8 > 6, but 5 streamed calls fail the 30m
//     guard; C: ratio 0. None fires.
var sloAlerts = []map[string]string{
	{"alertname": "LLMErrorBudgetBurn", "model": sloModelA, "sloth_slo": "availability", "severity": "critical", "long": "1h", "short": "5m"},
	{"alertname": "LLMErrorBudgetBurn", "model": sloModelA, "sloth_slo": "availability", "severity": "critical", "long": "6h", "short": "30m"},
	{"alertname": "LLMErrorBudgetBurn", "model": sloModelB, "sloth_slo": "availability", "severity": "critical", "long": "1h", "short": "5m"},
	{"alertname": "LLMLatencyBudgetBurn", "model": sloModelB, "sloth_slo": "latency", "severity": "critical", "long": "1h", "short": "5m"},
}

func TestSLORules(t *testing.T) {
	// Prometheus ingests the native histograms (the latency and ttft SLIs
	// read them with histogram_fraction), or the classic buckets only (the
	// SLIs read the le="10" and le="2" buckets).
	t.Run("native histograms", func(t *testing.T) { testSLORules(t, true) })
	t.Run("classic buckets", func(t *testing.T) { testSLORules(t, false) })
}

func testSLORules(t *testing.T, native bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	root := testproc.RepoRoot(t)
	c := startCollector(t)
	prom := startPrometheusWithConfig(t, fmt.Sprintf(sloPrometheusConfig, c.metricsPort, filepath.Join(root, "rules", "llm-slo.yaml"), native))
	var last int64
	poll(t, 30*time.Second, 100*time.Millisecond, "first successful scrape of the collector", func() (bool, error) {
		var err error
		last, err = prom.lastScrapeMs(ctx)
		return last > 0, err
	})
	sendAt := time.UnixMilli(last + sloSendMs)
	for time.Until(sendAt) < 50*time.Millisecond {
		sendAt = sendAt.Add(sloScrapeMs * time.Millisecond)
	}
	time.Sleep(time.Until(sendAt)) // aligns the send with the scrape schedule; not a synchronization
	sendGRPC(ctx, t, c.grpcPort, sloTraces(time.Now().Add(-10*time.Minute)))
	sentMs := time.Now().UnixMilli()

	evalMs, intervals := sloExactEvaluation(ctx, t, prom, sentMs)
	t.Logf("sent at %d ms; evaluating at %d ms (n = %d: every rate is the increase × %v / w)", sentMs, evalMs, intervals, 1+1/(2*float64(intervals)))
	at := func(q string) []promSample {
		t.Helper()
		res, err := prom.query(ctx, q, evalMs)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	counts, reasons := sloExpectations()

	// The input: the collector counted the calls and assigned the reasons
	// sloCalls expects; at E every rate is its increase × (1 + 1/(2n)) / w.
	expectValues(t, "failed calls by model and reason", at(`sum by (model, reason) (llm_errors_total)`), reasons, []string{"model", "reason"})
	calls, streamed, rates := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for model, n := range counts {
		k := labelKey(map[string]string{"model": model})
		calls[k] = float64(n.calls)
		rates[k] = float64(n.calls) * (1 + 1/(2*float64(intervals))) / 300
		if n.streamed > 0 {
			streamed[k] = float64(n.streamed)
		}
	}
	expectValues(t, "calls by model", at(`sum by (model) (llm_requests_total)`), calls, []string{"model"})
	expectValues(t, "streamed calls by model", at(`sum by (model) (llm_time_to_first_token_seconds_count)`), streamed, []string{"model"})
	nativeCalls := map[string]float64{}
	if native {
		nativeCalls = calls
	}
	expectValues(t, "calls by model in the native histograms", at(`sum by (model) (histogram_count(llm_request_duration_seconds))`), nativeCalls, []string{"model"})
	expectValues(t, "call rate by model over 5m", at(`sum by (model) (rate(llm_requests_total[5m]))`), rates, []string{"model"})

	ratios := sloRatios(counts)
	for _, w := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"} {
		name := "slo:sli_error:ratio_rate" + w
		var want []sloSeries
		for k, r := range ratios {
			want = append(want, sloSeries{sloLabels(name, k[1], k[0], w), r})
		}
		expectSeries(t, name, at(name), want)
	}
	var objective, budget, days, burn []sloSeries
	for k, r := range ratios {
		slo, model := k[0], k[1]
		o := sloObjectives[slo]
		objective = append(objective, sloSeries{sloLabels("slo:objective:ratio", model, slo, ""), o})
		budget = append(budget, sloSeries{sloLabels("slo:error_budget:ratio", model, slo, ""), 1 - o})
		days = append(days, sloSeries{sloLabels("slo:time_period:days", model, slo, ""), 30})
		burn = append(burn, sloSeries{sloLabels("slo:current_burn_rate:ratio", model, slo, ""), r / (1 - o)})
	}
	expectSeries(t, "slo:objective:ratio", at("slo:objective:ratio"), objective)
	expectSeries(t, "slo:error_budget:ratio", at("slo:error_budget:ratio"), budget)
	expectSeries(t, "slo:time_period:days", at("slo:time_period:days"), days)
	expectSeries(t, "slo:current_burn_rate:ratio", at("slo:current_burn_rate:ratio"), burn)

	// The period (30d): the mean of the 5m ratios recorded so far, at the
	// evaluations since the send. Only E's is exact (the earlier ones
	// extrapolate each series by its own factor), so the expectation is the
	// mean of the recorded values, each within 1 % of bad/total.
	var period, periodBurn, remaining []sloSeries
	for _, s := range at(`slo:sli_error:ratio_rate5m[30d]`) {
		slo, model := s.Metric["sloth_slo"], s.Metric["model"]
		r, ok := ratios[[2]string{slo, model}]
		if !ok {
			continue // reported by expectSeries above
		}
		sum := 0.0
		for _, p := range s.Values {
			_, v, err := pointMs(p)
			if err != nil {
				t.Fatal(err)
			}
			if !approxEqual(map[string]float64{"": v}, map[string]float64{"": r}, 0.01) {
				t.Errorf("slo:sli_error:ratio_rate5m{sloth_slo=%q, model=%q} recorded %v at %v, want %v within 1 %%", slo, model, v, p[0], r)
			}
			sum += v
		}
		mean := sum / float64(len(s.Values))
		b := 1 - sloObjectives[slo]
		period = append(period, sloSeries{sloLabels("slo:sli_error:ratio_rate30d", model, slo, "30d"), mean})
		periodBurn = append(periodBurn, sloSeries{sloLabels("slo:period_burn_rate:ratio", model, slo, ""), mean / b})
		remaining = append(remaining, sloSeries{sloLabels("slo:period_error_budget_remaining:ratio", model, slo, ""), 1 - mean/b})
	}
	expectSeries(t, "slo:sli_error:ratio_rate30d", at("slo:sli_error:ratio_rate30d"), period)
	expectSeries(t, "slo:period_burn_rate:ratio", at("slo:period_burn_rate:ratio"), periodBurn)
	expectSeries(t, "slo:period_error_budget_remaining:ratio", at("slo:period_error_budget_remaining:ratio"), remaining)

	// The alerts (group otelcol-llm.slo-alerts, evaluated at its own times):
	// exactly sloAlerts fire once the group has read the SLO series.
	want := map[string]bool{}
	for _, a := range sloAlerts {
		l := map[string]string{"__name__": "ALERTS", "alertstate": "firing", "job": promJob, "sloth_service": "llm", "sloth_id": "llm-" + a["sloth_slo"]}
		for k, v := range a {
			l[k] = v
		}
		want[labelKey(l)] = true
	}
	var got map[string]bool
	poll(t, 15*time.Second, 250*time.Millisecond, "the burn-rate alerts", func() (bool, error) {
		res, err := prom.query(ctx, `ALERTS`, time.Now().UnixMilli())
		got = map[string]bool{}
		for _, s := range res {
			got[labelKey(s.Metric)] = true
		}
		if err != nil {
			return false, err
		}
		if !sameKeys(got, want) {
			return false, fmt.Errorf("firing %s, want %s", strings.Join(sortedKeys(got), " "), strings.Join(sortedKeys(want), " "))
		}
		return true, nil
	})
	t.Logf("firing: %s", strings.Join(sortedKeys(got), " "))
}

// sloExactEvaluation returns the first evaluation time E of the group
// otelcol-llm.slo after sentMs at which every llm_* series the rules read
// makes rate() exact up to one common factor (see the top of this file),
// and the number n of intervals between the stored samples of each series.
func sloExactEvaluation(ctx context.Context, t *testing.T, prom *promServer, sentMs int64) (int64, int) {
	t.Helper()
	// The last rule of the group: an evaluation is complete once it has a
	// sample.
	const lastRule = `slo:period_error_budget_remaining:ratio{sloth_id="llm-ttft"}[1m]`
	const inputs = `{__name__=~"llm_requests_total|llm_errors_total|llm_(request_duration|time_to_first_token)_seconds(_bucket|_count)?"}[5m]`
	checked := map[int64]bool{}
	var (
		evalMs    int64
		intervals int
	)
	poll(t, 30*time.Second, 200*time.Millisecond, "an evaluation with exact rates", func() (bool, error) {
		res, err := prom.query(ctx, lastRule, time.Now().UnixMilli())
		if err != nil || len(res) == 0 {
			return false, err
		}
		for _, p := range res[0].Values {
			ts, _, err := pointMs(p)
			if err != nil {
				return false, err
			}
			if ts <= sentMs || checked[ts] {
				continue
			}
			checked[ts] = true
			series, err := rangeSeries(ctx, prom, inputs, ts)
			if err != nil {
				return false, err
			}
			n, reason := exactAt(series, ts)
			if reason == "" {
				evalMs, intervals = ts, n
				return true, nil
			}
			t.Logf("evaluation at %d: %s", ts, reason)
		}
		return false, nil
	})
	return evalMs, intervals
}

// storedSeries is the samples of one series in a range: timestamps (ms) and
// values (the count of a native histogram).
type storedSeries struct {
	metric map[string]string
	ts     []int64
	vals   []float64
}

// exactAt checks the conditions of the top of this file for the series at
// evaluation time evalMs: each starts with a zero sample, has the same number
// n of intervals as the others, and its last sample is far enough before
// evalMs that extrapolatedRate extrapolates it by half an interval. It
// returns n, and why not ("" when it holds).
func exactAt(series []storedSeries, evalMs int64) (int, string) {
	if len(series) == 0 {
		return 0, "no llm_* series"
	}
	n := -1
	for _, s := range series {
		k := len(s.ts) - 1
		if k < 1 || s.vals[0] != 0 {
			return 0, fmt.Sprintf("%v: samples %v at %v, want the zero sample first", s.metric, s.vals, s.ts)
		}
		if n >= 0 && k != n {
			return 0, fmt.Sprintf("%v: %d intervals, another series %d", s.metric, k, n)
		}
		n = k
		if s.vals[k] == 0 {
			continue // rate 0 whatever the factor
		}
		// As extrapolatedRate computes them.
		durationToEnd := float64(evalMs-s.ts[k]) / 1000
		sampled := float64(s.ts[k]-s.ts[0]) / 1000
		threshold := sampled / float64(k) * 1.1
		if durationToEnd < threshold {
			return 0, fmt.Sprintf("%v: last sample %d ms before, under the extrapolation threshold %.3f s", s.metric, evalMs-s.ts[k], threshold)
		}
	}
	return n, ""
}

// rangeSeries runs the range selector q at evalMs and returns its series,
// float or native histogram.
func rangeSeries(ctx context.Context, prom *promServer, q string, evalMs int64) ([]storedSeries, error) {
	u := fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s&time=%s", prom.port, url.QueryEscape(q), msToAPITime(evalMs))
	body, _, err := get(ctx, u, "application/json")
	if err != nil {
		return nil, err
	}
	var resp struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Metric     map[string]string
				Values     [][2]any
				Histograms [][2]json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("%s: %s", q, resp.Error)
	}
	var out []storedSeries
	for _, r := range resp.Data.Result {
		s := storedSeries{metric: r.Metric}
		for _, p := range r.Values {
			ts, v, err := pointMs(p)
			if err != nil {
				return nil, err
			}
			s.ts, s.vals = append(s.ts, ts), append(s.vals, v)
		}
		for _, p := range r.Histograms {
			var ts float64
			var h struct{ Count string }
			if err := json.Unmarshal(p[0], &ts); err != nil {
				return nil, err
			}
			if err := json.Unmarshal(p[1], &h); err != nil {
				return nil, err
			}
			tms, v, err := pointMs([2]any{ts, h.Count})
			if err != nil {
				return nil, err
			}
			s.ts, s.vals = append(s.ts, tms), append(s.vals, v)
		}
		out = append(out, s)
	}
	return out, nil
}

// expectSeries requires exactly the series of want (labels and value, up
// to float rounding) in res.
func expectSeries(t *testing.T, what string, res []promSample, want []sloSeries) {
	t.Helper()
	w := map[string]float64{}
	for _, s := range want {
		w[labelKey(s.labels)] = s.value
	}
	got := map[string]float64{}
	for _, s := range res {
		_, v, err := pointMs(s.Value)
		if err != nil {
			t.Fatal(err)
		}
		got[labelKey(s.Metric)] = v
	}
	if d := diffValues(got, w); d != "" {
		t.Errorf("%s:%s", what, d)
		return
	}
	t.Logf("%s:\n  %s", what, fmtSeries(got))
}

// expectValues requires the series of res, keyed by the labels by, to have
// exactly the values of want.
func expectValues(t *testing.T, what string, res []promSample, want map[string]float64, by []string) {
	t.Helper()
	got := map[string]float64{}
	for _, s := range res {
		_, v, err := pointMs(s.Value)
		if err != nil {
			t.Fatal(err)
		}
		l := map[string]string{}
		for _, k := range by {
			l[k] = s.Metric[k]
		}
		got[labelKey(l)] = v
	}
	if d := diffValues(got, want); d != "" {
		t.Errorf("%s:%s", what, d)
		return
	}
	t.Logf("%s: %s", what, fmtSeries(got))
}

// diffValues lists the series of got and want (by label key) that differ
// by more than float rounding (exact), one per line; "" when none does.
func diffValues(got, want map[string]float64) string {
	var b strings.Builder
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			fmt.Fprintf(&b, "\n  missing %s, want %.17g", k, w)
		case !wok:
			fmt.Fprintf(&b, "\n  unexpected %s %.17g", k, g)
		case !approxEqual(map[string]float64{k: g}, map[string]float64{k: w}, exact):
			fmt.Fprintf(&b, "\n  %s = %.17g, want %.17g", k, g, w)
		}
	}
	return b.String()
}

// labelKey writes a label set as {a="1", b="2"}, sorted by name.
func labelKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, l[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func fmtSeries(m map[string]float64) string {
	var b strings.Builder
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteString("\n       ")
		}
		fmt.Fprintf(&b, "%s %.17g", k, m[k])
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sameKeys(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

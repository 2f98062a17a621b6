// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// The SLOs (rules/llm-slo.yaml) of the calls TestDashboardQueries sends, per
// model: calls, bad events of each SLO, streamed calls with a first token.
//   - gpt-4o: 9 calls (scenario 0-4, 11, 12 and two of dashboardExtraSpans);
//     availability: 1 bad (rate_limit; context_overflow does not count);
//     latency: none above 10 s; ttft: 2 streamed calls with a first token
//     (0.3 s and 2.5 s), 1 above 2 s.
//   - claude-sonnet-4: 6 calls (scenario 5-10); availability: 2 bad
//     (provider_5xx, timeout; safety_block does not count); latency: 2 above
//     10 s (12.5 s, 45 s); ttft: 0.7 s and 1.5 s, none above 2 s.
//   - gpt-4o-mini: 4 calls (agentTraffic); availability: 1 bad (connection);
//     latency: none; ttft: 0.4 s and 0.2 s, none above 2 s.
//   - acme-internal-1: 1 call, no bad event, not streamed (no ttft SLO).
var (
	sloErrorRatio = map[string]float64{
		"availability/" + modelGPT: 1.0 / 9, "availability/" + modelClaude: 2.0 / 6,
		"availability/" + modelMini: 1.0 / 4, "availability/acme-internal-1": 0,
		"latency/" + modelGPT: 0, "latency/" + modelClaude: 2.0 / 6,
		"latency/" + modelMini: 0, "latency/acme-internal-1": 0,
		"ttft/" + modelGPT: 1.0 / 2, "ttft/" + modelClaude: 0, "ttft/" + modelMini: 0,
	}
	sloBudget = map[string]float64{"availability": 0.005, "latency": 0.05, "ttft": 0.05}
)

// sloCreatedSpreadTolerance bounds the relative error of the recorded SLO
// series when the series they read were created in different milliseconds.
// The rules evaluate between scrapes, where rate() extrapolates each series
// to the evaluation time by a factor of (t - created) / (last scrape -
// created): the factors of a ratio's two sides then differ by up to
// 1.1 / (last scrape - created) per second of difference in created, about
// 2e-3 per millisecond at the first evaluation after the send (half a
// scrape interval after it), less at later ones, and ratio_rate30d
// averages every 5m ratio since then. A zero ratio stays zero. With every
// created timestamp in one millisecond the factors are equal and the values
// exact (1e-9).
const sloCreatedSpreadTolerance = 1e-2

// sloTolerance is the tolerance of the recorded SLO series at evalMs: 1e-9
// when every series the SLIs read holds its created-timestamp zero sample
// (assertZeroThenScrape) at one and the same millisecond, else
// sloCreatedSpreadTolerance.
func sloTolerance(ctx context.Context, t *testing.T, prom *promServer, rng string, evalMs int64) float64 {
	t.Helper()
	selectors := []string{
		"llm_requests_total", "llm_errors_total", "llm_request_duration_seconds_bucket", "llm_time_to_first_token_seconds_bucket",
	}
	assertZeroThenScrape(ctx, t, prom, rng, evalMs, selectors...)
	created := map[int64]bool{}
	for _, sel := range selectors {
		res, err := prom.query(ctx, sel+"["+rng+"]", evalMs)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range res {
			ms, _, err := pointMs(s.Values[0])
			if err != nil {
				t.Fatal(err)
			}
			created[ms] = true
		}
	}
	if len(created) == 1 {
		return 1e-9
	}
	t.Logf("the series the SLIs read were created in %d different milliseconds: recorded SLO series within %v",
		len(created), sloCreatedSpreadTolerance)
	return sloCreatedSpreadTolerance
}

// checkSLOs runs the queries of the row "SLOs" and checks them against the
// SLOs of the calls sent: the recorded series (objective, error ratios over
// every window and the period, burn rates, budget left; see sloTolerance),
// the bad events per second at evalMs (a scrape after the send, see
// checkAgentsAndQuality) exactly, and the burn-rate alerts that fire: the
// 1h/5m pair of the availability SLO of gpt-4o (burn rate 22.2) and
// claude-sonnet-4 (66.7); gpt-4o-mini burns 50 times as fast but has 4 calls
// (the guard wants more than one a minute over 5m); claude-sonnet-4's
// latency burn rate 6.7 and gpt-4o's ttft burn rate 10 are under 14.4, and
// above 6 and 3 only over windows whose guard fails.
func checkSLOs(ctx context.Context, t *testing.T, prom *promServer, dq dashboardQueries, evalMs int64) {
	t.Helper()
	rateInterval, err := time.ParseDuration(dq.Substitutions["__rate_interval"])
	if err != nil {
		t.Fatalf("queries.json: __rate_interval: %v", err)
	}
	w := rateInterval.Seconds()
	tol := sloTolerance(ctx, t, prom, dq.Substitutions["__rate_interval"], evalMs)
	if t.Failed() {
		t.FailNow()
	}

	objective, burn, remaining := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for key, ratio := range sloErrorRatio {
		budget := sloBudget[key[:strings.IndexByte(key, '/')]]
		objective[key] = 1 - budget
		burn[key] = ratio / budget
		remaining[key] = 1 - ratio/budget
	}
	// The rules evaluate on their own schedule: the recorded series may
	// have no sample at evalMs yet. Read them once the last one recorded
	// in an evaluation, the budget left, exists for every SLO and model.
	by := []string{"sloth_slo", "model"}
	var sloMs int64
	poll(t, 30*time.Second, 250*time.Millisecond, "the budget left of every SLO and model", func() (bool, error) {
		sloMs = time.Now().UnixMilli()
		got := panelValues(ctx, t, prom, dq, "Error budget remaining by SLO and model", "D", by, sloMs)
		return len(got) == len(sloErrorRatio), nil
	})
	for _, c := range []struct {
		panel, refID string
		want         map[string]float64
	}{
		{"Error budget remaining by SLO and model", "A", objective},
		{"Error budget remaining by SLO and model", "B", sloErrorRatio},
		{"Error budget remaining by SLO and model", "C", burn},
		{"Error budget remaining by SLO and model", "D", remaining},
		{"Error ratio by SLO, model and window", "A", sloErrorRatio}, // 5m
		{"Error ratio by SLO, model and window", "B", sloErrorRatio},
		{"Error ratio by SLO, model and window", "C", sloErrorRatio},
		{"Error ratio by SLO, model and window", "D", sloErrorRatio},
		{"Error ratio by SLO, model and window", "E", sloErrorRatio},
		{"Error ratio by SLO, model and window", "F", sloErrorRatio},
		{"Error ratio by SLO, model and window", "G", sloErrorRatio}, // 3d
		{"Error ratio by SLO, model and window", "H", sloErrorRatio}, // 30d
		{"Current burn rate by SLO and model", "A", burn},
		{"Burn rate over 1h and 6h by SLO and model", "A", burn},
		{"Burn rate over 1h and 6h by SLO and model", "B", burn},
	} {
		got := panelValues(ctx, t, prom, dq, c.panel, c.refID, by, sloMs)
		if !relEqual(got, c.want, tol) {
			t.Errorf("%s [%s]:\n  got  %v\n  want %v", c.panel, c.refID, fmtMap(got), fmtMap(c.want))
			continue
		}
		t.Logf("%s [%s] = %v", c.panel, c.refID, fmtMap(got))
	}

	for _, c := range []struct {
		panel string
		by    []string
		want  map[string]float64
	}{
		{"Failed calls against availability by model and reason", []string{"model", "reason"}, map[string]float64{
			modelGPT + "/rate_limit": 1 / w, modelClaude + "/provider_5xx": 1 / w, modelClaude + "/timeout": 1 / w,
			modelMini + "/connection": 1 / w,
		}},
		{"Calls slower than 10 s by model", []string{"model"}, map[string]float64{
			modelGPT: 0, modelClaude: 2 / w, modelMini: 0, "acme-internal-1": 0,
		}},
		{"Streamed calls with time to first token above 2 s by model", []string{"model"}, map[string]float64{
			modelGPT: 1 / w, modelClaude: 0, modelMini: 0,
		}},
	} {
		got := panelValues(ctx, t, prom, dq, c.panel, "A", c.by, evalMs)
		if !approxEqual(got, c.want, 1e-9) {
			t.Errorf("%s:\n  got  %v\n  want %v", c.panel, fmtMap(got), fmtMap(c.want))
			continue
		}
		t.Logf("%s = %v", c.panel, fmtMap(got))
	}

	// The alerts fire at the first evaluation of their group that reads the
	// recorded windows, which may come after evalMs: wait for them (no
	// other pair crosses its factor later, the ratios do not change).
	const alerts = "Firing burn-rate alerts"
	wantAlerts := map[string]float64{
		"LLMErrorBudgetBurn/" + modelGPT + "/1h/5m/critical":    1,
		"LLMErrorBudgetBurn/" + modelClaude + "/1h/5m/critical": 1,
	}
	var got map[string]float64
	poll(t, 30*time.Second, 250*time.Millisecond, "the firing burn-rate alerts", func() (bool, error) {
		got = panelValues(ctx, t, prom, dq, alerts, "A", []string{"alertname", "model", "long", "short", "severity"}, time.Now().UnixMilli())
		if !approxEqual(got, wantAlerts, 0) {
			return false, fmt.Errorf("%s = %v, want %v", alerts, fmtMap(got), fmtMap(wantAlerts))
		}
		return true, nil
	})
	t.Logf("%s = %v", alerts, fmtMap(got))
}

// relEqual reports whether got and want have the same keys and every value
// of got is within tol of want's, relative to it, plus 1e-12 (the rounding
// of a share of 1 - 1, e.g. 1 - histogram_fraction of a model without a
// slow call).
func relEqual(got, want map[string]float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || math.Abs(g-w) > tol*math.Abs(w)+1e-12 {
			return false
		}
	}
	return true
}

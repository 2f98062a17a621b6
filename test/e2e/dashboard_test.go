// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// dashboardQueries is dashboards/queries.json: every panel query of the
// Grafana dashboard with its variables substituted (job="otelcol-llm").
type dashboardQueries struct {
	// Substitutions are the variable values the queries were written with
	// (__rate_interval among them).
	Substitutions map[string]string
	Queries       []dashboardQuery
}

// dashboardQuery is one panel query of dashboards/queries.json.
type dashboardQuery struct {
	Row, Panel string
	RefID      string `json:"ref_id"`
	Expr       string
}

// readDashboardQueries reads dashboards/queries.json of the repository at
// root; it fails the test if the file lists fewer than 15 queries (the
// dashboard has more panels).
func readDashboardQueries(t *testing.T, root string) dashboardQueries {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "dashboards", "queries.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dq dashboardQueries
	if err := json.Unmarshal(raw, &dq); err != nil {
		t.Fatalf("dashboards/queries.json: %v", err)
	}
	if len(dq.Queries) < 15 {
		t.Fatalf("dashboards/queries.json lists %d queries, want every panel's", len(dq.Queries))
	}
	return dq
}

// dashboardExtraSpans adds to the scenario what only some panels show: a model
// without a price (unpriced requests), a call reporting prompt-cache and
// reasoning tokens, and a streamed call whose first token came after 2 s (a
// bad event of the ttft SLO).
func dashboardExtraSpans(td ptrace.Traces, base time.Time) {
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	ss.Scope().SetName("e2e-dashboard")
	for i, attrs := range []map[string]any{
		{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "acme",
			"gen_ai.request.model": "acme-internal-1", "llm.template": tplSummarize,
			"gen_ai.usage.input_tokens": 70, "gen_ai.usage.output_tokens": 7,
		},
		{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": modelGPT, "llm.template": tplSummarize,
			"gen_ai.usage.input_tokens": 900, "gen_ai.usage.output_tokens": 400,
			"gen_ai.usage.cache_read.input_tokens": 600, "gen_ai.usage.reasoning.output_tokens": 250,
		},
		{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": modelGPT, "llm.template": tplSummarize,
			"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 2.5,
			"gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 60,
		},
	} {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID([16]byte{0xda, 0x5b, byte(i + 1)}))
		sp.SetSpanID(pcommon.SpanID([8]byte{0xda, 0x5b, byte(i + 1)}))
		sp.SetName("chat")
		sp.SetKind(ptrace.SpanKindClient)
		start := base.Add(time.Duration(i) * time.Second)
		duration := 1200 * time.Millisecond
		if _, streamed := attrs["gen_ai.request.stream"]; streamed {
			duration = 3 * time.Second // longer than its time to first token
		}
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(duration)))
		if err := sp.Attributes().FromRaw(attrs); err != nil {
			panic(err)
		}
	}
}

// dashboardNoData are the panels whose series the e2e scenario does not
// create, with the reason: their queries must run and return nothing.
var dashboardNoData = map[string]string{
	"Budget remaining": "the e2e collector configures no budgets: no llm_budget_* series, no budget:* records",
	"Templates vs last week": "the _offset1w records read the template:* series of a week ago, " +
		"and this Prometheus started a minute ago",
}

// TestDashboardQueries runs every panel query of the dashboard against a real
// Prometheus that scrapes the collector and evaluates the rules of rules/,
// and requires data for each after the scenario (none for dashboardNoData).
// The spend panels by service and team must add up to the total spend; the
// panels of the rows Agents and tools and Quality show the exact values of
// agentTraffic (checkAgentsAndQuality), those of the row SLOs the SLOs of the
// calls sent (checkSLOs).
func TestDashboardQueries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	root := testproc.RepoRoot(t)
	dq := readDashboardQueries(t, root)

	c := startCollector(t)
	config := fmt.Sprintf(prometheusConfig, c.metricsPort) +
		"rule_files:\n  - " + filepath.Join(root, "rules", "*.yaml") + "\n"
	prom := startPrometheusWithConfig(t, config)
	var last int64
	poll(t, 30*time.Second, 100*time.Millisecond, "first successful scrape of the collector", func() (bool, error) {
		var err error
		last, err = prom.lastScrapeMs(ctx)
		return last > 0, err
	})

	base := time.Now().Add(-10 * time.Minute)
	td := buildTraces(0, base)
	dashboardExtraSpans(td, base)
	dashboardAgentSpans(td, base)
	// Send half a scrape interval after a scrape, so that every series keeps
	// its created-timestamp zero sample (see prometheus_test.go): the values
	// of checkAgentsAndQuality are exact.
	sendAt := time.UnixMilli(last + 500)
	for time.Until(sendAt) < 50*time.Millisecond {
		sendAt = sendAt.Add(time.Second)
	}
	time.Sleep(time.Until(sendAt)) // aligns the send with the scrape schedule; not a synchronization
	sendGRPC(ctx, t, c.grpcPort, td)
	sentMs := time.Now().UnixMilli()

	// Every panel query must return at least one sample once the scrape and
	// the recording rules have run (bounded by the deadline).
	byPanel := map[string]string{} // panel title -> expr of its first query
	for _, q := range dq.Queries {
		if _, ok := byPanel[q.Panel]; !ok {
			byPanel[q.Panel] = q.Expr
		}
		if _, ok := dashboardNoData[q.Panel]; ok {
			continue
		}
		name := fmt.Sprintf("%s / %s [%s]", q.Row, q.Panel, q.RefID)
		var n int
		poll(t, 45*time.Second, 250*time.Millisecond, "data for "+name, func() (bool, error) {
			res, err := prom.query(ctx, q.Expr, time.Now().UnixMilli())
			n = len(res)
			return n > 0, err
		})
		t.Logf("%-60s %d series", name, n)
	}

	// Now that every other panel has data (the recording rules ran), the
	// panels without data in this scenario run without error and return
	// nothing.
	nowMs := time.Now().UnixMilli()
	for panel, why := range dashboardNoData {
		if _, ok := byPanel[panel]; !ok {
			t.Errorf("dashboardNoData lists %q, which is not a panel of dashboards/queries.json", panel)
		}
		for _, q := range dq.Queries {
			if q.Panel != panel {
				continue
			}
			res, err := prom.query(ctx, q.Expr, nowMs)
			if err != nil || len(res) != 0 {
				t.Errorf("%s [%s] (%s): %d series, error %v; want no series and no error", panel, q.RefID, why, len(res), err)
			}
		}
	}

	checkSpendBreakdown(ctx, t, prom, byPanel, nowMs)

	// The agents, tools, guardrails and evaluations, at the latest scrape
	// (after the send: every panel above has data).
	evalMs, err := prom.lastScrapeMs(ctx)
	if err != nil || evalMs <= sentMs {
		t.Fatalf("last scrape at %d ms (error %v), want one after the send at %d ms", evalMs, err, sentMs)
	}
	checkAgentsAndQuality(ctx, t, prom, dq, evalMs)
	checkSLOs(ctx, t, prom, dq, evalMs)
}

// checkSpendBreakdown: at one evaluation time, the spend by service, its
// share and the spend by team add up to Spend in the time range; every
// series names its service / team, "(no <label> dimension)" when the
// collector does not configure it (this e2e collector configures no team
// dimension); the top calls by cost per request are at most 10, each naming
// its service, model and template.
func checkSpendBreakdown(ctx context.Context, t *testing.T, prom *promServer, byPanel map[string]string, evalMs int64) {
	t.Helper()
	values := func(panel string) []promSample {
		t.Helper()
		expr, ok := byPanel[panel]
		if !ok {
			t.Fatalf("no panel %q in dashboards/queries.json", panel)
		}
		res, err := prom.query(ctx, expr, evalMs)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	sum := func(res []promSample) float64 {
		t.Helper()
		total := 0.0
		for _, s := range res {
			_, v, err := pointMs(s.Value)
			if err != nil {
				t.Fatal(err)
			}
			total += v
		}
		return total
	}
	total := values("Spend in the time range")
	if len(total) != 1 {
		t.Fatalf("Spend in the time range: %d series, want 1", len(total))
	}
	want := sum(total)
	if want <= 0 {
		t.Fatalf("Spend in the time range = %v, want the scenario's cost", want)
	}
	for panel, label := range map[string]string{
		"Spend by service":          "service",
		"Share of spend by service": "service",
		"Spend by team":             "team",
	} {
		res := values(panel)
		got := sum(res)
		t.Logf("%s: %d series adding up to %v USD (Spend in the time range: %v)", panel, len(res), got, want)
		if math.Abs(got-want) > 1e-9*want {
			t.Errorf("%s adds up to %v, Spend in the time range is %v", panel, got, want)
		}
		for _, s := range res {
			if s.Metric[label] == "" {
				t.Errorf("%s: series %v has no %s", panel, s.Metric, label)
			}
		}
		if label == "team" && (len(res) != 1 || res[0].Metric["team"] != "(no team dimension)") {
			t.Errorf("%s: %v, want one series team=\"(no team dimension)\"", panel, res)
		}
	}
	top := values("Top calls by cost per request")
	if len(top) == 0 || len(top) > 10 {
		t.Errorf("Top calls by cost per request: %d series, want 1 to 10", len(top))
	}
	for _, s := range top {
		if s.Metric["service"] == "" || s.Metric["model"] == "" || s.Metric["template"] == "" {
			t.Errorf("Top calls by cost per request: series %v lacks service, model or template", s.Metric)
		}
	}
}

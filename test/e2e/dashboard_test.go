// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
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
	Queries []struct {
		Row, Panel string
		RefID      string `json:"ref_id"`
		Expr       string
	}
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
// without a price (unpriced requests) and a call reporting prompt-cache and
// reasoning tokens.
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
	} {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID([16]byte{0xda, 0x5b, byte(i + 1)}))
		sp.SetSpanID(pcommon.SpanID([8]byte{0xda, 0x5b, byte(i + 1)}))
		sp.SetName("chat")
		sp.SetKind(ptrace.SpanKindClient)
		start := base.Add(time.Duration(i) * time.Second)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(1200 * time.Millisecond)))
		if err := sp.Attributes().FromRaw(attrs); err != nil {
			panic(err)
		}
	}
}

// TestDashboardQueries runs every panel query of the dashboard against a real
// Prometheus that scrapes the collector and evaluates rules/llm-recording.yaml,
// and requires data for each after the scenario.
func TestDashboardQueries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	root := testproc.RepoRoot(t)
	dq := readDashboardQueries(t, root)

	c := startCollector(t)
	config := fmt.Sprintf(prometheusConfig, c.metricsPort) +
		"rule_files:\n  - " + filepath.Join(root, "rules", "llm-recording.yaml") + "\n"
	prom := startPrometheusWithConfig(t, config)
	poll(t, 30*time.Second, 100*time.Millisecond, "first successful scrape of the collector", func() (bool, error) {
		last, err := prom.lastScrapeMs(ctx)
		return last > 0, err
	})

	base := time.Now().Add(-10 * time.Minute)
	td := buildTraces(0, base)
	dashboardExtraSpans(td, base)
	sendGRPC(ctx, t, c.grpcPort, td)

	// Every panel query must return at least one sample once the scrape and
	// the recording rules have run (bounded by the deadline).
	for _, q := range dq.Queries {
		name := fmt.Sprintf("%s / %s [%s]", q.Row, q.Panel, q.RefID)
		var n int
		poll(t, 45*time.Second, 250*time.Millisecond, "data for "+name, func() (bool, error) {
			res, err := prom.query(ctx, q.Expr, time.Now().UnixMilli())
			n = len(res)
			return n > 0, err
		})
		t.Logf("%-60s %d series", name, n)
	}
}

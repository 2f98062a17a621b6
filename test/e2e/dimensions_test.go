// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// The multi-service scenario: 17 LLM calls from four resources (services a, b,
// c and one without service.name), five providers spelled the semconv ≥1.37
// and ≤1.36 ways (or not at all), tenants from tenant.id, enduser.id and
// user.id on the span or the resource, errors and span-reported costs, sent to
// a collector with the dimensions service, provider and a tenant capped at 3
// values, a label set cap of 11 and five budgets. A real Prometheus scrapes
// the llm_* series and the collector's own metrics, evaluates every rules/*.yaml
// every second, and every answer is compared exactly with what the calls below
// imply.
//
// Each call states its raw labels (what an uncapped collector would show) and
// which of them it folds into "other" and why, as the exporter documents it:
//   - a dimension past its max_values folds on its own (tenant: t1, t2 and t3
//     are admitted in arrival order, t4 and t5 are "other");
//   - a NEW label set past labels::max_label_sets folds the least significant
//     label first: tenant, then provider, then service, each time looking for
//     an existing label set, and only then the template; the model stays.
// The calls are sent one export each, in order, so the arrival order is fixed.
// Costs are carried by the spans (gen_ai.usage.cost) and are binary fractions,
// so every sum is exact; the price table is off, so a call without a cost is
// unpriced.

// dimsResources are the resources of the scenario.
var dimsResources = []map[string]any{
	{"service.name": "a"},
	{"service.name": "b"},
	{"service.name": "c", "tenant.id": "t2"}, // the tenant on the resource
	{"host.name": "batch-7"},                 // no service.name: service "unknown"
}

// dimsLabels are the label values of a call beside its status: model, template
// and the three dimensions.
type dimsLabels struct {
	model, template, service, provider, tenant string
}

func (l dimsLabels) get(name string) string {
	switch name {
	case "model":
		return l.model
	case "template":
		return l.template
	case "service":
		return l.service
	case "provider":
		return l.provider
	case "tenant":
		return l.tenant
	}
	panic("no label " + name)
}

// dimsCall is one call of the scenario and what it must count as.
type dimsCall struct {
	resource int
	attrs    map[string]any // besides gen_ai.operation.name=chat
	status   ptrace.StatusCode
	message  string
	prompt   int64   // gen_ai.usage.input_tokens (0: absent)
	compl    int64   // gen_ai.usage.output_tokens (0: absent)
	cost     float64 // gen_ai.usage.cost (0: absent, the call is unpriced)

	raw    dimsLabels // the labels before any folding (what budgets match)
	reason string     // error reason, "" for a success
	// folded are the labels folded into "other" (label_overflow{label});
	// labelSet: by the label set cap (label_set_overflow).
	folded   []string
	labelSet bool
	invalid  bool // a dimension attribute of a type without a string form
}

// labels are the labels the call is counted under.
func (c *dimsCall) labels() dimsLabels {
	l := c.raw
	for _, f := range c.folded {
		switch f {
		case "template":
			l.template = "other"
		case "service":
			l.service = "other"
		case "provider":
			l.provider = "other"
		case "tenant":
			l.tenant = "other"
		default:
			panic("cannot fold " + f)
		}
	}
	return l
}

func (c *dimsCall) statusLabel() string {
	if c.reason != "" {
		return "error"
	}
	return "success"
}

const (
	dimsMaxLabelSets = 11
	dimsTenantCap    = 3
)

// dimsExporterYAML is the llm_prometheus configuration of the scenario.
var dimsExporterYAML = fmt.Sprintf(`    dimensions:
      - service
      - provider
      - label: tenant
        attributes: [tenant.id, enduser.id, user.id]
        default: none
        max_values: %d
    labels:
      max_label_sets: %d
    pricing:
      default_table: false
    budgets:
      - {name: team-a, match: {service: a}, period: daily, amount_usd: 1.5}
      - {name: azure, match: {provider: azure.ai.openai}, period: daily, amount_usd: 2}
      - {name: tenant-t2, match: {tenant: t2}, period: daily, amount_usd: 1}
      - {name: platform, period: monthly, amount_usd: 100}
      - {name: team-a-openai, match: {service: a, provider: openai}, period: monthly, amount_usd: 10}`,
	dimsTenantCap, dimsMaxLabelSets)

// dimsBudgets mirrors the budgets of dimsExporterYAML.
var dimsBudgets = []struct {
	name, period string
	match        map[string]string
	amount       float64
}{
	{"team-a", "daily", map[string]string{"service": "a"}, 1.5},
	{"azure", "daily", map[string]string{"provider": "azure.ai.openai"}, 2},
	{"tenant-t2", "daily", map[string]string{"tenant": "t2"}, 1},
	{"platform", "monthly", nil, 100},
	{"team-a-openai", "monthly", map[string]string{"service": "a", "provider": "openai"}, 10},
}

const (
	dimsGPT    = "gpt-4o"
	dimsClaude = "claude-sonnet-4"
	dimsHaiku  = "anthropic.claude-3-5-haiku"
)

var dimsCalls = []dimsCall{
	// Below the label set cap. Label sets 1-11 appear in this order.
	{ // 1: LS1; t1 is the first tenant admitted
		resource: 0, attrs: map[string]any{"gen_ai.provider.name": "openai", "gen_ai.request.model": dimsGPT, "tenant.id": "t1"},
		prompt: 100, compl: 50, cost: 0.25,
		raw: dimsLabels{dimsGPT, "none", "a", "openai", "t1"},
	},
	{ // 2: LS2; provider from gen_ai.system (semconv ≤1.36), tenant from enduser.id
		resource: 0, attrs: map[string]any{"gen_ai.system": "openai", "gen_ai.request.model": dimsGPT, "enduser.id": "t2"},
		prompt: 200, compl: 20, cost: 0.125,
		raw: dimsLabels{dimsGPT, "none", "a", "openai", "t2"},
	},
	{ // 3: LS1 again; tenant.id comes before user.id
		resource: 0, attrs: map[string]any{"gen_ai.provider.name": "openai", "gen_ai.request.model": dimsGPT, "user.id": "u-9", "tenant.id": "t1"},
		prompt: 50, compl: 5, cost: 0.25,
		raw: dimsLabels{dimsGPT, "none", "a", "openai", "t1"},
	},
	{ // 4: LS3; tenant from user.id: t3 fills the tenant cap
		resource: 1, attrs: map[string]any{"gen_ai.provider.name": "azure.ai.openai", "gen_ai.request.model": dimsGPT, "user.id": "t3"},
		prompt: 300, compl: 30, cost: 0.5,
		raw: dimsLabels{dimsGPT, "none", "b", "azure.ai.openai", "t3"},
	},
	{ // 5: LS4; az.ai.openai (semconv ≤1.36) is azure.ai.openai; t4 is past the tenant cap
		resource: 1, attrs: map[string]any{"gen_ai.system": "az.ai.openai", "gen_ai.request.model": dimsGPT, "tenant.id": "t4", "error.type": "RateLimitError"},
		status: ptrace.StatusCodeError, message: "Error code: 429 - Rate limit reached",
		raw: dimsLabels{dimsGPT, "none", "b", "azure.ai.openai", "t4"}, reason: "rate_limit", folded: []string{"tenant"},
	},
	{ // 6: LS5; no tenant: none
		resource: 1, attrs: map[string]any{"gen_ai.system": "az.ai.openai", "gen_ai.request.model": dimsGPT, "error.type": "InternalServerError", "http.response.status_code": 500},
		status: ptrace.StatusCodeError, message: "Internal server error", prompt: 40,
		raw: dimsLabels{dimsGPT, "none", "b", "azure.ai.openai", "none"}, reason: "provider_5xx",
	},
	{ // 7: LS6; the tenant from the resource
		resource: 2, attrs: map[string]any{"gen_ai.provider.name": "anthropic", "gen_ai.request.model": dimsClaude},
		prompt: 400, compl: 100, cost: 1,
		raw: dimsLabels{dimsClaude, "none", "c", "anthropic", "t2"},
	},
	{ // 8: LS7; a map-valued tenant.id is refused (invalid_values{cause=dimension}): none
		resource: 0, attrs: map[string]any{"gen_ai.provider.name": "anthropic", "gen_ai.request.model": dimsClaude, "tenant.id": map[string]any{"id": "t1"}},
		prompt: 10, compl: 10, cost: 0.0625,
		raw: dimsLabels{dimsClaude, "none", "a", "anthropic", "none"}, invalid: true,
	},
	{ // 9: LS8; no service.name: unknown; t5 past the tenant cap
		resource: 3, attrs: map[string]any{"gen_ai.system": "aws.bedrock", "gen_ai.request.model": dimsHaiku, "tenant.id": "t5"},
		prompt: 80, compl: 8, cost: 0.375,
		raw: dimsLabels{dimsHaiku, "none", "unknown", "aws.bedrock", "t5"}, folded: []string{"tenant"},
	},
	{ // 10: LS9; no provider attribute: unknown
		resource: 0, attrs: map[string]any{"gen_ai.request.model": dimsGPT, "tenant.id": "t1"},
		prompt: 20, compl: 2, cost: 0.25,
		raw: dimsLabels{dimsGPT, "none", "a", "unknown", "t1"},
	},
	{ // 11: LS10 (a template); t4 past the tenant cap
		resource: 0, attrs: map[string]any{"gen_ai.provider.name": "openai", "gen_ai.request.model": dimsGPT, "llm.template": "summarize", "tenant.id": "t4"},
		prompt: 60, compl: 6, cost: 0.125,
		raw: dimsLabels{dimsGPT, "summarize", "a", "openai", "t4"}, folded: []string{"tenant"},
	},
	{ // 12: LS11: the label set cap is reached
		resource: 1, attrs: map[string]any{"gen_ai.provider.name": "openai", "gen_ai.request.model": dimsGPT, "tenant.id": "t3"},
		prompt: 70, compl: 7, cost: 0.25,
		raw: dimsLabels{dimsGPT, "none", "b", "openai", "t3"},
	},
	// At the label set cap.
	{ // 13: an existing label set (LS1): counted as is
		resource: 0, attrs: map[string]any{"gen_ai.provider.name": "openai", "gen_ai.request.model": dimsGPT, "tenant.id": "t1"},
		prompt: 100, compl: 10, cost: 0.25,
		raw: dimsLabels{dimsGPT, "none", "a", "openai", "t1"},
	},
	{ // 14: new label set: the tenant folds first and meets LS10; the template stays
		resource: 0, attrs: map[string]any{"gen_ai.provider.name": "openai", "gen_ai.request.model": dimsGPT, "llm.template": "summarize", "tenant.id": "t1"},
		prompt: 30, compl: 3, cost: 0.5,
		raw: dimsLabels{dimsGPT, "summarize", "a", "openai", "t1"}, folded: []string{"tenant"}, labelSet: true,
	},
	{ // 15: new label set that meets none: every dimension, then the template, folds (LS12)
		resource: 1, attrs: map[string]any{"gen_ai.provider.name": "openai", "gen_ai.request.model": dimsGPT, "tenant.id": "t2"},
		prompt: 90, compl: 9, cost: 0.125,
		raw: dimsLabels{dimsGPT, "none", "b", "openai", "t2"}, folded: []string{"tenant", "provider", "service", "template"}, labelSet: true,
	},
	{ // 16: the same for the other model (LS13): the model stays visible
		resource: 2, attrs: map[string]any{"gen_ai.provider.name": "anthropic", "gen_ai.request.model": dimsClaude, "llm.template": "classify"},
		prompt: 500, compl: 50, cost: 0.75,
		raw: dimsLabels{dimsClaude, "classify", "c", "anthropic", "t2"}, folded: []string{"tenant", "provider", "service", "template"}, labelSet: true,
	},
	{ // 17: the label set of call 15 again: folds the same way, into LS12
		resource: 1, attrs: map[string]any{"gen_ai.provider.name": "openai", "gen_ai.request.model": dimsGPT, "tenant.id": "t2", "error.type": "APITimeoutError"},
		status: ptrace.StatusCodeError, message: "Request timed out.",
		raw: dimsLabels{dimsGPT, "none", "b", "openai", "t2"}, reason: "timeout", folded: []string{"tenant", "provider", "service", "template"}, labelSet: true,
	},
}

// dimsTraces is call i as one export: its resource, one scope, one span.
func dimsTraces(i int, base time.Time) ptrace.Traces {
	c := &dimsCalls[i]
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	if err := rs.Resource().Attributes().FromRaw(dimsResources[c.resource]); err != nil {
		panic(err)
	}
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("e2e-dimensions")
	sp := ss.Spans().AppendEmpty()
	var tid pcommon.TraceID
	copy(tid[:], "otelcol-llm-dims")
	binary.BigEndian.PutUint32(tid[12:], uint32(i)+1)
	var sid pcommon.SpanID
	copy(sid[:], "dim!")
	binary.BigEndian.PutUint32(sid[4:], uint32(i)+1)
	sp.SetTraceID(tid)
	sp.SetSpanID(sid)
	sp.SetName("chat " + c.raw.model)
	sp.SetKind(ptrace.SpanKindClient)
	start := base.Add(time.Duration(i) * time.Second)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(800 * time.Millisecond)))
	attrs := map[string]any{"gen_ai.operation.name": "chat"}
	for k, v := range c.attrs {
		attrs[k] = v
	}
	if c.prompt > 0 {
		attrs["gen_ai.usage.input_tokens"] = c.prompt
	}
	if c.compl > 0 {
		attrs["gen_ai.usage.output_tokens"] = c.compl
	}
	if c.cost > 0 {
		attrs["gen_ai.usage.cost"] = c.cost
	}
	if err := sp.Attributes().FromRaw(attrs); err != nil {
		panic(fmt.Sprintf("call %d: %v", i+1, err))
	}
	sp.Status().SetCode(c.status)
	sp.Status().SetMessage(c.message)
	return td
}

// groupKey joins label values the way queryBy keys its results.
func groupKey(vals ...string) string { return strings.Join(vals, "/") }

// dimsSum sums f over the calls by the given labels (after folding), and by
// status for the label "status".
func dimsSum(by []string, f func(*dimsCall) float64) map[string]float64 {
	out := map[string]float64{}
	for i := range dimsCalls {
		c := &dimsCalls[i]
		l := c.labels()
		vals := make([]string, len(by))
		for j, b := range by {
			if b == "status" {
				vals[j] = c.statusLabel()
				continue
			}
			vals[j] = l.get(b)
		}
		out[groupKey(vals...)] += f(c)
	}
	return out
}

// queryBy runs q at evalMs and keys the samples by the values of the labels by.
func queryBy(ctx context.Context, prom *promServer, q string, evalMs int64, by ...string) (map[string]float64, error) {
	res, err := prom.query(ctx, q, evalMs)
	if err != nil {
		return nil, err
	}
	got := map[string]float64{}
	for _, s := range res {
		_, v, err := pointMs(s.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		vals := make([]string, len(by))
		for j, b := range by {
			vals[j] = s.Metric[b]
		}
		k := groupKey(vals...)
		if _, dup := got[k]; dup {
			return nil, fmt.Errorf("%s: two samples for %s", q, k)
		}
		got[k] = v
	}
	return got, nil
}

// assertQuery compares the answer of q, keyed by the labels by, with want exactly.
func assertQuery(ctx context.Context, t *testing.T, prom *promServer, q string, evalMs int64, want map[string]float64, by ...string) {
	t.Helper()
	got, err := queryBy(ctx, prom, q, evalMs, by...)
	if err != nil {
		t.Error(err)
		return
	}
	if !approxEqual(got, want, exact) {
		t.Errorf("%s:\n  got  %s\n  want %s", q, fmtMap(got), fmtMap(want))
		return
	}
	t.Logf("%s = %s", q, fmtMap(got))
}

// dimsPrometheusConfig scrapes the collector's own metrics (job
// otelcol-llm-self) every second, its llm_* series (job otelcol-llm) every
// 2 s, and evaluates the rule files every second: of two evaluations in a
// scrape interval at most one falls within spendMargin after the scrape
// (with both intervals at 1 s, a phase that put every evaluation just after
// a scrape left assertBudgetRules nothing to check).
const dimsPrometheusConfig = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: otelcol-llm
    scrape_interval: 2s
    scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0, PrometheusText0.0.4]
    static_configs:
      - targets: ["127.0.0.1:%d"]
  - job_name: otelcol-llm-self
    static_configs:
      - targets: ["127.0.0.1:%d"]
`

// shippedRules copies every rules/*.yaml into a temporary directory with each
// group's evaluation interval set to 1s (the shipped groups evaluate less
// often), and returns the copies and the names of the alerting rules.
func shippedRules(t *testing.T, root string) (files []string, alerts []string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "rules", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("rules/*.yaml: %v %v", paths, err)
	}
	dir := t.TempDir()
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Groups []map[string]any `yaml:"groups"`
		}
		if err = yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, g := range doc.Groups {
			g["interval"] = "1s"
			rules, _ := g["rules"].([]any)
			for _, r := range rules {
				if m, ok := r.(map[string]any); ok {
					if a, ok := m["alert"].(string); ok {
						alerts = append(alerts, a)
					}
				}
			}
		}
		out, err := yaml.Marshal(&doc)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, filepath.Base(p))
		if err := os.WriteFile(f, out, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files, alerts
}

// waitScrapeAfter waits for a successful scrape of job that started after
// afterMs and returns its timestamp.
func waitScrapeAfter(ctx context.Context, t *testing.T, prom *promServer, job string, afterMs int64) int64 {
	t.Helper()
	var at int64
	poll(t, 30*time.Second, 100*time.Millisecond, "a scrape of "+job+" after the sends", func() (bool, error) {
		ts, err := prom.lastJobScrapeMs(ctx, job)
		if ts > afterMs {
			at = ts
			return true, nil
		}
		return false, err
	})
	return at
}

// TestDimensionsScenario sends the multi-service scenario and checks, through a
// real Prometheus, the exact per-service, per-provider and per-tenant values,
// the folding past the tenant cap and the label set cap, the collector's own
// overflow and invalid-value counters, the budgets' limits and spend, and the
// shipped budget rules (recording rules and LLMBudgetExceeded) on that data.
func TestDimensionsScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root := testproc.RepoRoot(t)

	c := startCollectorWith(t, dimsExporterYAML)
	ruleFiles, alerts := shippedRules(t, root)
	config := fmt.Sprintf(dimsPrometheusConfig, c.metricsPort, c.telemetryPort) +
		"rule_files:\n  - " + strings.Join(ruleFiles, "\n  - ") + "\n"
	prom := startPrometheusWithConfig(t, config)

	day, month := time.Now().UTC().Format(time.DateOnly), time.Now().UTC().Format("2006-01")
	base := time.Now().Add(-time.Minute)
	for i := range dimsCalls {
		sendGRPC(ctx, t, c.grpcPort, dimsTraces(i, base))
	}
	sentMs := time.Now().UnixMilli()
	if now := time.Now().UTC(); now.Format(time.DateOnly) != day {
		t.Skipf("the UTC day changed while the calls were sent (%s → %s): the budgets' windows split them; run again", day, now.Format(time.DateOnly))
	}
	evalMs := waitScrapeAfter(ctx, t, prom, promJob, sentMs)
	selfMs := waitScrapeAfter(ctx, t, prom, "otelcol-llm-self", sentMs)
	t.Logf("%d calls sent, one export each; evaluating the llm_* series at the scrape of %d ms", len(dimsCalls), evalMs)

	one := func(*dimsCall) float64 { return 1 }
	cost := func(c *dimsCall) float64 { return c.cost }
	prompt := func(c *dimsCall) float64 { return float64(c.prompt) }

	// Per service, per provider, per tenant and combined.
	assertQuery(ctx, t, prom, `sum by (service) (llm_requests_total)`, evalMs, dimsSum([]string{"service"}, one), "service")
	assertQuery(ctx, t, prom, `sum by (provider) (llm_requests_total)`, evalMs, dimsSum([]string{"provider"}, one), "provider")
	assertQuery(ctx, t, prom, `sum by (tenant) (llm_requests_total)`, evalMs, dimsSum([]string{"tenant"}, one), "tenant")
	assertQuery(ctx, t, prom, `sum by (service, provider, tenant, status) (llm_requests_total) > 0`, evalMs,
		dimsSum([]string{"service", "provider", "tenant", "status"}, one), "service", "provider", "tenant", "status")
	assertQuery(ctx, t, prom, `sum by (service) (llm_cost_usd_total)`, evalMs, dimsSum([]string{"service"}, cost), "service")
	assertQuery(ctx, t, prom, `sum by (provider) (llm_cost_usd_total)`, evalMs, dimsSum([]string{"provider"}, cost), "provider")
	assertQuery(ctx, t, prom, `sum by (tenant) (llm_cost_usd_total)`, evalMs, dimsSum([]string{"tenant"}, cost), "tenant")
	assertQuery(ctx, t, prom, `sum by (service, tenant) (llm_prompt_tokens_total)`, evalMs,
		dimsSum([]string{"service", "tenant"}, prompt), "service", "tenant")
	assertQuery(ctx, t, prom, `sum by (service, provider) (llm_request_duration_seconds_count)`, evalMs,
		dimsSum([]string{"service", "provider"}, one), "service", "provider")
	assertQuery(ctx, t, prom, `sum by (model, template, service, provider, tenant) (llm_requests_total)`, evalMs,
		dimsSum([]string{"model", "template", "service", "provider", "tenant"}, one), "model", "template", "service", "provider", "tenant")

	// The families labeled without the template: errors and unpriced calls.
	errs, unpriced := map[string]float64{}, map[string]float64{}
	for i := range dimsCalls {
		c := &dimsCalls[i]
		l := c.labels()
		if c.reason != "" {
			errs[groupKey(l.model, l.service, l.provider, l.tenant, c.reason)]++
		}
		if c.cost == 0 {
			unpriced[groupKey(l.model, l.service, l.provider, l.tenant)]++
		}
	}
	assertQuery(ctx, t, prom, `llm_errors_total > 0`, evalMs, errs, "model", "service", "provider", "tenant", "reason")
	assertQuery(ctx, t, prom, `llm_unpriced_requests_total`, evalMs, unpriced, "model", "service", "provider", "tenant")

	// The series budget: the label sets are the cap plus one all-"other" label
	// set per model that met the cap, each with its two status series.
	labelSets := dimsSum([]string{"model", "template", "service", "provider", "tenant"}, one)
	perModel := map[string]float64{}
	for k := range labelSets {
		perModel[strings.SplitN(k, "/", 2)[0]]++
	}
	overCap := map[string]bool{}
	for i := range dimsCalls {
		if c := &dimsCalls[i]; c.labelSet && slices.Contains(c.folded, "template") {
			overCap[c.raw.model] = true
		}
	}
	if want := dimsMaxLabelSets + len(overCap); len(labelSets) != want {
		t.Errorf("the scenario makes %d label sets, want max_label_sets %d + %d models past the cap", len(labelSets), dimsMaxLabelSets, len(overCap))
	}
	assertQuery(ctx, t, prom, `count(llm_requests_total)`, evalMs, map[string]float64{"": float64(2 * len(labelSets))})
	assertQuery(ctx, t, prom, `count by (model) (llm_requests_total{status="success"})`, evalMs, perModel, "model")
	assertQuery(ctx, t, prom, `count(count by (tenant) (llm_requests_total{tenant!~"none|other"}))`, evalMs,
		map[string]float64{"": dimsTenantCap})

	// The collector's own telemetry, through Prometheus.
	overflow := map[string]float64{}
	var setOverflow, invalid float64
	for i := range dimsCalls {
		c := &dimsCalls[i]
		for _, f := range c.folded {
			overflow[f]++
		}
		if c.labelSet {
			setOverflow++
		}
		if c.invalid {
			invalid++
		}
	}
	self := `{job="otelcol-llm-self"}`
	assertQuery(ctx, t, prom, `sum by (label) (otelcol_exporter_llm_prometheus_label_overflow`+self+`)`, selfMs, overflow, "label")
	assertQuery(ctx, t, prom, `sum(otelcol_exporter_llm_prometheus_label_set_overflow`+self+`)`, selfMs, map[string]float64{"": setOverflow})
	assertQuery(ctx, t, prom, `sum by (cause) (otelcol_exporter_llm_prometheus_invalid_values`+self+`)`, selfMs,
		map[string]float64{"dimension": invalid}, "cause")
	assertQuery(ctx, t, prom, `sum(otelcol_exporter_llm_prometheus_calls`+self+`)`, selfMs, map[string]float64{"": float64(len(dimsCalls))})

	// Budgets: the configured limits, and the spend of each in its current
	// window, matched on the labels before any folding.
	limits, spend := map[string]float64{}, map[string]float64{}
	windows := map[string]string{}
	for _, b := range dimsBudgets {
		limits[groupKey(b.name, b.period)] = b.amount
		w := day
		if b.period == "monthly" {
			w = month
		}
		windows[b.name] = w
		var v float64
		for i := range dimsCalls {
			c := &dimsCalls[i]
			ok := true
			for label, value := range b.match {
				if c.raw.get(label) != value {
					ok = false
				}
			}
			if ok {
				v += c.cost
			}
		}
		spend[groupKey(b.name, b.period, w)] = v
	}
	assertQuery(ctx, t, prom, `llm_budget_limit_usd`, evalMs, limits, "budget", "period")
	assertQuery(ctx, t, prom, `llm_budget_cost_usd_total`, evalMs, spend, "budget", "period", "window")

	t.Run("budget rules", func(t *testing.T) {
		if !slices.Contains(alerts, "LLMBudgetExceeded") {
			t.Skipf("no alerting rule LLMBudgetExceeded in rules/*.yaml yet (alerts: %v): the budget rules are not merged", alerts)
		}
		assertBudgetRules(ctx, t, prom, limits, spend)
	})
}

// assertBudgetRules checks the shipped budget rules on the scenario's data:
// budget:llm_budget_limit_usd:max is every budget's limit;
// budget:llm_budget_spend_usd:period_to_date is every budget's spend, exactly
// as Prometheus' increase() extrapolates it from the stored samples (see
// promIncrease), the increase itself being the exact spend of the calls;
// budget:llm_budget_remaining_usd:period_to_date is the limit minus the spend
// of the same evaluation; LLMBudgetExceeded is active (pending or firing) for
// exactly the budgets whose spend reached their limit. limits is keyed
// budget/period, spend budget/period/window.
func assertBudgetRules(ctx context.Context, t *testing.T, prom *promServer, limits, spend map[string]float64) {
	t.Helper()
	wantSpend, wantLimit := map[string]float64{}, map[string]float64{}
	var exceeded []string
	for k, v := range spend {
		parts := strings.Split(k, "/")
		bp := groupKey(parts[0], parts[1])
		wantSpend[bp] = v
		wantLimit[bp] = limits[bp]
		if v >= limits[bp] {
			exceeded = append(exceeded, parts[0])
		}
	}
	sort.Strings(exceeded)
	if len(exceeded) == 0 || len(exceeded) == len(spend) {
		t.Fatalf("the scenario must exceed some budgets and not others: exceeded %v of %v", exceeded, spend)
	}

	var limit map[string]float64
	poll(t, 30*time.Second, 250*time.Millisecond, "budget:llm_budget_limit_usd:max of every budget", func() (bool, error) {
		var err error
		if limit, err = queryBy(ctx, prom, `budget:llm_budget_limit_usd:max{job="otelcol-llm"}`, time.Now().UnixMilli(), "budget", "period"); err != nil {
			return false, err
		}
		if !approxEqual(limit, wantLimit, exact) {
			return false, fmt.Errorf("got %s, want %s", fmtMap(limit), fmtMap(wantLimit))
		}
		return true, nil
	})
	t.Logf("budget:llm_budget_limit_usd:max = %s", fmtMap(limit))

	// The spend rule, per budget: its latest evaluation T whose inputs are
	// certain (no scrape started within spendMargin before T, whose sample
	// the rule may not have seen yet), against increase() computed here from
	// the counter's samples in the rule's range at T.
	const spendMargin = 100 // ms
	ranges := map[string]string{"daily": "1d", "monthly": "31d"}
	checked := map[string]string{}
	poll(t, 30*time.Second, 250*time.Millisecond, "budget:llm_budget_spend_usd:period_to_date of every budget", func() (bool, error) {
		now := time.Now().UnixMilli()
		for bp, v := range wantSpend {
			if checked[bp] != "" {
				continue
			}
			parts := strings.Split(bp, "/")
			sel := fmt.Sprintf(`{job="otelcol-llm",budget=%q,period=%q}`, parts[0], parts[1])
			rec, err := prom.query(ctx, `budget:llm_budget_spend_usd:period_to_date`+sel+`[20s]`, now)
			if err != nil || len(rec) != 1 {
				return false, fmt.Errorf("%s: %d series (%w)", bp, len(rec), err)
			}
			rem, err := prom.query(ctx, `budget:llm_budget_remaining_usd:period_to_date`+sel+`[20s]`, now)
			if err != nil || len(rem) != 1 {
				return false, fmt.Errorf("%s: remaining: %d series (%w)", bp, len(rem), err)
			}
			remaining := map[int64]float64{}
			for _, p := range rem[0].Values {
				ts, r, err := pointMs(p)
				if err != nil {
					return false, err
				}
				remaining[ts] = r
			}
			for i := len(rec[0].Values) - 1; i >= 0; i-- {
				evalMs, got, err := pointMs(rec[0].Values[i])
				if err != nil {
					return false, err
				}
				res, err := prom.query(ctx, `llm_budget_cost_usd_total`+sel+`[`+ranges[parts[1]]+`]`, evalMs)
				if err != nil || len(res) != 1 {
					return false, fmt.Errorf("%s: the counter at %d: %d series (%w)", bp, evalMs, len(res), err)
				}
				lastMs, _, err := pointMs(res[0].Values[len(res[0].Values)-1])
				if err != nil {
					return false, err
				}
				if evalMs-lastMs < spendMargin {
					continue // a scrape just before T: the rule may not have seen it
				}
				rangeMs := map[string]int64{"daily": 86_400_000, "monthly": 31 * 86_400_000}[parts[1]]
				want, increase, err := promIncrease(res[0].Values, evalMs-rangeMs, evalMs)
				if err != nil {
					return false, fmt.Errorf("%s: %w", bp, err)
				}
				if increase != v {
					return false, fmt.Errorf("%s at %d: the counter rose by %v in the range, want the spend %v", bp, evalMs, increase, v)
				}
				if !approxEqual(map[string]float64{"": got}, map[string]float64{"": want}, exact) {
					t.Errorf("%s at %d: budget:llm_budget_spend_usd:period_to_date = %v, want %v: the spend %v extrapolated by increase() over %d samples %v",
						bp, evalMs, got, want, v, len(res[0].Values), res[0].Values)
				}
				if r, ok := remaining[evalMs]; !ok || r != limits[bp]-got {
					t.Errorf("%s at %d: budget:llm_budget_remaining_usd:period_to_date = %v (present %v), want the limit %v - the spend %v",
						bp, evalMs, r, ok, limits[bp], got)
				}
				checked[bp] = fmt.Sprintf("%.9g (spend %v, %d samples, %d ms after the last)", got, v, len(res[0].Values), evalMs-lastMs)
				break
			}
			if checked[bp] == "" {
				return false, fmt.Errorf("%s: no evaluation of the spend rule clear of a scrape yet", bp)
			}
		}
		return true, nil
	})
	for _, bp := range slices.Sorted(maps.Keys(checked)) {
		t.Logf("budget:llm_budget_spend_usd:period_to_date{%s} = %s", bp, checked[bp])
	}

	var active []string
	poll(t, 30*time.Second, 250*time.Millisecond, "LLMBudgetExceeded active for "+strings.Join(exceeded, ", "), func() (bool, error) {
		res, err := prom.query(ctx, `ALERTS{alertname="LLMBudgetExceeded"}`, time.Now().UnixMilli())
		active = active[:0]
		var budgets []string
		for _, s := range res {
			active = append(active, s.Metric["budget"]+" ("+s.Metric["alertstate"]+")")
			budgets = append(budgets, s.Metric["budget"])
		}
		sort.Strings(active)
		sort.Strings(budgets)
		if err == nil && !slices.Equal(budgets, exceeded) {
			err = fmt.Errorf("active for %v, want %v", active, exceeded)
		}
		return err == nil, err
	})
	t.Logf(`ALERTS{alertname="LLMBudgetExceeded"}: %v; none for the budgets under their limit`, active)
}

// promIncrease is Prometheus' increase() (v0.316.0, promql extrapolatedRate
// for a float counter, no start timestamps) of the samples of one series in
// the range (startMs, endMs]: the raw increase (last - first, plus the value
// before each reset) extrapolated to the range's ends when the first or last
// sample is within 1.1 average sample intervals of them (else by half an
// interval), never to the left of the counter's zero point. It also returns
// the raw increase.
func promIncrease(points [][2]any, startMs, endMs int64) (extrapolated, increase float64, err error) {
	if len(points) < 2 {
		return 0, 0, fmt.Errorf("%d samples: increase() needs 2", len(points))
	}
	ts := make([]int64, len(points))
	vs := make([]float64, len(points))
	for i, p := range points {
		if ts[i], vs[i], err = pointMs(p); err != nil {
			return 0, 0, err
		}
	}
	n := len(points) - 1
	increase = vs[n] - vs[0]
	for i := 1; i <= n; i++ {
		if vs[i] < vs[i-1] {
			increase += vs[i-1]
		}
	}
	durationToStart := float64(ts[0]-startMs) / 1000
	durationToEnd := float64(endMs-ts[n]) / 1000
	sampled := float64(ts[n]-ts[0]) / 1000
	avg := sampled / float64(n)
	threshold := avg * 1.1
	if durationToStart >= threshold {
		durationToStart = avg / 2
	}
	durationToZero := durationToStart
	if increase > 0 && vs[0] >= 0 {
		durationToZero = sampled * (vs[0] / increase)
	}
	if durationToZero < durationToStart {
		durationToStart = durationToZero
	}
	if durationToEnd >= threshold {
		durationToEnd = avg / 2
	}
	factor := 1.0
	if sampled != 0 {
		factor = (sampled + durationToStart + durationToEnd) / sampled
	}
	return increase * factor, increase, nil
}

// TestShippedConfigDimensions runs the shipped configurations config/otelcol.yaml
// and config/container.yaml (the image's), only their listeners moved to free
// loopback ports, and checks every llm_* series of the scenario exactly with
// their dimensions service and provider (sendScenarioChecked).
func TestShippedConfigDimensions(t *testing.T) {
	for _, file := range []string{"otelcol.yaml", "container.yaml"} {
		t.Run(file, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			n := newReplica(t, file, file)
			startAll(t, n)
			c := &collector{grpcPort: n.grpcPort, httpPort: n.httpPort, metricsPort: n.metricsPort, healthPort: n.healthPort, telemetryPort: n.telemetryPort}
			sendScenarioChecked(ctx, t, c, "config/"+file, true)
		})
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package dashboards

// Which labels a series can carry: the exporter's metrics by the metric
// contract, a recording rule by what its expression keeps. The dashboard
// must filter a selector on every variable whose label its series carry, and
// on no other (a selection would leave such a panel empty).

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// targetLabels are the labels Prometheus adds to every scraped series.
var targetLabels = []string{"job", "instance"}

// dimensionLabels are the labels of the configurable dimensions the dashboard
// reads: the presets service, provider and tenant (the shipped configuration
// enables service and provider) and team, the users' own dimension of the
// Spend by team panel. Every per-call family carries them when configured.
var dimensionLabels = []string{"service", "provider", "tenant", "team"}

// perCallMetrics are the exporter's per-call families (the metric contract)
// with their labels beyond the target labels and the dimensions. Histograms
// are listed by base name; their _bucket series add le.
var perCallMetrics = map[string][]string{
	"llm_requests_total":                     {"model", "template", "status"},
	"llm_request_duration_seconds":           {"model", "template"},
	"llm_time_to_first_token_seconds":        {"model", "template"},
	"llm_time_per_output_token_seconds":      {"model", "template"},
	"llm_prompt_tokens_total":                {"model", "template"},
	"llm_completion_tokens_total":            {"model", "template"},
	"llm_cached_prompt_tokens_total":         {"model", "template"},
	"llm_cache_creation_prompt_tokens_total": {"model", "template"},
	"llm_reasoning_tokens_total":             {"model", "template"},
	"llm_cost_usd_total":                     {"model", "template"},
	"llm_cost_reported_usd_total":            {"model", "template"},
	"llm_errors_total":                       {"model", "reason"},
	"llm_unpriced_requests_total":            {"model"},
	"llm_finish_reasons_total":               {"model", "finish_reason"},
	"llm_stream_interruptions_total":         {"model"},
}

// budgetMetrics are the exporter's budget families, and agentMetrics its
// agent, tool, guardrail and evaluation families: no call dimension, no model
// and no template, only the target labels and their own.
var (
	budgetMetrics = map[string][]string{
		"llm_budget_limit_usd":      {"budget", "period"},
		"llm_budget_cost_usd_total": {"budget", "period", "window"},
	}
	agentMetrics = map[string][]string{
		"llm_tool_calls_total":         {"tool", "status"},
		"llm_tool_duration_seconds":    {"tool"},
		"llm_agent_invocations_total":  {"agent", "status"},
		"llm_agent_duration_seconds":   {"agent"},
		"llm_agent_model_calls":        {"agent"},
		"llm_agent_tool_calls":         {"agent"},
		"llm_guardrail_results_total":  {"guardrail", "result"},
		"llm_evaluation_score":         {"evaluation"},
		"llm_evaluation_results_total": {"evaluation", "label"},
	}
)

// histograms are the histogram families of perCallMetrics and agentMetrics:
// their classic series add the suffixes _bucket (with le), _sum and _count.
var histograms = setOf(
	"llm_request_duration_seconds", "llm_time_to_first_token_seconds", "llm_time_per_output_token_seconds",
	"llm_tool_duration_seconds", "llm_agent_duration_seconds", "llm_agent_model_calls",
	"llm_agent_tool_calls", "llm_evaluation_score",
)

type labelSet map[string]bool

func setOf(names ...string) labelSet {
	s := labelSet{}
	for _, n := range names {
		s[n] = true
	}
	return s
}

// seriesLabels computes the labels of the series an expression returns.
type seriesLabels struct {
	rules  map[string]parser.Expr // recording rules by name
	static map[string][]string    // the labels: of each recording rule (Sloth's sloth_*)
	memo   map[string]labelSet
	alerts []alertRule
}

// alertRule is an alerting rule of ../rules: the series of ALERTS it fires
// carry the labels of its expression, its labels:, alertname and alertstate.
type alertRule struct {
	name   string
	expr   parser.Expr
	labels []string
}

// newSeriesLabels reads the recording rules of every rule file in ../rules.
func newSeriesLabels(t *testing.T) *seriesLabels {
	t.Helper()
	files, err := filepath.Glob("../rules/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule file in ../rules: %v", err)
	}
	s := &seriesLabels{rules: map[string]parser.Expr{}, static: map[string][]string{}, memo: map[string]labelSet{}}
	for _, f := range files {
		for _, r := range readRules(t, f) {
			if r.Alert != "" {
				e, err := promql.ParseExpr(r.Expr)
				if err != nil {
					t.Fatalf("%s: %s: %v", f, r.Alert, err)
				}
				s.alerts = append(s.alerts, alertRule{name: r.Alert, expr: e, labels: slices.Sorted(maps.Keys(r.Labels))})
			}
			if r.Record == "" {
				continue
			}
			e, err := promql.ParseExpr(r.Expr)
			if err != nil {
				t.Fatalf("%s: %s: %v", f, r.Record, err)
			}
			// The SLO rules record one name per SLI (sloth_slo tells them
			// apart): their expressions must keep the same labels.
			if prev, dup := s.rules[r.Record]; dup && !strings.HasPrefix(r.Record, "slo:") {
				t.Fatalf("%s: %s recorded twice", f, r.Record)
			} else if dup {
				s.rules[r.Record] = &parser.BinaryExpr{Op: parser.LOR, LHS: prev, RHS: e, VectorMatching: &parser.VectorMatching{Card: parser.CardManyToMany}}
				continue
			}
			s.rules[r.Record] = e
			s.static[r.Record] = slices.Sorted(maps.Keys(r.Labels))
		}
	}
	return s
}

// selector is the label set of a vector selector's series: those of its
// metric (see metric), or for ALERTS those of the alerting rules its
// alertname matcher selects.
func (s *seriesLabels) selector(vs *parser.VectorSelector) (labelSet, error) {
	if vs.Name != "ALERTS" {
		return s.metric(vs.Name)
	}
	m := matcher(vs.LabelMatchers, "alertname")
	out := setOf("alertname", "alertstate")
	n := 0
	for _, a := range s.alerts {
		if m != nil && !m.Matches(a.name) {
			continue
		}
		n++
		l, err := s.of(a.expr)
		if err != nil {
			return nil, fmt.Errorf("alert %s: %w", a.name, err)
		}
		maps.Copy(out, l)
		for _, name := range a.labels {
			out[name] = true
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%s selects no alerting rule of ../rules", vs)
	}
	return out, nil
}

// metric is the label set of a metric name: an exporter metric or a
// recording rule.
func (s *seriesLabels) metric(name string) (labelSet, error) {
	if l, ok := s.memo[name]; ok {
		if l == nil {
			return nil, fmt.Errorf("recording rule %s reads itself", name)
		}
		return l, nil
	}
	if e, ok := s.rules[name]; ok {
		s.memo[name] = nil // cycle guard
		l, err := s.of(e)
		if err != nil {
			delete(s.memo, name) // a rule that reads it fails on the same error, not as a cycle
			return nil, fmt.Errorf("recording rule %s: %w", name, err)
		}
		for _, static := range s.static[name] {
			l[static] = true
		}
		s.memo[name] = l
		return l, nil
	}
	base, bucket := name, false
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if b, ok := strings.CutSuffix(name, suffix); ok && histograms[b] {
			base, bucket = b, suffix == "_bucket"
		}
	}
	perCall, isPerCall := perCallMetrics[base]
	own, isOwn := budgetMetrics[base]
	if !isOwn {
		own, isOwn = agentMetrics[base]
	}
	var l labelSet
	switch {
	case isPerCall:
		l = setOf(append(append(slices.Clone(targetLabels), dimensionLabels...), perCall...)...)
	case isOwn:
		l = setOf(append(slices.Clone(targetLabels), own...)...)
	default:
		return nil, fmt.Errorf("%s is neither an llm_* metric nor a recording rule of ../rules", name)
	}
	if bucket {
		l["le"] = true
	}
	return l, nil
}

// of returns the labels the series of e can carry, following PromQL's rules:
// an aggregation keeps its by labels (or drops its without labels), a
// one-to-one binary operation keeps the left side's labels (only the on
// labels, or without the ignoring labels), group_left/right add the include
// labels, `or` returns either side's series, label_replace/label_join add
// their target label, histogram_quantile drops le.
func (s *seriesLabels) of(e parser.Expr) (labelSet, error) {
	switch n := e.(type) {
	case *parser.VectorSelector:
		return s.selector(n)
	case *parser.MatrixSelector:
		return s.of(n.VectorSelector)
	case *parser.SubqueryExpr:
		return s.of(n.Expr)
	case *parser.ParenExpr:
		return s.of(n.Expr)
	case *parser.StepInvariantExpr:
		return s.of(n.Expr)
	case *parser.UnaryExpr:
		return s.of(n.Expr)
	case *parser.NumberLiteral, *parser.StringLiteral:
		return labelSet{}, nil
	case *parser.AggregateExpr:
		in, err := s.of(n.Expr)
		if err != nil {
			return nil, err
		}
		switch {
		case n.Op == parser.TOPK || n.Op == parser.BOTTOMK || n.Op == parser.LIMITK || n.Op == parser.LIMIT_RATIO:
			return in, nil // a selection of the input series
		case n.Without:
			out := maps.Clone(in)
			for _, g := range n.Grouping {
				delete(out, g)
			}
			return out, nil
		default:
			out := labelSet{}
			for _, g := range n.Grouping {
				if in[g] {
					out[g] = true
				}
			}
			if n.Op == parser.COUNT_VALUES {
				if sl, ok := n.Param.(*parser.StringLiteral); ok {
					out[sl.Val] = true
				}
			}
			return out, nil
		}
	case *parser.Call:
		return s.call(n)
	case *parser.BinaryExpr:
		return s.binary(n)
	}
	return nil, fmt.Errorf("no label rule for %T %s", e, e)
}

func (s *seriesLabels) call(n *parser.Call) (labelSet, error) {
	switch n.Func.Name {
	case "label_replace", "label_join":
		in, err := s.of(n.Args[0])
		if err != nil {
			return nil, err
		}
		out := maps.Clone(in)
		if dst, ok := n.Args[1].(*parser.StringLiteral); ok {
			out[dst.Val] = true
		}
		return out, nil
	case "histogram_quantile", "histogram_fraction":
		in, err := s.of(n.Args[len(n.Args)-1])
		if err != nil {
			return nil, err
		}
		out := maps.Clone(in)
		delete(out, "le")
		return out, nil
	}
	// Any other function returns the series of its (first) vector or matrix
	// argument, or none (time(), vector(), scalar()).
	for _, a := range n.Args {
		if t := a.Type(); t == parser.ValueTypeVector || t == parser.ValueTypeMatrix {
			if n.Func.ReturnType == parser.ValueTypeScalar {
				return labelSet{}, nil
			}
			return s.of(a)
		}
	}
	return labelSet{}, nil
}

func (s *seriesLabels) binary(n *parser.BinaryExpr) (labelSet, error) {
	lhs, err := s.of(n.LHS)
	if err != nil {
		return nil, err
	}
	rhs, err := s.of(n.RHS)
	if err != nil {
		return nil, err
	}
	lVec, rVec := n.LHS.Type() == parser.ValueTypeVector, n.RHS.Type() == parser.ValueTypeVector
	switch {
	case !lVec && !rVec:
		return labelSet{}, nil
	case !rVec:
		return lhs, nil
	case !lVec:
		return rhs, nil
	}
	m := n.VectorMatching
	switch n.Op {
	case parser.LOR:
		out := maps.Clone(lhs)
		maps.Copy(out, rhs)
		return out, nil
	case parser.LAND, parser.LUNLESS:
		return lhs, nil
	}
	base, other := lhs, rhs
	if m != nil && m.Card == parser.CardOneToMany {
		base, other = rhs, lhs
	}
	out := labelSet{}
	switch {
	case m == nil:
		out = maps.Clone(base)
	case m.Card == parser.CardOneToOne && m.On:
		for _, l := range m.MatchingLabels {
			if base[l] {
				out[l] = true
			}
		}
	case m.Card == parser.CardOneToOne:
		out = maps.Clone(base)
		for _, l := range m.MatchingLabels {
			delete(out, l)
		}
	default:
		out = maps.Clone(base)
	}
	if m != nil {
		for _, l := range m.Include {
			if other[l] {
				out[l] = true
			}
		}
	}
	return out, nil
}

// TestSeriesLabels pins the label computation on the constructs the rules and
// the dashboard use, with two recording rules of its own.
func TestSeriesLabels(t *testing.T) {
	sl := &seriesLabels{rules: map[string]parser.Expr{}, memo: map[string]labelSet{}}
	for name, expr := range map[string]string{
		"model:x:rate5m":    `sum without (instance, template, status) (rate(llm_requests_total[5m]))`,
		"budget:x:ratio":    `max without (instance) (llm_budget_limit_usd) / on (job, budget, period) sum without (instance, window) (llm_budget_cost_usd_total)`,
		"model:loop:rate5m": `model:loop:rate5m * 2`,
	} {
		sl.rules[name] = mustParse(t, expr)
	}
	perCall := []string{"job", "instance", "service", "provider", "tenant", "team", "model"}
	assertLabels(t, sl, map[string][]string{
		`llm_errors_total`:                    append(slices.Clone(perCall), "reason"),
		`llm_request_duration_seconds_bucket`: append(slices.Clone(perCall), "template", "le"),
		`histogram_quantile(0.95, sum by (le, model) (rate(llm_request_duration_seconds_bucket[5m])))`: {"model"},
		`histogram_quantile(0.95, sum by (model) (rate(llm_request_duration_seconds[5m])))`:            {"model"},
		`model:x:rate5m`: {"job", "service", "provider", "tenant", "team", "model"},
		`sum by (model, nosuch) (model:x:rate5m)`:     {"model"},
		`quantile_over_time(0.5, model:x:rate5m[1d])`: {"job", "service", "provider", "tenant", "team", "model"},
		`llm_time_to_first_token_seconds_count`:       append(slices.Clone(perCall), "template"),
		`llm_finish_reasons_total`:                    append(slices.Clone(perCall), "finish_reason"),
		`llm_tool_calls_total`:                        {"job", "instance", "tool", "status"},
		`llm_agent_model_calls_bucket`:                {"job", "instance", "agent", "le"},
		`llm_evaluation_score_sum`:                    {"job", "instance", "evaluation"},
		`sum by (finish_reason) (llm_finish_reasons_total) / ignoring (finish_reason) group_left sum(llm_finish_reasons_total)`:                                                         {"finish_reason"},
		`histogram_avg(sum by (agent) (rate(llm_agent_tool_calls[5m]))) or sum by (agent) (rate(llm_agent_tool_calls_sum[5m])) / sum by (agent) (rate(llm_agent_tool_calls_count[5m]))`: {"agent"},
		`budget:x:ratio`:             {"job", "budget", "period"},
		`3600 * sum(model:x:rate5m)`: {},
		`label_replace(sum by (team) (llm_cost_usd_total), "team", "x", "team", "")`:                {"team"},
		`sum by (model) (llm_errors_total) / ignoring (model) group_left (reason) llm_errors_total`: {"model", "reason"},
		`sum by (job) (llm_cost_usd_total) or sum by (model) (llm_cost_usd_total)`:                  {"job", "model"},
		`topk(10, sum by (service, model) (llm_cost_usd_total) > 0)`:                                {"service", "model"},
		`sum without (job) (llm_budget_cost_usd_total) and on (budget) llm_budget_limit_usd`:        {"instance", "budget", "period", "window"},
		`sum without (instance, status) (rate(llm_tool_calls_total[5m]))`:                           {"job", "tool"},
		`llm_evaluation_score_bucket`: {"job", "instance", "evaluation", "le"},
		`sum without (instance, template) (rate(llm_time_to_first_token_seconds_count[5m]))`: {"job", "service", "provider", "tenant", "team", "model"},
	})
	for _, expr := range []string{
		`model:loop:rate5m`, `llm_nosuch_total`, `sum(rate(model:nosuch:rate5m[5m]))`,
		`llm_requests_total_count`, `llm_tool_calls_total_bucket`, `llm_budget_limit_usd_sum`,
		`llm_requests_total_bucket`, `llm_tool_calls_total_count`,
	} {
		if got, err := sl.of(mustParse(t, expr)); err == nil {
			t.Errorf("%s: labels %v, want an error", expr, got)
		}
	}
}

// TestQueryProblemsCanFail: queryProblems reports a missing or wrong filter,
// a filter on a label the series never carry (a rule that aggregates a
// dimension away), a typo in a by label, a hand-written range and an
// unknown metric.
func TestQueryProblemsCanFail(t *testing.T) {
	sl := &seriesLabels{rules: map[string]parser.Expr{
		"model:nodims:rate5m": mustParse(t, `sum without (instance, template, status, service, provider, tenant, team) (rate(llm_requests_total[5m]))`),
	}, memo: map[string]labelSet{}}
	vars := substitutionSets["all"]
	const sel = `job="$job", instance=~"$instance", service=~"$service", provider=~"$provider", tenant=~"$tenant", model=~"$model"`
	for expr, want := range map[string][]string{
		`sum(rate(llm_unpriced_requests_total{` + sel + `}[$__rate_interval]))`: nil,
		`sum(rate(llm_unpriced_requests_total{job="$job", instance=~"$instance", provider=~"$provider", tenant=~"$tenant", model=~"$model"}[$__rate_interval]))`: {
			`llm_unpriced_requests_total does not filter service =~ "$service"`,
		},
		`sum(rate(llm_unpriced_requests_total{` + sel + `, template=~"$template"}[$__rate_interval]))`: {
			`llm_unpriced_requests_total filters template, a label its series never carry`,
		},
		`sum(rate(llm_unpriced_requests_total{job=~"$job", instance=~"$instance", service=~"$service", provider=~"$provider", tenant=~"$tenant", model=~"$model"}[$__rate_interval]))`: {
			`llm_unpriced_requests_total does not filter job = "$job"`,
		},
		`sum by (servic) (rate(llm_unpriced_requests_total{` + sel + `}[$__rate_interval]))`: {
			`sum by (servic): no series of rate(llm_unpriced_requests_total{instance=~".*",job="otelcol-llm",model=~".*",provider=~".*",service=~".*",tenant=~".*"}[17m]) carries servic`,
		},
		`sum(rate(llm_unpriced_requests_total{` + sel + `}[5m]))`: {`range [5m0s] is not $__rate_interval or $__range`},
		`sum(model:nodims:rate5m{job="$job", model=~"$model"})`:   nil,
		`sum(model:nodims:rate5m{job="$job", service=~"$service", model=~"$model"})`: {
			`model:nodims:rate5m filters service, a label its series never carry`,
		},
		`llm_budget_limit_usd{job="$job", instance=~"$instance", tenant=~"$tenant"}`: {
			`llm_budget_limit_usd filters tenant, a label its series never carry`,
		},
		`sum by (tool) (rate(llm_tool_calls_total{job="$job", instance=~"$instance"}[$__rate_interval]))`: nil,
		`sum by (tool) (rate(llm_tool_calls_total{job="$job", instance=~"$instance", model=~"$model", service=~"$service"}[$__rate_interval]))`: {
			`llm_tool_calls_total filters service, a label its series never carry`,
			`llm_tool_calls_total filters model, a label its series never carry`,
		},
		`sum by (agent) (rate(llm_agent_model_calls_count{job="$job"}[$__rate_interval]))`: {
			`llm_agent_model_calls_count does not filter instance =~ "$instance"`,
		},
		`sum by (model) (rate(llm_finish_reasons_total{` + sel + `, template=~"$template"}[$__rate_interval]))`: {
			`llm_finish_reasons_total filters template, a label its series never carry`,
		},
		`sum by (model) (rate(llm_evaluation_score_bucket{job="$job", instance=~"$instance"}[$__rate_interval]))`: {
			`sum by (model): no series of rate(llm_evaluation_score_bucket{instance=~".*",job="otelcol-llm"}[17m]) carries model`,
		},
		`llm_nosuch_total{job="$job"}`: {`llm_nosuch_total is neither an llm_* metric nor a recording rule of ../rules`},
	} {
		e, err := Substitute(expr, vars)
		if err != nil {
			t.Fatal(err)
		}
		if got := queryProblems(mustParse(t, e), vars, sl); !slices.Equal(got, want) {
			t.Errorf("%s:\n got problems %q\nwant %q", expr, got, want)
		}
	}
}

func mustParse(t *testing.T, expr string) parser.Expr {
	t.Helper()
	e, err := promql.ParseExpr(expr)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return e
}

// TestAlertsLabels: the labels of ALERTS are those of the alerting rules its
// alertname matcher selects; a panel on the burn-rate alerts must filter job
// and model, and may not filter a label only other alerts carry.
func TestAlertsLabels(t *testing.T) {
	sl := &seriesLabels{rules: map[string]parser.Expr{}, memo: map[string]labelSet{}, alerts: []alertRule{
		{name: "LLMErrorBudgetBurn", expr: mustParse(t, `sum by (job, model) (rate(llm_errors_total[5m])) > 1`), labels: []string{"long", "severity", "short"}},
		{name: "LLMToolErrorRate", expr: mustParse(t, `sum by (job, tool) (rate(llm_tool_calls_total[5m])) > 1`), labels: []string{"severity"}},
	}}
	assertLabels(t, sl, map[string][]string{
		`ALERTS{alertname=~"LLM.*BudgetBurn"}`: {"alertname", "alertstate", "job", "model", "long", "severity", "short"},
		`ALERTS{alertname="LLMToolErrorRate"}`: {"alertname", "alertstate", "job", "tool", "severity"},
		`ALERTS`:                               {"alertname", "alertstate", "job", "model", "tool", "long", "severity", "short"},
	})
	if got, err := sl.of(mustParse(t, `ALERTS{alertname="LLMNoSuchAlert"}`)); err == nil {
		t.Errorf("ALERTS of no alerting rule: labels %v, want an error", got)
	}
	vars := substitutionSets["all"]
	for expr, want := range map[string][]string{
		`ALERTS{alertname=~"LLM.*BudgetBurn", job="$job", model=~"$model"}`: nil,
		`ALERTS{alertname=~"LLM.*BudgetBurn", job="$job"}`:                  {`ALERTS does not filter model =~ "$model"`},
		`ALERTS{alertname=~"LLM.*BudgetBurn", job="$job", model=~"$model", instance=~"$instance"}`: {
			`ALERTS filters instance, a label its series never carry`,
		},
	} {
		e, err := Substitute(expr, vars)
		if err != nil {
			t.Fatal(err)
		}
		if got := queryProblems(mustParse(t, e), vars, sl); !slices.Equal(got, want) {
			t.Errorf("%s:\n got problems %q\nwant %q", expr, got, want)
		}
	}
}

// assertLabels checks the labels sl computes for each expression.
func assertLabels(t *testing.T, sl *seriesLabels, cases map[string][]string) {
	t.Helper()
	for expr, want := range cases {
		got, err := sl.of(mustParse(t, expr))
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if !maps.Equal(got, setOf(want...)) {
			t.Errorf("%s: labels %v, want %v", expr, slices.Sorted(maps.Keys(got)), want)
		}
	}
}

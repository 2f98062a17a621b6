// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

var promql = parser.NewParser(parser.Options{})

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// committed reads llm-overview.json and parses it strictly, then leniently
// (the strict decoder of SDK v0.0.22 drops the panel targets, see Parse).
func committed(t *testing.T) dashboard.Dashboard {
	t.Helper()
	raw := readFile(t, OverviewFile)
	if _, err := ParseStrict(raw); err != nil {
		t.Fatalf("%s: strict parse: %v", OverviewFile, err)
	}
	d, err := Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", OverviewFile, err)
	}
	return d
}

func TestCommittedFilesAreGenerated(t *testing.T) {
	want, err := OverviewJSON()
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, OverviewFile); !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generator's output: run `make dashboards` and commit the result", OverviewFile)
	}
	wantQ, err := QueriesJSON(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, QueriesFileName); !bytes.Equal(got, wantQ) {
		t.Errorf("%s differs from the generator's output: run `make dashboards` and commit the result", QueriesFileName)
	}
}

// TestStrictParseRejects shows that ParseStrict fails on what Grafana's schema
// does not know, at the dashboard, panel, field config and query level: the
// strict check of the committed file can fail.
func TestStrictParseRejects(t *testing.T) {
	raw := readFile(t, OverviewFile)
	for _, tc := range []struct{ name, old, new string }{
		{"dashboard field", `"uid": "otelcol-llm-overview",`, `"uid": "otelcol-llm-overview", "unknownField": 1,`},
		{"panel field", `"type": "timeseries",`, `"type": "timeseries", "unknownField": 1,`},
		{"query field", `"refId": "A"`, `"refId": "A", "unknownField": 1`},
		{"field config", `"fillOpacity": 10,`, `"fillOpacity": 10, "unknownField": 1,`},
		{"wrong type", `"schemaVersion": 42`, `"schemaVersion": "42"`},
		{"missing required field", `"schemaVersion": 42,`, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(raw, []byte(tc.old)) {
				t.Fatalf("%q not in %s", tc.old, OverviewFile)
			}
			bad := bytes.Replace(raw, []byte(tc.old), []byte(tc.new), 1)
			if _, err := ParseStrict(bad); err == nil {
				t.Errorf("ParseStrict accepted the dashboard with %s", tc.name)
			}
		})
	}
}

func TestDashboardShape(t *testing.T) {
	d := committed(t)
	if deref(d.Uid) != OverviewUID {
		t.Errorf("uid = %q, want %q", deref(d.Uid), OverviewUID)
	}
	// Grafana 11.0 writes schema 39, Grafana 12 41 and 42.
	if d.SchemaVersion < 39 {
		t.Errorf("schemaVersion %d is older than Grafana 11", d.SchemaVersion)
	}
	var rows []string
	for _, p := range d.Panels {
		if p.RowPanel != nil {
			rows = append(rows, deref(p.RowPanel.Title))
		}
	}
	if want := []string{"Health", "SLOs", "Cost", "Breakdown", "Spend by service / team", "Agents and tools", "Quality"}; !slices.Equal(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}
	if got, want := VariableNames(d), dashboardVariables; !slices.Equal(got, want) {
		t.Errorf("variables = %v, want %v", got, want)
	}
	for _, v := range d.Templating.List {
		switch v.Name {
		case "datasource":
			if v.Type != "datasource" || v.Query == nil || deref(v.Query.String) != "prometheus" {
				t.Errorf("datasource variable: type %q query %v, want a prometheus datasource variable", v.Type, v.Query)
			}
			continue
		case "instance", "service", "provider", "model", "template", "tenant":
			if !deref(v.Multi) || !deref(v.IncludeAll) || deref(v.AllValue) != ".*" {
				t.Errorf("variable %s: multi %v includeAll %v allValue %q, want multi-select with All = .*",
					v.Name, deref(v.Multi), deref(v.IncludeAll), deref(v.AllValue))
			}
		}
		if v.Type != "query" || v.Datasource == nil || deref(v.Datasource.Uid) != "${datasource}" {
			t.Errorf("variable %s: want a query variable on ${datasource}", v.Name)
		}
	}
	ids := map[uint32]bool{}
	for _, p := range d.Panels {
		var id uint32
		if p.Panel != nil {
			id = deref(p.Panel.Id)
		} else {
			id = p.RowPanel.Id
		}
		if id == 0 || ids[id] {
			t.Errorf("panel id missing or repeated: %d", id)
			continue
		}
		ids[id] = true
	}
}

func TestEveryPanelHasUnitDescriptionAndDatasource(t *testing.T) {
	d := committed(t)
	n := 0
	for _, pr := range d.Panels {
		p := pr.Panel
		if p == nil {
			continue
		}
		n++
		title := deref(p.Title)
		if strings.TrimSpace(deref(p.Description)) == "" {
			t.Errorf("panel %q has no description", title)
		}
		if p.FieldConfig == nil || deref(p.FieldConfig.Defaults.Unit) == "" {
			t.Errorf("panel %q has no unit", title)
		}
		if p.Datasource == nil || deref(p.Datasource.Uid) != "${datasource}" {
			t.Errorf("panel %q does not query the ${datasource} variable", title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", title)
		}
	}
	if n < 44 {
		t.Errorf("%d panels, want the 44 of the seven rows", n)
	}
}

// dashboardVariables are the dashboard's variables, in order. All but the
// data source filter the label of the same name.
var dashboardVariables = []string{"datasource", "job", "instance", "service", "provider", "model", "template", "tenant"}

// Substitution sets: the All value, and a multi-value selection (Grafana
// joins the values as a regex alternation, escaping the regex metacharacters
// with a backslash that it doubles for the PromQL string: azure\\.ai). The
// rate interval and range get durations no panel writes by hand, so the AST
// check can tell them apart.
var substitutionSets = map[string]map[string]string{
	"all": {
		"__rate_interval": "17m", "__interval": "1m", "__range": "19m",
		"job": "otelcol-llm", "instance": ".*", "service": ".*", "provider": ".*",
		"model": ".*", "template": ".*", "tenant": ".*",
	},
	"multi": {
		"__rate_interval": "17m", "__interval": "1m", "__range": "19m",
		"job": "otelcol-llm", "instance": "(10.0.0.1:8889|10.0.0.2:8889)",
		"service": "(chat-api|batch-worker)", "provider": `(openai|azure\\.ai\\.openai)`,
		"model": "(gpt-4o|claude-sonnet-4-5)", "template": "(summarize|none)", "tenant": "(acme|none)",
	},
}

func TestEveryQueryParsesAndFilters(t *testing.T) {
	d := committed(t)
	qs, err := PanelQueries(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 50 {
		t.Fatalf("%d queries found, want every panel's", len(qs))
	}
	sl := newSeriesLabels(t)
	for setName, vars := range substitutionSets {
		for _, q := range qs {
			expr, err := Substitute(q.Raw, vars)
			if err != nil {
				t.Errorf("%s / %s %s: %v", setName, q.Panel, q.RefID, err)
				continue
			}
			node, err := promql.ParseExpr(expr)
			if err != nil {
				t.Errorf("%s / %s %s: %v\n%s", setName, q.Panel, q.RefID, err, expr)
				continue
			}
			for _, problem := range queryProblems(node, vars, sl) {
				t.Errorf("%s / %s %s: %s", setName, q.Panel, q.RefID, problem)
			}
		}
	}
}

// queryProblems checks a parsed panel query: every range comes from
// $__rate_interval or $__range; every selector reads a known metric (the
// exporter's or a recording rule of ../rules) and filters on the dashboard
// variable of every label its series carry (job with =, the others with =~),
// and on no other; every `by` label of an aggregation is one its input can
// carry (a typo would show a single unlabelled series).
func queryProblems(node parser.Node, vars map[string]string, sl *seriesLabels) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	rateInterval, _ := time.ParseDuration(vars["__rate_interval"])
	rng, _ := time.ParseDuration(vars["__range"])
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			if r := n.Range; r != rateInterval && r != rng {
				bad("range [%s] is not $__rate_interval or $__range", r)
			}
		case *parser.VectorSelector:
			has, err := sl.selector(n)
			if err != nil {
				bad("%v", err)
				return nil
			}
			for _, v := range dashboardVariables[1:] {
				m := matcher(n.LabelMatchers, v)
				wantType := labels.MatchRegexp
				if v == "job" {
					wantType = labels.MatchEqual
				}
				want, err := strconv.Unquote(`"` + vars[v] + `"`) // the value the PromQL string holds
				if err != nil {
					bad("variable %s: %v", v, err)
				}
				switch {
				case has[v] && (m == nil || m.Value != want || m.Type != wantType):
					bad("%s does not filter %s %s \"$%s\"", n.Name, v, wantType, v)
				case !has[v] && m != nil:
					bad("%s filters %s, a label its series never carry", n.Name, v)
				}
			}
		case *parser.AggregateExpr:
			if n.Without {
				return nil
			}
			in, err := sl.of(n.Expr)
			if err != nil {
				bad("%v", err)
				return nil
			}
			for _, g := range n.Grouping {
				if !in[g] {
					bad("%s by (%s): no series of %s carries %s", n.Op, g, n.Expr, g)
				}
			}
		}
		return nil
	})
	return problems
}

func matcher(ms []*labels.Matcher, name string) *labels.Matcher {
	for _, m := range ms {
		if m.Name == name {
			return m
		}
	}
	return nil
}

var labelValues = regexp.MustCompile(`^label_values\((.+), (\w+)\)$`)

func TestVariableAndAnnotationQueriesParse(t *testing.T) {
	d := committed(t)
	vars := substitutionSets["multi"]
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q := deref(v.Query.String)
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			t.Errorf("variable %s: %q is not label_values(selector, label)", v.Name, q)
			continue
		}
		if m[2] != v.Name {
			t.Errorf("variable %s lists the values of %s", v.Name, m[2])
		}
		sel, err := Substitute(m[1], vars)
		var ms []*labels.Matcher
		if err == nil {
			ms, err = promql.ParseMetricSelector(sel)
		}
		if err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
		}
		// Chained: the values of a variable are those the variables before
		// it select.
		for _, before := range dashboardVariables[1:slices.Index(dashboardVariables, v.Name)] {
			if matcher(ms, before) == nil {
				t.Errorf("variable %s: %s does not filter on $%s", v.Name, m[1], before)
			}
		}
		if !strings.HasPrefix(m[1], "llm_requests_total") {
			t.Errorf("variable %s: values from %s, want llm_requests_total", v.Name, m[1])
		}
	}
	n := 0
	for _, a := range d.Annotations.List {
		if a.Expr == nil {
			continue
		}
		n++
		if _, err := promql.ParseExpr(*a.Expr); err != nil {
			t.Errorf("annotation %s: %v", a.Name, err)
		}
	}
	if n != 1 {
		t.Errorf("%d PromQL annotations, want 1 (the LLM alerts)", n)
	}
}

// TestAllMatchesAnUnconfiguredDimension: a collector that does not configure
// a dimension writes series without its label, and Prometheus matches an
// absent label as the empty value. With every filter on All (what Grafana
// also selects when label_values finds no value at all), every matcher of
// every panel query must match the empty value, so those series still show;
// a selection of values does not (the panel then shows the selected values).
func TestAllMatchesAnUnconfiguredDimension(t *testing.T) {
	d := committed(t)
	for _, v := range d.Templating.List {
		if !deref(v.IncludeAll) {
			continue
		}
		m, err := labels.NewMatcher(labels.MatchRegexp, v.Name, deref(v.AllValue))
		if err != nil || !m.Matches("") {
			t.Errorf("variable %s: All value %q does not match an absent label (%v)", v.Name, deref(v.AllValue), err)
		}
	}
	qs, err := PanelQueries(d)
	if err != nil {
		t.Fatal(err)
	}
	dims := 0
	for setName, vars := range substitutionSets {
		for _, q := range qs {
			expr, err := Substitute(q.Raw, vars)
			if err != nil {
				t.Fatal(err)
			}
			node, err := promql.ParseExpr(expr)
			if err != nil {
				t.Fatal(err)
			}
			parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
				vs, ok := n.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				for _, m := range vs.LabelMatchers {
					if !slices.Contains(dimensionLabels, m.Name) {
						continue
					}
					dims++
					if got, want := m.Matches(""), setName == "all"; got != want {
						t.Errorf("%s / %s %s: %s matches the absent label: %v, want %v", setName, q.Panel, q.RefID, m, got, want)
					}
				}
				return nil
			})
		}
	}
	// service, provider and tenant on every per-call and model:* selector of
	// both sets (39 selectors; the agent, tool, guardrail and evaluation
	// families have no dimension).
	if dims < 2*3*39 {
		t.Errorf("%d dimension matchers checked, want those of every per-call selector", dims)
	}
}

// TestQueriesFile checks queries.json as the e2e test reads it: every panel
// query, fully substituted, parses.
func TestQueriesFile(t *testing.T) {
	var f QueriesFile
	dec := json.NewDecoder(bytes.NewReader(readFile(t, QueriesFileName)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	d := committed(t)
	qs, err := PanelQueries(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Queries) != len(qs) {
		t.Fatalf("queries.json has %d queries, the dashboard %d", len(f.Queries), len(qs))
	}
	panels := map[string]bool{}
	for i, q := range f.Queries {
		panels[q.Panel] = true
		if q.Raw != qs[i].Raw || q.Panel != qs[i].Panel {
			t.Errorf("queries.json entry %d is %q %q, the dashboard's is %q %q", i, q.Panel, q.Raw, qs[i].Panel, qs[i].Raw)
		}
		if strings.Contains(q.Expr, "$") {
			t.Errorf("%s %s: unsubstituted variable in %q", q.Panel, q.RefID, q.Expr)
		}
		if _, err := promql.ParseExpr(q.Expr); err != nil {
			t.Errorf("%s %s: %v", q.Panel, q.RefID, err)
		}
	}
	for _, pr := range d.Panels {
		if pr.Panel != nil && !panels[deref(pr.Panel.Title)] {
			t.Errorf("panel %q missing from queries.json", deref(pr.Panel.Title))
		}
	}
}

func TestSubstitute(t *testing.T) {
	vars := map[string]string{"job": "j", "__rate_interval": "5m"}
	for in, want := range map[string]string{
		`rate(x{job="$job"}[$__rate_interval])`:     `rate(x{job="j"}[5m])`,
		`rate(x{job="${job}"}[${__rate_interval}])`: `rate(x{job="j"}[5m])`,
		`x{job="${job:raw}"}`:                       `x{job="j"}`,
	} {
		got, err := Substitute(in, vars)
		if err != nil || got != want {
			t.Errorf("Substitute(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Substitute(`x{model=~"$model"}`, vars); err == nil {
		t.Error("Substitute accepted a variable without a value")
	}
}

// TestSLOBadEventsMatchTheRules: the panel of the failed calls counted
// against availability leaves out the reasons the availability SLO of
// ../rules/llm-slo.yaml leaves out, in each of its windows.
func TestSLOBadEventsMatchTheRules(t *testing.T) {
	n := 0
	for _, r := range readRules(t, "../rules/llm-slo.yaml") {
		if r.Labels["sloth_slo"] != "availability" || !strings.Contains(r.Expr, "llm_errors_total") {
			continue
		}
		n++
		if want := `llm_errors_total{reason!~"` + SLOExcludedReasons + `"}`; !strings.Contains(r.Expr, want) {
			t.Errorf("%s (availability): %q does not read %s", r.Record, r.Expr, want)
		}
	}
	if n != 7 {
		t.Errorf("%d availability windows read llm_errors_total, want 7 (5m to 3d)", n)
	}
	qs, err := PanelQueries(committed(t))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, q := range qs {
		if q.Panel == "Failed calls against availability by model and reason" {
			found = strings.Contains(q.Raw, `reason!~"`+SLOExcludedReasons+`"`)
		}
	}
	if !found {
		t.Errorf("the panel of the failed calls against availability does not leave out %s", SLOExcludedReasons)
	}
}

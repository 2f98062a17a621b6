// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package dashboards

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// The exporter's metrics (the metric contract) and whether they carry the
// template label. Histograms are listed by base name; _bucket is accepted too.
var llmMetrics = map[string]bool{
	"llm_requests_total":                true,
	"llm_request_duration_seconds":      true,
	"llm_time_to_first_token_seconds":   true,
	"llm_prompt_tokens_total":           true,
	"llm_completion_tokens_total":       true,
	"llm_errors_total":                  false,
	"llm_cost_usd_total":                true,
	"llm_unpriced_requests_total":       false,
	"llm_cached_prompt_tokens_total":    true,
	"llm_reasoning_tokens_total":        true,
	"llm_time_per_output_token_seconds": true,
}

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
	if want := []string{"Health", "Cost", "Breakdown"}; !slices.Equal(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}
	if got, want := VariableNames(d), []string{"datasource", "job", "instance", "model", "template"}; !slices.Equal(got, want) {
		t.Errorf("variables = %v, want %v", got, want)
	}
	for _, v := range d.Templating.List {
		switch v.Name {
		case "datasource":
			if v.Type != "datasource" || v.Query == nil || deref(v.Query.String) != "prometheus" {
				t.Errorf("datasource variable: type %q query %v, want a prometheus datasource variable", v.Type, v.Query)
			}
			continue
		case "instance", "model", "template":
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
	if n < 15 {
		t.Errorf("%d panels, want the 15 of the three rows", n)
	}
}

// Substitution sets: the All value, and a multi-value selection (Grafana
// joins the values as a regex alternation). The rate interval and range get
// durations no panel writes by hand, so the AST check can tell them apart.
var substitutionSets = map[string]map[string]string{
	"all": {
		"__rate_interval": "17m", "__interval": "1m", "__range": "19m",
		"job": "otelcol-llm", "instance": ".*", "model": ".*", "template": ".*",
	},
	"multi": {
		"__rate_interval": "17m", "__interval": "1m", "__range": "19m",
		"job": "otelcol-llm", "instance": "(10.0.0.1:8889|10.0.0.2:8889)",
		"model": "(gpt-4o|claude-sonnet-4-5)", "template": "(summarize|none)",
	},
}

func TestEveryQueryParsesAndFilters(t *testing.T) {
	d := committed(t)
	qs, err := PanelQueries(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 20 {
		t.Fatalf("%d queries found, want every panel's", len(qs))
	}
	recorded := recordedNames(t)
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
			checkQuery(t, q.Panel+" "+q.RefID, node, vars, recorded)
		}
	}
}

// checkQuery checks a parsed panel query: every range comes from
// $__rate_interval or $__range, every selector reads a known metric (the
// exporter's or a recording rule of rules/llm-recording.yaml) and filters on
// every dashboard variable its labels allow.
func checkQuery(t *testing.T, where string, node parser.Node, vars map[string]string, recorded map[string]bool) {
	t.Helper()
	rateInterval, _ := time.ParseDuration(vars["__rate_interval"])
	rng, _ := time.ParseDuration(vars["__range"])
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			if r := n.Range; r != rateInterval && r != rng {
				t.Errorf("%s: range [%s] is not $__rate_interval or $__range", where, r)
			}
		case *parser.VectorSelector:
			checkSelector(t, where, n, vars, recorded)
		}
		return nil
	})
}

func checkSelector(t *testing.T, where string, vs *parser.VectorSelector, vars map[string]string, recorded map[string]bool) {
	t.Helper()
	name := vs.Name
	var want []string // labels that must be filtered with the variable of the same name
	switch {
	case recorded[name]:
		want = []string{"job"}
		if strings.HasPrefix(name, "model") {
			want = append(want, "model")
		}
	case llmMetrics[strings.TrimSuffix(name, "_bucket")] || llmMetrics[name]:
		want = []string{"job", "instance", "model", "template"}
	default:
		if _, ok := llmMetrics[name]; !ok {
			t.Errorf("%s: %s is neither an llm_* metric nor a recording rule of rules/llm-recording.yaml", where, name)
			return
		}
		want = []string{"job", "instance", "model"} // no template label
	}
	for _, l := range want {
		m := matcher(vs.LabelMatchers, l)
		wantType := labels.MatchRegexp
		if l == "job" {
			wantType = labels.MatchEqual
		}
		if m == nil || m.Value != vars[l] || m.Type != wantType {
			t.Errorf("%s: %s does not filter %s %s \"$%s\"", where, name, l, wantType, l)
		}
	}
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
		if err == nil {
			_, err = promql.ParseMetricSelector(sel)
		}
		if err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
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

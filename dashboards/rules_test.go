// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package dashboards

// Consistency checks across the mixin: the rules in ../rules, their runbook in
// ../docs/runbook.md and the threshold tables. promtool checks the rules'
// syntax and behavior (make rules-test); these tests check what promtool does
// not: naming and annotation conventions, that every runbook link has its
// section, that the documented thresholds are the ones in the expressions, and
// that the dashboard reads only recording rules that exist.

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

const (
	recordingFile = "../rules/llm-recording.yaml"
	alertsFile    = "../rules/llm-alerts.yaml"
	sloFile       = "../rules/llm-slo.yaml"
	rulesReadme   = "../rules/README.md"
	runbookFile   = "../docs/runbook.md"
	runbookURL    = "https://github.com/otelcol-llm/otelcol-llm/blob/main/docs/runbook.md#"
)

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func readRules(t *testing.T, name string) []rule {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, name)))
	dec.KnownFields(true)
	var f ruleFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []rule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no rules", name)
	}
	return out
}

// recordingRules are the recording rules of llm-recording.yaml, then of
// llm-slo.yaml.
func recordingRules(t *testing.T) []rule {
	t.Helper()
	return slices.Concat(readRules(t, recordingFile), kind(readRules(t, sloFile), false))
}

// alertingRules are the alerts of llm-alerts.yaml, then of llm-slo.yaml.
func alertingRules(t *testing.T) []rule {
	t.Helper()
	return slices.Concat(readRules(t, alertsFile), kind(readRules(t, sloFile), true))
}

// kind keeps the alerts (alerts true) or the recording rules of rules.
func kind(rules []rule, alerts bool) []rule {
	return slices.DeleteFunc(rules, func(r rule) bool { return (r.Alert != "") != alerts })
}

func recordedNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, r := range recordingRules(t) {
		names[r.Record] = true
	}
	return names
}

var recordName = regexp.MustCompile(`^[a-z_]*:[a-z][a-z0-9_]*:[a-z0-9_]+$`)

func TestRecordingRules(t *testing.T) {
	for _, r := range recordingRules(t) {
		if r.Alert != "" || r.Record == "" {
			t.Errorf("%s holds a non-recording rule %q", recordingFile, r.Alert)
			continue
		}
		if !recordName.MatchString(r.Record) {
			t.Errorf("%s: not level:metric:operations", r.Record)
		}
		if strings.Contains(r.Record, "_total:") {
			t.Errorf("%s: drop _total from a rate's metric name", r.Record)
		}
		if _, err := promql.ParseExpr(r.Expr); err != nil {
			t.Errorf("%s: %v", r.Record, err)
		}
	}
}

// levelLabels are the labels each level of a recording rule's name keeps
// besides the target labels and the dimensions (the header of
// llm-recording.yaml).
var levelLabels = map[string][]string{
	"":                    nil,
	"model":               {"model"},
	"model_reason":        {"model", "reason"},
	"model_finish_reason": {"model", "finish_reason"},
	"budget":              {"budget", "period"},
	"tool":                {"tool"},
	"guardrail":           {"guardrail"},
	"evaluation":          {"evaluation"},
	"template":            {"template"},
	"model_template":      {"model", "template"},
	"slo":                 {"model", "sloth_service", "sloth_slo", "sloth_id"},
}

// levelOptional are labels a level's series may carry besides levelLabels:
// the SLO windows (slo:sli_error:ratio_rate5m ...) add sloth_window, as
// Sloth's do; its metadata series do not.
var levelOptional = map[string][]string{"slo": {"sloth_window"}}

// TestRecordingRulesReadKnownSeries: every recording rule reads families of
// the metric contract or other recording rules (a misspelled family records
// nothing, silently), and its series carry what its level says: job, the
// level's labels, and no label but those and the dimensions; never instance
// or tenant.
func TestRecordingRulesReadKnownSeries(t *testing.T) {
	sl := newSeriesLabels(t)
	for _, r := range recordingRules(t) {
		got, err := sl.metric(r.Record)
		if err != nil {
			t.Errorf("%s: %v", r.Record, err)
			continue
		}
		level, _, _ := strings.Cut(r.Record, ":")
		want, ok := levelLabels[level]
		if !ok {
			t.Errorf("%s: level %q is not one of the header's", r.Record, level)
			continue
		}
		allowed := setOf(append(append([]string{"job", "service", "provider", "team"}, want...), levelOptional[level]...)...)
		for l := range got {
			if !allowed[l] {
				t.Errorf("%s: series carry %s; level %q keeps job, %v and the dimensions but tenant", r.Record, l, level, want)
			}
		}
		for _, l := range append([]string{"job"}, want...) {
			if !got[l] {
				t.Errorf("%s: series lack %s (labels %v)", r.Record, l, slices.Sorted(maps.Keys(got)))
			}
		}
	}
}

var wantAlerts = []string{
	"LLMHighErrorRate", "LLMLatencyRegression", "LLMTimeToFirstTokenHigh", "LLMRateLimited",
	"LLMCostBurnHigh", "LLMUnpricedModel", "LLMNoTraffic", "LLMLabelOverflow", "LLMCollectorDown",
	"LLMBudgetBurnFast", "LLMBudgetExceeded",
	"LLMToolErrorRate", "LLMTruncatedResponses", "LLMStreamInterruptions", "LLMGuardrailBlockRate",
	"LLMEvaluationScoreDrop", "LLMTemplateRegression", "LLMCacheHitRatioDrop",
	"LLMErrorBudgetBurn", "LLMLatencyBudgetBurn", "LLMTTFTBudgetBurn",
}

func TestAlertConventions(t *testing.T) {
	recorded := recordedNames(t)
	runbook := string(readFile(t, runbookFile))
	var names []string
	for _, r := range alertingRules(t) {
		names = append(names, r.Alert)
		if !strings.HasPrefix(r.Alert, "LLM") {
			t.Errorf("%s: alert names start with LLM", r.Alert)
		}
		if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
			t.Errorf("%s: severity %q, want critical, warning or info", r.Alert, s)
		}
		summary, description := r.Annotations["summary"], r.Annotations["description"]
		if summary == "" || strings.Contains(summary, "{{") || !strings.HasSuffix(summary, ".") {
			t.Errorf("%s: summary %q, want a static sentence ending with a period", r.Alert, summary)
		}
		if !strings.Contains(description, "{{ $labels.") {
			t.Errorf("%s: description is not templated with the labels", r.Alert)
		}
		anchor := strings.ToLower(r.Alert)
		if got := r.Annotations["runbook_url"]; got != runbookURL+anchor {
			t.Errorf("%s: runbook_url %q, want %q", r.Alert, got, runbookURL+anchor)
		}
		if !regexp.MustCompile(`(?m)^## ` + r.Alert + `$`).MatchString(runbook) {
			t.Errorf("%s: %s has no section \"## %s\" (anchor #%s)", r.Alert, runbookFile, r.Alert, anchor)
		}
		node, err := promql.ParseExpr(r.Expr)
		if err != nil {
			t.Errorf("%s: %v", r.Alert, err)
			continue
		}
		parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok && strings.Contains(vs.Name, ":") && !recorded[vs.Name] {
				t.Errorf("%s reads %s, which no rule file records", r.Alert, vs.Name)
			}
			return nil
		})
	}
	// The burn-rate alerts are four rules each (one per pair of windows),
	// one after the other.
	if names = slices.Compact(names); !slices.Equal(names, wantAlerts) {
		t.Errorf("alerts = %v, want %v", names, wantAlerts)
	}
}

// threshold is one row of a threshold table.
type threshold struct {
	value, forDur, severity string
}

// Header rows of llm-alerts.yaml: "#   LLMName   what ...   > 0.05   10m   critical".
var headerRow = regexp.MustCompile(`^#\s+(LLM\w+)\s.*\s(?:[<>]=?|==)\s+([0-9.]+)(?: x)?\s+(\S+)\s+(critical|warning|info)\s*$`)

// README rows: "| `LLMName` | what | 0.05 (5 %) | 10m | critical |".
var readmeRow = regexp.MustCompile("^\\|\\s*`(LLM\\w+)`\\s*\\|[^|]*\\|\\s*([0-9.]+)[^|]*\\|\\s*`?([^|`]*?)`?\\s*\\|\\s*(critical|warning|info)\\s*\\|\\s*$")

func thresholdTable(t *testing.T, name string, row *regexp.Regexp) map[string]threshold {
	t.Helper()
	out := map[string]threshold{}
	for _, line := range strings.Split(string(readFile(t, name)), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			key := m[1]
			if w := rowWindows.FindStringSubmatch(line); w != nil {
				key += "{" + w[1] + "/" + w[2] + "}"
			}
			out[key] = threshold{value: m[2], forDur: m[3], severity: m[4]}
		}
	}
	return out
}

// rowWindows are the windows of a burn-rate row: "over 1h/5m".
var rowWindows = regexp.MustCompile(`\bover (\d+[mhd])/(\d+[mhd])\b`)

// tableKey is the row of a rule in the threshold tables: its name, and for a
// burn-rate alert (four rules of one name) its long and short windows, as
// LLMErrorBudgetBurn{1h/5m}.
func tableKey(r rule) string {
	if r.Labels["long"] == "" {
		return r.Alert
	}
	return r.Alert + "{" + r.Labels["long"] + "/" + r.Labels["short"] + "}"
}

func TestThresholdTablesMatchTheRules(t *testing.T) {
	for _, problem := range thresholdMismatches(alertingRules(t), thresholdTables(t)) {
		t.Error(problem)
	}
}

func thresholdTables(t *testing.T) map[string]map[string]threshold {
	t.Helper()
	return map[string]map[string]threshold{
		headerTables: mergeTables(thresholdTable(t, alertsFile, headerRow), thresholdTable(t, sloFile, headerRow)),
		rulesReadme:  thresholdTable(t, rulesReadme, readmeRow),
	}
}

// headerTables names the tables of the headers of llm-alerts.yaml and
// llm-slo.yaml, taken together.
const headerTables = "rule file headers"

// mergeTables returns the rows of a and b; a row in both is kept from a.
func mergeTables(a, b map[string]threshold) map[string]threshold {
	out := maps.Clone(b)
	maps.Copy(out, a)
	return out
}

// thresholdMismatches compares every table with the alerting rules: a row
// per alert and no other, the threshold of the alert's comparison (see
// alertThreshold), its for and its severity.
func thresholdMismatches(alerts []rule, tables map[string]map[string]threshold) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	names := map[string]bool{}
	for _, r := range alerts {
		names[tableKey(r)] = true
		node, err := promql.ParseExpr(r.Expr)
		if err != nil {
			bad("%s: %v", r.Alert, err)
			continue
		}
		_, want, err := alertThreshold(node)
		if err != nil {
			bad("%s: %v in %q", r.Alert, err, r.Expr)
			continue
		}
		wantFor := r.For
		if wantFor == "" {
			wantFor = "-"
		}
		for _, tableName := range slices.Sorted(maps.Keys(tables)) {
			row, ok := tables[tableName][tableKey(r)]
			if !ok {
				bad("%s: no row for %s", tableName, tableKey(r))
				continue
			}
			if v, err := strconv.ParseFloat(row.value, 64); err != nil || v != want {
				bad("%s: %s's threshold is %s, its expression compares with %v: %q", tableName, r.Alert, row.value, want, r.Expr)
			}
			if row.forDur != wantFor {
				bad("%s: %s's for is %q, the rule's %q", tableName, r.Alert, row.forDur, wantFor)
			}
			if row.severity != r.Labels["severity"] {
				bad("%s: %s's severity is %q, the rule's %q", tableName, r.Alert, row.severity, r.Labels["severity"])
			}
		}
	}
	for _, tableName := range slices.Sorted(maps.Keys(tables)) {
		for name := range tables[tableName] {
			if !names[name] {
				bad("%s: row %s is not an alert of the rule files", tableName, name)
			}
		}
	}
	return problems
}

// alertThreshold finds the comparison an alert is about and returns its
// threshold. From the root of the expression: the left side of `and` (the
// right one is a guard such as the minimum traffic), the left side of `or`
// (the default before per-model overrides; LLMTemplateRegression's first
// comparison), the series argument of label_replace, the right side of `unless` (the
// alert fires for the left side's series while the right side's comparison
// does not hold: LLMNoTraffic's `unless sum(...) > 0` is "== 0"), until a
// comparison. Its threshold is the side that is a constant, or the constant
// factor of the other side (p95 > 1.5 * baseline): returned as the constant's
// expression and its value.
func alertThreshold(e parser.Expr) (parser.Expr, float64, error) {
	for {
		switch n := e.(type) {
		case *parser.ParenExpr:
			e = n.Expr
			continue
		case *parser.Call:
			if n.Func.Name == "label_replace" {
				e = n.Args[0]
				continue
			}
		case *parser.BinaryExpr:
			switch {
			case n.Op == parser.LAND || n.Op == parser.LOR:
				e = n.LHS
				continue
			case n.Op == parser.LUNLESS:
				e = n.RHS
				continue
			case n.Op.IsComparisonOperator():
				for _, side := range []parser.Expr{n.RHS, n.LHS, constantFactor(n.RHS)} {
					if v, ok := constant(side); ok {
						return side, v, nil
					}
				}
				return nil, 0, fmt.Errorf("comparison %s has no constant side", n)
			}
		}
		return nil, 0, fmt.Errorf("no comparison at %s", e)
	}
}

// constant evaluates an expression of number literals.
func constant(e parser.Expr) (float64, bool) {
	switch n := e.(type) {
	case nil:
		return 0, false
	case *parser.NumberLiteral:
		return n.Val, true
	case *parser.ParenExpr:
		return constant(n.Expr)
	case *parser.UnaryExpr:
		v, ok := constant(n.Expr)
		if n.Op == parser.SUB {
			v = -v
		}
		return v, ok
	case *parser.BinaryExpr:
		a, okA := constant(n.LHS)
		b, okB := constant(n.RHS)
		if !okA || !okB {
			return 0, false
		}
		switch n.Op {
		case parser.ADD:
			return a + b, true
		case parser.SUB:
			return a - b, true
		case parser.MUL:
			return a * b, true
		case parser.DIV:
			return a / b, true
		}
	}
	return 0, false
}

// constantFactor is c of "c * x" or "x * c" (nil for another expression).
func constantFactor(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	b, ok := e.(*parser.BinaryExpr)
	if !ok || b.Op != parser.MUL {
		return nil
	}
	if _, ok := constant(b.LHS); ok {
		return b.LHS
	}
	return b.RHS
}

// TestThresholdCheckCanFail: thresholdMismatches reports a table whose
// number is another number of the alert's expression (the guard's 1/60, the
// 3600 of a rate per hour, up == 1), which the check accepted when any number
// of the expression would do, or a different number; and an expression whose
// threshold moved away from the tables.
func TestThresholdCheckCanFail(t *testing.T) {
	alerts := alertingRules(t)
	tables := thresholdTables(t)
	if problems := thresholdMismatches(alerts, tables); len(problems) != 0 {
		t.Fatalf("the committed tables disagree with the rules: %v", problems)
	}
	const header = headerTables
	mutations, literals := 0, 0
	for i, r := range alerts {
		node, err := promql.ParseExpr(r.Expr)
		if err != nil {
			t.Fatal(err)
		}
		threshold, want, err := alertThreshold(node)
		if err != nil {
			t.Fatal(err)
		}
		// The header row: every other number literal of the expression, and
		// the threshold plus one.
		var wrong []float64
		parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
			if nl, ok := n.(*parser.NumberLiteral); ok && nl.Val != want && !slices.Contains(wrong, nl.Val) {
				wrong = append(wrong, nl.Val)
			}
			return nil
		})
		literals += len(wrong)
		if !slices.Contains(wrong, want+1) {
			wrong = append(wrong, want+1)
		}
		for _, v := range wrong {
			mutated := maps.Clone(tables)
			mutated[header] = maps.Clone(tables[header])
			row := mutated[header][tableKey(r)]
			row.value = strconv.FormatFloat(v, 'g', -1, 64)
			mutated[header][tableKey(r)] = row
			got := thresholdMismatches(alerts, mutated)
			wantProblem := fmt.Sprintf("%s: %s's threshold is %s, its expression compares with %v: %q", header, r.Alert, row.value, want, r.Expr)
			if !slices.Equal(got, []string{wantProblem}) {
				t.Errorf("%s header row %s: problems %q, want exactly %q", r.Alert, row.value, got, wantProblem)
			}
			mutations++
		}

		// The expression: the threshold's text replaced by another number
		// in a copy of the rules; both tables disagree with it.
		pr := threshold.PositionRange()
		moved := strconv.FormatFloat(want*2+1, 'g', -1, 64)
		mutatedAlerts := slices.Clone(alerts)
		mutatedAlerts[i].Expr = r.Expr[:pr.Start] + moved + r.Expr[pr.End:]
		got := thresholdMismatches(mutatedAlerts, tables)
		var wantProblems []string
		for _, tableName := range slices.Sorted(maps.Keys(tables)) {
			wantProblems = append(wantProblems, fmt.Sprintf("%s: %s's threshold is %s, its expression compares with %s: %q",
				tableName, r.Alert, tables[tableName][tableKey(r)].value, moved, mutatedAlerts[i].Expr))
		}
		if !slices.Equal(got, wantProblems) {
			t.Errorf("%s with the threshold %s: problems %q, want %q", r.Alert, moved, got, wantProblems)
		}
	}
	// Numbers of the expressions other than the threshold: 1 and 60 of the
	// guard "> 1/60" in 4 + 5 alerts, 3600 in LLMCostBurnHigh, 1 in
	// LLMNoTraffic (up == 1), the floor 0.05 in LLMGuardrailBlockRate; the
	// budget alerts compare with 1 only; LLMTemplateRegression's 1.3 (twice,
	// counted once), 0 (baseline > 0), 1 and 60 of its guards;
	// LLMCacheHitRatioDrop's floor 0.1, 1 and 60; the 12 burn-rate rules have
	// the guard's 1 and 60 (only 60 in the three whose factor is 1; the short
	// window's factor is the threshold); plus threshold+1 for each of the 18
	// other alerts but LLMNoTraffic, whose threshold+1 is its 1, and for each
	// of the 12 burn-rate rules.
	if literals != 9*2+1+1+1+4+3+3*(3*2+1) || mutations != literals+18-1+12 {
		t.Errorf("%d table values tried, %d of them numbers of the expression; want 78 and 49", mutations, literals)
	}
}

// TestDashboardReadsRecordedSeries: the Health row is built on the recording
// rules (what the alerts evaluate), and every recorded name the dashboard
// reads exists.
func TestDashboardReadsRecordedSeries(t *testing.T) {
	recorded := recordedNames(t)
	qs, err := PanelQueries(committed(t))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, q := range qs {
		expr, err := Substitute(q.Raw, E2ESubstitutions)
		if err != nil {
			t.Fatal(err)
		}
		node, err := promql.ParseExpr(expr)
		if err != nil {
			t.Fatal(err)
		}
		parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok && strings.Contains(vs.Name, ":") {
				if !recorded[vs.Name] {
					t.Errorf("%s reads %s, which %s does not record", q.Panel, vs.Name, recordingFile)
				}
				used[vs.Name] = true
				if q.Row != "Health" && vs.Name != ":llm_cost_usd:rate1h" &&
					(q.Panel != "Budget remaining" || !strings.HasPrefix(vs.Name, "budget:")) &&
					(q.Row != "SLOs" || !strings.HasPrefix(vs.Name, "slo:")) &&
					(q.Panel != "Templates vs last week" || !strings.HasPrefix(vs.Name, "template:")) {
					t.Errorf("%s (row %s) reads the recording rule %s: only the Health row, the cost total, "+
						"the budgets, the SLO row and the week-ago templates do", q.Panel, q.Row, vs.Name)
				}
			}
			return nil
		})
		if q.Row == "Health" && !strings.Contains(expr, ":") {
			t.Errorf("Health panel %s does not read a recording rule", q.Panel)
		}
	}
	for _, name := range []string{
		"model:llm_requests:rate5m", "model:llm_request_errors:rate5m",
		"model:llm_request_duration_seconds:p95_5m", "model:llm_time_to_first_token_seconds:p95_5m",
		":llm_cost_usd:rate1h", "budget:llm_budget_limit_usd:max", "budget:llm_budget_spend_usd:period_to_date",
		"budget:llm_budget_remaining_usd:period_to_date",
	} {
		if !used[name] {
			t.Errorf("the dashboard does not read %s", name)
		}
	}
}

// TestDocumentedQueriesParse parses every ```promql block of the rules README
// and the runbook: one expression per line, a line starting with blanks
// continuing the previous one, # comments skipped, $job, $model, $budget,
// $tool, $guardrail, $evaluation and $template standing for the alert's labels.
func TestDocumentedQueriesParse(t *testing.T) {
	vars := map[string]string{
		"job": "otelcol-llm", "model": "gpt-4o", "budget": "search",
		"tool": "web_search", "guardrail": "pii", "evaluation": "relevance",
		"template": "summarize",
	}
	for _, name := range []string{rulesReadme, runbookFile} {
		var exprs []string
		in := false
		for _, line := range strings.Split(string(readFile(t, name)), "\n") {
			switch {
			case strings.HasPrefix(line, "```promql"):
				in = true
			case strings.HasPrefix(line, "```"):
				in = false
			case !in || strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#"):
			case (line[0] == ' ' || line[0] == '\t') && len(exprs) > 0:
				exprs[len(exprs)-1] += "\n" + line
			default:
				exprs = append(exprs, line)
			}
		}
		if len(exprs) < 5 {
			t.Errorf("%s: %d PromQL examples found", name, len(exprs))
		}
		for _, e := range exprs {
			expr, err := Substitute(e, vars)
			if err == nil {
				_, err = promql.ParseExpr(expr)
			}
			if err != nil {
				t.Errorf("%s: %v\n%s", name, err, e)
			}
		}
	}
}

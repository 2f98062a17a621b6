package dashboards

// Consistency checks across the mixin: the rules in ../rules, their runbook in
// ../docs/runbook.md and the threshold tables. promtool checks the rules'
// syntax and behavior (make rules-test); these tests check what promtool does
// not: naming and annotation conventions, that every runbook link has its
// section, that the documented thresholds are the ones in the expressions, and
// that the dashboard reads only recording rules that exist.

import (
	"bytes"
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

func recordedNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, r := range readRules(t, recordingFile) {
		names[r.Record] = true
	}
	return names
}

var recordName = regexp.MustCompile(`^[a-z_]*:[a-z][a-z0-9_]*:[a-z0-9_]+$`)

func TestRecordingRules(t *testing.T) {
	for _, r := range readRules(t, recordingFile) {
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

var wantAlerts = []string{
	"LLMHighErrorRate", "LLMLatencyRegression", "LLMTimeToFirstTokenHigh", "LLMRateLimited",
	"LLMCostBurnHigh", "LLMUnpricedModel", "LLMNoTraffic", "LLMLabelOverflow", "LLMCollectorDown",
}

func TestAlertConventions(t *testing.T) {
	recorded := recordedNames(t)
	runbook := string(readFile(t, runbookFile))
	var names []string
	for _, r := range readRules(t, alertsFile) {
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
				t.Errorf("%s reads %s, which %s does not record", r.Alert, vs.Name, recordingFile)
			}
			return nil
		})
	}
	if !slices.Equal(names, wantAlerts) {
		t.Errorf("alerts = %v, want %v", names, wantAlerts)
	}
}

// threshold is one row of a threshold table.
type threshold struct {
	value, forDur, severity string
}

// Header rows of llm-alerts.yaml: "#   LLMName   what ...   > 0.05   10m   critical".
var headerRow = regexp.MustCompile(`^#\s+(LLM\w+)\s.*\s(?:>|==)\s+([0-9.]+)(?: x)?\s+(\S+)\s+(critical|warning|info)\s*$`)

// README rows: "| `LLMName` | what | 0.05 (5 %) | 10m | critical |".
var readmeRow = regexp.MustCompile("^\\|\\s*`(LLM\\w+)`\\s*\\|[^|]*\\|\\s*([0-9.]+)[^|]*\\|\\s*`?([^|`]*?)`?\\s*\\|\\s*(critical|warning|info)\\s*\\|\\s*$")

func thresholdTable(t *testing.T, name string, row *regexp.Regexp) map[string]threshold {
	t.Helper()
	out := map[string]threshold{}
	for _, line := range strings.Split(string(readFile(t, name)), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			out[m[1]] = threshold{value: m[2], forDur: m[3], severity: m[4]}
		}
	}
	return out
}

func TestThresholdTablesMatchTheRules(t *testing.T) {
	tables := map[string]map[string]threshold{
		alertsFile + " header": thresholdTable(t, alertsFile, headerRow),
		rulesReadme:            thresholdTable(t, rulesReadme, readmeRow),
	}
	for _, r := range readRules(t, alertsFile) {
		node, err := promql.ParseExpr(r.Expr)
		if err != nil {
			t.Fatalf("%s: %v", r.Alert, err)
		}
		var literals []float64
		parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
			if nl, ok := n.(*parser.NumberLiteral); ok {
				literals = append(literals, nl.Val)
			}
			return nil
		})
		wantFor := r.For
		if wantFor == "" {
			wantFor = "-"
		}
		for tableName, table := range tables {
			row, ok := table[r.Alert]
			if !ok {
				t.Errorf("%s: no row for %s", tableName, r.Alert)
				continue
			}
			v, err := strconv.ParseFloat(row.value, 64)
			if err != nil || !slices.Contains(literals, v) {
				t.Errorf("%s: %s's threshold %s is not a number of its expr %q", tableName, r.Alert, row.value, r.Expr)
			}
			if row.forDur != wantFor {
				t.Errorf("%s: %s's for is %q, the rule's %q", tableName, r.Alert, row.forDur, wantFor)
			}
			if row.severity != r.Labels["severity"] {
				t.Errorf("%s: %s's severity is %q, the rule's %q", tableName, r.Alert, row.severity, r.Labels["severity"])
			}
		}
	}
	for tableName, table := range tables {
		if len(table) != len(wantAlerts) {
			t.Errorf("%s: %d rows, want %d", tableName, len(table), len(wantAlerts))
		}
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
				if q.Row != "Health" && vs.Name != ":llm_cost_usd:rate1h" {
					t.Errorf("%s (row %s) reads the recording rule %s: only the Health row and the cost total do", q.Panel, q.Row, vs.Name)
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
		":llm_cost_usd:rate1h",
	} {
		if !used[name] {
			t.Errorf("the dashboard does not read %s", name)
		}
	}
}

// TestDocumentedQueriesParse parses every ```promql block of the rules README
// and the runbook: one expression per line, a line starting with blanks
// continuing the previous one, # comments skipped, $job and $model standing
// for the alert's labels.
func TestDocumentedQueriesParse(t *testing.T) {
	vars := map[string]string{"job": "otelcol-llm", "model": "gpt-4o"}
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

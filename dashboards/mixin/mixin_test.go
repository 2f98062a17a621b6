// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package mixin

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

const root = "../.."

// TestCommittedFilesAreGenerated: rules/*.yaml and the generated blocks of
// rules/README.md and docs/runbook.md are what the defaults generate, so
// that an edit of a generated file, or of the generator without `make
// rules`, fails `make test`.
func TestCommittedFilesAreGenerated(t *testing.T) {
	c, err := Load(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	files, err := c.RuleFiles()
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(files)); !slices.Equal(got, []string{AlertsFile, RecordingFile, SLOFile}) {
		t.Fatalf("rule files %v", got)
	}
	read := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(root, filepath.FromSlash(name))) }
	docs, err := c.Documents(read)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for name, content := range files {
		want["rules/"+name] = content
	}
	for name, content := range docs {
		want[name] = content
	}
	want["rules/"+SlothFile] = c.SlothSpec()
	for name, content := range want {
		committed, rerr := read(name)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if !bytes.Equal(committed, content) {
			t.Errorf("%s differs from what dashboards/mixin generates: run make rules (then make deploy-gen) and commit; first differing line:\n%s",
				name, firstDiff(string(committed), string(content)))
		}
	}
	// The rule files are the only YAML files of rules/.
	matches, err := filepath.Glob(filepath.Join(root, "rules", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) != len(files) {
		t.Errorf("rules/ holds %v; the generator writes %d files", matches, len(files))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + "\n  committed: " + x + "\n  generated: " + y
		}
	}
	return "(none)"
}

// rulesOf decodes a generated rule file.
type genRule struct {
	Record, Alert, Expr, For string
	Labels, Annotations      map[string]string
}

func rulesOf(t *testing.T, file []byte) []genRule {
	t.Helper()
	var f struct {
		Groups []struct {
			Rules []genRule
		}
	}
	if err := yaml.Unmarshal(file, &f); err != nil {
		t.Fatal(err)
	}
	var out []genRule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

func generate(t *testing.T, config string) (Config, map[string][]byte) {
	t.Helper()
	c, err := Load(strings.NewReader(config))
	if err != nil {
		t.Fatal(err)
	}
	files, err := c.RuleFiles()
	if err != nil {
		t.Fatal(err)
	}
	return c, files
}

func find(t *testing.T, rules []genRule, pred func(genRule) bool) genRule {
	t.Helper()
	for _, r := range rules {
		if pred(r) {
			return r
		}
	}
	t.Fatal("no such rule")
	return genRule{}
}

// TestOverridesReachEveryOutput: a setting changed in a configuration file
// changes the expression, the for, the severity, both tables and the index;
// the settings not named keep their defaults (maps merge).
func TestOverridesReachEveryOutput(t *testing.T) {
	c, files := generate(t, `
alerts:
  LLMHighErrorRate: {threshold: 0.1, for: 5m}
  LLMCacheHitRatioDrop: {floor: 0.2}
min_events_per_minute: 2
collector_job: llm-collector
`)
	alerts := rulesOf(t, files[AlertsFile])
	high := find(t, alerts, func(r genRule) bool { return r.Alert == "LLMHighErrorRate" })
	if want := "model:llm_request_errors:ratio_rate5m > 0.1\nand model:llm_requests:rate5m > 2/60\n"; high.Expr != want {
		t.Errorf("LLMHighErrorRate expr %q, want %q", high.Expr, want)
	}
	if high.For != "5m" || high.Labels["severity"] != "critical" {
		t.Errorf("LLMHighErrorRate for %q severity %q, want 5m and the default critical", high.For, high.Labels["severity"])
	}
	cache := find(t, alerts, func(r genRule) bool { return r.Alert == "LLMCacheHitRatioDrop" })
	if !strings.Contains(cache.Expr, "< 0.5 * model_template") || !strings.Contains(cache.Expr, "ratio_avg1d_rate1h > 0.2\n") {
		t.Errorf("LLMCacheHitRatioDrop expr %q: want the default factor 0.5 and the floor 0.2", cache.Expr)
	}
	down := find(t, alerts, func(r genRule) bool { return r.Alert == "LLMCollectorDown" })
	if down.Expr != "up{job=~\"llm-collector\"} == 0\n" {
		t.Errorf("LLMCollectorDown expr %q", down.Expr)
	}
	table := c.ReadmeTable()
	if row := "| `LLMHighErrorRate` | failed calls / calls over 5m, per model | 0.1 (10 %) | `5m` | critical |\n"; !strings.Contains(table, row) {
		t.Errorf("README table lacks %q:\n%s", row, table)
	}
	if row := "#   LLMHighErrorRate         failed calls / calls over 5m, per model                  > 0.1     5m    critical\n"; !strings.Contains(string(files[AlertsFile]), row) {
		t.Errorf("llm-alerts.yaml header lacks %q", row)
	}
	if row := "| [LLMHighErrorRate](#llmhigherrorrate) | critical | > 0.1 (10 %) | 5m |\n"; !strings.Contains(c.RunbookIndex(), row) {
		t.Errorf("runbook index lacks %q", row)
	}
	// The SLO guards follow min_events_per_minute too.
	slo := rulesOf(t, files[SLOFile])
	page := find(t, slo, func(r genRule) bool { return r.Alert == "LLMErrorBudgetBurn" && r.Labels["long"] == "1h" })
	if !strings.HasSuffix(page.Expr, "and on (job, model) sum by (job, model) (rate(llm_requests_total[5m])) > 2/60\n") {
		t.Errorf("LLMErrorBudgetBurn 1h/5m expr %q", page.Expr)
	}
}

// TestSLOOverrides: per-model objectives and thresholds, first match wins;
// another period, windows and labels.
func TestSLOOverrides(t *testing.T) {
	_, files := generate(t, `
slos:
  period: 28d
  by: [job, model, service]
  windows:
    - {long: 1h, short: 5m, burn_rate: 13.44, severity: critical}
    - {long: 3d, short: 6h, burn_rate: 1, severity: warning}
  availability:
    objective: 99.9
    excluded_reasons: [cancelled]
    overrides:
      - {model: "mini-.*", objective: 99}
  latency:
    threshold_seconds: 20
    overrides:
      - {model: "o1.*", objective: 90, threshold_seconds: 60}
      - {model: "o.*", objective: 99}
`)
	slo := rulesOf(t, files[SLOFile])
	record := func(name, sli string) genRule {
		return find(t, slo, func(r genRule) bool { return r.Record == name && r.Labels["sloth_slo"] == sli })
	}
	var windows []string
	for _, r := range slo {
		if r.Record != "" && r.Labels["sloth_slo"] == "availability" && r.Labels["sloth_window"] != "" {
			windows = append(windows, r.Labels["sloth_window"])
		}
	}
	if want := []string{"5m", "1h", "6h", "3d", "4w"}; !slices.Equal(windows, want) {
		t.Errorf("availability windows %v, want %v", windows, want)
	}
	if got, want := record("slo:sli_error:ratio_rate1h", "availability").Expr, `(
    sum by (job, model, service) (rate(llm_errors_total{reason!~"cancelled"}[1h]))
  or
    0 * sum by (job, model, service) (rate(llm_requests_total[1h]))
)
/ sum by (job, model, service) (rate(llm_requests_total[1h]))
>= 0
`; got != want {
		t.Errorf("availability 1h:\n%s\nwant\n%s", got, want)
	}
	if got, want := record("slo:objective:ratio", "availability").Expr, `(
    0.99 * (group by (job, model, service) (llm_requests_total{model=~"mini-.*"}))
  or
    0.999 * (group by (job, model, service) (llm_requests_total))
)
`; got != want {
		t.Errorf("availability objective:\n%s\nwant\n%s", got, want)
	}
	if got, want := record("slo:sli_error:ratio_rate5m", "latency").Expr, `1 - (
    histogram_fraction(0, 60, sum by (job, model, service) (rate(llm_request_duration_seconds{model=~"o1.*"}[5m])))
  or
    sum by (job, model, service) (rate(llm_request_duration_seconds_bucket{model=~"o1.*", le=~"60(\\.0)?"}[5m]))
      / sum by (job, model, service) (rate(llm_request_duration_seconds_count{model=~"o1.*"}[5m]))
  or
    histogram_fraction(0, 20, sum by (job, model, service) (rate(llm_request_duration_seconds{model=~"o.*", model!~"o1.*"}[5m])))
  or
    sum by (job, model, service) (rate(llm_request_duration_seconds_bucket{model=~"o.*", model!~"o1.*", le=~"20(\\.0)?"}[5m]))
      / sum by (job, model, service) (rate(llm_request_duration_seconds_count{model=~"o.*", model!~"o1.*"}[5m]))
  or
    histogram_fraction(0, 20, sum by (job, model, service) (rate(llm_request_duration_seconds{model!~"o1.*|o.*"}[5m])))
  or
    sum by (job, model, service) (rate(llm_request_duration_seconds_bucket{model!~"o1.*|o.*", le=~"20(\\.0)?"}[5m]))
      / sum by (job, model, service) (rate(llm_request_duration_seconds_count{model!~"o1.*|o.*"}[5m]))
)
>= 0
`; got != want {
		t.Errorf("latency 5m:\n%s\nwant\n%s", got, want)
	}
	if got, want := record("slo:objective:ratio", "latency").Expr, `(
    0.9 * (group by (job, model, service) (llm_request_duration_seconds_count{model=~"o1.*"}) or group by (job, model, service) (llm_request_duration_seconds{model=~"o1.*"}))
  or
    0.99 * (group by (job, model, service) (llm_request_duration_seconds_count{model=~"o.*", model!~"o1.*"}) or group by (job, model, service) (llm_request_duration_seconds{model=~"o.*", model!~"o1.*"}))
  or
    0.95 * (group by (job, model, service) (llm_request_duration_seconds_count{model!~"o1.*|o.*"}) or group by (job, model, service) (llm_request_duration_seconds{model!~"o1.*|o.*"}))
)
`; got != want {
		t.Errorf("latency objective:\n%s\nwant\n%s", got, want)
	}
	// The TTFT SLO has no override: one clause, no model matcher.
	if got := record("slo:sli_error:ratio_rate5m", "ttft").Expr; strings.Contains(got, "model=~") || strings.Contains(got, "model!~") || !strings.Contains(got, `le=~"2(\\.0)?"`) {
		t.Errorf("ttft 5m: %s", got)
	}
	if got := record("slo:time_period:days", "ttft").Expr; got != `28 + 0 * slo:objective:ratio{sloth_id="llm-ttft"}` {
		t.Errorf("time period %q", got)
	}
	var pairs []string
	for _, r := range slo {
		if r.Alert == "LLMLatencyBudgetBurn" {
			pairs = append(pairs, r.Labels["long"]+"/"+r.Labels["short"]+" "+r.Labels["severity"])
		}
	}
	if want := []string{"1h/5m critical", "3d/6h warning"}; !slices.Equal(pairs, want) {
		t.Errorf("latency alerts %v, want %v", pairs, want)
	}
	page := find(t, slo, func(r genRule) bool { return r.Alert == "LLMErrorBudgetBurn" && r.Labels["long"] == "1h" })
	if want := `slo:sli_error:ratio_rate1h{sloth_id="llm-availability"} / ignoring (sloth_window) slo:error_budget:ratio{sloth_id="llm-availability"} > 13.44
and slo:sli_error:ratio_rate5m{sloth_id="llm-availability"} / ignoring (sloth_window) slo:error_budget:ratio{sloth_id="llm-availability"} > 13.44
and on (job, model, service) sum by (job, model, service) (rate(llm_requests_total[5m])) > 1/60
`; page.Expr != want {
		t.Errorf("page:\n%s\nwant\n%s", page.Expr, want)
	}
	if want := "Model {{ $labels.model }} (job {{ $labels.job }}, service {{ $labels.service }}) burns its availability error budget"; !strings.HasPrefix(page.Annotations["description"], want) {
		t.Errorf("description %q", page.Annotations["description"])
	}
}

// TestSelector: the selector reaches every selector of a collector series
// and none of a recorded one.
func TestSelector(t *testing.T) {
	_, files := generate(t, `selector: 'namespace="llm"'`)
	raw, recorded := 0, 0
	for name, file := range files {
		for _, r := range rulesOf(t, file) {
			e, err := promql.ParseExpr(r.Expr)
			if err != nil {
				t.Fatalf("%s %s%s: %v", name, r.Record, r.Alert, err)
			}
			parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
				vs, ok := n.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				has := slices.ContainsFunc(vs.LabelMatchers, func(m *labels.Matcher) bool { return m.Name == "namespace" && m.Value == "llm" })
				if strings.Contains(seriesName(vs), ":") {
					recorded++
					if has {
						t.Errorf("%s: recorded series %s got the selector", r.Record+r.Alert, vs)
					}
				} else {
					raw++
					if !has {
						t.Errorf("%s: %s lacks the selector", r.Record+r.Alert, vs)
					}
				}
				return nil
			})
		}
	}
	if raw < 100 || recorded < 100 {
		t.Errorf("%d raw and %d recorded selectors: the walk missed expressions", raw, recorded)
	}
	down := find(t, rulesOf(t, files[AlertsFile]), func(r genRule) bool { return r.Alert == "LLMCollectorDown" })
	if want := "up{job=~\"otelcol-llm.*\",namespace=\"llm\"} == 0\n"; down.Expr != want {
		t.Errorf("LLMCollectorDown %q, want %q", down.Expr, want)
	}
}

// TestBadConfigFails: every wrong value is refused with its path and value.
func TestBadConfigFails(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{"alerts: {LLMHighErrorRate: {treshold: 1}}", "line 1: field treshold not found in type mixin.Alert"},
		{"alerts: {LLMNoTraffic: {threshold: 1}}", "line 1: field threshold not found in type mixin.FixedAlert"},
		{"alerts: {LLMHighErrorRate: {threshold: -1}}", "alerts.LLMHighErrorRate.threshold: -1: not a number >= 0"},
		{"alerts: {LLMHighErrorRate: {severity: page}}", `alerts.LLMHighErrorRate.severity: "page": not critical, warning or info`},
		{"alerts: {LLMTemplateRegression: {cost_factor: 0}}", "alerts.LLMTemplateRegression.cost_factor: 0: not a number > 0"},
		{"selector: 'namespace=llm'", `selector: "namespace=llm": `},
		{"selector: '__name__=\"x\"'", `selector: "__name__=\"x\"": names a metric: only label matchers are added`},
		{"collector_job: '('", `collector_job: "(": not a non-empty regular expression`},
		{"slos: {latency: {threshold_seconds: 15}}", "slos.latency.threshold_seconds: 15: not a bucket boundary of buckets.request_duration [0.5 1 2 5 10 20 30 60]: the classic buckets have no other"},
		{"slos: {ttft: {overrides: [{model: x, threshold_seconds: 3}]}}", "slos.ttft.overrides[0].threshold_seconds: 3: not a bucket boundary of buckets.time_to_first_token"},
		{"slos: {ttft: {overrides: [{model: x}]}}", `slos.ttft.overrides[0]: "x": sets neither objective nor threshold_seconds`},
		{"slos: {availability: {objective: 100}}", "slos.availability.objective: 100: not a percentage between 0 and 100 (both excluded)"},
		{"slos: {availability: {excluded_reasons: [safety]}}", `slos.availability.excluded_reasons[0]: "safety": not a reason of llm_errors_total`},
		{"slos: {availability: {overrides: [{model: '(', objective: 99}]}}", `slos.availability.overrides[0].model: "(": not a non-empty regular expression`},
		{"slos: {period: 36h}", "slos.period: 1d12h: not a whole number of days"},
		{"slos: {windows: [{long: 5m, short: 1h, burn_rate: 1, severity: warning}]}", "slos.windows[0]: long 5m, short 1h: want 0 < short < long"},
		{"slos: {windows: [{long: 60d, short: 1h, burn_rate: 1, severity: warning}]}", "slos.windows[0].long: 60d: longer than the period"},
		{"slos: {by: [job, le]}", `slos.by[1]: "le": a label the SLO rules set or read themselves`},
		{"slos: {by: [job], availability: {overrides: [{model: a, objective: 99}]}}", "slos.by: [job]: lacks model, which the per-model overrides need"},
		{"buckets: {request_duration: [2, 1]}", "buckets.request_duration: [2 1]: not increasing positive bucket boundaries"},
	} {
		_, err := Load(strings.NewReader(tc.config))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.config, err, tc.want)
		}
	}
}

// TestPercentAndRatio: the objectives and shares are written without float
// noise.
func TestPercentAndRatio(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{{99.5, "0.995"}, {99.9, "0.999"}, {95, "0.95"}, {99.99, "0.9999"}, {100, "1"}, {0.5, "0.005"}} {
		if got := ratioOfPercent(tc.in); got != tc.want {
			t.Errorf("ratioOfPercent(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   float64
		want string
	}{{0.05, "5 %"}, {0.1, "10 %"}, {0.02, "2 %"}, {0.995, "99.5 %"}, {1.5, "150 %"}} {
		if got := percent(tc.in); got != tc.want {
			t.Errorf("percent(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestSlothSpecFollowsTheConfiguration: the Sloth spec carries the
// configuration's service, objectives, thresholds and labels, and says when
// per-model overrides are left out.
func TestSlothSpecFollowsTheConfiguration(t *testing.T) {
	c, err := Load(strings.NewReader(`
slos:
  service: genai
  by: [job, model, service]
  availability: {objective: 99.9, excluded_reasons: [cancelled]}
  ttft: {threshold_seconds: 0.5, overrides: [{model: "o1.*", objective: 90}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Version, Service string
		SLOs             []struct {
			Name      string
			Objective float64
			SLI       struct {
				Events struct {
					ErrorQuery string `yaml:"error_query"`
					TotalQuery string `yaml:"total_query"`
				}
			} `yaml:"sli"`
			Alerting struct{ Name string }
		} `yaml:"slos"`
	}
	raw := c.SlothSpec()
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.Version != "prometheus/v1" || spec.Service != "genai" || len(spec.SLOs) != 3 {
		t.Fatalf("spec %+v", spec)
	}
	avail, ttft := spec.SLOs[0], spec.SLOs[2]
	if avail.Name != "availability" || avail.Objective != 99.9 || avail.Alerting.Name != "LLMErrorBudgetBurn" ||
		avail.SLI.Events.ErrorQuery != `sum by (job, model, service) (rate(llm_errors_total{reason!~"cancelled"}[{{.window}}]))` {
		t.Errorf("availability %+v", avail)
	}
	if want := `sum by (job, model, service) (rate(llm_time_to_first_token_seconds_count[{{.window}}])) - ` +
		`sum by (job, model, service) (rate(llm_time_to_first_token_seconds_bucket{le=~"0\\.5(\\.0)?"}[{{.window}}]))`; ttft.Name != "ttft" ||
		ttft.Objective != 95 || ttft.SLI.Events.ErrorQuery != want {
		t.Errorf("ttft %+v, want error query %s", ttft, want)
	}
	if !strings.Contains(string(raw), "the 1 per-model override(s) of\n# the configuration are not in this spec.") {
		t.Errorf("the spec does not say that the override is left out:\n%s", raw)
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package mixin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
)

// alertInfo is what the tables say of one alerting rule.
type alertInfo struct {
	name      string
	threshold *float64 // nil: fixed by the alert's meaning
	op        string   // the comparison: > >= == <
	extras    []extra  // further numbers of the configuration
	forDur    model.Duration
	severity  string
	what      string // "fires when", Markdown
	value     string // the README's default column
	factor    bool   // the threshold is a factor ("> 1.5 x")
	// windows of a burn-rate rule: "1h/5m"; empty for the others.
	windows string
	// headerWhat is the "fires when" of the rule file's header, if not what.
	headerWhat string
}

// extra is a number of an alert's configuration besides its threshold.
type extra struct {
	key   string
	value float64
	// positive: the number must be > 0 (a factor), else >= 0 (a floor).
	positive bool
}

// alertList returns the alerts of llm-alerts.yaml in their order, then the
// burn-rate alerts of llm-slo.yaml (one per SLO and pair of windows).
func (c Config) alertList() []alertInfo {
	a := c.Alerts
	lastTTFT := "the last bucket"
	if b := c.Buckets.TimeToFirstToken; len(b) > 0 {
		lastTTFT = num(b[len(b)-1]) + " s, the last classic bucket"
	}
	minCall := num(c.MinEventsPerMinute) + " call/min"
	list := []alertInfo{
		ratioAlert("LLMHighErrorRate", a.HighErrorRate, "failed calls / calls over 5m, per model"),
		factorAlert("LLMLatencyRegression", a.LatencyRegression, "p95 duration over 5m > factor × its median of the last day, per model", "× baseline"),
		unitAlert("LLMTimeToFirstTokenHigh", a.TimeToFirstTokenHigh,
			"p95 time to first token over 5m, per model (keep it below "+lastTTFT+")", "seconds"),
		ratioAlert("LLMRateLimited", a.RateLimited, "rate-limited calls / calls over 5m, per model"),
		unitAlert("LLMCostBurnHigh", a.CostBurnHigh, "USD spent in the last hour, per job", "USD/h"),
		unitAlert("LLMUnpricedModel", a.UnpricedModel, "calls without a price in the last 30m, per model", "calls"),
		fixedAlert("LLMNoTraffic", a.NoTraffic, "calls/s over 5m, per job, with calls during the last day and a target up", "0 (calls/s)"),
		unitAlert("LLMLabelOverflow", a.LabelOverflow,
			"calls whose label was folded into `other` since the collector started, per instance and label", "calls"),
		fixedAlert("LLMCollectorDown", a.CollectorDown, "`up` of a target whose job matches `"+c.CollectorJob+"`", "0 (down)"),
		factorAlert("LLMBudgetBurnFast", a.BudgetBurnFast,
			"(spend of the period + 1h rate × time left) / limit, per job and budget; the 5m rate's projection too, and not while exceeded", "× limit"),
		withOp(factorAlert("LLMBudgetExceeded", a.BudgetExceeded, "spend of the current period / limit, per job and budget (`>=`)", "× limit"), ">="),
		ratioAlert("LLMToolErrorRate", a.ToolErrorRate, "failed tool calls / tool calls over 5m, per tool"),
		ratioAlert("LLMTruncatedResponses", a.TruncatedResponses,
			"answers with finish reason `length` / calls that reported a finish reason, over 5m, per model"),
		ratioAlert("LLMStreamInterruptions", a.StreamInterruptions,
			"streamed calls that failed after their first chunk / streamed calls with a first chunk, over 5m, per model"),
		withExtras(factorAlert("LLMGuardrailBlockRate", a.GuardrailBlockRate.Alert,
			"blocked / all checks over 5m > factor × the same share over the last week, per guardrail, and above "+
				percent(a.GuardrailBlockRate.Floor), "× baseline"),
			extra{key: "floor", value: a.GuardrailBlockRate.Floor}),
		unitAlert("LLMEvaluationScoreDrop", a.EvaluationScoreDrop,
			"median score over 1h: the same hour a week ago minus now, per evaluation (scores 0 to 1)", "score"),
		withExtras(factorAlert("LLMTemplateRegression", a.TemplateRegression.Alert,
			"over 1h, per template (all models): p95 duration / the same hour a week ago (`regression=\"latency\"`); completion tokens per call / a week ago: "+
				num(a.TemplateRegression.CompletionTokensFactor)+" (`completion_tokens`), USD per call: "+num(a.TemplateRegression.CostFactor)+
				" (`cost`); "+minCall+" now and a week ago",
			"× a week ago; "+num(a.TemplateRegression.CompletionTokensFactor)+" for tokens, "+num(a.TemplateRegression.CostFactor)+" for cost"),
			extra{key: "completion_tokens_factor", value: a.TemplateRegression.CompletionTokensFactor, positive: true},
			extra{key: "cost_factor", value: a.TemplateRegression.CostFactor, positive: true}),
		withExtras(withOp(factorAlert("LLMCacheHitRatioDrop", a.CacheHitRatioDrop.Alert,
			"cached / prompt tokens over 1h < factor × the same over the last day, per model and template, the day's ratio above "+
				num(a.CacheHitRatioDrop.Floor), "× baseline"), "<"),
			extra{key: "floor", value: a.CacheHitRatioDrop.Floor}),
	}
	for _, s := range c.slis() {
		for _, w := range c.SLOs.Windows {
			kind := "ticket"
			if w.Severity == "critical" {
				kind = "page"
			}
			burn := w.BurnRate
			list = append(list, alertInfo{
				name: s.Alert, threshold: &burn, op: ">", severity: w.Severity, factor: true,
				what: fmt.Sprintf("burn rate of the %s SLO over %v/%v (both windows), per %s (%s; [SLOs](#slos))",
					s.Name, w.Long, w.Short, strings.Join(c.SLOs.By[min(1, len(c.SLOs.By)-1):], " and "), kind),
				value:      num(burn) + " (× budget rate)",
				windows:    fmt.Sprintf("%v/%v", w.Long, w.Short),
				headerWhat: fmt.Sprintf("burn rate of the %s SLO over %v/%v", s.Name, w.Long, w.Short),
			})
		}
	}
	return list
}

func ratioAlert(name string, a Alert, what string) alertInfo {
	t := a.Threshold
	return alertInfo{
		name: name, threshold: &t, op: ">", forDur: a.For, severity: a.Severity, what: what,
		value: num(t) + " (" + percent(t) + ")",
	}
}

func factorAlert(name string, a Alert, what, unit string) alertInfo {
	info := unitAlert(name, a, what, unit)
	info.factor = true
	return info
}

func unitAlert(name string, a Alert, what, unit string) alertInfo {
	t := a.Threshold
	return alertInfo{
		name: name, threshold: &t, op: ">", forDur: a.For, severity: a.Severity, what: what,
		value: num(t) + " (" + unit + ")",
	}
}

func fixedAlert(name string, a FixedAlert, what, value string) alertInfo {
	zero := 0.0
	return alertInfo{name: name, threshold: &zero, op: "==", forDur: a.For, severity: a.Severity, what: what, value: value}
}

func withOp(a alertInfo, op string) alertInfo { a.op = op; return a }

func withExtras(a alertInfo, extras ...extra) alertInfo { a.extras = extras; return a }

// num formats a number of the configuration as the rules write it: the
// shortest decimal that reads back as the same float (0.05, 1.5, 14.4, 10).
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// percent formats a ratio as a percentage without float noise: 0.05 is
// "5 %", 0.995 "99.5 %".
func percent(v float64) string { return shiftDecimal(num(v), 2) + " %" }

// shiftDecimal moves the decimal point of a decimal number n places (to the
// right if n > 0), as text: no float rounding.
func shiftDecimal(s string, n int) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	point := len(intPart) + n
	for point > len(digits) {
		digits += "0"
	}
	for point < 0 {
		digits = "0" + digits
		point++
	}
	out := strings.TrimLeft(digits[:point], "0")
	if out == "" {
		out = "0"
	}
	if f := strings.TrimRight(digits[point:], "0"); f != "" {
		out += "." + f
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

// forText is a for: as the tables write it: "10m", or "-" for none.
func forText(d model.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.String()
}

// ReadmeTable is the threshold table of rules/README.md.
func (c Config) ReadmeTable() string {
	var b strings.Builder
	b.WriteString("| Alert | Fires when | Default | `for` | Severity |\n|---|---|---|---|---|\n")
	for _, a := range c.alertList() {
		f := forText(a.forDur)
		if f != "-" {
			f = "`" + f + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", a.name, a.what, a.value, f, a.severity)
	}
	return b.String()
}

var mdLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// headerTable is the threshold table of a rule file's header comment, for
// the alerts of that file (slo: the burn-rate alerts, else the others).
func (c Config) headerTable(slo bool) string {
	const nameW, whatW, valueW, forW = 25, 56, 10, 6
	var b strings.Builder
	fmt.Fprintf(&b, "#   %-*s%-*s %-*s%-*s%s\n", nameW, "alert", whatW, "fires when (per job and model unless noted)", valueW, "default", forW, "for", "severity")
	for _, a := range c.alertList() {
		if (a.windows != "") != slo {
			continue
		}
		what := strings.ReplaceAll(mdLink.ReplaceAllString(a.what, "$1"), "`", "")
		if a.headerWhat != "" {
			what = a.headerWhat
		}
		value := a.op + " " + num(*a.threshold)
		if a.factor {
			value += " x"
		}
		lines := wrap(what, whatW)
		fmt.Fprintf(&b, "#   %-*s%-*s %-*s%-*s%s\n", nameW, a.name, whatW, lines[0], valueW, value, forW, forText(a.forDur), a.severity)
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "#   %-*s%s\n", nameW, "", l)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// RunbookIndex is the alert index of docs/runbook.md: each alert once, with
// a link to its section, its severity and its threshold (a burn-rate alert:
// each pair of windows).
func (c Config) RunbookIndex() string {
	type row struct {
		name, severity, at, forDur string
	}
	var rows []*row
	byName := map[string]*row{}
	for _, a := range c.alertList() {
		if r, ok := byName[a.name]; ok {
			if !strings.Contains(r.severity, a.severity) {
				r.severity += ", " + a.severity
			}
			r.at += fmt.Sprintf(", %s over %s", num(*a.threshold), a.windows)
			continue
		}
		r := &row{name: a.name, severity: a.severity, at: a.op + " " + a.value, forDur: forText(a.forDur)}
		if a.windows != "" {
			r.at = fmt.Sprintf("burn rate > %s over %s", num(*a.threshold), a.windows)
		}
		byName[a.name] = r
		rows = append(rows, r)
	}
	var b strings.Builder
	b.WriteString("| Alert | Severity | Fires at | `for` |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |\n", r.name, strings.ToLower(r.name), r.severity, r.at, r.forDur)
	}
	return b.String()
}

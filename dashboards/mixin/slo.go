// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package mixin

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// sli is one SLO of llm-slo.yaml with the text of its rules.
type sli struct {
	Name, ID, Alert string
	// Comment is the block comment of its recording rules, Markdown-free.
	Comment []string
	// Errors is the error-ratio expression of each recorded window.
	Errors []windowExpr
	// Base is the shortest window (5m): the period's ratio and the current
	// burn rate read it.
	Base             string
	ObjectiveComment string
	Objective        string
	// Guards is the minimum-traffic condition of each alert, by short window.
	Guards    map[string]string
	Summary   string
	BadEvents string
}

type windowExpr struct {
	Window, Expr string
}

// clause is a part of an SLO's expression for the models its matchers
// select (none: every model).
type clause struct {
	matchers  []string
	threshold float64
	objective float64
}

// slis returns the three SLOs in their order in llm-slo.yaml.
func (c Config) slis() []sli {
	s := c.SLOs
	windows := c.RecordedWindows()
	by := strings.Join(s.By, ", ")
	minRate := c.minRate()
	id := func(name string) string { return s.Service + "-" + name }

	// availability
	errSel := "llm_errors_total"
	if r := s.Availability.ExcludedReasons; len(r) > 0 {
		errSel += `{reason!~"` + strings.Join(r, "|") + `"}`
	}
	avail := sli{
		Name: "availability", ID: id("availability"), Alert: "LLMErrorBudgetBurn", Base: windows[0],
		Summary: "LLM calls fail fast enough to exhaust the availability error budget.", BadEvents: "failed calls",
		Guards: map[string]string{},
	}
	excluded := "every reason of llm_errors_total"
	if r := s.Availability.ExcludedReasons; len(r) > 0 {
		excluded += " but " + strings.Join(r[:len(r)-1], ", ")
		if len(r) > 1 {
			excluded += " and "
		}
		excluded += r[len(r)-1] + " (the content's or the caller's doing, not the provider's)"
	}
	avail.Comment = wrap("---- availability: failed calls / calls. Counted against the service: "+excluded+
		" (slos.availability.excluded_reasons of the configuration, rules/README.md#slos). A model without a counted "+
		"failure has no llm_errors_total series for those reasons: `or 0 *` the calls makes its ratio 0, not missing.", 74)
	for _, w := range windows {
		avail.Errors = append(avail.Errors, windowExpr{w, fmt.Sprintf(`(
    sum by (%[1]s) (rate(%[2]s[%[3]s]))
  or
    0 * sum by (%[1]s) (rate(llm_requests_total[%[3]s]))
)
/ sum by (%[1]s) (rate(llm_requests_total[%[3]s]))
>= 0`, by, errSel, w)})
	}
	for _, p := range s.Windows {
		avail.Guards[p.Short.String()] = fmt.Sprintf("and on (%[1]s) sum by (%[1]s) (rate(llm_requests_total[%[2]s])) > %[3]s", by, p.Short, minRate)
	}
	var availClauses []clause
	for _, o := range s.Availability.Overrides {
		availClauses = append(availClauses, clause{matchers: []string{"model=~" + strconv.Quote(o.Model)}, objective: o.Objective})
	}
	availClauses = append(availClauses, clause{objective: s.Availability.Objective})
	avail.Objective = objectiveExpr(availClauses, func(m []string) string {
		return fmt.Sprintf("group by (%s) (%s)", by, selector("llm_requests_total", m))
	})
	avail.ObjectiveComment = objectiveComment(s.Availability.Objective, len(s.Availability.Overrides) > 0, s.Period)

	latency := c.latencySLI("latency", s.Latency, "llm_request_duration_seconds", windows, by, minRate)
	latency.Summary = "LLM calls are slow often enough to exhaust the latency error budget."
	latency.Comment = wrap(fmt.Sprintf("---- latency: share of calls slower than %s s%s (a boundary of the buckets): "+
		"1 - calls <= threshold / calls, from the native histogram when Prometheus ingests it, else from the le=%q bucket "+
		"(Prometheus 3 writes le=%q, Prometheus 2 le=%q: the regex matches both).",
		num(s.Latency.ThresholdSeconds), overridesNote(len(s.Latency.Overrides)), num(s.Latency.ThresholdSeconds),
		num(s.Latency.ThresholdSeconds), prom2Le(s.Latency.ThresholdSeconds)), 74)
	latency.BadEvents = "calls slower than " + num(s.Latency.ThresholdSeconds) + " s"

	ttft := c.latencySLI("ttft", s.TTFT, "llm_time_to_first_token_seconds", windows, by, minRate)
	ttft.Alert = "LLMTTFTBudgetBurn"
	ttft.Summary = "Streamed LLM calls start slowly often enough to exhaust the time-to-first-token error budget."
	ttft.Comment = wrap(fmt.Sprintf("---- ttft: share of streamed calls whose first token came after %s s%s (a boundary "+
		"of the buckets): 1 - first tokens <= threshold / first tokens, native histogram first, else the le=%q / le=%q "+
		"bucket. A model without streamed calls has no time-to-first-token series, hence no ttft SLO series and no LLMTTFTBudgetBurn.",
		num(s.TTFT.ThresholdSeconds), overridesNote(len(s.TTFT.Overrides)), num(s.TTFT.ThresholdSeconds), prom2Le(s.TTFT.ThresholdSeconds)), 74)
	ttft.BadEvents = "streamed calls whose first token came after " + num(s.TTFT.ThresholdSeconds) + " s"
	if len(s.Latency.Overrides) > 0 {
		latency.BadEvents = "calls slower than the model's threshold"
	}
	if len(s.TTFT.Overrides) > 0 {
		ttft.BadEvents = "streamed calls whose first token came after the model's threshold"
	}
	return []sli{avail, latency, ttft}
}

// latencySLI builds the rules of a latency-like SLO on histogram family.
func (c Config) latencySLI(name string, l LatencySLO, family string, windows []string, by, minRate string) sli {
	s := sli{Name: name, ID: c.SLOs.Service + "-" + name, Alert: "LLMLatencyBudgetBurn", Base: windows[0], Guards: map[string]string{}}
	// One clause per override, for the models its regex matches and no
	// earlier one does (the first that matches wins), then the default for
	// the models no override matches.
	var clauses []clause
	var earlier []string
	for _, o := range l.Overrides {
		m := []string{"model=~" + strconv.Quote(o.Model)}
		if len(earlier) > 0 {
			m = append(m, "model!~"+strconv.Quote(strings.Join(earlier, "|")))
		}
		cl := clause{matchers: m, threshold: l.ThresholdSeconds, objective: l.Objective}
		if o.ThresholdSeconds != 0 {
			cl.threshold = o.ThresholdSeconds
		}
		if o.Objective != 0 {
			cl.objective = o.Objective
		}
		clauses = append(clauses, cl)
		earlier = append(earlier, o.Model)
	}
	def := clause{threshold: l.ThresholdSeconds, objective: l.Objective}
	if len(earlier) > 0 {
		def.matchers = []string{"model!~" + strconv.Quote(strings.Join(earlier, "|"))}
	}
	clauses = append(clauses, def)

	// The error ratio needs one clause per threshold only if a threshold
	// differs from the default.
	thresholdClauses := []clause{{threshold: l.ThresholdSeconds}}
	if slices.ContainsFunc(clauses, func(cl clause) bool { return cl.threshold != l.ThresholdSeconds }) {
		thresholdClauses = clauses
	}
	for _, w := range windows {
		var parts []string
		for _, cl := range thresholdClauses {
			t := num(cl.threshold)
			le := `le=~"` + strings.ReplaceAll(t, ".", `\\.`) + `(\\.0)?"`
			parts = append(parts, fmt.Sprintf(`    histogram_fraction(0, %[1]s, sum by (%[2]s) (rate(%[3]s[%[4]s])))
  or
    sum by (%[2]s) (rate(%[5]s[%[4]s]))
      / sum by (%[2]s) (rate(%[6]s[%[4]s]))`, t, by, selector(family, cl.matchers), w,
				selector(family+"_bucket", append(slices.Clone(cl.matchers), le)), selector(family+"_count", cl.matchers)))
		}
		s.Errors = append(s.Errors, windowExpr{w, "1 - (\n" + strings.Join(parts, "\n  or\n") + "\n)\n>= 0"})
	}
	for _, p := range c.SLOs.Windows {
		s.Guards[p.Short.String()] = fmt.Sprintf(`and on (%[1]s) (
    sum by (%[1]s) (histogram_count(rate(%[2]s[%[3]s])))
  or
    sum by (%[1]s) (rate(%[2]s_count[%[3]s]))
) > %[4]s`, by, family, p.Short, minRate)
	}
	objClauses := []clause{{objective: l.Objective}}
	if slices.ContainsFunc(clauses, func(cl clause) bool { return cl.objective != l.Objective }) {
		objClauses = clauses
	}
	s.Objective = objectiveExpr(objClauses, func(m []string) string {
		return fmt.Sprintf("group by (%[1]s) (%[2]s) or group by (%[1]s) (%[3]s)", by, selector(family+"_count", m), selector(family, m))
	})
	s.ObjectiveComment = objectiveComment(l.Objective, len(l.Overrides) > 0, c.SLOs.Period)
	return s
}

// objectiveExpr is slo:objective:ratio: the objective of each clause times
// the series of its models (group gives the series of the clause's models).
func objectiveExpr(clauses []clause, group func(matchers []string) string) string {
	if len(clauses) == 1 {
		return ratioOfPercent(clauses[0].objective) + " * (" + group(nil) + ")"
	}
	var parts []string
	for _, cl := range clauses {
		parts = append(parts, "    "+ratioOfPercent(cl.objective)+" * ("+group(cl.matchers)+")")
	}
	return "(\n" + strings.Join(parts, "\n  or\n") + "\n)"
}

func objectiveComment(objective float64, overrides bool, period model.Duration) string {
	per := ""
	if overrides {
		per = "; per model where an override sets another"
	}
	return fmt.Sprintf("The objective (%s %% over %s%s), one series per job and model\n      # that the collector exposes.",
		num(objective), periodText(period), per)
}

func overridesNote(n int) string {
	if n == 0 {
		return ""
	}
	return " (per model: the overrides of the configuration)"
}

// prom2Le is how Prometheus 2 writes the le of a boundary: 10 as 10.0.
func prom2Le(v float64) string {
	s := num(v)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// ratioOfPercent writes a percentage as a ratio without float noise: 99.5
// is 0.995, 99.9 is 0.999.
func ratioOfPercent(p float64) string { return shiftDecimal(num(p), -2) }

// periodText is the period in words for descriptions: "30 days", "30-day".
func periodText(p model.Duration) string {
	return fmt.Sprintf("%d days", time.Duration(p)/time.Duration(day))
}

// RecordedWindows are the windows of slo:sli_error:ratio_rate<window>: 5m and
// both windows of every pair, shortest first (the period's comes on top).
func (c Config) RecordedWindows() []string {
	ds := []model.Duration{model.Duration(5 * time.Minute)}
	for _, w := range c.SLOs.Windows {
		ds = append(ds, w.Long, w.Short)
	}
	slices.Sort(ds)
	ds = slices.Compact(ds)
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

// minRate is the minimum traffic of the alerts, events per second.
func (c Config) minRate() string { return num(c.MinEventsPerMinute) + "/60" }

// selector writes metric{matchers...}.
func selector(metric string, matchers []string) string {
	if len(matchers) == 0 {
		return metric
	}
	return metric + "{" + strings.Join(matchers, ", ") + "}"
}

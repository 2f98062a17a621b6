// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package mixin

import (
	"fmt"
	"math"
	"strings"
)

// sloFile writes llm-slo.yaml.
func (c Config) sloFile() string {
	s := c.SLOs
	slis := c.slis()
	period := s.Period.String()
	days := strings.TrimSuffix(periodText(s.Period), " days")
	by := andList(s.By)
	var b strings.Builder
	line := func(indent int, format string, args ...any) {
		b.WriteString(strings.Repeat(" ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\n")
	}
	comment := func(indent int, text string) {
		for _, l := range wrap(text, 78-indent-2) {
			line(indent, "# %s", l)
		}
	}
	block := func(indent int, text string) {
		for _, l := range strings.Split(text, "\n") {
			line(indent, "%s", l)
		}
	}
	labels := func(x sli, window string) {
		line(8, "labels:")
		line(10, "sloth_service: %s", s.Service)
		line(10, "sloth_slo: %s", x.Name)
		line(10, "sloth_id: %s", x.ID)
		if window != "" {
			line(10, "sloth_window: %s", window)
		}
	}
	expr := func(e string) {
		if !strings.Contains(e, "\n") {
			line(8, "expr: %s", e)
			return
		}
		line(8, "expr: |")
		block(10, e)
	}

	b.WriteString(generatedLine)
	comment(0, "SLOs of otelcol-llm (rules/README.md#slos): availability, latency and time to first token per "+
		strings.Join(s.By, " and ")+", recorded with Sloth's names and labels (group otelcol-llm.slo), and the SRE "+
		"Workbook's multiwindow, multi-burn-rate alerts on them (group otelcol-llm.slo-alerts). Reads the llm_* "+
		"families only: it needs neither llm-recording.yaml nor llm-alerts.yaml.")
	line(0, "#")
	b.WriteString(c.headerTable(true) + "\n")
	line(0, "#                            (error ratio / (1 - objective), both windows;")
	line(0, "#                            rules/README.md#slos)")
	line(0, "#")
	for _, l := range wrap("Minimum traffic: "+c.minEventsText()+" (call; streamed call for TTFT) per minute over the short window.", 74) {
		line(0, "#   %s", l)
	}
	line(0, "groups:")
	comment(2, "SLOs with Sloth-compatible names and labels (rules/README.md#slos), one block per SLI: "+
		"slo:sli_error:ratio_rate<window> is the share of bad events over the window ("+strings.Join(c.RecordedWindows(), ", ")+
		", and the "+days+"-day period), then the metadata series Sloth records (objective, error budget, period, burn "+
		"rates, budget left). Every series carries "+by+", sloth_service=\""+s.Service+"\", sloth_slo ("+
		"availability, latency, ttft) and sloth_id ("+s.Service+"-<sloth_slo>); the windows add sloth_window. Only "+by+
		" are kept: instance, template, tenant, the dimensions (service, provider, your own) and any other target label "+
		"not in slos.by are summed away, so an SLO has one series per "+by+" and window. A window without events records "+
		"nothing (`>= 0` drops the NaN of 0 / 0). The alerts (group otelcol-llm.slo-alerts, below) read the windows and "+
		"slo:error_budget:ratio: set an objective (per model too) in the configuration of the generator and the alerts follow.")
	line(2, "- name: otelcol-llm.slo")
	line(4, "rules:")
	for i, x := range slis {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, l := range x.Comment {
			line(6, "# %s", l)
		}
		for _, w := range x.Errors {
			line(6, "- record: slo:sli_error:ratio_rate%s", w.Window)
			expr(w.Expr)
			labels(x, w.Window)
		}
		line(6, "# The period's error ratio, as Sloth computes it: the mean of the %s", x.Base)
		line(6, "# ratios of the last %s (each evaluation weighted alike).", periodText(s.Period))
		line(6, "- record: slo:sli_error:ratio_rate%s", period)
		expr(fmt.Sprintf("sum_over_time(slo:sli_error:ratio_rate%[1]s{sloth_id=%[2]q}[%[3]s])\n  / ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate%[1]s{sloth_id=%[2]q}[%[3]s])",
			x.Base, x.ID, period))
		labels(x, period)
		line(6, "# %s", x.ObjectiveComment)
		meta := []struct{ record, expr string }{
			{"slo:objective:ratio", x.Objective},
			{"slo:error_budget:ratio", fmt.Sprintf("1 - slo:objective:ratio{sloth_id=%q}", x.ID)},
			{"slo:time_period:days", fmt.Sprintf("%s + 0 * slo:objective:ratio{sloth_id=%q}", days, x.ID)},
			{"slo:current_burn_rate:ratio", fmt.Sprintf("slo:sli_error:ratio_rate%s{sloth_id=%q} / ignoring (sloth_window) slo:error_budget:ratio{sloth_id=%q}", x.Base, x.ID, x.ID)},
			{"slo:period_burn_rate:ratio", fmt.Sprintf("slo:sli_error:ratio_rate%s{sloth_id=%q} / ignoring (sloth_window) slo:error_budget:ratio{sloth_id=%q}", period, x.ID, x.ID)},
			{"slo:period_error_budget_remaining:ratio", fmt.Sprintf("1 - slo:period_burn_rate:ratio{sloth_id=%q}", x.ID)},
		}
		for _, m := range meta {
			line(6, "- record: %s", m.record)
			expr(m.expr)
			labels(x, "")
		}
	}

	b.WriteString("\n")
	var pairs []string
	for _, w := range s.Windows {
		spent := math.Round(w.BurnRate*float64(w.Long)/float64(s.Period)*1e4) / 1e4
		pairs = append(pairs, fmt.Sprintf("%s over %v and %v (%s of the budget in %v; %s)", num(w.BurnRate), w.Long, w.Short, percent(spent), w.Long, w.Severity))
	}
	comment(2, "SLO burn rates (rules/README.md#slos): the SRE Workbook's multiwindow, multi-burn-rate alerts on the SLO "+
		"series of group otelcol-llm.slo. The burn rate is the window's error ratio / the error budget (1 - objective): 1 "+
		"spends the budget in exactly "+periodText(s.Period)+". One rule per SLI and pair of windows, with labels long and short: "+
		strings.Join(pairs, "; ")+". Both windows must burn: the long one says the burn is significant, the short one that "+
		"it is still going on. No `for:`. Minimum traffic: "+c.minEventsText()+" (call; streamed call for TTFT) per minute over the short window.")
	line(2, "- name: otelcol-llm.slo-alerts")
	line(4, "rules:")
	subject := alertSubject(s.By)
	first := true
	for _, x := range slis {
		for _, w := range s.Windows {
			if !first {
				b.WriteString("\n")
			}
			first = false
			long, short := w.Long.String(), w.Short.String()
			f := num(w.BurnRate)
			line(6, "- alert: %s", x.Alert)
			line(8, "expr: |")
			line(10, "slo:sli_error:ratio_rate%s{sloth_id=%q} / ignoring (sloth_window) slo:error_budget:ratio{sloth_id=%q} > %s", long, x.ID, x.ID, f)
			line(10, "and slo:sli_error:ratio_rate%s{sloth_id=%q} / ignoring (sloth_window) slo:error_budget:ratio{sloth_id=%q} > %s", short, x.ID, x.ID, f)
			block(10, x.Guards[short])
			line(8, "labels:")
			line(10, "severity: %s", w.Severity)
			line(10, "long: %s", long)
			line(10, "short: %s", short)
			line(8, "annotations:")
			line(10, "summary: %s", x.Summary)
			line(10, "description: >-")
			line(12, "%s burns its %s error budget", subject, x.Name)
			line(12, `(%s) {{ $value | printf "%%.1f" }} times as fast as the %s-day objective allows`, x.BadEvents, days)
			line(12, "over the last %s, and more than %s times as fast over the last %s.", long, f, short)
			line(10, "runbook_url: %s", c.runbook(x.Alert))
		}
	}
	return b.String()
}

// andList writes a, b and c.
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// alertSubject names what an SLO alert is about in its description: "Model
// {{ $labels.model }} (job {{ $labels.job }})" for the default labels.
func alertSubject(by []string) string {
	lead := by[0]
	for _, l := range by {
		if l == "model" {
			lead = l
		}
	}
	var rest []string
	for _, l := range by {
		if l != lead {
			rest = append(rest, fmt.Sprintf("%s {{ $labels.%s }}", l, l))
		}
	}
	out := strings.ToUpper(lead[:1]) + lead[1:] + " {{ $labels." + lead + " }}"
	if len(rest) > 0 {
		out += " (" + strings.Join(rest, ", ") + ")"
	}
	return out
}

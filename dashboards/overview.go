// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package dashboards defines the otelcol-llm Grafana dashboards as Go data,
// builds them with the Grafana foundation SDK and lists their PromQL queries.
//
// `make dashboards` (go run ./gen) writes llm-overview.json and queries.json;
// the tests fail when either file differs from what this package builds.
package dashboards

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/piechart"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"

	"github.com/otelcol-llm/otelcol-llm/dashboards/mixin"
)

// AlertsAnnotationExpr marks the time ranges in which an alert of
// rules/llm-alerts.yaml or rules/llm-slo.yaml fired.
const AlertsAnnotationExpr = `ALERTS{alertname=~"LLM.*", alertstate="firing"}`

// BurnAlertsExpr selects the firing burn-rate alerts of rules/llm-slo.yaml of
// the dashboard's job and models.
const BurnAlertsExpr = `ALERTS{alertname=~"LLM.*BudgetBurn", alertstate="firing", ` + selSLO + `}`

// OverviewUID is the stable uid of the overview dashboard: links and
// provisioned copies keep working across re-imports.
const OverviewUID = "otelcol-llm-overview"

// Label selectors. Every panel filters on the dashboard variables it can:
//   - the llm_* series from the exporter carry job, instance, model, the
//     configured dimensions (service, provider and tenant among the presets)
//     and, except llm_errors_total and llm_unpriced_requests_total, template;
//   - the recording rules of rules/llm-recording.yaml aggregate instance,
//     template and tenant away (they are what the alerts evaluate) and keep
//     the rest, so job, model, service and provider apply to the panels built
//     on them; the job-level cost rule keeps job only (of the shipped labels);
//   - the budget rules keep only budget, period and job;
//   - the agent, tool, guardrail and evaluation families (llm_agent_*,
//     llm_tool_*, llm_guardrail_results_total, llm_evaluation_*) carry job,
//     instance and their own labels only: no model, template or dimension.
//
// A dimension that is not configured leaves its label off every series: the
// All value .* matches the empty value, so such series still pass the filter.
const (
	selDims     = `service=~"$service", provider=~"$provider", tenant=~"$tenant"`
	selAll      = `job="$job", instance=~"$instance", ` + selDims + `, model=~"$model", template=~"$template"`
	selModel    = `job="$job", instance=~"$instance", ` + selDims + `, model=~"$model"`
	selTarget   = `job="$job", instance=~"$instance"`
	selRuleDims = `service=~"$service", provider=~"$provider"`
	selRule     = `job="$job", ` + selRuleDims + `, model=~"$model"`
	selJob      = `job="$job"`
	selBudget   = `job="$job"`
	// selSLO: the SLO series of rules/llm-slo.yaml keep job and model only.
	selSLO = `job="$job", model=~"$model"`
	// selTemplate: the template:* rules of rules/llm-recording.yaml sum
	// instance, model and tenant away and keep the other dimensions.
	selTemplate = `job="$job", ` + selRuleDims + `, template=~"$template"`
)

// The SLOs of rules/llm-slo.yaml, as the rules generator's defaults set
// them: the panels of the SLOs row count the same bad events.
var (
	sloConfig = mixin.Default().SLOs
	// SLOExcludedReasons are the reasons of llm_errors_total that the
	// availability SLO does not count (its reason!~ regex).
	SLOExcludedReasons = strings.Join(sloConfig.Availability.ExcludedReasons, "|")
	// latencyBound and ttftBound are the thresholds of the latency and ttft
	// SLOs, seconds, as the rules write them (10, 2).
	latencyBound = strconv.FormatFloat(sloConfig.Latency.ThresholdSeconds, 'f', -1, 64)
	ttftBound    = strconv.FormatFloat(sloConfig.TTFT.ThresholdSeconds, 'f', -1, 64)
	// windowTargets and windowColumns are the error ratio of every recorded
	// window of the SLOs, then of the period, one column each.
	windowTargets, windowColumns = sloWindowTable(append(mixin.Default().RecordedWindows(), sloConfig.Period.String()))
)

// sloWindowTable is a query and a column per SLO window, after the SLO and
// model columns.
func sloWindowTable(windows []string) ([]target, []column) {
	targets := make([]target, len(windows))
	columns := []column{labelColumn("sloth_slo", "SLO"), labelColumn("model", "Model")}
	for i, w := range windows {
		targets[i] = target{expr: bySLO("slo:sli_error:ratio_rate" + w)}
		columns = append(columns, column{target: i, title: w})
	}
	return targets, columns
}

// target is one query of a panel.
type target struct {
	expr   string
	legend string
	// dashed draws the series with a dashed line (baselines, totals).
	dashed bool
}

// Panel kinds. The instant kinds (all but timeseries) show the value at the
// end of the time range.
const (
	kindTimeseries = "timeseries"
	kindStat       = "stat"
	kindBarGauge   = "bargauge"
	kindPie        = "piechart"
	kindTable      = "table"
)

// panel is one visualization.
type panel struct {
	title       string
	description string
	unit        string
	kind        string
	stacked     bool
	width       uint32
	targets     []target
	// columns of a table, in order: label columns, then one value column per
	// target (see column).
	columns []column
	// sortDesc is the title of the column a table is sorted by, descending.
	sortDesc string
	// thresholds draws a time series' threshold lines at these values
	// (ascending): orange at the first, red at the last.
	thresholds []float64
}

// column is a table column: a label of the queries' series, or (target >= 0)
// the value of the target with that index.
type column struct {
	label  string
	target int
	title  string
	// unit, when not the panel's; gauge draws the value as a gauge from 0 to
	// 1 (a share), red below 0.1, orange below 0.25, green above.
	unit  string
	gauge bool
}

func labelColumn(label, title string) column { return column{label: label, target: -1, title: title} }

// row groups panels under a (non-collapsed) row header.
type row struct {
	title  string
	panels []panel
}

// quantile is the PromQL of a quantile by the given labels, over the series
// every variable selects (selAll), that prefers the
// native histogram and falls back to the classic buckets: with classic buckets
// only (the default scrape), the native series does not exist and `or` takes the
// right-hand side; with both (scrape_native_histograms plus
// always_scrape_classic_histograms) the finer native histogram wins.
func quantile(q, metric, by string) string { return quantileSel(q, metric, by, selAll) }

// quantileSel is quantile over the series that sel selects.
func quantileSel(q, metric, by, sel string) string {
	return fmt.Sprintf(`histogram_quantile(%s, sum by (%s) (rate(%s{%s}[$__rate_interval])))`+
		` or histogram_quantile(%s, sum by (le, %s) (rate(%s_bucket{%s}[$__rate_interval])))`,
		q, by, metric, sel, q, by, metric, sel)
}

// mean is the PromQL of a histogram's mean observation by the given labels,
// over the series sel selects: the native histogram's histogram_avg when
// Prometheus ingests it, else _sum / _count of the classic series (as in
// quantile).
func mean(metric, by, sel string) string {
	return fmt.Sprintf(`histogram_avg(sum by (%[2]s) (rate(%[1]s{%[3]s}[$__rate_interval])))`+
		` or sum by (%[2]s) (rate(%[1]s_sum{%[3]s}[$__rate_interval]))`+
		` / sum by (%[2]s) (rate(%[1]s_count{%[3]s}[$__rate_interval]))`, metric, by, sel)
}

// count is the PromQL of a histogram's observations per second by the given
// labels, over the series sel selects: the native histogram's
// histogram_count when Prometheus ingests it, else the classic _count series.
func count(metric, by, sel string) string {
	return fmt.Sprintf(`histogram_count(sum by (%[2]s) (rate(%[1]s{%[3]s}[$__rate_interval])))`+
		` or sum by (%[2]s) (rate(%[1]s_count{%[3]s}[$__rate_interval]))`, metric, by, sel)
}

// ratio is the share of the series of metric that filter selects among all
// of them, by the given labels, over the series sel selects: e.g. the error
// ratio by tool. A group without a single selected series (no error yet) has
// no value.
func ratio(metric, filter, by, sel string) string {
	return fmt.Sprintf(`sum by (%[3]s) (rate(%[1]s{%[4]s, %[2]s}[$__rate_interval]))`+
		` / sum by (%[3]s) (rate(%[1]s{%[4]s}[$__rate_interval]))`, metric, filter, by, sel)
}

// spendBy is the estimated USD spent in the time range by one label of the
// cost counter. Series without the label (its dimension is not configured)
// add up to one series whose label reads "(no <label> dimension)".
func spendBy(label string) string {
	return fmt.Sprintf(`label_replace(sum by (%[1]s) (increase(llm_cost_usd_total{%[2]s}[$__range])), `+
		`"%[1]s", "(no %[1]s dimension)", "%[1]s", "")`, label, selAll)
}

// slowerThan is the PromQL of the observations per second above bound (a
// bucket boundary) by the given labels, over the series sel selects: count
// times the share above bound of the native histogram when Prometheus
// ingests it, else _count minus the bucket le=bound (written le="10" by
// Prometheus 3, le="10.0" by Prometheus 2: the regex matches both), as the
// latency and TTFT SLIs of rules/llm-slo.yaml count their bad events.
func slowerThan(metric, bound, by, sel string) string {
	return fmt.Sprintf(`histogram_count(sum by (%[3]s) (rate(%[1]s{%[4]s}[$__rate_interval])))`+
		` * (1 - histogram_fraction(0, %[2]s, sum by (%[3]s) (rate(%[1]s{%[4]s}[$__rate_interval]))))`+
		` or sum by (%[3]s) (rate(%[1]s_count{%[4]s}[$__rate_interval]))`+
		` - sum by (%[3]s) (rate(%[1]s_bucket{%[4]s, le=~"%[2]s(\\.0)?"}[$__rate_interval]))`, metric, bound, by, sel)
}

// bySLO is the SLO series name per SLO and model (one series each: max only
// drops the sloth_id, sloth_service and sloth_window labels).
func bySLO(name string) string {
	return `max by (sloth_slo, model) (` + name + `{` + selSLO + `})`
}

// burnRate is the burn rate over the SLO window w (5m, 30m, 1h, ...): the
// window's error ratio over the error budget, per SLO and model, as the
// burn-rate alerts compute it.
func burnRate(w string) string {
	return bySLO("slo:sli_error:ratio_rate"+w) + ` / ` + bySLO("slo:error_budget:ratio")
}

// vsLastWeek is the ratio of a template:* series to its value a week ago
// (the _offset1w record); none where the week-ago value is missing or 0.
func vsLastWeek(name string) string {
	return name + `{` + selTemplate + `} / (` + name + `_offset1w{` + selTemplate + `} > 0)`
}

// topCostPerCall is the average USD per call in the time range of the ten
// costliest (service, model, template) combinations; a combination without
// calls is left out (no division by zero).
var topCostPerCall = `topk(10, label_replace(` +
	`sum by (service, model, template) (increase(llm_cost_usd_total{` + selAll + `}[$__range]))` +
	` / (sum by (service, model, template) (increase(llm_requests_total{` + selAll + `}[$__range])) > 0), ` +
	`"service", "(no service dimension)", "service", ""))`

// overviewRows is the content of the overview dashboard.
func overviewRows() []row {
	return []row{
		{
			title: "Health",
			panels: []panel{
				{
					title: "Request rate by model",
					description: "LLM calls per second, successful and failed, per model: recording rule " +
						"model:llm_requests:rate5m (5-minute rate, summed over instances and templates). " +
						"The instance and template filters do not apply to this row.",
					unit: units.RequestsPerSecond, kind: kindTimeseries, width: 12,
					targets: []target{{
						expr:   `sum by (model) (model:llm_requests:rate5m{` + selRule + `})`,
						legend: "{{model}}",
					}},
				},
				{
					title: "Error rate by model",
					description: "Share of LLM calls that failed (span status ERROR, error.type, or a safety " +
						"finish reason) per model over 5 minutes: model:llm_request_errors:rate5m / " +
						"model:llm_requests:rate5m, the ratio LLMHighErrorRate alerts on. The Breakdown row " +
						"shows why calls fail. The instance and template filters do not apply to this row.",
					unit: units.PercentUnit, kind: kindTimeseries, width: 12,
					targets: []target{{
						expr: `sum by (model) (model:llm_request_errors:rate5m{` + selRule + `})` +
							` / sum by (model) (model:llm_requests:rate5m{` + selRule + `})`,
						legend: "{{model}}",
					}},
				},
				{
					title: "p95 end-to-end latency by model",
					description: "95th percentile of the call duration (request to last token, failed calls " +
						"included) per model over 5 minutes: recording rule " +
						"model:llm_request_duration_seconds:p95_5m. Dashed: its median over the last day " +
						"(model:llm_request_duration_seconds:median1d_p95_5m), the baseline " +
						"LLMLatencyRegression compares with. With classic buckets only, a p95 above 60 s " +
						"shows as 60 s. The instance and template filters do not apply to this row.",
					unit: units.Seconds, kind: kindTimeseries, width: 12,
					targets: []target{
						{
							expr:   `max by (model) (model:llm_request_duration_seconds:p95_5m{` + selRule + `})`,
							legend: "{{model}}",
						},
						{
							expr:   `max by (model) (model:llm_request_duration_seconds:median1d_p95_5m{` + selRule + `})`,
							legend: "{{model}} (median of the last day)",
							dashed: true,
						},
					},
				},
				{
					title: "p95 time to first token by model",
					description: "95th percentile of the time to the first output chunk of streamed calls, " +
						"per model over 5 minutes: recording rule model:llm_time_to_first_token_seconds:p95_5m, " +
						"what LLMTimeToFirstTokenHigh alerts on. Non-streamed calls have no TTFT. With " +
						"classic buckets only, a p95 above 5 s shows as 5 s. The instance and template " +
						"filters do not apply to this row.",
					unit: units.Seconds, kind: kindTimeseries, width: 12,
					targets: []target{{
						expr:   `max by (model) (model:llm_time_to_first_token_seconds:p95_5m{` + selRule + `})`,
						legend: "{{model}}",
					}},
				},
			},
		},
		{
			title: "SLOs",
			panels: []panel{
				{
					title: "Error budget remaining by SLO and model",
					description: "The SLOs of rules/llm-slo.yaml over their 30-day period, per SLO (sloth_slo: " +
						"availability, latency, ttft) and model: the objective (slo:objective:ratio), the " +
						"period's error ratio (slo:sli_error:ratio_rate30d, the mean of the 5-minute ratios), " +
						"the period's burn rate (slo:period_burn_rate:ratio: error ratio over error budget, 1 " +
						"spends the budget in exactly 30 days) and the error budget left " +
						"(slo:period_error_budget_remaining:ratio, 1 - burn rate; negative once spent). " +
						"Values at the end of the time range. Only the job and model filters apply: the SLO " +
						"series keep no other label. A model without streamed calls has no ttft row.",
					unit: units.PercentUnit, kind: kindTable, width: 12,
					targets: []target{
						{expr: bySLO("slo:objective:ratio")},
						{expr: bySLO("slo:sli_error:ratio_rate30d")},
						{expr: bySLO("slo:period_burn_rate:ratio")},
						{expr: bySLO("slo:period_error_budget_remaining:ratio")},
					},
					columns: []column{
						labelColumn("sloth_slo", "SLO"),
						labelColumn("model", "Model"),
						{target: 0, title: "Objective"},
						{target: 1, title: "Error ratio (30 days)"},
						{target: 2, title: "Burn rate (30 days)", unit: units.Short},
						{target: 3, title: "Budget remaining", unit: units.PercentUnit, gauge: true},
					},
					sortDesc: "Burn rate (30 days)",
				},
				{
					title: "Error ratio by SLO, model and window",
					description: "Share of bad events per SLO and model over each window of the burn-rate " +
						"alerts, 5 minutes to 3 days (slo:sli_error:ratio_rate<window>: failed calls " +
						"counted against availability, calls slower than " + latencyBound + " s, streamed calls whose first " +
						"token came after " + ttftBound + " s), and the 30-day period (the mean of the 5-minute ratios). A " +
						"window without events has no value. Values at the end of the time range. Only the " +
						"job and model filters apply.",
					unit: units.PercentUnit, kind: kindTable, width: 12,
					targets: windowTargets, columns: windowColumns,
					sortDesc: "1h",
				},
				{
					title: "Current burn rate by SLO and model",
					description: "How many times as fast as the 30-day objective allows each SLO spends its " +
						"error budget over the last 5 minutes, per model: slo:current_burn_rate:ratio " +
						"(5-minute error ratio over the error budget; 1 spends it in exactly 30 days). Red " +
						"line: 14.4, the factor of the 1h/5m pair of the burn-rate alerts (2 % of the budget " +
						"in an hour); orange: 6, that of the 6h/30m pair. Only the job and model filters apply.",
					unit: units.Short, kind: kindTimeseries, width: 12, thresholds: []float64{6, 14.4},
					targets: []target{{
						expr:   bySLO("slo:current_burn_rate:ratio"),
						legend: "{{sloth_slo}} {{model}}",
					}},
				},
				{
					title: "Burn rate over 1h and 6h by SLO and model",
					description: "Burn rate per SLO and model over the long windows of the paging alerts: " +
						"slo:sli_error:ratio_rate1h (solid) and slo:sli_error:ratio_rate6h (dashed) over " +
						"slo:error_budget:ratio, as LLMErrorBudgetBurn, LLMLatencyBudgetBurn and " +
						"LLMTTFTBudgetBurn compute it. The 1h/5m pair pages above the red line (14.4), the " +
						"6h/30m pair above the orange one (6), each when its short window burns as fast too " +
						"and the model has at least one event a minute. Only the job and model filters apply.",
					unit: units.Short, kind: kindTimeseries, width: 12, thresholds: []float64{6, 14.4},
					targets: []target{
						{expr: burnRate("1h"), legend: "{{sloth_slo}} {{model}} 1h"},
						{expr: burnRate("6h"), legend: "{{sloth_slo}} {{model}} 6h", dashed: true},
					},
				},
				{
					title: "Failed calls against availability by model and reason",
					description: "The bad events of the availability SLO: failed calls per second by model " +
						"and reason, stacked (llm_errors_total without the reasons the SLO leaves out: " +
						SLOExcludedReasons + "). Every filter but template applies (the metric has no " +
						"template label), so this shows which service or provider spent the budget.",
					unit: units.RequestsPerSecond, kind: kindTimeseries, width: 8, stacked: true,
					targets: []target{{
						expr: `sum by (model, reason) (rate(llm_errors_total{` + selModel +
							`, reason!~"` + SLOExcludedReasons + `"}[$__rate_interval]))`,
						legend: "{{model}} {{reason}}",
					}},
				},
				{
					title: "Calls slower than " + latencyBound + " s by model",
					description: "The bad events of the latency SLO: calls per second whose duration was " +
						"above " + latencyBound + " s, failed calls included, per model, stacked: the count of " +
						"llm_request_duration_seconds times its share above " + latencyBound + " s (native histogram when " +
						"ingested), else _count minus the bucket le=\"" + latencyBound + "\". Every filter applies.",
					unit: units.RequestsPerSecond, kind: kindTimeseries, width: 8, stacked: true,
					targets: []target{{
						expr:   slowerThan("llm_request_duration_seconds", latencyBound, "model", selAll),
						legend: "{{model}}",
					}},
				},
				{
					title: "Streamed calls with time to first token above " + ttftBound + " s by model",
					description: "The bad events of the ttft SLO: streamed calls per second whose first " +
						"output chunk came after " + ttftBound + " s, per model, stacked: the count of " +
						"llm_time_to_first_token_seconds times its share above " + ttftBound + " s (native histogram when " +
						"ingested), else _count minus the bucket le=\"" + ttftBound + "\". Every filter applies.",
					unit: units.RequestsPerSecond, kind: kindTimeseries, width: 8, stacked: true,
					targets: []target{{
						expr:   slowerThan("llm_time_to_first_token_seconds", ttftBound, "model", selAll),
						legend: "{{model}}",
					}},
				},
				{
					title: "Firing burn-rate alerts",
					description: "The burn-rate alerts of rules/llm-slo.yaml while they fire (Prometheus' " +
						"ALERTS series, 1 per firing rule), by alert, model, window pair (long/short) and " +
						"severity, stacked: LLMErrorBudgetBurn (availability), LLMLatencyBudgetBurn, " +
						"LLMTTFTBudgetBurn. A fast burn fires the slower pairs too. Only the job and model " +
						"filters apply.",
					unit: units.Short, kind: kindTimeseries, width: 24, stacked: true,
					targets: []target{{
						expr:   `max by (alertname, model, long, short, severity) (` + BurnAlertsExpr + `)`,
						legend: "{{alertname}} {{model}} {{long}}/{{short}} ({{severity}})",
					}},
				},
			},
		},
		{
			title: "Cost",
			panels: []panel{
				{
					title: "Token throughput per minute",
					description: "Tokens per minute per model. Cached prompt tokens are a part of the prompt " +
						"tokens and reasoning tokens a part of the completion tokens (as the GenAI semantic " +
						"conventions define them): do not add the lines up. Failed calls count when the " +
						"provider reported their usage.",
					unit: units.Short, kind: kindTimeseries, width: 9,
					targets: []target{
						{expr: `60 * sum by (model) (rate(llm_prompt_tokens_total{` + selAll + `}[$__rate_interval]))`, legend: "{{model}} prompt"},
						{expr: `60 * sum by (model) (rate(llm_completion_tokens_total{` + selAll + `}[$__rate_interval]))`, legend: "{{model}} completion"},
						{expr: `60 * sum by (model) (rate(llm_cached_prompt_tokens_total{` + selAll + `}[$__rate_interval]))`, legend: "{{model}} cached prompt", dashed: true},
						{expr: `60 * sum by (model) (rate(llm_reasoning_tokens_total{` + selAll + `}[$__rate_interval]))`, legend: "{{model}} reasoning", dashed: true},
					},
				},
				{
					title: "Estimated hourly cost",
					description: "USD per hour at the current rate, per model, from llm_cost_usd_total (the " +
						"cost the span carries, else the price table). Dashed: all models and templates of " +
						"the job averaged over the last hour (recording rule :llm_cost_usd:rate1h), the value " +
						"LLMCostBurnHigh compares with its threshold; the instance, model and template filters " +
						"do not apply to it. Calls of unpriced models add nothing: see Unpriced requests.",
					unit: units.Dollars, kind: kindTimeseries, width: 9,
					targets: []target{
						{expr: `3600 * sum by (model) (rate(llm_cost_usd_total{` + selAll + `}[$__rate_interval]))`, legend: "{{model}}"},
						{expr: `3600 * sum(:llm_cost_usd:rate1h{` + selJob + `})`, legend: "all models, last hour", dashed: true},
					},
				},
				{
					title: "Spend in the time range",
					description: "Estimated USD spent in the dashboard's time range for the selected " +
						"models and templates (increase of llm_cost_usd_total). Unpriced calls add nothing.",
					unit: units.Dollars, kind: kindStat, width: 6,
					targets: []target{{
						expr:   `sum(increase(llm_cost_usd_total{` + selAll + `}[$__range]))`,
						legend: "spend",
					}},
				},
				{
					title: "Cost per request",
					description: "Average USD per LLM call per model: cost rate divided by call rate. " +
						"Unpriced calls count as $0 and pull the average down: check Unpriced requests.",
					unit: units.Dollars, kind: kindTimeseries, width: 12,
					targets: []target{{
						expr: `sum by (model) (rate(llm_cost_usd_total{` + selAll + `}[$__rate_interval]))` +
							` / sum by (model) (rate(llm_requests_total{` + selAll + `}[$__rate_interval]))`,
						legend: "{{model}}",
					}},
				},
				{
					title: "Unpriced requests",
					description: "Calls per second whose model has no price: the span carried no cost and no " +
						"row of the price table matches the model, so their cost is missing from the panels " +
						"above. Add the model to the price table (LLMUnpricedModel alerts on this). The " +
						"template filter does not apply (the metric has no template label).",
					unit: units.RequestsPerSecond, kind: kindTimeseries, width: 12,
					targets: []target{{
						expr:   `sum by (model) (rate(llm_unpriced_requests_total{` + selModel + `}[$__rate_interval]))`,
						legend: "{{model}}",
					}},
				},
			},
		},
		{
			title: "Breakdown",
			panels: []panel{
				{
					title: "Errors by reason",
					description: "Failed calls per second by reason, stacked: rate_limit, context_overflow, " +
						"timeout, safety_block, provider_5xx, auth, bad_request, not_found, connection, " +
						"cancelled, other. The template filter does not apply (the metric has no template " +
						"label).",
					unit: units.RequestsPerSecond, kind: kindTimeseries, width: 12, stacked: true,
					targets: []target{{
						expr:   `sum by (reason) (rate(llm_errors_total{` + selModel + `}[$__rate_interval]))`,
						legend: "{{reason}}",
					}},
				},
				{
					title: "p95 latency by template",
					description: "95th percentile of the end-to-end call duration per prompt template " +
						"(template none: the span named no template). Native histogram when ingested, " +
						"else the classic buckets.",
					unit: units.Seconds, kind: kindTimeseries, width: 12,
					targets: []target{{
						expr:   quantile("0.95", "llm_request_duration_seconds", "template"),
						legend: "{{template}}",
					}},
				},
				{
					title:       "Tokens per minute by template",
					description: "Prompt plus completion tokens per minute per prompt template.",
					unit:        units.Short, kind: kindTimeseries, width: 12,
					targets: []target{{
						expr: `60 * (sum by (template) (rate(llm_prompt_tokens_total{` + selAll + `}[$__rate_interval]))` +
							` + sum by (template) (rate(llm_completion_tokens_total{` + selAll + `}[$__rate_interval])))`,
						legend: "{{template}}",
					}},
				},
				{
					title: "Hourly cost by template",
					description: "USD per hour at the current rate per prompt template, from " +
						"llm_cost_usd_total. Unpriced calls add nothing.",
					unit: units.Dollars, kind: kindTimeseries, width: 12,
					targets: []target{{
						expr:   `3600 * sum by (template) (rate(llm_cost_usd_total{` + selAll + `}[$__rate_interval]))`,
						legend: "{{template}}",
					}},
				},
				{
					title: "Templates vs last week",
					description: "Per prompt template, now over the same hour a week ago (100 %: " +
						"unchanged, 150 %: half again as much): the p95 call duration, the completion tokens " +
						"per call and the USD per call, each over the last hour, from the recording rules " +
						"template:llm_request_duration_seconds:p95_1h, " +
						"template:llm_completion_tokens_per_request:ratio_rate1h and " +
						"template:llm_cost_usd_per_request:ratio_rate1h and their _offset1w records. Empty " +
						"until the rules have run for a week; no cell where the week-ago value is missing or " +
						"0. The rules sum instance, model and tenant away: one row per template and " +
						"service and provider; the instance, model and tenant filters do not apply. Values at " +
						"the end of the time range.",
					unit: units.PercentUnit, kind: kindTable, width: 12,
					targets: []target{
						{expr: vsLastWeek("template:llm_request_duration_seconds:p95_1h")},
						{expr: vsLastWeek("template:llm_completion_tokens_per_request:ratio_rate1h")},
						{expr: vsLastWeek("template:llm_cost_usd_per_request:ratio_rate1h")},
					},
					columns: []column{
						labelColumn("template", "Template"),
						labelColumn("service", "Service"),
						labelColumn("provider", "Provider"),
						{target: 0, title: "p95 duration"},
						{target: 1, title: "Completion tokens per call"},
						{target: 2, title: "USD per call"},
					},
					sortDesc: "p95 duration",
				},
				{
					title: "Time to first token by model",
					description: "Median (solid) and 95th percentile (dashed) of the time to the first " +
						"output chunk of streamed calls, per model.",
					unit: units.Seconds, kind: kindTimeseries, width: 12,
					targets: []target{
						{expr: quantile("0.5", "llm_time_to_first_token_seconds", "model"), legend: "{{model}} p50"},
						{expr: quantile("0.95", "llm_time_to_first_token_seconds", "model"), legend: "{{model}} p95", dashed: true},
					},
				},
				{
					title: "Time per output token by model",
					description: "Median (solid) and 95th percentile (dashed) of the time per output token " +
						"after the first one, (duration - TTFT) / (output tokens - 1), of streamed calls " +
						"with at least two output tokens, per model.",
					unit: units.Seconds, kind: kindTimeseries, width: 12,
					targets: []target{
						{expr: quantile("0.5", "llm_time_per_output_token_seconds", "model"), legend: "{{model}} p50"},
						{expr: quantile("0.95", "llm_time_per_output_token_seconds", "model"), legend: "{{model}} p95", dashed: true},
					},
				},
			},
		},
		{
			title: "Spend by service / team",
			panels: []panel{
				{
					title: "Spend by service",
					description: "Estimated USD spent in the dashboard's time range per service (increase of " +
						"llm_cost_usd_total). The service label is the service dimension: the span's or its " +
						"resource's service.name, unknown when absent, other beyond its cap. " +
						"\"(no service dimension)\": the collector does not configure the service dimension " +
						"(dimensions: [service, provider] in the llm_prometheus exporter adds it). Unpriced " +
						"calls add nothing: see Unpriced requests.",
					unit: units.Dollars, kind: kindBarGauge, width: 8,
					targets: []target{{expr: `sort_desc(` + spendBy("service") + `)`, legend: "{{service}}"}},
				},
				{
					title: "Share of spend by service",
					description: "Each service's part of the estimated spend in the time range: the numbers " +
						"of Spend by service as a share of their total.",
					unit: units.Dollars, kind: kindPie, width: 8,
					targets: []target{{expr: spendBy("service"), legend: "{{service}}"}},
				},
				{
					title: "Spend by team",
					description: "Estimated USD spent in the time range per team. The team label exists only " +
						"when you configure a team dimension in the llm_prometheus exporter, e.g. " +
						"{label: team, attributes: [team, service.namespace]}; it is not shipped. Without " +
						"it, a single bar \"(no team dimension)\" holds all the spend.",
					unit: units.Dollars, kind: kindBarGauge, width: 8,
					targets: []target{{expr: `sort_desc(` + spendBy("team") + `)`, legend: "{{team}}"}},
				},
				{
					title: "Budget remaining",
					description: "The budgets of the llm_prometheus exporter (budgets:) in their current " +
						"calendar period (UTC): limit (recording rule budget:llm_budget_limit_usd:max), spent " +
						"so far (budget:llm_budget_spend_usd:period_to_date), remaining " +
						"(budget:llm_budget_remaining_usd:period_to_date, negative once exceeded) and the " +
						"remaining share of the limit. The rules add up the job's collectors, so a restart " +
						"loses nothing. Values at the end of the time range, which does not change them. " +
						"Only the job filter applies: a budget selects its calls itself. Empty when no " +
						"budget is configured. LLMBudgetBurnFast and LLMBudgetExceeded alert on these series.",
					unit: units.Dollars, kind: kindTable, width: 12,
					targets: []target{
						{expr: `max by (budget, period) (budget:llm_budget_limit_usd:max{` + selBudget + `})`},
						{expr: `max by (budget, period) (budget:llm_budget_spend_usd:period_to_date{` + selBudget + `})`},
						{expr: `max by (budget, period) (budget:llm_budget_remaining_usd:period_to_date{` + selBudget + `})`},
						{expr: `max by (budget, period) (budget:llm_budget_remaining_usd:period_to_date{` + selBudget + `})` +
							` / max by (budget, period) (budget:llm_budget_limit_usd:max{` + selBudget + `})`},
					},
					columns: []column{
						labelColumn("budget", "Budget"),
						labelColumn("period", "Period"),
						{target: 0, title: "Limit"},
						{target: 1, title: "Spent"},
						{target: 2, title: "Remaining"},
						{target: 3, title: "Remaining share", unit: units.PercentUnit, gauge: true},
					},
				},
				{
					title: "Top calls by cost per request",
					description: "The 10 combinations of service, model and template with the highest " +
						"average USD per call in the time range: increase of llm_cost_usd_total divided by " +
						"increase of llm_requests_total (failed calls included). Unpriced calls count as $0 " +
						"and pull the average down; combinations without calls in the range are left out.",
					unit: units.Dollars, kind: kindTable, width: 12,
					targets: []target{{expr: topCostPerCall}},
					columns: []column{
						labelColumn("service", "Service"),
						labelColumn("model", "Model"),
						labelColumn("template", "Template"),
						{target: 0, title: "USD per call"},
					},
					sortDesc: "USD per call",
				},
			},
		},
		{
			title: "Agents and tools",
			panels: []panel{
				{
					title: "Tool calls by tool",
					description: "Tool calls per second per tool, successful and failed, stacked " +
						"(llm_tool_calls_total): semconv execute_tool spans, OpenInference TOOL, OpenLLMetry " +
						"tool spans, Vercel AI ai.toolCall, LangSmith and Langfuse tool runs. tool is the tool " +
						"name (other: beyond the exporter's cap). " + onlyJobInstance,
					unit: units.OpsPerSecond, kind: kindTimeseries, width: 8, stacked: true,
					targets: []target{{
						expr:   `sum by (tool) (rate(llm_tool_calls_total{` + selTarget + `}[$__rate_interval]))`,
						legend: "{{tool}}",
					}},
				},
				{
					title: "Tool error ratio by tool",
					description: "Share of tool calls that failed (status error) per tool: rate of " +
						"llm_tool_calls_total{status=\"error\"} over the rate of all its calls, the ratio " +
						"LLMToolErrorRate watches. A tool that has not failed since the collector started " +
						"has no line. " + onlyJobInstance,
					unit: units.PercentUnit, kind: kindTimeseries, width: 8,
					targets: []target{{
						expr:   ratio("llm_tool_calls_total", `status="error"`, "tool", selTarget),
						legend: "{{tool}}",
					}},
				},
				{
					title: "p95 tool duration by tool",
					description: "95th percentile of the tool call duration per tool, failed calls included " +
						"(llm_tool_duration_seconds, default buckets 0.01 … 30 s: with classic " +
						"buckets only, a p95 above 30 s shows as 30 s). Native histogram when ingested, else " +
						"the classic buckets. " + onlyJobInstance,
					unit: units.Seconds, kind: kindTimeseries, width: 8,
					targets: []target{{
						expr:   quantileSel("0.95", "llm_tool_duration_seconds", "tool", selTarget),
						legend: "{{tool}}",
					}},
				},
				{
					title: "Agent invocations by agent",
					description: "Agent invocations per second per agent, successful and failed, stacked " +
						"(llm_agent_invocations_total): semconv invoke_agent spans, OpenInference AGENT, " +
						"OpenLLMetry agent and workflow spans, Langfuse agent observations, Vercel AI " +
						"ai.generateText / ai.streamText with a functionId and tools. agent is the agent name (other: beyond the exporter's " +
						"cap). " + onlyJobInstance,
					unit: units.OpsPerSecond, kind: kindTimeseries, width: 8, stacked: true,
					targets: []target{{
						expr:   `sum by (agent) (rate(llm_agent_invocations_total{` + selTarget + `}[$__rate_interval]))`,
						legend: "{{agent}}",
					}},
				},
				{
					title: "Agent error ratio by agent",
					description: "Share of agent invocations that failed (status error) per agent: rate of " +
						"llm_agent_invocations_total{status=\"error\"} over the rate of all its invocations. " +
						"An agent that has not failed since the collector started has no line. " +
						onlyJobInstance,
					unit: units.PercentUnit, kind: kindTimeseries, width: 8,
					targets: []target{{
						expr:   ratio("llm_agent_invocations_total", `status="error"`, "agent", selTarget),
						legend: "{{agent}}",
					}},
				},
				{
					title: "p95 agent duration by agent",
					description: "95th percentile of the agent invocation duration (the agent span, model " +
						"and tool calls included) per agent, failed invocations included " +
						"(llm_agent_duration_seconds). Native histogram when ingested, else the classic " +
						"buckets. " + onlyJobInstance,
					unit: units.Seconds, kind: kindTimeseries, width: 8,
					targets: []target{{
						expr:   quantileSel("0.95", "llm_agent_duration_seconds", "agent", selTarget),
						legend: "{{agent}}",
					}},
				},
				{
					title: "Model calls per agent invocation",
					description: "LLM calls per agent invocation, per agent: median (solid), 95th " +
						"percentile (dashed) and mean (llm_agent_model_calls, one observation per " +
						"invocation). " + perInvocation + onlyJobInstance,
					unit: units.Short, kind: kindTimeseries, width: 12,
					targets: []target{
						{expr: quantileSel("0.5", "llm_agent_model_calls", "agent", selTarget), legend: "{{agent}} p50"},
						{expr: quantileSel("0.95", "llm_agent_model_calls", "agent", selTarget), legend: "{{agent}} p95", dashed: true},
						{expr: mean("llm_agent_model_calls", "agent", selTarget), legend: "{{agent}} mean"},
					},
				},
				{
					title: "Tool calls per agent invocation",
					description: "Tool calls per agent invocation, per agent: median (solid), 95th " +
						"percentile (dashed) and mean (llm_agent_tool_calls, one observation per " +
						"invocation). " + perInvocation + onlyJobInstance,
					unit: units.Short, kind: kindTimeseries, width: 12,
					targets: []target{
						{expr: quantileSel("0.5", "llm_agent_tool_calls", "agent", selTarget), legend: "{{agent}} p50"},
						{expr: quantileSel("0.95", "llm_agent_tool_calls", "agent", selTarget), legend: "{{agent}} p95", dashed: true},
						{expr: mean("llm_agent_tool_calls", "agent", selTarget), legend: "{{agent}} mean"},
					},
				},
			},
		},
		{
			title: "Quality",
			panels: []panel{
				{
					title: "Finish reasons",
					description: "Share of each finish reason among the calls that report one (the first " +
						"choice's), stacked: stop, length (cut off at the output token limit), tool_calls, " +
						"content_filter, error, other (llm_finish_reasons_total). The template filter does " +
						"not apply (the metric has no template label).",
					unit: units.PercentUnit, kind: kindTimeseries, width: 12, stacked: true,
					targets: []target{{
						expr: `sum by (finish_reason) (rate(llm_finish_reasons_total{` + selModel + `}[$__rate_interval]))` +
							` / ignoring (finish_reason) group_left sum(rate(llm_finish_reasons_total{` + selModel + `}[$__rate_interval]))`,
						legend: "{{finish_reason}}",
					}},
				},
				{
					title: "Truncated responses by model",
					description: "Share of the calls reporting a finish reason whose reason is length, per " +
						"model: the answer was cut off at the output token limit (max_tokens). " +
						"LLMTruncatedResponses alerts on this share. A model without a truncated answer " +
						"since the collector started has no line. The template filter does not apply (the " +
						"metric has no template label).",
					unit: units.PercentUnit, kind: kindTimeseries, width: 12,
					targets: []target{{
						expr:   ratio("llm_finish_reasons_total", `finish_reason="length"`, "model", selModel),
						legend: "{{model}}",
					}},
				},
				{
					title: "Stream interruptions by model",
					description: "Share of the streamed calls per model that failed after their first chunk " +
						"(the user saw a partial answer): llm_stream_interruptions_total over the streamed " +
						"calls with a first chunk (the count of llm_time_to_first_token_seconds, native " +
						"histogram when ingested), the ratio LLMStreamInterruptions watches. The " +
						"interruptions have no template label: the template filter narrows the streamed " +
						"calls only, keep it on All for the true ratio.",
					unit: units.PercentUnit, kind: kindTimeseries, width: 8,
					targets: []target{{
						expr: `sum by (model) (rate(llm_stream_interruptions_total{` + selModel + `}[$__rate_interval]))` +
							` / (` + count("llm_time_to_first_token_seconds", "model", selAll) + `)`,
						legend: "{{model}}",
					}},
				},
				{
					title: "Guardrail results",
					description: "Guardrail checks per second by guardrail and result (allowed, blocked, " +
						"modified, error), stacked (llm_guardrail_results_total): apply_guardrail spans, " +
						"gen_ai.guardrail.result events on spans or as OTLP log records, OpenInference and " +
						"Langfuse guardrail spans. A block is not an LLM error: the error panels do not " +
						"count it. " + onlyJobInstance,
					unit: units.OpsPerSecond, kind: kindTimeseries, width: 8, stacked: true,
					targets: []target{{
						expr:   `sum by (guardrail, result) (rate(llm_guardrail_results_total{` + selTarget + `}[$__rate_interval]))`,
						legend: "{{guardrail}} {{result}}",
					}},
				},
				{
					title: "Guardrail block ratio by guardrail",
					description: "Share of a guardrail's checks that blocked: rate of " +
						"llm_guardrail_results_total{result=\"blocked\"} over the rate of all its results. " +
						"LLMGuardrailBlockRate compares it with its own weekly baseline. A guardrail that " +
						"has not blocked since the collector started has no line. " + onlyJobInstance,
					unit: units.PercentUnit, kind: kindTimeseries, width: 8,
					targets: []target{{
						expr:   ratio("llm_guardrail_results_total", `result="blocked"`, "guardrail", selTarget),
						legend: "{{guardrail}}",
					}},
				},
				{
					title: "Evaluation score by evaluation",
					description: "Median (solid) and 10th percentile (dashed) of the evaluation scores per " +
						"evaluation (llm_evaluation_score: gen_ai.evaluation.score.value of the " +
						"gen_ai.evaluation.result events, 0 to 1); a falling p10 is a growing tail of poor " +
						"answers. LLMEvaluationScoreDrop compares the median with a week ago. Native " +
						"histogram when ingested, else the classic buckets 0.1, 0.2, ..., 1 (interpolated " +
						"within a bucket). " + onlyJobInstance,
					unit: units.Short, kind: kindTimeseries, width: 12,
					targets: []target{
						{expr: quantileSel("0.5", "llm_evaluation_score", "evaluation", selTarget), legend: "{{evaluation}} p50"},
						{expr: quantileSel("0.1", "llm_evaluation_score", "evaluation", selTarget), legend: "{{evaluation}} p10", dashed: true},
					},
				},
				{
					title: "Evaluation results by label",
					description: "Evaluation results per second by evaluation and label " +
						"(llm_evaluation_results_total: gen_ai.evaluation.score.label of the " +
						"gen_ai.evaluation.result events, e.g. relevant / irrelevant; other: beyond the " +
						"exporter's cap), stacked. " + onlyJobInstance,
					unit: units.OpsPerSecond, kind: kindTimeseries, width: 12, stacked: true,
					targets: []target{{
						expr:   `sum by (evaluation, label) (rate(llm_evaluation_results_total{` + selTarget + `}[$__rate_interval]))`,
						legend: "{{evaluation}}: {{label}}",
					}},
				},
			},
		},
	}
}

// onlyJobInstance ends the description of a panel on the agent, tool,
// guardrail and evaluation families.
const onlyJobInstance = "Only the job and instance filters apply: the metric has no model, template or " +
	"dimension label."

// perInvocation explains what the calls-per-invocation histograms count.
const perInvocation = "The calls counted are those whose nearest agent ancestor is the invocation's span " +
	"and that reach the collector in the same batch as it: send the spans of a trace together (the " +
	"groupbytrace processor of config/otelcol-agents.yaml) for exact counts. With classic buckets (1, 2, 4, " +
	"..., 128) the quantiles are interpolated within a bucket; the mean (sum / count) is exact. "

// datasourceRef points at the dashboard's datasource variable.
func datasourceRef() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}
}

// queryVariable is a model/template-style filter: multi-select with an All
// option whose value is the regex .* (new values are included without a reload).
func queryVariable(name, label, query, description string, multi bool) *dashboard.QueryVariableBuilder {
	v := dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Description(description).
		Datasource(datasourceRef()).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Definition(query).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalCaseInsensitiveAsc)
	if multi {
		v = v.Multi(true).IncludeAll(true).AllValue(".*")
	}
	return v
}

const panelHeight = 8

func dashedLine() []dashboard.DynamicConfigValue {
	fill := common.LineStyleFillDash
	return []dashboard.DynamicConfigValue{{
		Id:    "custom.lineStyle",
		Value: common.LineStyle{Fill: &fill, Dash: []float64{10, 10}},
	}}
}

func queryBuilders(p panel) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], 0, len(p.targets))
	for i, t := range p.targets {
		q := prometheus.NewDataqueryBuilder().
			Datasource(datasourceRef()).
			RefId(refID(i)).
			Expr(t.expr)
		if t.legend != "" {
			q = q.LegendFormat(t.legend)
		}
		switch p.kind {
		case kindTimeseries:
			q = q.Range()
		case kindTable:
			q = q.Instant().Format(prometheus.PromQueryFormatTable)
		default:
			q = q.Instant()
		}
		out = append(out, q)
	}
	return out
}

func refID(i int) string { return string(rune('A' + i)) }

// valueField is the name Grafana's Prometheus data source gives the value
// column of an instant query in table format: "Value" when the panel has one
// query, "Value #<refId>" when it has several.
func valueField(i, n int) string {
	if n == 1 {
		return "Value"
	}
	return "Value #" + refID(i)
}

// tableTransformations joins the queries of a table on their labels (merge)
// and keeps, orders and renames the columns (organize); the time column and
// any other label are hidden.
func tableTransformations(p panel) []dashboard.DataTransformerConfig {
	index := map[string]int{}
	rename := map[string]string{}
	for i, c := range p.columns {
		field := c.label
		if c.target >= 0 {
			field = valueField(c.target, len(p.targets))
		}
		index[field] = i
		rename[field] = c.title
	}
	var out []dashboard.DataTransformerConfig
	if len(p.targets) > 1 {
		out = append(out, dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}})
	}
	return append(out, dashboard.DataTransformerConfig{
		Id: "organize",
		Options: map[string]any{
			"excludeByName": map[string]bool{"Time": true, "job": true},
			"indexByName":   index,
			"renameByName":  rename,
		},
	})
}

// shareGauge draws a 0..1 share as a gauge cell: red below 0.1, orange below
// 0.25, green above.
func shareGauge(unit string) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{
		{Id: "unit", Value: unit},
		{Id: "min", Value: 0},
		{Id: "max", Value: 1},
		{Id: "custom.cellOptions", Value: common.TableBarGaugeCellOptions{
			Type: common.TableCellDisplayModeGauge,
			Mode: cog.ToPtr(common.BarGaugeDisplayModeBasic),
		}},
		{Id: "color", Value: dashboard.FieldColor{Mode: dashboard.FieldColorModeIdThresholds}},
		{Id: "thresholds", Value: dashboard.ThresholdsConfig{
			Mode: dashboard.ThresholdsModeAbsolute,
			Steps: []dashboard.Threshold{
				{Value: nil, Color: "red"},
				{Value: cog.ToPtr(0.1), Color: "orange"},
				{Value: cog.ToPtr(0.25), Color: "green"},
			},
		}},
	}
}

// thresholdSteps are the threshold lines of a time series at the given
// values (ascending): none below the first, orange from it, red from the
// last.
func thresholdSteps(values []float64) *dashboard.ThresholdsConfigBuilder {
	steps := []dashboard.Threshold{{Value: nil, Color: "transparent"}}
	for i, v := range values {
		color := "orange"
		if i == len(values)-1 {
			color = "red"
		}
		steps = append(steps, dashboard.Threshold{Value: cog.ToPtr(v), Color: color})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

func lastValue() *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)
}

func buildPanel(id uint32, p panel) cog.Builder[dashboard.Panel] {
	switch p.kind {
	case kindStat:
		return stat.NewPanelBuilder().
			Id(id).
			Title(p.title).
			Description(p.description).
			Datasource(datasourceRef()).
			Unit(p.unit).
			Decimals(2).
			Span(p.width).
			Height(panelHeight).
			GraphMode(common.BigValueGraphModeNone).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
			Targets(queryBuilders(p))
	case kindBarGauge:
		return bargauge.NewPanelBuilder().
			Id(id).
			Title(p.title).
			Description(p.description).
			Datasource(datasourceRef()).
			Unit(p.unit).
			Decimals(2).
			Min(0).
			Span(p.width).
			Height(panelHeight).
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic)).
			Orientation(common.VizOrientationHorizontal).
			DisplayMode(common.BarGaugeDisplayModeBasic).
			ValueMode(common.BarGaugeValueModeText).
			NamePlacement(common.BarGaugeNamePlacementLeft).
			ShowUnfilled(true).
			ReduceOptions(lastValue()).
			Targets(queryBuilders(p))
	case kindPie:
		return piechart.NewPanelBuilder().
			Id(id).
			Title(p.title).
			Description(p.description).
			Datasource(datasourceRef()).
			Unit(p.unit).
			Decimals(2).
			Span(p.width).
			Height(panelHeight).
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic)).
			Orientation(common.VizOrientationAuto).
			PieType(piechart.PieChartTypeDonut).
			DisplayLabels([]piechart.PieChartLabels{piechart.PieChartLabelsPercent}).
			Legend(piechart.NewPieChartLegendOptionsBuilder().
				ShowLegend(true).
				DisplayMode(common.LegendDisplayModeTable).
				Placement(common.LegendPlacementRight).
				Values([]piechart.PieChartLegendValues{piechart.PieChartLegendValuesValue, piechart.PieChartLegendValuesPercent})).
			Tooltip(common.NewVizTooltipOptionsBuilder().
				Mode(common.TooltipDisplayModeSingle).
				Sort(common.SortOrderNone)).
			ReduceOptions(lastValue()).
			Targets(queryBuilders(p))
	case kindTable:
		b := table.NewPanelBuilder().
			Id(id).
			Title(p.title).
			Description(p.description).
			Datasource(datasourceRef()).
			Unit(p.unit).
			Span(p.width).
			Height(panelHeight).
			Transformations(tableTransformations(p)).
			Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"})).
			Targets(queryBuilders(p))
		for _, c := range p.columns {
			switch {
			case c.gauge:
				b = b.OverrideByName(c.title, shareGauge(c.unit))
			case c.unit != "":
				b = b.OverrideByName(c.title, []dashboard.DynamicConfigValue{{Id: "unit", Value: c.unit}})
			}
		}
		if p.sortDesc != "" {
			b = b.SortBy([]cog.Builder[common.TableSortByFieldState]{
				common.NewTableSortByFieldStateBuilder().DisplayName(p.sortDesc).Desc(true),
			})
		}
		return b
	default:
		b := timeseries.NewPanelBuilder().
			Id(id).
			Title(p.title).
			Description(p.description).
			Datasource(datasourceRef()).
			Unit(p.unit).
			Min(0).
			Span(p.width).
			Height(panelHeight).
			FillOpacity(10).
			ShowPoints(common.VisibilityModeNever).
			Legend(common.NewVizLegendOptionsBuilder().
				ShowLegend(true).
				DisplayMode(common.LegendDisplayModeList).
				Placement(common.LegendPlacementBottom)).
			Tooltip(common.NewVizTooltipOptionsBuilder().
				Mode(common.TooltipDisplayModeMulti).
				Sort(common.SortOrderDescending)).
			Targets(queryBuilders(p))
		if p.stacked {
			b = b.Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).FillOpacity(60)
		}
		for i, t := range p.targets {
			if t.dashed {
				b = b.OverrideByQuery(refID(i), dashedLine())
			}
		}
		if len(p.thresholds) > 0 {
			b = b.Thresholds(thresholdSteps(p.thresholds)).
				ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
		}
		return b
	}
}

// Overview builds the "LLM overview" dashboard.
func Overview() (dashboard.Dashboard, error) {
	b := dashboard.NewDashboardBuilder("LLM overview (otelcol-llm)").
		Uid(OverviewUID).
		Description("LLM calls seen by otelcol-llm: health (rate, errors, latency, time to first token), "+
			"SLOs (error budget left, burn rates, the bad events and burn-rate alerts), "+
			"cost (tokens, USD, unpriced calls), a breakdown by reason, template and model, the "+
			"spend by service and team against the budgets, agents and tools (calls, errors, "+
			"durations, calls per invocation) and quality (finish reasons, stream interruptions, "+
			"guardrails, evaluation scores).").
		Tags([]string{"otelcol-llm", "llm"}).
		Timezone(common.TimeZoneUtc).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Refresh("1m").
		Time("now-6h", "now").
		Editable().
		Annotation(dashboard.NewAnnotationQueryBuilder().
			Name("Annotations & Alerts").
			Datasource(common.DataSourceRef{Type: cog.ToPtr("grafana"), Uid: cog.ToPtr("-- Grafana --")}).
			Type("dashboard").
			BuiltIn(1).
			Enable(true).
			Hide(true).
			IconColor("rgba(0, 211, 255, 1)")).
		Annotation(dashboard.NewAnnotationQueryBuilder().
			Name("LLM alerts").
			Datasource(datasourceRef()).
			Expr(AlertsAnnotationExpr).
			Step("1m").
			TitleFormat("{{alertname}}").
			TagKeys("severity,model").
			Enable(true).
			IconColor("red")).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
			Label("Data source").
			Description("The Prometheus that scrapes otelcol-llm's /metrics (port 8889 by default).").
			Type("prometheus")).
		WithVariable(queryVariable("job", "Job",
			`label_values(llm_requests_total, job)`,
			"Scrape job of the collector's llm_* metrics.", false)).
		WithVariable(queryVariable("instance", "Instance",
			`label_values(llm_requests_total{job="$job"}, instance)`,
			"Collector instance(s) (scrape targets) of the job.", true)).
		WithVariable(queryVariable("service", "Service",
			`label_values(llm_requests_total{job="$job", instance=~"$instance"}, service)`,
			"Calling service: the service dimension (service.name; unknown: none on the span or its "+
				"resource; other: beyond its cap). Only All when the collector does not configure it.", true)).
		WithVariable(queryVariable("provider", "Provider",
			`label_values(llm_requests_total{job="$job", instance=~"$instance", service=~"$service"}, provider)`,
			"LLM provider: the provider dimension (openai, azure.ai.openai, aws.bedrock, anthropic, "+
				"gcp.vertex_ai, ...; unknown: not known). Only All when the collector does not configure it.", true)).
		WithVariable(queryVariable("model", "Model",
			`label_values(llm_requests_total{job="$job", instance=~"$instance", service=~"$service", provider=~"$provider"}, model)`,
			"Requested model (other: values beyond the exporter's label cap; unknown: no model on the span).", true)).
		WithVariable(queryVariable("template", "Template",
			`label_values(llm_requests_total{job="$job", instance=~"$instance", service=~"$service", provider=~"$provider", model=~"$model"}, template)`,
			"Prompt template (none: the span named no template).", true)).
		WithVariable(queryVariable("tenant", "Tenant",
			`label_values(llm_requests_total{job="$job", instance=~"$instance", service=~"$service", provider=~"$provider", model=~"$model", template=~"$template"}, tenant)`,
			"Tenant or end user: the tenant dimension (tenant.id, enduser.id or user.id; none: none of "+
				"them; other: beyond its cap). Not shipped: only All until the collector configures it.", true))

	id := uint32(1)
	for _, r := range overviewRows() {
		b = b.WithRow(dashboard.NewRowBuilder(r.title).Id(id))
		id++
		for _, p := range r.panels {
			b = b.WithPanel(buildPanel(id, p))
			id++
		}
	}
	return b.Build()
}

// OverviewJSON is the overview dashboard as written to llm-overview.json:
// indented, with a trailing newline.
func OverviewJSON() ([]byte, error) {
	d, err := Overview()
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Files written by `make dashboards`, relative to dashboards/.
const (
	OverviewFile    = "llm-overview.json"
	QueriesFileName = "queries.json"
)

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

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"
)

// AlertsAnnotationExpr marks the time ranges in which an alert of
// rules/llm-alerts.yaml fired.
const AlertsAnnotationExpr = `ALERTS{alertname=~"LLM.*", alertstate="firing"}`

// OverviewUID is the stable uid of the overview dashboard: links and
// provisioned copies keep working across re-imports.
const OverviewUID = "otelcol-llm-overview"

// Label selectors. Every panel filters on the dashboard variables it can:
//   - the llm_* series from the exporter carry job, instance, model and
//     (except llm_errors_total and llm_unpriced_requests_total) template;
//   - the recording rules of rules/llm-recording.yaml aggregate instance and
//     template away (they are what the alerts evaluate), so only job and model
//     apply to the panels built on them.
const (
	selAll   = `job="$job", instance=~"$instance", model=~"$model", template=~"$template"`
	selModel = `job="$job", instance=~"$instance", model=~"$model"`
	selRule  = `job="$job", model=~"$model"`
)

// target is one query of a panel.
type target struct {
	expr   string
	legend string
	// dashed draws the series with a dashed line (baselines, totals).
	dashed bool
}

// panel is one visualization. kind is "timeseries" or "stat".
type panel struct {
	title       string
	description string
	unit        string
	kind        string
	stacked     bool
	width       uint32
	targets     []target
}

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
func quantile(q, metric, by string) string {
	return fmt.Sprintf(`histogram_quantile(%s, sum by (%s) (rate(%s{%s}[$__rate_interval])))`+
		` or histogram_quantile(%s, sum by (le, %s) (rate(%s_bucket{%s}[$__rate_interval])))`,
		q, by, metric, selAll, q, by, metric, selAll)
}

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
					unit: units.RequestsPerSecond, kind: "timeseries", width: 12,
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
					unit: units.PercentUnit, kind: "timeseries", width: 12,
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
					unit: units.Seconds, kind: "timeseries", width: 12,
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
					unit: units.Seconds, kind: "timeseries", width: 12,
					targets: []target{{
						expr:   `max by (model) (model:llm_time_to_first_token_seconds:p95_5m{` + selRule + `})`,
						legend: "{{model}}",
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
					unit: units.Short, kind: "timeseries", width: 9,
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
						"LLMCostBurnHigh compares with the budget; the instance, model and template filters " +
						"do not apply to it. Calls of unpriced models add nothing: see Unpriced requests.",
					unit: units.Dollars, kind: "timeseries", width: 9,
					targets: []target{
						{expr: `3600 * sum by (model) (rate(llm_cost_usd_total{` + selAll + `}[$__rate_interval]))`, legend: "{{model}}"},
						{expr: `3600 * sum(:llm_cost_usd:rate1h{job="$job"})`, legend: "all models, last hour", dashed: true},
					},
				},
				{
					title: "Spend in the time range",
					description: "Estimated USD spent in the dashboard's time range for the selected " +
						"models and templates (increase of llm_cost_usd_total). Unpriced calls add nothing.",
					unit: units.Dollars, kind: "stat", width: 6,
					targets: []target{{
						expr:   `sum(increase(llm_cost_usd_total{` + selAll + `}[$__range]))`,
						legend: "spend",
					}},
				},
				{
					title: "Cost per request",
					description: "Average USD per LLM call per model: cost rate divided by call rate. " +
						"Unpriced calls count as $0 and pull the average down: check Unpriced requests.",
					unit: units.Dollars, kind: "timeseries", width: 12,
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
					unit: units.RequestsPerSecond, kind: "timeseries", width: 12,
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
					unit: units.RequestsPerSecond, kind: "timeseries", width: 12, stacked: true,
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
					unit: units.Seconds, kind: "timeseries", width: 12,
					targets: []target{{
						expr:   quantile("0.95", "llm_request_duration_seconds", "template"),
						legend: "{{template}}",
					}},
				},
				{
					title:       "Tokens per minute by template",
					description: "Prompt plus completion tokens per minute per prompt template.",
					unit:        units.Short, kind: "timeseries", width: 12,
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
					unit: units.Dollars, kind: "timeseries", width: 12,
					targets: []target{{
						expr:   `3600 * sum by (template) (rate(llm_cost_usd_total{` + selAll + `}[$__rate_interval]))`,
						legend: "{{template}}",
					}},
				},
				{
					title: "Time to first token by model",
					description: "Median (solid) and 95th percentile (dashed) of the time to the first " +
						"output chunk of streamed calls, per model.",
					unit: units.Seconds, kind: "timeseries", width: 12,
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
					unit: units.Seconds, kind: "timeseries", width: 12,
					targets: []target{
						{expr: quantile("0.5", "llm_time_per_output_token_seconds", "model"), legend: "{{model}} p50"},
						{expr: quantile("0.95", "llm_time_per_output_token_seconds", "model"), legend: "{{model}} p95", dashed: true},
					},
				},
			},
		},
	}
}

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
			Expr(t.expr).
			LegendFormat(t.legend)
		if p.kind == "stat" {
			q = q.Instant()
		} else {
			q = q.Range()
		}
		out = append(out, q)
	}
	return out
}

func refID(i int) string { return string(rune('A' + i)) }

func buildPanel(id uint32, p panel) cog.Builder[dashboard.Panel] {
	switch p.kind {
	case "stat":
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
		return b
	}
}

// Overview builds the "LLM overview" dashboard.
func Overview() (dashboard.Dashboard, error) {
	b := dashboard.NewDashboardBuilder("LLM overview (otelcol-llm)").
		Uid(OverviewUID).
		Description("LLM calls seen by otelcol-llm: health (rate, errors, latency, time to first token), "+
			"cost (tokens, USD, unpriced calls) and a breakdown by reason, template and model.").
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
		WithVariable(queryVariable("model", "Model",
			`label_values(llm_requests_total{job="$job", instance=~"$instance"}, model)`,
			"Requested model (other: values beyond the exporter's label cap; unknown: no model on the span).", true)).
		WithVariable(queryVariable("template", "Template",
			`label_values(llm_requests_total{job="$job", instance=~"$instance", model=~"$model"}, template)`,
			"Prompt template (none: the span named no template).", true))

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

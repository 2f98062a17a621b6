// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package otlpmetrics

import (
	"fmt"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/otlptranslator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// llmFamilies are the families of llm_prometheus at its default namespace:
// the recorder's (exporter/llmprometheusexporter/internal/recorder,
// gather.go) and the agent and tool families (internal/activity).
var llmFamilies = []struct {
	family string
	typ    dto.MetricType
	name   string // the OTLP name
	unit   string
}{
	{"llm_requests_total", dto.MetricType_COUNTER, "llm_requests", ""},
	{"llm_request_duration_seconds", dto.MetricType_HISTOGRAM, "llm_request_duration", "s"},
	{"llm_time_to_first_token_seconds", dto.MetricType_HISTOGRAM, "llm_time_to_first_token", "s"},
	{"llm_time_per_output_token_seconds", dto.MetricType_HISTOGRAM, "llm_time_per_output_token", "s"},
	{"llm_prompt_tokens_total", dto.MetricType_COUNTER, "llm_prompt_tokens", ""},
	{"llm_completion_tokens_total", dto.MetricType_COUNTER, "llm_completion_tokens", ""},
	{"llm_cached_prompt_tokens_total", dto.MetricType_COUNTER, "llm_cached_prompt_tokens", ""},
	{"llm_cache_creation_prompt_tokens_total", dto.MetricType_COUNTER, "llm_cache_creation_prompt_tokens", ""},
	{"llm_reasoning_tokens_total", dto.MetricType_COUNTER, "llm_reasoning_tokens", ""},
	{"llm_errors_total", dto.MetricType_COUNTER, "llm_errors", ""},
	{"llm_cost_usd_total", dto.MetricType_COUNTER, "llm_cost_usd", ""},
	{"llm_cost_reported_usd_total", dto.MetricType_COUNTER, "llm_cost_reported_usd", ""},
	{"llm_unpriced_requests_total", dto.MetricType_COUNTER, "llm_unpriced_requests", ""},
	{"llm_finish_reasons_total", dto.MetricType_COUNTER, "llm_finish_reasons", ""},
	{"llm_stream_interruptions_total", dto.MetricType_COUNTER, "llm_stream_interruptions", ""},
	{"llm_budget_cost_usd_total", dto.MetricType_COUNTER, "llm_budget_cost_usd", ""},
	{"llm_budget_limit_usd", dto.MetricType_GAUGE, "llm_budget_limit_usd", ""},
	{"llm_tool_calls_total", dto.MetricType_COUNTER, "llm_tool_calls", ""},
	{"llm_tool_duration_seconds", dto.MetricType_HISTOGRAM, "llm_tool_duration", "s"},
	{"llm_agent_invocations_total", dto.MetricType_COUNTER, "llm_agent_invocations", ""},
	{"llm_agent_duration_seconds", dto.MetricType_HISTOGRAM, "llm_agent_duration", "s"},
	{"llm_agent_model_calls", dto.MetricType_HISTOGRAM, "llm_agent_model_calls", ""},
	{"llm_agent_tool_calls", dto.MetricType_HISTOGRAM, "llm_agent_tool_calls", ""},
	{"llm_guardrail_results_total", dto.MetricType_COUNTER, "llm_guardrail_results", ""},
	{"llm_evaluation_score", dto.MetricType_HISTOGRAM, "llm_evaluation_score", ""},
	{"llm_evaluation_results_total", dto.MetricType_COUNTER, "llm_evaluation_results", ""},
}

// promName is the name Prometheus' OTLP receiver (v0.316.0, the version
// the Makefile builds) gives an OTLP metric of name, unit and the OTLP type
// the converter makes of typ, with its default translation strategy.
func promName(t *testing.T, name, unit string, typ dto.MetricType, exponential bool) string {
	t.Helper()
	namer := otlptranslator.NewMetricNamer("", otlptranslator.UnderscoreEscapingWithSuffixes)
	m := otlptranslator.Metric{Name: name, Unit: unit}
	switch typ {
	case dto.MetricType_COUNTER:
		m.Type = otlptranslator.MetricTypeMonotonicCounter
	case dto.MetricType_GAUGE, dto.MetricType_UNTYPED:
		m.Type = otlptranslator.MetricTypeGauge
	case dto.MetricType_HISTOGRAM:
		m.Type = otlptranslator.MetricTypeHistogram
		if exponential {
			m.Type = otlptranslator.MetricTypeExponentialHistogram
		}
	case dto.MetricType_SUMMARY:
		m.Type = otlptranslator.MetricTypeSummary
	}
	got, err := namer.Build(m)
	require.NoError(t, err)
	return got
}

// TestPrometheusNamingLLM pins the OTLP name and unit of every llm_*
// family, and that Prometheus' own name builder turns them back into the
// family's name, for explicit and exponential histograms, with and without
// unit annotations.
func TestPrometheusNamingLLM(t *testing.T) {
	annotated := PrometheusNaming{Annotations: map[string]string{}}
	for _, f := range llmFamilies {
		annotated.Annotations[f.family] = "{call}"
	}
	for _, f := range llmFamilies {
		name, unit := PrometheusNaming{}.OTLPName(f.family, f.typ)
		assert.Equal(t, f.name, name, f.family)
		assert.Equal(t, f.unit, unit, f.family)
		for _, exp := range []bool{false, true} {
			assert.Equal(t, f.family, promName(t, name, unit, f.typ, exp), "%s exponential=%v", f.family, exp)
		}
		aName, aUnit := annotated.OTLPName(f.family, f.typ)
		assert.Equal(t, f.name, aName, f.family)
		if f.unit == "" {
			assert.Equal(t, "{call}", aUnit, f.family)
		} else {
			assert.Equal(t, f.unit, aUnit, "%s: an annotation never replaces a unit", f.family)
		}
		assert.Equal(t, f.family, promName(t, aName, aUnit, f.typ, false), f.family)
	}
}

// TestPrometheusNamingRules covers every rule, each case checked against
// Prometheus' name builder where it can rebuild the family, and the cases
// it cannot.
func TestPrometheusNamingRules(t *testing.T) {
	for _, tc := range []struct {
		family     string
		typ        dto.MetricType
		name, unit string
		rebuilt    string // what Prometheus makes of it, if not family
	}{
		{"x_total", dto.MetricType_COUNTER, "x", "", ""},
		{"total", dto.MetricType_COUNTER, "total", "", ""},
		{"x_seconds_total", dto.MetricType_COUNTER, "x", "s", ""},
		{"seconds_total", dto.MetricType_COUNTER, "seconds", "", ""},
		{"x_bytes_per_second_total", dto.MetricType_COUNTER, "x", "By/s", ""},
		{"x_per_second", dto.MetricType_GAUGE, "x", "1/s", ""},
		{"x_per_month", dto.MetricType_GAUGE, "x", "1/mo", ""},
		{"per_second", dto.MetricType_GAUGE, "per_second", "", ""},
		{"x_per_parsec", dto.MetricType_GAUGE, "x_per_parsec", "", ""},
		{"x_ratio", dto.MetricType_GAUGE, "x", "1", ""},
		{"x_ratio", dto.MetricType_UNTYPED, "x", "1", ""},
		{"x_seconds_ratio", dto.MetricType_GAUGE, "x_seconds", "1", ""},
		{"ratio_x_ratio", dto.MetricType_GAUGE, "ratio_x_ratio", "", ""},
		{"x_ratio", dto.MetricType_HISTOGRAM, "x_ratio", "", ""},
		{"x_percent", dto.MetricType_GAUGE, "x", "%", ""},
		{"x_seconds", dto.MetricType_GAUGE, "x", "s", ""},
		{"x_seconds", dto.MetricType_SUMMARY, "x", "s", ""},
		{"seconds", dto.MetricType_GAUGE, "seconds", "", ""},
		{"seconds_x_seconds", dto.MetricType_HISTOGRAM, "seconds_x_seconds", "", ""},
		{"x:y_milliseconds", dto.MetricType_HISTOGRAM, "x:y", "ms", ""},
		{"x_usd", dto.MetricType_GAUGE, "x_usd", "", ""},
		{"x_", dto.MetricType_GAUGE, "x_", "", "x"},
		// Not rebuildable whatever the unit: the receiver adds _total to
		// every counter and removes every total token of it.
		{"x", dto.MetricType_COUNTER, "x", "", "x_total"},
		{"total_x_total", dto.MetricType_COUNTER, "total_x", "", "x_total"},
		{"x__seconds", dto.MetricType_HISTOGRAM, "x_", "s", "x_seconds"},
	} {
		name, unit := PrometheusNaming{}.OTLPName(tc.family, tc.typ)
		assert.Equal(t, tc.name, name, "%s %v", tc.family, tc.typ)
		assert.Equal(t, tc.unit, unit, "%s %v", tc.family, tc.typ)
		want := tc.family
		if tc.rebuilt != "" {
			want = tc.rebuilt
		}
		assert.Equal(t, want, promName(t, name, unit, tc.typ, false), "%s %v", tc.family, tc.typ)
	}
}

// TestPrometheusNamingUnitWords checks every unit word against the
// receiver: each unit translates back to its word.
func TestPrometheusNamingUnitWords(t *testing.T) {
	for word, unit := range unitWords {
		family := "x_" + word
		name, u := PrometheusNaming{}.OTLPName(family, dto.MetricType_HISTOGRAM)
		assert.Equal(t, "x", name, family)
		assert.Equal(t, unit, u, family)
		assert.Equal(t, family, promName(t, name, u, dto.MetricType_HISTOGRAM, false), family)
	}
	for word, unit := range perWords {
		family := fmt.Sprintf("x_bytes_per_%s_total", word)
		name, u := PrometheusNaming{}.OTLPName(family, dto.MetricType_COUNTER)
		assert.Equal(t, "x", name, family)
		assert.Equal(t, "By/"+unit, u, family)
		assert.Equal(t, family, promName(t, name, u, dto.MetricType_COUNTER, false), family)
	}
}

// TestPrometheusNamingAnnotations: only an annotation alone is used, so it
// never changes the rebuilt name.
func TestPrometheusNamingAnnotations(t *testing.T) {
	n := PrometheusNaming{Annotations: map[string]string{
		"a_total": "{call}", "b_total": "s", "c_total": "{call}/s", "d_total": "{a}{b}", "e": "{}", "f_seconds": "{call}",
	}}
	for family, want := range map[string]string{
		"a_total": "{call}", "b_total": "", "c_total": "", "d_total": "", "e": "{}", "f_seconds": "s",
	} {
		typ := dto.MetricType_COUNTER
		if family == "e" || family == "f_seconds" {
			typ = dto.MetricType_GAUGE
		}
		name, unit := n.OTLPName(family, typ)
		assert.Equal(t, want, unit, family)
		assert.Equal(t, family, promName(t, name, unit, typ, false), family)
	}
}

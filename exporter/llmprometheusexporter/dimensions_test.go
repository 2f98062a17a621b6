// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
)

// TestConsumeTracesDimensions: spans of several services, providers and
// tenants, attribute values of every type and size, through the exporter:
// exact series, overflow and invalid-value telemetry, budgets.
func TestConsumeTracesDimensions(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := createDefaultConfig().(*Config)
	cfg.Labels.MaxValueLength = 16
	cfg.Dimensions = []llmconfig.Dimension{
		llmconfig.Presets()["service"],
		llmconfig.Presets()["provider"],
		{Label: "tenant", Attributes: []string{"tenant.id", "enduser.id", "user.id"}, Default: "none", MaxValues: 2},
	}
	cfg.Budgets = []BudgetConfig{{Name: "acme", Match: map[string]string{"tenant": "acme"}, Period: "daily", AmountUSD: 10}}
	require.NoError(t, cfg.Validate())
	e := newTestExporter(t, cfg, set)
	e.recorder.SetClock(baseTime.UnixNano)
	e.now = func() time.Time { return baseTime }

	call := func(service, provider string, attrs map[string]any) spanSpec {
		a := map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": "gpt-4o",
			"gen_ai.usage.cost": 0.25,
		}
		for k, v := range attrs {
			a[k] = v
		}
		return spanSpec{dur: time.Second, attrs: a, resource: map[string]any{"service.name": service}}
	}
	specs := []spanSpec{
		call("web", "openai", map[string]any{"tenant.id": "acme"}),
		call("web", "openai", map[string]any{"enduser.id": "globex"}),
		call("api", "azure.ai.openai", map[string]any{"user.id": int64(42)}),          // third tenant: other
		call("api", "azure.ai.openai", map[string]any{"tenant.id": map[string]any{}}), // refused: none
		call("api", "aws.bedrock", map[string]any{"tenant.id": strings.Repeat("é", 1<<19)}),
		call("api", "aws.bedrock", map[string]any{"tenant.id": "acme\xff"}),
		call("api", "anthropic", map[string]any{"tenant.id": ""}), // empty: none
		call("api", "anthropic", map[string]any{"tenant.id": "acme"}),
	}
	require.NoError(t, e.consumeTraces(context.Background(), buildTraces(t, specs...)))
	expected := `
# HELP llm_requests_total LLM calls by model, prompt template and status (success or error).
# TYPE llm_requests_total counter
llm_requests_total{model="gpt-4o",provider="anthropic",service="api",status="error",template="none",tenant="acme"} 0
llm_requests_total{model="gpt-4o",provider="anthropic",service="api",status="success",template="none",tenant="acme"} 1
llm_requests_total{model="gpt-4o",provider="anthropic",service="api",status="error",template="none",tenant="none"} 0
llm_requests_total{model="gpt-4o",provider="anthropic",service="api",status="success",template="none",tenant="none"} 1
llm_requests_total{model="gpt-4o",provider="aws.bedrock",service="api",status="error",template="none",tenant="other"} 0
llm_requests_total{model="gpt-4o",provider="aws.bedrock",service="api",status="success",template="none",tenant="other"} 2
llm_requests_total{model="gpt-4o",provider="azure.ai.openai",service="api",status="error",template="none",tenant="none"} 0
llm_requests_total{model="gpt-4o",provider="azure.ai.openai",service="api",status="success",template="none",tenant="none"} 1
llm_requests_total{model="gpt-4o",provider="azure.ai.openai",service="api",status="error",template="none",tenant="other"} 0
llm_requests_total{model="gpt-4o",provider="azure.ai.openai",service="api",status="success",template="none",tenant="other"} 1
llm_requests_total{model="gpt-4o",provider="openai",service="web",status="error",template="none",tenant="acme"} 0
llm_requests_total{model="gpt-4o",provider="openai",service="web",status="success",template="none",tenant="acme"} 1
llm_requests_total{model="gpt-4o",provider="openai",service="web",status="error",template="none",tenant="globex"} 0
llm_requests_total{model="gpt-4o",provider="openai",service="web",status="success",template="none",tenant="globex"} 1
# HELP llm_budget_cost_usd_total Cost in USD of the LLM calls a budget matches, counted by this collector in the current calendar window (UTC) of the budget's period.
# TYPE llm_budget_cost_usd_total counter
llm_budget_cost_usd_total{budget="acme",period="daily",window="2026-11-27"} 0.5
# HELP llm_budget_limit_usd The amount of a budget in USD per period (configuration).
# TYPE llm_budget_limit_usd gauge
llm_budget_limit_usd{budget="acme",period="daily"} 10
`
	require.NoError(t, testutil.GatherAndCompare(e.registry, strings.NewReader(expected),
		"llm_requests_total", "llm_budget_cost_usd_total", "llm_budget_limit_usd"))
	n, err := testutil.GatherAndCount(e.registry, "llm_request_duration_seconds")
	require.NoError(t, err)
	require.Equal(t, 7, n)

	assertSum(t, tel, "otelcol_exporter_llm_prometheus_label_overflow", map[string]string{"label": "tenant"}, 3)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_invalid_values", map[string]string{"cause": "dimension"}, 1)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_invalid_values", map[string]string{"cause": "dimension_value"}, 2)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_calls", nil, 8)
}

// TestConsumeTracesLabelSetCap: the label set cap folds the last dimension
// first, counted in label_overflow and label_set_overflow.
func TestConsumeTracesLabelSetCap(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := createDefaultConfig().(*Config)
	cfg.Labels.MaxLabelSets = 2
	cfg.Dimensions = []llmconfig.Dimension{llmconfig.Presets()["service"], llmconfig.Presets()["tenant"]}
	e := newTestExporter(t, cfg, set)
	var specs []spanSpec
	for _, st := range [][2]string{{"web", "a"}, {"web", "b"}, {"web", "c"}, {"api", "d"}, {"web", "other"}} {
		specs = append(specs, spanSpec{dur: time.Second, resource: map[string]any{"service.name": st[0]}, attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "tenant.id": st[1],
		}})
	}
	require.NoError(t, e.consumeTraces(context.Background(), buildTraces(t, specs...)))
	// (web, a), (web, b) fill the cap; (web, c) folds the tenant: (web,
	// other) is new, so the service folds too and then the template:
	// (m, other, other, other); (api, d) lands there too; (web, other) is
	// again new and folds the same way, its tenant other already.
	expected := `
# HELP llm_requests_total LLM calls by model, prompt template and status (success or error).
# TYPE llm_requests_total counter
llm_requests_total{model="m",service="other",status="error",template="other",tenant="other"} 0
llm_requests_total{model="m",service="other",status="success",template="other",tenant="other"} 3
llm_requests_total{model="m",service="web",status="error",template="none",tenant="a"} 0
llm_requests_total{model="m",service="web",status="success",template="none",tenant="a"} 1
llm_requests_total{model="m",service="web",status="error",template="none",tenant="b"} 0
llm_requests_total{model="m",service="web",status="success",template="none",tenant="b"} 1
`
	require.NoError(t, testutil.GatherAndCompare(e.registry, strings.NewReader(expected), "llm_requests_total"))
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_label_set_overflow", nil, 3)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_label_overflow", map[string]string{"label": "tenant"}, 2)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_label_overflow", map[string]string{"label": "service"}, 3)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_label_overflow", map[string]string{"label": "template"}, 3)
}

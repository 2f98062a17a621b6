// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	full := createDefaultConfig().(*Config)
	full.ServerConfig = confighttp.NewDefaultServerConfig()
	full.NetAddr.Endpoint = "0.0.0.0:9999"
	full.Namespace = "genai"
	full.RequestDuration.Buckets = []float64{1, 5, 30, 120}
	full.TimeToFirstToken.Buckets = []float64{0.05, 0.5, 5}
	full.NativeHistograms = NativeHistogramsConfig{Enabled: false, BucketFactor: 1.5, MaxBuckets: 40}
	full.Exemplars.Enabled = false
	full.Labels = LabelsConfig{
		MaxValueLength: 64, Model: LabelLimit{MaxValues: 20}, Template: LabelLimit{MaxValues: 10}, MaxLabelSets: 150,
		Tool: LabelLimit{MaxValues: 30}, Agent: LabelLimit{MaxValues: 5}, Guardrail: LabelLimit{MaxValues: 6},
		Evaluation: LabelLimit{MaxValues: 7}, EvaluationLabel: LabelLimit{MaxValues: 8},
	}
	full.ToolDuration.Buckets = []float64{0.1, 1}
	full.AgentDuration.Buckets = []float64{1, 10, 100}
	full.TemplateAttributes = []string{"app.prompt.id", "llm.template"}
	full.TimePerOutputToken.Buckets = []float64{0.02, 0.2}
	full.DeduplicateNestedCalls = false
	full.Dimensions = []llmconfig.Dimension{
		llmconfig.Presets()["service"],
		{Label: "team", Attributes: []string{"team", "service.namespace"}, MaxValues: 20},
	}
	full.Budgets = []BudgetConfig{
		{Name: "search", Match: map[string]string{"team": "search"}, Period: "monthly", AmountUSD: 500},
		{Name: "all-daily", Period: "daily", AmountUSD: 40.5},
	}
	deprecated := createDefaultConfig().(*Config)
	deprecated.Labels.MaxPairs = 150
	cachedInput := 1.5
	full.Pricing = pricing.Config{
		DefaultTable: false, File: "/etc/otelcol-llm/prices.yaml", ReloadInterval: time.Minute,
		Models: []pricing.Row{{Model: "my-finetune", Provider: "openai", Input: 3, Output: 12, CachedInput: &cachedInput}},
	}

	tests := []struct {
		id       component.ID
		expected component.Config
		errMsg   string // substring of the Validate or Unmarshal error
	}{
		{id: component.NewID(metadata.Type), expected: createDefaultConfig()},
		{id: component.NewIDWithName(metadata.Type, "full"), expected: full},
		{id: component.NewIDWithName(metadata.Type, "bad_buckets"), errMsg: "request_duration::buckets: [1 5 2] is not strictly increasing (2 after 5)"},
		{id: component.NewIDWithName(metadata.Type, "empty_buckets"), errMsg: "time_to_first_token::buckets: [] must list at least one bucket"},
		{id: component.NewIDWithName(metadata.Type, "negative_bucket"), errMsg: "time_to_first_token::buckets: bucket -1 (index 0) must be a finite number > 0"},
		{id: component.NewIDWithName(metadata.Type, "bad_model_cap"), errMsg: "labels::model::max_values: 0 must be between 1 and 100000"},
		{id: component.NewIDWithName(metadata.Type, "bad_template_cap"), errMsg: "labels::template::max_values: -3 must be between 1 and 100000"},
		{id: component.NewIDWithName(metadata.Type, "bad_pair_cap"), errMsg: "labels::max_pairs: -1 must be between 1 and 100000 (deprecated: use labels::max_label_sets)"},
		{id: component.NewIDWithName(metadata.Type, "bad_label_set_cap"), errMsg: "labels::max_label_sets: 0 must be between 1 and 100000"},
		{id: component.NewIDWithName(metadata.Type, "deprecated_max_pairs"), expected: deprecated},
		{id: component.NewIDWithName(metadata.Type, "bad_budgets"), errMsg: `budgets[0]::match::service: "" must not be empty
budgets[0]::match: label "team" is not model, template or a configured dimension (model, template, service)
budgets[0]::period: "weekly" must be daily or monthly
budgets[0]::amount_usd: 0 must be a finite number > 0
budgets[1]::name: "a" is already the name of budgets[0]
budgets[1]::amount_usd: +Inf must be a finite number > 0
budgets[2]::name: "" must be non-empty valid UTF-8 of at most 128 bytes`},
		{id: component.NewIDWithName(metadata.Type, "bad_dimension"), errMsg: `dimensions[0]::label: "status" clashes with a built-in label`},
		{id: component.NewIDWithName(metadata.Type, "bad_value_length"), errMsg: "labels::max_value_length: 2 must be between 8 and 4096"},
		{id: component.NewIDWithName(metadata.Type, "bad_endpoint"), errMsg: `endpoint: "localhost-no-port" must be host:port`},
		{id: component.NewIDWithName(metadata.Type, "bad_port"), errMsg: `endpoint: "127.0.0.1:99999" has an invalid port "99999"`},
		{id: component.NewIDWithName(metadata.Type, "bad_namespace"), errMsg: `namespace: "llm-metrics" is not a valid Prometheus metric name prefix`},
		{id: component.NewIDWithName(metadata.Type, "bad_native_factor"), errMsg: "native_histograms::bucket_factor: 1 must be a finite number > 1"},
		{id: component.NewIDWithName(metadata.Type, "unknown_key"), errMsg: "endpont"},
		{id: component.NewIDWithName(metadata.Type, "bad_deduplicate"), errMsg: "deduplicate_nested_calls"},
		{id: component.NewIDWithName(metadata.Type, "bad_price_row"), errMsg: `pricing: models[0]: exactly one of model, prefix and regex must be set (model "", prefix "gpt-", regex "^gpt")`},
		{id: component.NewIDWithName(metadata.Type, "bad_price_value"), errMsg: "pricing: models[0]: input: -2 must be a price in USD per million tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if err == nil {
				err = confmap.Validate(cfg)
			}
			if tt.errMsg != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.errMsg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.expected, cfg)
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, "127.0.0.1:8889", cfg.NetAddr.Endpoint)
	assert.Equal(t, "llm", cfg.Namespace)
	assert.Equal(t, []float64{0.5, 1, 2, 5, 10, 20, 30, 60}, cfg.RequestDuration.Buckets)
	assert.Equal(t, []float64{0.1, 0.25, 0.5, 1, 2, 5}, cfg.TimeToFirstToken.Buckets)
	assert.True(t, cfg.NativeHistograms.Enabled)
	assert.True(t, cfg.Exemplars.Enabled)
	assert.Equal(t, 100, cfg.Labels.Model.MaxValues)
	assert.Equal(t, 50, cfg.Labels.Template.MaxValues)
	assert.Equal(t, []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5}, cfg.TimePerOutputToken.Buckets)
	assert.Equal(t, pricing.Config{DefaultTable: true, ReloadInterval: 30 * time.Second}, cfg.Pricing)
	assert.True(t, cfg.DeduplicateNestedCalls)
	assert.Equal(t, []string{
		"llm.template", "gen_ai.prompt.name", "traceloop.prompt.key",
		"langfuse.observation.prompt.name", "ai.telemetry.functionId",
	}, cfg.TemplateAttributes)
	require.NoError(t, confmap.Validate(cfg))
}

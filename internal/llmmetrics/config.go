// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmmetrics // import "github.com/otelcol-llm/otelcol-llm/internal/llmmetrics"

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/otelcol-llm/otelcol-llm/internal/activity"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
	"github.com/otelcol-llm/otelcol-llm/internal/recorder"
)

// Config is the metrics block the llm_prometheus exporter and the llm
// connector share: names, histograms, label bounds, budgets, and (squashed)
// the llmconfig.Shared block. Each component squashes it into its own
// Config, so the keys sit at the top level of the component's
// configuration.
type Config struct {
	// Namespace prefixes every metric name (default "llm"). Empty means no prefix.
	Namespace string `mapstructure:"namespace"`

	// RequestDuration configures llm_request_duration_seconds.
	RequestDuration HistogramConfig `mapstructure:"request_duration"`
	// TimeToFirstToken configures llm_time_to_first_token_seconds.
	TimeToFirstToken HistogramConfig `mapstructure:"time_to_first_token"`
	// TimePerOutputToken configures llm_time_per_output_token_seconds.
	TimePerOutputToken HistogramConfig `mapstructure:"time_per_output_token"`
	// ToolDuration configures llm_tool_duration_seconds.
	ToolDuration HistogramConfig `mapstructure:"tool_duration"`
	// AgentDuration configures llm_agent_duration_seconds.
	AgentDuration HistogramConfig `mapstructure:"agent_duration"`
	// NativeHistograms adds Prometheus native histograms beside the classic buckets.
	NativeHistograms NativeHistogramsConfig `mapstructure:"native_histograms"`
	// Exemplars attaches trace_id/span_id exemplars.
	Exemplars ExemplarsConfig `mapstructure:"exemplars"`
	// Labels bounds the label values.
	Labels LabelsConfig `mapstructure:"labels"`
	// Budgets count the cost of the calls they match per calendar period
	// (llm_budget_limit_usd, llm_budget_cost_usd_total).
	Budgets []BudgetConfig `mapstructure:"budgets"`
	// Shared holds template_attributes, pricing, deduplicate_nested_calls
	// and dimensions, the block the llm processor has too.
	llmconfig.Shared `mapstructure:",squash"`
}

// HistogramConfig configures one histogram.
type HistogramConfig struct {
	// Buckets are the classic bucket upper bounds in seconds, strictly increasing.
	Buckets []float64 `mapstructure:"buckets"`
}

// NativeHistogramsConfig configures client_golang native histograms.
type NativeHistogramsConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// BucketFactor is the maximum growth factor between two native buckets (> 1).
	BucketFactor float64 `mapstructure:"bucket_factor"`
	// MaxBuckets caps the number of native buckets of one series (≥ 1).
	MaxBuckets uint32 `mapstructure:"max_buckets"`
}

// ExemplarsConfig configures exemplars.
type ExemplarsConfig struct {
	Enabled bool `mapstructure:"enabled"`
}

// LabelsConfig bounds label values.
type LabelsConfig struct {
	// MaxValueLength is the maximum length in bytes of a label value; longer
	// values are cut at a UTF-8 boundary.
	MaxValueLength int `mapstructure:"max_value_length"`
	// Model caps the distinct values of the model label.
	Model LabelLimit `mapstructure:"model"`
	// Template caps the distinct values of the template label.
	Template LabelLimit `mapstructure:"template"`
	// MaxLabelSets caps the distinct label sets (model, template and the
	// dimension values), and with them the series /metrics serves (about 44
	// per label set). Past the cap a new label set folds its least
	// significant label into "other" first: the last dimension, then the
	// one before, …, the first, then the template, until it meets an
	// existing label set; the model stays. At most max_label_sets label sets
	// plus one (model, "other", …) per model value exist.
	MaxLabelSets int `mapstructure:"max_label_sets"`
	// MaxPairs is the former name of MaxLabelSets (deprecated): when set,
	// it is used as max_label_sets, with a warning at start-up.
	MaxPairs int `mapstructure:"max_pairs"`
	// Tool, Agent, Guardrail, Evaluation and EvaluationLabel cap the
	// distinct values of the tool, agent, guardrail, evaluation and
	// (evaluation results') label labels.
	Tool            LabelLimit `mapstructure:"tool"`
	Agent           LabelLimit `mapstructure:"agent"`
	Guardrail       LabelLimit `mapstructure:"guardrail"`
	Evaluation      LabelLimit `mapstructure:"evaluation"`
	EvaluationLabel LabelLimit `mapstructure:"evaluation_label"`
}

// activityLimits are the caps of the activity labels, in activity.Label
// order, with their field names.
func (l *LabelsConfig) activityLimits() [activity.NumLabels]struct {
	field string
	max   int
} {
	return [activity.NumLabels]struct {
		field string
		max   int
	}{
		activity.LabelTool:            {"labels::tool::max_values", l.Tool.MaxValues},
		activity.LabelAgent:           {"labels::agent::max_values", l.Agent.MaxValues},
		activity.LabelGuardrail:       {"labels::guardrail::max_values", l.Guardrail.MaxValues},
		activity.LabelEvaluation:      {"labels::evaluation::max_values", l.Evaluation.MaxValues},
		activity.LabelEvaluationLabel: {"labels::evaluation_label::max_values", l.EvaluationLabel.MaxValues},
	}
}

// BudgetConfig is one budget: the cost of the calls whose labels match
// Match, per calendar Period (UTC), against AmountUSD.
type BudgetConfig struct {
	// Name is the budget label value.
	Name string `mapstructure:"name"`
	// Match maps label names (model, template or a dimension) to the value
	// a call must have, before any folding into "other". Empty: every call.
	Match map[string]string `mapstructure:"match"`
	// Period is daily or monthly.
	Period string `mapstructure:"period"`
	// AmountUSD is the budget per period in USD.
	AmountUSD float64 `mapstructure:"amount_usd"`
}

// LabelLimit caps the distinct values of one label; values past the cap are
// reported as "other".
type LabelLimit struct {
	MaxValues int `mapstructure:"max_values"`
}

const (
	maxLabelValues = 100_000
	maxValueLength = 4096
)

// Check checks the block; every message names the field and the value. The
// components' Validate calls it; it is not named Validate for the reason
// llmconfig.Shared.Check gives.
func (cfg Config) Check() error {
	var errs []error
	if !validNamespace(cfg.Namespace) {
		errs = append(errs, fmt.Errorf("namespace: %q is not a valid Prometheus metric name prefix ([a-zA-Z_][a-zA-Z0-9_]*)", cfg.Namespace))
	}
	errs = append(errs,
		validateBuckets("request_duration::buckets", cfg.RequestDuration.Buckets),
		validateBuckets("time_to_first_token::buckets", cfg.TimeToFirstToken.Buckets),
		validateBuckets("time_per_output_token::buckets", cfg.TimePerOutputToken.Buckets),
		validateBuckets("tool_duration::buckets", cfg.ToolDuration.Buckets),
		validateBuckets("agent_duration::buckets", cfg.AgentDuration.Buckets),
		cfg.Shared.Check())
	if cfg.NativeHistograms.Enabled {
		if f := cfg.NativeHistograms.BucketFactor; !(f > 1) || math.IsInf(f, 0) {
			errs = append(errs, fmt.Errorf("native_histograms::bucket_factor: %v must be a finite number > 1", f))
		}
		if cfg.NativeHistograms.MaxBuckets < 1 {
			errs = append(errs, fmt.Errorf("native_histograms::max_buckets: %d must be >= 1", cfg.NativeHistograms.MaxBuckets))
		}
	}
	if n := cfg.Labels.MaxValueLength; n < 8 || n > maxValueLength {
		errs = append(errs, fmt.Errorf("labels::max_value_length: %d must be between 8 and %d", n, maxValueLength))
	}
	if n := cfg.Labels.Model.MaxValues; n < 1 || n > maxLabelValues {
		errs = append(errs, fmt.Errorf("labels::model::max_values: %d must be between 1 and %d", n, maxLabelValues))
	}
	if n := cfg.Labels.Template.MaxValues; n < 1 || n > maxLabelValues {
		errs = append(errs, fmt.Errorf("labels::template::max_values: %d must be between 1 and %d", n, maxLabelValues))
	}
	for _, l := range cfg.Labels.activityLimits() {
		if l.max < 1 || l.max > maxLabelValues {
			errs = append(errs, fmt.Errorf("%s: %d must be between 1 and %d", l.field, l.max, maxLabelValues))
		}
	}
	if n := cfg.Labels.MaxLabelSets; n < 1 || n > maxLabelValues {
		errs = append(errs, fmt.Errorf("labels::max_label_sets: %d must be between 1 and %d", n, maxLabelValues))
	}
	if n := cfg.Labels.MaxPairs; n < 0 || n > maxLabelValues {
		errs = append(errs, fmt.Errorf("labels::max_pairs: %d must be between 1 and %d (deprecated: use labels::max_label_sets)", n, maxLabelValues))
	}
	errs = append(errs, cfg.validateBudgets())
	return errors.Join(errs...)
}

// maxLabelSets is labels::max_label_sets, or the deprecated max_pairs when set.
func (cfg *Config) maxLabelSets() int {
	if cfg.Labels.MaxPairs > 0 {
		return cfg.Labels.MaxPairs
	}
	return cfg.Labels.MaxLabelSets
}

func (cfg Config) validateBudgets() error {
	var errs []error
	if len(cfg.Budgets) > recorder.MaxBudgets {
		errs = append(errs, fmt.Errorf("budgets: %d entries, at most %d", len(cfg.Budgets), recorder.MaxBudgets))
	}
	labels := []string{"model", "template"}
	for _, d := range cfg.Dimensions {
		labels = append(labels, d.Label)
	}
	seen := map[string]int{}
	for i, b := range cfg.Budgets {
		field := fmt.Sprintf("budgets[%d]", i)
		switch {
		case b.Name == "" || !utf8.ValidString(b.Name) || len(b.Name) > maxBudgetName:
			errs = append(errs, fmt.Errorf("%s::name: %q must be non-empty valid UTF-8 of at most %d bytes", field, b.Name, maxBudgetName))
		default:
			if j, dup := seen[b.Name]; dup {
				errs = append(errs, fmt.Errorf("%s::name: %q is already the name of budgets[%d]", field, b.Name, j))
			}
			seen[b.Name] = i
		}
		for _, name := range slices.Sorted(maps.Keys(b.Match)) {
			if !slices.Contains(labels, name) {
				errs = append(errs, fmt.Errorf("%s::match: label %q is not model, template or a configured dimension (%s)", field, name, strings.Join(labels, ", ")))
			}
			if v := b.Match[name]; v == "" {
				errs = append(errs, fmt.Errorf("%s::match::%s: %q must not be empty", field, name, v))
			}
		}
		if _, ok := parsePeriod(b.Period); !ok {
			errs = append(errs, fmt.Errorf("%s::period: %q must be daily or monthly", field, b.Period))
		}
		if a := b.AmountUSD; !(a > 0) || math.IsInf(a, 0) {
			errs = append(errs, fmt.Errorf("%s::amount_usd: %v must be a finite number > 0", field, a))
		}
	}
	return errors.Join(errs...)
}

const maxBudgetName = 128

func parsePeriod(s string) (recorder.Period, bool) {
	switch s {
	case "daily":
		return recorder.Daily, true
	case "monthly":
		return recorder.Monthly, true
	}
	return 0, false
}

func validateBuckets(field string, buckets []float64) error {
	if len(buckets) == 0 {
		return fmt.Errorf("%s: %v must list at least one bucket", field, buckets)
	}
	for i, b := range buckets {
		if math.IsNaN(b) || math.IsInf(b, 0) || b <= 0 {
			return fmt.Errorf("%s: bucket %v (index %d) must be a finite number > 0", field, b, i)
		}
		if i > 0 && b <= buckets[i-1] {
			return fmt.Errorf("%s: %v is not strictly increasing (%v after %v)", field, buckets, b, buckets[i-1])
		}
	}
	return nil
}

func validNamespace(ns string) bool {
	for i := range len(ns) {
		c := ns[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

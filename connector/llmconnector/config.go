// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconnector // import "github.com/otelcol-llm/otelcol-llm/connector/llmconnector"

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/otelcol-llm/otelcol-llm/internal/llmmetrics"
)

// Config is the configuration of the llm connector.
type Config struct {
	// Config is the metrics block the llm_prometheus exporter has too:
	// namespace, histograms, labels, budgets, template_attributes, pricing,
	// deduplicate_nested_calls, dimensions.
	llmmetrics.Config `mapstructure:",squash"`

	// MetricNames selects the names the metrics are written under (a
	// profile): llm, the llm_* families with the llm_prometheus exporter's
	// semantics; semconv_v1_41, the GenAI semantic conventions' client
	// metrics of v1.41; genai_development, the GenAI conventions
	// repository's current (unreleased, provisional) names.
	MetricNames string `mapstructure:"metric_names"`
	// Temporality is cumulative (every flush writes the totals since each
	// stream started) or delta (the change since the previous flush).
	Temporality string `mapstructure:"temporality"`
	// Histograms is explicit (classic buckets) or exponential (the native
	// buckets, with native_histograms enabled).
	Histograms string `mapstructure:"histograms"`
	// FlushInterval is how often the metrics go to the next consumer; the
	// last values go at shutdown too.
	FlushInterval time.Duration `mapstructure:"flush_interval"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Values of the enum keys.
const (
	ProfileLLM = "llm"

	TemporalityCumulative = "cumulative"
	TemporalityDelta      = "delta"

	HistogramsExplicit    = "explicit"
	HistogramsExponential = "exponential"

	minFlushInterval = 100 * time.Millisecond
)

// profileNames are the metric_names values: llm and the semantic-convention
// profiles (profiles.go).
func profileNames() []string {
	names := []string{ProfileLLM}
	for _, p := range semconvProfiles {
		names = append(names, p.name)
	}
	return names
}

// Validate checks the configuration; every message names the field and value.
func (cfg Config) Validate() error {
	var errs []error
	if !slices.Contains(profileNames(), cfg.MetricNames) {
		errs = append(errs, fmt.Errorf("metric_names: %q is not a known profile (%v)", cfg.MetricNames, profileNames()))
	}
	if cfg.Temporality != TemporalityCumulative && cfg.Temporality != TemporalityDelta {
		errs = append(errs, fmt.Errorf("temporality: %q must be %s or %s", cfg.Temporality, TemporalityCumulative, TemporalityDelta))
	}
	if cfg.Histograms != HistogramsExplicit && cfg.Histograms != HistogramsExponential {
		errs = append(errs, fmt.Errorf("histograms: %q must be %s or %s", cfg.Histograms, HistogramsExplicit, HistogramsExponential))
	} else if cfg.Histograms == HistogramsExponential && !cfg.NativeHistograms.Enabled {
		errs = append(errs, fmt.Errorf("histograms: %q needs native_histograms::enabled: true", cfg.Histograms))
	}
	if cfg.FlushInterval < minFlushInterval {
		errs = append(errs, fmt.Errorf("flush_interval: %v must be at least %v", cfg.FlushInterval, minFlushInterval))
	}
	errs = append(errs, cfg.Check())
	return errors.Join(errs...)
}

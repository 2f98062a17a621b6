// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"go.opentelemetry.io/collector/config/confighttp"

	"github.com/otelcol-llm/otelcol-llm/internal/llmmetrics"
)

// Config is the configuration of the llm_prometheus exporter.
type Config struct {
	// ServerConfig is the /metrics HTTP server (endpoint, TLS, auth, ...),
	// as in the contrib Prometheus exporter.
	confighttp.ServerConfig `mapstructure:",squash"`

	// Config is the metrics block the llm connector has too: namespace,
	// histograms, labels, budgets, template_attributes, pricing,
	// deduplicate_nested_calls, dimensions.
	llmmetrics.Config `mapstructure:",squash"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// The metrics block's types, under the names the exporter has always used.
type (
	HistogramConfig        = llmmetrics.HistogramConfig
	NativeHistogramsConfig = llmmetrics.NativeHistogramsConfig
	ExemplarsConfig        = llmmetrics.ExemplarsConfig
	LabelsConfig           = llmmetrics.LabelsConfig
	LabelLimit             = llmmetrics.LabelLimit
	BudgetConfig           = llmmetrics.BudgetConfig
)

// Validate checks the configuration; every message names the field and value.
func (cfg Config) Validate() error {
	return errors.Join(validateEndpoint(cfg.NetAddr.Endpoint), cfg.Check())
}

func validateEndpoint(endpoint string) error {
	if endpoint == "" {
		return errors.New(`endpoint: "" must be host:port, e.g. 127.0.0.1:8889`)
	}
	_, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		return fmt.Errorf("endpoint: %q must be host:port: %w", endpoint, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("endpoint: %q has an invalid port %q (0-65535)", endpoint, port)
	}
	return nil
}

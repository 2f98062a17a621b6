// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package llmprometheusexporter turns LLM call spans into the llm_* Prometheus
// metrics and serves them on /metrics.
package llmprometheusexporter // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package llmconnector turns LLM call spans into the llm_* metrics as OTLP
// metrics, for any metrics backend: the same reading, bounds and
// aggregation as the llm_prometheus exporter (internal/llmmetrics), flushed
// to the next metrics consumer every flush_interval.
package llmconnector // import "github.com/otelcol-llm/otelcol-llm/connector/llmconnector"

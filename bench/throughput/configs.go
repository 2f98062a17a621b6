// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package throughput

import "fmt"

// Every side runs with the same service settings: no processors (no
// memory_limiter, no batch), the collector's own metrics off (the stock
// recipe sets level: none too), logs at info.

// llmConfig is (a): otlp → llm_prometheus with its default configuration.
func llmConfig(grpcAddr, metricsAddr string) string {
	return fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc: {endpoint: %q}
exporters:
  llm_prometheus:
    endpoint: %q
service:
  telemetry:
    metrics: {level: none}
  pipelines:
    traces: {receivers: [otlp], exporters: [llm_prometheus]}
`, grpcAddr, metricsAddr)
}

// nopConfig is (b): otlp → debug at verbosity basic, its log sampled down to
// nothing (no line in the first second, then 1 in 10,000,000): receive and
// decode only. The debug exporter has no sending queue unless one is
// configured, like llm_prometheus.
func nopConfig(grpcAddr string) string {
	return fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc: {endpoint: %q}
exporters:
  debug:
    verbosity: basic
    sampling_initial: 0
    sampling_thereafter: 10000000
service:
  telemetry:
    metrics: {level: none}
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
`, grpcAddr)
}

// stockPorts is merged over stock-recipe.yaml (a second --config): it moves
// both endpoints to free ports and changes nothing else.
func stockPorts(grpcAddr, metricsAddr string) string {
	return fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc: {endpoint: %q}
exporters:
  prometheus:
    endpoint: %q
`, grpcAddr, metricsAddr)
}

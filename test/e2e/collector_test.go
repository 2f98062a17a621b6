// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

// Package e2e tests the ocb-built collector (_build/otelcol-llm) end to end:
// OTLP in over gRPC and HTTP, llm_* metrics out on /metrics, the component's own
// telemetry on the collector's metrics endpoint, and a real Prometheus scraping
// it and answering the dashboard queries. Run it with `make e2e`.
package e2e

import (
	"context"
	"testing"
	"time"
)

// TestCollectorMetrics requires no llm_* series before any span, then sends
// the scenario over OTLP/gRPC, OTLP/HTTP protobuf and OTLP/HTTP JSON with
// every llm_* series asserted exactly after each send (sendScenarioChecked),
// then checks the created timestamps, native histograms and exemplars.
func TestCollectorMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	started := time.Now()
	c := startCollector(t)

	// Before any span: no llm_* series, and the own counters are absent or 0.
	if mfs := scrapeText(ctx, t, c.metricsURL()); len(mfs) > 0 {
		for name := range mfs {
			if len(name) > 4 && name[:4] == "llm_" && len(mfs[name].GetMetric()) > 0 {
				t.Errorf("before any span, %s already has series", name)
			}
		}
	}

	sends := sendScenarioChecked(ctx, t, c, "the collector", false)

	assertCreatedAndNative(t, scrapeProto(ctx, t, c.metricsURL()), started.Add(-time.Second))
	assertExemplars(ctx, t, c.metricsURL(), sends)
}

// sendScenarioChecked sends the scenario to c over OTLP/gRPC, then OTLP/HTTP
// protobuf, then OTLP/HTTP JSON, and after each send asserts every llm_*
// series and own counter of c exactly (values ×1, ×2, ×3); what names c in
// the log; dims: c runs a shipped configuration, with the dimensions
// [service, provider] (assertLLMMetricsDims). The pipeline has no batch
// processor, so the metrics must be there as soon as the export call returns:
// no polling. It returns the number of sends.
func sendScenarioChecked(ctx context.Context, t *testing.T, c *collector, what string, dims bool) int {
	t.Helper()
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	sends := []struct {
		name string
		send func(round int)
	}{
		{"OTLP/gRPC", func(r int) { sendGRPC(ctx, t, c.grpcPort, buildTraces(r, base)) }},
		{"OTLP/HTTP protobuf", func(r int) { sendHTTP(ctx, t, c.httpPort, buildTraces(r, base), false) }},
		{"OTLP/HTTP JSON", func(r int) { sendHTTP(ctx, t, c.httpPort, buildTraces(r, base), true) }},
	}
	for i, s := range sends {
		rounds := i + 1
		s.send(i)
		assertLLMMetricsDims(t, scrapeText(ctx, t, c.metricsURL()), rounds, dims)
		assertTelemetry(t, scrapeText(ctx, t, c.telemetryURL()), rounds)
		if t.Failed() {
			t.Fatalf("after the %s send (round %d): the series above do not match the scenario", s.name, rounds)
		}
		t.Logf("after the %s send: every llm_* series and own counter of %s matches ×%d", s.name, what, rounds)
	}
	return len(sends)
}

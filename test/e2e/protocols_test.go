// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// scrapeProtocols are Prometheus' three scrape protocols, one job each: the
// same collector is scraped in every format /metrics serves (promhttp
// negotiates it from the Accept header each job sends, and compresses with
// gzip, which Prometheus asks for by default).
var scrapeProtocols = []struct{ job, protocol string }{
	{"proto", "PrometheusProto"},
	{"openmetrics", "OpenMetricsText1.0.0"},
	{"text", "PrometheusText0.0.4"},
}

const protocolJobConfig = `
  - job_name: %s
    scrape_interval: 1s
    scrape_timeout: 1s
    scrape_protocols: [%s]
    scrape_native_histograms: true
    always_scrape_classic_histograms: true
    static_configs:
      - targets: ["127.0.0.1:%d"]
`

// TestPrometheusScrapeProtocols: a real Prometheus ingests /metrics in each of
// its three scrape protocols (protobuf with native histograms, OpenMetrics
// 1.0, text 0.0.4), gzip-compressed, and every job stores the scenario's
// totals exactly: requests, errors, tokens, classic histogram counts, and
// (protobuf) native histogram counts.
func TestPrometheusScrapeProtocols(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	c := startCollector(t)
	var config strings.Builder
	config.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:")
	for _, sp := range scrapeProtocols {
		fmt.Fprintf(&config, protocolJobConfig, sp.job, sp.protocol, c.metricsPort)
	}
	prom := startPrometheusWithConfig(t, config.String())

	sendGRPC(ctx, t, c.grpcPort, buildTraces(0, time.Now().Add(-10*time.Minute)))
	sentMs := time.Now().UnixMilli()

	pairs, reasons := expectations()
	var total, tokens, errorsTotal float64
	for _, e := range pairs {
		total += float64(e.success + e.errors)
		tokens += float64(e.prompt + e.compl)
	}
	for _, n := range reasons {
		errorsTotal += float64(n)
	}

	for _, sp := range scrapeProtocols {
		t.Run(sp.protocol, func(t *testing.T) {
			// The first successful scrape of this job that started after the
			// export call returned.
			var evalMs int64
			poll(t, 30*time.Second, 100*time.Millisecond, "a scrape by job "+sp.job+" after the send", func() (bool, error) {
				ts, err := prom.lastJobScrapeMs(ctx, sp.job)
				if ts > sentMs {
					evalMs = ts
					return true, nil
				}
				return false, err
			})
			sel := fmt.Sprintf(`{job=%q}`, sp.job)
			queries := []struct {
				q    string
				want float64
			}{
				{"sum(llm_requests_total" + sel + ")", total},
				{"count(llm_requests_total" + sel + ")", float64(2 * len(pairs))}, // both statuses of every pair
				{"sum(llm_errors_total" + sel + ")", errorsTotal},
				{"sum(llm_prompt_tokens_total" + sel + ") + sum(llm_completion_tokens_total" + sel + ")", tokens},
				{"sum(llm_request_duration_seconds_count" + sel + ")", total},
				{
					"count(llm_request_duration_seconds_bucket" + sel + `) / count(llm_request_duration_seconds_count` + sel + ")",
					float64(len(durationBuckets) + 1),
				},
			}
			if sp.protocol == "PrometheusProto" {
				// Only the protobuf format carries native histograms.
				queries = append(queries, struct {
					q    string
					want float64
				}{"histogram_count(sum(llm_request_duration_seconds" + sel + "))", total})
			}
			for _, q := range queries {
				res, err := prom.query(ctx, q.q, evalMs)
				if err != nil {
					t.Errorf("%s: %v", q.q, err)
					continue
				}
				if len(res) != 1 {
					t.Errorf("%s: %d results, want 1: %v", q.q, len(res), res)
					continue
				}
				_, v, err := pointMs(res[0].Value)
				if err != nil || v != q.want {
					t.Errorf("%s = %v (%v), want %v", q.q, v, err, q.want)
					continue
				}
				t.Logf("%s = %v", q.q, v)
			}
		})
	}
}

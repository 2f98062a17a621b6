// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// Prometheus (v0.316.0, built into ./bin by `make tools`) scrapes a fresh
// collector every second; the scenario is sent once, and the dashboard queries
// must return exactly what the scenario implies.
//
// Why the answers are exact. A counter series (and every classic bucket series)
// first appears in a scrape with its final value N. Without help, rate() would
// see one sample, or a first sample already at N, and report ~0. Two settings
// fix that:
//   - --enable-feature=created-timestamp-zero-ingestion: on each scrape,
//     Prometheus appends a sample of value 0 at the series' created (start)
//     timestamp, which client_golang exposes for counters and histograms;
//   - the PrometheusProto scrape protocol (first in scrape_protocols; the
//     feature flag also makes it the default), the exposition format that
//     carries created timestamps.
//
// The collector process is fresh, so the series are created (timestamp C) while
// the scenario is processed, between two scrapes. The first scrape after the
// send (timestamp T0) ingests (C, 0) and (T0, N); later scrapes add (Ti, N).
// We evaluate at time T = T0 with a window W = 1m. The window (T-W, T] then holds
// (C, 0) and (T0, N) (T - C is about half a scrape interval, far below W), so in
// Prometheus' extrapolatedRate:
//   - increase = N - 0 = N (no counter reset);
//   - durationToEnd = T - T0 = 0: no extrapolation to the right;
//   - durationToStart is clamped to the counter's zero point, which is the first
//     sample itself (its value is 0): no extrapolation to the left;
//
// so increase(x[1m]) = N and rate(x[1m]) = N/60 exactly (up to float rounding),
// and histogram_quantile over the rates is the quantile of the raw bucket counts
// (the common 1/60 factor cancels), i.e. Prometheus' linear interpolation within
// the bucket holding the rank.
//
// Two timing details keep this deterministic:
//   - the send is placed half a scrape interval away from the scrapes, so no
//     scrape is in flight while series are created (a scrape that started before
//     C but gathered after it would record N at a timestamp before C, and the
//     zero sample would be refused as out of order);
//   - --no-scrape.adjust-timestamps keeps scrape timestamps equal to the real
//     scrape start (by default Prometheus may move them up to 2 ms earlier to
//     align them with the schedule).
//
// The test verifies those preconditions on the stored samples before querying.

// Classic buckets: with native histograms exposed too, Prometheus ingests ONLY
// the native histogram when scrape_native_histograms is true, unless
// always_scrape_classic_histograms is true (the 2.x name of that setting was
// scrape_classic_histograms). The default of scrape_native_histograms is false
// in v0.316.0, so classic buckets would be ingested anyway; we enable both so
// that both forms are stored and queried.
const prometheusConfig = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: otelcol-llm
    scrape_interval: 1s
    scrape_timeout: 1s
    scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0, PrometheusText0.0.4]
    scrape_native_histograms: true
    always_scrape_classic_histograms: true
    static_configs:
      - targets: ["127.0.0.1:%d"]
`

const (
	promJob   = "otelcol-llm"
	promRange = "1m" // W, see above
	promW     = 60.0 // W in seconds
)

type promServer struct {
	proc *testproc.Process
	port int
}

func startPrometheus(t *testing.T, targetPort int) *promServer {
	t.Helper()
	return startPrometheusWithConfig(t, fmt.Sprintf(prometheusConfig, targetPort))
}

// startPrometheusWithConfig starts Prometheus with the given configuration text.
func startPrometheusWithConfig(t *testing.T, config string) *promServer {
	t.Helper()
	p := launchPrometheus(t, "prometheus", testproc.FreePorts(t, 1)[0], config)
	p.waitReady(t)
	return p
}

// launchPrometheus starts Prometheus named name on port with the given
// configuration text and more flags (extra), without waiting for it (waitReady).
func launchPrometheus(t *testing.T, name string, port int, config string, extra ...string) *promServer {
	t.Helper()
	bin := testproc.Prebuilt(t, "PROMETHEUS_BINARY", "bin/prometheus", "tools")
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &promServer{port: port}
	args := append([]string{
		"--config.file=" + cfgPath,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", p.port),
		"--enable-feature=created-timestamp-zero-ingestion",
		"--no-scrape.adjust-timestamps",
		"--log.level=info",
	}, extra...)
	p.proc = testproc.Start(t, name, bin, args...)
	return p
}

// waitReady waits until Prometheus answers on /-/ready.
func (p *promServer) waitReady(t *testing.T) {
	t.Helper()
	p.proc.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", p.port), 60*time.Second)
}

// promSample is one element of a query result.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`  // vector: [ts, "v"]
	Values [][2]any          `json:"values"` // matrix: [[ts, "v"], ...]
}

type promResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Warnings  []string
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// query runs an instant query at evalMs (milliseconds since the epoch): the
// samples of a vector or matrix result, or the one value of a scalar result.
func (p *promServer) query(ctx context.Context, q string, evalMs int64) ([]promSample, error) {
	u := fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s&time=%s",
		p.port, url.QueryEscape(q), msToAPITime(evalMs))
	body, _, err := get(ctx, u, "application/json")
	if err != nil {
		return nil, err
	}
	var resp promResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", q, err, body)
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("%s: %s: %s", q, resp.ErrorType, resp.Error)
	}
	var out []promSample
	switch resp.Data.ResultType {
	case "vector", "matrix":
		if err := json.Unmarshal(resp.Data.Result, &out); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(resp.Data.Result, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		out = []promSample{{Value: v}}
	}
	return out, nil
}

func msToAPITime(ms int64) string { return fmt.Sprintf("%d.%03d", ms/1000, ms%1000) }

// pointMs parses a [ts, "value"] pair into (milliseconds, value).
// assertZeroThenScrape checks that every series of each selector holds, over
// the window rng ending at evalMs, its created-timestamp zero sample first
// and its last sample at evalMs: rates over it are then exact.
func assertZeroThenScrape(ctx context.Context, t *testing.T, prom *promServer, rng string, evalMs int64, selectors ...string) {
	t.Helper()
	for _, sel := range selectors {
		res, err := prom.query(ctx, sel+"["+rng+"]", evalMs)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 0 {
			t.Fatalf("%s: no series stored", sel)
		}
		for _, s := range res {
			if len(s.Values) < 2 {
				t.Errorf("%s%v: %d samples, want the created-timestamp zero sample and the scrapes: %v", sel, s.Metric, len(s.Values), s.Values)
				continue
			}
			_, first, _ := pointMs(s.Values[0])
			lastTS, _, _ := pointMs(s.Values[len(s.Values)-1])
			if first != 0 || lastTS != evalMs {
				t.Errorf("%s%v: first sample %v (want 0, the created-timestamp sample), last at %d (want %d): %v",
					sel, s.Metric, first, lastTS, evalMs, s.Values)
			}
		}
	}
}

func pointMs(p [2]any) (int64, float64, error) {
	ts, ok := p[0].(float64)
	if !ok {
		return 0, 0, fmt.Errorf("bad timestamp %v", p[0])
	}
	s, ok := p[1].(string)
	if !ok {
		return 0, 0, fmt.Errorf("bad value %v", p[1])
	}
	v, err := strconv.ParseFloat(s, 64)
	return int64(math.Round(ts * 1000)), v, err
}

// lastScrapeMs returns the timestamp of the latest stored scrape of the collector
// (the `up` sample of promJob), or 0 if there is none yet; a failed scrape is an error.
func (p *promServer) lastScrapeMs(ctx context.Context) (int64, error) {
	return p.lastJobScrapeMs(ctx, promJob)
}

// lastJobScrapeMs returns the timestamp of the latest successful scrape of job
// (its `up` sample), 0 if there is none yet; a failed scrape is an error.
func (p *promServer) lastJobScrapeMs(ctx context.Context, job string) (int64, error) {
	res, err := p.query(ctx, fmt.Sprintf(`up{job=%q}[5s]`, job), time.Now().UnixMilli())
	if err != nil || len(res) == 0 || len(res[0].Values) == 0 {
		return 0, err
	}
	ts, v, err := pointMs(res[0].Values[len(res[0].Values)-1])
	if err != nil {
		return 0, err
	}
	if v != 1 {
		return 0, fmt.Errorf("job %s: last scrape failed (up=%v at %d)", job, v, ts)
	}
	return ts, nil
}

// poll calls f every interval until it returns true or the timeout passes.
func poll(t *testing.T, timeout, interval time.Duration, what string, f func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := f()
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not done after %s (last error: %v)", what, timeout, last)
		}
		time.Sleep(interval) // polling interval, bounded by the deadline above
	}
}

func TestPrometheusQueries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	c := startCollector(t)
	prom := startPrometheus(t, c.metricsPort)

	// Wait for a successful scrape of the (still empty) collector, and learn the
	// scrape phase from its timestamp.
	var last int64
	poll(t, 30*time.Second, 100*time.Millisecond, "first successful scrape of the collector", func() (bool, error) {
		var err error
		last, err = prom.lastScrapeMs(ctx)
		return last > 0, err
	})

	// Send half an interval after a scrape (see the package comment above).
	sendAt := time.UnixMilli(last + 500)
	for time.Until(sendAt) < 50*time.Millisecond {
		sendAt = sendAt.Add(time.Second)
	}
	time.Sleep(time.Until(sendAt)) // aligns the send with the scrape schedule; not a synchronization
	sendGRPC(ctx, t, c.grpcPort, buildTraces(0, time.Now().Add(-10*time.Minute)))
	sentMs := time.Now().UnixMilli()

	// T: the first scrape that started after the export call returned.
	var evalMs int64
	poll(t, 30*time.Second, 100*time.Millisecond, "a scrape after the send", func() (bool, error) {
		ts, err := prom.lastScrapeMs(ctx)
		if ts > sentMs {
			evalMs = ts
			return true, nil
		}
		return false, err
	})
	t.Logf("scenario sent at %d ms; evaluating at the scrape of %d ms", sentMs, evalMs)

	// Preconditions of the exact math: every llm_* counter and bucket series holds
	// a zero sample (at its created timestamp) before its first sample with data,
	// and its last sample is at T.
	assertZeroThenScrape(ctx, t, prom, promRange, evalMs,
		"llm_requests_total", "llm_prompt_tokens_total", "llm_completion_tokens_total",
		"llm_errors_total", "llm_request_duration_seconds_bucket", "llm_time_to_first_token_seconds_bucket")
	if t.Failed() {
		t.Fatal("the stored samples do not allow exact rates; is created-timestamp-zero-ingestion on and the scrape protocol PrometheusProto?")
	}

	pairs, reasons := expectations()
	perModel := func(f func(*expectedPair) float64) map[string]float64 {
		out := map[string]float64{}
		for k, e := range pairs {
			out[k.model] += f(e)
		}
		return out
	}
	requests := perModel(func(e *expectedPair) float64 { return float64(e.success + e.errors) })
	var total, failed, tokens float64
	for _, e := range pairs {
		total += float64(e.success + e.errors)
		failed += float64(e.errors)
		tokens += float64(e.prompt + e.compl)
	}
	var errorsTotal float64
	for _, n := range reasons {
		errorsTotal += float64(n)
	}
	durationsByModel := map[string][]float64{}
	ttftByModel := map[string][]float64{}
	for k, e := range pairs {
		durationsByModel[k.model] = append(durationsByModel[k.model], e.durations...)
		ttftByModel[k.model] = append(ttftByModel[k.model], e.ttfts...)
	}
	p95Latency := map[string]float64{}
	for m, d := range durationsByModel {
		p95Latency[m] = bucketQuantile(0.95, durationBuckets, cumulative(durationBuckets, d))
	}
	p95TTFT := map[string]float64{}
	for m, d := range ttftByModel {
		if len(d) > 0 {
			p95TTFT[m] = bucketQuantile(0.95, ttftBuckets, cumulative(ttftBuckets, d))
		}
	}
	requestRate := map[string]float64{}
	for m, n := range requests {
		requestRate[m] = n / promW
	}

	queries := []struct {
		name string
		q    string
		by   string // label of the result series ("" = a single series)
		want map[string]float64
		tol  float64 // relative tolerance: float rounding for rates, 1e-6 for quantiles
	}{
		{"request rate by model", `sum by (model) (rate(llm_requests_total[1m]))`, "model", requestRate, exact},
		{
			"error rate %", `100 * sum(rate(llm_requests_total{status="error"}[1m])) / sum(rate(llm_requests_total[1m]))`, "",
			map[string]float64{"": 100 * failed / total},
			exact,
		},
		{
			"errors by reason agree with error requests", `sum(increase(llm_errors_total[1m]))`, "",
			map[string]float64{"": errorsTotal},
			exact,
		},
		{"p95 end-to-end latency by model", `histogram_quantile(0.95, sum by (le, model) (rate(llm_request_duration_seconds_bucket[1m])))`, "model", p95Latency, 1e-6},
		{"p95 TTFT by model", `histogram_quantile(0.95, sum by (le, model) (rate(llm_time_to_first_token_seconds_bucket[1m])))`, "model", p95TTFT, 1e-6},
		{
			"token throughput per minute (rate)", `60 * (sum(rate(llm_prompt_tokens_total[1m])) + sum(rate(llm_completion_tokens_total[1m])))`, "",
			map[string]float64{"": tokens},
			exact,
		},
		{
			"token throughput per minute (increase)", `sum(increase(llm_prompt_tokens_total[1m])) + sum(increase(llm_completion_tokens_total[1m]))`, "",
			map[string]float64{"": tokens},
			exact,
		},
		{"native histograms: request rate by model", `histogram_count(sum by (model) (rate(llm_request_duration_seconds[1m])))`, "model", requestRate, exact},
	}
	for _, q := range queries {
		res, err := prom.query(ctx, q.q, evalMs)
		if err != nil {
			t.Errorf("%s: %v", q.name, err)
			continue
		}
		got := map[string]float64{}
		for _, s := range res {
			_, v, err := pointMs(s.Value)
			if err != nil {
				t.Errorf("%s: %v", q.name, err)
			}
			got[s.Metric[q.by]] = v
		}
		if !approxEqual(got, q.want, q.tol) {
			t.Errorf("%s:\n  %s\n  got  %v\n  want %v", q.name, q.q, fmtMap(got), fmtMap(q.want))
			continue
		}
		t.Logf("%s = %v", q.name, fmtMap(got))
	}
}

// bucketQuantile is Prometheus' classic-histogram quantile (linear interpolation
// within the bucket that holds the rank; the lowest bucket starts at 0). counts
// are cumulative, +Inf last.
func bucketQuantile(q float64, bounds []float64, counts []uint64) float64 {
	total := float64(counts[len(counts)-1])
	rank := q * total
	for i, b := range bounds {
		if float64(counts[i]) >= rank {
			start, below := 0.0, 0.0
			if i > 0 {
				start, below = bounds[i-1], float64(counts[i-1])
			}
			return start + (b-start)*(rank-below)/(float64(counts[i])-below)
		}
	}
	return bounds[len(bounds)-1] // rank in the +Inf bucket
}

// exact is the tolerance of values that are exact but for float rounding.
const exact = 1e-12

func approxEqual(got, want map[string]float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			return false
		}
	}
	return true
}

func fmtMap(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%.9g", k, m[k])
	}
	return "{" + b.String() + "}"
}

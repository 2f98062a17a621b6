// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/goleak"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
)

// helperExporter builds the component exactly as createTraces does, keeping
// the *llmExporter so a test can read its registry after Shutdown.
func helperExporter(t *testing.T, cfg *Config, set exporter.Settings) (*llmExporter, exporter.Traces) {
	t.Helper()
	e := newTestExporter(t, cfg, set)
	exp, err := exporterhelper.NewTraces(context.Background(), set, cfg, e.consumeTraces,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	)
	require.NoError(t, err)
	return e, exp
}

// workerBatch is batch i of worker w: 5 models × 2 templates, one span each,
// tokens 1..10; every 5th span fails, every 3rd is streamed with a TTFT.
func workerBatch(tb testing.TB, w, i int) ptrace.Traces {
	tb.Helper()
	specs := make([]spanSpec, 0, 10)
	for k := range 10 {
		attrs := map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "acme",
			"gen_ai.request.model": fmt.Sprintf("m%d", k%5), "llm.template": fmt.Sprintf("t%d", k%2),
			"gen_ai.usage.input_tokens": k + 1, "gen_ai.usage.output_tokens": 2 * (k + 1),
		}
		if k%3 == 0 {
			attrs["gen_ai.request.stream"] = true
			attrs["gen_ai.response.time_to_first_chunk"] = 0.1
		}
		s := spanSpec{attrs: attrs, dur: time.Second, traceID: byte(w*31 + i)}
		if k%5 == 4 {
			s.status = ptrace.StatusCodeError
			s.msg = "Error code: 429"
		}
		specs = append(specs, s)
	}
	return buildTraces(tb, specs...)
}

// Totals of one workerBatch.
const (
	batchSpans      = 10
	batchPrompt     = 55  // 1+…+10
	batchCompletion = 110 // 2×55
	batchErrors     = 2
	batchStreamed   = 4 // k = 0, 3, 6, 9
)

func sumFamily(mfs []*dto.MetricFamily, name string, match map[string]string) float64 {
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for k, v := range match {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || (lp.GetName() == k && lp.GetValue() == v)
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				total += m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				total += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return total
}

// TestConcurrentConsumeExactTotals runs ConsumeTraces from many goroutines on
// one component (series creation, the model cap and exemplars race) and checks
// every total exactly. Run with -race.
func TestConcurrentConsumeExactTotals(t *testing.T) {
	const workers, batches = 8, 100
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := createDefaultConfig().(*Config)
	cfg.Labels.Model.MaxValues = 3 // 3 of the 5 models are admitted, whichever come first
	cfg.NetAddr.Endpoint = freeAddr(t)
	e, exp := helperExporter(t, cfg, set)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range batches {
				if err := exp.ConsumeTraces(context.Background(), workerBatch(t, w, i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	const n = workers * batches
	mfs, err := e.registry.Gather()
	require.NoError(t, err)
	assert.InDelta(t, n*batchSpans, sumFamily(mfs, "llm_requests_total", nil), 0)
	assert.InDelta(t, n*batchErrors, sumFamily(mfs, "llm_requests_total", map[string]string{"status": "error"}), 0)
	assert.InDelta(t, n*batchErrors, sumFamily(mfs, "llm_errors_total", map[string]string{"reason": "rate_limit"}), 0)
	assert.InDelta(t, n*batchPrompt, sumFamily(mfs, "llm_prompt_tokens_total", nil), 0)
	assert.InDelta(t, n*batchCompletion, sumFamily(mfs, "llm_completion_tokens_total", nil), 0)
	assert.InDelta(t, n*batchSpans, sumFamily(mfs, "llm_request_duration_seconds", nil), 0)
	assert.InDelta(t, n*batchStreamed, sumFamily(mfs, "llm_time_to_first_token_seconds", nil), 0)
	assert.InDelta(t, n*batchSpans, sumFamily(mfs, "llm_unpriced_requests_total", nil), 0)
	// Each model has 2 spans per batch: 3 admitted models with 2n each, the
	// other two folded into "other" (4n).
	admitted := 0
	for _, m := range []string{"m0", "m1", "m2", "m3", "m4"} {
		if v := sumFamily(mfs, "llm_requests_total", map[string]string{"model": m}); v != 0 {
			assert.InDelta(t, 2*n, v, 0, m)
			admitted++
		}
	}
	assert.Equal(t, 3, admitted)
	assert.InDelta(t, 4*n, sumFamily(mfs, "llm_requests_total", map[string]string{"model": "other"}), 0)
	for _, tmpl := range []string{"t0", "t1"} {
		assert.InDelta(t, 5*n, sumFamily(mfs, "llm_requests_total", map[string]string{"template": tmpl}), 0, tmpl)
	}

	assertSum(t, tel, "otelcol_exporter_llm_prometheus_spans_received", nil, n*batchSpans)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_calls", nil, n*batchSpans)
	assertSum(t, tel, "otelcol_exporter_llm_prometheus_label_overflow", map[string]string{"label": "model"}, 4*n)
	require.NoError(t, exp.Shutdown(context.Background()))
}

// scrapeFamilies scrapes url in one of the three exposition formats and
// parses it; any transport or parse error fails the caller.
func scrapeFamilies(ctx context.Context, client *http.Client, url string, format int) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return nil, err
	}
	switch format {
	case 0:
		req.Header.Set("Accept", "text/plain;version=0.0.4")
	case 1:
		req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	default:
		req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	switch format {
	case 0:
		p := expfmt.NewTextParser(model.UTF8Validation)
		return p.TextToMetricFamilies(resp.Body)
	case 1:
		// No OpenMetrics parser in client_golang: check the framing.
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if len(b) < 6 || string(b[len(b)-6:]) != "# EOF\n" {
			return nil, fmt.Errorf("OpenMetrics exposition without # EOF: %q", b[max(0, len(b)-40):])
		}
		return nil, nil
	default:
		out := map[string]*dto.MetricFamily{}
		dec := expfmt.NewDecoder(resp.Body, expfmt.NewFormat(expfmt.TypeProtoDelim))
		for {
			mf := &dto.MetricFamily{}
			if err := dec.Decode(mf); err != nil {
				if errors.Is(err, io.EOF) {
					return out, nil
				}
				return nil, err
			}
			out[mf.GetName()] = mf
		}
	}
}

func familiesSum(fams map[string]*dto.MetricFamily, name string) float64 {
	mf := fams[name]
	if mf == nil {
		return 0
	}
	return sumFamily([]*dto.MetricFamily{mf}, name, nil)
}

// TestScrapeDuringExports scrapes /metrics in the three formats while
// workers export: every scrape succeeds and parses, llm_requests_total never
// goes down between two scrapes of one scraper, and the last scrape has the
// exact total.
func TestScrapeDuringExports(t *testing.T) {
	const workers, batches, scrapers = 4, 60, 3
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = freeAddr(t)
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	url := "http://" + cfg.NetAddr.Endpoint + "/metrics"

	var exporting atomic.Int32
	exporting.Store(workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			defer exporting.Add(-1)
			for i := range batches {
				assert.NoError(t, exp.ConsumeTraces(context.Background(), workerBatch(t, w, i)))
			}
		})
	}
	scrapes := make([]int, scrapers)
	for s := range scrapers {
		wg.Go(func() {
			last := 0.0
			// At least 3 scrapes each, and on until the exports are done (bounded).
			for i := 0; i < 10_000 && (i < 3 || exporting.Load() > 0); i++ {
				fams, err := scrapeFamilies(context.Background(), client, url, (s+i)%3)
				// assert, not require: this runs in a wg.Go goroutine, and
				// require's FailNow must only run on the test's goroutine.
				if !assert.NoError(t, err, "scrape %d of scraper %d", i, s) { //nolint:testifylint // not the test goroutine
					return
				}
				scrapes[s]++
				if fams == nil {
					continue // OpenMetrics: framing checked only
				}
				total := familiesSum(fams, "llm_requests_total")
				assert.GreaterOrEqual(t, total, last, "llm_requests_total went down")
				last = total
			}
		})
	}
	wg.Wait()
	for s, n := range scrapes {
		assert.GreaterOrEqual(t, n, 3, "scraper %d", s)
	}
	for _, format := range []int{0, 2} {
		fams, err := scrapeFamilies(context.Background(), client, url, format)
		require.NoError(t, err)
		assert.InDelta(t, workers*batches*batchSpans, familiesSum(fams, "llm_requests_total"), 0)
		assert.InDelta(t, workers*batches*batchPrompt, familiesSum(fams, "llm_prompt_tokens_total"), 0)
	}
	client.CloseIdleConnections()
	require.NoError(t, exp.Shutdown(context.Background()))
}

// TestShutdownWhileExporting shuts the component down while goroutines are
// exporting: every span of a ConsumeTraces that returned nil is in the final
// registry, Shutdown returns, the port is free again and no goroutine (the
// /metrics server, the price file watcher, connections) is left behind.
func TestShutdownWhileExporting(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	const workers, maxBatches = 4, 400
	dir := t.TempDir()
	prices := filepath.Join(dir, "prices.yaml")
	require.NoError(t, os.WriteFile(prices, []byte("models:\n  - model: m0\n    input: 1\n    output: 2\n"), 0o600))
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = freeAddr(t)
	cfg.Pricing.File = prices
	cfg.Pricing.ReloadInterval = time.Millisecond // the watcher goroutine is busy at shutdown
	e, exp := helperExporter(t, cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	_, err := scrapeFamilies(context.Background(), client, "http://"+cfg.NetAddr.Endpoint+"/metrics", 0)
	require.NoError(t, err)

	var acked, failed, ackedAfter atomic.Int64
	var shutdownStarted, shutdownDone atomic.Bool
	progress := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range maxBatches {
				if i == 20 {
					progress <- struct{}{} // this worker is well under way
				}
				if exp.ConsumeTraces(context.Background(), workerBatch(t, w, i)) != nil {
					failed.Add(1)
					continue
				}
				acked.Add(batchSpans)
				if shutdownDone.Load() {
					ackedAfter.Add(batchSpans)
				}
				// A few batches after shutdown began are enough.
				if shutdownStarted.Load() && i%10 == 9 {
					return
				}
			}
		})
	}
	for range workers {
		<-progress
	}
	shutdownStarted.Store(true)
	client.CloseIdleConnections()
	require.NoError(t, exp.Shutdown(context.Background()))
	shutdownDone.Store(true)
	wg.Wait()

	mfs, err := e.registry.Gather()
	require.NoError(t, err)
	got := sumFamily(mfs, "llm_requests_total", nil)
	assert.GreaterOrEqual(t, got, float64(acked.Load()), "an acknowledged span is missing")
	assert.InDelta(t, float64(acked.Load()+failed.Load()*batchSpans), got, 0, "failed batches: %d", failed.Load())
	// Without a queue, exporterhelper still calls consumeTraces after
	// Shutdown: those spans are recorded but no longer served.
	t.Logf("acknowledged %d spans (%d after Shutdown returned), %d batches failed, registry total %v",
		acked.Load(), ackedAfter.Load(), failed.Load(), got)

	ln, err := net.Listen("tcp", cfg.NetAddr.Endpoint)
	require.NoError(t, err, "the port is free after Shutdown")
	require.NoError(t, ln.Close())
	goleak.VerifyNone(t, leaks)
}

// TestLifecycleTwice starts and shuts down two components in a row on the same
// port (a collector reload), shuts one down twice, and starts one twice.
func TestLifecycleTwice(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = freeAddr(t)
	url := "http://" + cfg.NetAddr.Endpoint + "/metrics"
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	for round := range 2 {
		exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
		require.NoError(t, err)
		require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()), "round %d", round)
		if round == 1 {
			// A second Start of the same component (its traces and logs
			// sides share one exporter, started once) is a no-op and leaves
			// the server running.
			require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
		}
		require.NoError(t, exp.ConsumeTraces(context.Background(), workerBatch(t, 0, round)))
		fams, err := scrapeFamilies(context.Background(), client, url, 0)
		require.NoError(t, err)
		// A new component starts from zero.
		assert.InDelta(t, batchSpans, familiesSum(fams, "llm_requests_total"), 0, "round %d", round)
		client.CloseIdleConnections()
		require.NoError(t, exp.Shutdown(context.Background()))
		require.NoError(t, exp.Shutdown(context.Background()), "a second Shutdown is a no-op")
	}
	goleak.VerifyNone(t, leaks)
}

// TestShutdownCancelledContext shuts down with an already cancelled context:
// Shutdown returns (nil, or the context's error), a second Shutdown is a
// no-op, and no goroutine is left behind (goleak waits for the /metrics
// server's goroutine, which may end just after Shutdown returns: see
// TestShutdownCancelledContextReleasesPort).
func TestShutdownCancelledContext(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	for round := range 5 { // the result may differ between runs: repeat
		cfg := createDefaultConfig().(*Config)
		cfg.NetAddr.Endpoint = freeAddr(t)
		exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
		require.NoError(t, err)
		require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
		require.NoError(t, exp.ConsumeTraces(context.Background(), workerBatch(t, 0, round)))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := exp.Shutdown(ctx); err != nil {
			assert.ErrorIs(t, err, context.Canceled)
		}
		require.NoError(t, exp.Shutdown(context.Background()))
	}
	goleak.VerifyNone(t, leaks)
}

// TestShutdownCancelledContextReleasesPort: once Shutdown returns, even with
// an expired context, the port must be free (a collector reload binds it
// again at once).
func TestShutdownCancelledContextReleasesPort(t *testing.T) {
	for range 20 {
		cfg := createDefaultConfig().(*Config)
		cfg.NetAddr.Endpoint = freeAddr(t)
		exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
		require.NoError(t, err)
		require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = exp.Shutdown(ctx)
		ln, err := net.Listen("tcp", cfg.NetAddr.Endpoint)
		require.NoError(t, err, "the port is free after Shutdown")
		require.NoError(t, ln.Close())
	}
}

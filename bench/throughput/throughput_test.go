// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package throughput

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-llm/otelcol-llm/bench/loadgen"
	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"
)

func TestContent(t *testing.T) {
	_, td, err := loadgen.Batch(1000)
	if err != nil {
		t.Fatal(err)
	}
	c := contentOf(td)
	if c.Spans != 1000 || c.Calls != 1000 {
		t.Fatalf("spangen batch: %d spans, %d LLM calls; want 1000 and 1000 (the stock recipe counts every span)", c.Spans, c.Calls)
	}
	// What llm_prometheus counts and what the stock recipe reads agree on
	// spangen's tokens; a few spangen TTFTs are longer than their call, which
	// the extractor rejects (invalid_values{cause="ttft"}) and the stock recipe keeps.
	if c.PromptTokens != c.AttrPromptTokens || c.CompletionTokens != c.AttrCompletionTokens || c.CallsWithTTFT > c.AttrTTFT {
		t.Fatalf("extractor and raw attributes disagree: %+v", c)
	}
	if c.AttrTTFT != 300 || c.CallsWithTTFT < 250 || c.CallsWithDur != 1000 || c.PromptTokens == 0 || c.CompletionTokens == 0 {
		t.Fatalf("unexpected batch content %+v", c)
	}
}

// The generated configuration of (a) is a valid llm_prometheus configuration.
func TestLLMConfig(t *testing.T) {
	retrieved, err := confmap.NewRetrievedFromYAML([]byte(llmConfig("127.0.0.1:1", "127.0.0.1:2")))
	if err != nil {
		t.Fatal(err)
	}
	conf, err := retrieved.AsConf()
	if err != nil {
		t.Fatal(err)
	}
	sub, err := conf.Sub("exporters::llm_prometheus")
	if err != nil {
		t.Fatal(err)
	}
	cfg := llmprometheusexporter.NewFactory().CreateDefaultConfig().(*llmprometheusexporter.Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.NetAddr.Endpoint != "127.0.0.1:2" {
		t.Fatalf("endpoint %q", cfg.NetAddr.Endpoint)
	}
}

// The collector binaries, when built, accept the configurations the tool writes.
func TestConfigsValidate(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ bin, cfg string }{
		{"../../_build/otelcol-llm", llmConfig("127.0.0.1:1", "127.0.0.1:2")},
		{"../../_build/otelcol-llm", nopConfig("127.0.0.1:1")},
		{"../_build/otelcol-stock", ""},
	} {
		if _, err := os.Stat(c.bin); err != nil {
			t.Logf("%s not built: skipped", c.bin)
			continue
		}
		args := []string{"validate", "--config", "file:../stock-recipe.yaml"}
		if c.cfg != "" {
			path := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(path, []byte(c.cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			args = []string{"validate", "--config", "file:" + path}
		} else {
			path := filepath.Join(dir, "ports.yaml")
			if err := os.WriteFile(path, []byte(stockPorts("127.0.0.1:1", "127.0.0.1:2")), 0o600); err != nil {
				t.Fatal(err)
			}
			args = append(args, "--config", "file:"+path)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, c.bin, args...).CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("%s %v: %v\n%s", c.bin, args, err, out)
		}
	}
}

func TestSummarize(t *testing.T) {
	res := &Result{}
	for round, v := range [][3]float64{{90, 100, 40}, {80, 100, 50}, {95, 100, 30}} {
		for i, side := range []string{sideLLM, sideNop, sideStock} {
			res.Runs = append(res.Runs, Run{
				Side: side, Round: round + 1, SpansPerSec: v[i], SpansPerCPUSecond: v[i], PeakRSSMB: v[i],
				Load: &loadgen.Result{}, Check: &Check{Match: side != sideStock || round != 1},
			})
		}
	}
	summarize(res)
	a, c := res.SummaryOf(sideLLM), res.SummaryOf(sideStock)
	if a.SpansPerSec != 90 || a.PeakRSSMB != 95 || c.ChecksMatched != 2 || c.Checks != 3 {
		t.Fatalf("summary (a) %+v, (c) %+v", a, c)
	}
	if r := res.LLMOverNop; r.Median != 0.9 || r.Min != 0.8 || r.Max != 0.95 || !r.Met {
		t.Fatalf("a/b %+v", r)
	}
	if r := res.LLMOverStock; r.Median != 2.25 || !r.Met || r.Min != 1.6 {
		t.Fatalf("a/c %+v", r)
	}
}

func TestSlope(t *testing.T) {
	x := []float64{0, 1, 2, 3}
	if s := slope(x, []float64{10, 12, 14, 16}); math.Abs(s-2) > 1e-12 {
		t.Fatalf("slope %v, want 2", s)
	}
	if s := slope([]float64{1}, []float64{1}); s != 0 {
		t.Fatalf("one point: slope %v", s)
	}
}

func TestCheck(t *testing.T) {
	c := Content{Spans: 10, Calls: 10, CallsWithTTFT: 3, CallsWithDur: 10, PromptTokens: 100, CompletionTokens: 50}
	body := func(requests float64) string {
		return fmt.Sprintf(`# TYPE llm_requests_total counter
llm_requests_total{model="m",template="t",status="success"} %v
llm_requests_total{model="m",template="t",status="error"} 2
# TYPE llm_prompt_tokens_total counter
llm_prompt_tokens_total{model="m",template="t"} 200
# TYPE llm_completion_tokens_total counter
llm_completion_tokens_total{model="m",template="t"} 100
# TYPE llm_request_duration_seconds histogram
llm_request_duration_seconds_bucket{model="m",template="t",le="+Inf"} 20
llm_request_duration_seconds_sum{model="m",template="t"} 30
llm_request_duration_seconds_count{model="m",template="t"} 20
# TYPE llm_time_to_first_token_seconds histogram
llm_time_to_first_token_seconds_bucket{model="m",template="t",le="+Inf"} 6
llm_time_to_first_token_seconds_sum{model="m",template="t"} 3
llm_time_to_first_token_seconds_count{model="m",template="t"} 6
`, requests)
	}
	requests := 18.0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, body(requests))
	}))
	defer srv.Close()
	ctx := context.Background()
	ch, err := check(ctx, srv.URL+"/metrics", sideLLM, c, 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Match || ch.Series != 6 || ch.ScrapeBytes == 0 {
		t.Fatalf("2 batches: %+v", ch)
	}
	requests = 17
	ch, err = check(ctx, srv.URL+"/metrics", sideLLM, c, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := checkProblems(ch, 0)
	if ch.Match || len(p) != 1 || !strings.Contains(p[0], "llm_requests_total = 19, want 20") {
		t.Fatalf("one request short: match %v, problems %q", ch.Match, p)
	}
}

func TestCollectorStop(t *testing.T) {
	c, err := startCollector("sh", "/bin/sh", []string{"-c", "echo started; exec sleep 30"}, nil, filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.tail(5), "started") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	t0 := time.Now()
	if err := c.stop(); err == nil || !c.exited() {
		t.Fatalf("stop: err %v, exited %v; want the SIGTERM exit status", err, c.exited())
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("stop took %v", d)
	}
	if !strings.Contains(c.tail(5), "started") {
		t.Fatalf("log %q", c.tail(5))
	}
}

// TestCompareShort runs the three collectors briefly (about a minute, most of
// it the stock recipe's flushes): THROUGHPUT_TEST=1 and the binaries built.
func TestCompareShort(t *testing.T) {
	if os.Getenv("THROUGHPUT_TEST") == "" {
		t.Skip("THROUGHPUT_TEST=1 runs the collectors (make build, make bench-stock first)")
	}
	res, err := Compare(context.Background(), Options{
		LLMBinary: "../../_build/otelcol-llm", StockBinary: "../_build/otelcol-stock", StockConfig: "../stock-recipe.yaml",
		WorkDir: t.TempDir(), Load: loadgen.Options{BatchSize: 1000, Workers: 1, Warmup: time.Second, Duration: 2 * time.Second},
		Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 3 || res.LLMOverNop == nil || res.LLMOverStock == nil {
		t.Fatalf("runs %d, ratios %v %v", len(res.Runs), res.LLMOverNop, res.LLMOverStock)
	}
	for _, r := range res.Runs {
		if r.SpansPerSec <= 0 || r.CPUPerMSpans <= 0 || r.PeakRSSMB <= 0 {
			t.Errorf("%s: %+v", r.Side, r)
		}
		// One sender: no out-of-order deltas, so the stock recipe must be exact too.
		if r.Check != nil && !r.Check.Match {
			t.Errorf("%s: /metrics %+v", r.Side, r.Check.Items)
		}
	}
}

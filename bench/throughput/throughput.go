// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package throughput measures whole collectors as subprocesses fed over
// OTLP/gRPC by package loadgen (issue 5, item 2): (a) otelcol-llm with otlp →
// llm_prometheus, (b) the same binary with otlp → debug (basic, sampled down
// to nothing: the receive + decode ceiling) and (c) the stock-recipe collector
// (bench/builder-config.yaml, bench/stock-recipe.yaml). For each it reports
// accepted spans/s, the collector's CPU seconds per 1M spans (utime+stime
// from /proc/<pid>/stat over the measured window), its peak RSS (VmHWM) and
// the load generator's own CPU, and checks the totals on /metrics against
// what the accepted spans carry. Soak runs (a) at a fraction of its capacity
// and samples RSS and the /metrics scrape time.
package throughput

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/freeport"
	"github.com/otelcol-llm/otelcol-llm/bench/internal/procstat"
	"github.com/otelcol-llm/otelcol-llm/bench/loadgen"
)

// The three sides, in the order they run in each round.
const (
	sideLLM   = "llm"
	sideNop   = "nop"
	sideStock = "stock"
)

// Sides lists the sides in run order with their descriptions.
var Sides = []struct{ Key, Label, Pipeline string }{
	{sideLLM, "(a) otelcol-llm", "otlp → llm_prometheus"},
	{sideNop, "(b) otelcol-llm, ceiling", "otlp → debug (verbosity basic, logs sampled away)"},
	{sideStock, "(c) stock recipe", "otlp → transform → span_metrics + signal_to_metrics → delta_to_cumulative → prometheus"},
}

// Defaults of Options.
const (
	DefaultRounds      = 1
	DefaultReady       = 60 * time.Second
	DefaultLLMSettle   = 10 * time.Second
	DefaultStockSettle = 45 * time.Second // two span_metrics flushes (15 s) and a margin
)

// Options of a throughput comparison.
type Options struct {
	LLMBinary   string // otelcol-llm (make build)
	StockBinary string // otelcol-stock (bench/builder-config.yaml)
	StockConfig string // bench/stock-recipe.yaml
	// WorkDir receives the generated configurations and the collectors' logs.
	WorkDir string
	// Load is the load of each run (Endpoint and the window hooks are set here).
	Load loadgen.Options
	// Rounds of (a), (b), (c), one after another.
	Rounds int
	// Sides restricts the run to these sides (default: all three).
	Sides []string
	// LLMSettle and StockSettle bound the wait for /metrics to show every accepted span.
	LLMSettle, StockSettle time.Duration
	Logf                   func(format string, args ...any)
	// Env is added to the collectors' environment (the soak sets
	// GODEBUG=gctrace=1).
	Env []string
}

// Settings records the load of a comparison.
type Settings struct {
	BatchSize int     `json:"batch_size"`
	Workers   int     `json:"workers"`
	WarmupS   float64 `json:"warmup_s"`
	DurationS float64 `json:"duration_s"`
	Rounds    int     `json:"rounds"`
}

// Binary describes one collector binary.
type Binary struct {
	Side     string            `json:"side"`
	Path     string            `json:"path"`
	Go       string            `json:"go"`
	Versions map[string]string `json:"versions"`
}

// Run is one side in one round.
type Run struct {
	Side     string `json:"side"`
	Round    int    `json:"round"`
	Pipeline string `json:"pipeline"`
	// Collector: accepted spans/s, CPU over the window, memory after the load.
	SpansPerSec       float64 `json:"spans_per_sec"`
	CPUSeconds        float64 `json:"cpu_seconds"`
	CPUPerMSpans      float64 `json:"cpu_s_per_1m_spans"`
	SpansPerCPUSecond float64 `json:"spans_per_cpu_second"`
	PeakRSSMB         float64 `json:"peak_rss_mb"` // VmHWM after the load
	RSSMB             float64 `json:"rss_mb"`      // VmRSS after the load
	// The load generator (this process) over the same window.
	LoadgenCPUPerMSpans float64         `json:"loadgen_cpu_s_per_1m_spans"`
	Load                *loadgen.Result `json:"load"`
	Check               *Check          `json:"metrics_check,omitempty"`
	Problems            []string        `json:"problems,omitempty"`
}

// Summary is the median of one side over the rounds (peak RSS: the largest).
type Summary struct {
	Side                string  `json:"side"`
	SpansPerSec         float64 `json:"spans_per_sec"`
	CPUPerMSpans        float64 `json:"cpu_s_per_1m_spans"`
	SpansPerCPUSecond   float64 `json:"spans_per_cpu_second"`
	PeakRSSMB           float64 `json:"peak_rss_mb"`
	LoadgenCPUPerMSpans float64 `json:"loadgen_cpu_s_per_1m_spans"`
	LatencyP50MS        float64 `json:"latency_p50_ms"`
	LatencyP99MS        float64 `json:"latency_p99_ms"`
	ChecksMatched       int     `json:"checks_matched"`
	Checks              int     `json:"checks"`
}

// Ratio is the median of per-round ratios, with their range.
type Ratio struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Target float64 `json:"target"`
	Met    bool    `json:"met"`
}

// Result of a comparison.
type Result struct {
	Settings Settings `json:"settings"`
	// Batch is what one request carries (spans, LLM calls, tokens).
	Batch    Content   `json:"batch"`
	Binaries []Binary  `json:"binaries"`
	Runs     []Run     `json:"runs"`
	Summary  []Summary `json:"summary"`
	// LLMOverNop: (a)/(b) accepted spans/s, target ≥ 0.9.
	LLMOverNop *Ratio `json:"llm_over_nop_spans_per_sec,omitempty"`
	// LLMOverStock: (a)/(c) spans per collector CPU-second, target ≥ 2.
	LLMOverStock *Ratio   `json:"llm_over_stock_spans_per_cpu_second,omitempty"`
	Problems     []string `json:"problems,omitempty"`
}

// SummaryOf returns the summary of side, or nil.
func (r *Result) SummaryOf(side string) *Summary {
	for i := range r.Summary {
		if r.Summary[i].Side == side {
			return &r.Summary[i]
		}
	}
	return nil
}

func (o *Options) defaults() error {
	if o.Rounds <= 0 {
		o.Rounds = DefaultRounds
	}
	if o.LLMSettle <= 0 {
		o.LLMSettle = DefaultLLMSettle
	}
	if o.StockSettle <= 0 {
		o.StockSettle = DefaultStockSettle
	}
	if o.Load.BatchSize <= 0 {
		o.Load.BatchSize = loadgen.DefaultBatchSize
	}
	if o.Load.Workers <= 0 {
		o.Load.Workers = loadgen.DefaultWorkers
	}
	if o.Load.Duration <= 0 {
		o.Load.Duration = loadgen.DefaultDuration
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if len(o.Sides) == 0 {
		for _, s := range Sides {
			o.Sides = append(o.Sides, s.Key)
		}
	}
	if o.WorkDir == "" {
		return errors.New("WorkDir is required")
	}
	need := map[string]string{}
	for _, s := range o.Sides {
		switch s {
		case sideLLM, sideNop:
			need[o.LLMBinary] = "the otelcol-llm binary (make build)"
		case sideStock:
			need[o.StockBinary] = "the stock-recipe collector (make bench-stock)"
			need[o.StockConfig] = "the stock recipe"
		default:
			return fmt.Errorf("side %q: want llm, nop or stock", s)
		}
	}
	for path, what := range need {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// Compare runs the comparison.
func Compare(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	_, td, err := loadgen.Batch(opts.Load.BatchSize)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Settings: Settings{
			BatchSize: opts.Load.BatchSize, Workers: opts.Load.Workers,
			WarmupS: opts.Load.Warmup.Seconds(), DurationS: opts.Load.Duration.Seconds(), Rounds: opts.Rounds,
		},
		Batch: contentOf(td),
	}
	if res.Batch.Calls != res.Batch.Spans {
		res.Problems = append(res.Problems, fmt.Sprintf("only %d of the %d spans of a batch are LLM calls for internal/genai: the stock recipe counts every span", res.Batch.Calls, res.Batch.Spans))
	}
	for _, s := range Sides {
		if slices.Contains(opts.Sides, s.Key) {
			path := opts.LLMBinary
			if s.Key == sideStock {
				path = opts.StockBinary
			}
			res.Binaries = append(res.Binaries, binaryInfo(s.Key, path))
		}
	}
	for round := 1; round <= opts.Rounds; round++ {
		for _, s := range Sides {
			if !slices.Contains(opts.Sides, s.Key) {
				continue
			}
			opts.Logf("round %d/%d: %s (%s), %v warm-up + %v", round, opts.Rounds, s.Label, s.Pipeline, opts.Load.Warmup, opts.Load.Duration)
			r, err := runOne(ctx, opts, s.Key, round, res.Batch)
			if err != nil {
				return res, fmt.Errorf("round %d, %s: %w", round, s.Label, err)
			}
			opts.Logf("  %.0f spans/s, %.2f CPU s per 1M spans, peak RSS %.0f MB, loadgen %.2f CPU s per 1M spans; problems: %q",
				r.SpansPerSec, r.CPUPerMSpans, r.PeakRSSMB, r.LoadgenCPUPerMSpans, r.Problems)
			res.Runs = append(res.Runs, *r)
			for _, p := range r.Problems {
				res.Problems = append(res.Problems, fmt.Sprintf("round %d, %s: %s", round, s.Key, p))
			}
		}
	}
	summarize(res)
	return res, nil
}

func summarize(res *Result) {
	by := map[string][]Run{}
	for _, r := range res.Runs {
		by[r.Side] = append(by[r.Side], r)
	}
	for _, s := range Sides {
		runs := by[s.Key]
		if len(runs) == 0 {
			continue
		}
		sum := Summary{Side: s.Key, Checks: 0}
		pick := func(f func(Run) float64) float64 {
			v := make([]float64, len(runs))
			for i, r := range runs {
				v[i] = f(r)
			}
			return median(v)
		}
		sum.SpansPerSec = pick(func(r Run) float64 { return r.SpansPerSec })
		sum.CPUPerMSpans = pick(func(r Run) float64 { return r.CPUPerMSpans })
		sum.SpansPerCPUSecond = pick(func(r Run) float64 { return r.SpansPerCPUSecond })
		sum.LoadgenCPUPerMSpans = pick(func(r Run) float64 { return r.LoadgenCPUPerMSpans })
		sum.LatencyP50MS = pick(func(r Run) float64 { return r.Load.LatencyP50MS })
		sum.LatencyP99MS = pick(func(r Run) float64 { return r.Load.LatencyP99MS })
		for _, r := range runs {
			sum.PeakRSSMB = max(sum.PeakRSSMB, r.PeakRSSMB)
			if r.Check != nil {
				sum.Checks++
				if r.Check.Match {
					sum.ChecksMatched++
				}
			}
		}
		res.Summary = append(res.Summary, sum)
	}
	res.LLMOverNop = ratio(by[sideLLM], by[sideNop], func(r Run) float64 { return r.SpansPerSec }, 0.9)
	res.LLMOverStock = ratio(by[sideLLM], by[sideStock], func(r Run) float64 { return r.SpansPerCPUSecond }, 2)
}

// ratio is the median of a/b over the rounds where both ran.
func ratio(a, b []Run, f func(Run) float64, target float64) *Ratio {
	var v []float64
	for i := range min(len(a), len(b)) {
		if f(b[i]) > 0 {
			v = append(v, f(a[i])/f(b[i]))
		}
	}
	if len(v) == 0 {
		return nil
	}
	r := &Ratio{Median: median(v), Min: slices.Min(v), Max: slices.Max(v), Target: target}
	r.Met = r.Median >= target
	return r
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// endpoints returns two distinct free loopback addresses.
func endpoints() (string, string, error) {
	a, err := freeport.Addr()
	if err != nil {
		return "", "", err
	}
	for range 10 {
		b, err := freeport.Addr()
		if err != nil {
			return "", "", err
		}
		if b != a {
			return a, b, nil
		}
	}
	return "", "", errors.New("no second free port")
}

// started is a collector running one side's configuration.
type started struct {
	c                    *collector
	grpcAddr, metricsURL string
	pipeline             string
}

// start writes side's configuration into the work directory, starts the
// collector and waits until it is ready.
func start(ctx context.Context, opts Options, side string, tag string) (*started, error) {
	grpcAddr, metricsAddr, err := endpoints()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(opts.WorkDir, tag+".yaml")
	var bin, pipeline string
	var args []string
	var cfg string
	metricsURL := "http://" + metricsAddr + "/metrics"
	switch side {
	case sideLLM:
		bin, cfg, args = opts.LLMBinary, llmConfig(grpcAddr, metricsAddr), []string{"--config", "file:" + cfgPath}
	case sideNop:
		bin, cfg, args = opts.LLMBinary, nopConfig(grpcAddr), []string{"--config", "file:" + cfgPath}
		metricsURL = ""
	case sideStock:
		bin, cfg = opts.StockBinary, stockPorts(grpcAddr, metricsAddr)
		args = []string{"--config", "file:" + opts.StockConfig, "--config", "file:" + cfgPath}
	}
	for _, s := range Sides {
		if s.Key == side {
			pipeline = s.Pipeline
		}
	}
	err = os.WriteFile(cfgPath, []byte(cfg), 0o600)
	if err != nil {
		return nil, err
	}
	c, err := startCollector(side, bin, args, opts.Env, filepath.Join(opts.WorkDir, tag+".log"))
	if err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx, grpcAddr, metricsURL, DefaultReady); err != nil {
		_ = c.stop()
		return nil, err
	}
	return &started{c: c, grpcAddr: grpcAddr, metricsURL: metricsURL, pipeline: pipeline}, nil
}

func runOne(ctx context.Context, opts Options, side string, round int, content Content) (_ *Run, err error) {
	st, err := start(ctx, opts, side, fmt.Sprintf("%s-%d", side, round))
	if err != nil {
		return nil, err
	}
	r := &Run{Side: side, Round: round, Pipeline: st.pipeline}
	defer func() {
		if serr := st.c.stop(); serr != nil {
			r.Problems = append(r.Problems, "stop: "+firstLine(serr.Error()))
		}
	}()
	pid := st.c.pid()
	var cpu0, cpu1 float64
	var cpuErr error
	load := opts.Load
	load.Endpoint = st.grpcAddr
	load.WindowStart = func() { cpu0, cpuErr = procstat.CPUSeconds(pid) }
	load.WindowEnd = func() {
		var endErr error
		if cpu1, endErr = procstat.CPUSeconds(pid); endErr != nil {
			cpuErr = endErr
		}
	}
	lr, err := loadgen.Run(ctx, load)
	if err != nil {
		return nil, err
	}
	if cpuErr != nil {
		return nil, fmt.Errorf("collector CPU time: %w", cpuErr)
	}
	mem, err := procstat.ReadMemory(pid)
	if err != nil {
		return nil, fmt.Errorf("collector memory: %w", err)
	}
	r.Load = lr
	r.SpansPerSec = lr.SpansPerSec
	r.CPUSeconds = cpu1 - cpu0
	r.PeakRSSMB, r.RSSMB = mem.HWMMB, mem.RSSMB
	if lr.AcceptedSpans > 0 {
		r.CPUPerMSpans = r.CPUSeconds / float64(lr.AcceptedSpans) * 1e6
		r.LoadgenCPUPerMSpans = lr.CPUSeconds / float64(lr.AcceptedSpans) * 1e6
	}
	if r.CPUSeconds > 0 {
		r.SpansPerCPUSecond = float64(lr.AcceptedSpans) / r.CPUSeconds
	}
	r.Problems = append(r.Problems, loadProblems(lr)...)
	if st.metricsURL != "" {
		settle := opts.LLMSettle
		if side == sideStock {
			settle = opts.StockSettle
		}
		batches := float64(lr.TotalAccepted) / float64(lr.BatchSize)
		ch, err := check(ctx, st.metricsURL, side, content, batches, settle)
		if err != nil {
			return nil, fmt.Errorf("/metrics: %w", err)
		}
		r.Check = ch
		r.Problems = append(r.Problems, checkProblems(ch, settle)...)
	}
	for _, w := range st.c.warnings(3) {
		r.Problems = append(r.Problems, "collector log: "+w)
	}
	return r, nil
}

func loadProblems(lr *loadgen.Result) []string {
	var p []string
	if lr.TotalRejected > 0 {
		p = append(p, fmt.Sprintf("%d spans rejected or failed (%d in the window): %s", lr.TotalRejected, lr.RejectedSpans, strings.Join(lr.Errors, "; ")))
	}
	if lr.AcceptedSpans == 0 {
		p = append(p, "no span accepted in the window")
	}
	return p
}

func checkProblems(ch *Check, settle time.Duration) []string {
	if ch.Match {
		return nil
	}
	var p []string
	for _, it := range ch.Items {
		if it.Got != it.Want {
			p = append(p, fmt.Sprintf("/metrics %s = %.0f, want %.0f (%+.0f) after %v", it.Metric, it.Got, it.Want, it.Got-it.Want, settle))
		}
	}
	return p
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// binaryInfo reads the module versions a collector binary was built with.
func binaryInfo(side, path string) Binary {
	b := Binary{Side: side, Path: path, Versions: map[string]string{}}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		b.Versions["error"] = err.Error()
		return b
	}
	b.Go = bi.GoVersion
	for _, d := range bi.Deps {
		for _, want := range []string{
			"collector/receiver/otlpreceiver", "collector/pdata", "collector/exporter/exporterhelper",
			"google.golang.org/grpc", "prometheus/client_golang",
			"connector/spanmetricsconnector", "connector/signaltometricsconnector",
			"exporter/prometheusexporter", "processor/deltatocumulativeprocessor", "processor/transformprocessor",
		} {
			if strings.HasSuffix(d.Path, want) {
				v := d.Version
				if d.Replace != nil {
					v += " => " + d.Replace.Path
				}
				b.Versions[d.Path] = v
			}
		}
	}
	return b
}

// slope is the least-squares slope of y over x.
func slope(x, y []float64) float64 {
	n := float64(len(x))
	if len(x) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 || math.IsNaN(d) {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

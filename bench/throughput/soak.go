// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package throughput

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/procstat"
	"github.com/otelcol-llm/otelcol-llm/bench/loadgen"
)

// Defaults of SoakOptions.
const (
	DefaultSoakFraction = 0.5
	DefaultSoakDuration = 10 * time.Minute
	DefaultSampleEvery  = 10 * time.Second
	// DefaultCapacityRun is the unpaced run that measures the capacity when
	// none is given.
	DefaultCapacityRun = 10 * time.Second
)

// SoakOptions of a soak of side (a).
type SoakOptions struct {
	LLMBinary string
	WorkDir   string
	// Capacity is (a)'s accepted spans/s; 0: measure it first (an unpaced
	// run of CapacityRun on a fresh collector).
	Capacity    float64
	CapacityRun time.Duration
	// Fraction of the capacity sent, paced.
	Fraction    float64
	Duration    time.Duration
	SampleEvery time.Duration
	BatchSize   int
	Workers     int
	Logf        func(format string, args ...any)
}

// SoakSample is one sample of the soak.
type SoakSample struct {
	ElapsedS      float64 `json:"elapsed_s"`
	RSSMB         float64 `json:"rss_mb"`
	CPUSeconds    float64 `json:"cpu_seconds"`    // collector CPU since the start of the load
	AcceptedSpans int64   `json:"accepted_spans"` // since the start of the load
	ScrapeMS      float64 `json:"scrape_ms"`
	ScrapeBytes   int     `json:"scrape_bytes"`
	// LiveHeapMB is the mean heap marked live by the collections since the
	// previous sample (GODEBUG=gctrace=1; whole MB per collection), GCs
	// their number.
	LiveHeapMB float64 `json:"live_heap_mb"`
	GCs        int     `json:"gcs"`
}

// SoakResult of a soak.
type SoakResult struct {
	Capacity         float64 `json:"capacity_spans_per_sec"`
	CapacityMeasured bool    `json:"capacity_measured"` // false: given by the caller
	Fraction         float64 `json:"fraction"`
	TargetRate       float64 `json:"target_spans_per_sec"`
	AchievedRate     float64 `json:"achieved_spans_per_sec"`
	DurationS        float64 `json:"duration_s"`
	SampleEveryS     float64 `json:"sample_every_s"`
	BatchSize        int     `json:"batch_size"`
	Workers          int     `json:"workers"`
	Binary           Binary  `json:"binary"`
	// RSS (VmRSS) along the soak, MB; slopes by least squares, MB per hour.
	FirstRSSMB        float64 `json:"first_rss_mb"`
	LastRSSMB         float64 `json:"last_rss_mb"`
	MaxRSSMB          float64 `json:"max_rss_mb"`
	PeakRSSMB         float64 `json:"peak_rss_mb"` // VmHWM at the end
	SlopeMBPerHour    float64 `json:"slope_mb_per_hour"`
	SlopeLastHalfMBPH float64 `json:"slope_last_half_mb_per_hour"`
	// Means of the first and the second half of the samples.
	RSSHalvesMB [2]float64 `json:"rss_halves_mb"`
	// The live heap after each collection (GODEBUG=gctrace=1), over the
	// samples: what the collector keeps, without the garbage VmRSS also
	// holds between collections.
	FirstLiveHeapMB   float64    `json:"first_live_heap_mb"`
	LastLiveHeapMB    float64    `json:"last_live_heap_mb"`
	MaxLiveHeapMB     float64    `json:"max_live_heap_mb"`
	LiveHeapSlopeMBPH float64    `json:"live_heap_slope_mb_per_hour"`
	LiveHeapHalvesMB  [2]float64 `json:"live_heap_halves_mb"`
	GCCycles          int        `json:"gc_cycles"`
	GCCPUSharePercent float64    `json:"gc_cpu_share_percent"` // of the collector's CPU, since its start (runtime's estimate)
	// /metrics scrape time (full body read) over the samples.
	ScrapeP50MS  float64         `json:"scrape_p50_ms"`
	ScrapeMaxMS  float64         `json:"scrape_max_ms"`
	CPUPerMSpans float64         `json:"cpu_s_per_1m_spans"`
	Samples      []SoakSample    `json:"samples"`
	Load         *loadgen.Result `json:"load"`
	Check        *Check          `json:"metrics_check,omitempty"`
	Problems     []string        `json:"problems,omitempty"`
}

// Soak runs (a) at opts.Fraction of its capacity for opts.Duration, sampling
// VmRSS, CPU time and the /metrics scrape time every opts.SampleEvery.
func Soak(ctx context.Context, opts SoakOptions) (*SoakResult, error) {
	if opts.Fraction <= 0 || opts.Fraction > 1 {
		opts.Fraction = DefaultSoakFraction
	}
	if opts.Duration <= 0 {
		opts.Duration = DefaultSoakDuration
	}
	if opts.SampleEvery <= 0 {
		opts.SampleEvery = DefaultSampleEvery
	}
	if opts.CapacityRun <= 0 {
		opts.CapacityRun = DefaultCapacityRun
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = loadgen.DefaultBatchSize
	}
	if opts.Workers <= 0 {
		opts.Workers = loadgen.DefaultWorkers
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	topts := Options{
		LLMBinary: opts.LLMBinary, WorkDir: opts.WorkDir, Sides: []string{sideLLM}, Env: []string{GCTraceEnv},
		Load: loadgen.Options{BatchSize: opts.BatchSize, Workers: opts.Workers, Warmup: 2 * time.Second, Duration: opts.CapacityRun},
	}
	if err := topts.defaults(); err != nil {
		return nil, err
	}
	_, td, err := loadgen.Batch(opts.BatchSize)
	if err != nil {
		return nil, err
	}
	content := contentOf(td)
	res := &SoakResult{
		Capacity: opts.Capacity, Fraction: opts.Fraction, BatchSize: opts.BatchSize, Workers: opts.Workers,
		SampleEveryS: opts.SampleEvery.Seconds(), Binary: binaryInfo(sideLLM, opts.LLMBinary),
	}
	if res.Capacity <= 0 {
		opts.Logf("capacity: unpaced run of (a), %v", opts.CapacityRun)
		r, runErr := runOne(ctx, topts, sideLLM, 0, content)
		if runErr != nil {
			return nil, fmt.Errorf("capacity run: %w", runErr)
		}
		res.Capacity, res.CapacityMeasured = r.SpansPerSec, true
	}
	if res.Capacity <= 0 {
		return nil, errors.New("capacity is 0 spans/s")
	}
	res.TargetRate = res.Capacity * opts.Fraction
	opts.Logf("soak: %.0f spans/s (%.0f %% of %.0f) for %v, a sample every %v", res.TargetRate, opts.Fraction*100, res.Capacity, opts.Duration, opts.SampleEvery)

	st, err := start(ctx, topts, sideLLM, "soak")
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := st.c.stop(); serr != nil {
			res.Problems = append(res.Problems, "stop: "+firstLine(serr.Error()))
		}
	}()
	pid := st.c.pid()
	var progress atomic.Int64
	type loadDone struct {
		r   *loadgen.Result
		err error
	}
	done := make(chan loadDone, 1)
	cpu0, err := procstat.CPUSeconds(pid)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	go func() {
		r, loadErr := loadgen.Run(ctx, loadgen.Options{
			Endpoint: st.grpcAddr, BatchSize: opts.BatchSize, Workers: opts.Workers,
			Duration: opts.Duration, Rate: res.TargetRate, Progress: &progress,
		})
		done <- loadDone{r, loadErr}
	}()

	sample := func() error {
		mem, memErr := procstat.ReadMemory(pid)
		if memErr != nil {
			return memErr
		}
		cpu, cpuErr := procstat.CPUSeconds(pid)
		if cpuErr != nil {
			return cpuErr
		}
		s := SoakSample{ElapsedS: time.Since(t0).Seconds(), RSSMB: mem.RSSMB, CPUSeconds: cpu - cpu0, AcceptedSpans: progress.Load()}
		sc, scrapeErr := getMetrics(ctx, st.metricsURL)
		if scrapeErr != nil {
			return scrapeErr
		}
		s.ScrapeMS, s.ScrapeBytes = sc.ms, sc.bytes
		res.Samples = append(res.Samples, s)
		opts.Logf("  %5.0f s: RSS %.1f MB, %d spans, scrape %.1f ms", s.ElapsedS, s.RSSMB, s.AcceptedSpans, s.ScrapeMS)
		return nil
	}
	tick := time.NewTicker(opts.SampleEvery)
	defer tick.Stop()
	var ld loadDone
loop:
	for {
		select {
		case ld = <-done:
			break loop
		case <-tick.C:
			err = sample()
			if err != nil {
				return res, fmt.Errorf("sample: %w", err)
			}
		}
	}
	if ld.err != nil {
		return res, ld.err
	}
	err = sample() // the last sample, at the end of the load
	if err != nil {
		return res, fmt.Errorf("sample: %w", err)
	}
	cpu1, err := procstat.CPUSeconds(pid)
	if err != nil {
		return res, err
	}
	mem, err := procstat.ReadMemory(pid)
	if err != nil {
		return res, err
	}
	lr := ld.r
	res.Load, res.DurationS, res.AchievedRate, res.PeakRSSMB = lr, lr.Seconds, lr.SpansPerSec, mem.HWMMB
	if lr.TotalAccepted > 0 {
		res.CPUPerMSpans = (cpu1 - cpu0) / float64(lr.TotalAccepted) * 1e6
	}
	err = addLiveHeap(res, st.c.logPath, t0.Sub(st.c.started).Seconds())
	if err != nil {
		return res, err
	}
	summarizeSoak(res)
	res.Problems = append(res.Problems, loadProblems(lr)...)
	if res.AchievedRate < 0.95*res.TargetRate {
		res.Problems = append(res.Problems, fmt.Sprintf("achieved %.0f spans/s, below 95 %% of the target %.0f", res.AchievedRate, res.TargetRate))
	}
	ch, err := check(ctx, st.metricsURL, sideLLM, content, float64(lr.TotalAccepted)/float64(lr.BatchSize), DefaultLLMSettle)
	if err != nil {
		return res, fmt.Errorf("/metrics: %w", err)
	}
	res.Check = ch
	res.Problems = append(res.Problems, checkProblems(ch, DefaultLLMSettle)...)
	for _, w := range st.c.warnings(3) {
		res.Problems = append(res.Problems, "collector log: "+w)
	}
	return res, nil
}

func summarizeSoak(res *SoakResult) {
	n := len(res.Samples)
	if n == 0 {
		return
	}
	x := make([]float64, n)
	y := make([]float64, n)
	sc := make([]float64, n)
	for i, s := range res.Samples {
		x[i], y[i], sc[i] = s.ElapsedS/3600, s.RSSMB, s.ScrapeMS
	}
	res.FirstRSSMB, res.LastRSSMB, res.MaxRSSMB = y[0], y[n-1], slices.Max(y)
	res.SlopeMBPerHour = slope(x, y)
	res.SlopeLastHalfMBPH = slope(x[n/2:], y[n/2:])
	res.RSSHalvesMB = halves(y)
	res.ScrapeP50MS, res.ScrapeMaxMS = median(sc), slices.Max(sc)

	// The live heap, over the samples that saw a collection.
	var lx, ly []float64
	for _, s := range res.Samples {
		if s.GCs > 0 {
			lx, ly = append(lx, s.ElapsedS/3600), append(ly, s.LiveHeapMB)
		}
	}
	if len(ly) > 0 {
		res.FirstLiveHeapMB, res.LastLiveHeapMB, res.MaxLiveHeapMB = ly[0], ly[len(ly)-1], slices.Max(ly)
		res.LiveHeapSlopeMBPH = slope(lx, ly)
		res.LiveHeapHalvesMB = halves(ly)
	}
}

// halves returns the means of the first and the second half of v.
func halves(v []float64) [2]float64 {
	mean := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	return [2]float64{mean(v[:len(v)/2]), mean(v[len(v)/2:])}
}

// addLiveHeap reads the collector's gctrace lines from its log and gives each
// sample the mean live heap of the collections since the previous one.
// offset is the time from the process start to the start of the load.
func addLiveHeap(res *SoakResult, logPath string, offset float64) error {
	f, err := os.Open(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	cycles := parseGCTrace(f)
	if len(cycles) == 0 {
		res.Problems = append(res.Problems, "no gctrace line in the collector log: live heap not measured")
		return nil
	}
	prev := offset
	for i := range res.Samples {
		s := &res.Samples[i]
		at := offset + s.ElapsedS
		s.LiveHeapMB, s.GCs = liveHeapBetween(cycles, prev, at)
		res.GCCycles += s.GCs
		prev = at
	}
	res.GCCPUSharePercent = cycles[len(cycles)-1].GCCPUShare
	return nil
}

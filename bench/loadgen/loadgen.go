// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package loadgen sends OTLP/gRPC trace exports to a collector on the loopback
// interface: one pre-built spangen batch, marshaled once, from N workers (one
// gRPC connection each) for a bounded duration after a warm-up, optionally
// paced to a target rate. It counts accepted spans (OK responses × batch size,
// less any partial-success rejections) and rejected ones.
//
// The request is marshaled once with ptraceotlp and sent with a pass-through
// gRPC codec on the OTLP method: ptraceotlp.NewGRPCClient would marshal the
// same batch again on every call, and the generator shares the machine's two
// cores with the collector it measures. The bytes on the wire are the same.
package loadgen

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/procstat"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

// exportMethod is the OTLP trace service's Export method.
const exportMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

// Defaults of Options.
const (
	DefaultBatchSize = 1000
	DefaultWorkers   = 2
	DefaultWarmup    = 3 * time.Second
	DefaultDuration  = 20 * time.Second
	DefaultTimeout   = 10 * time.Second
	// MaxDuration bounds one run (warm-up included).
	MaxDuration = 24 * time.Hour
)

// Options of one run.
type Options struct {
	// Endpoint is the collector's OTLP/gRPC host:port; it must be a loopback address.
	Endpoint string
	// BatchSize is the number of spans per export request.
	BatchSize int
	// Workers is the number of concurrent senders, one gRPC connection each.
	Workers int
	// Warmup is sent before the measured window and not counted in it.
	Warmup time.Duration
	// Duration is the measured window.
	Duration time.Duration
	// Rate paces all workers together to this many spans/s (0: as fast as the
	// collector answers).
	Rate float64
	// Timeout bounds one export call.
	Timeout time.Duration
	// Progress, if set, is incremented by every accepted span as it is
	// accepted (warm-up included), for a caller that samples along the run.
	Progress *atomic.Int64
	// WindowStart and WindowEnd, if set, are called right when the measured
	// window opens and closes (e.g. to read the collector's CPU time).
	WindowStart, WindowEnd func()
}

// Result of one run. The window counters cover requests that completed inside
// the measured window; the totals cover the whole run, warm-up and the
// requests in flight when the window closed included (what the collector
// should have counted).
type Result struct {
	BatchSize int     `json:"batch_size"`
	Workers   int     `json:"workers"`
	Rate      float64 `json:"target_rate,omitempty"`
	// Seconds is the actual length of the measured window.
	Seconds       float64 `json:"seconds"`
	Requests      int64   `json:"requests"`
	AcceptedSpans int64   `json:"accepted_spans"`
	RejectedSpans int64   `json:"rejected_spans"`
	SpansPerSec   float64 `json:"spans_per_sec"`
	// Request latency in the window, milliseconds.
	LatencyP50MS float64 `json:"latency_p50_ms"`
	LatencyP99MS float64 `json:"latency_p99_ms"`
	// CPUSeconds is this process' CPU time (utime+stime) in the window.
	CPUSeconds float64 `json:"cpu_seconds"`
	// Whole run.
	TotalAccepted int64 `json:"total_accepted_spans"`
	TotalRejected int64 `json:"total_rejected_spans"`
	// Errors holds up to 5 distinct error messages.
	Errors []string `json:"errors,omitempty"`
}

// Batch returns the OTLP export request body of the spangen batch of n spans
// and the batch itself. The same n always gives the same bytes.
func Batch(n int) ([]byte, ptrace.Traces, error) {
	td := spangen.Batch(n, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	return b, td, err
}

func (o *Options) defaults() error {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Warmup+o.Duration > MaxDuration {
		return fmt.Errorf("warm-up %v + duration %v exceed %v", o.Warmup, o.Duration, MaxDuration)
	}
	if o.Rate < 0 {
		return fmt.Errorf("rate %v must be >= 0", o.Rate)
	}
	return checkLoopback(o.Endpoint)
}

func checkLoopback(endpoint string) error {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("endpoint %q: only loopback IP addresses (127.0.0.0/8, ::1) are allowed", endpoint)
	}
	return nil
}

// Run sends the load and returns the counts. It returns an error only if it
// could not start; failed exports are counted and listed in Result.Errors.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	body, _, err := Batch(opts.BatchSize)
	if err != nil {
		return nil, err
	}
	conns := make([]*grpc.ClientConn, opts.Workers)
	for i := range conns {
		if conns[i], err = dial(opts.Endpoint); err != nil {
			for _, c := range conns[:i] {
				c.Close()
			}
			return nil, err
		}
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()

	var (
		phase  atomic.Int32 // 0 warm-up, 1 window, 2 stopping
		pace   *pacer
		mu     sync.Mutex
		errs   []string
		totals [2]atomic.Int64 // accepted, rejected
		wg     sync.WaitGroup
	)
	if opts.Rate > 0 {
		pace = &pacer{every: time.Duration(float64(opts.BatchSize) / opts.Rate * float64(time.Second))}
	}
	type window struct {
		requests, accepted, rejected int64
		latency                      []time.Duration
	}
	wins := make([]window, opts.Workers)
	for w := range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			win := &wins[w]
			for phase.Load() < 2 && ctx.Err() == nil {
				if pace != nil && !pace.wait(ctx, &phase) {
					return
				}
				t := time.Now()
				acc, rej, err := export(ctx, conns[w], body, opts.BatchSize, opts.Timeout)
				d := time.Since(t)
				totals[0].Add(acc)
				if opts.Progress != nil {
					opts.Progress.Add(acc)
				}
				totals[1].Add(rej)
				if phase.Load() == 1 {
					win.requests++
					win.accepted += acc
					win.rejected += rej
					win.latency = append(win.latency, d)
				}
				if err != nil {
					mu.Lock()
					if msg := err.Error(); len(errs) < 5 && !slices.Contains(errs, msg) {
						errs = append(errs, msg)
					}
					mu.Unlock()
					// A refusing collector: back off a little rather than spin.
					sleep(ctx, 10*time.Millisecond)
				}
			}
		}()
	}

	res := &Result{BatchSize: opts.BatchSize, Workers: opts.Workers, Rate: opts.Rate}
	sleep(ctx, opts.Warmup)
	cpu0, _ := procstat.CPUSeconds(0)
	if opts.WindowStart != nil {
		opts.WindowStart()
	}
	t0 := time.Now()
	phase.Store(1)
	sleep(ctx, opts.Duration)
	phase.Store(2)
	res.Seconds = time.Since(t0).Seconds()
	if opts.WindowEnd != nil {
		opts.WindowEnd()
	}
	cpu1, _ := procstat.CPUSeconds(0)
	res.CPUSeconds = cpu1 - cpu0
	wg.Wait() // each worker finishes its request in flight (bounded by Timeout)

	var lat []time.Duration
	for _, w := range wins {
		res.Requests += w.requests
		res.AcceptedSpans += w.accepted
		res.RejectedSpans += w.rejected
		lat = append(lat, w.latency...)
	}
	slices.Sort(lat)
	res.LatencyP50MS = quantileMS(lat, 0.5)
	res.LatencyP99MS = quantileMS(lat, 0.99)
	if res.Seconds > 0 {
		res.SpansPerSec = float64(res.AcceptedSpans) / res.Seconds
	}
	res.TotalAccepted, res.TotalRejected = totals[0].Load(), totals[1].Load()
	res.Errors = errs
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// WaitReady sends empty export requests until one succeeds (the collector
// starts its receivers last, so an OK means the whole pipeline is up) or the
// deadline passes.
func WaitReady(ctx context.Context, endpoint string, deadline time.Duration) error {
	if err := checkLoopback(endpoint); err != nil {
		return err
	}
	conn, err := dial(endpoint)
	if err != nil {
		return err
	}
	defer conn.Close()
	empty, err := ptraceotlp.NewExportRequest().MarshalProto()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	for {
		_, _, err = export(ctx, conn, empty, 0, time.Second)
		if err == nil {
			return nil
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return fmt.Errorf("%s not ready after %v: %w", endpoint, deadline, err)
		}
	}
}

func dial(endpoint string) (*grpc.ClientConn, error) {
	return grpc.NewClient("passthrough:///"+endpoint,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
}

// export sends one request; n is its span count.
func export(ctx context.Context, conn *grpc.ClientConn, body []byte, n int, timeout time.Duration) (accepted, rejected int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp := ptraceotlp.NewExportResponse()
	err = conn.Invoke(ctx, exportMethod, body, &resp)
	if err != nil {
		return 0, int64(n), err
	}
	rej := resp.PartialSuccess().RejectedSpans()
	if rej > 0 {
		err = fmt.Errorf("partial success: %d spans rejected: %s", rej, resp.PartialSuccess().ErrorMessage())
	}
	return int64(n) - rej, rej, err
}

// rawCodec sends pre-marshaled request bytes as they are and parses the
// response into a ptraceotlp.ExportResponse.
type rawCodec struct{}

var _ encoding.CodecV2 = rawCodec{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	r, ok := v.(*ptraceotlp.ExportResponse)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	return r.UnmarshalProto(data.Materialize())
}

func (rawCodec) Name() string { return "proto" }

// maxLag bounds how far the pacer's schedule may fall behind the clock: the
// workers make up for up to this much lost time (a slow request, a GC pause)
// by sending at once, so the average rate holds, but a long stall of the
// collector is not followed by an unbounded burst.
const maxLag = time.Second

// pacer spaces the requests of all workers evenly on one schedule.
type pacer struct {
	mu    sync.Mutex
	next  time.Time
	every time.Duration
}

// reserve returns the send time of the next request.
func (p *pacer) reserve(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next.IsZero() {
		p.next = now
	}
	if lag := now.Add(-maxLag); p.next.Before(lag) {
		p.next = lag
	}
	t := p.next
	p.next = t.Add(p.every)
	return t
}

// wait sleeps until the next send time; false: the run is over.
func (p *pacer) wait(ctx context.Context, phase *atomic.Int32) bool {
	t := p.reserve(time.Now())
	for {
		d := time.Until(t)
		if d <= 0 {
			return true
		}
		// Wake up at least every 100 ms to notice the end of the run.
		if !sleep(ctx, min(d, 100*time.Millisecond)) || phase.Load() == 2 {
			return false
		}
	}
}

// sleep waits d or until ctx is done; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func quantileMS(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package loadgen

import (
	"bytes"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/freeport"
)

// server is an OTLP trace receiver that counts spans and rejects `reject`
// spans of every request as a partial success.
type server struct {
	ptraceotlp.UnimplementedGRPCServer
	spans, requests atomic.Int64
	reject          int64
}

func (s *server) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	s.spans.Add(int64(req.Traces().SpanCount()))
	s.requests.Add(1)
	resp := ptraceotlp.NewExportResponse()
	if s.reject > 0 && req.Traces().SpanCount() > 0 {
		resp.PartialSuccess().SetRejectedSpans(s.reject)
		resp.PartialSuccess().SetErrorMessage("test rejection")
	}
	return resp, nil
}

func start(t *testing.T, s *server) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	ptraceotlp.RegisterGRPCServer(g, s)
	served := make(chan error, 1)
	go func() { served <- g.Serve(ln) }()
	t.Cleanup(func() {
		g.Stop()
		if err := <-served; err != nil {
			t.Errorf("grpc server: %v", err)
		}
	})
	return ln.Addr().String()
}

func TestRunCounts(t *testing.T) {
	s := &server{}
	addr := start(t, s)
	if err := WaitReady(context.Background(), addr, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	var starts, ends int
	res, err := Run(context.Background(), Options{
		Endpoint: addr, BatchSize: 50, Workers: 2, Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond,
		WindowStart: func() { starts++ }, WindowEnd: func() { ends++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if starts != 1 || ends != 1 {
		t.Fatalf("window hooks called %d/%d times, want 1/1", starts, ends)
	}
	if res.Requests == 0 || res.AcceptedSpans != res.Requests*50 || res.RejectedSpans != 0 {
		t.Fatalf("window: %d requests, %d accepted, %d rejected; want accepted = requests × 50 > 0", res.Requests, res.AcceptedSpans, res.RejectedSpans)
	}
	if got := s.spans.Load(); got != res.TotalAccepted {
		t.Fatalf("server received %d spans, loadgen counted %d accepted in total", got, res.TotalAccepted)
	}
	if res.TotalAccepted < res.AcceptedSpans || len(res.Errors) != 0 {
		t.Fatalf("totals %d < window %d, or errors %v", res.TotalAccepted, res.AcceptedSpans, res.Errors)
	}
	if res.SpansPerSec <= 0 || res.Seconds < 0.2 {
		t.Fatalf("rate %v over %v s", res.SpansPerSec, res.Seconds)
	}
}

func TestRunPartialSuccess(t *testing.T) {
	s := &server{reject: 10}
	addr := start(t, s)
	res, err := Run(context.Background(), Options{Endpoint: addr, BatchSize: 40, Workers: 1, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.RejectedSpans != res.Requests*10 || res.AcceptedSpans != res.Requests*30 {
		t.Fatalf("%d requests: %d accepted, %d rejected; want 30 and 10 per request", res.Requests, res.AcceptedSpans, res.RejectedSpans)
	}
	if len(res.Errors) != 1 {
		t.Fatalf("errors %q, want the one partial-success message", res.Errors)
	}
}

func TestRunRate(t *testing.T) {
	s := &server{}
	addr := start(t, s)
	// 2,000 spans/s in batches of 100: one request every 50 ms, about 8 in 400 ms.
	res, err := Run(context.Background(), Options{Endpoint: addr, BatchSize: 100, Workers: 2, Duration: 400 * time.Millisecond, Rate: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests > 10 {
		t.Fatalf("%d requests in 400 ms at 20 requests/s: the pacing does not hold", res.Requests)
	}
	if res.Requests == 0 {
		t.Fatal("no request in the window")
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, ep := range []string{"10.0.0.1:4317", "example.test:4317", "4317"} {
		if _, err := Run(context.Background(), Options{Endpoint: ep, Duration: time.Millisecond}); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
	if err := checkLoopback("[::1]:4317"); err != nil {
		t.Error(err)
	}
}

func TestBatchDeterministic(t *testing.T) {
	a, td, err := Batch(100)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := Batch(100)
	if !bytes.Equal(a, b) || td.SpanCount() != 100 {
		t.Fatalf("Batch(100): %d spans, same bytes %v", td.SpanCount(), bytes.Equal(a, b))
	}
}

func TestPacerCatchUp(t *testing.T) {
	p := &pacer{every: 100 * time.Millisecond}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := p.reserve(t0); !got.Equal(t0) {
		t.Fatalf("first slot %v, want now", got)
	}
	if got := p.reserve(t0); !got.Equal(t0.Add(100 * time.Millisecond)) {
		t.Fatalf("second slot %v, want now + 100 ms", got)
	}
	// A 5 s stall: at most maxLag (1 s, 10 slots) is made up at once.
	now := t0.Add(5 * time.Second)
	var late int
	for range 20 {
		if p.reserve(now).Before(now) {
			late++
		}
	}
	if late != 10 {
		t.Fatalf("%d slots in the past after a 5 s stall, want 10 (1 s of catch-up)", late)
	}
}

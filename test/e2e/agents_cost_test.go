// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// rssKiB reads the resident set size of process pid from /proc.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("/proc/%d/status has no VmRSS", pid)
	return 0
}

// traceCopier makes copies of a captured trace with fresh trace and span
// IDs (parent links kept), so each copy is a new agent invocation.
type traceCopier struct {
	template ptrace.Traces
	rng      *rand.Rand
}

func (c *traceCopier) appendCopy(dst ptrace.Traces) {
	var tid pcommon.TraceID
	for i := range tid {
		tid[i] = byte(c.rng.Uint32())
	}
	ids := map[pcommon.SpanID]pcommon.SpanID{}
	newID := func(old pcommon.SpanID) pcommon.SpanID {
		if old.IsEmpty() {
			return old
		}
		if id, ok := ids[old]; ok {
			return id
		}
		var id pcommon.SpanID
		for i := range id {
			id[i] = byte(c.rng.Uint32())
		}
		ids[old] = id
		return id
	}
	rss := c.template.ResourceSpans()
	for i := range rss.Len() {
		rs := dst.ResourceSpans().AppendEmpty()
		rss.At(i).CopyTo(rs)
		sss := rs.ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				s := spans.At(k)
				s.SetTraceID(tid)
				s.SetSpanID(newID(s.SpanID()))
				s.SetParentSpanID(newID(s.ParentSpanID()))
			}
		}
	}
}

// TestAgentClientsGroupByTraceCost measures what config/otelcol-agents.yaml
// (groupbytrace, wait_duration 30s) costs beside config/otelcol.yaml: the
// delay before a trace is counted, and the resident memory of the collector
// under a steady load of agent traces (copies of the captured Vercel AI v7
// agent invocation, 10 spans, fresh IDs), both collectors fed the same
// requests over OTLP/gRPC.
//
// A measurement, not a check: it runs only with E2E_AGENT_GBT_COST=1 (about
// 3 minutes); docs/agents.md has the figures. E2E_AGENT_GBT_RATES sets the loads
// in traces per second (default "20,100"), E2E_AGENT_GBT_SECONDS the time per
// load (default 60).
func TestAgentClientsGroupByTraceCost(t *testing.T) {
	if os.Getenv("E2E_AGENT_GBT_COST") == "" {
		t.Skip("a measurement: set E2E_AGENT_GBT_COST=1 to run it (figures in docs/agents.md)")
	}
	rates := []int{20, 100}
	if s := os.Getenv("E2E_AGENT_GBT_RATES"); s != "" {
		rates = rates[:0]
		for _, f := range strings.Split(s, ",") {
			r, err := strconv.Atoi(f)
			if err != nil || r < 10 {
				t.Fatalf("E2E_AGENT_GBT_RATES: %q: want traces per second >= 10", f)
			}
			rates = append(rates, r)
		}
	}
	seconds := 60
	if s := os.Getenv("E2E_AGENT_GBT_SECONDS"); s != "" {
		var err error
		if seconds, err = strconv.Atoi(s); err != nil || seconds < 1 {
			t.Fatalf("E2E_AGENT_GBT_SECONDS: %q", s)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	template := readCapture(t, filepath.Join(testproc.RepoRoot(t), capturesDir, "agent-vercel-ai-v7.json"))
	raw, err := ptraceotlp.NewExportRequestFromTraces(template).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	perTrace := template.SpanCount()
	t.Logf("template: %d spans, %d bytes of OTLP protobuf (%d bytes a span)", perTrace, len(raw), len(raw)/perTrace)
	copier := &traceCopier{template: template, rng: rand.New(rand.NewPCG(20261204, 13))}

	plain := newReplica(t, "plain", "otelcol.yaml")
	grouped := newReplica(t, "groupbytrace", "otelcol-agents.yaml")
	nodes := []*otelNode{plain, grouped}
	startAll(t, nodes...)
	clients := []*otlpClient{newOTLPClient(t, plain), newOTLPClient(t, grouped)}

	// The delay: one trace to each, the time until llm_prometheus took it.
	probe := ptrace.NewTraces()
	copier.appendCopy(probe)
	for i, n := range nodes {
		sent := time.Now()
		clients[i].send(ctx, t, probe)
		poll(t, 2*time.Minute, 20*time.Millisecond, n.name+" counting the probe trace", func() (bool, error) {
			return spansReceived(ctx, t, n) == float64(perTrace), nil
		})
		t.Logf("COST delay %s: the probe trace reached llm_prometheus %s after it was sent", n.name, time.Since(sent).Round(10*time.Millisecond))
	}
	for _, n := range nodes {
		t.Logf("COST idle %s: RSS %d KiB", n.name, rssKiB(t, n.proc.Pid()))
	}

	sent := perTrace
	for _, rate := range rates {
		const tick = 100 * time.Millisecond
		perTick := rate / 10
		peak := make([]int, len(nodes))
		started := time.Now()
		next := started
		lastSample := started
		for time.Since(started) < time.Duration(seconds)*time.Second {
			td := ptrace.NewTraces()
			for range perTick {
				copier.appendCopy(td)
			}
			for _, c := range clients {
				c.send(ctx, t, td)
			}
			sent += td.SpanCount()
			if time.Since(lastSample) >= time.Second {
				lastSample = time.Now()
				for i, n := range nodes {
					peak[i] = max(peak[i], rssKiB(t, n.proc.Pid()))
				}
			}
			next = next.Add(tick)
			if d := time.Until(next); d > 0 {
				time.Sleep(d) // pacing of the load, not synchronization
			}
		}
		for i, n := range nodes {
			own := telemetry(ctx, t, n)
			t.Logf("COST load %d traces/s (%d spans/s) for %ds, %s: peak RSS %d KiB, now %d KiB; traces held %v, evicted %v; spans counted %v of %d sent",
				rate, rate*perTrace, seconds, n.name, peak[i], rssKiB(t, n.proc.Pid()),
				sampleSum(own, "otelcol_processor_groupbytrace_num_traces_in_memory", nil),
				sampleSum(own, "otelcol_processor_groupbytrace_traces_evicted", nil),
				sampleSum(own, "otelcol_exporter_llm_prometheus_spans_received", nil), sent)
		}
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// agentSpanRole says what a span of the agent clients is: the agent
// invocation (the trace's root), a model call, a tool call, or another
// wrapper ("").
func agentSpanRole(s ptrace.Span) string {
	attr := func(k string) string {
		v, ok := s.Attributes().Get(k)
		if !ok {
			return ""
		}
		return v.AsString()
	}
	switch {
	case s.ParentSpanID().IsEmpty():
		return "agent"
	case strings.HasSuffix(attr("ai.operationId"), ".doGenerate"), attr("gen_ai.operation.name") == "chat", attr("openinference.span.kind") == "LLM":
		return "model"
	case attr("ai.operationId") == "ai.toolCall", attr("gen_ai.operation.name") == "execute_tool", attr("openinference.span.kind") == "TOOL":
		return "tool"
	}
	return ""
}

// splitStats is how the spans of the agent invocations arrived.
type splitStats struct {
	exports, spans, traces int
	minBatch, maxBatch     int
	// split: invocations whose spans arrived in more than one request;
	// apart: invocations whose agent span's request lacks some of its model
	// or tool calls (what a per-request count of calls per invocation gets
	// wrong).
	split, apart int
	incomplete   int // traces without exactly one agent span and wantModel / wantTool children
}

// analyzeSplit reads the requests a recorder received.
func analyzeSplit(exports []recordedExport, wantModel, wantTool int) splitStats {
	type traceInfo struct {
		requests    map[int]bool
		agentReq    int
		agents      int
		models      map[int]int // request → model calls
		tools       map[int]int
		totalModels int
		totalTools  int
	}
	traces := map[pcommon.TraceID]*traceInfo{}
	st := splitStats{exports: len(exports), minBatch: -1}
	for i, e := range exports {
		n := e.traces.SpanCount()
		st.spans += n
		if st.minBatch < 0 || n < st.minBatch {
			st.minBatch = n
		}
		st.maxBatch = max(st.maxBatch, n)
		rss := e.traces.ResourceSpans()
		for r := range rss.Len() {
			sss := rss.At(r).ScopeSpans()
			for k := range sss.Len() {
				spans := sss.At(k).Spans()
				for j := range spans.Len() {
					s := spans.At(j)
					ti := traces[s.TraceID()]
					if ti == nil {
						ti = &traceInfo{requests: map[int]bool{}, models: map[int]int{}, tools: map[int]int{}, agentReq: -1}
						traces[s.TraceID()] = ti
					}
					ti.requests[i] = true
					switch agentSpanRole(s) {
					case "agent":
						ti.agents++
						ti.agentReq = i
					case "model":
						ti.models[i]++
						ti.totalModels++
					case "tool":
						ti.tools[i]++
						ti.totalTools++
					}
				}
			}
		}
	}
	st.traces = len(traces)
	for _, ti := range traces {
		if ti.agents != 1 || ti.totalModels != wantModel || ti.totalTools != wantTool {
			st.incomplete++
		}
		if len(ti.requests) > 1 {
			st.split++
		}
		if ti.models[ti.agentReq] != ti.totalModels || ti.tools[ti.agentReq] != ti.totalTools {
			st.apart++
		}
	}
	return st
}

// TestAgentClientsBatchSplit measures how often the spans of one agent
// invocation reach the collector in different export requests, with the real
// agent clients exporting through the OpenTelemetry JS SDK's default
// BatchSpanProcessor (5 s timer, 512 spans a request), to an OTLP recorder
// that keeps each request apart. The shipped collector configuration has no
// batch processor in the llm pipeline: one request is one batch at
// llm_prometheus, so a split request is a split batch.
//
// A measurement, not a check: it runs only with E2E_AGENT_SPLIT=1 (it takes
// minutes) and logs one line per client and load; docs/agents.md has the figures.
// E2E_AGENT_SPLIT_LOADS overrides the loads: "latency/runs/concurrency,...",
// e.g. "0s/200/1,250ms/100/4".
func TestAgentClientsBatchSplit(t *testing.T) {
	if os.Getenv("E2E_AGENT_SPLIT") == "" {
		t.Skip("a measurement: set E2E_AGENT_SPLIT=1 to run it (figures in docs/agents.md)")
	}
	loads := []struct {
		latency           time.Duration
		runs, concurrency int
	}{
		// Each load runs well over the SDK's 5 s export timer.
		{0, 1000, 1},
		{250 * time.Millisecond, 200, 4},
		{time.Second, 160, 16},
	}
	if s := os.Getenv("E2E_AGENT_SPLIT_LOADS"); s != "" {
		loads = loads[:0]
		for _, l := range strings.Split(s, ",") {
			var load struct {
				latency           time.Duration
				runs, concurrency int
			}
			parts := strings.Split(l, "/")
			if len(parts) != 3 {
				t.Fatalf("E2E_AGENT_SPLIT_LOADS: %q is not latency/runs/concurrency", l)
			}
			var err error
			if load.latency, err = time.ParseDuration(parts[0]); err != nil {
				t.Fatalf("E2E_AGENT_SPLIT_LOADS: %q: %v", l, err)
			}
			if load.runs, err = strconv.Atoi(parts[1]); err != nil {
				t.Fatalf("E2E_AGENT_SPLIT_LOADS: %q: %v", l, err)
			}
			if load.concurrency, err = strconv.Atoi(parts[2]); err != nil {
				t.Fatalf("E2E_AGENT_SPLIT_LOADS: %q: %v", l, err)
			}
			loads = append(loads, load)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	dir := filepath.Join(testproc.RepoRoot(t), clientsDir)
	for _, p := range agentClientProjects {
		npmCI(ctx, t, filepath.Join(dir, p))
	}
	for _, cc := range captureClients {
		if !strings.HasPrefix(cc.name, "agent-") {
			continue
		}
		for _, load := range loads {
			name := fmt.Sprintf("%s/latency=%s/runs=%d/concurrency=%d", cc.name, load.latency, load.runs, load.concurrency)
			t.Run(name, func(t *testing.T) {
				fake := startFakeOpenAI(t)
				fake.agentLatency.Store(int64(load.latency))
				rec := startOTLPRecorder(t)
				started := time.Now()
				runClientCtx(ctx, t, filepath.Join(dir, cc.dir), cc.script, fake, rec.url, "", 10*time.Minute,
					"SPAN_BATCHING=sdk-default",
					fmt.Sprintf("AGENT_RUNS=%d", load.runs), fmt.Sprintf("AGENT_CONCURRENCY=%d", load.concurrency))
				took := time.Since(started)
				st := analyzeSplit(rec.received(), 3, 3)
				if st.traces != load.runs || st.incomplete != 0 {
					t.Errorf("%d traces (%d incomplete), want %d complete invocations", st.traces, st.incomplete, load.runs)
				}
				t.Logf("SPLIT %s: %d invocations in %s, %d spans in %d requests (%d–%d spans each); "+
					"split over requests: %d (%.1f%%); agent span's request missing some of its model/tool calls: %d (%.1f%%)",
					name, st.traces, took.Round(100*time.Millisecond), st.spans, st.exports, st.minBatch, st.maxBatch,
					st.split, 100*float64(st.split)/float64(max(st.traces, 1)), st.apart, 100*float64(st.apart)/float64(max(st.traces, 1)))
			})
		}
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"github.com/otelcol-llm/otelcol-llm/bench/internal/results"
)

// lowestRun is the lowest peak RSS and the lowest allocation of the runs
// (each collector runs more than once, alternately; the peak of one run moves
// by tens of MB with the GC's timing).
func lowestRun(rs []results.SpanBombRun) results.SpanBombRun {
	low := rs[0]
	for _, r := range rs[1:] {
		low.PeakRSSMB = min(low.PeakRSSMB, r.PeakRSSMB)
		low.AllocatedMB = min(low.AllocatedMB, r.AllocatedMB)
	}
	return low
}

// spanBombOK tells whether the saved span bomb meets its target: the
// llm_prometheus collector takes at most LimitMB more peak RSS, and
// allocates at most LimitMB more, than the debug exporter's.
func spanBombOK(sb *results.SpanBomb) (llm, debug results.SpanBombRun, ok bool) {
	if len(sb.LLM) == 0 || len(sb.Debug) == 0 {
		return llm, debug, false
	}
	llm, debug = lowestRun(sb.LLM), lowestRun(sb.Debug)
	limit := float64(sb.LimitMB)
	return llm, debug, llm.PeakRSSMB <= debug.PeakRSSMB+limit && llm.AllocatedMB <= debug.AllocatedMB+limit
}

func spanBombTarget(p func(string, ...any), saved *results.Saved) {
	if saved == nil || saved.SpanBomb == nil {
		p("| issue 10 | span bomb: %d requests of 500,000 empty spans add ≤ 64 MB of peak RSS over the debug exporter | not measured (`make bench-spanbomb`) | |", 3)
		return
	}
	sb := saved.SpanBomb
	llm, debug, ok := spanBombOK(sb)
	p("| issue 10 | span bomb: %d requests of %s empty spans (%s bytes gzip'd each) add ≤ %d MB of peak RSS (and of allocations) over the debug exporter | peak RSS %+.0f MB (%.0f vs %.0f MB), allocated %+.0f MB (%.0f vs %.0f MB), lower of %d runs each | %s |",
		sb.Requests, num(sb.Spans), num(sb.BodyBytes), sb.LimitMB,
		llm.PeakRSSMB-debug.PeakRSSMB, llm.PeakRSSMB, debug.PeakRSSMB,
		llm.AllocatedMB-debug.AllocatedMB, llm.AllocatedMB, debug.AllocatedMB, len(sb.LLM), yes(ok))
}

func writeSpanBomb(p func(string, ...any), saved *results.Saved) {
	if saved == nil || saved.SpanBomb == nil {
		return
	}
	sb := saved.SpanBomb
	p("## 4. Span bomb: memory follows the LLM calls, not the spans")
	p("")
	p("`%s` at %s (%s), %s: the built collector, OTLP/HTTP receiver → llm_prometheus (`deduplicate_nested_calls: true`)", saved.Command, saved.Machine.Commit, saved.Machine.Go, saved.Machine.Date)
	p("or → debug, %d requests of %s empty (non-LLM) spans, %s bytes gzip'd each. Peak RSS is VmHWM after the requests;", sb.Requests, num(sb.Spans), num(sb.BodyBytes))
	p("allocated is the growth of the collector's own `otelcol_process_runtime_total_alloc_bytes` during them. The")
	p("collectors run alternately; before the fix the llm_prometheus pipeline sized a call slot per span (103 MiB a request).")
	p("")
	p("| run | debug peak RSS (MB) | debug allocated (MB) | llm_prometheus peak RSS (MB) | llm_prometheus allocated (MB) |")
	p("|---|---|---|---|---|")
	for i := range min(len(sb.Debug), len(sb.LLM)) {
		p("| %d | %.1f | %.1f | %.1f | %.1f |", i+1, sb.Debug[i].PeakRSSMB, sb.Debug[i].AllocatedMB, sb.LLM[i].PeakRSSMB, sb.LLM[i].AllocatedMB)
	}
	p("")
}

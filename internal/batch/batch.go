// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package batch extracts the LLM calls of a batch of spans, with the
// nested-call rule (genai.Nested) when asked: the one path the llm_prometheus
// exporter and the llm processor share.
//
// Its memory is proportional to the LLM calls of a batch, never to its spans:
// call slots are added as calls are found, so a batch of spans that are no
// LLM calls needs no more than the first few slots, however many spans it
// holds.
package batch // import "github.com/otelcol-llm/otelcol-llm/internal/batch"

import (
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/internal/freelist"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// Extractor extracts the counted calls of batches. It is safe for concurrent
// use: each batch takes a scratch memory from a bounded free list.
type Extractor struct {
	calls       *genai.Extractor
	deduplicate bool
	scratch     freelist.List[scratch]
}

// scratch is the memory of one batch, reused from batch to batch.
type scratch struct {
	calls  []genai.Call  // len == cap: call slots; the counted calls first
	spans  []ptrace.Span // spans[i] is the span of calls[i]
	nested genai.Nested
}

const (
	// minCalls is the first size of a scratch's call slots (216 bytes
	// each).
	minCalls = 64
	// maxPooledCalls bounds the scratch kept for the next batches: the
	// memory of a rare huge batch goes back to the GC.
	maxPooledCalls = 1 << 14
)

// NewExtractor returns an Extractor reading spans with opts; with
// deduplicate, a call recorded by two nested spans of one batch is visited
// as a duplicate on the parent span (genai.Nested, COUNTING.md).
func NewExtractor(opts genai.Options, deduplicate bool) *Extractor {
	return &Extractor{calls: genai.NewExtractor(opts), deduplicate: deduplicate}
}

// Counts says what a batch held.
type Counts struct {
	Spans   int // every span of the batch
	Calls   int // the counted calls, nested duplicates included
	Nested  int // the nested duplicates among the calls
	Skipped int // the spans that are no LLM call
}

// Visit is called once for every counted call of a batch, in batch order,
// with the call's span. dup reports a nested duplicate: a counted child span
// records the same call, so this one must not be counted. The call is valid
// until Visit returns; its strings point into the batch.
type Visit func(call *genai.Call, span ptrace.Span, dup bool)

// Extract extracts the calls of td and visits each one. Without
// deduplication each call is visited as soon as its span is read; with it,
// every span of the batch is read first (so visit may change the spans),
// then the calls are visited.
func (e *Extractor) Extract(td ptrace.Traces, visit Visit) Counts {
	s := e.scratch.Get()
	counts := Counts{Spans: td.SpanCount()}
	if e.deduplicate {
		e.extractNested(td, s, visit, &counts)
	} else {
		e.extractEach(td, s, visit, &counts)
	}
	if cap(s.calls) <= maxPooledCalls {
		e.scratch.Put(s)
	}
	return counts
}

// extractEach visits every call as it is read, from one call slot.
func (e *Extractor) extractEach(td ptrace.Traces, s *scratch, visit Visit, counts *Counts) {
	if len(s.calls) == 0 {
		s.calls = make([]genai.Call, 1)
	}
	call := &s.calls[0]
	var rc genai.ResourceCache // the spans of a resource read it once
	for res, span := range genai.Spans(td) {
		if e.calls.ExtractCached(span, res, &rc, call) {
			counts.Calls++
			visit(call, span, false)
		} else {
			counts.Skipped++
		}
	}
	*call = genai.Call{} // drop the references to the batch's strings
}

// extractNested reads every span into the next free call slot, finds the
// nested duplicates among the counted calls, then visits them.
func (e *Extractor) extractNested(td ptrace.Traces, s *scratch, visit Visit, counts *Counts) {
	calls, spans := s.calls, s.spans[:0]
	m := 0                     // counted calls so far, in calls[:m]
	var rc genai.ResourceCache // the spans of a resource read it once
	for res, span := range genai.Spans(td) {
		if m == len(calls) {
			calls = grow(calls)
		}
		if e.calls.ExtractCached(span, res, &rc, &calls[m]) {
			spans = append(spans, span)
			m++
		} else {
			counts.Skipped++
		}
	}
	counts.Calls = m
	counts.Nested = s.nested.Find(calls[:m])
	for i := range m {
		visit(&calls[i], spans[i], s.nested.Dup(i))
	}
	// Drop the references to the batch before the scratch waits in the free
	// list (calls[m] may hold a partly written call).
	clear(calls[:min(m+1, len(calls))])
	clear(spans)
	s.calls, s.spans = calls, spans[:0]
}

// grow returns calls with more slots (the first ones copied).
func grow(calls []genai.Call) []genai.Call {
	bigger := make([]genai.Call, max(2*len(calls), minCalls))
	copy(bigger, calls)
	return bigger
}

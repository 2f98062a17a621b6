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
	"go.opentelemetry.io/collector/pdata/pcommon"
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
	act    genai.Activity // the activity slot of the span being read
	ev     genai.Evaluation
	tree   tree
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

// Visitor receives what ExtractAll finds in a batch. A nil func is not
// called (and, for Activity and Evaluation, what it would receive is not
// read). Every value is valid until the func returns; its strings point into
// the batch.
type Visitor struct {
	// Call is called for every counted call, as Visit.
	Call Visit
	// Activity is called for every tool and guardrail span and every
	// gen_ai.guardrail.result event as they are read (a guardrail span that
	// carries no result is visited once per result event it has, else once
	// without a result), then, after every span of the batch is read, for
	// every agent span with ModelCalls and ToolCalls set. A tentative agent
	// (genai.Activity.Tentative) is visited only when tools were offered
	// or called under it in the batch, as an agent that is not tentative.
	Activity func(a *genai.Activity, span ptrace.Span)
	// Evaluation is called for every gen_ai.evaluation.result span event,
	// with its span.
	Evaluation func(ev *genai.Evaluation, span ptrace.Span)
}

// Extract extracts the calls of td and visits each one. Without
// deduplication each call is visited as soon as its span is read; with it,
// every span of the batch is read first (so visit may change the spans),
// then the calls are visited.
func (e *Extractor) Extract(td ptrace.Traces, visit Visit) Counts {
	return e.ExtractAll(td, &Visitor{Call: visit})
}

// ExtractAll is Extract that also visits the agents, tools, guardrails and
// evaluations of td (see Visitor).
func (e *Extractor) ExtractAll(td ptrace.Traces, v *Visitor) Counts {
	s := e.scratch.Get()
	counts := Counts{Spans: td.SpanCount()}
	if e.deduplicate {
		e.extractNested(td, s, v, &counts)
	} else {
		e.extractEach(td, s, v, &counts)
	}
	s.tree.reset()
	if cap(s.calls) <= maxPooledCalls {
		e.scratch.Put(s)
	}
	return counts
}

// extractEach visits every call as it is read, from one call slot.
func (e *Extractor) extractEach(td ptrace.Traces, s *scratch, v *Visitor, counts *Counts) {
	if len(s.calls) == 0 {
		s.calls = make([]genai.Call, 1)
	}
	call := &s.calls[0]
	act := e.activitySlot(s, v)
	var rc genai.ResourceCache // the spans of a resource read it once
	for res, span := range genai.Spans(td) {
		kind := e.calls.Classify(span, res, &rc, call, act)
		if kind == genai.KindCall {
			counts.Calls++
			if act != nil {
				s.tree.addCall(call, 0)
			}
			if v.Call != nil {
				v.Call(call, span, false)
			}
		} else {
			counts.Skipped++
			if act != nil && kind != genai.KindNone {
				e.activity(s, v, kind, span)
			}
		}
		if (v.Evaluation != nil || v.Activity != nil) && span.Events().Len() != 0 {
			e.events(s, v, kind, span)
		}
	}
	*call = genai.Call{} // drop the references to the batch's strings
	if act != nil {
		s.tree.visitAgents(v.Activity, nil)
	}
}

// extractNested reads every span into the next free call slot, finds the
// nested duplicates among the counted calls, then visits them.
func (e *Extractor) extractNested(td ptrace.Traces, s *scratch, v *Visitor, counts *Counts) {
	calls, spans := s.calls, s.spans[:0]
	m := 0 // counted calls so far, in calls[:m]
	act := e.activitySlot(s, v)
	var rc genai.ResourceCache // the spans of a resource read it once
	for res, span := range genai.Spans(td) {
		if m == len(calls) {
			calls = grow(calls)
		}
		kind := e.calls.Classify(span, res, &rc, &calls[m], act)
		if kind == genai.KindCall {
			if act != nil {
				s.tree.addCall(&calls[m], m)
			}
			spans = append(spans, span)
			m++
		} else {
			counts.Skipped++
			if act != nil && kind != genai.KindNone {
				e.activity(s, v, kind, span)
			}
		}
		if (v.Evaluation != nil || v.Activity != nil) && span.Events().Len() != 0 {
			e.events(s, v, kind, span)
		}
	}
	counts.Calls = m
	counts.Nested = s.nested.Find(calls[:m])
	if v.Call != nil {
		for i := range m {
			v.Call(&calls[i], spans[i], s.nested.Dup(i))
		}
	}
	if act != nil {
		s.tree.visitAgents(v.Activity, s.nested.Dup)
	}
	// Drop the references to the batch before the scratch waits in the free
	// list (calls[m] may hold a partly written call).
	clear(calls[:min(m+1, len(calls))])
	clear(spans)
	s.calls, s.spans = calls, spans[:0]
}

// activitySlot is the activity slot of s when v visits activities, else nil
// (the spans that are no call are then not read).
func (e *Extractor) activitySlot(s *scratch, v *Visitor) *genai.Activity {
	if v.Activity == nil {
		return nil
	}
	return &s.act
}

// activity visits the tool or guardrail span in s.act, or keeps the agent
// or wrapper for the agents' counts.
func (e *Extractor) activity(s *scratch, v *Visitor, kind genai.Kind, span ptrace.Span) {
	a := &s.act
	switch kind {
	case genai.KindTool:
		s.tree.addActivity(a, span)
		v.Activity(a, span)
	case genai.KindGuardrail:
		if a.Guardrail != genai.GuardrailNone || a.Invalid&genai.InvalidGuardrailResult != 0 || !hasEvent(span, genai.EventGuardrailResult) {
			if a.Guardrail == genai.GuardrailNone && a.Invalid&genai.InvalidGuardrailResult == 0 {
				a.Invalid |= genai.InvalidGuardrailResult // neither a result nor a result event
			}
			v.Activity(a, span)
		}
	case genai.KindAgent, genai.KindWrapper:
		s.tree.addActivity(a, span)
	}
}

// events visits the evaluation and guardrail result events of span (one
// with events: the callers check, so a span without any costs no call). A
// guardrail span's result events were visited by activity when the span
// carries its own result.
func (e *Extractor) events(s *scratch, v *Visitor, kind genai.Kind, span ptrace.Span) {
	evs := span.Events()
	n := evs.Len()
	guardrailsDone := kind == genai.KindGuardrail && (s.act.Guardrail != genai.GuardrailNone || s.act.Invalid&genai.InvalidGuardrailResult != 0)
	for i := range n {
		ev := evs.At(i)
		name := ev.Name()
		switch {
		case len(name) == len(genai.EventEvaluationResult) && name == genai.EventEvaluationResult:
			if v.Evaluation != nil {
				genai.ReadEvaluation(ev.Attributes(), &s.ev)
				v.Evaluation(&s.ev, span)
			}
		case len(name) == len(genai.EventGuardrailResult) && name == genai.EventGuardrailResult:
			if v.Activity != nil && !guardrailsDone {
				var g genai.Activity
				e.calls.ReadGuardrailEvent(ev.Attributes(), &g)
				if g.Name == "" && kind == genai.KindGuardrail {
					g.Name = s.act.Name // the guardrail span names its events
				}
				g.TraceID, g.SpanID, g.ParentSpanID = span.TraceID(), span.SpanID(), span.ParentSpanID()
				v.Activity(&g, span)
			}
		}
	}
	s.ev = genai.Evaluation{}
}

// hasEvent reports whether span has an event named name.
func hasEvent(span ptrace.Span, name string) bool {
	evs := span.Events()
	for i := range evs.Len() {
		if evs.At(i).Name() == name {
			return true
		}
	}
	return false
}

// grow returns calls with more slots (the first ones copied).
func grow(calls []genai.Call) []genai.Call {
	bigger := make([]genai.Call, max(2*len(calls), minCalls))
	copy(bigger, calls)
	return bigger
}

// ReadGuardrailEvent reads a gen_ai.guardrail.result event or log record
// (genai.Extractor.ReadGuardrailEvent).
func (e *Extractor) ReadGuardrailEvent(attrs pcommon.Map, a *genai.Activity) {
	e.calls.ReadGuardrailEvent(attrs, a)
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var (
	t0      = pcommon.NewTimestampFromTime(time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC))
	tEnd    = t0 + pcommon.Timestamp(2*time.Second) // the end of a span built by mkSpan
	traceID = pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	spanID  = pcommon.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

// del removes a key from the attributes merged by chat.
type removed struct{}

var del removed

// chat returns the attributes of a minimal semconv ≥1.37 chat span, merged
// with extra (a del value removes the key).
func chat(extra map[string]any) map[string]any {
	attrs := map[string]any{
		"gen_ai.operation.name": "chat",
		"gen_ai.provider.name":  "openai",
		"gen_ai.request.model":  "gpt-4o",
	}
	for k, v := range extra {
		if _, ok := v.(removed); ok {
			delete(attrs, k)
			continue
		}
		attrs[k] = v
	}
	return attrs
}

type spanMod func(ptrace.Span, pcommon.Resource)

// mkSpan builds a span with attrs (FromRaw, so in random order), started at
// t0 and lasting 2 s, then applies mods.
func mkSpan(attrs map[string]any, mods ...spanMod) (ptrace.Span, pcommon.Resource) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("chat gpt-4o")
	span.SetTraceID(traceID)
	span.SetSpanID(spanID)
	span.SetStartTimestamp(t0)
	span.SetEndTimestamp(tEnd)
	if err := span.Attributes().FromRaw(attrs); err != nil {
		panic(err)
	}
	for _, m := range mods {
		m(span, rs.Resource())
	}
	return span, rs.Resource()
}

func withResource(attrs map[string]any) spanMod {
	return func(_ ptrace.Span, r pcommon.Resource) {
		if err := r.Attributes().FromRaw(attrs); err != nil {
			panic(err)
		}
	}
}

func withStatus(code ptrace.StatusCode, msg string) spanMod {
	return func(s ptrace.Span, _ pcommon.Resource) {
		s.Status().SetCode(code)
		s.Status().SetMessage(msg)
	}
}

func withTimes(start, end pcommon.Timestamp) spanMod {
	return func(s ptrace.Span, _ pcommon.Resource) {
		s.SetStartTimestamp(start)
		s.SetEndTimestamp(end)
	}
}

// withEvent adds an event at t0+at.
func withEvent(name string, at time.Duration, attrs map[string]any) spanMod {
	return func(s ptrace.Span, _ pcommon.Resource) {
		ev := s.Events().AppendEmpty()
		ev.SetName(name)
		ev.SetTimestamp(t0 + pcommon.Timestamp(at))
		if err := ev.Attributes().FromRaw(attrs); err != nil {
			panic(err)
		}
	}
}

// want returns the Call of the span built by mkSpan(chat(nil)), modified by mod.
func want(mod func(*Call)) Call {
	c := Call{
		Provider:     "openai",
		Operation:    "chat",
		RequestModel: "gpt-4o",
		Duration:     2,
		HasDuration:  true,
		Time:         int64(tEnd),
		TraceID:      traceID,
		SpanID:       spanID,
	}
	if mod != nil {
		mod(&c)
	}
	return c
}

// failed returns a mod for a failed call with reason r.
func failed(r Reason) func(*Call) {
	return func(c *Call) { c.Status, c.Reason = StatusError, r }
}

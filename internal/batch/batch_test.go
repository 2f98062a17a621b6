// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package batch

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

var t0 = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

// span appends one span to ss: an LLM chat call of model when model is not
// "", else a span that is no call. Ids are one byte (trace 1; parent 0: root).
func span(ss ptrace.SpanSlice, name, model string, id, parent byte) {
	sp := ss.AppendEmpty()
	sp.SetName(name)
	sp.SetTraceID(pcommon.TraceID{15: 1})
	sp.SetSpanID(pcommon.SpanID{7: id})
	if parent != 0 {
		sp.SetParentSpanID(pcommon.SpanID{7: parent})
	}
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Second)))
	if model != "" {
		sp.Attributes().PutStr("gen_ai.operation.name", "chat")
		sp.Attributes().PutStr("gen_ai.request.model", model)
	}
}

// mixed is a batch of two resources: a nested pair (run > provider), an HTTP
// span, a plain call, and a call of another model under the provider span.
func mixed() ptrace.Traces {
	td := ptrace.NewTraces()
	a := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	span(a, "run", "gpt-4o", 1, 0)
	span(a, "POST", "", 2, 1)
	span(a, "plain", "gpt-4o-mini", 3, 0)
	b := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	span(b, "provider", "gpt-4o", 4, 1)
	span(b, "embed", "text-embedding-3-small", 5, 4)
	return td
}

type visit struct {
	span, model string
	dup         bool
}

func extractAll(e *Extractor, td ptrace.Traces) ([]visit, Counts) {
	var got []visit
	counts := e.Extract(td, func(call *genai.Call, span ptrace.Span, dup bool) {
		got = append(got, visit{span.Name(), call.Model(), dup})
	})
	return got, counts
}

func TestExtract(t *testing.T) {
	t.Run("deduplicate", func(t *testing.T) {
		got, counts := extractAll(NewExtractor(genai.Options{}, true), mixed())
		assert.Equal(t, []visit{
			{"run", "gpt-4o", true},
			{"plain", "gpt-4o-mini", false},
			{"provider", "gpt-4o", false},
			{"embed", "text-embedding-3-small", false},
		}, got)
		assert.Equal(t, Counts{Spans: 5, Calls: 4, Nested: 1, Skipped: 1}, counts)
	})
	t.Run("span by span", func(t *testing.T) {
		got, counts := extractAll(NewExtractor(genai.Options{}, false), mixed())
		assert.Equal(t, []visit{
			{"run", "gpt-4o", false},
			{"plain", "gpt-4o-mini", false},
			{"provider", "gpt-4o", false},
			{"embed", "text-embedding-3-small", false},
		}, got)
		assert.Equal(t, Counts{Spans: 5, Calls: 4, Skipped: 1}, counts)
	})
	t.Run("template keys", func(t *testing.T) {
		td := mixed()
		td.ResourceSpans().At(0).Resource().Attributes().PutStr("app.prompt", "greeting")
		var templates []string
		NewExtractor(genai.Options{TemplateKeys: []string{"app.prompt"}}, false).Extract(td, func(call *genai.Call, _ ptrace.Span, _ bool) {
			templates = append(templates, call.Template)
		})
		assert.Equal(t, []string{"greeting", "greeting", "", ""}, templates)
	})
	t.Run("empty batch", func(t *testing.T) {
		for _, dedup := range []bool{true, false} {
			got, counts := extractAll(NewExtractor(genai.Options{}, dedup), ptrace.NewTraces())
			assert.Empty(t, got)
			assert.Equal(t, Counts{}, counts)
		}
	})
}

// TestExtractVisitMayChangeSpans: with deduplication every span is read
// before the first visit, so a visit that rewrites spans (the processor)
// changes no call; the calls are the same as Nested finds on its own.
func TestExtractVisitMayChangeSpans(t *testing.T) {
	td := mixed()
	spangen.Batch(300, t0).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	var want []genai.Call
	ex := genai.NewExtractor(genai.Options{})
	for res, sp := range genai.Spans(td) {
		var c genai.Call
		if ex.Extract(sp, res, &c) {
			want = append(want, c)
		}
	}
	var n genai.Nested
	nested := n.Find(want)

	var got []genai.Call
	var dups []bool
	counts := NewExtractor(genai.Options{}, true).Extract(td, func(call *genai.Call, span ptrace.Span, dup bool) {
		got = append(got, *call)
		dups = append(dups, dup)
		span.Attributes().Clear() // later calls must not see this
		span.Attributes().PutStr("gen_ai.request.model", "rewritten")
	})
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, n.Dup(i), dups[i], "call %d", i)
	}
	assert.Equal(t, Counts{Spans: 305, Calls: 304, Nested: 1, Skipped: 1}, counts)
	assert.Equal(t, 1, nested)
	for i := range got {
		assert.NotEqual(t, "rewritten", got[i].Model(), "call %d", i)
	}
}

// TestScratchReleased: after a batch the scratch holds no reference to it,
// and a scratch grown past maxPooledCalls is not kept.
func TestScratchReleased(t *testing.T) {
	e := NewExtractor(genai.Options{}, true)
	e.Extract(mixed(), func(*genai.Call, ptrace.Span, bool) {})
	s := e.scratch.Get()
	require.Len(t, s.calls, minCalls)
	for i := range s.calls {
		require.Equal(t, genai.Call{}, s.calls[i], "slot %d", i)
	}
	assert.Empty(t, s.spans)
	for _, sp := range s.spans[:cap(s.spans)] {
		assert.Equal(t, ptrace.Span{}, sp)
	}
	e.scratch.Put(s)

	big := spangen.Batch(maxPooledCalls+1, t0)
	counts := e.Extract(big, func(*genai.Call, ptrace.Span, bool) {})
	assert.Equal(t, maxPooledCalls+1, counts.Calls)
	assert.Zero(t, cap(e.scratch.Get().calls), "the grown scratch went back to the GC")

	each := NewExtractor(genai.Options{}, false)
	each.Extract(mixed(), func(*genai.Call, ptrace.Span, bool) {})
	s = each.scratch.Get()
	require.Len(t, s.calls, 1, "span by span needs one slot")
	assert.Equal(t, genai.Call{}, s.calls[0])
}

// emptySpans returns calls LLM calls followed by n empty spans (no ids, no
// attributes): what a hostile client sends to make the collector allocate.
func emptySpans(calls, n int) ptrace.Traces {
	td := spangen.Batch(calls, t0)
	ss := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	ss.EnsureCapacity(calls + n)
	for range n {
		ss.AppendEmpty()
	}
	return td
}

// allocated returns the bytes allocated by f.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestMemoryProportionalToCalls: a batch of 500,000 spans that are no LLM
// calls around 10 calls costs a fresh Extractor what the 10 calls alone cost
// (the scratch grows with the calls, never with the spans), and a reused one
// nothing at all.
func TestMemoryProportionalToCalls(t *testing.T) {
	small, bomb := emptySpans(10, 0), emptySpans(10, 500_000)
	for _, dedup := range []bool{true, false} {
		t.Run(fmt.Sprintf("deduplicate=%v", dedup), func(t *testing.T) {
			visit := func(*genai.Call, ptrace.Span, bool) {}
			var counts Counts
			base := allocated(func() { NewExtractor(genai.Options{}, dedup).Extract(small, visit) })
			withBomb := allocated(func() { counts = NewExtractor(genai.Options{}, dedup).Extract(bomb, visit) })
			assert.Equal(t, Counts{Spans: 500_010, Calls: 10, Skipped: 500_000}, counts)
			assert.Less(t, base, uint64(64<<10), "10 calls")
			// Other goroutines (the runtime's, the test framework's) may
			// allocate in between: a few KB of slack, against the 108 MB
			// (500,000 slots of 216 bytes) a call slot per span cost.
			assert.Less(t, withBomb, base+8<<10, "500,000 more spans: %d bytes, 10 calls alone %d", withBomb, base)

			e := NewExtractor(genai.Options{}, dedup)
			e.Extract(bomb, visit)
			assert.Zero(t, testing.AllocsPerRun(3, func() { e.Extract(bomb, visit) }))
		})
	}
}

// TestExtractConcurrent: one Extractor, batches extracted at once (run with
// -race); each batch gets its own scratch.
func TestExtractConcurrent(t *testing.T) {
	e := NewExtractor(genai.Options{}, true)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				n := 1 + (g*50+i)%200
				counts := e.Extract(spangen.Batch(n, t0), func(call *genai.Call, _ ptrace.Span, dup bool) {
					if dup || call.Operation == "" {
						t.Errorf("batch of %d: unexpected call %+v (dup %v)", n, call, dup)
					}
				})
				if counts != (Counts{Spans: n, Calls: n}) {
					t.Errorf("batch of %d: %+v", n, counts)
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkExtractSpanBomb: a fresh Extractor per batch, so B/op is the
// scratch a batch makes grow: the same with 0 or 500,000 spans that are no
// LLM calls around 100 calls.
func BenchmarkExtractSpanBomb(b *testing.B) {
	for _, empty := range []int{0, 10_000, 500_000} {
		td := emptySpans(100, empty)
		for _, dedup := range []bool{true, false} {
			b.Run(fmt.Sprintf("empty_spans=%d/deduplicate=%v", empty, dedup), func(b *testing.B) {
				visit := func(*genai.Call, ptrace.Span, bool) {}
				b.ReportAllocs()
				for b.Loop() {
					NewExtractor(genai.Options{}, dedup).Extract(td, visit)
				}
			})
		}
	}
}

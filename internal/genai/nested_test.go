// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// nestSpan is one span of a nested-call test batch. Ids are one byte: trace
// t, span s, parent p (0: root); rs and ss choose the ResourceSpans and
// ScopeSpans it is appended to (created as needed).
type nestSpan struct {
	name    string
	t, s, p byte
	attrs   map[string]any
	rs, ss  int
}

func nestTrace(t byte) pcommon.TraceID { return pcommon.TraceID{0x7e, 15: t} }
func nestID(s byte) pcommon.SpanID     { return pcommon.SpanID{0x5b, 7: s} }

func nestBatch(tb testing.TB, spans ...nestSpan) ptrace.Traces {
	tb.Helper()
	td := ptrace.NewTraces()
	for _, sp := range spans {
		for td.ResourceSpans().Len() <= sp.rs {
			td.ResourceSpans().AppendEmpty()
		}
		sss := td.ResourceSpans().At(sp.rs).ScopeSpans()
		for sss.Len() <= sp.ss {
			sss.AppendEmpty()
		}
		s := sss.At(sp.ss).Spans().AppendEmpty()
		s.SetName(sp.name)
		s.SetTraceID(nestTrace(sp.t))
		s.SetSpanID(nestID(sp.s))
		if sp.p != 0 {
			s.SetParentSpanID(nestID(sp.p))
		}
		s.SetStartTimestamp(t0)
		s.SetEndTimestamp(t0 + 1e9)
		require.NoError(tb, s.Attributes().FromRaw(sp.attrs))
	}
	return td
}

// extractBatch extracts every counted span of td, in batch order, and the
// names of their spans.
func extractBatch(td ptrace.Traces) (calls []Call, names []string) {
	e := NewExtractor(Options{})
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				var c Call
				if e.Extract(span, rs.Resource(), &c) {
					calls = append(calls, c)
					names = append(names, span.Name())
				}
			}
		}
	}
	return calls, names
}

// countedAfterNested runs Nested on the counted spans of td and returns the
// names of the spans still counted.
func countedAfterNested(tb testing.TB, n *Nested, td ptrace.Traces) []string {
	tb.Helper()
	calls, names := extractBatch(td)
	found := n.Find(calls)
	var kept []string
	for i := range calls {
		if !n.Dup(i) {
			kept = append(kept, names[i])
		}
	}
	require.Len(tb, kept, len(calls)-found, "Find's count matches the Dup marks")
	return kept
}

func llmAttrs(op, model string) map[string]any {
	a := map[string]any{"gen_ai.operation.name": op, "gen_ai.provider.name": "openai"}
	if model != "" {
		a["gen_ai.request.model"] = model
	}
	return a
}

func TestNested(t *testing.T) {
	chat4o := llmAttrs(OpChat, "gpt-4o")
	langsmith := map[string]any{"langsmith.span.kind": "llm", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}
	agent := map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "gpt-4o"}
	http := map[string]any{"http.request.method": "POST", "server.address": "api.openai.com"}
	cases := []struct {
		name  string
		spans []nestSpan
		want  []string
	}{
		{"parent and child", []nestSpan{
			{name: "run", t: 1, s: 1, attrs: langsmith},
			{name: "provider", t: 1, s: 2, p: 1, attrs: chat4o},
		}, []string{"provider"}},
		{"child listed before its parent", []nestSpan{
			{name: "provider", t: 1, s: 2, p: 1, attrs: chat4o},
			{name: "run", t: 1, s: 1, attrs: langsmith},
		}, []string{"provider"}},
		{"chain of three", []nestSpan{
			{name: "outer", t: 1, s: 1, attrs: chat4o},
			{name: "middle", t: 1, s: 2, p: 1, attrs: langsmith},
			{name: "inner", t: 1, s: 3, p: 2, attrs: chat4o},
		}, []string{"inner"}},
		{"chain of three, innermost first", []nestSpan{
			{name: "inner", t: 1, s: 3, p: 2, attrs: chat4o},
			{name: "middle", t: 1, s: 2, p: 1, attrs: chat4o},
			{name: "outer", t: 1, s: 1, attrs: chat4o},
		}, []string{"inner"}},
		{"different model", []nestSpan{
			{name: "router", t: 1, s: 1, attrs: chat4o},
			{name: "fallback", t: 1, s: 2, p: 1, attrs: llmAttrs(OpChat, "claude-sonnet-4-5")},
		}, []string{"router", "fallback"}},
		{"different operation", []nestSpan{
			{name: "rag chat", t: 1, s: 1, attrs: chat4o},
			{name: "embed query", t: 1, s: 2, p: 1, attrs: llmAttrs(OpEmbeddings, "gpt-4o")},
		}, []string{"rag chat", "embed query"}},
		{"no model on the parent", []nestSpan{
			{name: "outer", t: 1, s: 1, attrs: llmAttrs(OpEmbeddings, "")},
			{name: "inner", t: 1, s: 2, p: 1, attrs: llmAttrs(OpEmbeddings, "text-embedding-3-small")},
		}, []string{"inner"}},
		{"no model on the child", []nestSpan{
			{name: "outer", t: 1, s: 1, attrs: llmAttrs(OpEmbeddings, "text-embedding-3-small")},
			{name: "inner", t: 1, s: 2, p: 1, attrs: llmAttrs(OpEmbeddings, "")},
		}, []string{"inner"}},
		{"request model of one, response model of the other", []nestSpan{
			{name: "run", t: 1, s: 1, attrs: map[string]any{"gen_ai.operation.name": "chat", "gen_ai.response.model": "gpt-4o"}},
			{name: "provider", t: 1, s: 2, p: 1, attrs: map[string]any{
				"gen_ai.operation.name": "chat",
				"gen_ai.request.model":  "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
			}},
		}, []string{"provider"}},
		{"same span id in another trace", []nestSpan{
			{name: "trace 1 root", t: 1, s: 1, attrs: chat4o},
			{name: "trace 2 child of span 1", t: 2, s: 2, p: 1, attrs: chat4o},
		}, []string{"trace 1 root", "trace 2 child of span 1"}},
		{"child in another ResourceSpans", []nestSpan{
			{name: "run", t: 1, s: 1, attrs: langsmith},
			{name: "provider", t: 1, s: 2, p: 1, attrs: chat4o, rs: 1},
		}, []string{"provider"}},
		{"child in another ScopeSpans", []nestSpan{
			{name: "run", t: 1, s: 1, attrs: langsmith},
			{name: "provider", t: 1, s: 2, p: 1, attrs: chat4o, ss: 1},
		}, []string{"provider"}},
		{"parent without its child", []nestSpan{
			{name: "run", t: 1, s: 1, attrs: langsmith},
		}, []string{"run"}},
		{"child without its parent", []nestSpan{
			{name: "provider", t: 1, s: 2, p: 1, attrs: chat4o},
		}, []string{"provider"}},
		{"two children (a retry) of one parent", []nestSpan{
			{name: "run", t: 1, s: 1, attrs: langsmith},
			{name: "attempt 1", t: 1, s: 2, p: 1, attrs: chat4o},
			{name: "attempt 2", t: 1, s: 3, p: 1, attrs: chat4o},
		}, []string{"attempt 1", "attempt 2"}},
		{"siblings are not nested", []nestSpan{
			{name: "agent", t: 1, s: 1, attrs: agent},
			{name: "call 1", t: 1, s: 2, p: 1, attrs: chat4o},
			{name: "call 2", t: 1, s: 3, p: 1, attrs: chat4o},
		}, []string{"call 1", "call 2"}},
		{"a span that is not a call in between", []nestSpan{
			{name: "run", t: 1, s: 1, attrs: langsmith},
			{name: "POST", t: 1, s: 2, p: 1, attrs: http},
			{name: "provider", t: 1, s: 3, p: 2, attrs: chat4o},
		}, []string{"run", "provider"}},
		{"a span that is its own parent", []nestSpan{
			{name: "loop", t: 1, s: 1, p: 1, attrs: chat4o},
		}, []string{"loop"}},
		{"a span that is its own parent, with a child", []nestSpan{
			{name: "loop", t: 1, s: 1, p: 1, attrs: chat4o},
			{name: "child", t: 1, s: 2, p: 1, attrs: chat4o},
		}, []string{"child"}},
		{"two spans that are each other's parent", []nestSpan{
			{name: "a", t: 1, s: 1, p: 2, attrs: chat4o},
			{name: "b", t: 1, s: 2, p: 1, attrs: chat4o},
		}, []string{"a"}},
		{"two spans that are each other's parent, listed the other way", []nestSpan{
			{name: "b", t: 1, s: 2, p: 1, attrs: chat4o},
			{name: "a", t: 1, s: 1, p: 2, attrs: chat4o},
		}, []string{"b"}},
		{"a loop of three", []nestSpan{
			{name: "a", t: 1, s: 1, p: 3, attrs: chat4o},
			{name: "b", t: 1, s: 2, p: 1, attrs: langsmith},
			{name: "c", t: 1, s: 3, p: 2, attrs: chat4o},
		}, []string{"a"}},
		{"a loop of three, listed from its middle", []nestSpan{
			{name: "b", t: 1, s: 2, p: 1, attrs: langsmith},
			{name: "c", t: 1, s: 3, p: 2, attrs: chat4o},
			{name: "a", t: 1, s: 1, p: 3, attrs: chat4o},
		}, []string{"b"}},
		{"a loop of five beside a pair", []nestSpan{
			{name: "l1", t: 1, s: 1, p: 5, attrs: chat4o},
			{name: "run", t: 2, s: 1, attrs: langsmith},
			{name: "l2", t: 1, s: 2, p: 1, attrs: chat4o},
			{name: "l3", t: 1, s: 3, p: 2, attrs: chat4o},
			{name: "provider", t: 2, s: 2, p: 1, attrs: chat4o},
			{name: "l4", t: 1, s: 4, p: 3, attrs: chat4o},
			{name: "l5", t: 1, s: 5, p: 4, attrs: chat4o},
		}, []string{"l1", "provider"}},
		{"a loop of two under another model: no duplicate", []nestSpan{
			{name: "a", t: 1, s: 1, p: 2, attrs: chat4o},
			{name: "b", t: 1, s: 2, p: 1, attrs: llmAttrs(OpChat, "claude-sonnet-4-5")},
		}, []string{"a", "b"}},
		// A child of a loop span that marks it before the loop closes: the
		// loop is a chain under it, and only the child counts.
		{"a child of a loop, listed first", []nestSpan{
			{name: "tail", t: 1, s: 3, p: 1, attrs: chat4o},
			{name: "a", t: 1, s: 1, p: 2, attrs: chat4o},
			{name: "b", t: 1, s: 2, p: 1, attrs: chat4o},
		}, []string{"tail"}},
		// Listed last, the child finds its parent marked by the loop: the
		// loop counts once, and the child once.
		{"a child of a loop, listed last", []nestSpan{
			{name: "a", t: 1, s: 1, p: 2, attrs: chat4o},
			{name: "b", t: 1, s: 2, p: 1, attrs: chat4o},
			{name: "tail", t: 1, s: 3, p: 1, attrs: chat4o},
		}, []string{"a", "tail"}},
		{"several pairs in one batch", []nestSpan{
			{name: "run A", t: 1, s: 1, attrs: langsmith},
			{name: "run B", t: 2, s: 1, attrs: langsmith},
			{name: "provider B", t: 2, s: 2, p: 1, attrs: chat4o},
			{name: "plain C", t: 3, s: 1, attrs: chat4o},
			{name: "provider A", t: 1, s: 2, p: 1, attrs: chat4o},
		}, []string{"provider B", "plain C", "provider A"}},
	}
	var n Nested // reused across cases, as the components do
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, countedAfterNested(t, &n, nestBatch(t, tc.spans...)))
		})
	}
}

// TestNestedFixtures: the golden fixtures count span by span (TestGolden);
// Nested leaves one call where one request was recorded by two nested spans,
// the child's, and changes nothing in the other fixtures.
func TestNestedFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string // span ids counted after Nested; nil: the same as span by span
	}{
		{"langsmith_with_openai_v2.json", []string{"9b00000000000002"}}, // the openai-v2 span under the LangSmith llm run
		{"vercel_ai_v7_embed.json", []string{"4d00000000000002"}},       // the inner embeddings span, with the tokens
		{"langfuse_v3.json", nil},
		{"langsmith_otel.json", nil},
		{"litellm_v1.json", nil},
		{"openinference_2025.json", nil},
		{"openllmetry_2023.json", nil},
		{"openllmetry_v0_53.json", nil},
		{"semantic_kernel_2025.json", nil},
		{"semconv_1_36.json", nil},
		{"semconv_1_41.json", nil},
		{"spring_ai_1_0.json", nil},
		{"vercel_ai_v4.json", nil},
		{"vercel_ai_v6.json", nil},
		{"vercel_ai_v7.json", nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + tc.file)
			require.NoError(t, err)
			td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
			require.NoError(t, err)
			calls, _ := extractBatch(td)
			var all, kept []string
			var n Nested
			n.Find(calls)
			for i := range calls {
				all = append(all, calls[i].SpanID.String())
				if !n.Dup(i) {
					kept = append(kept, calls[i].SpanID.String())
				}
			}
			want := tc.want
			if want == nil {
				want = all
			} else {
				require.Len(t, all, 2, "span by span, both spans count")
			}
			assert.Equal(t, want, kept)
		})
	}
}

// referenceNested is the rule written the plain way, with a Go map: a call
// marks its parent when the parent is not marked yet; then in every loop of
// marks (spans that are each other's parent) the call of the loop that comes
// first in the batch is unmarked.
func referenceNested(calls []Call) (dup []bool, loops int) {
	type key struct {
		t pcommon.TraceID
		s pcommon.SpanID
	}
	index := map[key]int{}
	for i, c := range calls {
		if _, ok := index[key{c.TraceID, c.SpanID}]; !ok {
			index[key{c.TraceID, c.SpanID}] = i
		}
	}
	dup = make([]bool, len(calls))
	up := map[int]int{} // the parent each call marked
	for i, c := range calls {
		if c.ParentSpanID.IsEmpty() {
			continue
		}
		p, ok := index[key{c.TraceID, c.ParentSpanID}]
		if !ok || p == i || dup[p] {
			continue
		}
		pm, cm := calls[p].Model(), c.Model()
		if calls[p].Operation == c.Operation && (pm == "" || cm == "" || pm == cm) {
			dup[p] = true
			up[i] = p
		}
	}
	var first []int // the first call of each loop
	for i := range calls {
		loop := []int{i}
		for j, ok := up[i]; ok && j != i && len(loop) <= len(calls); j, ok = up[j] {
			loop = append(loop, j)
		}
		if j, ok := up[loop[len(loop)-1]]; ok && j == i && slices.Min(loop) == i {
			first = append(first, i)
		}
	}
	for _, i := range first {
		dup[i] = false
	}
	return dup, len(first)
}

// TestNestedMatchesReference compares Nested with referenceNested on random
// batches of random sizes (one Nested reused, so the table grows, is reused
// at smaller sizes and changes generation), with ids drawn from small sets so
// that parents, collisions of span ids across traces, duplicates and
// self-parents and loops all occur.
func TestNestedMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ops := []string{OpChat, OpEmbeddings}
	models := []string{"", "gpt-4o", "gpt-4o-mini"}
	var n Nested
	marked, loops := 0, 0
	for round := range 2000 {
		if round == 1000 {
			n.gen = math.MaxUint32 - 3 // the generation wraps within the next rounds
		}
		size := rng.IntN(300)
		calls := make([]Call, size)
		for i := range calls {
			c := &calls[i]
			c.TraceID = pcommon.TraceID{15: byte(rng.IntN(4))}
			c.SpanID = pcommon.SpanID{7: byte(1 + rng.IntN(size/2+1))}
			if rng.IntN(4) != 0 {
				c.ParentSpanID = pcommon.SpanID{7: byte(1 + rng.IntN(size/2+1))}
			}
			c.Operation = ops[rng.IntN(len(ops))]
			c.RequestModel = models[rng.IntN(len(models))]
		}
		want, l := referenceNested(calls)
		loops += l
		found := n.Find(calls)
		got := make([]bool, size)
		count := 0
		for i := range calls {
			got[i] = n.Dup(i)
			if got[i] {
				count++
			}
		}
		require.Equal(t, want, got, "round %d, %d calls", round, size)
		require.Equal(t, count, found, "round %d", round)
		marked += found
	}
	assert.Greater(t, marked, 10000, "the random batches exercise the rule")
	assert.Greater(t, loops, 50, "and hold loops of spans that are each other's parent")
}

// nestedBenchCalls is a batch of 100 counted calls: 30 framework spans, each
// with its provider child (listed after it), and 40 calls without a nested
// duplicate, all with parents (an agent or workflow span outside the calls).
func nestedBenchCalls() []Call {
	calls := make([]Call, 0, 100)
	for i := range 30 {
		tid := pcommon.TraceID{1, 2, 3, byte(i)}
		calls = append(calls,
			Call{Operation: OpChat, RequestModel: "gpt-4o", TraceID: tid, SpanID: pcommon.SpanID{9, byte(i), 1}, ParentSpanID: pcommon.SpanID{9, byte(i)}},
			Call{Operation: OpChat, RequestModel: "gpt-4o", TraceID: tid, SpanID: pcommon.SpanID{9, byte(i), 2}, ParentSpanID: pcommon.SpanID{9, byte(i), 1}})
	}
	for i := range 40 {
		calls = append(calls, Call{
			Operation: OpChat, RequestModel: "gpt-4o-mini", TraceID: pcommon.TraceID{4, 5, byte(i)},
			SpanID: pcommon.SpanID{8, byte(i), 1}, ParentSpanID: pcommon.SpanID{8, byte(i)},
		})
	}
	return calls
}

func TestNestedNoAllocs(t *testing.T) {
	calls := nestedBenchCalls()
	var n Nested
	require.Equal(t, 30, n.Find(calls))
	assert.Zero(t, testing.AllocsPerRun(100, func() { n.Find(calls) }))
	// A smaller batch reuses the table.
	assert.Zero(t, testing.AllocsPerRun(100, func() { n.Find(calls[:10]) }))
	assert.Equal(t, 5, n.Find(calls[:10]))
}

// BenchmarkNested measures Find on a 100-call batch, per call.
func BenchmarkNested(b *testing.B) {
	for _, bc := range []struct {
		name  string
		calls []Call
	}{
		{"nested_pairs", nestedBenchCalls()},
		{"roots_only", slices.Collect(func(yield func(Call) bool) {
			for _, c := range nestedBenchCalls() {
				c.ParentSpanID = pcommon.SpanID{}
				if !yield(c) {
					return
				}
			}
		})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n Nested
			n.Find(bc.calls)
			b.ReportAllocs()
			for b.Loop() {
				n.Find(bc.calls)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bc.calls)), "ns/call")
		})
	}
}

// TestNestedInherits: the counted call under nested duplicates takes the
// template, model and provider it lacks from them, nearest first, and keeps
// its own values.
func TestNestedInherits(t *testing.T) {
	with := func(op, model string, extra map[string]any) map[string]any {
		a := llmAttrs(op, model)
		for k, v := range extra {
			if v == nil {
				delete(a, k)
			} else {
				a[k] = v
			}
		}
		return a
	}
	td := nestBatch(t,
		// Trace 1: a chain of three; the middle span names a template, the
		// top one another; the innermost names neither template nor model.
		nestSpan{name: "top", t: 1, s: 1, attrs: with("chat", "gpt-4o", map[string]any{"llm.template": "outer"})},
		nestSpan{name: "middle", t: 1, s: 2, p: 1, attrs: with("chat", "", map[string]any{"llm.template": "inner", "gen_ai.provider.name": "anthropic"})},
		nestSpan{name: "leaf", t: 1, s: 3, p: 2, attrs: with("chat", "", map[string]any{"gen_ai.provider.name": nil})},
		// Trace 2: the child has its own template: it keeps it.
		nestSpan{name: "parent", t: 2, s: 1, attrs: with("chat", "gpt-4o", map[string]any{"llm.template": "theirs"})},
		nestSpan{name: "child", t: 2, s: 2, p: 1, attrs: with("chat", "gpt-4o", map[string]any{"llm.template": "mine"})},
		// Trace 3: different models: no duplicate, nothing inherited.
		nestSpan{name: "p3", t: 3, s: 1, attrs: with("chat", "gpt-4o", map[string]any{"llm.template": "t3"})},
		nestSpan{name: "c3", t: 3, s: 2, p: 1, attrs: with("chat", "claude", nil)},
	)
	calls, names := extractBatch(td)
	var n Nested
	require.Equal(t, 3, n.Find(calls))
	got := map[string]*Call{}
	for i := range calls {
		if !n.Dup(i) {
			got[names[i]] = &calls[i]
		}
	}
	require.Len(t, got, 4)
	assert.Equal(t, "inner", got["leaf"].Template, "nearest duplicate first")
	assert.Equal(t, "gpt-4o", got["leaf"].Model(), "from the top span: the middle one has none")
	assert.Equal(t, "anthropic", got["leaf"].Provider, "nearest duplicate first")
	assert.Equal(t, "mine", got["child"].Template)
	assert.Empty(t, got["c3"].Template)
	assert.Equal(t, "claude", got["c3"].Model())
}

// TestNestedLoopInherits: the call kept in a loop of spans that are each
// other's parent takes what it lacks from the other calls of the loop, nearest
// first, and the loop counts once (found counts the others).
func TestNestedLoopInherits(t *testing.T) {
	td := nestBatch(t,
		nestSpan{name: "a", t: 1, s: 1, p: 3, attrs: llmAttrs(OpChat, "")},
		nestSpan{name: "b", t: 1, s: 2, p: 1, attrs: map[string]any{"gen_ai.operation.name": "chat", "llm.template": "near"}},
		nestSpan{name: "c", t: 1, s: 3, p: 2, attrs: map[string]any{
			"gen_ai.operation.name": "chat", "llm.template": "far",
			"gen_ai.request.model": "gpt-4o",
		}},
	)
	calls, names := extractBatch(td)
	var n Nested
	require.Equal(t, 2, n.Find(calls))
	require.Equal(t, []string{"a", "b", "c"}, names)
	assert.Equal(t, []bool{false, true, true}, []bool{n.Dup(0), n.Dup(1), n.Dup(2)})
	assert.Equal(t, "far", calls[0].Template, "a's parent is c")
	assert.Equal(t, "gpt-4o", calls[0].Model())
	assert.Equal(t, "openai", calls[0].Provider, "its own")
}

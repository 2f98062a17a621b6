// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// fuzzKeys are the keys the fuzzer picks from most of the time, so that it
// reaches every source; it also uses arbitrary keys.
var fuzzKeys = []string{
	"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system", "gen_ai.request.model",
	"gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
	"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "gen_ai.usage.cache_read.input_tokens",
	"gen_ai.usage.reasoning.output_tokens", "gen_ai.request.stream", "gen_ai.response.time_to_first_chunk",
	"gen_ai.client.operation.time_to_first_chunk", "gen_ai.usage.cost", "gen_ai.response.finish_reasons",
	"error.type", "error.code", "http.response.status_code", "llm.template", "gen_ai.prompt.name",
	// Other dialects.
	"llm.request.type", "openinference.span.kind", "ai.operationId", "langsmith.span.kind", "langfuse.observation.type",
	"traceloop.span.kind", "llm.invocation_parameters", "llm.model_name", "ai.model.provider", "ai.response.msToFirstChunk",
	"gen_ai.server.time_to_first_token", "langfuse.observation.completion_start_time", "langfuse.observation.usage_details",
	"langfuse.observation.cost_details", "langfuse.observation.level", "gen_ai.response.prompt_tokens", "llm.is_streaming",
	"gen_ai.response.finish_reason", "error.message", "gen_ai.usage.cache_creation.input_tokens",
}

var fuzzStrings = []string{
	"chat", "embeddings", "invoke_agent", "openai", "OpenAI", "true", "false", "42", "-1", "1e400", "content_filter", "RateLimitError", "<class 'x'>", "429",
	"LLM", "CHAIN", "ai.streamText.doStream", "ai.streamText", "generation", "ERROR", "none", "openai.chat", "chat.streaming_completions",
	`{"model": "gpt-4o", "stream": true}`, `{"input": 10, "output": "5"}`, `"2026-08-01T12:00:00.5+00:00"`, "True", "workflow", "Anthropic", // an odd count: str() reaches every string
}

// buildFuzzSpan interprets prog as a list of instructions building a span.
func buildFuzzSpan(prog []byte, s1, s2 string, i int64, d float64, start, end, evTS uint64) (ptrace.Span, pcommon.Resource) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetStartTimestamp(pcommon.Timestamp(start))
	span.SetEndTimestamp(pcommon.Timestamp(end))
	next := func() byte {
		if len(prog) == 0 {
			return 0
		}
		b := prog[0]
		prog = prog[1:]
		return b
	}
	str := func(b byte) string {
		switch b % 4 {
		case 0:
			return s1
		case 1:
			return s2
		default:
			return fuzzStrings[int(b)%len(fuzzStrings)]
		}
	}
	for len(prog) > 0 {
		op := next()
		arg := next()
		key := fuzzKeys[int(arg)%len(fuzzKeys)]
		if arg >= 240 {
			key = str(arg)
		}
		attrs := span.Attributes()
		switch op % 12 {
		case 0:
			attrs.PutStr(key, str(next()))
		case 1:
			attrs.PutInt(key, i)
		case 2:
			attrs.PutDouble(key, d)
		case 3:
			attrs.PutBool(key, arg%2 == 0)
		case 4:
			sl := attrs.PutEmptySlice(key)
			sl.AppendEmpty().SetStr(str(next()))
			sl.AppendEmpty().SetInt(i)
		case 5:
			attrs.PutEmptyMap(key).PutStr(s1, s2)
		case 6:
			attrs.PutEmpty(key)
		case 7:
			attrs.PutEmptyBytes(key).FromRaw([]byte(s1))
		case 8, 9:
			ev := span.Events().AppendEmpty()
			switch arg % 4 {
			case 0:
				ev.SetName("exception")
			case 1:
				ev.SetName(chunkEvents[int(arg/4)%len(chunkEvents)])
			default:
				ev.SetName(str(arg))
			}
			ev.SetTimestamp(pcommon.Timestamp(evTS + uint64(next())*1e6))
			ev.Attributes().PutStr("exception.type", str(next()))
			ev.Attributes().PutStr("exception.message", s2)
		case 10:
			span.Status().SetCode(ptrace.StatusCode(arg % 4))
			span.Status().SetMessage(str(next()))
		case 11:
			rs.Resource().Attributes().PutStr(key, str(next()))
		}
	}
	return span, rs.Resource()
}

func FuzzExtract(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 2, 1, 5, 1, 7, 2, 19, 3}, "chat", "gpt-4o", int64(12), 0.25, uint64(1e18), uint64(1e18+2e9), uint64(1e18+3e8))
	f.Add([]byte{0, 0, 0, 0, 1, 5, 1, 6, 3, 11, 2, 12, 8, 1, 7}, "chat", "x", int64(-3), math.NaN(), uint64(5), uint64(4), uint64(0))
	f.Add([]byte{0, 0, 0, 10, 2, 1, 0, 16, 12, 4, 15, 10, 8, 0, 0, 2, 9, 2, 10}, "text_completion", "maximum context length", int64(429), math.Inf(1), uint64(1e18), uint64(1e18+1), uint64(1e18))
	f.Add([]byte{0, 0, 0, 0, 19, 0, 243, 1, 4, 15, 9, 5, 16, 0, 7, 16, 6, 19}, "embeddings", "\xff\xfe", int64(1e12), 1e300, uint64(0), uint64(0), uint64(1))
	f.Add([]byte{}, "", "", int64(0), 0.0, uint64(0), uint64(0), uint64(0))
	for _, seed := range dialectSeeds() {
		f.Add(seed, "ai.generateText.doGenerate", `{"model": "gpt-4o", "stream": true, "tools": [{"x": "}"}]}`, int64(-1), 0.41, uint64(1e18), uint64(1e18+2e9), uint64(1e18+4e8))
	}

	e := NewExtractor(Options{TemplateKeys: []string{"llm.template", "gen_ai.prompt.name", "error.type"}})
	f.Fuzz(func(t *testing.T, prog []byte, s1, s2 string, i int64, d float64, start, end, evTS uint64) {
		span, res := buildFuzzSpan(prog, s1, s2, i, d, start, end, evTS)
		var c Call
		if !e.Extract(span, res, &c) {
			return
		}
		checkCallInvariants(t, &c)
	})
}

// dialectSeeds are fuzz programs (see buildFuzzSpan) that write spans of the
// other dialects: Vercel, OpenInference, Langfuse, Semantic Kernel, OpenLIT.
func dialectSeeds() [][]byte {
	key := func(k string) byte { return byte(slices.Index(fuzzKeys, k)) }
	val := func(v string) byte { // a byte that str() maps to v
		for b := 2; b < 256; b++ {
			if b%4 > 1 && fuzzStrings[b%len(fuzzStrings)] == v {
				return byte(b)
			}
		}
		panic(v)
	}
	const putStr, putInt, putDouble, event = 0, 1, 2, 8
	return [][]byte{
		{ // Vercel doStream: operation from s1, provider, ms TTFT, tokens, first-chunk event
			putStr, key("ai.operationId"), 0, putStr, key("ai.model.provider"), val("openai.chat"),
			putDouble, key("ai.response.msToFirstChunk"), putInt, key("gen_ai.usage.input_tokens"), event, 4*3 + 1, 3,
		},
		{ // OpenInference LLM span: invocation parameters from s2, First Token Stream Event
			putStr, key("openinference.span.kind"), val("LLM"), putStr, key("llm.invocation_parameters"), 1,
			putStr, key("llm.model_name"), 0, event, 4*2 + 1, 5,
		},
		{ // Langfuse generation: usage JSON, completion start time, level ERROR
			putStr, key("langfuse.observation.type"), val("generation"), putStr, key("langfuse.observation.usage_details"), val(`{"input": 10, "output": "5"}`),
			putStr, key("langfuse.observation.completion_start_time"), val(`"2026-08-01T12:00:00.5+00:00"`), putStr, key("langfuse.observation.level"), val("ERROR"),
		},
		{ // Semantic Kernel streaming call with -1 tokens
			putStr, key("gen_ai.operation.name"), val("chat.streaming_completions"), putInt, key("gen_ai.response.prompt_tokens"),
			putStr, key("gen_ai.response.finish_reason"), val("content_filter"),
		},
		{ // OpenLIT: server TTFT with a stream flag from the fuzzer
			putStr, key("gen_ai.operation.name"), val("chat"), putDouble, key("gen_ai.server.time_to_first_token"), putStr, key("llm.is_streaming"), val("True"),
		},
	}
}

func checkCallInvariants(t *testing.T, c *Call) {
	t.Helper()
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	switch c.Operation {
	case OpChat, OpTextCompletion, OpGenerateContent, OpEmbeddings:
	default:
		t.Fatalf("operation %q", c.Operation)
	}
	if asciiLower(c.Provider) != c.Provider {
		t.Fatalf("provider %q not lower case", c.Provider)
	}
	if !finite(c.Duration) || c.Duration < 0 || c.Duration > maxSeconds || (!c.HasDuration && c.Duration != 0) {
		t.Fatalf("duration %v (has %v)", c.Duration, c.HasDuration)
	}
	if !finite(c.TTFT) || c.TTFT < 0 || (!c.HasTTFT && c.TTFT != 0) || (c.HasDuration && c.TTFT > c.Duration) {
		t.Fatalf("ttft %v (has %v), duration %v", c.TTFT, c.HasTTFT, c.Duration)
	}
	if c.HasTTFT && !c.Streamed {
		t.Fatal("TTFT on a non-streamed call")
	}
	if !finite(c.Cost) || c.Cost < 0 || (!c.HasCost && c.Cost != 0) {
		t.Fatalf("cost %v", c.Cost)
	}
	for _, tok := range []struct {
		n   int64
		has bool
	}{
		{c.InputTokens, c.HasInputTokens},
		{c.OutputTokens, c.HasOutputTokens},
		{c.CachedInputTokens, c.HasCachedInput},
		{c.CacheCreationInputTokens, c.HasCacheCreation},
		{c.ReasoningTokens, c.HasReasoning},
	} {
		if tok.n < 0 || tok.n > maxTokens || (!tok.has && tok.n != 0) {
			t.Fatalf("tokens %d (has %v)", tok.n, tok.has)
		}
	}
	if (c.Status == StatusSuccess) != (c.Reason == ReasonNone) || c.Status >= NumStatuses || c.Reason >= NumReasons {
		t.Fatalf("status %d reason %d", c.Status, c.Reason)
	}
	if c.Invalid >= 1<<numInvalid {
		t.Fatalf("invalid %b", c.Invalid)
	}
}

// TestExtractHostileSpans: shapes that a fuzzer reaches slowly (many
// events, huge strings, wrong types everywhere) next to valid fields. The
// call counts once, every valid field exactly, every hostile one as absent or
// invalid as the rules say, and the call's invariants hold.
func TestExtractHostileSpans(t *testing.T) {
	e := NewExtractor(Options{})
	huge := string(make([]byte, 4<<20)) // 4 MiB of NUL bytes
	check := func(name string, span ptrace.Span, res pcommon.Resource, want Call) {
		t.Run(name, func(t *testing.T) {
			var got Call
			if !e.Extract(span, res, &got) {
				t.Fatal("the span must be counted")
			}
			if got != want {
				t.Fatalf("got  %s\nwant %s", brief(got), brief(want))
			}
			checkCallInvariants(t, &got)
		})
	}

	// 10,000 events: chunk, exception and other events in turn, 100 µs
	// apart from 100 ms after the start. The first chunk gives the TTFT.
	span, res := mkSpan(chat(map[string]any{
		"gen_ai.request.stream": true, "error.type": "_OTHER", "gen_ai.response.model": "gpt-4o-2024-08-06",
		"gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 34,
	}))
	for i := range 10_000 {
		ev := span.Events().AppendEmpty()
		ev.SetName([]string{"gen_ai.content.completion.chunk", "exception", "other"}[i%3])
		ev.SetTimestamp(t0 + pcommon.Timestamp(100*time.Millisecond+time.Duration(i)*100*time.Microsecond))
		ev.Attributes().PutStr("exception.type", "Exception")
	}
	check("10k events", span, res, want(func(c *Call) {
		c.ResponseModel = "gpt-4o-2024-08-06"
		c.Streamed, c.TTFT, c.HasTTFT = true, 0.1, true
		c.Status, c.Reason = StatusError, ReasonOther // "_OTHER" and "Exception" name no reason
		c.InputTokens, c.OutputTokens, c.HasInputTokens, c.HasOutputTokens = 12, 34, true, true
	}))

	// 4 MiB strings in the semconv attributes. Strings are kept as they are
	// (the exporter bounds label values); numbers in them are refused.
	span, res = mkSpan(chat(map[string]any{
		"gen_ai.provider.name": "X" + huge, "gen_ai.request.model": huge, "error.type": huge + "RateLimitError",
		"gen_ai.usage.input_tokens": huge, "gen_ai.response.finish_reasons": huge, "gen_ai.usage.cost": huge,
		"gen_ai.usage.output_tokens": 7, "gen_ai.response.model": "gpt-4o-2024-08-06",
	}), withStatus(ptrace.StatusCodeError, huge), withResource(map[string]any{"llm.template": huge}))
	check("huge strings", span, res, want(func(c *Call) {
		c.Provider, c.RequestModel, c.ResponseModel, c.Template = "x"+huge, huge, "gpt-4o-2024-08-06", huge
		c.Status, c.Reason = StatusError, ReasonRateLimit // error.type is a class name ending RateLimitError
		c.OutputTokens, c.HasOutputTokens = 7, true
		c.Invalid = InvalidInputTokens | InvalidCost
	}))

	// 4 MiB values in the other dialects' attributes (OpenInference, Langfuse).
	span, res = mkSpan(map[string]any{
		"openinference.span.kind": "LLM", "llm.invocation_parameters": `{"model": "` + huge + `"}`, "llm.provider": huge + ".chat",
		"langfuse.observation.usage_details": "{" + strings.Repeat(`"a": [`, 1<<16), "langfuse.observation.completion_start_time": huge,
		"langfuse.observation.level": huge, "error.message": huge + "rate limit", "gen_ai.response.finish_reason": strings.Repeat("x.", 1<<20),
		"llm.model_name": "gpt-4o", "llm.token_count.prompt": 5, "llm.token_count.completion": 6,
	}, withStatus(ptrace.StatusCodeError, strings.Repeat("code: ", 1<<16)))
	check("huge dialect values", span, res, want(func(c *Call) {
		c.Provider = huge          // llm.provider without its ".chat" suffix
		c.RequestModel = ""        // the parameters' JSON is longer than maxJSONScan: no model
		c.ResponseModel = "gpt-4o" // llm.model_name
		c.Streamed = true          // a TTFT attribute is present (completion_start_time)...
		c.Invalid = InvalidTTFT    // ...but is no timestamp
		c.Status = StatusError     // span status
		c.Reason = ReasonOther     // "rate limit" lies beyond the maxTextScan bytes read
		c.InputTokens, c.OutputTokens, c.HasInputTokens, c.HasOutputTokens = 5, 6, true, true
	}))

	// Invalid UTF-8 is kept as is (lower-casing touches ASCII only).
	span, res = mkSpan(map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "\xff\xfe\xfd", "gen_ai.request.model": "\xc3\x28",
		"gen_ai.usage.input_tokens": "42", "gen_ai.usage.cost": 0.5,
	})
	check("invalid UTF-8", span, res, want(func(c *Call) {
		c.Provider, c.RequestModel = "\xff\xfe\xfd", "\xc3\x28"
		c.InputTokens, c.HasInputTokens = 42, true
		c.Cost, c.HasCost = 0.5, true
	}))

	// A map where every known attribute is expected: each field with a
	// validity bit is invalid, the others absent; a present but invalid
	// source does not fall through to a valid one after it
	// (llm.token_count.prompt); the resource's template is a string.
	wrong := map[string]any{"gen_ai.operation.name": "chat", "llm.token_count.prompt": 9}
	for _, k := range fuzzKeys[1:] {
		wrong[k] = map[string]any{"nested": []any{map[string]any{}}}
	}
	span, res = mkSpan(wrong, withEvent("exception", 0, map[string]any{"exception.type": map[string]any{}, "exception.message": []any{}}),
		withResource(map[string]any{"llm.template": "triage"}))
	check("maps everywhere", span, res, want(func(c *Call) {
		c.Provider, c.RequestModel, c.Template = "", "", "triage"
		c.Streamed = true                             // a TTFT attribute is present
		c.Status, c.Reason = StatusError, ReasonOther // error.type present; the exception names no reason
		c.Invalid = InvalidInputTokens | InvalidOutputTokens | InvalidCachedInputTokens | InvalidReasoningTokens |
			InvalidTTFT | InvalidCost | InvalidCacheCreationInputTokens | InvalidModel
	}))
}

// brief prints a Call with its long strings cut, for failure messages.
func brief(c Call) string {
	cut := func(s string) string {
		if len(s) <= 40 {
			return strconv.Quote(s)
		}
		return fmt.Sprintf("%q…(%d bytes)", s[:20], len(s))
	}
	c2 := c
	c2.Provider, c2.RequestModel, c2.ResponseModel, c2.Template = "", "", "", ""
	return fmt.Sprintf("provider=%s request_model=%s response_model=%s template=%s %+v",
		cut(c.Provider), cut(c.RequestModel), cut(c.ResponseModel), cut(c.Template), c2)
}

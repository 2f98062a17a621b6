// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"context"
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/recorder"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

// The fuzz exporter runs with tight label bounds so that a few inputs reach
// truncation and overflow.
const (
	fuzzMaxModels    = 3
	fuzzMaxTemplates = 2
	fuzzMaxValueLen  = 12
	// reserved values admitted past the caps: unknown, none, other.
	fuzzReserved = 3
)

// fuzzTraceKeys are the keys the interpreter picks from (byte < len); any
// other byte value makes it use an arbitrary fuzzer string as the key.
var fuzzTraceKeys = []string{
	"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system", "gen_ai.request.model",
	"gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
	"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "gen_ai.usage.cache_read.input_tokens",
	"gen_ai.usage.reasoning.output_tokens", "gen_ai.request.stream", "gen_ai.response.time_to_first_chunk",
	"gen_ai.usage.cost", "gen_ai.response.finish_reasons", "error.type", "error.code",
	"http.response.status_code", "llm.template", "gen_ai.prompt.name", "llm.request.type",
	"openinference.span.kind", "ai.operationId", "langsmith.span.kind", "langfuse.observation.type",
	"traceloop.span.kind", "llm.invocation_parameters", "llm.model_name", "ai.model.provider",
	"ai.response.msToFirstChunk", "gen_ai.server.time_to_first_token", "langfuse.observation.completion_start_time",
	"langfuse.observation.usage_details", "gen_ai.response.prompt_tokens", "llm.is_streaming",
	"llm.token_count.prompt", "ai.usage.tokens", "gen_ai.cost.total_cost", "llm.cost.total",
	"error.message", "exception.type", "",
}

var fuzzTraceStrings = []string{
	"chat", "embeddings", "text_completion", "invoke_agent", "execute_tool", "openai", "OpenAI", "true", "false",
	"42", "-1", "1e400", "NaN", "12abc", "content_filter", "RateLimitError", "429", "LLM", "CHAIN",
	"ai.streamText.doStream", "generation", "ERROR", "none", "other", "unknown", "openai.chat",
	`{"model": "gpt-4o", "stream": true}`, `{"input": 10, "output": "5"}`, "2026-08-01T12:00:00.5+00:00",
	"\xff\xfe", "ééééééééééééé", "gen_ai.content.completion.chunk", "First Token Stream Event",
}

// fuzzTraces interprets prog as instructions building a batch. s1 and s2 are
// arbitrary strings, n an arbitrary integer, d an arbitrary float, t1 and t2
// arbitrary timestamps.
func fuzzTraces(prog []byte, s1, s2 string, n int64, d float64, t1, t2 uint64) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ss := rs.ScopeSpans().AppendEmpty()
	span := ss.Spans().AppendEmpty()
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
			return fuzzTraceStrings[int(b)%len(fuzzTraceStrings)]
		}
	}
	key := func() string {
		b := next()
		if int(b) < len(fuzzTraceKeys) {
			return fuzzTraceKeys[b]
		}
		return str(b)
	}
	ts := func(b byte) pcommon.Timestamp {
		switch b % 6 {
		case 0:
			return 0
		case 1:
			return pcommon.Timestamp(t1)
		case 2:
			return pcommon.Timestamp(t2)
		case 3:
			return pcommon.Timestamp(t1 + uint64(b)*1e8)
		case 4:
			return pcommon.Timestamp(math.MaxUint64)
		default:
			return pcommon.Timestamp(t1 - uint64(b)*1e8)
		}
	}
	var put func(v pcommon.Value, depth int)
	put = func(v pcommon.Value, depth int) {
		b := next()
		switch b % 12 {
		case 0:
			v.SetStr(str(next()))
		case 1:
			v.SetInt(n)
		case 2:
			v.SetInt(int64(int8(next())))
		case 3:
			v.SetDouble(d)
		case 4:
			v.SetDouble(float64(next()) / 8)
		case 5:
			v.SetBool(next()%2 == 0)
		case 6:
			v.SetEmptyBytes().FromRaw([]byte(str(next())))
		case 7:
			s := v.SetEmptySlice()
			for i := 0; i < int(next()%4) && depth < 4; i++ {
				put(s.AppendEmpty(), depth+1)
			}
		case 8:
			m := v.SetEmptyMap()
			for i := 0; i < int(next()%4) && depth < 4; i++ {
				put(m.PutEmpty(key()), depth+1)
			}
		case 9:
			// leave it empty
		case 10:
			v.SetDouble(math.Inf(int(int8(next()))))
		default:
			v.SetDouble(math.NaN())
		}
	}
	for len(prog) > 0 {
		switch next() % 12 {
		case 0:
			rs = td.ResourceSpans().AppendEmpty()
			ss = rs.ScopeSpans().AppendEmpty()
			span = ss.Spans().AppendEmpty()
		case 1:
			span = ss.Spans().AppendEmpty()
		case 2, 3, 4:
			put(span.Attributes().PutEmpty(key()), 0)
		case 5:
			put(rs.Resource().Attributes().PutEmpty(key()), 0)
		case 6:
			ev := span.Events().AppendEmpty()
			ev.SetName(str(next()))
			ev.SetTimestamp(ts(next()))
			if next()%2 == 0 {
				put(ev.Attributes().PutEmpty(key()), 0)
			}
		case 7:
			span.SetKind(ptrace.SpanKind(next() % 7))
		case 8:
			span.Status().SetCode(ptrace.StatusCode(next() % 4))
			span.Status().SetMessage(str(next()))
		case 9:
			span.SetStartTimestamp(ts(next()))
		case 10:
			span.SetEndTimestamp(ts(next()))
		default:
			var id [16]byte
			binary.LittleEndian.PutUint64(id[:], t1^uint64(next()))
			span.SetTraceID(id)
			span.SetSpanID(pcommon.SpanID(id[:8]))
			span.SetName(str(next()))
		}
	}
	return td
}

// expectedCalls counts, with an independent extractor, the spans of td that
// are LLM calls and those of them with a duration.
func expectedCalls(td ptrace.Traces) (calls, withDuration, withTTFT int) {
	ex := genai.NewExtractor(genai.Options{})
	var c genai.Call
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				if !ex.Extract(sp, rs.Resource(), &c) {
					continue
				}
				calls++
				if c.HasDuration {
					withDuration++
				}
				if c.Streamed && c.HasTTFT {
					withTTFT++
				}
			}
		}
	}
	return calls, withDuration, withTTFT
}

// registryState is what the invariants need from one gather.
type registryState struct {
	values   map[string]float64 // series (name + labels) → counter value or histogram count
	requests float64            // sum of llm_requests_total
	durCount uint64             // sum of llm_request_duration_seconds counts
	ttfCount uint64             // sum of llm_time_to_first_token_seconds counts
	models   map[string]struct{}
	tmpls    map[string]struct{}
}

func gatherState(tb testing.TB, e *llmExporter) registryState {
	tb.Helper()
	mfs, err := e.registry.Gather()
	if err != nil {
		tb.Fatalf("gather: %v", err)
	}
	st := registryState{values: map[string]float64{}, models: map[string]struct{}{}, tmpls: map[string]struct{}{}}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var idb strings.Builder
			idb.WriteString(mf.GetName())
			for _, lp := range m.GetLabel() {
				v := lp.GetValue()
				if !utf8.ValidString(v) || len(v) > fuzzMaxValueLen {
					tb.Fatalf("%s: label %s=%q is not valid UTF-8 of at most %d bytes", mf.GetName(), lp.GetName(), v, fuzzMaxValueLen)
				}
				switch lp.GetName() {
				case "model":
					st.models[v] = struct{}{}
				case "template":
					st.tmpls[v] = struct{}{}
				}
				idb.WriteString("|" + lp.GetName() + "=" + v)
			}
			id := idb.String()
			var val float64
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				val = m.GetCounter().GetValue()
				if math.IsNaN(val) || math.IsInf(val, 0) || val < 0 {
					tb.Fatalf("%s: counter value %v", id, val)
				}
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				val = float64(h.GetSampleCount())
				if s := h.GetSampleSum(); math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
					tb.Fatalf("%s: histogram sum %v", id, s)
				}
				switch mf.GetName() {
				case "llm_request_duration_seconds":
					st.durCount += h.GetSampleCount()
				case "llm_time_to_first_token_seconds":
					st.ttfCount += h.GetSampleCount()
				}
			}
			if mf.GetName() == "llm_requests_total" {
				st.requests += val
			}
			st.values[id] = val
		}
	}
	if len(st.models) > fuzzMaxModels+fuzzReserved {
		tb.Fatalf("%d model values > cap %d + %d reserved: %v", len(st.models), fuzzMaxModels, fuzzReserved, st.models)
	}
	if len(st.tmpls) > fuzzMaxTemplates+fuzzReserved {
		tb.Fatalf("%d template values > cap %d + %d reserved: %v", len(st.tmpls), fuzzMaxTemplates, fuzzReserved, st.tmpls)
	}
	for v := range st.models {
		if v == recorder.NoTemplate {
			// A model is never "none": that string means absent.
			tb.Fatalf("model label %q", v)
		}
	}
	return st
}

// fuzzExporter builds an exporter with the fuzz label bounds. Without
// defaultPrices it prices from two inline rows instead of the shipped table
// (ten times cheaper to build: the fresh exporter of every input).
func fuzzExporter(tb testing.TB, defaultPrices bool) *llmExporter {
	tb.Helper()
	cfg := createDefaultConfig().(*Config)
	if !defaultPrices {
		cfg.Pricing.DefaultTable = false
		cfg.Pricing.Models = []pricing.Row{{Prefix: "gpt", Input: 1, Output: 2}, {Regex: "^c.*", Input: 3, Output: 4}}
	}
	cfg.Labels.Model.MaxValues = fuzzMaxModels
	cfg.Labels.Template.MaxValues = fuzzMaxTemplates
	cfg.Labels.MaxValueLength = fuzzMaxValueLen
	e, err := newLLMExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// consumeAndCheck runs td through e and checks the invariants against the
// state before.
func consumeAndCheck(tb testing.TB, e *llmExporter, before registryState, td ptrace.Traces) registryState {
	tb.Helper()
	calls, withDur, withTTFT := expectedCalls(td)
	if err := e.consumeTraces(context.Background(), td); err != nil {
		tb.Fatalf("consumeTraces: %v", err)
	}
	after := gatherState(tb, e)
	for id, v := range before.values {
		if after.values[id] < v {
			tb.Fatalf("%s decreased: %v → %v", id, v, after.values[id])
		}
	}
	if got := after.requests - before.requests; got != float64(calls) {
		tb.Fatalf("requests_total grew by %v, %d calls", got, calls)
	}
	if got := after.durCount - before.durCount; got != uint64(withDur) {
		tb.Fatalf("request_duration_seconds count grew by %d, %d calls with a duration", got, withDur)
	}
	if got := after.ttfCount - before.ttfCount; got != uint64(withTTFT) {
		tb.Fatalf("time_to_first_token_seconds count grew by %d, %d streamed calls with a TTFT", got, withTTFT)
	}
	return after
}

// FuzzConsumeTraces builds arbitrary batches (attribute maps of every value
// type, events, kinds, statuses, timestamps, resource attributes), or decodes
// arbitrary OTLP protobuf when prog starts with 0xFF, and runs them twice
// through one exporter: no panic, counters never decrease, requests and
// histogram counts grow by exactly the calls (with a duration / TTFT), label
// values are valid UTF-8 within the length bound, and each label has at most
// cap + reserved values.
func FuzzConsumeTraces(f *testing.F) {
	// The seed corpus is testdata/fuzz/FuzzConsumeTraces (chat with tokens and
	// TTFT; an error with invalid values and a chunk event; OpenInference with
	// a resource template and non-UTF-8 / long labels; Vercel doStream plus an
	// agent span and timestamps past 2262; OTLP protobuf with duplicate keys).
	e := fuzzExporter(f, true)
	f.Fuzz(func(t *testing.T, prog []byte, s1, s2 string, n int64, d float64, t1, t2 uint64) {
		var td ptrace.Traces
		if len(prog) > 0 && prog[0] == 0xFF {
			var err error
			if td, err = (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(prog[1:]); err != nil {
				t.Skip()
			}
		} else {
			td = fuzzTraces(prog, s1, s2, n, d, t1, t2)
		}
		// A fresh exporter sees new series; the shared one (across inputs)
		// sees full caps and old series.
		for _, ex := range []*llmExporter{fuzzExporter(t, false), e} {
			st := gatherState(t, ex)
			st = consumeAndCheck(t, ex, st, td)
			consumeAndCheck(t, ex, st, td)
		}
	})
}

// duplicateKeyJSON is an OTLP/JSON batch whose span carries
// gen_ai.request.model and gen_ai.usage.input_tokens twice: pdata keeps both
// key-values (the seed otlp_proto_duplicate_keys is its protobuf encoding).
const duplicateKeyJSON = `{"resourceSpans":[{"resource":{"attributes":[{"key":"llm.template","value":{"stringValue":"res-tmpl"}}]},"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"chat","kind":3,"startTimeUnixNano":"1767225600000000000","endTimeUnixNano":"1767225601200000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"first-model"}},{"key":"gen_ai.request.model","value":{"stringValue":"second-model"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"10"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"20"}}]}]}]}]}`

// FuzzConfig unmarshals arbitrary YAML into the exporter's configuration:
// no panic, and a configuration that validates creates an exporter (except
// for a pricing file that cannot be read, which only the creation reads).
func FuzzConfig(f *testing.F) {
	// The seed corpus is testdata/fuzz/FuzzConfig.
	f.Fuzz(func(t *testing.T, yaml string) {
		retrieved, err := confmap.NewRetrievedFromYAML([]byte(yaml))
		if err != nil {
			return
		}
		raw, err := retrieved.AsRaw()
		if err != nil {
			return
		}
		m, ok := raw.(map[string]any)
		if !ok {
			return
		}
		cfg := createDefaultConfig().(*Config)
		if err = confmap.NewFromStringMap(m).Unmarshal(cfg); err != nil {
			return
		}
		if err = confmap.Validate(cfg); err != nil {
			return
		}
		e, err := newLLMExporter(cfg, exportertest.NewNopSettings(metadata.Type))
		if err != nil {
			if cfg.Pricing.File != "" {
				return // the file is read at creation, not validated
			}
			t.Fatalf("a configuration that validates fails creation: %v\n%s", err, yaml)
		}
		// The exporter records a call without panicking.
		td := buildTraces(t, spanSpec{attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "llm.template": "t",
			"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 20, "gen_ai.request.stream": true,
			"gen_ai.response.time_to_first_chunk": 0.2,
		}, dur: 1e9})
		if err := e.consumeTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
		if _, err := e.registry.Gather(); err != nil {
			t.Fatalf("gather: %v", err)
		}
		e.pricer.Stop()
		e.telemetry.Shutdown()
	})
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A dialect is added as rows in the source tables; the generic code needs no
// change. This test appends an OpenLLMetry/Vercel-like dialect, recompiles
// the tables, and restores them afterwards.
func TestDialectAsData(t *testing.T) {
	savedRules, savedSources := detectRules, fieldSources
	t.Cleanup(func() {
		detectRules, fieldSources = savedRules, savedSources
		compileTables()
	})
	detectRules = append(slices.Clone(detectRules), detectRule{
		key:   "llm.request.type",
		count: []countValue{{value: "completion", op: OpTextCompletion}, {value: "Chat", op: OpChat}},
		skip:  []string{"rerank"},
	})
	fieldSources[fieldInputTokens] = append(slices.Clone(inputTokenSources), source{key: "llm.usage.prompt_tokens"})
	fieldSources[fieldTTFT] = append(slices.Clone(ttftSources), source{key: "ai.response.msToFirstChunk", scale: 0.001})
	fieldSources[fieldProvider] = append(slices.Clone(providerSources), source{key: "llm.vendor"})
	compileTables()
	e := NewExtractor(Options{})

	for _, tc := range []struct {
		name    string
		attrs   map[string]any
		counted bool
		want    Call
	}{
		{
			name:    "new detection rule and sources",
			attrs:   map[string]any{"llm.request.type": "completion", "llm.vendor": "OpenAI", "llm.usage.prompt_tokens": 7},
			counted: true,
			want: want(func(c *Call) {
				c.Operation, c.RequestModel, c.InputTokens, c.HasInputTokens = OpTextCompletion, "", 7, true
			}),
		},
		{
			name:    "count values compare case-insensitively",
			attrs:   map[string]any{"llm.request.type": "CHAT", "llm.vendor": "openai"},
			counted: true,
			want:    want(func(c *Call) { c.RequestModel = "" }),
		},
		{
			name:    "the first rule that counts gives the operation",
			attrs:   chat(map[string]any{"llm.request.type": "completion"}),
			counted: true,
			want:    want(nil),
		},
		{
			name:    "older rows rank after the semconv ones",
			attrs:   chat(map[string]any{"gen_ai.usage.input_tokens": 3, "llm.usage.prompt_tokens": 7, "gen_ai.system": "cohere", "llm.vendor": "x"}),
			counted: true,
			want:    want(func(c *Call) { c.InputTokens, c.HasInputTokens = 3, true }),
		},
		{
			name:    "unit scale (ms to s)",
			attrs:   chat(map[string]any{"ai.response.msToFirstChunk": 250}),
			counted: true,
			want:    want(func(c *Call) { c.Streamed, c.TTFT, c.HasTTFT = true, 0.25, true }),
		},
		{
			name:  "a skip in any rule wins over a count in another",
			attrs: chat(map[string]any{"gen_ai.operation.name": "invoke_agent", "llm.request.type": "chat"}),
		},
		{
			name:  "skip in the new rule",
			attrs: chat(map[string]any{"gen_ai.operation.name": "chat", "llm.request.type": "rerank"}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			span, res := mkSpan(tc.attrs)
			var c Call
			require.Equal(t, tc.counted, e.Extract(span, res, &c))
			if tc.counted {
				assert.Equal(t, tc.want, c)
			}
		})
	}
}

// The source kinds (JSON member, timestamp, streamed-only, -1 for unknown)
// and the detection options (suffix, streamed, skipOthers) are data too: a
// made-up dialect written only as rows gets every field.
func TestSourceKindsAsData(t *testing.T) {
	savedRules, savedSources := detectRules, fieldSources
	t.Cleanup(func() {
		detectRules, fieldSources = savedRules, savedSources
		compileTables()
	})
	detectRules = append(slices.Clone(detectRules), detectRule{
		key:        "acme.call",
		count:      []countValue{{value: ".infer", op: OpChat, suffix: true}, {value: ".stream", op: OpChat, suffix: true, streamed: true}},
		skipOthers: true,
	})
	add := func(f field, s source) { fieldSources[f] = append(slices.Clone(fieldSources[f]), s) }
	add(fieldRequestModel, source{key: "acme.params", kind: kindJSON, members: []string{"engine"}})
	add(fieldInputTokens, source{key: "acme.usage", kind: kindJSON, members: []string{"in"}})
	add(fieldOutputTokens, source{key: "acme.out", minusOneUnknown: true})
	add(fieldTTFT, source{key: "acme.first_ms", scale: 0.001, streamedOnly: true})
	add(fieldTTFT, source{key: "acme.first_at", kind: kindTime})
	compileTables()
	e := NewExtractor(Options{})

	for _, tc := range []struct {
		name    string
		attrs   map[string]any
		counted bool
		want    func(*Call)
	}{
		{"every kind", map[string]any{
			"acme.call": "svc.stream", "acme.params": `{"engine": "e1"}`, "acme.usage": `{"in": 3}`,
			"acme.out": -1, "acme.first_ms": 250,
		}, true, call(reqModel("e1"), tokensIn(3), ttft(0.25))},
		{"streamed-only source skipped, time source used", map[string]any{
			"acme.call": "svc.infer", "acme.first_ms": 2000,
			"acme.first_at": "2026-08-01T12:00:00.5Z",
		}, true, call(ttft(0.5))},
		{"-2 is invalid", map[string]any{"acme.call": "svc.infer", "acme.out": -2}, true, call(invalid(InvalidOutputTokens))},
		{"skipOthers", map[string]any{"acme.call": "svc.batch", "gen_ai.operation.name": "chat"}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			span, res := mkSpan(tc.attrs)
			var c Call
			require.Equal(t, tc.counted, e.Extract(span, res, &c))
			if tc.counted {
				var w Call
				tc.want(&w)
				assert.Equal(t, w, c)
			}
		})
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyTable(t *testing.T) {
	bindings := []keyBinding{
		{key: "gen_ai.usage.input_tokens", slot: slot{field: fieldInputTokens}},
		{key: "gen_ai.usage.prompt_tokens", slot: slot{field: fieldInputTokens, prio: 1}},
		{key: "gen_ai.usage.output_tokens", slot: slot{field: fieldOutputTokens}},
		// A key feeding two fields.
		{key: "gen_ai.request.model", slot: slot{field: fieldRequestModel}},
		{key: "gen_ai.request.model", slot: slot{field: fieldTemplate, prio: 2}},
		// Same length, same last two and middle bytes: no seed separates them.
		{key: "xa.mzz", slot: slot{field: fieldTemplate}},
		{key: "ya.mzz", slot: slot{field: fieldTemplate, prio: 1}},
		// Too short to hash.
		{key: "p", slot: slot{field: fieldCost}},
		// Never present.
		{key: "", slot: slot{field: fieldCost}},
	}
	tb := newKeyTable(bindings)
	require.NotNil(t, tb.overflow, "colliding keys go to the overflow map")

	got := map[string][]slot{}
	for _, b := range bindings {
		e := tb.lookup(b.key)
		if b.key == "" {
			assert.Nil(t, e)
			continue
		}
		require.NotNil(t, e, b.key)
		assert.Equal(t, b.key, e.key)
		got[b.key] = append([]slot{e.slot}, tb.extra(e)...)
	}
	assert.Equal(t, []slot{{field: fieldRequestModel}, {field: fieldTemplate, prio: 2}}, got["gen_ai.request.model"])
	assert.Equal(t, []slot{{field: fieldInputTokens, prio: 1}}, got["gen_ai.usage.prompt_tokens"])
	assert.Equal(t, []slot{{field: fieldTemplate, prio: 1}}, got["ya.mzz"])
	assert.Equal(t, []slot{{field: fieldCost}}, got["p"])

	for _, miss := range []string{"", "q", "gen_ai.usage.input_tokenz", "server.address", "za.mzz", string(make([]byte, 1<<16))} {
		assert.Nil(t, tb.lookup(miss), "%.30q", miss)
	}
}

// The static tables and default template keys get a perfect hash: every
// lookup is one probe, and the overflow map is not used.
func TestKeyTableDefaultIsPerfect(t *testing.T) {
	e := NewExtractor(Options{})
	assert.Nil(t, e.keys.overflow)
	n := 0
	for _, ke := range e.keys.entries {
		if ke.key != "" {
			n++
			assert.Same(t, &e.keys.entries[hashKey(ke.key, e.keys.seed, e.keys.shift)], e.keys.lookup(ke.key))
		}
	}
	keys := map[string]bool{}
	for _, b := range staticBindings {
		keys[b.key] = true // a key may feed several fields
	}
	for _, k := range DefaultTemplateKeys() {
		keys[k] = true
	}
	assert.Len(t, keys, n)
}

// Template keys that land in the overflow map (too short, or colliding)
// work through Extract too.
func TestExtractOverflowTemplateKeys(t *testing.T) {
	e := NewExtractor(Options{TemplateKeys: []string{"", "p", "xa.mzz", "ya.mzz"}})
	assert.Equal(t, []string{"p", "xa.mzz", "ya.mzz"}, e.templateKeys, "empty keys are dropped")
	for _, tc := range []struct {
		attrs map[string]any
		want  string
	}{
		{map[string]any{"ya.mzz": "third", "p": "first", "xa.mzz": "second"}, "first"},
		{map[string]any{"ya.mzz": "third", "xa.mzz": "second"}, "second"},
		{map[string]any{"ya.mzz": "third", "xa.mzz": ""}, "third"},
		{map[string]any{"": "empty key"}, ""},
	} {
		span, res := mkSpan(chat(tc.attrs))
		var c Call
		require.True(t, e.Extract(span, res, &c))
		assert.Equal(t, tc.want, c.Template, "%v", tc.attrs)
	}
}

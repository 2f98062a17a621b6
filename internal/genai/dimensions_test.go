// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dims is the dimension set of the example: service from
// service.name, the provider, the tenant from three keys (user.id is short:
// read with Get, not from the key table), and the operation.
var dims = Options{Dimensions: []Dimension{
	{Keys: []string{"service.name"}},
	{Source: DimensionProvider},
	{Keys: []string{"tenant.id", "enduser.id", "user.id"}},
	{Source: DimensionOperation},
}}

func withDims(vals ...string) func(*Call) {
	return func(c *Call) { copy(c.Dimensions[:], vals) }
}

func TestExtractDimensions(t *testing.T) {
	runExtractCases(t, []extractCase{
		{
			name:  "none configured",
			attrs: chat(map[string]any{"tenant.id": "acme"}),
			mods:  []spanMod{withResource(map[string]any{"service.name": "svc"})},
			want:  want(nil),
		},
		{
			name:  "resource service, span tenant, provider and operation from the call",
			attrs: chat(map[string]any{"tenant.id": "acme"}),
			mods:  []spanMod{withResource(map[string]any{"service.name": "svc", "host.name": "h"})},
			opts:  dims,
			want:  want(withDims("svc", "openai", "acme", "chat")),
		},
		{
			name:  "nothing present: empty, the recorder applies the defaults",
			attrs: chat(map[string]any{"gen_ai.provider.name": del}),
			opts:  dims,
			want:  want(func(c *Call) { c.Provider = ""; withDims("", "", "", "chat")(c) }),
		},
		{
			name:  "key order on the span, whatever the attribute order",
			attrs: chat(map[string]any{"user.id": "u", "enduser.id": "e", "tenant.id": "t"}),
			opts:  dims,
			want:  want(withDims("", "openai", "t", "chat")),
		},
		{
			name:  "a short key of better priority than the key found",
			attrs: chat(map[string]any{"enduser.id": "e", "u.id": "short"}),
			opts:  Options{Dimensions: []Dimension{{Keys: []string{"u.id", "enduser.id"}}}},
			want:  want(withDims("short")),
		},
		{
			name:  "a short key of worse priority than the key found",
			attrs: chat(map[string]any{"enduser.id": "e", "user.id": "u"}),
			opts:  dims,
			want:  want(withDims("", "openai", "e", "chat")),
		},
		{
			name:  "only the short key",
			attrs: chat(map[string]any{"user.id": "u"}),
			opts:  dims,
			want:  want(withDims("", "openai", "u", "chat")),
		},
		{
			name:  "an empty value counts as absent: the next key",
			attrs: chat(map[string]any{"tenant.id": "", "enduser.id": "e"}),
			opts:  dims,
			want:  want(withDims("", "openai", "e", "chat")),
		},
		{
			name:  "an empty preferred value, then a short key",
			attrs: chat(map[string]any{"tenant.id": "", "user.id": "u"}),
			opts:  dims,
			want:  want(withDims("", "openai", "u", "chat")),
		},
		{
			name:  "span over resource, even for a later key",
			attrs: chat(map[string]any{"user.id": "span"}),
			mods:  []spanMod{withResource(map[string]any{"tenant.id": "resource"})},
			opts:  dims,
			want:  want(withDims("", "openai", "span", "chat")),
		},
		{
			name:  "resource key order",
			attrs: chat(nil),
			mods:  []spanMod{withResource(map[string]any{"user.id": "third", "enduser.id": "second"})},
			opts:  dims,
			want:  want(withDims("", "openai", "second", "chat")),
		},
		{
			name:  "an empty resource value counts as absent",
			attrs: chat(nil),
			mods:  []spanMod{withResource(map[string]any{"tenant.id": "", "user.id": "u"})},
			opts:  dims,
			want:  want(withDims("", "openai", "u", "chat")),
		},
		{
			name:  "span service.name over the resource's",
			attrs: chat(map[string]any{"service.name": "span-svc"}),
			mods:  []spanMod{withResource(map[string]any{"service.name": "res-svc"})},
			opts:  dims,
			want:  want(withDims("span-svc", "openai", "", "chat")),
		},
		{
			name:  "integer, double and boolean values: their string form",
			attrs: chat(map[string]any{"tenant.id": int64(42), "enduser.id": 1.5, "flag.value": true}),
			opts: Options{Dimensions: []Dimension{
				{Keys: []string{"tenant.id"}}, {Keys: []string{"enduser.id"}}, {Keys: []string{"flag.value"}},
			}},
			want: want(withDims("42", "1.5", "true")),
		},
		{
			name:  "bytes, map and slice values are refused, not read from the next key",
			attrs: chat(map[string]any{"tenant.id": []byte{1}, "enduser.id": "e"}),
			mods:  []spanMod{withResource(map[string]any{"service.name": map[string]any{"a": "b"}})},
			opts:  dims,
			want:  want(func(c *Call) { c.Invalid = InvalidDimension; withDims("", "openai", "", "chat")(c) }),
		},
		{
			name:  "a dimension key that is also a call attribute feeds both",
			attrs: chat(nil),
			opts:  Options{Dimensions: []Dimension{{Keys: []string{"gen_ai.request.model"}}}},
			want:  want(withDims("gpt-4o")),
		},
		{
			name:  "empty keys are dropped",
			attrs: chat(map[string]any{"tenant.id": "t"}),
			opts:  Options{Dimensions: []Dimension{{Keys: []string{"", "tenant.id"}}}},
			want:  want(withDims("t")),
		},
		{
			name:  "values are passed whole: the recorder bounds them",
			attrs: chat(map[string]any{"tenant.id": strings.Repeat("x", 1<<20)}),
			opts:  Options{Dimensions: []Dimension{{Keys: []string{"tenant.id"}}}},
			want:  want(withDims(strings.Repeat("x", 1<<20))),
		},
	})
}

func TestExtractDimensionsMax(t *testing.T) {
	var opts Options
	for i := range MaxDimensions + 2 {
		opts.Dimensions = append(opts.Dimensions, Dimension{Keys: []string{"key.number." + string(rune('a'+i))}})
	}
	attrs := map[string]any{}
	for i := range MaxDimensions + 2 {
		attrs["key.number."+string(rune('a'+i))] = string(rune('A' + i))
	}
	span, res := mkSpan(chat(attrs))
	var c Call
	require.True(t, NewExtractor(opts).Extract(span, res, &c))
	assert.Equal(t, [MaxDimensions]string{"A", "B", "C", "D", "E", "F", "G", "H"}, c.Dimensions, "dimensions past MaxDimensions are ignored")
}

// TestExtractDimensionsNoAlloc: string dimensions from the span and the
// resource cost no allocation.
func TestExtractDimensionsNoAlloc(t *testing.T) {
	span, res := mkSpan(chat(map[string]any{"tenant.id": "acme"}), withResource(map[string]any{"service.name": "svc"}))
	e := NewExtractor(dims)
	var c Call
	allocs := testing.AllocsPerRun(100, func() {
		if !e.Extract(span, res, &c) {
			panic("not counted")
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, [MaxDimensions]string{"svc", "openai", "acme", "chat"}, c.Dimensions)
}

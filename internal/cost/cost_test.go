// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package cost

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

// filePricer is a Pricer over a price file (so a test can change the table).
func filePricer(tb testing.TB, rows string) (*pricing.Pricer, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "prices.yaml")
	require.NoError(tb, os.WriteFile(path, []byte("models:\n"+rows), 0o600))
	p, err := pricing.NewPricer(pricing.Settings{File: path}, zap.NewNop())
	require.NoError(tb, err)
	return p, path
}

func call(provider, model string, in, out int64) genai.Call {
	return genai.Call{
		Provider: provider, Operation: genai.OpChat, RequestModel: model,
		InputTokens: in, OutputTokens: out, HasInputTokens: in > 0, HasOutputTokens: out > 0,
	}
}

// TestOf pins the rule: a span cost wins, else the table prices the tokens,
// else the call is unpriced.
func TestOf(t *testing.T) {
	p, _ := filePricer(t, "  - {model: gpt-4o, provider: openai, input: 2.5, output: 10, cached_input: 1.25}\n")
	cache := NewCache(p)

	withCost := call("openai", "gpt-4o", 1000, 100)
	withCost.Cost, withCost.HasCost = 0.5, true
	zeroCost := call("openai", "unknown-model", 1000, 100)
	zeroCost.HasCost = true
	// A cost the llm processor computed and marked: a Table cost of that
	// value, even where the current table has no price.
	estimated := call("openai", "unknown-model", 1000, 100)
	estimated.Cost, estimated.HasCost, estimated.CostEstimated = 0.75, true, true
	refused := call("openai", "gpt-4o", 1000, 100) // a negative gen_ai.usage.cost: absent
	refused.Invalid = genai.InvalidCost
	cached := call("openai", "gpt-4o", 1000, 100)
	cached.CachedInputTokens, cached.HasCachedInput = 400, true
	dated := call("openai", "gpt-4o-2024-08-06", 1000, 0)
	dated.ResponseModel = "ignored: the request model names the call"
	responseOnly := call("openai", "", 0, 100)
	responseOnly.ResponseModel = "gpt-4o"

	for _, tc := range []struct {
		name string
		call genai.Call
		cost float64
		src  Source
	}{
		{"span cost wins over the table", withCost, 0.5, Span},
		{"a span cost of 0 of an unlisted model", zeroCost, 0, Span},
		{"a span cost marked estimated", estimated, 0.75, Table},
		{"tokens times the price", call("openai", "gpt-4o", 1000, 100), (1000*2.5 + 100*10) / 1e6, Table},
		{"a refused span cost: the table", refused, (1000*2.5 + 100*10) / 1e6, Table},
		{"cache reads at their price", cached, (600*2.5 + 400*1.25 + 100*10) / 1e6, Table},
		{"a dated model name", dated, 1000 * 2.5 / 1e6, Table},
		{"the response model when no request model", responseOnly, 100 * 10 / 1e6, Table},
		{"no tokens: 0 from the table", call("openai", "gpt-4o", 0, 0), 0, Table},
		{"another provider's row does not match", call("azure", "gpt-4o", 1000, 100), 0, Unpriced},
		{"no row", call("openai", "my-finetune", 1000, 100), 0, Unpriced},
		{"no model", call("openai", "", 1000, 100), 0, Unpriced},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, memo := range []*Memo{nil, {}} {
				c := tc.call
				cost, src := cache.Of(&c, memo)
				assert.Equal(t, tc.src, src)
				assert.InDelta(t, tc.cost, cost, 1e-15)
			}
		})
	}

	// A nil cache prices nothing; a span cost still counts.
	var none *Cache
	c := call("openai", "gpt-4o", 1000, 100)
	cost, src := none.Of(&c, &Memo{})
	assert.Equal(t, Unpriced, src)
	assert.Zero(t, cost)
	cost, src = none.Of(&withCost, nil)
	assert.Equal(t, Span, src)
	assert.InDelta(t, 0.5, cost, 0)
	assert.Nil(t, NewCache(nil))
	assert.Nil(t, none.Lookup("openai", "gpt-4o"))
}

func TestUsageOf(t *testing.T) {
	c := genai.Call{InputTokens: 1, OutputTokens: 2, CachedInputTokens: 3, CacheCreationInputTokens: 4, ReasoningTokens: 5}
	assert.Equal(t, pricing.Usage{Input: 1, Output: 2, CachedInput: 3, CacheWrite: 4, Reasoning: 5}, UsageOf(&c))
}

// TestNewTable: a new table empties the cache, and a memo sees the new price
// at its next call.
func TestNewTable(t *testing.T) {
	p, path := filePricer(t, "  - {model: m, input: 1, output: 0}\n")
	cache := NewCache(p)
	var memo Memo
	c := call("", "m", 1000, 0)
	cost, _ := cache.Of(&c, &memo)
	assert.InDelta(t, 1000*1/1e6, cost, 1e-15)
	cache.Lookup("", "other")
	assert.Equal(t, 2, cache.Len())

	require.NoError(t, os.WriteFile(path, []byte("models:\n  - {model: m, input: 3, output: 0}\n"), 0o600))
	require.True(t, p.Reload())
	cost, _ = cache.Of(&c, &memo)
	assert.InDelta(t, 1000*3/1e6, cost, 1e-15)
	assert.Equal(t, 1, cache.Len(), "emptied, then m again")
	cost, _ = cache.Of(&c, nil)
	assert.InDelta(t, 1000*3/1e6, cost, 1e-15)
}

// TestCacheBounded: past MaxCached pairs, and for names longer than
// maxCachedName, prices are looked up each time and nothing is kept; the
// answers stay right.
func TestCacheBounded(t *testing.T) {
	p, _ := filePricer(t, "  - {prefix: m-, input: 1, output: 0}\n")
	cache := NewCache(p)
	for i := range MaxCached + 10 {
		require.NotNil(t, cache.Lookup("", fmt.Sprintf("m-%d", i)))
	}
	assert.Equal(t, MaxCached, cache.Len())
	assert.Nil(t, cache.Lookup("", "x-unlisted"))

	long := "m-" + strings.Repeat("x", maxCachedName)
	small := NewCache(p)
	var memo Memo
	c := call("", long, 1000, 0)
	for range 3 {
		cost, src := small.Of(&c, &memo)
		assert.Equal(t, Table, src)
		assert.InDelta(t, 1000/1e6, cost, 1e-15)
	}
	assert.Zero(t, small.Len())
	assert.False(t, memo.valid, "a long name is not remembered")
}

// TestMemoKeepsOwnCopies: a memo does not keep the span's strings (a call's
// strings point into its batch, which must not outlive the export).
func TestMemoKeepsOwnCopies(t *testing.T) {
	p, _ := filePricer(t, "  - {model: m, input: 1, output: 0}\n")
	cache := NewCache(p)
	var memo Memo
	c := call("", strings.Clone("m"), 1, 0)
	cache.Of(&c, &memo)
	assert.Equal(t, "m", memo.key.model)
	// unsafe only to compare where the two strings' bytes are; nothing is
	// read or written through the pointers.
	assert.NotSame(t, unsafe.StringData(c.RequestModel), unsafe.StringData(memo.key.model)) //nolint:gosec // G103, see above
	assert.Equal(t, 1, cache.Len())
	assert.Equal(t, memo.key, cache.prices[key{"", "m"}].key, "the memo shares the cache's copies")
}

// TestDatedPrices: a dated price applies to the calls at or after its
// effective_from (by genai.Call.Time, the span's end), an earlier call keeps
// the earlier price, through the cache and a memo alike, with no allocation
// per call; a call with no time is priced now.
func TestDatedPrices(t *testing.T) {
	p, _ := filePricer(t, `  - {model: gpt-4o, input: 2.5, output: 10}
  - {model: gpt-4o, input: 2, output: 8, effective_from: "2026-03-15"}
  - {model: dated-only, input: 1, output: 1, effective_from: "2026-03-15"}
  - {model: future, input: 1, output: 1, effective_from: "2200-01-01"}
`)
	cache := NewCache(p)
	boundary := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC).UnixNano()
	at := func(model string, tm int64) genai.Call {
		c := call("openai", model, 1000, 100)
		c.Time = tm
		return c
	}
	for _, tc := range []struct {
		name string
		call genai.Call
		cost float64
		src  Source
	}{
		{"the last nanosecond before: the old price", at("gpt-4o", boundary-1), (1000*2.5 + 100*10) / 1e6, Table},
		{"at the boundary: the new price", at("gpt-4o", boundary), (1000*2 + 100*8) / 1e6, Table},
		{"a month later", at("gpt-4o", boundary+int64(30*24*time.Hour)), (1000*2 + 100*8) / 1e6, Table},
		{"no time: now, the new price", at("gpt-4o", 0), (1000*2 + 100*8) / 1e6, Table},
		{"only dated rows, before: unpriced", at("dated-only", boundary-1), 0, Unpriced},
		{"only dated rows, from the date", at("dated-only", boundary), 1100 / 1e6, Table},
		{"a future price, no time: unpriced now", at("future", 0), 0, Unpriced},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, memo := range []*Memo{nil, {}} {
				c := tc.call
				cost, src := cache.Of(&c, memo)
				assert.Equal(t, tc.src, src)
				assert.InDelta(t, tc.cost, cost, 1e-15)
			}
		})
	}
	// One memo across the boundary: each call by its own time.
	var memo Memo
	before, after := at("gpt-4o", boundary-1), at("gpt-4o", boundary)
	for range 2 {
		cost, _ := cache.Of(&before, &memo)
		assert.InDelta(t, (1000*2.5+100*10)/1e6, cost, 1e-15)
		cost, _ = cache.Of(&after, &memo)
		assert.InDelta(t, (1000*2+100*8)/1e6, cost, 1e-15)
	}
	assert.InDelta(t, 2e-6, cache.Lookup("openai", "gpt-4o").Input, 1e-18, "Lookup: the price now")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		cache.Of(&before, &memo)
		cache.Of(&after, nil)
	}))
}

func TestNoAllocs(t *testing.T) {
	p, _ := filePricer(t, "  - {model: gpt-4o, input: 2.5, output: 10}\n  - {regex: '^ft:', input: 1, output: 1}\n")
	cache := NewCache(p)
	calls := []genai.Call{call("openai", "gpt-4o", 10, 10), call("openai", "ft:gpt-4o:acme", 10, 10), call("x", "unlisted", 1, 1)}
	var memo Memo
	for i := range calls {
		cache.Of(&calls[i], &memo)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		for i := range calls {
			cache.Of(&calls[i], nil)
		}
	}))
	assert.Zero(t, testing.AllocsPerRun(100, func() { cache.Of(&calls[0], &memo) }))
}

// TestConcurrent: one cache, many goroutines, a table change in between (run
// with -race).
func TestConcurrent(t *testing.T) {
	p, path := filePricer(t, "  - {prefix: m, input: 1, output: 0}\n")
	cache := NewCache(p)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var memo Memo
			for i := range 2000 {
				c := call("", fmt.Sprintf("m%d", (g*7+i)%50), 1000, 0)
				cost, src := cache.Of(&c, &memo)
				if src != Table || (cost != 1000*1/1e6 && cost != 1000*2/1e6) {
					t.Errorf("got %v from %v", cost, src)
					return
				}
			}
		}()
	}
	require.NoError(t, os.WriteFile(path, []byte("models:\n  - {prefix: m, input: 2, output: 0}\n"), 0o600))
	p.Reload()
	wg.Wait()
	c := call("", "m1", 1000, 0)
	cost, _ := cache.Of(&c, nil)
	assert.InDelta(t, 1000*2/1e6, cost, 1e-15)
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package cost is the one cost rule of otelcol-llm and the price cache it
// reads, shared by the llm_prometheus exporter and the llm processor (and any
// later component that needs a call's cost).
//
// # The rule
//
// The cost of a counted call (genai.Call) in USD is, first that applies:
//
//  1. Span: the cost the span carries (gen_ai.usage.cost and the other cost
//     sources genai reads). A cost value genai refused (negative, NaN,
//     absurd) is absent, so the next step applies. A carried cost marked
//     llm.cost_estimated (genai.Call.CostEstimated: the llm processor computed
//     it from the table) counts as a Table cost of that value.
//  2. Table: the price of the call's provider and model in the price table
//     in effect at the call's time (pricing.Table.Schedule: dated rows; the
//     time is genai.Call.Time, the span's end, else the time of pricing)
//     times its token usage (pricing.Price.Cost: cache reads and writes at
//     their own prices). A call that reports no tokens costs 0.
//  3. Unpriced: no cost is known; never read as $0.
//
// The llm_prometheus exporter adds Span and Table costs to llm_cost_usd_total
// and counts Unpriced calls in llm_unpriced_requests_total; Span costs also
// go to llm_cost_reported_usd_total. The llm processor writes a Table cost
// onto the span as gen_ai.usage.cost, with llm.cost_estimated = true, when
// the call reports tokens (a 0 for a call without token counts would claim a
// measured cost) and the span holds no refused cost value (refused values
// stay as they were). An exporter behind the processor reads the written
// cost back as a Table cost of the same value, or computes the same Table
// cost where nothing was written: its numbers are the same with or without
// the processor.
package cost // import "github.com/otelcol-llm/otelcol-llm/internal/cost"

import (
	"strings"
	"sync"
	"time"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

// Source is where a call's cost comes from.
type Source uint8

const (
	// Unpriced: the span carries no cost and the table has no price for the
	// call's model.
	Unpriced Source = iota
	// Span: the span carries the cost.
	Span
	// Table: the call's tokens times its model's price.
	Table
)

// UsageOf is the call's token usage as the price table charges it.
func UsageOf(c *genai.Call) pricing.Usage {
	return pricing.Usage{
		Input: c.InputTokens, Output: c.OutputTokens,
		CachedInput: c.CachedInputTokens, CacheWrite: c.CacheCreationInputTokens, Reasoning: c.ReasoningTokens,
	}
}

// MaxCached bounds the (provider, model) pairs a Cache remembers: past it a
// pair is looked up in the table on each call (a flood of new model names
// then costs lookups, never memory).
const MaxCached = 4096

// maxCachedName bounds the provider and model names a Cache or Memo keeps: a
// longer name (no price row names one) is looked up each time, so hostile
// names cannot fill the memory with copies.
const maxCachedName = 256

// Cache remembers the prices of (provider, model) pairs under the current
// table of a Pricer: a price is looked up once per model, not per call (a
// model with dated prices keeps its few dated steps, picked by time). It
// holds at most MaxCached pairs and empties itself when the Pricer installs
// a new table. Safe for concurrent use.
type Cache struct {
	pricer *pricing.Pricer

	mu      sync.Mutex
	version uint64
	prices  map[key]entry
}

type key struct{ provider, model string }

type entry struct {
	sched *pricing.Schedule // nil: unpriced
	key   key               // the cache's own copies of the names
}

// NewCache returns a cache over p's tables; nil when p is nil.
func NewCache(p *pricing.Pricer) *Cache {
	if p == nil {
		return nil
	}
	return &Cache{pricer: p, prices: map[key]entry{}}
}

// Of returns the cost of call by the rule above and where it comes from.
// memo, when not nil, remembers the last price looked up for the caller (a
// metric series that sees one model): a call of the same provider and model
// under the same table is priced without taking the cache's lock. A memo is
// not safe for concurrent use; the caller guards it. A nil Cache prices
// nothing: every call without a span cost is Unpriced.
func (c *Cache) Of(call *genai.Call, memo *Memo) (float64, Source) {
	if call.HasCost {
		if call.CostEstimated {
			return call.Cost, Table
		}
		return call.Cost, Span
	}
	price := at(c.schedule(call.Provider, call.Model(), memo), call.Time)
	if price == nil {
		return 0, Unpriced
	}
	return price.Cost(UsageOf(call)), Table
}

// Lookup returns the price of model for provider in the current table in
// effect now, nil when no row matches (or c is nil).
func (c *Cache) Lookup(provider, model string) *pricing.Price {
	if c == nil {
		return nil
	}
	return at(c.lookup(key{provider, model}, false).sched, 0)
}

// at returns the price of s in effect at t (Unix nanoseconds; 0: unknown,
// now).
func at(s *pricing.Schedule, t int64) *pricing.Price {
	if t == 0 && s.Dated() {
		t = time.Now().UnixNano()
	}
	return s.At(t)
}

// Len returns the number of pairs remembered.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.prices)
}

// lookup returns the entry of k; with own, its names are copies the caller
// may keep (the cache's, or fresh ones).
func (c *Cache) lookup(k key, own bool) entry {
	version := c.pricer.Version()
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		clear(c.prices)
		c.version = version
	}
	if e, ok := c.prices[k]; ok {
		return e
	}
	sched := c.pricer.Table().Schedule(k.provider, k.model)
	keep := len(c.prices) < MaxCached && len(k.provider) <= maxCachedName && len(k.model) <= maxCachedName
	if keep || own {
		k = key{strings.Clone(k.provider), strings.Clone(k.model)}
	}
	e := entry{sched: sched, key: k}
	if keep {
		c.prices[k] = e
	}
	return e
}

// schedule returns the prices of model for provider over time through memo
// (when not nil).
func (c *Cache) schedule(provider, model string, memo *Memo) *pricing.Schedule {
	if c == nil {
		return nil
	}
	if memo == nil || len(provider) > maxCachedName || len(model) > maxCachedName {
		return c.lookup(key{provider, model}, false).sched
	}
	version := c.pricer.Version()
	if memo.valid && memo.version == version && memo.key.provider == provider && memo.key.model == model {
		return memo.sched
	}
	e := c.lookup(key{provider, model}, true)
	*memo = Memo{valid: true, version: version, entry: e}
	return e.sched
}

// Memo is one remembered price in front of a Cache (see Cache.Of). The zero
// value is empty.
type Memo struct {
	valid   bool
	version uint64
	entry
}

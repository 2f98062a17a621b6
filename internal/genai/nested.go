// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Nested finds, within one batch, the calls recorded twice by two nested
// spans: two instrumentations each writing an LLM span for the same request
// (a LangChain / LangSmith llm run or an OpenInference LangChain LLM span and,
// as its child, the provider instrumentation's span), or one library writing
// a call as two nested spans (the Vercel AI SDK v7 embed()).
//
// The rule: a counted call whose span is the direct parent of another counted
// call's span (same trace id, the child's parent span id is the parent's span
// id), with the same operation and the same model (Call.Model; a call without
// a model matches any model), is a nested duplicate and is not counted; the
// child, the span closest to the wire with the exact tokens and error, is. In
// a chain of nested counted spans only the innermost counts. Spans that are
// not counted calls (agents, chains, HTTP spans…) take no part: the parent
// must be the direct parent. Spans that are each other's parent (a loop of
// two or more, malformed by a buggy propagator) would each have a counted
// child: the first of the loop in batch order counts, the others do not, so
// the call counts once, never zero times.
//
// It only sees what is in the batch: a parent whose child was exported in
// another batch (or the other way round) is not found and both count.
// COUNTING.md says when that happens.
//
// The zero value is ready to use. A Nested is not safe for concurrent use; it
// keeps its memory from batch to batch and allocates only when a batch is
// larger than every batch it has seen.
type Nested struct {
	slots []nestedSlot // open addressing, linear probing; len is a power of two
	mask  uint64       // mask of the slots used for the current batch
	gen   uint32       // a slot is empty unless its gen is the current one
	dup   []bool       // dup[i]: calls[i] is a nested duplicate
	up    []int32      // up[i]: the index of the duplicate calls[i] was matched to, or -1
	seen  []bool       // breakLoops' marks
	seed  [3]uint64    // random per Nested: crafted span ids cannot force collisions
}

// nestedKey is a (trace id, span id) as three words. Separate fields, not
// arrays: the compiler keeps them in registers (an array of two words goes
// through memory and stalls store forwarding).
type nestedKey struct {
	span, trace0, trace1 uint64
}

func keyOf(t *pcommon.TraceID, s *pcommon.SpanID) nestedKey {
	return nestedKey{
		span:   binary.LittleEndian.Uint64(s[:]),
		trace0: binary.LittleEndian.Uint64(t[:8]),
		trace1: binary.LittleEndian.Uint64(t[8:]),
	}
}

// nestedSlot is one (trace id, span id) of the batch and the index of its call.
type nestedSlot struct {
	key nestedKey
	gen uint32
	idx int32
}

// minNestedSlots is the smallest table; the table has at least twice as many
// slots as the batch has calls (load factor ≤ 1/2).
const minNestedSlots = 16

// Find marks the nested duplicates among calls, the counted calls of one
// batch in any order (the order of the spans in the batch, across resources
// and scopes), and returns how many there are. Dup(i) then reports whether
// calls[i] is one. A counted call under duplicates takes from them the
// template, model and provider it lacks (nearest first). Find keeps no
// reference to calls.
func (n *Nested) Find(calls []Call) int {
	n.resetDup(len(calls))
	parented := false
	for i := range calls {
		if !calls[i].ParentSpanID.IsEmpty() {
			parented = true
			break
		}
	}
	if !parented { // no span has a parent: nothing can be nested
		return 0
	}
	for i := range n.up {
		n.up[i] = -1
	}
	n.resetTable(len(calls))
	// insert and lookup, written out: the compiler does not inline loops, and
	// the locals stay in registers.
	slots, mask, gen, seed := n.slots, n.mask, n.gen, n.seed
	for i := range calls {
		k := keyOf(&calls[i].TraceID, &calls[i].SpanID)
		for j := hashNested(k, &seed) & mask; ; j = (j + 1) & mask {
			sl := &slots[j]
			if sl.gen != gen {
				sl.key, sl.gen, sl.idx = k, gen, int32(i)
				break
			}
			if sl.key == k {
				break // a span listed twice: the first one stays
			}
		}
	}
	found := 0
	for i := range calls {
		child := &calls[i]
		if child.ParentSpanID.IsEmpty() {
			continue
		}
		k := keyOf(&child.TraceID, &child.ParentSpanID)
		p := -1
		for j := hashNested(k, &seed) & mask; ; j = (j + 1) & mask {
			sl := &slots[j]
			if sl.gen != gen {
				break
			}
			if sl.key == k {
				p = int(sl.idx)
				break
			}
		}
		if p < 0 || p == i || n.dup[p] {
			continue // no counted parent in the batch, a span its own parent, or already marked
		}
		if parent := &calls[p]; parent.Operation == child.Operation && sameModel(parent, child) {
			n.dup[p] = true
			n.up[i] = int32(p)
			found++
		}
	}
	if found > 0 {
		found -= n.breakLoops()
		n.inherit(calls)
	}
	return found
}

// breakLoops keeps, in every loop of spans that are each other's parent, the
// first span of the loop in batch order, and returns how many it kept.
//
// Each call is matched to at most one parent (up) and marks at most one
// parent (a marked parent is not matched again), so the matches form chains
// and loops. A chain starts at a call that is no duplicate and walking up
// from it reaches every call of the chain; what no such walk reaches is on a
// loop, where every call has a matched child and is marked: unmarking one
// call and cutting the match into it turns the loop into a chain that
// starts at that call.
func (n *Nested) breakLoops() int {
	seen := n.seen
	clear(seen)
	for i := range n.dup {
		if n.dup[i] {
			continue
		}
		for j := i; j >= 0 && !seen[j]; j = int(n.up[j]) {
			seen[j] = true
		}
	}
	kept := 0
	for i := range n.dup {
		if seen[i] {
			continue
		}
		// calls[i] is the first call of a loop: walk the loop back to it.
		seen[i] = true
		for j, steps := i, 0; steps < len(n.up); steps++ {
			k := int(n.up[j])
			if k < 0 { // not a loop after all (cannot happen): leave it as it is
				break
			}
			if k == i {
				n.up[j] = -1 // the match into calls[i]: calls[i] now starts a chain
				n.dup[i] = false
				kept++
				break
			}
			seen[k] = true
			j = k
		}
	}
	return kept
}

// inherit gives each counted call the template, model and provider it lacks
// from the duplicates above it (nearest first): a framework span often names
// the prompt template or the model its provider child does not know.
func (n *Nested) inherit(calls []Call) {
	for i := range calls {
		if n.dup[i] || n.up[i] < 0 {
			continue
		}
		c := &calls[i]
		for j, hops := n.up[i], 0; j >= 0 && hops < len(calls); j, hops = n.up[j], hops+1 {
			p := &calls[j]
			if c.Template == "" {
				c.Template = p.Template
			}
			if c.RequestModel == "" && c.ResponseModel == "" {
				c.RequestModel, c.ResponseModel = p.RequestModel, p.ResponseModel
			}
			if c.Provider == "" {
				c.Provider = p.Provider
			}
		}
	}
}

// Dup reports whether calls[i] of the last Find is a nested duplicate: a
// counted child span records the same call, so it must not be counted.
func (n *Nested) Dup(i int) bool {
	return n.dup[i]
}

// sameModel reports whether two calls name the same model, a call without a
// model matching any.
func sameModel(a, b *Call) bool {
	ma, mb := a.Model(), b.Model()
	return ma == "" || mb == "" || ma == mb
}

func (n *Nested) resetDup(count int) {
	if cap(n.dup) < count {
		n.dup = make([]bool, count)
		n.up = make([]int32, count)
		n.seen = make([]bool, count)
	}
	n.dup = n.dup[:count]
	clear(n.dup)
	n.up = n.up[:count]
	n.seen = n.seen[:count]
}

// resetTable empties the table for a batch of count calls: a new generation,
// so the slots need no clearing (except when the generation wraps).
func (n *Nested) resetTable(count int) {
	size := minNestedSlots
	for size < 2*count {
		size <<= 1
	}
	if len(n.slots) < size {
		n.slots = make([]nestedSlot, size)
		n.gen = 0
	}
	if n.seed == [3]uint64{} {
		n.seed = [3]uint64{rand.Uint64() | 1, rand.Uint64() | 1, rand.Uint64() | 1}
	}
	n.mask = uint64(size - 1)
	n.gen++
	if n.gen == 0 {
		clear(n.slots)
		n.gen = 1
	}
}

// hashNested mixes the 24 bytes of a key with the seed, as wyhash does
// (multiply, fold the 128-bit product).
func hashNested(k nestedKey, seed *[3]uint64) uint64 {
	h := mix(k.span^seed[0], k.trace0^seed[1])
	return mix(h^k.trace1, seed[2])
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

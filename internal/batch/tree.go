// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package batch

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// tree finds, within one batch, the agent span each counted call and each
// tool execution runs under: its nearest ancestor that is an agent span,
// through the parent links of the GenAI spans of the batch (calls, tools,
// agents, and wrappers such as chains and steps). A span whose parent is not
// in the batch (another batch, or a span no GenAI instrumentation wrote) ends
// the walk: COUNTING.md says when that happens and how groupbytrace avoids
// it.
//
// Its memory is proportional to the GenAI spans of a batch: calls, tools
// and agents, and at most maxWrappers + 4 per call, tool or agent wrappers
// (chains, steps…), so a batch of millions of wrapper spans costs no more
// than its calls.
type tree struct {
	nodes    []treeNode
	agents   []agentSlot
	index    map[treeKey]int32 // node of a span; built only for a batch with agents
	counted  int               // nodes that are no wrapper
	wrappers int
}

// treeKey identifies a span.
type treeKey struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
}

type treeNode struct {
	key    treeKey
	parent pcommon.SpanID
	kind   genai.Kind
	// ref is the index of the call (among the batch's counted calls) or of
	// the agent (in tree.agents).
	ref          int32
	toolsOffered bool
}

// agentSlot is one agent span of the batch, visited after every span is
// read.
type agentSlot struct {
	act       genai.Activity
	span      ptrace.Span
	confirmed bool // a tentative agent with tools offered or called under it
}

const (
	// maxWrappers is the number of wrapper spans a batch keeps beyond four
	// per call, tool or agent.
	maxWrappers = 4096
	// maxDepth bounds the walk from a call to its agent.
	maxDepth = 64
)

// addCall adds the counted call i of the batch; a root span is under no
// agent.
func (t *tree) addCall(c *genai.Call, i int) {
	if c.ParentSpanID.IsEmpty() {
		return
	}
	t.counted++
	t.nodes = append(t.nodes, treeNode{
		key: treeKey{c.TraceID, c.SpanID}, parent: c.ParentSpanID, kind: genai.KindCall, ref: int32(i), toolsOffered: c.ToolsOffered,
	})
}

// addActivity adds an agent, tool or wrapper span.
func (t *tree) addActivity(a *genai.Activity, span ptrace.Span) {
	n := treeNode{key: treeKey{a.TraceID, a.SpanID}, parent: a.ParentSpanID, kind: a.Kind}
	switch a.Kind {
	case genai.KindWrapper:
		if t.wrappers >= maxWrappers+4*t.counted {
			return
		}
		t.wrappers++
	case genai.KindAgent:
		n.ref = int32(len(t.agents))
		t.agents = append(t.agents, agentSlot{act: *a, span: span})
		t.counted++
	default:
		t.counted++
	}
	t.nodes = append(t.nodes, n)
}

// visitAgents counts the calls (but the nested duplicates, dup(i)) and tool
// executions under each agent and visits the agents.
func (t *tree) visitAgents(visit func(*genai.Activity, ptrace.Span), dup func(int) bool) {
	if len(t.agents) == 0 {
		return
	}
	if t.index == nil {
		t.index = make(map[treeKey]int32, len(t.nodes))
	}
	for i := range t.nodes {
		if _, ok := t.index[t.nodes[i].key]; !ok { // a span listed twice: the first one stays
			t.index[t.nodes[i].key] = int32(i)
		}
	}
	for i := range t.nodes {
		n := &t.nodes[i]
		if n.kind != genai.KindCall && n.kind != genai.KindTool {
			continue
		}
		if n.kind == genai.KindCall && dup != nil && dup(int(n.ref)) {
			continue
		}
		a := t.agentOf(n)
		if a == nil {
			continue
		}
		if n.kind == genai.KindCall {
			a.act.ModelCalls++
			a.confirmed = a.confirmed || n.toolsOffered
		} else {
			a.act.ToolCalls++
			a.confirmed = true
		}
	}
	for i := range t.agents {
		a := &t.agents[i]
		if a.act.Tentative && !a.confirmed {
			continue
		}
		visit(&a.act, a.span)
	}
}

// agentOf returns the nearest agent above n, or nil.
func (t *tree) agentOf(n *treeNode) *agentSlot {
	key := treeKey{trace: n.key.trace, span: n.parent}
	for range maxDepth {
		if key.span.IsEmpty() {
			return nil
		}
		j, ok := t.index[key]
		if !ok {
			return nil
		}
		p := &t.nodes[j]
		if p.kind == genai.KindAgent {
			return &t.agents[p.ref]
		}
		key.span = p.parent
	}
	return nil
}

// reset empties the tree for the next batch, keeping its memory (and
// dropping the references to the batch).
func (t *tree) reset() {
	t.nodes = t.nodes[:0]
	clear(t.agents)
	t.agents = t.agents[:0]
	if t.index != nil {
		clear(t.index)
	}
	t.counted, t.wrappers = 0, 0
}

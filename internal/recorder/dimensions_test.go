// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package recorder

import (
	"fmt"
	"hash/maphash"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// dimSettings: service (cap 2), provider (cap 5, default unknown), tenant
// (cap 2, default none).
func dimSettings() Settings {
	set := testSettings()
	set.NativeHistograms, set.Exemplars = false, false
	set.Dimensions = []Dimension{
		{Label: "service", Default: "unknown", MaxValues: 2},
		{Label: "provider", Default: "unknown", MaxValues: 5},
		{Label: "tenant", Default: "none", MaxValues: 2},
	}
	return set
}

// dimCall is a call with cost 0.5 USD (carried by the span) and the
// dimension values service, provider, tenant.
func dimCall(model, tmpl string, dims ...string) genai.Call {
	c := chat(model, tmpl, 1, 10, 2)
	c.Cost, c.HasCost = 0.5, true
	copy(c.Dimensions[:], dims)
	return c
}

// TestRecordDimensionsExposition: every family carries the dimension
// labels, sorted by name among model, template, status and reason, and the
// series are sorted as a registry sorts them.
func TestRecordDimensionsExposition(t *testing.T) {
	r, reg := newTestRecorder(t, dimSettings())
	calls := []genai.Call{
		dimCall("gpt-4o", "qa", "web", "openai", "acme"),
		dimCall("gpt-4o", "qa", "web", "openai", "acme"),
		dimCall("gpt-4o", "qa", "api", "azure.ai.openai", ""), // no tenant: none
		dimCall("gpt-4o", "", "", "", "globex"),               // no service, provider: unknown
	}
	failed := dimCall("gpt-4o", "qa", "api", "azure.ai.openai", "")
	failed.Status, failed.Reason = genai.StatusError, genai.ReasonTimeout
	calls = append(calls, failed)
	for i := range calls {
		require.Equal(t, Overflow{}, r.Record(&calls[i], 0))
	}
	expected := `
# HELP llm_requests_total LLM calls by model, prompt template and status (success or error).
# TYPE llm_requests_total counter
llm_requests_total{model="gpt-4o",provider="azure.ai.openai",service="api",status="error",template="qa",tenant="none"} 1
llm_requests_total{model="gpt-4o",provider="azure.ai.openai",service="api",status="success",template="qa",tenant="none"} 1
llm_requests_total{model="gpt-4o",provider="openai",service="web",status="error",template="qa",tenant="acme"} 0
llm_requests_total{model="gpt-4o",provider="openai",service="web",status="success",template="qa",tenant="acme"} 2
llm_requests_total{model="gpt-4o",provider="unknown",service="unknown",status="error",template="none",tenant="globex"} 0
llm_requests_total{model="gpt-4o",provider="unknown",service="unknown",status="success",template="none",tenant="globex"} 1
# HELP llm_cost_usd_total Estimated cost of LLM calls in USD: the cost the span carries, else tokens times the price table.
# TYPE llm_cost_usd_total counter
llm_cost_usd_total{model="gpt-4o",provider="azure.ai.openai",service="api",template="qa",tenant="none"} 1
llm_cost_usd_total{model="gpt-4o",provider="openai",service="web",template="qa",tenant="acme"} 1
llm_cost_usd_total{model="gpt-4o",provider="unknown",service="unknown",template="none",tenant="globex"} 0.5
# HELP llm_errors_total Failed LLM calls by model and bounded error reason.
# TYPE llm_errors_total counter
llm_errors_total{model="gpt-4o",provider="azure.ai.openai",reason="timeout",service="api",tenant="none"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"llm_requests_total", "llm_cost_usd_total", "llm_errors_total"))
}

// TestRecordDimensionCaps: a dimension's values are admitted in arrival
// order up to its cap; its default and "other" take no slot; past the cap a
// value folds into "other" (Overflow.Dims), its call still counted.
func TestRecordDimensionCaps(t *testing.T) {
	r, reg := newTestRecorder(t, dimSettings())
	for _, tc := range []struct {
		dims []string
		want Overflow
	}{
		{[]string{"a", "openai", "t1"}, Overflow{}},
		{[]string{"", "openai", ""}, Overflow{}},           // defaults: no slot
		{[]string{"other", "openai", "other"}, Overflow{}}, // other: no slot
		{[]string{"b", "openai", "t2"}, Overflow{}},
		{[]string{"c", "openai", "t3"}, Overflow{Dims: 1<<0 | 1<<2}}, // service and tenant full
		{[]string{"a", "openai", "t3"}, Overflow{Dims: 1 << 2}},
		{[]string{"b", "openai", "t1"}, Overflow{}},
	} {
		c := dimCall("m", "t", tc.dims...)
		assert.Equal(t, tc.want, r.Record(&c, 0), "%v", tc.dims)
	}
	assert.ElementsMatch(t, []string{"a", "b", "unknown", "other"}, labelValues(t, reg, "llm_request_duration_seconds", "service"))
	assert.ElementsMatch(t, []string{"t1", "t2", "none", "other"}, labelValues(t, reg, "llm_request_duration_seconds", "tenant"))
	assert.InDelta(t, 2, value(t, reg, "llm_requests_total", "model", "m", "template", "t", "status", "success",
		"service", "other", "provider", "openai", "tenant", "other"), 0, "c/t3 and the literal other/other")
	assert.InDelta(t, 1, value(t, reg, "llm_requests_total", "model", "m", "template", "t", "status", "success",
		"service", "a", "provider", "openai", "tenant", "other"), 0)
}

// TestRecordDimensionValuesBounded: values are cut to the maximum length at
// a rune boundary and repaired to valid UTF-8 (Overflow.Cut), a 1 MB value
// costs no more than a short one.
func TestRecordDimensionValuesBounded(t *testing.T) {
	set := dimSettings()
	set.MaxLabelValueLength = 8
	r, reg := newTestRecorder(t, set)
	huge := strings.Repeat("é", 1<<19) // 1 MB
	for _, tc := range []struct {
		dims []string
		want Overflow
	}{
		{[]string{huge, "openai", "ok"}, Overflow{Cut: 1 << 0}},
		{[]string{"x\xffy", "openai", "\xfe"}, Overflow{Cut: 1<<0 | 1<<2}},
		{[]string{huge, "openai", "ok"}, Overflow{Cut: 1 << 0}}, // counted on every call
	} {
		c := dimCall("m", "t", tc.dims...)
		assert.Equal(t, tc.want, r.Record(&c, 0))
	}
	assert.ElementsMatch(t, []string{"éééé", "x\uFFFDy"}, labelValues(t, reg, "llm_request_duration_seconds", "service"))
	assert.ElementsMatch(t, []string{"ok", "\uFFFD"}, labelValues(t, reg, "llm_request_duration_seconds", "tenant"))
	assert.InDelta(t, 2, value(t, reg, "llm_requests_total", "model", "m", "template", "t", "status", "success",
		"service", "éééé", "provider", "openai", "tenant", "ok"), 0)
}

// TestRecordLabelSetCap: past max_label_sets a new label set folds its last
// dimension first, then the one before, …, then the template; the model
// stays.
func TestRecordLabelSetCap(t *testing.T) {
	set := dimSettings()
	set.Dimensions[0].MaxValues, set.Dimensions[2].MaxValues = 100, 100
	set.MaxLabelSets = 4
	r, reg := newTestRecorder(t, set)
	for i, tc := range []struct {
		model, tmpl string
		dims        []string
		want        Overflow
	}{
		{"m", "t", []string{"s1", "p1", "u1"}, Overflow{}},
		{"m", "t", []string{"s1", "p1", "u2"}, Overflow{}},
		{"m", "t", []string{"s2", "p1", "u1"}, Overflow{}},
		{"m", "t", []string{"s1", "p1", "u3"}, Overflow{}}, // 4 label sets: full
		// tenant folds: (s1, p1, other) is new, so provider folds: (s1,
		// other, other) is new, service folds, then the template:
		// (m, other, other, other, other) is created past the cap.
		{"m", "t", []string{"s1", "p1", "u4"}, Overflow{Dims: 7, Template: true, LabelSet: true}},
		// (m, t, other, other, other) does not exist; (m, other, …) does.
		{"m", "t", []string{"s3", "p2", "u5"}, Overflow{Dims: 7, Template: true, LabelSet: true}},
		// An existing label set is never folded.
		{"m", "t", []string{"s2", "p1", "u1"}, Overflow{}},
		// A new model keeps its name: (m2, other, other, other, other).
		{"m2", "t", []string{"s1", "p1", "u1"}, Overflow{Dims: 7, Template: true, LabelSet: true}},
	} {
		c := dimCall(tc.model, tc.tmpl, tc.dims...)
		assert.Equal(t, tc.want, r.Record(&c, 0), "call %d", i)
	}
	n, err := testutil.GatherAndCount(reg, "llm_prompt_tokens_total")
	require.NoError(t, err)
	assert.Equal(t, 6, n, "4 label sets + one all-other label set per model")
	assert.InDelta(t, 2, value(t, reg, "llm_requests_total", "model", "m", "template", "other", "status", "success",
		"service", "other", "provider", "other", "tenant", "other"), 0)

	// Folding stops at the first existing label set: with (s1, p1, other)
	// present, a new tenant of (s1, p1) folds only the tenant.
	set.MaxLabelSets = 2
	r, reg = newTestRecorder(t, set)
	for _, dims := range [][]string{{"s1", "p1", "u1"}, {"s1", "p1", "other"}} {
		c := dimCall("m", "t", dims...)
		require.Equal(t, Overflow{}, r.Record(&c, 0))
	}
	c := dimCall("m", "t", "s1", "p1", "u9")
	assert.Equal(t, Overflow{Dims: 1 << 2, LabelSet: true}, r.Record(&c, 0))
	assert.InDelta(t, 2, value(t, reg, "llm_requests_total", "model", "m", "template", "t", "status", "success",
		"service", "s1", "provider", "p1", "tenant", "other"), 0)
	// The folded tenant took no slot: u1 and nothing else is admitted.
	r.mu.Lock()
	assert.Equal(t, map[string]int{"u1": 1}, r.dimValues[2])
	r.mu.Unlock()
}

// TestRecordExpiry: with idle_timeout, a label set not updated for that
// long leaves /metrics at the next scrape and frees its values' slots; a
// call to it later creates it again with a new created timestamp.
func TestRecordExpiry(t *testing.T) {
	set := dimSettings()
	set.Dimensions[2].IdleTimeout = time.Minute
	set.Dimensions[0].IdleTimeout = time.Hour // the smallest applies
	r, reg := newTestRecorder(t, set)
	clock := int64(1_000 * time.Second)
	r.now = func() int64 { return clock }
	rec := func(tenant string) Overflow {
		c := dimCall("m", "t", "s", "openai", tenant)
		if tenant == "fail" {
			c.Status, c.Reason = genai.StatusError, genai.ReasonTimeout
		}
		return r.Record(&c, clock)
	}
	require.Equal(t, Overflow{}, rec("t1"))
	require.Equal(t, Overflow{}, rec("fail"))
	require.Equal(t, Overflow{Dims: 1 << 2}, rec("t3"), "tenant cap 2")
	clock += int64(30 * time.Second)
	require.Equal(t, Overflow{}, rec("t1")) // t1 stays fresh
	clock += int64(40 * time.Second)        // fail and other: 70 s idle
	assert.ElementsMatch(t, []string{"t1"}, labelValues(t, reg, "llm_request_duration_seconds", "tenant"))
	n, err := testutil.GatherAndCount(reg, "llm_errors_total")
	require.NoError(t, err)
	assert.Zero(t, n, "the group of the expired label set is gone")
	r.mu.Lock()
	assert.Equal(t, map[string]int{"t1": 1}, r.dimValues[2], "the slot of fail is free")
	assert.Len(t, r.snap.Load().series, 1)
	r.mu.Unlock()

	// t3 is admitted now; it starts with a new created timestamp.
	require.Equal(t, Overflow{}, rec("t3"))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	m := findMetric(t, mfs, "llm_prompt_tokens_total", map[string]string{"model": "m", "template": "t", "service": "s", "provider": "openai", "tenant": "t3"})
	assert.Equal(t, clock, m.GetCounter().GetCreatedTimestamp().AsTime().UnixNano())
	assert.InDelta(t, 10, m.GetCounter().GetValue(), 0, "a new series: only the call after the expiry")

	// A lookup that would fold runs a sweep itself (no scrape needed).
	clock += int64(2 * time.Minute)
	require.Equal(t, Overflow{}, rec("t4"))
	require.Equal(t, Overflow{}, rec("t5"))
	r.mu.Lock()
	assert.Equal(t, map[string]int{"t4": 1, "t5": 1}, r.dimValues[2])
	r.mu.Unlock()
}

// TestRecordExpiryRace: a call holding a series that expiry removes
// between its lookup and its lock is counted in the new series, never lost.
func TestRecordExpiryRace(t *testing.T) {
	set := dimSettings()
	set.Dimensions[2].IdleTimeout = time.Second
	r, reg := newTestRecorder(t, set)
	clock := int64(time.Hour)
	r.now = func() int64 { return clock }
	c := dimCall("m", "t", "s", "openai", "t1")
	r.Record(&c, clock)
	key := seriesKey{model: "m", template: "t", dims: dimValues{"s", "openai", "t1"}}
	old := r.snap.Load().series[r.hashKey(&key)]
	require.NotNil(t, old)
	clock += int64(2 * time.Second)
	r.mu.Lock()
	r.sweepLocked(clock)
	r.mu.Unlock()
	require.True(t, old.dead)
	// Record with the stale snapshot's series: it finds it dead and looks up again.
	stale := &snapshot{series: map[uint64]*series{old.hash: old}}
	r.snap.Store(stale)
	r.Record(&c, clock)
	assert.InDelta(t, 1, value(t, reg, "llm_requests_total", "model", "m", "template", "t", "status", "success",
		"service", "s", "provider", "openai", "tenant", "t1"), 0)
}

// TestRecordHashCollision: a snapshot entry whose label set differs from
// the call's (two label sets with one hash) is never used for the call.
func TestRecordHashCollision(t *testing.T) {
	r, reg := newTestRecorder(t, dimSettings())
	a, b := dimCall("m", "t", "s", "openai", "a"), dimCall("m", "t", "s", "openai", "b")
	r.Record(&a, 0)
	r.Record(&b, 0)
	keyA := seriesKey{model: "m", template: "t", dims: dimValues{"s", "openai", "a"}}
	keyB := seriesKey{model: "m", template: "t", dims: dimValues{"s", "openai", "b"}}
	r.mu.Lock()
	sb := r.dirty[keyB]
	r.mu.Unlock()
	// As if a and b had the same hash and the snapshot kept b.
	r.snap.Store(&snapshot{series: map[uint64]*series{r.hashKey(&keyA): sb}})
	r.Record(&a, 0)
	assert.InDelta(t, 2, value(t, reg, "llm_requests_total", "model", "m", "template", "t", "status", "success",
		"service", "s", "provider", "openai", "tenant", "a"), 0)
	assert.InDelta(t, 1, value(t, reg, "llm_requests_total", "model", "m", "template", "t", "status", "success",
		"service", "s", "provider", "openai", "tenant", "b"), 0)
}

// TestHashString: hashString is a function of the string's bytes (not of
// where they are), reads every byte of a short string (values that differ
// in any one byte, at any length up to 16, hash apart: no collision among
// 300,000 such strings), hands long strings to maphash, and depends on the
// recorder's random seed.
func TestHashString(t *testing.T) {
	r, _ := newTestRecorder(t, dimSettings())
	r2, _ := newTestRecorder(t, dimSettings())
	seen := map[uint64]string{}
	check := func(s string) {
		h := r.hashString(s)
		require.Equal(t, h, r.hashString(strings.Clone(s)), "%q: same bytes, same hash", s)
		if other, dup := seen[h]; dup && other != s {
			t.Fatalf("%q and %q share the hash %x", s, other, h)
		}
		seen[h] = s
	}
	check("")
	for n := 1; n <= 40; n++ {
		base := []byte(strings.Repeat("a", n))
		check(string(base))
		for i := range n { // every position, several byte values
			for _, c := range []byte{'b', 'z', 0, 0xff, 'A'} {
				v := append([]byte(nil), base...)
				v[i] = c
				check(string(v))
			}
		}
	}
	for i := range 300_000 {
		check(fmt.Sprintf("tenant-%d", i))
	}
	assert.Equal(t, maphash.String(r.seed, strings.Repeat("x", 17)), r.hashString(strings.Repeat("x", 17)), "long strings: maphash")
	differ := 0
	for _, s := range []string{"", "a", "openai", "azure.ai.openai", "gpt-4o", "tenant-1"} {
		if r.hashString(s) != r2.hashString(s) {
			differ++
		}
	}
	assert.Equal(t, 6, differ, "each recorder has its own seed")
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package recorder

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func at(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

// TestRecordBudgets: a budget counts the cost of the calls its matchers
// hold for, by their own values even when a label folded into "other", per
// calendar window in UTC; its limit is a gauge.
func TestRecordBudgets(t *testing.T) {
	set := dimSettings()
	set.Budgets = []Budget{
		{Name: "acme", Match: map[string]string{"tenant": "acme"}, Period: Monthly, AmountUSD: 100},
		{Name: "all", Period: Daily, AmountUSD: 10},
		{Name: "web-openai", Match: map[string]string{"service": "web", "provider": "openai"}, Period: Daily, AmountUSD: 5},
		{Name: "m2-none", Match: map[string]string{"model": "m2", "tenant": "none"}, Period: Monthly, AmountUSD: 2.5},
		{Name: "idle", Match: map[string]string{"template": "never"}, Period: Daily, AmountUSD: 1},
	}
	r, reg := newTestRecorder(t, set)
	clock := at("2026-12-31T23:00:00Z")
	r.now = func() int64 { return clock }
	rec := func(model string, dims ...string) {
		c := dimCall(model, "t", dims...)
		r.Record(&c, clock)
	}
	rec("m", "web", "openai", "t1")   // all, web-openai
	rec("m", "api", "openai", "t2")   // all; the tenant cap (2) is full
	rec("m", "web", "openai", "acme") // tenant folds into other: acme, all, web-openai
	rec("m", "api", "openai", "acme") // acme, all
	rec("m2", "api", "anthropic", "") // all, m2-none
	unpriced := dimCall("m", "t", "web", "openai", "acme")
	unpriced.HasCost = false // no price table: unpriced, no cost
	r.Record(&unpriced, clock)
	require.ElementsMatch(t, []string{"t1", "t2", "other", "none"}, labelValues(t, reg, "llm_request_duration_seconds", "tenant"))

	expected := `
# HELP llm_budget_cost_usd_total Cost in USD of the LLM calls a budget matches, counted by this collector in the current calendar window (UTC) of the budget's period.
# TYPE llm_budget_cost_usd_total counter
llm_budget_cost_usd_total{budget="acme",period="monthly",window="2026-12"} 1
llm_budget_cost_usd_total{budget="all",period="daily",window="2026-12-31"} 2.5
llm_budget_cost_usd_total{budget="idle",period="daily",window="2026-12-31"} 0
llm_budget_cost_usd_total{budget="m2-none",period="monthly",window="2026-12"} 0.5
llm_budget_cost_usd_total{budget="web-openai",period="daily",window="2026-12-31"} 1
# HELP llm_budget_limit_usd The amount of a budget in USD per period (configuration).
# TYPE llm_budget_limit_usd gauge
llm_budget_limit_usd{budget="acme",period="monthly"} 100
llm_budget_limit_usd{budget="all",period="daily"} 10
llm_budget_limit_usd{budget="idle",period="daily"} 1
llm_budget_limit_usd{budget="m2-none",period="monthly"} 2.5
llm_budget_limit_usd{budget="web-openai",period="daily"} 5
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected), "llm_budget_cost_usd_total", "llm_budget_limit_usd"))

	// Past midnight UTC (and the month end) every window starts again at 0
	// at the first scrape, created at the window's start at the earliest.
	clock = at("2027-01-01T00:00:30Z")
	expected = `
# HELP llm_budget_cost_usd_total Cost in USD of the LLM calls a budget matches, counted by this collector in the current calendar window (UTC) of the budget's period.
# TYPE llm_budget_cost_usd_total counter
llm_budget_cost_usd_total{budget="acme",period="monthly",window="2027-01"} 0
llm_budget_cost_usd_total{budget="all",period="daily",window="2027-01-01"} 0
llm_budget_cost_usd_total{budget="idle",period="daily",window="2027-01-01"} 0
llm_budget_cost_usd_total{budget="m2-none",period="monthly",window="2027-01"} 0
llm_budget_cost_usd_total{budget="web-openai",period="daily",window="2027-01-01"} 0
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected), "llm_budget_cost_usd_total"))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	m := findMetric(t, mfs, "llm_budget_cost_usd_total", map[string]string{"budget": "all", "period": "daily", "window": "2027-01-01"})
	assert.Equal(t, clock, m.GetCounter().GetCreatedTimestamp().AsTime().UnixNano())

	// A call rolls the window too (no scrape in between): 2 January.
	clock = at("2027-01-02T08:00:00Z")
	rec("m", "web", "openai", "acme")
	expected = `
# HELP llm_budget_cost_usd_total Cost in USD of the LLM calls a budget matches, counted by this collector in the current calendar window (UTC) of the budget's period.
# TYPE llm_budget_cost_usd_total counter
llm_budget_cost_usd_total{budget="acme",period="monthly",window="2027-01"} 0.5
llm_budget_cost_usd_total{budget="all",period="daily",window="2027-01-02"} 0.5
llm_budget_cost_usd_total{budget="idle",period="daily",window="2027-01-02"} 0
llm_budget_cost_usd_total{budget="m2-none",period="monthly",window="2027-01"} 0
llm_budget_cost_usd_total{budget="web-openai",period="daily",window="2027-01-02"} 0.5
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected), "llm_budget_cost_usd_total"))
}

func TestRecordBudgetsUnknownLabel(t *testing.T) {
	set := dimSettings()
	set.Budgets = []Budget{{Name: "x", Match: map[string]string{"team": "a"}, Period: Daily, AmountUSD: 1}}
	_, err := New(set)
	require.EqualError(t, err, `budget "x" matches label "team", which is neither model, template nor a dimension`)
	set.Budgets = make([]Budget, MaxBudgets+1)
	_, err = New(set)
	require.EqualError(t, err, "65 budgets, at most 64")
}

// TestRecordNoBudgetFamilies: without budgets, no budget family is served.
func TestRecordNoBudgetFamilies(t *testing.T) {
	r, reg := newTestRecorder(t, dimSettings())
	c := dimCall("m", "t", "s", "openai", "acme")
	r.Record(&c, 0)
	n, err := testutil.GatherAndCount(reg, "llm_budget_cost_usd_total", "llm_budget_limit_usd")
	require.NoError(t, err)
	assert.Zero(t, n)
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package recorder // import "github.com/otelcol-llm/otelcol-llm/internal/recorder"

import (
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Period is the calendar period of a budget, in UTC.
type Period uint8

const (
	Daily Period = iota
	Monthly
)

func (p Period) String() string {
	if p == Monthly {
		return "monthly"
	}
	return "daily"
}

// MaxBudgets bounds the budgets of a Recorder.
const MaxBudgets = 64

// Budget counts the cost of the calls whose labels match Match (label name
// to value: model, template or a dimension; the value a call has before any
// folding into "other"), per calendar window of its Period.
type Budget struct {
	Name      string
	Match     map[string]string
	Period    Period
	AmountUSD float64
}

// budget is a Budget's state: llm_budget_limit_usd{budget, period} and
// llm_budget_cost_usd_total{budget, period, window}, the window being the
// current calendar day (2006-01-02) or month (2006-01) in UTC.
type budget struct {
	match    []budgetMatch
	amount   float64
	period   Period
	limitLbl []*dto.LabelPair // budget, period
	name     string

	mu        sync.Mutex
	windowEnd int64 // Unix nanoseconds; the counter belongs to [start, end)
	costLbl   []*dto.LabelPair
	cost      counter
}

type budgetMatch struct {
	slot  labelSlot
	value string
}

func newBudgets(budgets []Budget, dimLabels []string) ([]*budget, error) {
	if len(budgets) > MaxBudgets {
		return nil, fmt.Errorf("%d budgets, at most %d", len(budgets), MaxBudgets)
	}
	var out []*budget
	for _, b := range budgets {
		nb := &budget{name: b.Name, amount: b.AmountUSD, period: b.Period}
		nb.limitLbl = []*dto.LabelPair{labelPair("budget", b.Name), labelPair("period", b.Period.String())}
		names := make([]string, 0, len(b.Match))
		for name := range b.Match {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			s := labelSlot{name: name}
			switch i := slices.Index(dimLabels, name); {
			case name == "model":
				s.dim = slotModel
			case name == "template":
				s.dim = slotTemplate
			case i >= 0:
				s.dim = i
			default:
				return nil, fmt.Errorf("budget %q matches label %q, which is neither model, template nor a dimension", b.Name, name)
			}
			nb.match = append(nb.match, budgetMatch{slot: s, value: b.Match[name]})
		}
		out = append(out, nb)
	}
	return out, nil
}

// matchBudgets returns the budgets whose matchers all hold for k: bit i is
// budget i.
func (r *Recorder) matchBudgets(k *seriesKey) uint64 {
	var mask uint64
	for i, b := range r.budgets {
		ok := true
		for _, m := range b.match {
			if slotValue(m.slot, k.model, k.template, &k.dims) != m.value {
				ok = false
				break
			}
		}
		if ok {
			mask |= 1 << i
		}
	}
	return mask
}

// addBudgets adds v to the budgets of mask, in their windows of now.
func (r *Recorder) addBudgets(mask uint64, v float64, now int64) {
	for ; mask != 0; mask &= mask - 1 {
		b := r.budgets[bits.TrailingZeros64(mask)]
		b.mu.Lock()
		b.roll(now, r.now)
		b.cost.add(v, nil)
		b.mu.Unlock()
	}
}

// roll starts the window of now when now is past the current one: a new
// series at 0. Call with b.mu held.
func (b *budget) roll(now int64, clock func() int64) {
	if now < b.windowEnd && b.costLbl != nil {
		return
	}
	t := time.Unix(0, now).UTC()
	var start, end time.Time
	var label string
	if b.period == Monthly {
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 1, 0)
		label = start.Format("2006-01")
	} else {
		start = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 0, 1)
		label = start.Format(time.DateOnly)
	}
	b.windowEnd = end.UnixNano()
	b.costLbl = []*dto.LabelPair{b.limitLbl[0], b.limitLbl[1], labelPair("window", label)}
	b.cost = counter{created: max(clock(), start.UnixNano())}
}

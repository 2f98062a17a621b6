// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package recorder // import "github.com/otelcol-llm/otelcol-llm/internal/recorder"

import (
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// layout is the order of the labels of the series, by label name, as a
// prometheus.Registry exposes them: a series' label pairs and the values it
// is sorted by follow it.
type layout struct {
	series []labelSlot // model, template and the dimensions, by name
	group  []labelSlot // model and the dimensions, by name
	// statusAt and reasonAt are the number of series (group) labels named
	// before status (reason): where a requests (errors) series has it.
	statusAt, reasonAt int
	// finishAt: likewise for finish_reason (finish reasons series).
	finishAt int
}

// labelSlot is one label: the model (dim -2), the template (dim -1) or
// dimension dim.
type labelSlot struct {
	name string
	dim  int
}

const (
	slotModel    = -2
	slotTemplate = -1
)

func newLayout(dimLabels []string) layout {
	var l layout
	l.series = append(l.series, labelSlot{"model", slotModel}, labelSlot{"template", slotTemplate})
	l.group = append(l.group, labelSlot{"model", slotModel})
	for i, name := range dimLabels {
		l.series = append(l.series, labelSlot{name, i})
		l.group = append(l.group, labelSlot{name, i})
	}
	byName := func(a, b labelSlot) int { return strings.Compare(a.name, b.name) }
	slices.SortFunc(l.series, byName)
	slices.SortFunc(l.group, byName)
	l.statusAt = before(l.series, "status")
	l.reasonAt = before(l.group, "reason")
	l.finishAt = before(l.group, "finish_reason")
	return l
}

func slotValue(s labelSlot, model, template string, dims *dimValues) string {
	switch s.dim {
	case slotModel:
		return model
	case slotTemplate:
		return template
	}
	return dims[s.dim]
}

// seriesValues are the label values of a label set in label name order.
func (l *layout) seriesValues(k *seriesKey) []string {
	vals := make([]string, len(l.series))
	for i, s := range l.series {
		vals[i] = slotValue(s, k.model, k.template, &k.dims)
	}
	return vals
}

// groupValues are the label values of a group in label name order.
func (l *layout) groupValues(k *groupKey) []string {
	vals := make([]string, len(l.group))
	for i, s := range l.group {
		vals[i] = slotValue(s, k.model, "", &k.dims)
	}
	return vals
}

func (l *layout) groupLabels(vals []string) []*dto.LabelPair {
	lbl := make([]*dto.LabelPair, len(vals))
	for i, s := range l.group {
		lbl[i] = labelPair(s.name, vals[i])
	}
	return lbl
}

// seriesLabels are the label pairs of a series; it shares the pairs of its
// group (model and dimensions).
func (l *layout) seriesLabels(vals []string, groupLbl []*dto.LabelPair) []*dto.LabelPair {
	lbl := make([]*dto.LabelPair, 0, len(vals))
	g := 0
	for i, s := range l.series {
		if s.dim == slotTemplate {
			lbl = append(lbl, labelPair(s.name, vals[i]))
			continue
		}
		lbl = append(lbl, groupLbl[g])
		g++
	}
	return lbl
}

// withLabel returns lbl with p inserted at position at.
func withLabel(lbl []*dto.LabelPair, p *dto.LabelPair, at int) []*dto.LabelPair {
	out := make([]*dto.LabelPair, 0, len(lbl)+1)
	out = append(out, lbl[:at]...)
	out = append(out, p)
	return append(out, lbl[at:]...)
}

// before is the number of slots named before name.
func before(slots []labelSlot, name string) int {
	n := 0
	for _, s := range slots {
		if s.name < name {
			n++
		}
	}
	return n
}

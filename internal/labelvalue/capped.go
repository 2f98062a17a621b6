// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package labelvalue

import (
	"strings"
	"sync"
)

// Values that stand for no value and for the values past a cap.
const (
	Unknown = "unknown"
	Other   = "other"
)

// Capped bounds one label: values are sanitized (Sanitize), "" is Unknown,
// and past the first max distinct values every new one is Other (Unknown
// and Other take no slot). It is safe for concurrent use.
type Capped struct {
	mu     sync.Mutex
	max    int
	maxLen int
	values map[string]string // the admitted values (the map's own copies)
}

// NewCapped returns a Capped of maxValues values of at most maxLen bytes.
func NewCapped(maxValues, maxLen int) *Capped {
	return &Capped{max: maxValues, maxLen: maxLen, values: map[string]string{}}
}

// Value returns the label value of v; overflow: v was past the cap; cut: v
// was cut or repaired.
func (c *Capped) Value(v string) (label string, overflow, cut bool) {
	if v == "" {
		return Unknown, false, false
	}
	s := Sanitize(v, c.maxLen)
	cut = s != v
	if s == Unknown || s == Other {
		return s, false, cut // reserved values take no slot
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if got, ok := c.values[s]; ok {
		return got, false, cut
	}
	if len(c.values) >= c.max {
		return Other, true, cut
	}
	s = strings.Clone(s) // our own copy: s may point into a batch
	c.values[s] = s
	return s, false, cut
}

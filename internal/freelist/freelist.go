// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package freelist keeps a few reusable values for concurrent callers.
package freelist // import "github.com/otelcol-llm/otelcol-llm/internal/freelist"

import "sync"

// List hands out *T values and takes them back, keeping at most Max (4 when
// zero) for later calls. Unlike sync.Pool it never drops a value it keeps
// (not at a GC, not at random under the race detector), so a steady stream of
// calls allocates nothing; its memory is bounded by Max values.
// The zero value is ready to use.
type List[T any] struct {
	Max int

	mu   sync.Mutex
	free []*T
}

// Get returns a kept value, or a new zero one.
func (l *List[T]) Get() *T {
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		v := l.free[n-1]
		l.free[n-1] = nil
		l.free = l.free[:n-1]
		l.mu.Unlock()
		return v
	}
	l.mu.Unlock()
	return new(T)
}

// Put keeps v for a later Get, unless Max values are kept already.
func (l *List[T]) Put(v *T) {
	limit := l.Max
	if limit <= 0 {
		limit = 4
	}
	l.mu.Lock()
	if len(l.free) < limit {
		l.free = append(l.free, v)
	}
	l.mu.Unlock()
}

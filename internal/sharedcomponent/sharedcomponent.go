// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package sharedcomponent gives the sides of one component (its traces and
// logs sides) one instance, as the collector's receivers share theirs (its
// own sharedcomponent package is internal to the collector): keyed by the
// component's configuration, as the OTLP receiver keys them.
package sharedcomponent // import "github.com/otelcol-llm/otelcol-llm/internal/sharedcomponent"

import "sync"

// Map holds the instance of each configuration until it is forgotten (at
// its Shutdown). It is safe for concurrent use.
type Map[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

// LoadOrCreate returns the instance of key, created by create the first
// time (an error is returned and nothing is kept).
func (s *Map[K, V]) LoadOrCreate(key K, create func() (V, error)) (V, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[key]; ok {
		return v, nil
	}
	v, err := create()
	if err != nil {
		return v, err
	}
	if s.m == nil {
		s.m = map[K]V{}
	}
	s.m[key] = v
	return v, nil
}

// Forget drops the instance of key: the next LoadOrCreate creates a new one.
func (s *Map[K, V]) Forget(key K) {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

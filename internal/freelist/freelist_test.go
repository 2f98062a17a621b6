// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package freelist

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestList(t *testing.T) {
	var l List[[4]int]
	a := l.Get()
	a[0] = 7
	l.Put(a)
	assert.Same(t, a, l.Get(), "a kept value is handed out again")
	assert.NotSame(t, a, l.Get(), "the list is empty again")

	l.Max = 2
	vs := []*[4]int{l.Get(), l.Get(), l.Get()}
	for _, v := range vs {
		l.Put(v)
	}
	assert.Len(t, l.free, 2, "at most Max kept")
	assert.Same(t, vs[1], l.Get())
	assert.Same(t, vs[0], l.Get())
}

func TestListNoAllocs(t *testing.T) {
	var l List[[64]byte]
	l.Put(l.Get())
	assert.Zero(t, testing.AllocsPerRun(100, func() { l.Put(l.Get()) }))
}

func TestListConcurrent(t *testing.T) {
	var l List[int]
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				v := l.Get()
				*v++
				l.Put(v)
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, len(l.free), 4)
}

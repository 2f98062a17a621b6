// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package sharedcomponent

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMap(t *testing.T) {
	var m Map[string, *int]
	created := 0
	create := func() (*int, error) {
		created++
		v := created
		return &v, nil
	}
	a, err := m.LoadOrCreate("a", create)
	require.NoError(t, err)
	again, err := m.LoadOrCreate("a", create)
	require.NoError(t, err)
	assert.Same(t, a, again)
	b, err := m.LoadOrCreate("b", create)
	require.NoError(t, err)
	assert.NotSame(t, a, b)
	m.Forget("a")
	fresh, err := m.LoadOrCreate("a", create)
	require.NoError(t, err)
	assert.Equal(t, 3, *fresh)

	_, err = m.LoadOrCreate("c", func() (*int, error) { return nil, errors.New("bad config") })
	require.Error(t, err)
	d, err := m.LoadOrCreate("c", create)
	require.NoError(t, err, "a failed creation keeps nothing")
	assert.Equal(t, 4, *d)
}

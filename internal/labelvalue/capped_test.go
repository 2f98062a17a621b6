// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package labelvalue

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCapped(t *testing.T) {
	c := NewCapped(2, 8)
	for _, tc := range []struct {
		in, want      string
		overflow, cut bool
	}{
		{"", Unknown, false, false},
		{"a", "a", false, false},
		{"other", Other, false, false}, // reserved: no slot
		{"unknown", Unknown, false, false},
		{strings.Repeat("b", 20), "bbbbbbbb", false, true},
		{"a", "a", false, false},                // admitted already
		{"c", Other, true, false},               // past the cap
		{"bbbbbbbbXX", "bbbbbbbb", false, true}, // the same cut value
		{"\xffz", Other, true, true},            // repaired, past the cap
	} {
		got, overflow, cut := c.Value(tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
		assert.Equal(t, tc.overflow, overflow, "%q overflow", tc.in)
		assert.Equal(t, tc.cut, cut, "%q cut", tc.in)
	}
}

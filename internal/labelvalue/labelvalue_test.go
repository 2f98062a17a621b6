// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package labelvalue

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"gpt-4o", "gpt-4o"},
		{"", ""},
		{"12345678", "12345678"},
		{"123456789", "12345678"},
		{"1234567é", "1234567"}, // never cut inside a rune
		{"ab\xffcd", "ab\uFFFDcd"},
		{"\xff\xff\xff\xff", "\uFFFD"},
		{"abcdef\xff", "abcdef"},                        // repaired, then cut before the U+FFFD that does not fit
		{strings.Repeat("\xff", 32) + "tail", "\uFFFD"}, // only the first 4*8 bytes are read
	} {
		got := Sanitize(tc.in, 8)
		assert.Equal(t, tc.want, got, "Sanitize(%q)", tc.in)
		assert.True(t, utf8.ValidString(got))
	}
}

// TestSanitizeDefaultLength: a 1 MB value is cut to DefaultMaxLength bytes,
// at a rune boundary.
func TestSanitizeDefaultLength(t *testing.T) {
	mb := strings.Repeat("x", 1<<20)
	assert.Equal(t, mb[:DefaultMaxLength], Sanitize(mb, DefaultMaxLength))
	// 127 ASCII bytes then a 2-byte rune: cut before the rune.
	v := strings.Repeat("a", DefaultMaxLength-1) + "é" + strings.Repeat("b", 1<<20)
	assert.Equal(t, strings.Repeat("a", DefaultMaxLength-1), Sanitize(v, DefaultMaxLength))
}

// TestSanitizeAllocations: a valid value, cut or not, costs no allocation.
func TestSanitizeAllocations(t *testing.T) {
	short, long := "tenant-42", strings.Repeat("x", 1<<20)
	var sink string
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		sink = Sanitize(short, DefaultMaxLength)
		sink = Sanitize(long, DefaultMaxLength)
	}))
	_ = sink
}

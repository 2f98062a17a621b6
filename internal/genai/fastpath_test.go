// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The fast paths of the hot path are checked against plain definitions.

// scan compares keys by words: it must find exactly the keys lookup finds,
// for every known key and for keys that differ from one by a byte or by
// their length.
func TestScanMatchesLookup(t *testing.T) {
	e := NewExtractor(Options{})
	tb := e.keys
	require.Nil(t, tb.overflow)
	require.False(t, tb.short)
	var keys []string
	for _, ke := range tb.entries {
		if ke.key == "" {
			continue
		}
		keys = append(keys, ke.key)
		for i := range len(ke.key) {
			b := []byte(ke.key)
			b[i] ^= 0x20
			keys = append(keys, string(b))
			b[i] ^= 0x21
			keys = append(keys, string(b))
		}
		keys = append(keys, ke.key[1:], ke.key[:len(ke.key)-1], ke.key+"x", "x"+ke.key)
	}
	for _, k := range keys {
		attrs := pcommon.NewMap()
		attrs.PutStr(k, "v")
		var fast, slow foundSet
		fast.scan(attrs, tb, e)
		slow.attrs, slow.ex = attrs, e
		slow.scanSlow(attrs, tb)
		assert.Equal(t, slow.present, fast.present, "%q", k)
		assert.Equal(t, slow.prio, fast.prio, "%q", k)
		assert.Equal(t, tb.lookup(k) != nil, fast.present != 0, "%q", k)
	}
}

// normalizeProvider's table gives what the case-insensitive scan gives.
func TestProviderTable(t *testing.T) {
	for _, p := range providerNames {
		for _, s := range []string{p.value, strings.ToUpper(p.value), p.value + ".chat", "x" + p.value} {
			want := normalizeProviderSlow(s)
			if s == "" {
				want = ""
			}
			assert.Equal(t, want, normalizeProvider(s), s)
		}
		c, ok := providerTable.find(p.value)
		if ok {
			assert.Equal(t, p.canonical, c, p.value)
		}
	}
}

// classifyName looks in one bucket of rules: it must give what a scan of
// every rule in table order gives.
func TestClassifyNameBuckets(t *testing.T) {
	ref := func(s string) (Reason, bool) {
		for i := range nameReasons {
			if hasSuffixFold(s, nameReasons[i].suffix) {
				return nameReasons[i].reason, nameReasons[i].generic
			}
		}
		return ReasonNone, false
	}
	var names []string
	for _, r := range nameReasons {
		names = append(names, r.suffix, strings.ToUpper(r.suffix), "openai."+r.suffix, "X"+r.suffix, r.suffix[1:], r.suffix+"s")
	}
	names = append(names, "", "a", "Error", "RateLimitError", "x.BadRequestError", "timeout")
	for _, s := range names {
		wantR, wantG := ref(s)
		gotR, gotG := classifyName(s)
		assert.Equal(t, wantR, gotR, s)
		assert.Equal(t, wantG, gotG, s)
	}
}

// classifyText skips the patterns with a byte the message lacks: it must
// give what trying every pattern gives.
func TestClassifyTextByteSets(t *testing.T) {
	ref := func(s string) (Reason, bool) {
		for i := range textReasons {
			if containsFold(s, textReasons[i].contains) {
				return textReasons[i].reason, true
			}
		}
		return ReasonNone, false
	}
	for _, r := range textReasons {
		for _, s := range []string{r.contains, strings.ToUpper(r.contains), "Error: " + r.contains + ".", r.contains[1:], "\xff" + r.contains} {
			want, ok := ref(s)
			if !ok {
				continue // classifyText then reads names and statuses too
			}
			got, _ := classifyText(s)
			assert.Equal(t, want, got, s)
		}
	}
	var all byteSet
	for i := range 256 {
		all.add(byte(i))
	}
	for _, n := range textNeeds {
		assert.True(t, n.within(all))
	}
	assert.False(t, byteSetOf("timeout").within(byteSetOf("time")))
	assert.True(t, byteSetOf("rate limit").within(byteSetOf("RATE LIMIT")))
}

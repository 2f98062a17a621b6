// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package labelvalue bounds a label value the way the llm_prometheus exporter
// exposes it and the llm processor writes it onto spans (llm.dimension.*):
// one rule, so a trace backend and Prometheus see the same value.
package labelvalue // import "github.com/otelcol-llm/otelcol-llm/internal/labelvalue"

import (
	"strings"
	"unicode/utf8"
)

// DefaultMaxLength is the default length bound of a label value, in bytes:
// the llm_prometheus exporter's labels::max_value_length default, and the
// bound the llm processor applies to the dimension values it writes.
const DefaultMaxLength = 128

// Sanitize makes v a valid UTF-8 string of at most maxLen bytes: every
// invalid byte sequence becomes U+FFFD, then the string is cut at the last
// rune boundary at or before maxLen bytes. It allocates only when v holds
// invalid UTF-8; a valid value is returned as is or as a prefix of itself.
// A value longer than 4*maxLen bytes is first cut to 4*maxLen bytes, bounding
// the work on huge values: what follows is never read, even when the repair
// shrinks the first 4*maxLen bytes below maxLen (a run of invalid bytes
// becomes one U+FFFD).
func Sanitize(v string, maxLen int) string {
	if len(v) <= maxLen && utf8.ValidString(v) {
		return v
	}
	if len(v) > 4*maxLen {
		v = v[:4*maxLen] // bound the work on huge values before repairing them
	}
	v = strings.ToValidUTF8(v, "\uFFFD")
	if len(v) > maxLen {
		cut := maxLen
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	return v
}

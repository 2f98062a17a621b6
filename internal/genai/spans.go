// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"iter"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Spans yields every span of td with its resource, in batch order (resource
// by resource, scope by scope).
func Spans(td ptrace.Traces) iter.Seq2[pcommon.Resource, ptrace.Span] {
	return func(yield func(pcommon.Resource, ptrace.Span) bool) {
		rss := td.ResourceSpans()
		for i := range rss.Len() {
			rs := rss.At(i)
			res := rs.Resource()
			sss := rs.ScopeSpans()
			for j := range sss.Len() {
				spans := sss.At(j).Spans()
				for k := range spans.Len() {
					if !yield(res, spans.At(k)) {
						return
					}
				}
			}
		}
	}
}

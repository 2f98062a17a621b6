// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package recorder // import "github.com/otelcol-llm/otelcol-llm/internal/recorder"

import (
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// exemplar is a trace_id / span_id exemplar kept in raw form, so recording
// one costs no allocation; a scrape builds its client_model form.
type exemplar struct {
	traceID [16]byte
	spanID  [8]byte
	value   float64
	ts      int64 // Unix nanoseconds
	ok      bool  // false: no exemplar
}

func newExemplar(c *genai.Call, now int64) exemplar {
	return exemplar{traceID: c.TraceID, spanID: c.SpanID, ts: now, ok: true}
}

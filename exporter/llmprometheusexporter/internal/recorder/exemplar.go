package recorder // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"

import (
	"encoding/hex"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// exemplar is a trace_id / span_id exemplar kept in raw form, so recording
// one costs no allocation; it becomes a dto.Exemplar when scraped.
type exemplar struct {
	traceID [16]byte
	spanID  [8]byte
	value   float64
	ts      int64 // Unix nanoseconds
	ok      bool  // false: no exemplar
	// built caches dto(): a new exemplar replaces the whole struct, and
	// with it the cache. Guarded by the series' mutex like the rest.
	built *dto.Exemplar
}

func newExemplar(c *genai.Call, now int64) exemplar {
	return exemplar{traceID: c.TraceID, spanID: c.SpanID, ts: now, ok: true}
}

func (e *exemplar) dto() *dto.Exemplar {
	if !e.ok {
		return nil
	}
	if e.built == nil {
		e.built = e.build()
	}
	return e.built
}

func (e *exemplar) build() *dto.Exemplar {
	return &dto.Exemplar{
		Label: []*dto.LabelPair{
			{Name: proto.String("trace_id"), Value: proto.String(hex.EncodeToString(e.traceID[:]))},
			{Name: proto.String("span_id"), Value: proto.String(hex.EncodeToString(e.spanID[:]))},
		},
		Value:     proto.Float64(e.value),
		Timestamp: timestamp(e.ts),
	}
}

func timestamp(unixNano int64) *timestamppb.Timestamp {
	return &timestamppb.Timestamp{Seconds: unixNano / 1e9, Nanos: int32(unixNano % 1e9)}
}

package recorder // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"

import (
	"encoding/hex"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// exemplar is a trace_id / span_id exemplar kept in raw form, so recording
// one costs no allocation; a scrape writes it from this form.
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

// dto returns the exemplar as a client_model Exemplar, nil when there is none.
func (e *exemplar) dto() *dto.Exemplar {
	if !e.ok {
		return nil
	}
	return e.build()
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

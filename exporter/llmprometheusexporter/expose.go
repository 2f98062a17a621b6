package llmprometheusexporter // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"

import (
	"io"
	"net/http"

	"github.com/prometheus/common/expfmt"
	"go.uber.org/zap"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"
)

// metricsHandler serves /metrics with the recorder's own writers, which write
// the series without building protobuf families first: Prometheus text,
// OpenMetrics 1.0 and delimited protobuf. Every other request (the protobuf
// text formats, a name[] filter) goes to fallback, the promhttp handler.
// Both write the same bytes (TestMetricsHandlerMatchesPromhttp). The name
// escaping schemes leave valid legacy names, which are all the recorder has,
// as they are.
type metricsHandler struct {
	rec      *recorder.Recorder
	fallback http.Handler
	logger   *zap.Logger
}

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateIncludingOpenMetrics(r.Header)
	write := h.writerFor(format)
	if write == nil || !h.rec.WritesText() || (r.URL != nil && r.URL.RawQuery != "" && r.URL.Query().Has("name[]")) {
		h.fallback.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", string(format))
	if err := write(w); err != nil {
		// The client went away; the response is cut short.
		h.logger.Debug("writing /metrics", zap.Error(err))
	}
}

// writerFor returns the recorder's writer of a negotiated format, or nil.
func (h *metricsHandler) writerFor(f expfmt.Format) func(io.Writer) error {
	switch f.FormatType() {
	case expfmt.TypeTextPlain:
		return func(w io.Writer) error { return h.rec.WriteText(w, recorder.FormatText) }
	case expfmt.TypeOpenMetrics:
		switch f.Version() {
		case expfmt.OpenMetricsVersion_1_0_0, expfmt.OpenMetricsVersion_0_0_1, "":
			return func(w io.Writer) error { return h.rec.WriteText(w, recorder.FormatOpenMetrics) }
		}
	case expfmt.TypeProtoDelim:
		return h.rec.WriteProto
	}
	return nil
}

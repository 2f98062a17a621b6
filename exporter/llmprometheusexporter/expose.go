package llmprometheusexporter // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"

import (
	"net/http"

	"github.com/prometheus/common/expfmt"
	"go.uber.org/zap"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"
)

// textHandler serves the text formats (Prometheus text and OpenMetrics 1.0)
// with the recorder's own writer, which writes the series without building
// protobuf families first; every other request (protobuf, a name[] filter)
// goes to fallback, the promhttp handler. Both write the same bytes for the
// text formats (TestTextHandlerMatchesPromhttp). The name escaping schemes
// leave valid legacy names, which are all the recorder has, as they are.
type textHandler struct {
	rec      *recorder.Recorder
	fallback http.Handler
	logger   *zap.Logger
}

func (h *textHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateIncludingOpenMetrics(r.Header)
	tf, ok := textFormatOf(format)
	if !ok || !h.rec.WritesText() || (r.URL != nil && r.URL.RawQuery != "" && r.URL.Query().Has("name[]")) {
		h.fallback.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", string(format))
	if err := h.rec.WriteText(w, tf); err != nil {
		// The client went away; the response is cut short.
		h.logger.Debug("writing /metrics", zap.Error(err))
	}
}

// textFormatOf returns the recorder's format for a negotiated one.
func textFormatOf(f expfmt.Format) (recorder.TextFormat, bool) {
	switch f.FormatType() {
	case expfmt.TypeTextPlain:
		return recorder.FormatText, true
	case expfmt.TypeOpenMetrics:
		switch f.Version() {
		case expfmt.OpenMetricsVersion_1_0_0, expfmt.OpenMetricsVersion_0_0_1, "":
			return recorder.FormatOpenMetrics, true
		}
	}
	return 0, false
}

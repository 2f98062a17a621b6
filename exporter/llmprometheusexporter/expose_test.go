package llmprometheusexporter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetricsHandlerMatchesPromhttp: for every Accept header a Prometheus server
// or a person sends, /metrics answers with the Content-Type and the bytes the
// promhttp handler gives for the same recorder.
func TestMetricsHandlerMatchesPromhttp(t *testing.T) {
	e := filledExporter(t, 4, 3)
	require.NoError(t, e.consumeTraces(context.Background(), scenario(t)))
	ours, theirs := e.handler(), e.promhttpHandler()
	serve := func(h http.Handler, target, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		require.Equal(t, http.StatusOK, w.Code)
		return w
	}
	for _, tc := range []struct {
		accept, target string
		contentType    string // what is negotiated
	}{
		{"", "/metrics", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"},
		{"*/*", "/metrics", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"},
		{"text/plain", "/metrics", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"},
		{"text/plain;version=0.0.4;escaping=allow-utf-8", "/metrics", "text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8"},
		{"text/plain;version=0.0.4;escaping=values", "/metrics", "text/plain; version=0.0.4; charset=utf-8; escaping=values"},
		{"text/plain;version=0.0.4;escaping=dots", "/metrics", "text/plain; version=0.0.4; charset=utf-8; escaping=dots"},
		{"application/openmetrics-text;version=1.0.0", "/metrics", "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"},
		{"application/openmetrics-text;version=0.0.1", "/metrics", "application/openmetrics-text; version=0.0.1; charset=utf-8; escaping=underscores"},
		{"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8", "/metrics", "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"},
		{"application/openmetrics-text;version=1.0.0;escaping=dots", "/metrics", "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots"},
		// What Prometheus 3 sends by default.
		{"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
			"/metrics", "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"},
		{"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "/metrics",
			"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores"},
		// What Prometheus 3 sends with native histograms on.
		{"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
			"/metrics", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=allow-utf-8"},
		{"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text", "/metrics",
			"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text; escaping=underscores"},
		{"", "/metrics?name[]=llm_requests_total", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"},
		{"", "/metrics?debug=1", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"},
	} {
		got, want := serve(ours, tc.target, tc.accept), serve(theirs, tc.target, tc.accept)
		assert.Equal(t, tc.contentType, got.Header().Get("Content-Type"), "Accept %q", tc.accept)
		assert.Equal(t, want.Header().Get("Content-Type"), got.Header().Get("Content-Type"), "Accept %q", tc.accept)
		require.Greater(t, want.Body.Len(), 1000, "Accept %q %s", tc.accept, tc.target)
		if got.Body.String() != want.Body.String() {
			t.Errorf("Accept %q %s: bodies differ (%d vs %d bytes)", tc.accept, tc.target, got.Body.Len(), want.Body.Len())
		}
	}
	// The name[] filter keeps one family; no escaping scheme changes valid
	// legacy names.
	filtered := serve(ours, "/metrics?name[]=llm_requests_total", "").Body.String()
	assert.Equal(t, 1, strings.Count(filtered, "# TYPE "))
	assert.True(t, strings.HasPrefix(filtered, "# HELP llm_requests_total "))
	dots := serve(ours, "/metrics", "text/plain;version=0.0.4;escaping=dots").Body.String()
	assert.True(t, strings.Contains(dots, "\n# TYPE llm_requests_total counter\n"))
}

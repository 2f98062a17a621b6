package llmprometheusexporter

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"deflate, gzip;q=1.0, *;q=0.5"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"identity"}, false},
		{[]string{"zstd", "gzip;q=0.3"}, true},
		{[]string{"*"}, true},
		{[]string{"br,zstd"}, false},
	} {
		assert.Equal(t, tc.want, acceptsGzip(tc.header), "%q", tc.header)
	}
}

// TestScrapeGzip: a client accepting gzip gets the same exposition,
// compressed; one refusing it gets it plain.
func TestScrapeGzip(t *testing.T) {
	e := filledExporter(t, 3, 2)
	h := e.handler()
	scrape := func(accept, encoding string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept", accept)
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		require.Equal(t, http.StatusOK, w.Code)
		return w
	}
	for _, accept := range []string{"", "application/openmetrics-text;version=1.0.0",
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"} {
		plain := scrape(accept, "")
		assert.Empty(t, plain.Header().Get("Content-Encoding"))
		assert.Greater(t, plain.Body.Len(), 1000)
		refused := scrape(accept, "gzip;q=0")
		assert.Empty(t, refused.Header().Get("Content-Encoding"))

		zipped := scrape(accept, "gzip")
		assert.Equal(t, "gzip", zipped.Header().Get("Content-Encoding"))
		assert.Equal(t, plain.Header().Get("Content-Type"), zipped.Header().Get("Content-Type"))
		assert.Contains(t, zipped.Header().Values("Vary"), "Accept-Encoding")
		zr, err := gzip.NewReader(bytes.NewReader(zipped.Body.Bytes()))
		require.NoError(t, err)
		body, err := io.ReadAll(zr)
		require.NoError(t, err)
		assert.Less(t, zipped.Body.Len(), len(body)/3, "compressed")
		// Every format is deterministic between scrapes (no scrape-time
		// values), so the decompressed body equals the plain one.
		assert.Equal(t, plain.Body.String(), string(body), accept)
	}
}

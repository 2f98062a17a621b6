// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/metadata"
)

// decoded is a response's status, headers that matter and body, decompressed
// with the standard library's gzip reader (and zstd's).
type decoded struct {
	status          int
	contentType     string
	contentEncoding string
	body            []byte
}

func serveDecoded(t *testing.T, h http.Handler, accept, acceptEncoding string) decoded {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", http.NoBody)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if acceptEncoding != "-" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	d := decoded{status: rec.Code, contentType: rec.Header().Get("Content-Type"), contentEncoding: rec.Header().Get("Content-Encoding")}
	var r io.Reader = rec.Body
	switch d.contentEncoding {
	case "gzip":
		gz, err := gzip.NewReader(rec.Body)
		require.NoError(t, err)
		r = gz
	case "zstd":
		z, err := zstd.NewReader(rec.Body)
		require.NoError(t, err)
		defer z.Close()
		r = z
	}
	var err error
	d.body, err = io.ReadAll(r)
	require.NoError(t, err)
	return d
}

// TestFastGzipNegotiation: /metrics answers every Accept / Accept-Encoding
// pair with the encoding and content type promhttp alone would, and the
// same bytes once decompressed; only the gzip compressor differs.
func TestFastGzipNegotiation(t *testing.T) {
	e, err := newLLMExporter(createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	require.NoError(t, e.consumeTraces(context.Background(), scenario(t)))
	ours, plain := e.handler(), e.promHandler(e.registry)

	accepts := []string{
		"",
		"text/plain;version=0.0.4",
		"application/openmetrics-text;version=1.0.0;escaping=underscores,text/plain;q=0.5",
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
	}
	encodings := []string{
		"-", "", "gzip", "GZIP", "x-gzip", "gzip;q=0", "gzip;q=0.001", "gzip;q=bad", "zstd", "gzip, zstd",
		"zstd, gzip", "zstd;q=0.5, gzip", "gzip;q=0.5, zstd", "*", "*;q=0", "identity", "identity;q=0",
		"identity;q=0, gzip", "br", "br, *;q=0.1", "deflate, gzip;q=0.8", "gzip;q=1.0, identity; q=0.5, *;q=0",
		"zstd;q=0, *", "gzip,", ",,gzip", "gzip;level=9", "gzip ;q=0.9", "identity, gzip;q=0.9",
	}
	// Headers whose best offer is plainly gzip: the fast path is exercised.
	mustGzip := map[string]bool{"gzip": true, "gzip, zstd": true, "deflate, gzip;q=0.8": true, "zstd;q=0.5, gzip": true}
	for _, a := range accepts {
		for _, ae := range encodings {
			want, got := serveDecoded(t, plain, a, ae), serveDecoded(t, ours, a, ae)
			assert.Equal(t, want.status, got.status, "Accept %q, Accept-Encoding %q", a, ae)
			assert.Equal(t, want.contentType, got.contentType, "Accept %q, Accept-Encoding %q", a, ae)
			assert.Equal(t, want.contentEncoding, got.contentEncoding, "Accept %q, Accept-Encoding %q", a, ae)
			assert.True(t, bytes.Equal(want.body, got.body), "Accept %q, Accept-Encoding %q: bodies differ", a, ae)
			assert.NotEmpty(t, got.body)
			if mustGzip[ae] {
				assert.Equal(t, "gzip", got.contentEncoding, "Accept-Encoding %q", ae)
			}
		}
	}
}

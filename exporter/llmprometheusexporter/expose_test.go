// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

const (
	ctText          = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"
	ctOpenMetrics   = "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
	ctProto         = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores"
	acceptProtoBody = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
)

// serve sends one request to h; header holds name, value pairs.
func serve(h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, http.NoBody)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// textFamilies parses a Prometheus text body.
func textFamilies(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(t, err)
	return mfs
}

// protoFamilies parses a delimited protobuf body.
func protoFamilies(t *testing.T, body []byte) []*dto.MetricFamily {
	t.Helper()
	var out []*dto.MetricFamily
	dec := expfmt.NewDecoder(bytes.NewReader(body), expfmt.NewFormat(expfmt.TypeProtoDelim))
	for {
		mf := &dto.MetricFamily{}
		err := dec.Decode(mf)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, mf)
	}
}

func familyNames[T any](mfs map[string]T) []string {
	var out []string
	for name := range mfs {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// TestScrapeFormats: for every Accept header a Prometheus server or a person
// sends, /metrics answers in the negotiated format with what Gather holds:
// the protobuf body decodes to exactly Gather's families (native buckets,
// created timestamps, exemplars); the text body holds every family;
// OpenMetrics carries exemplars and _created lines and ends with # EOF; a
// name[] filter keeps the named families only.
func TestScrapeFormats(t *testing.T) {
	e := filledExporter(t, 4, 3)
	require.NoError(t, e.consumeTraces(context.Background(), scenario(t)))
	h := e.handler()
	gathered, err := e.registry.Gather()
	require.NoError(t, err)
	var all []string
	for _, mf := range gathered {
		all = append(all, mf.GetName())
	}
	// The scenario's calls and its agent and tool spans: every family but
	// the budgets, interruptions, guardrails and evaluations has series.
	require.Len(t, all, 19, "every family has series")

	isProto := func(t *testing.T, body []byte) {
		got := protoFamilies(t, body)
		require.Len(t, got, len(gathered))
		for i := range gathered {
			require.True(t, proto.Equal(gathered[i], got[i]), "%s", gathered[i].GetName())
		}
		h := got[slices.IndexFunc(got, func(mf *dto.MetricFamily) bool { return mf.GetName() == "llm_request_duration_seconds" })].Metric[0].GetHistogram()
		assert.NotNil(t, h.Schema, "native histogram")
		assert.NotNil(t, h.CreatedTimestamp)
	}
	isText := func(t *testing.T, body []byte) {
		assert.Equal(t, all, familyNames(textFamilies(t, body)))
		assert.NotContains(t, string(body), "_created")
	}
	isOpenMetrics := func(t *testing.T, body []byte) {
		om := string(body)
		assert.True(t, strings.HasSuffix(om, "\n# EOF\n"))
		assert.Contains(t, om, "\n# TYPE llm_requests counter\n")
		assert.Contains(t, om, `llm_requests_created{model="gpt-4o",status="success",template="support"} `)
		assert.Contains(t, om, `llm_request_duration_seconds_created{model="gpt-4o",template="support"} `)
		assert.Contains(t, om, ` # {`, "exemplars")
	}
	for _, tc := range []struct {
		accept, target string
		contentType    string // what is negotiated
		check          func(*testing.T, []byte)
	}{
		{"", "/metrics", ctText, isText},
		{"*/*", "/metrics", ctText, isText},
		{"text/plain", "/metrics", ctText, isText},
		{"text/plain;version=0.0.4;escaping=allow-utf-8", "/metrics", "text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8", isText},
		{"text/plain;version=0.0.4;escaping=dots", "/metrics", "text/plain; version=0.0.4; charset=utf-8; escaping=dots", isText},
		{"application/openmetrics-text;version=1.0.0", "/metrics", ctOpenMetrics, isOpenMetrics},
		{"application/openmetrics-text;version=0.0.1", "/metrics", "application/openmetrics-text; version=0.0.1; charset=utf-8; escaping=underscores", isOpenMetrics},
		{"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8", "/metrics", "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8", isOpenMetrics},
		// What Prometheus 3 sends by default.
		{
			"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
			"/metrics", "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8", isOpenMetrics,
		},
		{acceptProtoBody, "/metrics", ctProto, isProto},
		// What Prometheus 3 sends with native histograms on.
		{
			"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
			"/metrics", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=allow-utf-8", isProto,
		},
		{
			"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text", "/metrics",
			"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text; escaping=underscores",
			func(t *testing.T, body []byte) { assert.Regexp(t, `name:\s+"llm_requests_total"`, string(body)) },
		},
		{"", "/metrics?name[]=llm_requests_total&name[]=llm_errors_total", ctText, func(t *testing.T, body []byte) {
			assert.Equal(t, []string{"llm_errors_total", "llm_requests_total"}, familyNames(textFamilies(t, body)))
		}},
		{acceptProtoBody, "/metrics?name[]=llm_request_duration_seconds", ctProto, func(t *testing.T, body []byte) {
			got := protoFamilies(t, body)
			require.Len(t, got, 1)
			assert.Equal(t, "llm_request_duration_seconds", got[0].GetName())
		}},
		{"", "/metrics?debug=1", ctText, isText},
	} {
		t.Run(tc.target+" "+tc.accept, func(t *testing.T) {
			w := serve(h, tc.target, "Accept", tc.accept)
			require.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, tc.contentType, w.Header().Get("Content-Type"))
			assert.Empty(t, w.Header().Get("Content-Encoding"))
			tc.check(t, w.Body.Bytes())
		})
	}
}

// zstdMagic starts every zstd frame (RFC 8878).
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// TestScrapeCompression: promhttp compresses as the client asks, gzip or
// zstd, and answers uncompressed to a client that refuses both or names only
// encodings it does not offer.
func TestScrapeCompression(t *testing.T) {
	e := filledExporter(t, 3, 2)
	h := e.handler()
	for _, accept := range []string{"", "application/openmetrics-text;version=1.0.0", acceptProtoBody} {
		plain := serve(h, "/metrics", "Accept", accept)
		require.Equal(t, http.StatusOK, plain.Code)
		require.Greater(t, plain.Body.Len(), 1000)
		for _, tc := range []struct{ acceptEncoding, want string }{
			{"", ""},
			{"identity", ""},
			{"gzip", "gzip"},
			{"GZIP", ""}, // client_golang matches codings case-sensitively: answered uncompressed
			{"deflate, gzip;q=1.0, *;q=0.5", "gzip"},
			{"zstd", "zstd"},
			{"zstd;q=0.5, gzip;q=0.8", "gzip"},
			{"gzip;q=0.5, zstd;q=0.8", "zstd"},
			{"br", ""},
			{"*", ""},          // identity is offered first
			{"gzip;q=0", ""},   // refused: promhttp falls back to identity (and logs it)
			{"zstd;q=0", ""},   // ditto
			{";;;,,q=", ""},    // garbage
			{"gzip;q=abc", ""}, // an unparsable quality is 0
		} {
			w := serve(h, "/metrics", "Accept", accept, "Accept-Encoding", tc.acceptEncoding)
			require.Equal(t, http.StatusOK, w.Code, "%q", tc.acceptEncoding)
			assert.Equal(t, tc.want, w.Header().Get("Content-Encoding"), "Accept-Encoding %q", tc.acceptEncoding)
			assert.Equal(t, plain.Header().Get("Content-Type"), w.Header().Get("Content-Type"))
			body := w.Body.Bytes()
			switch tc.want {
			case "":
				// Every format is deterministic between scrapes (no
				// scrape-time values): the same bytes.
				assert.Equal(t, plain.Body.String(), string(body), "Accept %q, Accept-Encoding %q", accept, tc.acceptEncoding)
			case "gzip":
				zr, err := gzip.NewReader(bytes.NewReader(body))
				require.NoError(t, err)
				unzipped, err := io.ReadAll(zr)
				require.NoError(t, err)
				assert.Equal(t, plain.Body.String(), string(unzipped), "Accept %q", accept)
				assert.Less(t, len(body), plain.Body.Len()/3, "compressed")
			case "zstd":
				require.True(t, bytes.HasPrefix(body, zstdMagic), "a zstd frame")
				assert.Less(t, len(body), plain.Body.Len()/3, "compressed")
			}
		}
	}
}

// TestScrapeMalformedRequests: a malformed scrape request gets a clear
// answer through the real handler, never a panic: what cannot be negotiated
// falls back to the Prometheus text format (all of it) uncompressed, a name[]
// filter naming nothing known gives an empty 200.
func TestScrapeMalformedRequests(t *testing.T) {
	e := filledExporter(t, 2, 2)
	h := e.handler()
	gathered, err := e.registry.Gather()
	require.NoError(t, err)
	all := make([]string, 0, len(gathered))
	for _, mf := range gathered {
		all = append(all, mf.GetName())
	}
	hugeAccept := strings.Repeat("application/x-nothing;q=0.1;a=b,", 10_000)
	for _, tc := range []struct {
		name, target          string
		header                []string
		contentType, encoding string
		families              []string // of the text body; nil: none
	}{
		{"garbage Accept", "/metrics", []string{"Accept", "%%%;;;==,,\x00\xff"}, ctText, "", all},
		// An unparsable quality counts as 0, which the negotiation still
		// accepts, after every other choice.
		{"Accept with a bad quality", "/metrics", []string{"Accept", "application/openmetrics-text;version=1.0.0;q=abc"}, ctOpenMetrics, "", all},
		{"Accept with a bad quality first", "/metrics", []string{"Accept", "text/plain;q=abc,application/openmetrics-text;version=1.0.0;q=0.1"}, ctOpenMetrics, "", all},
		{"unknown OpenMetrics version", "/metrics", []string{"Accept", "application/openmetrics-text;version=9.9.9"}, ctText, "", all},
		{"unknown text version", "/metrics", []string{"Accept", "text/plain;version=7"}, ctText, "", all},
		{"unknown protobuf message", "/metrics", []string{"Accept", "application/vnd.google.protobuf;proto=io.example.Nothing;encoding=delimited"}, ctText, "", all},
		{"unknown protobuf encoding", "/metrics", []string{"Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=xml"}, ctText, "", all},
		{"bad escaping scheme", "/metrics", []string{"Accept", "text/plain;version=0.0.4;escaping=bogus"}, ctText, "", all},
		{"empty escaping scheme", "/metrics", []string{"Accept", "text/plain;version=0.0.4;escaping="}, ctText, "", all},
		{"huge Accept", "/metrics", []string{"Accept", hugeAccept}, ctText, "", all},
		{"garbage Accept-Encoding", "/metrics", []string{"Accept-Encoding", "\x00\xff;;q=,=,,gzip;q=-1"}, ctText, "", all},
		{"unknown Accept-Encoding", "/metrics", []string{"Accept-Encoding", "x-unknown, compress"}, ctText, "", all},
		{"bad name[] escape", "/metrics?name[]=%zz", nil, ctText, "", all}, // the malformed pair is ignored: no filter
		{"empty name[]", "/metrics?name[]=", nil, ctText, "", nil},
		{"unknown name[]", "/metrics?name[]=no_such_metric", nil, ctText, "", nil},
		{"name[] with a bad name", "/metrics?name[]=%00%ff{}", nil, ctText, "", nil},
		{"repeated name[]", "/metrics?name[]=llm_requests_total&name[]=llm_requests_total", nil, ctText, "", []string{"llm_requests_total"}},
		{"name without []", "/metrics?name=llm_requests_total", nil, ctText, "", all},
		{"garbage query", "/metrics?%%%&&==;;", nil, ctText, "", all},
		{
			"everything at once", "/metrics?name[]=%zz&name[]=llm_errors_total",
			[]string{"Accept", "application/openmetrics-text;version=x;escaping=?", "Accept-Encoding", "gzip;q=zero"},
			ctText, "",
			[]string{"llm_errors_total"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(h, tc.target, tc.header...)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, tc.contentType, w.Header().Get("Content-Type"))
			assert.Equal(t, tc.encoding, w.Header().Get("Content-Encoding"))
			if tc.contentType == ctOpenMetrics {
				body := w.Body.String()
				assert.True(t, strings.HasSuffix(body, "\n# EOF\n"))
				assert.Equal(t, len(tc.families), strings.Count(body, "\n# TYPE "))
				return
			}
			assert.Equal(t, tc.families, familyNames(textFamilies(t, w.Body.Bytes())))
		})
	}
}

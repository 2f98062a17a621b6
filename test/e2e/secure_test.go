// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testpki"
	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// secureSetup is what TestSecureConfig generates before starting the collector:
// a CA, a server certificate for 127.0.0.1 signed by it, and a random token.
type secureSetup struct {
	caPool             *x509.CertPool
	certFile, keyFile  string
	caFile, tokenFile  string
	token              string
	grpcPort, httpPort int
	metricsPort        int
	healthPort         int
	telemetryPort      int
}

// startSecureCollector starts the collector with the shipped
// config/otelcol-secure.yaml (not a copy), its environment variables pointing at
// the generated files and at free loopback ports, and waits until it is ready.
func startSecureCollector(t *testing.T) (*testproc.Process, *secureSetup) {
	t.Helper()
	bin := testproc.Prebuilt(t, "OTELCOL_LLM_BINARY", "_build/otelcol-llm", "build")
	cfgPath := filepath.Join(testproc.RepoRoot(t), "config", "otelcol-secure.yaml")

	dir := t.TempDir()
	s := &secureSetup{token: testpki.Token(t), tokenFile: filepath.Join(dir, "token")}
	pki := testpki.Write(t, dir, "otelcol-llm e2e test CA")
	s.caPool, s.caFile, s.certFile, s.keyFile = pki.Pool, pki.CAFile, pki.CertFile, pki.KeyFile
	// The token file format of bearertokenauth: first word of a line is a token.
	if err := os.WriteFile(s.tokenFile, []byte(s.token+" # e2e test token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ports := testproc.FreePorts(t, 5)
	s.grpcPort, s.httpPort, s.metricsPort, s.healthPort, s.telemetryPort = ports[0], ports[1], ports[2], ports[3], ports[4]

	// testproc.Start inherits the test's environment; t.Setenv restores it afterwards.
	for k, v := range map[string]string{
		"OTELCOL_LLM_TLS_CERT":           s.certFile,
		"OTELCOL_LLM_TLS_KEY":            s.keyFile,
		"OTELCOL_LLM_TOKEN_FILE":         s.tokenFile,
		"OTELCOL_LLM_OTLP_GRPC_ENDPOINT": fmt.Sprintf("127.0.0.1:%d", s.grpcPort),
		"OTELCOL_LLM_OTLP_HTTP_ENDPOINT": fmt.Sprintf("127.0.0.1:%d", s.httpPort),
		"OTELCOL_LLM_METRICS_ENDPOINT":   fmt.Sprintf("127.0.0.1:%d", s.metricsPort),
		"OTELCOL_LLM_HEALTH_ENDPOINT":    fmt.Sprintf("127.0.0.1:%d", s.healthPort),
		"OTELCOL_LLM_TELEMETRY_PORT":     strconv.Itoa(s.telemetryPort),
	} {
		t.Setenv(k, v)
	}
	p := testproc.Start(t, "otelcol-llm-secure", bin, "--config", cfgPath)
	p.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/", s.healthPort), 60*time.Second)
	p.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", s.telemetryPort), 10*time.Second)
	return p, s
}

// tlsClient is an HTTPS client that trusts only the test CA.
func (s *secureSetup) tlsClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: s.caPool, MinVersion: tls.VersionTLS12},
			DisableKeepAlives: true,
		},
	}
}

// plainClient speaks HTTP without TLS.
func plainClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// secureSpanSeq numbers the spans sent by TestSecureConfig so every span has its
// own ids.
var secureSpanSeq uint32

// secureTraces returns n GenAI chat spans (semantic conventions ≥1.37): model
// gpt-4o, 42 input and 128 output tokens, 1.2 s, no template.
func secureTraces(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "secure-e2e")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("e2e-secure")
	start := time.Now().Add(-time.Minute)
	for range n {
		secureSpanSeq++
		var tid pcommon.TraceID
		copy(tid[:], "otelcol-secure!!")
		binary.BigEndian.PutUint32(tid[12:], secureSpanSeq)
		var sid pcommon.SpanID
		copy(sid[:], "sec!")
		binary.BigEndian.PutUint32(sid[4:], secureSpanSeq)
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(tid)
		sp.SetSpanID(sid)
		sp.SetName("chat gpt-4o")
		sp.SetKind(ptrace.SpanKindClient)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(1200 * time.Millisecond)))
		a := sp.Attributes()
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", "openai")
		a.PutStr("gen_ai.request.model", "gpt-4o")
		a.PutInt("gen_ai.usage.input_tokens", 42)
		a.PutInt("gen_ai.usage.output_tokens", 128)
	}
	return td
}

// exportGRPC sends n spans over OTLP/gRPC with the given transport credentials
// and, when auth != "", an `authorization` metadata value. It returns the RPC error.
func exportGRPC(ctx context.Context, t *testing.T, port int, creds credentials.TransportCredentials, auth string, n int) error {
	t.Helper()
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", port), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if auth != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", auth)
	}
	resp, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(secureTraces(n)))
	if err == nil && resp.PartialSuccess().RejectedSpans() != 0 {
		t.Fatalf("OTLP/gRPC export: %d spans rejected: %s", resp.PartialSuccess().RejectedSpans(), resp.PartialSuccess().ErrorMessage())
	}
	return err
}

// exportHTTP POSTs n spans (protobuf) to url with the client and, when
// auth != "", an Authorization header. It returns the status code and body.
func exportHTTP(ctx context.Context, t *testing.T, client *http.Client, url, auth string, n int) (int, []byte, error) {
	t.Helper()
	body, err := ptraceotlp.NewExportRequestFromTraces(secureTraces(n)).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, respBody, nil
}

// getWithAuth GETs url with the client and, when auth != "", an Authorization
// header (and the Prometheus text format in Accept).
func getWithAuth(ctx context.Context, client *http.Client, url, auth string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", acceptText)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// parseText parses a Prometheus text exposition.
func parseText(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return mfs
}

// counterValues maps each series of a counter family (by its labels, sorted
// key=value pairs) to its value.
func counterValues(mf *dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	if mf == nil {
		return out
	}
	for _, m := range mf.GetMetric() {
		out[seriesString(mf.GetName(), m)] = m.GetCounter().GetValue()
	}
	return out
}

// TestSecureConfig runs the collector with config/otelcol-secure.yaml and proves
// that on both OTLP receivers and on /metrics a request without TLS, without a
// token or with a wrong token is refused, and one with TLS and the token works;
// the llm_* totals count exactly the accepted spans.
func TestSecureConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	p, s := startSecureCollector(t)
	good := "Bearer " + s.token
	wrong := "Bearer " + testpki.Token(t)
	tlsCreds := credentials.NewTLS(&tls.Config{RootCAs: s.caPool, MinVersion: tls.VersionTLS12})
	httpsClient := s.tlsClient()
	tracesURL := fmt.Sprintf("https://127.0.0.1:%d/v1/traces", s.httpPort)
	metricsURL := fmt.Sprintf("https://127.0.0.1:%d/metrics", s.metricsPort)

	// /metrics with the token answers once the exporter's server is up.
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _, err := getWithAuth(ctx, httpsClient, metricsURL, good)
		if err == nil && code == http.StatusOK {
			break
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("%s with the token did not answer 200 within 20s: code %d, %v", metricsURL, code, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Every refused attempt sends 7 spans; the accepted ones send 2 (gRPC) and
	// 3 (HTTP), so any refused batch that got counted would show in the total.
	const refusedBatch, grpcAccepted, httpAccepted = 7, 2, 3

	// --- OTLP/gRPC -------------------------------------------------------------
	t.Run("grpc", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			auth string
		}{
			{"no token", ""},
			{"wrong token", wrong},
			{"token without the Bearer scheme", s.token},
		} {
			err := exportGRPC(ctx, t, s.grpcPort, tlsCreds, tc.auth, refusedBatch)
			if got := status.Code(err); got != codes.Unauthenticated {
				t.Errorf("OTLP/gRPC over TLS, %s: code %v (%v), want Unauthenticated", tc.name, got, err)
			} else {
				t.Logf("OTLP/gRPC over TLS, %s: refused: %v", tc.name, err)
			}
		}
		// Plaintext with the right token: the TLS listener never completes the
		// connection, so the token is never even sent.
		err := exportGRPC(ctx, t, s.grpcPort, insecure.NewCredentials(), good, refusedBatch)
		if got := status.Code(err); got != codes.Unavailable {
			t.Errorf("OTLP/gRPC without TLS (right token): code %v (%v), want Unavailable", got, err)
		} else {
			t.Logf("OTLP/gRPC without TLS (right token): refused: %v", err)
		}
		// A client that does not trust the test CA refuses the server (it is the
		// generated certificate that is served).
		err = exportGRPC(ctx, t, s.grpcPort, credentials.NewTLS(&tls.Config{RootCAs: x509.NewCertPool()}), good, refusedBatch)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("OTLP/gRPC trusting another CA: %v, want a certificate verification error", err)
		}
		if err := exportGRPC(ctx, t, s.grpcPort, tlsCreds, good, grpcAccepted); err != nil {
			t.Errorf("OTLP/gRPC over TLS with the token: %v, want accepted", err)
		} else {
			t.Logf("OTLP/gRPC over TLS with the token: accepted %d spans", grpcAccepted)
		}
	})

	// --- OTLP/HTTP -------------------------------------------------------------
	t.Run("http", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			auth string
		}{
			{"no token", ""},
			{"wrong token", wrong},
			{"token without the Bearer scheme", s.token},
		} {
			code, body, err := exportHTTP(ctx, t, httpsClient, tracesURL, tc.auth, refusedBatch)
			if err != nil || code != http.StatusUnauthorized {
				t.Errorf("OTLP/HTTP over TLS, %s: %d %q (%v), want 401", tc.name, code, body, err)
			} else {
				t.Logf("OTLP/HTTP over TLS, %s: 401", tc.name)
			}
		}
		plainURL := fmt.Sprintf("http://127.0.0.1:%d/v1/traces", s.httpPort)
		code, body, err := exportHTTP(ctx, t, plainClient(), plainURL, good, refusedBatch)
		// Go's TLS server answers a plaintext request with a bare 400.
		if err == nil && code != http.StatusBadRequest {
			t.Errorf("OTLP/HTTP without TLS (right token): %d %q, want 400 or a failed connection", code, body)
		} else {
			t.Logf("OTLP/HTTP without TLS (right token): refused: code %d %q %v", code, strings.TrimSpace(string(body)), err)
		}
		code, body, err = exportHTTP(ctx, t, httpsClient, tracesURL, good, httpAccepted)
		if err != nil || code != http.StatusOK {
			t.Fatalf("OTLP/HTTP over TLS with the token: %d %q (%v), want 200", code, body, err)
		}
		resp := ptraceotlp.NewExportResponse()
		if err := resp.UnmarshalProto(body); err != nil {
			t.Fatalf("OTLP/HTTP response %q: %v", body, err)
		}
		if n := resp.PartialSuccess().RejectedSpans(); n != 0 {
			t.Fatalf("OTLP/HTTP over TLS with the token: %d spans rejected", n)
		}
		t.Logf("OTLP/HTTP over TLS with the token: 200, accepted %d spans", httpAccepted)
	})

	// --- /metrics --------------------------------------------------------------
	t.Run("metrics", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			auth string
		}{
			{"no token", ""},
			{"wrong token", wrong},
		} {
			code, body, err := getWithAuth(ctx, httpsClient, metricsURL, tc.auth)
			if err != nil || code != http.StatusUnauthorized || bytes.Contains(body, []byte("llm_")) {
				t.Errorf("scrape over TLS, %s: %d (%v), want 401 without metrics; body %.200q", tc.name, code, err, body)
			} else {
				t.Logf("scrape over TLS, %s: 401", tc.name)
			}
		}
		plainURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", s.metricsPort)
		code, body, err := getWithAuth(ctx, plainClient(), plainURL, good)
		if (err == nil && code != http.StatusBadRequest) || bytes.Contains(body, []byte("llm_")) {
			t.Errorf("scrape without TLS (right token): %d %q, want 400 or a failed connection", code, body)
		} else {
			t.Logf("scrape without TLS (right token): refused: code %d %v", code, err)
		}

		code, body, err = getWithAuth(ctx, httpsClient, metricsURL, good)
		if err != nil || code != http.StatusOK {
			t.Fatalf("scrape over TLS with the token: %d (%v), want 200", code, err)
		}
		mfs := parseText(t, body)
		const accepted = grpcAccepted + httpAccepted
		// The shipped dimensions: the resource's service.name and the provider.
		wantCounters := map[string]map[string]float64{
			"llm_requests_total": {
				`llm_requests_total{model="gpt-4o",provider="openai",service="secure-e2e",status="success",template="none"}`: accepted,
				`llm_requests_total{model="gpt-4o",provider="openai",service="secure-e2e",status="error",template="none"}`:   0,
			},
			"llm_prompt_tokens_total": {
				`llm_prompt_tokens_total{model="gpt-4o",provider="openai",service="secure-e2e",template="none"}`: 42 * accepted,
			},
			"llm_completion_tokens_total": {
				`llm_completion_tokens_total{model="gpt-4o",provider="openai",service="secure-e2e",template="none"}`: 128 * accepted,
			},
		}
		for name, want := range wantCounters {
			got := counterValues(mfs[name])
			if len(got) != len(want) {
				t.Errorf("%s: series %v, want %v", name, got, want)
				continue
			}
			for series, w := range want {
				if g, ok := got[series]; !ok || g != w {
					t.Errorf("%s = %v (present %v), want %v; all: %v", series, g, ok, w, got)
				}
			}
		}
		if mf := mfs["llm_request_duration_seconds"]; mf == nil || len(mf.GetMetric()) != 1 ||
			mf.GetMetric()[0].GetHistogram().GetSampleCount() != accepted {
			t.Errorf("llm_request_duration_seconds: %v, want one series with count %d", mf, accepted)
		}
		if !t.Failed() {
			t.Logf("scrape over TLS with the token: 200, llm_requests_total{status=success} = %d = the accepted spans; no refused batch (%d spans each) was counted", accepted, refusedBatch)
		}

		// The exporter itself saw only the accepted spans.
		tcode, tbody, err := getWithAuth(ctx, plainClient(), fmt.Sprintf("http://127.0.0.1:%d/metrics", s.telemetryPort), "")
		if err != nil || tcode != http.StatusOK {
			t.Fatalf("collector telemetry: %d (%v)", tcode, err)
		}
		if got, _ := telemetryValue(parseText(t, tbody), "otelcol_exporter_llm_prometheus_spans_received"); got != accepted {
			t.Errorf("otelcol_exporter_llm_prometheus_spans_received = %v, want %d", got, accepted)
		}
	})

	// --- a real Prometheus with the scrape config documented in the file -------
	t.Run("prometheus", func(t *testing.T) {
		// Prometheus sends the whole credentials file (trimmed) as the token, so
		// it gets a file holding the token alone, without the comment.
		promToken := filepath.Join(t.TempDir(), "otelcol-llm.token")
		if err := os.WriteFile(promToken, []byte(s.token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		prom := startPrometheusWithConfig(t, fmt.Sprintf(securePrometheusConfig, promToken, s.caFile, s.metricsPort))
		const accepted = grpcAccepted + httpAccepted
		want := map[string]float64{
			`up{job="otelcol-llm"}`:                                       1,
			`up{job="otelcol-llm-no-token"}`:                              0,
			`sum(llm_requests_total{job="otelcol-llm",status="success"})`: accepted,
			`count(llm_requests_total{job="otelcol-llm-no-token"})`:       0,
		}
		poll(t, 30*time.Second, 250*time.Millisecond, "Prometheus scrapes over TLS with the token", func() (bool, error) {
			for q, w := range want {
				res, err := prom.query(ctx, q, time.Now().UnixMilli())
				if err != nil {
					return false, err
				}
				got := 0.0 // an empty result is count() = 0
				if len(res) > 0 {
					if _, got, err = pointMs(res[0].Value); err != nil {
						return false, err
					}
				} else if !strings.HasPrefix(q, "count(") {
					return false, fmt.Errorf("%s: no result yet", q)
				}
				if got != w {
					return false, fmt.Errorf("%s = %v, want %v", q, got, w)
				}
			}
			return true, nil
		})
		t.Logf("Prometheus: up=1 with credentials_file + tls_config.ca_file, up=0 without the token; llm_requests_total{status=success} = %d", accepted)
	})
}

// securePrometheusConfig is the scrape job documented in config/otelcol-secure.yaml
// (token file, CA file, metrics port), plus the same job without the token.
const securePrometheusConfig = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: otelcol-llm
    scheme: https
    authorization:
      type: Bearer
      credentials_file: %[1]s
    tls_config:
      ca_file: %[2]s
    scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0, PrometheusText0.0.4]
    static_configs:
      - targets: ["127.0.0.1:%[3]d"]
  - job_name: otelcol-llm-no-token
    scheme: https
    tls_config:
      ca_file: %[2]s
    static_configs:
      - targets: ["127.0.0.1:%[3]d"]
`

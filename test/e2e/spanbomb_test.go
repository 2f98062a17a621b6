//go:build e2e && linux

package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/protobuf/encoding/protowire"
)

const (
	// bombSpans empty spans per request, bombRequests requests: the hostile
	// client of issue 10.
	bombSpans    = 500_000
	bombRequests = 3
	// maxExtraHWM is how much more peak RSS the llm_prometheus pipeline may
	// take than the same receiver feeding the debug exporter.
	maxExtraHWM = 64 << 20
)

// bombConfig is an OTLP/HTTP receiver feeding one exporter, with the
// collector's own telemetry on a free port.
const bombConfig = `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%[1]d
exporters:
%[4]s
extensions:
  health_check:
    endpoint: 127.0.0.1:%[2]d
service:
  extensions: [health_check]
  telemetry:
    logs:
      level: warn
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %[3]d
                without_scope_info: true
                without_units: true
                without_type_suffix: true
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [%[5]s]
`

// spanBomb returns an OTLP/HTTP protobuf request of n empty spans (each an
// empty message: two bytes), gzip'd: about 1 KB on the wire for 1 MB of
// protobuf, hundreds of MB once the receiver has decoded it.
func spanBomb(t *testing.T, n int) []byte {
	t.Helper()
	var scope []byte // ScopeSpans: n times field 2 (spans), an empty Span
	for range n {
		scope = protowire.AppendTag(scope, 2, protowire.BytesType)
		scope = protowire.AppendBytes(scope, nil)
	}
	var rs []byte // ResourceSpans: field 2 (scope_spans)
	rs = protowire.AppendTag(rs, 2, protowire.BytesType)
	rs = protowire.AppendBytes(rs, scope)
	var raw []byte // ExportTraceServiceRequest: field 1 (resource_spans)
	raw = protowire.AppendTag(raw, 1, protowire.BytesType)
	raw = protowire.AppendBytes(raw, rs)

	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(raw); err != nil {
		t.Fatal(err)
	}
	if got := req.Traces().SpanCount(); got != n {
		t.Fatalf("the bomb decodes to %d spans, want %d", got, n)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("span bomb: %d empty spans, %d bytes of protobuf, %d bytes gzip'd", n, len(raw), buf.Len())
	return buf.Bytes()
}

// peakRSS returns VmHWM of pid in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// bombRun starts the collector with exporter (its YAML block) in the
// pipeline, sends the span bomb bombRequests times over OTLP/HTTP and
// returns the collector's peak RSS. The collector is stopped before it
// returns.
func bombRun(ctx context.Context, t *testing.T, name, exporterYAML string, body []byte, check func(*collector)) int64 {
	t.Helper()
	bin := prebuilt(t, "OTELCOL_LLM_BINARY", "_build/otelcol-llm", "build")
	ports := freePorts(t, 3)
	c := &collector{httpPort: ports[0], healthPort: ports[1], telemetryPort: ports[2]}
	cfgPath := filepath.Join(t.TempDir(), name+".yaml")
	cfg := fmt.Sprintf(bombConfig, c.httpPort, c.healthPort, c.telemetryPort, exporterYAML, name)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c.proc = startProcess(t, "otelcol-llm-"+name, bin, "--config", cfgPath)
	waitHTTP(t, c.proc, fmt.Sprintf("http://127.0.0.1:%d/", c.healthPort), 60*time.Second)
	idle := peakRSS(t, c.proc.cmd.Process.Pid)

	url := fmt.Sprintf("http://127.0.0.1:%d/v1/traces", c.httpPort)
	for i := range bombRequests {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: request %d: %v", name, i+1, err)
		}
		answer, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: request %d: %s: %s", name, i+1, resp.Status, answer)
		}
	}
	peak := peakRSS(t, c.proc.cmd.Process.Pid)
	if check != nil {
		check(c)
	}
	c.proc.stop(t)
	t.Logf("%s: peak RSS %.1f MB after %d requests of %d empty spans (%.1f MB once started)",
		name, float64(peak)/(1<<20), bombRequests, bombSpans, float64(idle)/(1<<20))
	return peak
}

// TestSpanBombMemory: a hostile client sends requests of 500,000 empty
// spans, a few KB gzip'd each. Memory must follow the LLM calls of a batch,
// never its spans: the llm_prometheus pipeline (deduplicate_nested_calls on,
// the path that used to size a call slice by the span count) may take at
// most 64 MB more peak RSS than the same receiver feeding the debug
// exporter, and it counts every span it was handed as skipped (not lost).
func TestSpanBombMemory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	body := spanBomb(t, bombSpans)

	debug := bombRun(ctx, t, "debug", "  debug:\n    verbosity: basic\n", body, nil)
	metricsPort := freePorts(t, 1)[0]
	llm := bombRun(ctx, t, "llm_prometheus", fmt.Sprintf(
		"  llm_prometheus:\n    endpoint: 127.0.0.1:%d\n    deduplicate_nested_calls: true\n", metricsPort), body,
		func(c *collector) {
			mfs := scrapeText(ctx, t, c.telemetryURL())
			for name, want := range map[string]float64{
				"otelcol_exporter_llm_prometheus_spans_received": bombRequests * bombSpans,
				"otelcol_exporter_llm_prometheus_spans_skipped":  bombRequests * bombSpans,
			} {
				if got, _ := telemetryValue(mfs, name); got != want {
					var names []string
					for n := range mfs {
						names = append(names, n)
					}
					t.Errorf("own telemetry %s = %v, want %v (families: %v)", name, got, want, names)
				}
			}
			if got, _ := telemetryValue(mfs, "otelcol_exporter_llm_prometheus_calls"); got != 0 {
				t.Errorf("own telemetry otelcol_exporter_llm_prometheus_calls = %v, want 0", got)
			}
		})
	t.Logf("peak RSS: llm_prometheus %.1f MB, debug %.1f MB, difference %+.1f MB (limit %+d MB)",
		float64(llm)/(1<<20), float64(debug)/(1<<20), float64(llm-debug)/(1<<20), maxExtraHWM>>20)
	if llm > debug+maxExtraHWM {
		t.Errorf("llm_prometheus peak RSS %.1f MB exceeds the debug exporter's %.1f MB by more than %d MB",
			float64(llm)/(1<<20), float64(debug)/(1<<20), maxExtraHWM>>20)
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

const (
	// bombSpans empty spans per request, bombRequests requests: the hostile
	// client of issue 10.
	bombSpans    = 500_000
	bombRequests = 3
	// bombRuns runs of each pipeline, alternately: the lowest peak and the
	// lowest allocation of each are compared (one run's peak RSS moves by
	// tens of MB with the GC's timing).
	bombRuns = 3
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

// totalAlloc returns the bytes the collector had allocated at a reading of
// its own telemetry taken after this call started and different from
// prev. The collector reads runtime.MemStats at a scrape at most once a
// second and serves the last reading in between: polling until the value
// changes (each scrape allocates) returns a reading taken at one of these
// scrapes.
func totalAlloc(ctx context.Context, t *testing.T, c *collector, prev float64) float64 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		v, ok := telemetryValue(scrapeText(ctx, t, c.telemetryURL()), "otelcol_process_runtime_total_alloc_bytes")
		if !ok {
			t.Fatal("otelcol_process_runtime_total_alloc_bytes is missing from the collector's own telemetry")
		}
		if v != prev {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("otelcol_process_runtime_total_alloc_bytes stayed at %v for 15 s", v)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// bombResult is what one run of the span bomb cost the collector.
type bombResult struct {
	peakRSS   int64   // VmHWM after the requests, bytes
	allocated float64 // bytes allocated while it handled them
}

// bombRun starts the collector with exporter (its YAML block) in the
// pipeline, sends the span bomb bombRequests times over OTLP/HTTP and
// returns what it cost. The collector is stopped before it returns.
func bombRun(ctx context.Context, t *testing.T, name, exporterYAML string, body []byte, check func(*collector)) bombResult {
	t.Helper()
	bin := testproc.Prebuilt(t, "OTELCOL_LLM_BINARY", "_build/otelcol-llm", "build")
	ports := testproc.FreePorts(t, 3)
	c := &collector{httpPort: ports[0], healthPort: ports[1], telemetryPort: ports[2]}
	cfgPath := filepath.Join(t.TempDir(), name+".yaml")
	cfg := fmt.Sprintf(bombConfig, c.httpPort, c.healthPort, c.telemetryPort, exporterYAML, name)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c.proc = testproc.Start(t, "otelcol-llm-"+name, bin, "--config", cfgPath)
	c.proc.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/", c.healthPort), 60*time.Second)
	idle := peakRSS(t, c.proc.Pid())
	// A reading taken while the collector idles, after start-up.
	allocBefore := totalAlloc(ctx, t, c, totalAlloc(ctx, t, c, -1))

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
	res := bombResult{peakRSS: peakRSS(t, c.proc.Pid()), allocated: totalAlloc(ctx, t, c, allocBefore) - allocBefore}
	if check != nil {
		check(c)
	}
	c.proc.Stop(t)
	t.Logf("%s: peak RSS %.1f MB after %d requests of %d empty spans (%.1f MB once started), %.1f MB allocated",
		name, float64(res.peakRSS)/(1<<20), bombRequests, bombSpans, float64(idle)/(1<<20), res.allocated/(1<<20))
	return res
}

// TestSpanBombMemory: a hostile client sends requests of 500,000 empty
// spans, about 1 KB gzip'd each. Memory must follow the LLM calls of a
// batch, never its spans: the llm_prometheus pipeline (deduplicate_nested_calls
// on, the path that used to size a call slice by the span count) may take at
// most 64 MB more peak RSS, and allocate at most 64 MB more, than the same
// receiver feeding the debug exporter; and it counts every span it was
// handed as received and skipped (not lost).
//
// The peak RSS of one run moves by tens of MB with the GC's timing on a
// busy host, so each pipeline runs three times, alternately, and the lower peaks
// are compared. The peak also misses what a large allocation never touches
// (fresh pages cost no RSS), so the bytes allocated are compared too: they
// are steady from run to run.
func TestSpanBombMemory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	body := spanBomb(t, bombSpans)
	checkTelemetry := func(c *collector) {
		mfs := scrapeText(ctx, t, c.telemetryURL())
		for name, want := range map[string]float64{
			"otelcol_exporter_llm_prometheus_spans_received": bombRequests * bombSpans,
			"otelcol_exporter_llm_prometheus_spans_skipped":  bombRequests * bombSpans,
		} {
			if got, _ := telemetryValue(mfs, name); got != want {
				t.Errorf("own telemetry %s = %v, want %v", name, got, want)
			}
		}
		if got, _ := telemetryValue(mfs, "otelcol_exporter_llm_prometheus_calls"); got != 0 {
			t.Errorf("own telemetry otelcol_exporter_llm_prometheus_calls = %v, want 0", got)
		}
	}

	var debug, llm []bombResult
	for range bombRuns {
		debug = append(debug, bombRun(ctx, t, "debug", "  debug:\n    verbosity: basic\n", body, nil))
		llm = append(llm, bombRun(ctx, t, "llm_prometheus", fmt.Sprintf(
			"  llm_prometheus:\n    endpoint: 127.0.0.1:%d\n    deduplicate_nested_calls: true\n", testproc.FreePorts(t, 1)[0]),
			body, checkTelemetry))
	}
	lowest := func(rs []bombResult) bombResult {
		low := rs[0]
		for _, r := range rs[1:] {
			low.peakRSS, low.allocated = min(low.peakRSS, r.peakRSS), min(low.allocated, r.allocated)
		}
		return low
	}
	d, l := lowest(debug), lowest(llm)
	const mb = 1 << 20
	t.Logf("peak RSS (lower of %d runs): llm_prometheus %.1f MB, debug %.1f MB, difference %+.1f MB (limit %+d MB)",
		bombRuns, float64(l.peakRSS)/mb, float64(d.peakRSS)/mb, float64(l.peakRSS-d.peakRSS)/mb, maxExtraHWM/mb)
	if l.peakRSS > d.peakRSS+maxExtraHWM {
		t.Errorf("llm_prometheus peak RSS %.1f MB exceeds the debug exporter's %.1f MB by more than %d MB",
			float64(l.peakRSS)/mb, float64(d.peakRSS)/mb, maxExtraHWM/mb)
	}
	t.Logf("allocated (lower of %d runs): llm_prometheus %.1f MB, debug %.1f MB, difference %+.1f MB (limit %+d MB; a call slot per span was 103 MiB a request)",
		bombRuns, l.allocated/mb, d.allocated/mb, (l.allocated-d.allocated)/mb, maxExtraHWM/mb)
	if l.allocated > d.allocated+maxExtraHWM {
		t.Errorf("llm_prometheus allocated %.1f MB for the span bomb, the debug exporter %.1f MB: more than %d MB apart",
			l.allocated/mb, d.allocated/mb, maxExtraHWM/mb)
	}
	if path := os.Getenv("SPANBOMB_RESULTS"); path != "" {
		saveSpanBomb(t, path, len(body), debug, llm)
	}
}

// saveSpanBomb writes the runs' figures for BENCHMARKS.md (make
// bench-spanbomb; bench/cmd/report reads the file), in the shape of the
// other files of bench/results/.
func saveSpanBomb(t *testing.T, path string, bodyBytes int, debug, llm []bombResult) {
	t.Helper()
	type run struct {
		PeakRSSMB   float64 `json:"peak_rss_mb"`
		AllocatedMB float64 `json:"allocated_mb"`
	}
	runs := func(rs []bombResult) []run {
		out := make([]run, 0, len(rs))
		for _, r := range rs {
			out = append(out, run{PeakRSSMB: float64(r.peakRSS) / (1 << 20), AllocatedMB: r.allocated / (1 << 20)})
		}
		return out
	}
	commit, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	saved := map[string]any{
		"machine": map[string]any{
			"date": time.Now().UTC().Format(time.RFC3339), "nproc": strconv.Itoa(runtime.NumCPU()),
			"go": runtime.Version(), "commit": strings.TrimSpace(string(commit)),
		},
		"command": "make bench-spanbomb",
		"span_bomb": map[string]any{
			"spans": bombSpans, "requests": bombRequests, "body_bytes": bodyBytes,
			"limit_mb": maxExtraHWM >> 20, "debug": runs(debug), "llm_prometheus": runs(llm),
		},
	}
	b, err := json.MarshalIndent(saved, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s", path)
}

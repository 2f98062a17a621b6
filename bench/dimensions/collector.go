// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package dimensions runs the built collector (../_build/otelcol-llm) as a
// subprocess with dimensions configured and measures what the label caps
// and expiry do under hostile and churning traffic: the attack (Attack, a
// million distinct services and tenants against the default caps) and the
// churn (Churn, tenants that come and go under a short idle_timeout). Both
// read /metrics, the collector's own telemetry and its VmRSS.
package dimensions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/freeport"
	"github.com/otelcol-llm/otelcol-llm/bench/loadgen"
)

// collector is the collector subprocess: OTLP/gRPC in, llm_prometheus out,
// its own telemetry on a third port, every port on 127.0.0.1.
type collector struct {
	cmd        *exec.Cmd
	logPath    string
	done       chan struct{}
	waitErr    error
	grpcAddr   string
	metricsURL string // llm_prometheus /metrics
	ownURL     string // the collector's own metrics
	conn       *grpc.ClientConn
	client     ptraceotlp.GRPCClient
}

// collectorConfig is the configuration: exporter holds the llm_prometheus
// settings beside its endpoint (YAML at an indentation of 4).
func collectorConfig(grpcAddr, metricsAddr string, ownPort int, exporter string) string {
	return fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc: {endpoint: %q}
exporters:
  llm_prometheus:
    endpoint: %q
%s
service:
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
                without_scope_info: true
                without_units: true
                without_type_suffix: true
  pipelines:
    traces: {receivers: [otlp], exporters: [llm_prometheus]}
`, grpcAddr, metricsAddr, exporter, ownPort)
}

// startCollector writes the configuration into workDir, starts bin and
// waits until OTLP, /metrics and the telemetry endpoint answer. The child
// gets SIGKILL if this process dies first.
func startCollector(ctx context.Context, bin, workDir, exporter string) (*collector, error) {
	var addrs [3]string
	for i := range addrs {
		a, err := freeport.Addr()
		if err != nil {
			return nil, err
		}
		if slices.Contains(addrs[:i], a) {
			return nil, fmt.Errorf("free port %s picked twice", a)
		}
		addrs[i] = a
	}
	var ownPort int
	if _, err := fmt.Sscanf(addrs[2], "127.0.0.1:%d", &ownPort); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(workDir, "config.yaml")
	//nolint:gosec // G306: a temporary configuration without secrets.
	if err := os.WriteFile(cfgPath, []byte(collectorConfig(addrs[0], addrs[1], ownPort, exporter)), 0o644); err != nil {
		return nil, err
	}
	c := &collector{
		logPath: filepath.Join(workDir, "collector.log"), done: make(chan struct{}),
		grpcAddr: addrs[0], metricsURL: "http://" + addrs[1] + "/metrics", ownURL: "http://" + addrs[2] + "/metrics",
	}
	logf, err := os.Create(c.logPath)
	if err != nil {
		return nil, err
	}
	c.cmd = exec.Command(bin, "--config", cfgPath)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err = c.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	if err = c.waitReady(ctx, 30*time.Second); err != nil {
		_ = c.stop()
		return nil, err
	}
	c.conn, err = grpc.NewClient("passthrough:///"+c.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		_ = c.stop()
		return nil, err
	}
	c.client = ptraceotlp.NewGRPCClient(c.conn)
	return c, nil
}

func (c *collector) pid() int { return c.cmd.Process.Pid }

func (c *collector) waitReady(ctx context.Context, deadline time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := loadgen.WaitReady(ctx, c.grpcAddr, deadline)
	for _, url := range []string{c.metricsURL, c.ownURL} {
		for err == nil {
			var body []byte
			if body, err = get(ctx, url); err == nil && body != nil {
				break
			}
			select {
			case <-ctx.Done():
				err = fmt.Errorf("%s: %w", url, ctx.Err())
			case <-time.After(100 * time.Millisecond):
				err = nil
			}
		}
	}
	if err != nil {
		return fmt.Errorf("collector not ready: %w; log:\n%s", err, c.tail(20))
	}
	return nil
}

// send exports td and fails unless every span was accepted.
func (c *collector) send(ctx context.Context, td ptrace.Traces) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := c.client.Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	if err != nil {
		return fmt.Errorf("export of %d spans: %w", td.SpanCount(), err)
	}
	if n := resp.PartialSuccess().RejectedSpans(); n != 0 {
		return fmt.Errorf("export of %d spans: %d rejected: %s", td.SpanCount(), n, resp.PartialSuccess().ErrorMessage())
	}
	return nil
}

// stop closes the connection, sends SIGTERM, waits up to 15 s, then kills.
func (c *collector) stop() error {
	if c.conn != nil {
		_ = c.conn.Close()
	}
	select {
	case <-c.done:
		return c.exitErr()
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.exitErr()
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return errors.New("collector did not stop within 15 s of SIGTERM: killed")
	}
}

func (c *collector) exitErr() error {
	if c.waitErr != nil {
		return fmt.Errorf("collector: %w; log:\n%s", c.waitErr, c.tail(20))
	}
	return nil
}

func (c *collector) tail(n int) string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// warnings are the collector's log lines at warn or error level, at most n.
func (c *collector) warnings(n int) []string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if (strings.Contains(l, "\twarn\t") || strings.Contains(l, "\terror\t")) && len(out) < n {
			out = append(out, l[:min(len(l), 300)])
		}
	}
	return out
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// get fetches a loopback URL; a non-200 answer is (nil, nil).
func get(ctx context.Context, url string) ([]byte, error) {
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		return nil, errors.New("only http://127.0.0.1 URLs are fetched")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, err
	}
	return body, nil
}

// scrape is one parsed text scrape.
type scrape struct {
	ms       float64 // request to the last byte of the body
	bytes    int
	families map[string]*dto.MetricFamily
}

func getScrape(ctx context.Context, url string) (*scrape, error) {
	t := time.Now()
	body, err := get(ctx, url)
	ms := float64(time.Since(t).Microseconds()) / 1000
	if err != nil {
		return nil, err
	}
	if body == nil {
		return nil, fmt.Errorf("GET %s: not 200", url)
	}
	fams, err := parseText(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return &scrape{ms: ms, bytes: len(body), families: fams}, nil
}

func parseText(body []byte) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(bytes.NewReader(body))
}

// labelSets are the distinct label sets of llm_requests_total (its labels
// but status), each as the label values by name.
func (s *scrape) labelSets() []map[string]string {
	seen := map[string]map[string]string{}
	for _, m := range s.families["llm_requests_total"].GetMetric() {
		ls := map[string]string{}
		var key strings.Builder
		for _, lp := range m.GetLabel() {
			if lp.GetName() != "status" {
				ls[lp.GetName()] = lp.GetValue()
				fmt.Fprintf(&key, "%s=%q,", lp.GetName(), lp.GetValue())
			}
		}
		seen[key.String()] = ls
	}
	out := make([]map[string]string, 0, len(seen))
	for _, ls := range seen {
		out = append(out, ls)
	}
	return out
}

// series is the number of samples a Prometheus server stores from this
// scrape (a classic histogram: every bucket, _sum and _count).
func (s *scrape) series() int {
	n := 0
	for _, f := range s.families {
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				n += len(h.GetBucket()) + 2
				if !slices.ContainsFunc(h.GetBucket(), func(b *dto.Bucket) bool { return b.GetUpperBound() > 1e308 }) {
					n++ // +Inf
				}
				continue
			}
			n++
		}
	}
	return n
}

// requestsBy sums llm_requests_total by the value of label.
func (s *scrape) requestsBy(label string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range s.families["llm_requests_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				out[lp.GetValue()] += m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// counter sums the counter name over its series whose labels include
// every pair of match.
func (s *scrape) counter(name string, match ...string) float64 {
	var sum float64
	for _, m := range s.families[name].GetMetric() {
		ok := true
		for i := 0; i+1 < len(match); i += 2 {
			ok = ok && slices.ContainsFunc(m.GetLabel(), func(lp *dto.LabelPair) bool {
				return lp.GetName() == match[i] && lp.GetValue() == match[i+1]
			})
		}
		if ok {
			sum += m.GetCounter().GetValue() + m.GetUntyped().GetValue()
		}
	}
	return sum
}

// Telemetry is what the collector's own metrics say about the exporter.
type Telemetry struct {
	Calls            int64            `json:"calls"`
	SpansReceived    int64            `json:"spans_received"`
	LabelOverflow    map[string]int64 `json:"label_overflow"` // by label
	LabelSetOverflow int64            `json:"label_set_overflow"`
}

func (c *collector) telemetry(ctx context.Context) (*Telemetry, error) {
	s, err := getScrape(ctx, c.ownURL)
	if err != nil {
		return nil, err
	}
	t := &Telemetry{
		Calls:            int64(s.counter("otelcol_exporter_llm_prometheus_calls")),
		SpansReceived:    int64(s.counter("otelcol_exporter_llm_prometheus_spans_received")),
		LabelSetOverflow: int64(s.counter("otelcol_exporter_llm_prometheus_label_set_overflow")),
		LabelOverflow:    map[string]int64{},
	}
	for _, m := range s.families["otelcol_exporter_llm_prometheus_label_overflow"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "label" {
				t.LabelOverflow[lp.GetValue()] += int64(m.GetCounter().GetValue() + m.GetUntyped().GetValue())
			}
		}
	}
	return t, nil
}

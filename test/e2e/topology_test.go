// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The scale-out topology of docs/deploy-gateway.md on loopback: collectors
// started from the SHIPPED configuration files (config/*.yaml), with only
// their listeners (and, for the gateway, its replicas and retry timings)
// overridden by --set flags.

// otelNode is one collector process (otelcol-llm or otelcol-llm-gateway).
type otelNode struct {
	name string
	bin  string
	args []string
	// Loopback ports; metricsPort is 0 for the gateway (no llm_prometheus).
	grpcPort, httpPort, metricsPort, healthPort, telemetryPort int
	proc                                                       *process
	started                                                    time.Time
}

func (n *otelNode) addr() string { return fmt.Sprintf("127.0.0.1:%d", n.grpcPort) }

func (n *otelNode) metricsURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", n.metricsPort)
}

func (n *otelNode) telemetryURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", n.telemetryPort)
}

// metricsTarget is the host:port Prometheus scrapes for the llm_* metrics.
func (n *otelNode) metricsTarget() string { return fmt.Sprintf("127.0.0.1:%d", n.metricsPort) }

// telemetrySet is the --set that moves the collector's own metrics endpoint to
// port, with the settings the shipped configurations use (a list cannot be
// changed element by element, so the whole readers list is given).
func telemetrySet(port int) string {
	return fmt.Sprintf("service::telemetry::metrics::readers=[{pull: {exporter: {prometheus: "+
		"{host: 127.0.0.1, port: %d, without_scope_info: true, without_units: true, without_type_suffix: true}}}}]", port)
}

// newReplica prepares an otelcol-llm started with config/<configFile> on free
// loopback ports.
func newReplica(t *testing.T, name, configFile string) *otelNode {
	t.Helper()
	bin := prebuilt(t, "OTELCOL_LLM_BINARY", "_build/otelcol-llm", "build")
	p := freePorts(t, 5)
	n := &otelNode{name: name, bin: bin, grpcPort: p[0], httpPort: p[1], metricsPort: p[2], healthPort: p[3], telemetryPort: p[4]}
	n.args = []string{
		"--config", filepath.Join(repoRoot(t), "config", configFile),
		"--set", fmt.Sprintf("receivers::otlp::protocols::grpc::endpoint=127.0.0.1:%d", n.grpcPort),
		"--set", fmt.Sprintf("receivers::otlp::protocols::http::endpoint=127.0.0.1:%d", n.httpPort),
		"--set", fmt.Sprintf("exporters::llm_prometheus::endpoint=127.0.0.1:%d", n.metricsPort),
		"--set", fmt.Sprintf("extensions::health_check::endpoint=127.0.0.1:%d", n.healthPort),
		"--set", telemetrySet(n.telemetryPort),
	}
	return n
}

// newGateway prepares an otelcol-llm-gateway started with config/gateway.yaml,
// its static resolver pointed at the replicas; extra are more --set values.
func newGateway(t *testing.T, name string, replicas []*otelNode, extra ...string) *otelNode {
	t.Helper()
	bin := prebuilt(t, "OTELCOL_LLM_GATEWAY_BINARY", "_build/otelcol-llm-gateway", "build")
	p := freePorts(t, 4)
	n := &otelNode{name: name, bin: bin, grpcPort: p[0], httpPort: p[1], healthPort: p[2], telemetryPort: p[3]}
	hosts := make([]string, len(replicas))
	for i, r := range replicas {
		hosts[i] = r.addr()
	}
	n.args = []string{
		"--config", filepath.Join(repoRoot(t), "config", "gateway.yaml"),
		"--set", fmt.Sprintf("receivers::otlp::protocols::grpc::endpoint=127.0.0.1:%d", n.grpcPort),
		"--set", fmt.Sprintf("receivers::otlp::protocols::http::endpoint=127.0.0.1:%d", n.httpPort),
		"--set", fmt.Sprintf("extensions::health_check::endpoint=127.0.0.1:%d", n.healthPort),
		"--set", telemetrySet(n.telemetryPort),
		"--set", "exporters::load_balancing::resolver::static::hostnames=[" + strings.Join(hosts, ", ") + "]",
	}
	for _, s := range extra {
		n.args = append(n.args, "--set", s)
	}
	return n
}

// start starts the process without waiting for it (see waitReady).
func (n *otelNode) start(t *testing.T) {
	t.Helper()
	n.started = time.Now()
	n.proc = startProcess(t, n.name, n.bin, n.args...)
}

// waitReady waits until health_check answers and, on a replica, /metrics.
func (n *otelNode) waitReady(t *testing.T) {
	t.Helper()
	waitHTTP(t, n.proc, fmt.Sprintf("http://127.0.0.1:%d/", n.healthPort), 60*time.Second)
	if n.metricsPort != 0 {
		waitHTTP(t, n.proc, n.metricsURL(), 10*time.Second)
	}
	waitHTTP(t, n.proc, n.telemetryURL(), 10*time.Second)
}

// startAll starts every node, then waits for each: the processes start in parallel.
func startAll(t *testing.T, nodes ...*otelNode) {
	t.Helper()
	for _, n := range nodes {
		n.start(t)
	}
	for _, n := range nodes {
		n.waitReady(t)
	}
}

// kill ends the process with SIGKILL (no shutdown, nothing flushed) and waits for it.
func (n *otelNode) kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(n.proc.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL %s: %v", n.name, err)
	}
	select {
	case <-n.proc.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not exit within 10s of SIGKILL", n.name)
	}
}

// otlpClient exports traces over one OTLP/gRPC connection.
type otlpClient struct {
	name string
	conn *grpc.ClientConn
	c    ptraceotlp.GRPCClient
}

func newOTLPClient(t *testing.T, n *otelNode) *otlpClient {
	t.Helper()
	conn, err := grpc.NewClient(n.addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &otlpClient{name: n.name, conn: conn, c: ptraceotlp.NewGRPCClient(conn)}
}

// send exports td and fails the test unless every span was accepted.
func (c *otlpClient) send(ctx context.Context, t *testing.T, td ptrace.Traces) {
	t.Helper()
	resp, err := c.c.Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	if err != nil {
		t.Fatalf("OTLP/gRPC export to %s: %v", c.name, err)
	}
	if ps := resp.PartialSuccess(); ps.RejectedSpans() != 0 {
		t.Fatalf("OTLP/gRPC export to %s: %d spans rejected: %s", c.name, ps.RejectedSpans(), ps.ErrorMessage())
	}
}

// sampleSum sums the samples of family name whose labels include match.
func sampleSum(mfs map[string]*dto.MetricFamily, name string, match map[string]string) float64 {
	var sum float64
	for _, m := range mfs[name].GetMetric() {
		labels := labelsOf(m)
		ok := true
		for k, v := range match {
			if labels[k] != v {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}

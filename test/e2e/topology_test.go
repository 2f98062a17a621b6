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

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
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
	proc                                                       *testproc.Process
	// layout picks free ports and writes args for them.
	layout func(t *testing.T)
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

// newReplica prepares an otelcol-llm started with config/<configFile>; its
// loopback ports are picked when it starts (startAll).
func newReplica(t *testing.T, name, configFile string) *otelNode {
	t.Helper()
	n := &otelNode{name: name, bin: testproc.Prebuilt(t, "OTELCOL_LLM_BINARY", "_build/otelcol-llm", "build")}
	config := filepath.Join(testproc.RepoRoot(t), "config", configFile)
	n.layout = func(t *testing.T) {
		p := testproc.FreePorts(t, 5)
		n.grpcPort, n.httpPort, n.metricsPort, n.healthPort, n.telemetryPort = p[0], p[1], p[2], p[3], p[4]
		n.args = []string{
			"--config", config,
			"--set", fmt.Sprintf("receivers::otlp::protocols::grpc::endpoint=127.0.0.1:%d", n.grpcPort),
			"--set", fmt.Sprintf("receivers::otlp::protocols::http::endpoint=127.0.0.1:%d", n.httpPort),
			"--set", fmt.Sprintf("exporters::llm_prometheus::endpoint=127.0.0.1:%d", n.metricsPort),
			"--set", fmt.Sprintf("extensions::health_check::endpoint=127.0.0.1:%d", n.healthPort),
			"--set", telemetrySet(n.telemetryPort),
		}
	}
	return n
}

// newGateway prepares an otelcol-llm-gateway started with config/gateway.yaml,
// its static resolver pointed at the replicas (start it after them, with a
// later startAll); extra are more --set values.
func newGateway(t *testing.T, name string, replicas []*otelNode, extra ...string) *otelNode {
	t.Helper()
	n := &otelNode{name: name, bin: testproc.Prebuilt(t, "OTELCOL_LLM_GATEWAY_BINARY", "_build/otelcol-llm-gateway", "build")}
	config := filepath.Join(testproc.RepoRoot(t), "config", "gateway.yaml")
	n.layout = func(t *testing.T) {
		p := testproc.FreePorts(t, 4)
		n.grpcPort, n.httpPort, n.healthPort, n.telemetryPort = p[0], p[1], p[2], p[3]
		hosts := make([]string, len(replicas))
		for i, r := range replicas {
			if r.grpcPort == 0 {
				t.Fatalf("gateway %s: replica %s has no port yet: start the replicas first", name, r.name)
			}
			hosts[i] = r.addr()
		}
		n.args = []string{
			"--config", config,
			"--set", fmt.Sprintf("receivers::otlp::protocols::grpc::endpoint=127.0.0.1:%d", n.grpcPort),
			"--set", fmt.Sprintf("receivers::otlp::protocols::http::endpoint=127.0.0.1:%d", n.httpPort),
			"--set", fmt.Sprintf("extensions::health_check::endpoint=127.0.0.1:%d", n.healthPort),
			"--set", telemetrySet(n.telemetryPort),
			"--set", "exporters::load_balancing::resolver::static::hostnames=[" + strings.Join(hosts, ", ") + "]",
		}
		for _, s := range extra {
			n.args = append(n.args, "--set", s)
		}
	}
	return n
}

// start starts the process on the node's current ports without waiting for it.
func (n *otelNode) start(t *testing.T) {
	t.Helper()
	n.proc = testproc.Start(t, n.name, n.bin, n.args...)
}

// waitReady waits until health_check, /metrics (on a replica) and the own
// metrics endpoint answer; it reports portTaken when the process exited
// because one of its ports was bound by another process after
// testproc.FreePorts picked it.
func (n *otelNode) waitReady(t *testing.T) (portTaken bool) {
	t.Helper()
	urls := []string{fmt.Sprintf("http://127.0.0.1:%d/", n.healthPort), n.telemetryURL()}
	if n.metricsPort != 0 {
		urls = append(urls, n.metricsURL())
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, u := range urls {
		ok := testproc.HTTPOK(u)
		for {
			if n.proc.Exited() {
				if n.proc.LogContains("address already in use") {
					return true
				}
				t.Fatalf("%s exited before %s answered: %v", n.name, u, n.proc.Err())
			}
			err := ok()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s did not answer 200 within 60s: %v", n.name, u, err)
			}
			time.Sleep(20 * time.Millisecond) // polling interval, bounded by the deadline above
		}
	}
	return false
}

// startAll picks ports for every node and starts them, then waits for each
// (the processes start in parallel). A node whose port was taken in between
// is started again on new ports (at most 3 times).
func startAll(t *testing.T, nodes ...*otelNode) {
	t.Helper()
	for _, n := range nodes {
		n.layout(t)
		n.start(t)
	}
	for _, n := range nodes {
		for attempt := 1; n.waitReady(t); attempt++ {
			if attempt == 3 {
				t.Fatalf("%s: a port was taken by another process 3 times in a row", n.name)
			}
			t.Logf("%s: a port was taken by another process; starting it on new ports", n.name)
			n.layout(t)
			n.start(t)
		}
	}
}

// restart starts a stopped node again on the same ports and waits for it.
func (n *otelNode) restart(t *testing.T) {
	t.Helper()
	n.start(t)
	if n.waitReady(t) {
		t.Fatalf("%s: a port was taken while it was down", n.name)
	}
}

// kill ends the process with SIGKILL (no shutdown, nothing flushed) and waits for it.
func (n *otelNode) kill(t *testing.T) {
	t.Helper()
	if err := n.proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL %s: %v", n.name, err)
	}
	select {
	case <-n.proc.Done():
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

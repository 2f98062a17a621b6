// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// gatewayImage is otelcol-llm-gateway:<version>, the tier-1 gateway: OTLP
// gRPC, OTLP HTTP, its own telemetry, health check (no llm_* /metrics: its
// replicas record them). Its default configuration is config/gateway-dns.yaml,
// where the Kubernetes manifests mount their ConfigMap.
var gatewayImage = imageSpec{
	name:          "otelcol-llm-gateway",
	env:           "OTELCOL_LLM_GATEWAY_IMAGE",
	binaryEnv:     "OTELCOL_LLM_GATEWAY_BINARY",
	binaryRel:     "_build/otelcol-llm-gateway",
	manifest:      "builder-gateway.yaml",
	config:        "gateway-dns.yaml",
	description:   "OpenTelemetry Collector distribution that routes spans by trace ID to otelcol-llm replicas (the tier-1 gateway of otelcol-llm)",
	ports:         []int{4317, 4318, 8888, 13133},
	deployment:    "deploy/kubernetes/overlays/gateway/gateway-deployment.yaml",
	chartTemplate: "gateway.yaml",
	chartImage:    []string{"gateway", "image"},
}

// TestGatewayImage tests the gateway image `make image` built from
// _build/otelcol-llm-gateway as TestImage tests otelcol-llm's: metadata and
// OCI labels, the exact file tree, --version, the Kubernetes manifests that
// run it, the default configuration (validated, then run in a network
// namespace of its own: its four ports on 0.0.0.0, as user 10001); then the
// two tiers as containers on the host's network: the gateway's own
// configuration with its listeners on free loopback ports below 32768 and its
// DNS resolver swapped for a static one (--set, yaml:) that names an
// otelcol-llm container; OTLP over gRPC and HTTP into the gateway, every
// llm_* series and own counter exact on the replica, every span accounted for
// by the gateway's own telemetry.
func TestGatewayImage(t *testing.T) {
	spec := gatewayImage
	image := imageUnderTest(t, spec)
	replicaImage := imageUnderTest(t, collectorImage)
	d := newDockerCLI(t)
	testImageCommon(t, d, spec, image)
	t.Run("pipeline", func(t *testing.T) { testGatewayImagePipeline(t, d, image, replicaImage) })
}

// testGatewayImagePipeline: an otelcol-llm container (startCollectorContainer)
// behind a gateway container running the image's own configuration, only its
// listeners moved to free loopback ports and its resolver made static
// (resolver.dns disabled, resolver.static naming the replica); the scenario
// over OTLP/gRPC, OTLP/HTTP protobuf and JSON into the gateway. The gateway
// answers once a request is queued, so each check first waits until the
// replica took every span sent so far (never more), then requires every llm_*
// series and own counter of the replica, and the gateway's span accounting,
// to be exact.
func testGatewayImagePipeline(t *testing.T, d dockerCLI, image, replicaImage string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	replica, replicaName := startCollectorContainer(t, d, replicaImage)
	backend := fmt.Sprintf("127.0.0.1:%d", replica.grpcPort)

	ports := testproc.FreePorts(t, 4)
	gw := &collector{grpcPort: ports[0], httpPort: ports[1], healthPort: ports[2], telemetryPort: ports[3]}
	name := d.startContainer(t, "--network", "host", image,
		"--config", gatewayImage.configPath(),
		fmt.Sprintf("--set=receivers::otlp::protocols::grpc::endpoint=127.0.0.1:%d", gw.grpcPort),
		fmt.Sprintf("--set=receivers::otlp::protocols::http::endpoint=127.0.0.1:%d", gw.httpPort),
		fmt.Sprintf("--set=extensions::health_check::endpoint=127.0.0.1:%d", gw.healthPort),
		telemetryConfigSource(gw.telemetryPort),
		"--set=exporters::load_balancing::resolver::dns::enabled=false",
		"--config=yaml:exporters::load_balancing::resolver::static::hostnames: ["+backend+"]",
	)
	d.waitContainer(t, name, "healthy", time.Minute, testproc.HTTPOK(fmt.Sprintf("http://127.0.0.1:%d/", gw.healthPort)))
	d.waitContainer(t, name, "serving its own metrics", 10*time.Second, testproc.HTTPOK(gw.telemetryURL()))

	received, _, _ := scenarioCounts()
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	sends := []struct {
		name string
		send func(round int) (spans int)
	}{
		{"OTLP/gRPC", func(r int) int {
			td := buildTraces(r, base)
			sendGRPC(ctx, t, gw.grpcPort, td)
			return td.SpanCount()
		}},
		{"OTLP/HTTP protobuf", func(r int) int {
			td := buildTraces(r, base)
			sendHTTP(ctx, t, gw.httpPort, td, false)
			return td.SpanCount()
		}},
		{"OTLP/HTTP JSON", func(r int) int {
			td := buildTraces(r, base)
			sendHTTP(ctx, t, gw.httpPort, td, true)
			return td.SpanCount()
		}},
	}
	var spans int
	for i, s := range sends {
		rounds := i + 1
		spans += s.send(i)

		want := float64(received * rounds)
		poll(t, 30*time.Second, 50*time.Millisecond, fmt.Sprintf("the replica to take the %v spans sent through the gateway", want),
			func() (bool, error) {
				got := sampleSum(scrapeText(ctx, t, replica.telemetryURL()), "otelcol_exporter_llm_prometheus_spans_received", nil)
				if got > want {
					t.Fatalf("after the %s send: the replica received %v spans, more than the %v sent", s.name, got, want)
				}
				return got == want, nil
			})
		// The replica runs config/container.yaml: dimensions service and provider.
		assertLLMMetricsDims(t, scrapeText(ctx, t, replica.metricsURL()), rounds, true)
		assertTelemetry(t, scrapeText(ctx, t, replica.telemetryURL()), rounds)

		// The exporter counts a request as sent once the replica answered,
		// just after the replica counted it: wait for that, then all exact.
		var g gatewayCounts
		poll(t, 10*time.Second, 50*time.Millisecond, "the gateway to count the spans sent", func() (bool, error) {
			g = gatewayCountsOf(scrapeText(ctx, t, gw.telemetryURL()))
			return g.sent >= float64(spans), nil
		})
		if g.accepted != float64(spans) || g.sent != float64(spans) || g.refused != 0 || g.failed != 0 ||
			g.enqueueFailed != 0 || g.queued != 0 {
			t.Errorf("gateway telemetry: accepted %v, sent %v, refused %v, send failed %v, enqueue failed %v, queue size %v; "+
				"want %d accepted and sent, nothing else", g.accepted, g.sent, g.refused, g.failed, g.enqueueFailed, g.queued, spans)
		}
		// One export to the replica per request.
		if want := map[string]float64{backend + "/true": float64(rounds)}; !maps.Equal(g.outcome, want) {
			t.Errorf("gateway otelcol_loadbalancer_backend_outcome %v, want %v", g.outcome, want)
		}
		if t.Failed() {
			t.Fatalf("after the %s send (round %d): the series above do not match the scenario", s.name, rounds)
		}
		t.Logf("after the %s send through the gateway: every llm_* series and own counter of the replica matches ×%d; "+
			"the gateway accepted and sent %d spans in %d exports", s.name, rounds, spans, rounds)
	}
	assertRunsAsImageUser(t, d.state(t, name).Pid)
	d.stopContainer(t, name)
	d.stopContainer(t, replicaName)
}

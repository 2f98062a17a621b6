// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// get fetches url with an Accept header and returns the body and content type.
func get(ctx context.Context, url, accept string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return nil, "", err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", errors.New(url + ": " + resp.Status + ": " + string(body))
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// collector is a running otelcol-llm with its loopback ports.
type collector struct {
	proc                                        *testproc.Process
	grpcPort, httpPort, metricsPort, healthPort int
	telemetryPort                               int
}

func (c *collector) metricsURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", c.metricsPort)
}

func (c *collector) telemetryURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", c.telemetryPort)
}

// collectorConfig is the e2e configuration: config/otelcol.yaml's pipeline on
// free ports, without its dimensions (the llm_* series are labeled by model and
// template only) unless startCollectorWith adds exporter settings (%[6]s).
const collectorConfig = `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%[1]d
      http:
        endpoint: 127.0.0.1:%[2]d
processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
    spike_limit_percentage: 20
exporters:
  llm_prometheus:
    endpoint: 127.0.0.1:%[3]d
%[6]s
extensions:
  health_check:
    endpoint: 127.0.0.1:%[4]d
service:
  extensions: [health_check]
  telemetry:
    logs:
      level: info
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %[5]d
                without_scope_info: true
                without_units: true
                without_type_suffix: true
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter]
      exporters: [llm_prometheus]
`

// startCollector writes a config with free loopback ports, starts the ocb-built
// collector and waits until health_check reports it ready.
func startCollector(t *testing.T) *collector {
	t.Helper()
	return startCollectorWith(t, "")
}

// startCollectorWith is startCollector with more llm_prometheus settings:
// exporterYAML is inserted under exporters::llm_prometheus, each line
// indented by four spaces.
func startCollectorWith(t *testing.T, exporterYAML string) *collector {
	t.Helper()
	bin := testproc.Prebuilt(t, "OTELCOL_LLM_BINARY", "_build/otelcol-llm", "build")
	ports := testproc.FreePorts(t, 5)
	c := &collector{grpcPort: ports[0], httpPort: ports[1], metricsPort: ports[2], healthPort: ports[3], telemetryPort: ports[4]}
	cfgPath := filepath.Join(t.TempDir(), "otelcol.yaml")
	cfg := fmt.Sprintf(collectorConfig, c.grpcPort, c.httpPort, c.metricsPort, c.healthPort, c.telemetryPort, exporterYAML)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c.proc = testproc.Start(t, "otelcol-llm", bin, "--config", cfgPath)
	c.proc.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/", c.healthPort), 60*time.Second)
	// health_check turns ready once every component started, so /metrics is served.
	c.proc.WaitHTTP(t, c.metricsURL(), 10*time.Second)
	return c
}

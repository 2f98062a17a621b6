// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the directory holding the root go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(data), "module github.com/otelcol-llm/otelcol-llm\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the repository root (go.mod of github.com/otelcol-llm/otelcol-llm)")
		}
		dir = parent
	}
}

// prebuilt returns the path of a prebuilt binary: $env if set, else root/rel. It
// fails the test with the command that builds it when the file is missing.
func prebuilt(t *testing.T, env, rel, makeTarget string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join(repoRoot(t), rel)
	}
	info, err := os.Stat(path)
	if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		t.Fatalf("%s is missing or not executable (%v): run `make %s` first, or set %s", path, err, makeTarget, env)
	}
	return path
}

// Listener ports are taken from [lowPortMin, lowPortMax): below the kernel's
// ephemeral range (ip_local_port_range starts at 32768), which other clients on
// the machine use for their outgoing connections. A port from 127.0.0.1:0 lies in
// that range and can be held by one of them by the time a child process binds it.
const (
	lowPortMin = 20000
	lowPortMax = 32768
)

// listenLow listens on a free loopback port below 32768, trying random ports
// (a bounded number of times: a port in use is skipped).
func listenLow(t *testing.T) net.Listener {
	t.Helper()
	var lastErr error
	for range 200 {
		port := lowPortMin + rand.IntN(lowPortMax-lowPortMin)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			return l
		}
		lastErr = err
	}
	t.Fatalf("no free loopback port in [%d, %d) after 200 tries: %v", lowPortMin, lowPortMax, lastErr)
	return nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1, below 32768. The
// listeners are closed before returning; another process could take a port in
// between, which the start-up checks then report as a clear bind error.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	var ls []net.Listener
	for range n {
		l := listenLow(t)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return ports
}

// process is a child process whose output goes to a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

// startProcess starts bin with args; t.Cleanup stops it (SIGTERM, then SIGKILL
// after a deadline) and prints its log when the test failed.
func startProcess(t *testing.T, name, bin string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			p.dumpLog(t)
		}
	})
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to terminate and waits for it, killing it after 15 s.
func (p *process) stop(t *testing.T) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Errorf("%s did not stop within 15s of SIGTERM; killing it", p.name)
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *process) dumpLog(t *testing.T) {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Logf("%s log: %v", p.name, err)
		return
	}
	const maxLog = 64 << 10
	if len(data) > maxLog {
		data = append([]byte("…\n"), data[len(data)-maxLog:]...)
	}
	t.Logf("---- %s log (%s) ----\n%s", p.name, p.logPath, data)
}

// waitHTTP polls url until it answers 200, the process exits, or the deadline passes.
func waitHTTP(t *testing.T, p *process, url string, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p.exited() {
			p.dumpLog(t)
			t.Fatalf("%s exited before %s answered: %v", p.name, url, p.waitErr)
		}
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		select {
		case <-p.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.dumpLog(t)
	t.Fatalf("%s: %s did not answer 200 within %s: %v", p.name, url, timeout, last)
}

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
	proc                                        *process
	grpcPort, httpPort, metricsPort, healthPort int
	telemetryPort                               int
}

func (c *collector) metricsURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", c.metricsPort)
}

func (c *collector) telemetryURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", c.telemetryPort)
}

// collectorConfig is the e2e configuration: config/otelcol.yaml's pipeline on free ports.
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
	bin := prebuilt(t, "OTELCOL_LLM_BINARY", "_build/otelcol-llm", "build")
	ports := freePorts(t, 5)
	c := &collector{grpcPort: ports[0], httpPort: ports[1], metricsPort: ports[2], healthPort: ports[3], telemetryPort: ports[4]}
	cfgPath := filepath.Join(t.TempDir(), "otelcol.yaml")
	cfg := fmt.Sprintf(collectorConfig, c.grpcPort, c.httpPort, c.metricsPort, c.healthPort, c.telemetryPort)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c.proc = startProcess(t, "otelcol-llm", bin, "--config", cfgPath)
	waitHTTP(t, c.proc, fmt.Sprintf("http://127.0.0.1:%d/", c.healthPort), 60*time.Second)
	// health_check turns ready once every component started, so /metrics is served.
	waitHTTP(t, c.proc, c.metricsURL(), 10*time.Second)
	return c
}

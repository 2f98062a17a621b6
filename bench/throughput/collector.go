// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package throughput

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/otelcol-llm/otelcol-llm/bench/loadgen"
)

// collector is one collector subprocess.
type collector struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	started time.Time // just before the process started
	done    chan struct{}
	waitErr error
}

// startCollector starts bin with args and env added to this process'
// environment, its output going to logPath. The child gets SIGKILL if this
// process dies first.
func startCollector(name, bin string, args, env []string, logPath string) (*collector, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("%s: start %s: %w", name, bin, err)
	}
	c := &collector{name: name, cmd: cmd, logPath: logPath, started: started, done: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *collector) pid() int { return c.cmd.Process.Pid }

func (c *collector) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitReady waits until an empty OTLP export succeeds on grpcAddr and, if
// metricsURL is set, /metrics answers 200.
func (c *collector) waitReady(ctx context.Context, grpcAddr, metricsURL string, deadline time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	go func() { // stop waiting as soon as the process exits
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := loadgen.WaitReady(ctx, grpcAddr, deadline)
	if err == nil && metricsURL != "" {
		err = waitHTTP(ctx, metricsURL)
	}
	if err != nil {
		if c.exited() {
			return fmt.Errorf("%s exited (%w); log:\n%s", c.name, c.waitErr, c.tail(20))
		}
		return fmt.Errorf("%s not ready: %w; log:\n%s", c.name, err, c.tail(20))
	}
	return nil
}

// stop sends SIGTERM, waits up to 15 s, then kills.
func (c *collector) stop() error {
	if c.exited() {
		return c.exitErr()
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.exitErr()
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s did not stop within 15 s of SIGTERM: killed", c.name)
	}
}

func (c *collector) exitErr() error {
	if c.waitErr != nil {
		return fmt.Errorf("%s: %w; log:\n%s", c.name, c.waitErr, c.tail(20))
	}
	return nil
}

// tail returns the last n lines of the collector's log.
func (c *collector) tail(n int) string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// warnings returns the log lines at warn or error level (ocb collectors log
// "\twarn\t" / "\terror\t"), at most n, deprecation notices left out.
func (c *collector) warnings(n int) []string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if (strings.Contains(l, "\twarn\t") || strings.Contains(l, "\terror\t")) && !strings.Contains(l, "deprecated") && len(out) < n {
			if len(l) > 300 {
				l = l[:300] + "…"
			}
			out = append(out, l)
		}
	}
	return out
}

// waitHTTP polls url until it answers 200 or ctx is done.
func waitHTTP(ctx context.Context, url string) error {
	for {
		resp, err := httpGet(ctx, url)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("GET %s: %s", url, resp.Status)
			}
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func httpGet(ctx context.Context, url string) (*http.Response, error) {
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		return nil, errors.New("only http://127.0.0.1 URLs are scraped")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return nil, err
	}
	return httpClient.Do(req)
}

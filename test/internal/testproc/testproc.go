// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package testproc runs the programs of the project's end-to-end tests
// (test/e2e) and Kubernetes validation (test/k8s) as child processes: each
// writes to a log file of its own, is stopped when its test ends (SIGTERM,
// then SIGKILL of its process group) and has its log printed when the test
// failed. It also finds the repository root and the prebuilt binaries the
// tests run, and picks free loopback ports below the kernel's ephemeral range.
package testproc

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// StopTimeout is how long Stop waits after SIGTERM before it kills the
	// process group.
	StopTimeout = 15 * time.Second
	// pollInterval is the pause between two checks of WaitFor.
	pollInterval = 50 * time.Millisecond
	// maxLog is how much of the end of a log dumpLog prints.
	maxLog = 64 << 10
)

// RepoRoot is the directory holding the root go.mod.
func RepoRoot(t *testing.T) string {
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

// Prebuilt returns the path of a prebuilt binary: $env if set, else
// RepoRoot/rel. It fails the test with the make target that builds it when
// the file is missing or not executable.
func Prebuilt(t *testing.T, env, rel, makeTarget string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join(RepoRoot(t), rel)
	}
	info, err := os.Stat(path)
	if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		t.Fatalf("%s is missing or not executable (%v): run `make %s` first, or set %s", path, err, makeTarget, env)
	}
	return path
}

// EnvWithout returns env (KEY=value entries) without the variables whose
// names start with prefix, e.g. for a child that reads its own variables as
// flags.
func EnvWithout(env []string, prefix string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

// Process is a child process whose output goes to a log file.
type Process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error // set before done is closed
}

// Start starts bin with args and the test's environment (see StartCmd).
func Start(t *testing.T, name, bin string, args ...string) *Process {
	t.Helper()
	return StartCmd(t, name, exec.Command(bin, args...))
}

// StartCmd starts cmd with its standard output and error going to a log file
// in t.TempDir(). Unless cmd.SysProcAttr is set, the child gets a process
// group of its own (so that it is killed with its children), and on Linux
// the kernel kills it if the test process dies first (e.g. on a `go test
// -timeout` panic). t.Cleanup stops it (Stop) and, if the test failed,
// prints the end of its log: a test that fails because of the process need
// not print it.
func StartCmd(t *testing.T, name string, cmd *exec.Cmd) *Process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = procAttr()
	}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop(t)
		if t.Failed() {
			p.dumpLog(t)
		}
	})
	return p
}

// Name is the name the process was started with.
func (p *Process) Name() string { return p.name }

// Pid is the process ID of the child.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the child (not to its process group).
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Done is closed once the process has exited and its log is complete.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is the result of waiting for the process (nil for exit status 0, an
// *exec.ExitError otherwise); nil while it runs.
func (p *Process) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.waitErr
}

// LogContains reports whether the process's log holds s (false if the log
// cannot be read).
func (p *Process) LogContains(s string) bool {
	data, err := os.ReadFile(p.logPath)
	return err == nil && bytes.Contains(data, []byte(s))
}

// Stop asks the process to terminate (SIGTERM) and waits for it; after
// StopTimeout it fails the test and kills the process group. A process that
// has exited already is left as it is.
func (p *Process) Stop(t *testing.T) {
	if p.Exited() {
		return
	}
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		t.Logf("%s stopped %s after SIGTERM", p.name, time.Since(start).Round(time.Millisecond))
	case <-time.After(StopTimeout):
		t.Errorf("%s did not stop within %s of SIGTERM; killing it", p.name, StopTimeout)
		killGroup(p.cmd.Process)
		<-p.done
	}
}

// dumpLog prints the process's log (its last 64 KiB) to the test log.
func (p *Process) dumpLog(t *testing.T) {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Logf("%s log: %v", p.name, err)
		return
	}
	t.Logf("---- %s log (%s) ----\n%s", p.name, p.logPath, tail(data, maxLog))
}

// tail returns data if it has at most limit bytes. Otherwise it returns "…\n"
// and the end of data: its last limit bytes, from the first line that starts
// within them (all limit bytes if no line does).
func tail(data []byte, limit int) []byte {
	if len(data) <= limit {
		return data
	}
	start := len(data) - limit
	if data[start-1] != '\n' {
		if i := bytes.IndexByte(data[start:], '\n'); i >= 0 && start+i+1 < len(data) {
			start += i + 1
		}
	}
	return append([]byte("…\n"), data[start:]...)
}

// WaitFor calls check every 50ms until it returns nil. It fails the test
// when the process exits first or timeout passes; what says what is awaited
// ("http://127.0.0.1:8888/ to answer 200").
func (p *Process) WaitFor(t *testing.T, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p.Exited() {
			t.Fatalf("%s exited while waiting for %s: %v", p.name, what, p.waitErr)
		}
		if last = check(); last == nil {
			return
		}
		select {
		case <-p.done:
		case <-time.After(pollInterval):
		}
	}
	t.Fatalf("%s: waited %s for %s, in vain: %v", p.name, timeout, what, last)
}

// WaitHTTP waits (WaitFor) until a GET of url answers 200.
func (p *Process) WaitHTTP(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	p.WaitFor(t, url+" to answer 200", timeout, HTTPOK(url))
}

// HTTPOK returns a check for WaitFor and the like: a GET of url (1s timeout)
// that returns nil if it answered 200.
func HTTPOK(url string) func() error {
	client := &http.Client{Timeout: time.Second}
	return func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	}
}

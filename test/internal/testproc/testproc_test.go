// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package testproc

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// childEnv selects what the test binary does when a test starts it as a
// child process (see TestMain).
const childEnv = "TESTPROC_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "exit3":
		fmt.Println("child: exiting with status 3")
		os.Exit(3)
	case "term":
		// Exits 0 on SIGTERM; says so once the handler is installed.
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("child: waiting for SIGTERM")
		<-c
		fmt.Println("child: SIGTERM received")
		os.Exit(0)
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", childEnv, os.Getenv(childEnv))
		os.Exit(2)
	}
}

// startChild starts the test binary as a child doing what.
func startChild(t *testing.T, what string) *Process {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	// The race detector's default pause of 1s at exit would slow the stop.
	cmd.Env = append(os.Environ(), childEnv+"="+what, "GORACE=atexit_sleep_ms=0")
	return StartCmd(t, "child-"+what, cmd)
}

func TestListenLowAndFreePorts(t *testing.T) {
	l := ListenLow(t)
	port := l.Addr().(*net.TCPAddr).Port
	if ip := l.Addr().(*net.TCPAddr).IP.String(); ip != "127.0.0.1" || port < 20000 || port >= 32768 {
		t.Errorf("ListenLow listens on %s, want 127.0.0.1 and a port in [20000, 32768)", l.Addr())
	}
	_ = l.Close()

	const n = 64
	ports := FreePorts(t, n)
	if len(ports) != n {
		t.Fatalf("FreePorts(%d) returned %d ports", n, len(ports))
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p < 20000 || p >= 32768 {
			t.Errorf("port %d is outside [20000, 32768)", p)
		}
		if seen[p] {
			t.Errorf("port %d returned twice", p)
		}
		seen[p] = true
	}
	// The listeners are closed: every port can be bound again.
	for _, p := range ports[:4] {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("port %d is still held after FreePorts returned: %v", p, err)
			continue
		}
		_ = l.Close()
	}
}

func TestListenLowBoundedTries(t *testing.T) {
	var addrs []string
	busy := errors.New("address already in use")
	_, err := listenLow(func(network, address string) (net.Listener, error) {
		if network != "tcp" {
			t.Errorf("network %q, want tcp", network)
		}
		addrs = append(addrs, address)
		return nil, busy
	})
	if len(addrs) != 200 {
		t.Errorf("%d ports tried, want 200", len(addrs))
	}
	for _, a := range addrs {
		host, port, _ := net.SplitHostPort(a)
		p, perr := strconv.Atoi(port)
		if host != "127.0.0.1" || perr != nil || p < 20000 || p >= 32768 {
			t.Errorf("tried %q, want 127.0.0.1 and a port in [20000, 32768)", a)
		}
	}
	const want = "no free loopback port in [20000, 32768) after 200 tries: address already in use"
	if err == nil || err.Error() != want || !errors.Is(err, busy) {
		t.Errorf("error %v, want %q wrapping the last listen error", err, want)
	}

	// A port in use is skipped: the fourth try succeeds.
	calls := 0
	l, err := listenLow(func(network, address string) (net.Listener, error) {
		calls++
		if calls < 4 {
			return nil, busy
		}
		return net.Listen(network, address)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Close()
	if calls != 4 {
		t.Errorf("%d listen calls, want 4 (three busy ports, then a free one)", calls)
	}
}

func TestTail(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		limit      int
		want       string
	}{
		{"empty", "", 8, ""},
		{"exactly the limit", "abc\ndef\n", 8, "abc\ndef\n"},
		{"under the limit", "abc\n", 8, "abc\n"},
		// The last 9 bytes, "\ndef\nghi\n", cut "abc": the dump starts at "def".
		{"cut in a line", "ab\nabc\ndef\nghi\n", 9, "…\ndef\nghi\n"},
		// The last 8 bytes start with a line: nothing more is dropped.
		{"cut on a line start", "ab\nabc\ndef\nghi\n", 8, "…\ndef\nghi\n"},
		{"cut on a line start, longer", "abcdefg\n1234\n567\n", 9, "…\n1234\n567\n"},
		// No line starts within the last 6 bytes (only the final newline): keep them all.
		{"one long line", "0123456789\n", 6, "…\n56789\n"},
		{"no newline", "0123456789", 4, "…\n6789"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tail([]byte(tc.data), tc.limit)); got != tc.want {
				t.Errorf("tail(%q, %d) = %q, want %q", tc.data, tc.limit, got, tc.want)
			}
		})
	}
}

func TestEnvWithout(t *testing.T) {
	env := []string{"PATH=/bin", "ETCD_BINARY=/x/etcd", "HOME=/root", "ETCD_NAME=a", "MY_ETCD_X=1"}
	got := EnvWithout(env, "ETCD_")
	want := []string{"PATH=/bin", "HOME=/root", "MY_ETCD_X=1"}
	if !slices.Equal(got, want) {
		t.Errorf("EnvWithout = %q, want %q", got, want)
	}
	if len(env) != 5 || env[1] != "ETCD_BINARY=/x/etcd" {
		t.Errorf("EnvWithout changed its argument: %q", env)
	}
}

func TestRepoRootAndPrebuilt(t *testing.T) {
	want, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if got := RepoRoot(t); got != want {
		t.Errorf("RepoRoot = %s, want %s", got, want)
	}

	if got := Prebuilt(t, "TESTPROC_UNSET_BINARY", "tools/spdx.sh", "tools"); got != filepath.Join(want, "tools", "spdx.sh") {
		t.Errorf("Prebuilt without the variable = %s, want %s", got, filepath.Join(want, "tools", "spdx.sh"))
	}
	bin := os.Args[0] // the test binary: an executable file
	t.Setenv("TESTPROC_TOOL_BINARY", bin)
	if got := Prebuilt(t, "TESTPROC_TOOL_BINARY", "tools/spdx.sh", "tools"); got != bin {
		t.Errorf("Prebuilt with the variable = %s, want %s", got, bin)
	}
}

func TestProcessExit(t *testing.T) {
	p := startChild(t, "exit3")
	select {
	case <-p.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the child did not exit within 30s")
	}
	if !p.Exited() {
		t.Error("Exited() = false after Done")
	}
	var exitErr *exec.ExitError
	if err := p.Err(); !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Errorf("Err() = %v, want exit status 3", err)
	}
	if !p.LogContains("child: exiting with status 3\n") {
		t.Error("the log lacks the child's output")
	}
	if p.LogContains("SIGTERM") {
		t.Error("LogContains found what the child never wrote")
	}
	if p.Name() != "child-exit3" {
		t.Errorf("Name() = %q", p.Name())
	}
	p.Stop(t) // exited already: returns at once
}

func TestProcessWaitAndStop(t *testing.T) {
	p := startChild(t, "term")
	if p.Exited() || p.Err() != nil {
		t.Fatalf("a running child: Exited %v, Err %v", p.Exited(), p.Err())
	}
	p.WaitFor(t, "the child's SIGTERM handler", 30*time.Second, func() error {
		if !p.LogContains("child: waiting for SIGTERM") {
			return errors.New("not installed yet")
		}
		return nil
	})

	// The server answers 503 twice, then 200.
	l := ListenLow(t)
	var gets atomic.Int32
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if gets.Add(1) < 3 {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	url := "http://" + l.Addr().String() + "/"
	if err := HTTPOK(url)(); err == nil || err.Error() != url+": 503 Service Unavailable" {
		t.Errorf("HTTPOK on a 503: %v, want %q", err, url+": 503 Service Unavailable")
	}
	p.WaitHTTP(t, url, 30*time.Second)
	if n := gets.Load(); n != 3 {
		t.Errorf("%d GETs in all, want 3 (HTTPOK's 503, WaitHTTP's 503 and 200)", n)
	}

	p.Stop(t)
	if !p.Exited() {
		t.Fatal("Exited() = false after Stop")
	}
	if err := p.Err(); err != nil {
		t.Errorf("Err() = %v, want nil (the child exits 0 on SIGTERM)", err)
	}
	if !p.LogContains("child: SIGTERM received\n") {
		t.Error("the child did not log the SIGTERM")
	}
}

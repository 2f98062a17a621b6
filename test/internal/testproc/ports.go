// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package testproc

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
)

// Listener ports are taken from [LowPortMin, LowPortMax): below the kernel's
// ephemeral range (ip_local_port_range starts at 32768), which other clients
// on the machine use for their outgoing connections. A port from
// 127.0.0.1:0 lies in that range and can be held by one of them by the time
// a child process binds it.
const (
	LowPortMin = 20000
	LowPortMax = 32768
	// listenTries bounds the random ports ListenLow tries.
	listenTries = 200
)

// ListenLow listens on a free loopback port in [LowPortMin, LowPortMax),
// trying random ports (at most 200: a port in use is skipped).
func ListenLow(t *testing.T) net.Listener {
	t.Helper()
	l, err := listenLow(net.Listen)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// listenLow is ListenLow with the listen function given.
func listenLow(listen func(network, address string) (net.Listener, error)) (net.Listener, error) {
	var lastErr error
	for range listenTries {
		port := LowPortMin + rand.IntN(LowPortMax-LowPortMin)
		l, err := listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			return l, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("no free loopback port in [%d, %d) after %d tries: %w", LowPortMin, LowPortMax, listenTries, lastErr)
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1 in [LowPortMin,
// LowPortMax) (ListenLow). The listeners are closed before it returns; a
// process could take a port in between, which then shows as a bind error in
// the log of the child that was to listen on it.
func FreePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l := ListenLow(t)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package freeport picks a free TCP port on the loopback interface, below the
// kernel's ephemeral range (32768 and up), which other clients on the machine
// use for their outgoing connections.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
)

const (
	minPort = 20000
	maxPort = 32768
)

// Addr returns "127.0.0.1:PORT" for a port below 32768 that was free a moment
// ago (random ports are tried, at most 200 times).
func Addr() (string, error) {
	var lastErr error
	for range 200 {
		addr := fmt.Sprintf("127.0.0.1:%d", minPort+rand.IntN(maxPort-minPort))
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			_ = ln.Close()
			return addr, nil
		}
		lastErr = err
	}
	return "", fmt.Errorf("no free loopback port in [%d, %d): %w", minPort, maxPort, lastErr)
}

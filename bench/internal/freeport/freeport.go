// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package freeport picks a free TCP port on the loopback interface.
package freeport

import "net"

// Addr returns "127.0.0.1:PORT" for a port that was free a moment ago.
func Addr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import "syscall"

// procAttr puts the child in its own process group (so a stuck child and its
// children can be killed together) and has the kernel kill it if the test
// process dies first (e.g. on a `go test -timeout` panic), so no collector or
// Prometheus outlives the test.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

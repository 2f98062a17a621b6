// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build linux

package testproc

import (
	"os"
	"syscall"
)

// procAttr puts the child in its own process group (so a stuck child and its
// children can be killed together) and has the kernel kill it if the test
// process dies first (e.g. on a `go test -timeout` panic), so no collector,
// Prometheus or API server outlives the test.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills the process group of p (its ID is p's, see procAttr).
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}

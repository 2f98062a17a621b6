// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix && !linux

package testproc

import (
	"os"
	"syscall"
)

// procAttr puts the child in its own process group, so a stuck child and its
// children can be killed together.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the process group of p (its ID is p's, see procAttr).
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}

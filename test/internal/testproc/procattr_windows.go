// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build windows

package testproc

import (
	"os"
	"syscall"
)

// procAttr: Windows has no process groups to put the child in.
func procAttr() *syscall.SysProcAttr { return nil }

// killGroup kills p alone (the tests that use this package run on Unix).
func killGroup(p *os.Process) {
	_ = p.Kill()
}

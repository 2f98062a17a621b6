// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && !linux && !windows

package e2e

import "syscall"

// procAttr puts the child in its own process group, so a stuck child and its
// children can be killed together.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

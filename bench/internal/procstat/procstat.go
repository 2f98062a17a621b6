// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package procstat reads a process' CPU time and memory from /proc (Linux).
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

var clkTck = sync.OnceValue(func() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			return float64(n)
		}
	}
	return 100 // USER_HZ on every Linux architecture Go supports
})

// ClockTicks is the kernel's USER_HZ (`getconf CLK_TCK`), the unit of the CPU
// times in /proc/<pid>/stat.
func ClockTicks() float64 { return clkTck() }

// CPUSeconds returns utime+stime of pid (fields 14 and 15 of /proc/<pid>/stat)
// in seconds; pid 0 means this process.
func CPUSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return 0, err
	}
	return parseStat(b)
}

func parseStat(b []byte) (float64, error) {
	// Field 2, the command, is in parentheses and may hold spaces: count from
	// the last ')'. What follows starts at field 3 (state).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat: no ')' in %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, fmt.Errorf("/proc stat: %d fields after the command, want > %d", len(f), stime)
	}
	u, err1 := strconv.ParseUint(f[utime], 10, 64)
	s, err2 := strconv.ParseUint(f[stime], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc stat: utime %q, stime %q are not numbers", f[utime], f[stime])
	}
	return float64(u+s) / ClockTicks(), nil
}

// Memory is a process' resident set from /proc/<pid>/status.
type Memory struct {
	RSSMB float64 // VmRSS
	HWMMB float64 // VmHWM, the peak RSS
}

// ReadMemory returns VmRSS and VmHWM of pid; pid 0 means this process.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(procPath(pid, "status"))
	if err != nil {
		return Memory{}, err
	}
	return parseStatus(b)
}

func parseStatus(b []byte) (Memory, error) {
	var m Memory
	var found int
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			return m, fmt.Errorf("/proc status: %s: %q is not a size in kB", k, v)
		}
		if k == "VmRSS" {
			m.RSSMB = kb / 1024
		} else {
			m.HWMMB = kb / 1024
		}
		found++
	}
	if found != 2 {
		return m, errors.New("/proc status: VmRSS or VmHWM missing")
	}
	return m, nil
}

func procPath(pid int, file string) string {
	if pid == 0 {
		return "/proc/self/" + file
	}
	return fmt.Sprintf("/proc/%d/%s", pid, file)
}

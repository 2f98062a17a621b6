// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package procstat

import (
	"os"
	"testing"
)

func TestParseStat(t *testing.T) {
	// A command with spaces and parentheses; utime 250, stime 50 ticks.
	line := "4242 (otel col (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 0 100 2000000 3000 18446744073709551615"
	got, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := 300 / ClockTicks(); got != want {
		t.Fatalf("CPU seconds %v, want %v", got, want)
	}
	if _, err := parseStat([]byte("1 (short) S 1 2")); err == nil {
		t.Fatal("short stat line: no error")
	}
}

func TestParseStatus(t *testing.T) {
	m, err := parseStatus([]byte("Name:\tx\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t9\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.RSSMB != 100 || m.HWMMB != 200 {
		t.Fatalf("got %+v, want RSS 100 MB, HWM 200 MB", m)
	}
	if _, err := parseStatus([]byte("Name:\tx\n")); err == nil {
		t.Fatal("no VmRSS: no error")
	}
}

func TestSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := CPUSeconds(0); err != nil {
		t.Fatal(err)
	}
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSSMB <= 0 || m.HWMMB < m.RSSMB {
		t.Fatalf("implausible memory %+v", m)
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package results holds the files of bench/results/: what was measured, where
// and by which command. cmd/report renders them in BENCHMARKS.md.
package results

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/otelcol-llm/otelcol-llm/bench/cardinality"
	"github.com/otelcol-llm/otelcol-llm/bench/dimensions"
	"github.com/otelcol-llm/otelcol-llm/bench/throughput"
)

// Machine describes where the figures were measured.
type Machine struct {
	Date     string            `json:"date"`
	NProc    string            `json:"nproc"`
	CPU      string            `json:"cpu"`
	Kernel   string            `json:"kernel"`
	Go       string            `json:"go"`
	Commit   string            `json:"commit"`
	Versions map[string]string `json:"versions"`
}

// Saved is one file of bench/results/.
type Saved struct {
	Machine     Machine                `json:"machine"`
	Command     string                 `json:"command"`
	Cardinality *cardinality.Result    `json:"cardinality,omitempty"`
	Throughput  *throughput.Result     `json:"throughput,omitempty"`
	Soak        *throughput.SoakResult `json:"soak,omitempty"`
	SpanBomb    *SpanBomb              `json:"span_bomb,omitempty"`
	// The collector with dimensions (bench/dimensions, cmd/dimensions).
	DimensionsAttack *dimensions.AttackResult `json:"dimensions_attack,omitempty"`
	Churn            *dimensions.ChurnResult  `json:"churn,omitempty"`
}

// SpanBomb is what requests of empty spans cost the collector with the
// llm_prometheus exporter and with the debug exporter (test/e2e
// TestSpanBombMemory with SPANBOMB_RESULTS set; make bench-spanbomb).
type SpanBomb struct {
	Spans     int           `json:"spans"`      // empty spans per request
	Requests  int           `json:"requests"`   // requests per run
	BodyBytes int           `json:"body_bytes"` // one request, gzip'd
	LimitMB   int           `json:"limit_mb"`   // llm_prometheus may take this much more than debug
	Debug     []SpanBombRun `json:"debug"`
	LLM       []SpanBombRun `json:"llm_prometheus"`
}

// SpanBombRun is one run of a collector: its peak RSS (VmHWM) and the bytes
// it allocated while it handled the requests.
type SpanBombRun struct {
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	AllocatedMB float64 `json:"allocated_mb"`
}

// Here describes this machine and checkout.
func Here() Machine {
	m := Machine{
		Date:     time.Now().UTC().Format(time.RFC3339),
		NProc:    run("nproc"),
		Kernel:   run("uname", "-sr"),
		Go:       runtime.Version(),
		Versions: map[string]string{},
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	m.Commit = run("git", "rev-parse", "--short", "HEAD")
	if st := run("git", "status", "--porcelain", "--", ".."); st != "" {
		m.Commit += fmt.Sprintf(" + %d uncommitted changes", len(strings.Split(st, "\n")))
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			for _, want := range []string{
				"connector/spanmetricsconnector", "collector/exporter/exporterhelper", "collector/pdata",
				"prometheus/client_golang",
			} {
				if strings.HasSuffix(d.Path, want) {
					m.Versions[d.Path] = d.Version
				}
			}
		}
	}
	return m
}

func run(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

// Save writes s as indented JSON to path.
func Save(path string, s Saved) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	// bench/results is part of the repository, readable by all like the rest of the tree.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil { //nolint:gosec // G301: see above
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644) //nolint:gosec // G306: see above
}

// Load reads path; a missing file is (nil, nil).
func Load(path string) (*Saved, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s Saved
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

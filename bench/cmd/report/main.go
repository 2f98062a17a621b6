// Command report runs the short side-by-side benchmarks and writes
// BENCHMARKS.md: per-span cost of llm_prometheus vs contrib spanmetrics, the
// cardinality attack, the whole-collector throughput results saved by
// cmd/loadgen (if any), and the long runs saved in bench/results/.
//
//	cd bench && go run ./cmd/report -out ../BENCHMARKS.md             # make bench
//	cd bench && go run ./cmd/report -long                             # 1,000,000-value attack, saved to results/
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/otelcol-llm/otelcol-llm/bench/cardinality"
	"github.com/otelcol-llm/otelcol-llm/bench/perspan"
)

func main() {
	out := flag.String("out", "../BENCHMARKS.md", "Markdown file to write")
	rounds := flag.Int("rounds", 5, "rounds of the per-span comparison")
	roundTime := flag.Duration("round-time", 2*time.Second, "duration of one round (a and b alternate batch by batch)")
	values := flag.Int("cardinality-values", 100_000, "distinct model and template values of the short attack")
	long := flag.Bool("long", false, "run only the long attack (1,000,000 values) and save it to results/cardinality-long.json")
	results := flag.String("results", "results", "directory of saved long-run and throughput results")
	flag.Parse()
	log.SetFlags(0)

	m := machine()
	if *long {
		log.Printf("long cardinality attack: 1,000,000 values")
		r, err := cardinality.Run(cardinality.Options{Values: 1_000_000})
		if err != nil {
			log.Fatal(err)
		}
		save(filepath.Join(*results, "cardinality-long.json"), saved{Machine: m, Command: "make bench-long", Cardinality: r})
		log.Printf("saved; problems: %v", r.Problems)
		return
	}

	var pairs []perspan.Pair
	for _, ex := range []bool{true, false} {
		log.Printf("per-span: exemplars=%v, %d rounds", ex, *rounds)
		p, err := perspan.Compare(ex, *rounds, *roundTime)
		if err != nil {
			log.Fatal(err)
		}
		pairs = append(pairs, p)
	}
	log.Printf("cardinality attack: %d values", *values)
	card, err := cardinality.Run(cardinality.Options{Values: *values})
	if err != nil {
		log.Fatal(err)
	}
	var longRun, tput *saved
	longRun = load(filepath.Join(*results, "cardinality-long.json"))
	tput = load(filepath.Join(*results, "throughput.json"))

	var b bytes.Buffer
	write(&b, m, pairs, card, *values, longRun, tput)
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s", *out)
}

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

type saved struct {
	Machine     Machine             `json:"machine"`
	Command     string              `json:"command"`
	Cardinality *cardinality.Result `json:"cardinality,omitempty"`
	Throughput  json.RawMessage     `json:"throughput,omitempty"`
}

func machine() Machine {
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

func save(path string, s saved) {
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

func load(path string) *saved {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var s saved
	if err := json.Unmarshal(b, &s); err != nil {
		log.Printf("%s: %v", path, err)
		return nil
	}
	return &s
}

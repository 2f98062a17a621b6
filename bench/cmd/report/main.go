// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Command report runs the short side-by-side benchmarks and writes
// BENCHMARKS.md: per-span cost of llm_prometheus vs contrib spanmetrics, the
// cardinality attack, and what bench/results/ holds: the long attack, the
// whole-collector throughput comparison and the soak (cmd/throughput), the
// attack and churn with dimensions (cmd/dimensions), the hot path
// against a base commit (-base), and the llm connector's per-span cost and
// flush (issue 14).
//
//	cd bench && go run ./cmd/report -out ../BENCHMARKS.md             # make bench
//	cd bench && go run ./cmd/report -long                             # 1,000,000-value attack, saved to results/
package main

import (
	"bytes"
	"flag"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/otelcol-llm/otelcol-llm/bench/cardinality"
	"github.com/otelcol-llm/otelcol-llm/bench/internal/results"
	"github.com/otelcol-llm/otelcol-llm/bench/perspan"
)

func main() {
	out := flag.String("out", "../BENCHMARKS.md", "Markdown file to write")
	rounds := flag.Int("rounds", 5, "rounds of the per-span comparison")
	roundTime := flag.Duration("round-time", 2*time.Second, "duration of one round (a and b alternate batch by batch)")
	values := flag.Int("cardinality-values", 100_000, "distinct model and template values of the short attack")
	long := flag.Bool("long", false, "run only the long attack (1,000,000 values) and save it to results/cardinality-long.json")
	resultsDir := flag.String("results", "results", "directory of saved long-run, throughput and soak results")
	baseRef := flag.String("base", defaultBaseRef, "commit whose plain hot path the issue 13 target compares with ('' to skip)")
	baseRounds := flag.Int("base-rounds", 9, "runs of each test binary in the comparison with -base")
	flag.Parse()
	log.SetFlags(0)

	m := results.Here()
	if *long {
		log.Printf("long cardinality attack: 1,000,000 values")
		r, err := cardinality.Run(cardinality.Options{Values: 1_000_000})
		if err != nil {
			log.Fatal(err)
		}
		if err := results.Save(filepath.Join(*resultsDir, "cardinality-long.json"), results.Saved{Machine: m, Command: "make bench-long", Cardinality: r}); err != nil {
			log.Fatal(err)
		}
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
	log.Printf("exporter hot path and scrape benchmarks (root module)")
	hot, err := rootBenchmarks()
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("llm connector: per-span cost against llm_prometheus, flush at the caps (issue 14)")
	conn, err := runConnectorBenchmarks()
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("hot path against the base commit %s, %d rounds", *baseRef, *baseRounds)
	base := runBaseCompare(*baseRef, *baseRounds)
	log.Printf("cardinality attack: %d values", *values)
	card, err := cardinality.Run(cardinality.Options{Values: *values})
	if err != nil {
		log.Fatal(err)
	}
	var saved [6]*results.Saved
	for i, name := range []string{"cardinality-long.json", "throughput.json", "soak.json", "spanbomb.json", "dimensions-attack.json", "churn.json"} {
		if saved[i], err = results.Load(filepath.Join(*resultsDir, name)); err != nil {
			log.Printf("ignored: %v", err)
		}
	}

	var b bytes.Buffer
	write(&b, m, pairs, hot, base, conn, card, *values, saved[0], saved[1], saved[2], saved[3], saved[4], saved[5])
	//nolint:gosec // G306: BENCHMARKS.md is a file of the repository, readable by all like the rest of the tree.
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s", *out)
}

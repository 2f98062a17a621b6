// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Command throughput runs the whole-collector throughput comparison (issue 5,
// item 2) and saves it to results/throughput.json, or, with -soak, runs the
// soak of (a) and saves it to results/soak.json. cmd/report renders both in
// BENCHMARKS.md. Everything listens on and talks to 127.0.0.1 only.
//
//	make build && make bench-stock        # ../_build/otelcol-llm, _build/otelcol-stock
//	cd bench && go run ./cmd/throughput -rounds 3 -duration 20s
//	cd bench && go run ./cmd/throughput -soak -soak-duration 10m -fraction 0.5
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/results"
	"github.com/otelcol-llm/otelcol-llm/bench/loadgen"
	"github.com/otelcol-llm/otelcol-llm/bench/throughput"
)

func main() {
	llm := flag.String("llm", "../_build/otelcol-llm", "otelcol-llm binary (make build)")
	stock := flag.String("stock", "_build/otelcol-stock", "stock-recipe collector (make bench-stock)")
	stockConfig := flag.String("stock-config", "stock-recipe.yaml", "stock-recipe pipeline")
	batch := flag.Int("batch", loadgen.DefaultBatchSize, "spans per export request")
	workers := flag.Int("workers", loadgen.DefaultWorkers, "concurrent senders, one gRPC connection each")
	warmup := flag.Duration("warmup", loadgen.DefaultWarmup, "load before each measured window")
	duration := flag.Duration("duration", loadgen.DefaultDuration, "measured window of each run")
	rounds := flag.Int("rounds", throughput.DefaultRounds, "rounds of (a), (b), (c), one after another")
	sides := flag.String("sides", "llm,nop,stock", "sides to run: llm (a), nop (b), stock (c)")
	soak := flag.Bool("soak", false, "soak (a) instead of the comparison")
	soakDuration := flag.Duration("soak-duration", throughput.DefaultSoakDuration, "length of the soak")
	fraction := flag.Float64("fraction", throughput.DefaultSoakFraction, "soak rate as a fraction of the capacity")
	capacity := flag.Float64("capacity", 0, "capacity of (a) in spans/s for the soak (0: (a)'s median in results/throughput.json if its batch and workers match, else measured)")
	sampleEvery := flag.Duration("sample-every", throughput.DefaultSampleEvery, "soak sampling interval")
	resultsDir := flag.String("results", "results", "directory of the saved results")
	keep := flag.Bool("keep", false, "keep the work directory (configurations and collector logs)")
	flag.Parse()
	log.SetFlags(0)

	work, err := os.MkdirTemp("", "otelcol-throughput-")
	if err != nil {
		log.Fatal(err)
	}
	if *keep {
		log.Printf("work directory: %s", work)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := results.Here()
	m.Versions = nil // the collectors' own module versions are in the result (binaries)
	command := "go run ./cmd/throughput " + strings.Join(os.Args[1:], " ")

	// run does the work; main handles its error after the deferred calls ran.
	run := func() error {
		defer stop()
		if *soak {
			c := *capacity
			if c <= 0 {
				c = savedCapacity(filepath.Join(*resultsDir, "throughput.json"), *batch, *workers)
			}
			r, err := throughput.Soak(ctx, throughput.SoakOptions{
				LLMBinary: *llm, WorkDir: work, Capacity: c, Fraction: *fraction, Duration: *soakDuration,
				SampleEvery: *sampleEvery, BatchSize: *batch, Workers: *workers, Logf: log.Printf,
			})
			if err != nil {
				return err
			}
			out := filepath.Join(*resultsDir, "soak.json")
			if err := results.Save(out, results.Saved{Machine: m, Command: command, Soak: r}); err != nil {
				return err
			}
			log.Printf("saved %s: RSS %.1f -> %.1f MB (max %.1f), slope %+.1f MB/h; /metrics max %.1f ms; problems: %q",
				out, r.FirstRSSMB, r.LastRSSMB, r.MaxRSSMB, r.SlopeMBPerHour, r.ScrapeMaxMS, r.Problems)
			return nil
		}

		r, err := throughput.Compare(ctx, throughput.Options{
			LLMBinary: *llm, StockBinary: *stock, StockConfig: *stockConfig, WorkDir: work,
			Load:   loadgen.Options{BatchSize: *batch, Workers: *workers, Warmup: *warmup, Duration: *duration},
			Rounds: *rounds, Sides: strings.Split(*sides, ","), Logf: log.Printf,
		})
		if err != nil {
			return err
		}
		out := filepath.Join(*resultsDir, "throughput.json")
		if err := results.Save(out, results.Saved{Machine: m, Command: command, Throughput: r}); err != nil {
			return err
		}
		log.Printf("saved %s", out)
		for _, s := range r.Summary {
			log.Printf("  %-5s %9.0f spans/s  %6.2f CPU s/1M spans  %9.0f spans/CPU-s  peak RSS %5.0f MB  loadgen %5.2f CPU s/1M spans  /metrics checks %d/%d",
				s.Side, s.SpansPerSec, s.CPUPerMSpans, s.SpansPerCPUSecond, s.PeakRSSMB, s.LoadgenCPUPerMSpans, s.ChecksMatched, s.Checks)
		}
		if x := r.LLMOverNop; x != nil {
			log.Printf("target (a) >= 90%% of (b) in spans/s: %.1f%% (rounds %.1f-%.1f%%): %s", x.Median*100, x.Min*100, x.Max*100, met(x.Met))
		}
		if x := r.LLMOverStock; x != nil {
			log.Printf("target (a) >= 2x (c) in spans per CPU-second: %.2fx (rounds %.2f-%.2fx): %s", x.Median, x.Min, x.Max, met(x.Met))
		}
		for _, p := range r.Problems {
			log.Printf("problem: %s", p)
		}
		return nil
	}
	runErr := run()
	if !*keep {
		if rmErr := os.RemoveAll(work); rmErr != nil {
			log.Printf("removing %s: %v", work, rmErr)
		}
	}
	if runErr != nil {
		fail(runErr, work, *keep)
	}
}

// savedCapacity is (a)'s median spans/s in a saved comparison run with the
// same batch size and workers, or 0.
func savedCapacity(path string, batch, workers int) float64 {
	s, err := results.Load(path)
	if err != nil || s == nil || s.Throughput == nil {
		return 0
	}
	t := s.Throughput
	if t.Settings.BatchSize != batch || t.Settings.Workers != workers {
		return 0
	}
	if a := t.SummaryOf("llm"); a != nil {
		log.Printf("capacity of (a) from %s (%s): %.0f spans/s", path, s.Machine.Date, a.SpansPerSec)
		return a.SpansPerSec
	}
	return 0
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// fail reports err (the work directory is already removed unless -keep) and exits.
func fail(err error, work string, keep bool) {
	if !keep {
		fmt.Fprintf(os.Stderr, "(rerun with -keep to keep the configurations and collector logs)\n")
	} else {
		fmt.Fprintf(os.Stderr, "configurations and collector logs in %s\n", work)
	}
	log.Print(err)
	os.Exit(1)
}

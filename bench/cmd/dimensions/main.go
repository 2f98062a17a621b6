// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Command dimensions runs the built collector with dimensions configured
// (bench/dimensions): -attack sends a million distinct services and tenants
// against the default caps, -churn runs tenants that come and go under a
// short idle_timeout. With -save the result goes to results/ (cmd/report
// renders it in BENCHMARKS.md). It exits 1 when a check fails. Everything
// listens on and talks to 127.0.0.1 only.
//
//	make build
//	cd bench && go run ./cmd/dimensions -attack -values 1000000 -save    # make bench-dimensions
//	cd bench && go run ./cmd/dimensions -churn -duration 10m -save       # make bench-churn
//	cd bench && go run ./cmd/dimensions -churn -short                    # make bench-churn-short (1 min)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/otelcol-llm/otelcol-llm/bench/dimensions"
	"github.com/otelcol-llm/otelcol-llm/bench/internal/results"
)

func main() {
	bin := flag.String("binary", "../_build/otelcol-llm", "otelcol-llm binary (make build)")
	attack := flag.Bool("attack", false, "run the attack")
	churn := flag.Bool("churn", false, "run the churn")
	values := flag.Int("values", 1_000_000, "attack: distinct new services and tenants")
	duration := flag.Duration("duration", dimensions.DefaultChurnDuration, "churn: length of the run")
	idle := flag.Duration("idle", dimensions.DefaultChurnIdleTimeout, "churn: the tenant dimension's idle_timeout")
	active := flag.Int("active", dimensions.DefaultChurnActive, "churn: tenants active at any time")
	lifetime := flag.Duration("lifetime", dimensions.DefaultChurnLifetime, "churn: how long each tenant is active")
	sampleEvery := flag.Duration("sample-every", 0, "sampling interval (attack: 1s, churn: 10s)")
	short := flag.Bool("short", false, "churn: the 1-minute smoke run (-duration 1m -idle 10s -active 150 -lifetime 10s -sample-every 5s)")
	save := flag.Bool("save", false, "save the result to results/dimensions-attack.json or results/churn.json")
	resultsDir := flag.String("results", "results", "directory of the saved results")
	workDir := flag.String("workdir", "", "keep the configuration and collector log in this directory (default: a temporary one, removed)")
	flag.Parse()
	log.SetFlags(0)
	if *attack == *churn {
		log.Fatal("give one of -attack and -churn")
	}
	if _, err := os.Stat(*bin); err != nil {
		log.Fatalf("%v (make build)", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	problems, err := run(ctx, runOptions{
		bin: *bin, attack: *attack, values: *values, short: *short, save: *save, resultsDir: *resultsDir, workDir: *workDir,
		churn:       dimensions.ChurnOptions{Duration: *duration, IdleTimeout: *idle, Active: *active, Lifetime: *lifetime, SampleEvery: *sampleEvery},
		sampleEvery: *sampleEvery,
	})
	stop()
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range problems {
		log.Printf("problem: %s", p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

type runOptions struct {
	bin                 string
	attack, short, save bool
	values              int
	sampleEvery         time.Duration
	churn               dimensions.ChurnOptions
	resultsDir, workDir string
}

// run runs the attack or the churn, saves the result if asked and returns
// the checks that failed.
func run(ctx context.Context, o runOptions) ([]string, error) {
	m := results.Here()
	m.Versions = nil
	command := "go run ./cmd/dimensions " + strings.Join(os.Args[1:], " ")
	var saved results.Saved
	var problems []string
	var name string
	if o.attack {
		r, err := dimensions.Attack(ctx, dimensions.AttackOptions{
			Binary: o.bin, WorkDir: o.workDir, Values: o.values, SampleEvery: o.sampleEvery, Logf: log.Printf,
		})
		if err != nil {
			return nil, err
		}
		log.Printf("label sets on /metrics %d (want %d), label_overflow %v (want %v), label_set_overflow %d (want %d)",
			r.LabelSets, r.Want.LabelSets, r.Telemetry.LabelOverflow, r.Want.Overflow, r.Telemetry.LabelSetOverflow, r.Want.LabelSetOverflow)
		log.Printf("VmRSS after the fill %.1f MB, max %.1f MB, end %.1f MB, VmHWM %.1f MB; halves %.1f / %.1f MB",
			r.RSSAfterFillMB, r.RSSMaxMB, r.RSSEndMB, r.PeakRSSMB, r.RSSHalvesMB[0], r.RSSHalvesMB[1])
		saved, problems, name = results.Saved{Machine: m, Command: command, DimensionsAttack: r}, r.Problems, "dimensions-attack.json"
	} else {
		co := o.churn
		co.Binary, co.WorkDir, co.Logf = o.bin, o.workDir, log.Printf
		if o.short {
			co.Duration, co.IdleTimeout, co.Active, co.Lifetime, co.SampleEvery = time.Minute, 10*time.Second, 150, 10*time.Second, 5*time.Second
		}
		r, err := dimensions.Churn(ctx, co)
		if err != nil {
			return nil, err
		}
		log.Printf("%d tenants over %.0f s (%d seen on /metrics), at most %d label sets on /metrics (bound %d, cap %d); VmRSS %.1f -> %.1f MB (max %.1f, halves %.1f / %.1f); %d tenants exact",
			r.TenantsStarted, r.DurationS, r.TenantsSeen, r.MaxLabelSets, r.LabelSetBound, r.Caps.LabelSets,
			r.RSSFirstMB, r.RSSLastMB, r.RSSMaxMB, r.RSSHalvesMB[0], r.RSSHalvesMB[1], r.TenantsExact)
		saved, problems, name = results.Saved{Machine: m, Command: command, Churn: r}, r.Problems, "churn.json"
	}
	switch {
	case o.save:
		out := filepath.Join(o.resultsDir, name)
		if err := results.Save(out, saved); err != nil {
			return problems, err
		}
		log.Printf("saved %s", out)
	case os.Getenv("DIMENSIONS_JSON") != "":
		b, _ := json.MarshalIndent(saved, "", "  ")
		log.Printf("%s", b)
	}
	return problems, nil
}

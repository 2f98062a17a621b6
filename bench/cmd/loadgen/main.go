// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Command loadgen sends a pre-built spangen batch over OTLP/gRPC to a collector
// on the loopback interface and prints what was accepted (see package loadgen).
//
//	cd bench && go run ./cmd/loadgen -endpoint 127.0.0.1:4317 -workers 2 -warmup 3s -duration 20s
//	cd bench && go run ./cmd/loadgen -endpoint 127.0.0.1:4317 -rate 20000 -duration 10m   # paced
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/otelcol-llm/otelcol-llm/bench/loadgen"
)

func main() {
	var o loadgen.Options
	flag.StringVar(&o.Endpoint, "endpoint", "127.0.0.1:4317", "collector OTLP/gRPC endpoint (loopback only)")
	flag.IntVar(&o.BatchSize, "batch", loadgen.DefaultBatchSize, "spans per export request")
	flag.IntVar(&o.Workers, "workers", loadgen.DefaultWorkers, "concurrent senders, one gRPC connection each")
	flag.DurationVar(&o.Warmup, "warmup", loadgen.DefaultWarmup, "load sent before the measured window")
	flag.DurationVar(&o.Duration, "duration", loadgen.DefaultDuration, "measured window")
	flag.Float64Var(&o.Rate, "rate", 0, "target spans/s over all workers (0: as fast as accepted)")
	flag.DurationVar(&o.Timeout, "timeout", loadgen.DefaultTimeout, "timeout of one export call")
	flag.Parse()
	log.SetFlags(0)

	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

// run sends the load and prints what was accepted, also when the run failed
// part of the way.
func run(o loadgen.Options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := loadgen.Run(ctx, o)
	if res != nil {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		err = errors.Join(err, enc.Encode(res))
	}
	return err
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package dimensions

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/freeport"
	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
)

// TestAttackSequence: the attack sends exactly values attack calls, each
// with a service and a tenant of its own, 1 call in 4 (and the rest of the
// last batch) to the legitimate label sets.
func TestAttackSequence(t *testing.T) {
	q := attackSequence{models: 5, services: 2, tenants: 3, values: 1000}
	fill := map[call]int{}
	for c := range q.fill() {
		fill[c]++
	}
	if len(fill) != q.fillSets() {
		t.Fatalf("fill: %d label sets, want %d", len(fill), q.fillSets())
	}
	for c, n := range fill {
		if n != 3 {
			t.Fatalf("fill: %d calls to %+v, want 3", n, c)
		}
	}
	var attack, legit int
	services := map[string]bool{}
	for c, isAttack := range q.attack(64) {
		if !isAttack {
			legit++
			if fill[c] == 0 {
				t.Fatalf("legitimate call %+v is not a label set of the fill", c)
			}
			continue
		}
		attack++
		if services[c.service] {
			t.Fatalf("service %s sent twice", c.service)
		}
		services[c.service] = true
	}
	// 1000 attack calls take 1333 calls (the 1333rd is the 1000th attack
	// call), completed to 21 batches of 64 (1344 calls).
	if attack != 1000 || attack+legit != 1344 {
		t.Fatalf("%d attack and %d legitimate calls, want 1000 and 344", attack, legit)
	}
}

// TestExpectAttack checks the derivation of the outcome against the
// exporter itself (public factory, in this process) under small caps: the
// service cap reached before the label set cap, and after it.
func TestExpectAttack(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps Caps
		seq  attackSequence
	}{
		{"service cap first", Caps{LabelSets: 60, Services: 12, Providers: 20, Tenants: 1000}, attackSequence{models: 5, services: 2, tenants: 4, values: 300}},
		{"label set cap first", Caps{LabelSets: 60, Services: 50, Providers: 20, Tenants: 1000}, attackSequence{models: 5, services: 2, tenants: 4, values: 300}},
		{"tenant cap above the room", Caps{LabelSets: 45, Services: 3, Providers: 20, Tenants: 10}, attackSequence{models: 5, services: 2, tenants: 4, values: 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caps := tc.caps
			caps.Models, caps.Templates = DefaultCaps().Models, DefaultCaps().Templates
			got := runInProcess(t, caps, tc.seq)
			want, err := expectAttack(caps, tc.seq, got.Calls)
			if err != nil {
				t.Fatal(err)
			}
			if got.LabelSetsAfterFill != want.LabelSetsAfterFill || got.LabelSets != want.LabelSets ||
				got.ServiceValues != want.ServiceValues || got.TenantValues != want.TenantValues || got.ProviderValues != want.ProviderValues ||
				got.LabelSetOverflow != want.LabelSetOverflow || len(got.Overflow) > len(want.Overflow) {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
			for l, n := range want.Overflow {
				if got.Overflow[l] != n {
					t.Fatalf("label_overflow{label=%q} = %d, want %d\ngot %+v\nwant %+v", l, got.Overflow[l], n, got, want)
				}
			}
		})
	}
	// The derivation refuses what it does not cover.
	if _, err := expectAttack(Caps{LabelSets: 60, Services: 50, Tenants: 10}, attackSequence{models: 5, services: 2, tenants: 4, values: 300}, 0); err == nil {
		t.Fatal("a tenant cap reached before the label set cap is not covered: want an error")
	}
}

// runInProcess sends the attack sequence (batches of 100) to the exporter
// built by its factory with caps, and reads the outcome as the attack does.
func runInProcess(t *testing.T, caps Caps, seq attackSequence) AttackExpect {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	f := llmprometheusexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*llmprometheusexporter.Config)
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	cfg.NetAddr.Endpoint = addr
	cfg.Labels.MaxLabelSets = caps.LabelSets
	p := llmconfig.Presets()
	for _, d := range []struct {
		name string
		cap  int
	}{{"service", caps.Services}, {"provider", caps.Providers}, {"tenant", caps.Tenants}} {
		dim := p[d.name]
		dim.MaxValues = d.cap
		cfg.Dimensions = append(cfg.Dimensions, dim)
	}
	if err = cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	set := exportertest.NewNopSettings(f.Type())
	set.TelemetrySettings = tel.NewTelemetrySettings()
	ctx := context.Background()
	exp, err := f.CreateTraces(ctx, set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err = exp.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exp.Shutdown(ctx) })
	mk := newSpanMaker()
	var calls []call
	var n int64
	flush := func() {
		if len(calls) == 0 {
			return
		}
		if cerr := exp.ConsumeTraces(ctx, mk.batch(calls)); cerr != nil {
			t.Fatal(cerr)
		}
		n += int64(len(calls))
		calls = calls[:0]
	}
	for c := range seq.fill() {
		if calls = append(calls, c); len(calls) == 100 {
			flush()
		}
	}
	flush()
	var got AttackExpect
	s, err := getScrape(ctx, "http://"+addr+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	got.LabelSetsAfterFill = len(s.labelSets())
	for c := range seq.attack(100) {
		if calls = append(calls, c); len(calls) == 100 {
			flush()
		}
	}
	flush()
	if s, err = getScrape(ctx, "http://"+addr+"/metrics"); err != nil {
		t.Fatal(err)
	}
	sets := s.labelSets()
	got.LabelSets = len(sets)
	values := map[string]map[string]bool{"service": {}, "tenant": {}, "provider": {}}
	for _, ls := range sets {
		for l, seen := range values {
			seen[ls[l]] = true
		}
	}
	got.ServiceValues, got.TenantValues, got.ProviderValues = len(values["service"]), len(values["tenant"]), len(values["provider"])
	got.Calls = n
	got.Overflow = map[string]int64{}
	for _, name := range []string{"otelcol_exporter_llm_prometheus_label_overflow", "otelcol_exporter_llm_prometheus_label_set_overflow"} {
		m, err := tel.GetMetric(name)
		if err != nil {
			continue // nothing counted
		}
		sum, ok := m.Data.(metricdata.Sum[int64])
		if !ok {
			t.Fatalf("%s is a %T", name, m.Data)
		}
		for _, dp := range sum.DataPoints {
			if v, ok := dp.Attributes.Value("label"); ok {
				got.Overflow[v.AsString()] += dp.Value
			} else {
				got.LabelSetOverflow += dp.Value
			}
		}
	}
	return got
}

// binary is the collector the real-process tests run, or a skip.
func binary(t *testing.T) string {
	if os.Getenv("DIMENSIONS_TEST") == "" {
		t.Skip("DIMENSIONS_TEST=1 runs the built collector (make build)")
	}
	bin := os.Getenv("OTELCOL_LLM_BINARY")
	if bin == "" {
		bin = filepath.Join("..", "..", "_build", "otelcol-llm")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%v: %v", errNoBinary, err)
	}
	return bin
}

// TestAttackCollector runs a short attack against the built collector
// (DIMENSIONS_TEST=1).
func TestAttackCollector(t *testing.T) {
	bin := binary(t)
	r, err := Attack(context.Background(), AttackOptions{
		Binary: bin, Values: 50_000, SampleEvery: 50 * time.Millisecond, ScrapeEvery: 4, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Error(p)
	}
}

// TestChurnCollector runs a 30-second churn against the built collector
// (DIMENSIONS_TEST=1): 1,100 tenants, 100 at a time for 3 s each.
func TestChurnCollector(t *testing.T) {
	bin := binary(t)
	r, err := Churn(context.Background(), ChurnOptions{
		Binary: bin, Duration: 30 * time.Second, IdleTimeout: 2 * time.Second, Active: 100, Lifetime: 3 * time.Second,
		SampleEvery: 3 * time.Second, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Error(p)
	}
}

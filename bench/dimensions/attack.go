// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package dimensions

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/procstat"
	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
)

// Caps are the caps of the configuration under test: the exporter's
// defaults and those of the dimension presets.
type Caps struct {
	LabelSets int `json:"max_label_sets"`
	Models    int `json:"models"`
	Templates int `json:"templates"`
	Services  int `json:"service"`
	Providers int `json:"provider"`
	Tenants   int `json:"tenant"`
}

// DefaultCaps reads the caps from the exporter's default configuration and
// the presets.
func DefaultCaps() Caps {
	cfg := llmprometheusexporter.NewFactory().CreateDefaultConfig().(*llmprometheusexporter.Config)
	p := llmconfig.Presets()
	return Caps{
		LabelSets: cfg.Labels.MaxLabelSets, Models: cfg.Labels.Model.MaxValues, Templates: cfg.Labels.Template.MaxValues,
		Services: p["service"].Cap(), Providers: p["provider"].Cap(), Tenants: p["tenant"].Cap(),
	}
}

// attackDimensions is the exporter configuration of the attack: the three
// presets, every cap at its default.
const attackDimensions = "    dimensions: [service, provider, tenant]"

// AttackOptions of an attack.
type AttackOptions struct {
	// Binary is the collector (../_build/otelcol-llm).
	Binary string
	// WorkDir holds the configuration and the log ("": a temporary
	// directory, removed at the end).
	WorkDir string
	// Values is the number of distinct new services, and of distinct new
	// tenants, the attack sends (one of each per attack call).
	Values int
	// FillServices × FillTenants × the 5 models are the label sets of the
	// legitimate traffic sent first.
	FillServices, FillTenants int
	// BatchSize is the number of spans per export request.
	BatchSize int
	// SampleEvery is the interval of the VmRSS samples; /metrics is
	// scraped every ScrapeEvery samples.
	SampleEvery time.Duration
	ScrapeEvery int
	Logf        func(format string, args ...any)
}

func (o *AttackOptions) defaults() {
	if o.Values <= 0 {
		o.Values = 1_000_000
	}
	if o.FillServices <= 0 {
		o.FillServices = 10
	}
	if o.FillTenants <= 0 {
		o.FillTenants = 8
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.SampleEvery <= 0 {
		o.SampleEvery = time.Second
	}
	if o.ScrapeEvery <= 0 {
		o.ScrapeEvery = 5
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// AttackExpect is what the attack must leave, derived from the caps and
// what is sent (expectAttack).
type AttackExpect struct {
	LabelSetsAfterFill int              `json:"label_sets_after_fill"`
	LabelSets          int              `json:"label_sets"`
	ServiceValues      int              `json:"service_values"`
	TenantValues       int              `json:"tenant_values"`
	ProviderValues     int              `json:"provider_values"`
	Overflow           map[string]int64 `json:"label_overflow"`
	LabelSetOverflow   int64            `json:"label_set_overflow"`
	Calls              int64            `json:"calls"`
}

// expectAttack derives the outcome of the attack from the caps and what is
// sent: models × fillServices × fillTenants label sets of legitimate
// traffic, then `values` attack calls, each with a new service and a new
// tenant (and an admitted model, provider and template), interleaved with
// calls to the legitimate label sets (which exist: nothing is counted for
// them); `calls` in all.
//
// The recorder admits a new value under its own cap first, then, with the
// label set cap reached, folds the last dimension, the one before, …, then
// the template, until the label set exists; a value that a fold dropped
// leaves its slot. So:
//   - the first room = max_label_sets - fill attack calls make label sets of
//     their own; of them, the first service_cap - fillServices keep their
//     service, the others fold it (service cap);
//   - every later attack call folds tenant, provider, service (if not folded
//     already) and template, each counted once in label_overflow, and once
//     in label_set_overflow: it lands in (model, other, other, other, other),
//     one label set per model beside the cap (the documented allowance).
func expectAttack(caps Caps, q attackSequence, calls int64) (AttackExpect, error) {
	nModels, fillServices, fillTenants, values := q.models, q.services, q.tenants, q.values
	fill := q.fillSets()
	room := caps.LabelSets - fill
	switch {
	case room < 0 || fillServices > caps.Services || fillTenants > caps.Tenants:
		return AttackExpect{}, fmt.Errorf("the fill (%d label sets, %d services, %d tenants) exceeds the caps %+v", fill, fillServices, fillTenants, caps)
	case fillTenants+room > caps.Tenants:
		return AttackExpect{}, fmt.Errorf("the attack would reach the tenant cap %d before the label set cap: not what this derivation covers", caps.Tenants)
	case values < room+nModels:
		return AttackExpect{}, fmt.Errorf("%d attack values: fewer than the %d free label sets + one per model", values, room)
	}
	keptServices := min(caps.Services-fillServices, room)
	folded := int64(values - room)
	return AttackExpect{
		LabelSetsAfterFill: fill,
		LabelSets:          caps.LabelSets + nModels,
		ServiceValues:      fillServices + keptServices + 1, // + other
		TenantValues:       fillTenants + room + 1,
		ProviderValues:     distinctProviders(nModels) + 1,
		Overflow: map[string]int64{
			"model": 0, "template": folded, "service": int64(values - keptServices),
			"provider": folded, "tenant": folded,
		},
		LabelSetOverflow: folded,
		Calls:            calls,
	}, nil
}

func distinctProviders(nModels int) int {
	seen := map[string]bool{}
	for _, m := range models[:nModels] {
		seen[m.provider] = true
	}
	return len(seen)
}

// attackSequence is the traffic of the attack: models × services ×
// tenants legitimate label sets (fill), then values attack calls.
type attackSequence struct {
	models, services, tenants, values int
}

func (q attackSequence) fillSets() int { return q.models * q.services * q.tenants }

// legit is the call to legitimate label set f: model f%models, service
// (f/models)%services, tenant f/(models×services).
func (q attackSequence) legit(f int) call {
	f %= q.fillSets()
	return call{
		model:   f % q.models,
		service: fmt.Sprintf("checkout-assistant-%02d", (f/q.models)%q.services),
		tenant:  "tenant-" + strconv.Itoa(f/(q.models*q.services)),
	}
}

// fill yields 3 calls to each legitimate label set.
func (q attackSequence) fill() iter.Seq[call] {
	return func(yield func(call) bool) {
		for f := range 3 * q.fillSets() {
			if !yield(q.legit(f)) {
				return
			}
		}
	}
}

// attack yields the attack: call i is a call to a legitimate label set when
// i%4 == 3, else attack call a (a new service attack-svc-<a> and a new tenant
// attack-tenant-<a>, model a%models), until values attack calls; then
// legitimate calls complete the last batch of batchSize. The bool tells an
// attack call.
func (q attackSequence) attack(batchSize int) iter.Seq2[call, bool] {
	return func(yield func(call, bool) bool) {
		a, legit := 0, 0
		for i := 0; a < q.values || i%batchSize != 0; i++ {
			if i%4 == 3 || a == q.values {
				if !yield(q.legit(legit), false) {
					return
				}
				legit++
				continue
			}
			s := strconv.Itoa(a)
			if !yield(call{model: a % q.models, service: "attack-svc-" + s, tenant: "attack-tenant-" + s}, true) {
				return
			}
			a++
		}
	}
}

// AttackSample is one sample along the attack.
type AttackSample struct {
	ElapsedS  float64 `json:"elapsed_s"`
	Spans     int64   `json:"spans"` // accepted since the start of the attack
	RSSMB     float64 `json:"rss_mb"`
	LabelSets int     `json:"label_sets,omitempty"` // on /metrics, when scraped
	ScrapeMS  float64 `json:"scrape_ms,omitempty"`
}

// AttackResult of an attack.
type AttackResult struct {
	Caps          Caps    `json:"caps"`
	Values        int     `json:"values"`
	Models        int     `json:"models"`
	FillServices  int     `json:"fill_services"`
	FillTenants   int     `json:"fill_tenants"`
	BatchSize     int     `json:"batch_size"`
	FillSpans     int64   `json:"fill_spans"`
	AttackCalls   int64   `json:"attack_calls"`
	LegitCalls    int64   `json:"legit_calls"` // to the fill's label sets, during the attack
	TotalSpans    int64   `json:"total_spans"`
	AttackSeconds float64 `json:"attack_seconds"`

	Want AttackExpect `json:"want"`
	// On /metrics and the collector's telemetry at the end.
	LabelSetsAfterFill int        `json:"label_sets_after_fill"`
	LabelSets          int        `json:"label_sets"`
	MaxLabelSetsSeen   int        `json:"max_label_sets_seen"` // over the scrapes along the attack
	ServiceValues      int        `json:"service_values"`
	TenantValues       int        `json:"tenant_values"`
	ProviderValues     int        `json:"provider_values"`
	Series             int        `json:"series"`
	RequestsTotal      float64    `json:"requests_total"` // sum of llm_requests_total
	Telemetry          *Telemetry `json:"telemetry"`
	ScrapeMS           float64    `json:"scrape_ms"` // the last scrape (text, identity)
	ScrapeBytes        int        `json:"scrape_bytes"`

	// VmRSS of the collector, MB.
	RSSAfterFillMB float64        `json:"rss_after_fill_mb"`
	RSSMaxMB       float64        `json:"rss_max_mb"` // over the samples of the attack
	RSSEndMB       float64        `json:"rss_end_mb"`
	PeakRSSMB      float64        `json:"vmhwm_mb"`
	RSSHalvesMB    [2]float64     `json:"rss_halves_mb"` // means of the first and second half of the samples
	Samples        []AttackSample `json:"samples"`
	Problems       []string       `json:"problems"`
}

// OK reports whether every check passed.
func (r *AttackResult) OK() bool { return len(r.Problems) == 0 }

// Attack fills the default label set budget with legitimate traffic, then
// sends Values calls each with a new service (resource service.name) and a
// new tenant (span tenant.id), 3 in 4 calls (1 in 4 goes to a legitimate
// label set), in sequential export requests, sampling the collector's VmRSS
// and the label sets on /metrics. It checks the label sets, the values on
// /metrics and every overflow counter against expectAttack, and VmRSS.
func Attack(ctx context.Context, opts AttackOptions) (*AttackResult, error) {
	opts.defaults()
	caps := DefaultCaps()
	dir, cleanup, err := workDir(opts.WorkDir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	nModels := len(models)
	seq := attackSequence{models: nModels, services: opts.FillServices, tenants: opts.FillTenants, values: opts.Values}
	// Check the options before starting anything (calls is set at the end).
	if _, err = expectAttack(caps, seq, 0); err != nil {
		return nil, err
	}
	c, err := startCollector(ctx, opts.Binary, dir, attackDimensions)
	if err != nil {
		return nil, err
	}
	r := &AttackResult{Caps: caps, Values: opts.Values, Models: nModels, FillServices: opts.FillServices, FillTenants: opts.FillTenants, BatchSize: opts.BatchSize}
	defer func() {
		if serr := c.stop(); serr != nil {
			r.Problems = append(r.Problems, "stop: "+serr.Error())
		}
	}()
	snd := &sender{c: c, mk: newSpanMaker(), size: opts.BatchSize}

	// Fill: 3 calls to each legitimate label set.
	for cl := range seq.fill() {
		r.FillSpans++
		err = snd.add(ctx, cl)
		if err != nil {
			return r, err
		}
	}
	err = snd.flush(ctx)
	if err != nil {
		return r, err
	}
	s, err := getScrape(ctx, c.metricsURL)
	if err != nil {
		return r, err
	}
	r.LabelSetsAfterFill = len(s.labelSets())
	mem, err := procstat.ReadMemory(c.pid())
	if err != nil {
		return r, err
	}
	r.RSSAfterFillMB = mem.RSSMB
	snd.sent.Store(0) // the samples count the spans of the attack
	opts.Logf("fill: %d spans, %d label sets on /metrics, VmRSS %.1f MB", r.FillSpans, r.LabelSetsAfterFill, r.RSSAfterFillMB)

	// The attack, sampled by a goroutine.
	samplerCtx, stopSampler := context.WithCancel(ctx)
	samplerDone := make(chan error, 1)
	t0 := time.Now()
	go func() {
		samplerDone <- sampleAttack(samplerCtx, c, opts, t0, &snd.sent, r)
	}()
	err = runAttack(ctx, snd, seq, r)
	r.AttackSeconds = time.Since(t0).Seconds()
	stopSampler()
	err = errors.Join(err, <-samplerDone)
	if err != nil {
		return r, err
	}
	r.TotalSpans = r.FillSpans + r.AttackCalls + r.LegitCalls
	opts.Logf("attack: %d attack calls, %d legitimate calls in %.1f s", r.AttackCalls, r.LegitCalls, r.AttackSeconds)

	r.Want, err = expectAttack(caps, seq, r.TotalSpans)
	if err != nil {
		return r, err
	}
	err = r.finish(ctx, c)
	if err != nil {
		return r, err
	}
	r.check()
	return r, nil
}

// runAttack sends the attack calls of seq.
func runAttack(ctx context.Context, snd *sender, seq attackSequence, r *AttackResult) error {
	for cl, attack := range seq.attack(snd.size) {
		if attack {
			r.AttackCalls++
		} else {
			r.LegitCalls++
		}
		if err := snd.add(ctx, cl); err != nil {
			return err
		}
	}
	return snd.flush(ctx)
}

// sender sends calls in export requests of size calls, one after another,
// and counts the spans sent.
type sender struct {
	c     *collector
	mk    *spanMaker
	size  int
	calls []call
	sent  atomic.Int64
}

// add queues cl and sends the request when it is full.
func (s *sender) add(ctx context.Context, cl call) error {
	s.calls = append(s.calls, cl)
	if len(s.calls) < s.size {
		return nil
	}
	return s.flush(ctx)
}

// flush sends the queued calls, if any.
func (s *sender) flush(ctx context.Context) error {
	n := len(s.calls)
	if n == 0 {
		return nil
	}
	err := s.c.send(ctx, s.mk.batch(s.calls))
	s.calls = s.calls[:0]
	if err != nil {
		return err
	}
	s.sent.Add(int64(n))
	return nil
}

// sampleAttack reads VmRSS every SampleEvery and scrapes /metrics every
// ScrapeEvery samples until ctx ends, then takes a last sample.
func sampleAttack(ctx context.Context, c *collector, opts AttackOptions, t0 time.Time, sent *atomic.Int64, r *AttackResult) error {
	tick := time.NewTicker(opts.SampleEvery)
	defer tick.Stop()
	for n := 1; ; n++ {
		last := false
		select {
		case <-ctx.Done():
			last = true
		case <-tick.C:
		}
		mem, err := procstat.ReadMemory(c.pid())
		if err != nil {
			return err
		}
		s := AttackSample{ElapsedS: time.Since(t0).Seconds(), Spans: sent.Load(), RSSMB: mem.RSSMB}
		if n%opts.ScrapeEvery == 0 || last {
			sc, err := getScrape(context.WithoutCancel(ctx), c.metricsURL)
			if err != nil {
				return err
			}
			s.LabelSets, s.ScrapeMS = len(sc.labelSets()), sc.ms
		}
		r.Samples = append(r.Samples, s) // read once the sampler has returned
		opts.Logf("  %5.1f s: %d spans, VmRSS %.1f MB%s", s.ElapsedS, s.Spans, s.RSSMB, labelSetsNote(s.LabelSets, s.ScrapeMS))
		if last {
			return nil
		}
	}
}

func labelSetsNote(n int, ms float64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d label sets on /metrics (scrape %.0f ms)", n, ms)
}

// finish reads /metrics, the telemetry and the memory at the end.
func (r *AttackResult) finish(ctx context.Context, c *collector) error {
	s, err := getScrape(ctx, c.metricsURL)
	if err != nil {
		return err
	}
	sets := s.labelSets()
	r.LabelSets, r.Series, r.ScrapeMS, r.ScrapeBytes = len(sets), s.series(), s.ms, s.bytes
	values := map[string]map[string]bool{"service": {}, "tenant": {}, "provider": {}}
	for _, ls := range sets {
		for l, seen := range values {
			seen[ls[l]] = true
		}
	}
	r.ServiceValues, r.TenantValues, r.ProviderValues = len(values["service"]), len(values["tenant"]), len(values["provider"])
	for _, v := range s.requestsBy("model") {
		r.RequestsTotal += v
	}
	if r.Telemetry, err = c.telemetry(ctx); err != nil {
		return err
	}
	mem, err := procstat.ReadMemory(c.pid())
	if err != nil {
		return err
	}
	r.RSSEndMB, r.PeakRSSMB = mem.RSSMB, mem.HWMMB
	rss := make([]float64, 0, len(r.Samples))
	for _, smp := range r.Samples {
		rss = append(rss, smp.RSSMB)
		r.MaxLabelSetsSeen = max(r.MaxLabelSetsSeen, smp.LabelSets)
	}
	if len(rss) > 0 {
		r.RSSMaxMB = slices.Max(rss)
		r.RSSHalvesMB = halves(rss)
	}
	for _, w := range c.warnings(3) {
		r.Problems = append(r.Problems, "collector log: "+w)
	}
	return nil
}

// MaxRSSMB bounds the collector's VmRSS.
const MaxRSSMB = 100

func (r *AttackResult) check() {
	bad := func(format string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, a...)) }
	w := r.Want
	if r.LabelSetsAfterFill != w.LabelSetsAfterFill {
		bad("%d label sets after the fill, want %d", r.LabelSetsAfterFill, w.LabelSetsAfterFill)
	}
	if r.LabelSets != w.LabelSets || r.MaxLabelSetsSeen > w.LabelSets {
		bad("%d label sets on /metrics at the end (at most %d along the attack), want %d (max_label_sets %d + one per model)",
			r.LabelSets, r.MaxLabelSetsSeen, w.LabelSets, r.Caps.LabelSets)
	}
	if r.ServiceValues != w.ServiceValues || r.TenantValues != w.TenantValues || r.ProviderValues != w.ProviderValues {
		bad("values on /metrics: service %d, tenant %d, provider %d; want %d, %d, %d",
			r.ServiceValues, r.TenantValues, r.ProviderValues, w.ServiceValues, w.TenantValues, w.ProviderValues)
	}
	t := r.Telemetry
	for _, l := range []string{"model", "template", "service", "provider", "tenant"} {
		if t.LabelOverflow[l] != w.Overflow[l] {
			bad("label_overflow{label=%q} = %d, want %d", l, t.LabelOverflow[l], w.Overflow[l])
		}
	}
	if t.LabelSetOverflow != w.LabelSetOverflow {
		bad("label_set_overflow = %d, want %d", t.LabelSetOverflow, w.LabelSetOverflow)
	}
	if t.Calls != w.Calls || t.SpansReceived != w.Calls || r.RequestsTotal != float64(w.Calls) {
		bad("calls %d, spans received %d, sum of llm_requests_total %.0f; want %d each", t.Calls, t.SpansReceived, r.RequestsTotal, w.Calls)
	}
	if r.RSSMaxMB > MaxRSSMB || r.PeakRSSMB > MaxRSSMB {
		bad("VmRSS max %.1f MB, VmHWM %.1f MB; want ≤ %d MB", r.RSSMaxMB, r.PeakRSSMB, MaxRSSMB)
	}
	switch {
	case len(r.Samples) < 4:
		bad("%d VmRSS samples: too few to tell whether memory is flat (a shorter -sample-every)", len(r.Samples))
	case !flat(r.RSSHalvesMB):
		bad("VmRSS not flat: means of the halves %.1f → %.1f MB", r.RSSHalvesMB[0], r.RSSHalvesMB[1])
	}
}

// flat: the mean of the second half of the samples is at most 10 % (and
// at least 2 MB) above the first half's.
func flat(h [2]float64) bool { return h[1] <= h[0]+max(0.1*h[0], 2) }

// halves returns the means of the first and the second half of v.
func halves(v []float64) [2]float64 {
	mean := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	return [2]float64{mean(v[:len(v)/2]), mean(v[len(v)/2:])}
}

// workDir returns dir, or a new temporary directory removed by cleanup.
func workDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o750)
	}
	d, err := os.MkdirTemp("", "otelcol-llm-dimensions-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { _ = os.RemoveAll(d) }, nil
}

var errNoBinary = errors.New("no collector binary: make build")

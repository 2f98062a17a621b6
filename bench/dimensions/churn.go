// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package dimensions

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/procstat"
)

// ChurnOptions of a churn run.
type ChurnOptions struct {
	// Binary is the collector (../_build/otelcol-llm).
	Binary string
	// WorkDir holds the configuration and the log ("": a temporary
	// directory, removed at the end).
	WorkDir string
	// Duration of the run.
	Duration time.Duration
	// IdleTimeout is the tenant dimension's idle_timeout.
	IdleTimeout time.Duration
	// Active tenants at any time, each active for Lifetime and never again:
	// a new tenant arrives every Lifetime/Active.
	Active   int
	Lifetime time.Duration
	// Tick: every active tenant and every stable label set sends one call
	// per tick, all in one export request.
	Tick time.Duration
	// StableServices × the 5 models are the stable label sets (no tenant),
	// busy all along.
	StableServices int
	// SampleEvery is the interval of the samples (VmRSS, /metrics).
	SampleEvery time.Duration
	Logf        func(format string, args ...any)
}

// Defaults of the long run (make bench-churn).
const (
	DefaultChurnDuration    = 10 * time.Minute
	DefaultChurnIdleTimeout = 15 * time.Second
	DefaultChurnActive      = 200
	DefaultChurnLifetime    = 30 * time.Second
)

func (o *ChurnOptions) defaults() {
	if o.Duration <= 0 {
		o.Duration = DefaultChurnDuration
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultChurnIdleTimeout
	}
	if o.Active <= 0 {
		o.Active = DefaultChurnActive
	}
	if o.Lifetime <= 0 {
		o.Lifetime = DefaultChurnLifetime
	}
	if o.Tick <= 0 {
		o.Tick = 200 * time.Millisecond
	}
	if o.StableServices <= 0 {
		o.StableServices = 4
	}
	if o.SampleEvery <= 0 {
		o.SampleEvery = 10 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// churnDimensions is the exporter configuration of the churn: service and
// provider presets, tenant as its preset but with a short idle_timeout.
func churnDimensions(idle time.Duration) string {
	return fmt.Sprintf(`    dimensions:
      - service
      - provider
      - {label: tenant, attributes: [tenant.id, enduser.id, user.id], default: none, max_values: 1000, idle_timeout: %s}`, idle)
}

// ChurnSample is one sample of the churn.
type ChurnSample struct {
	ElapsedS  float64 `json:"elapsed_s"`
	RSSMB     float64 `json:"rss_mb"`
	LabelSets int     `json:"label_sets"` // on /metrics
	Series    int     `json:"series"`
	Tenants   int     `json:"tenants"` // tenant values on /metrics, none and other aside
	// ActiveSent: tenants active with at least one call accepted before the
	// scrape; Missing: how many of them have no series of their own.
	ActiveSent int     `json:"active_sent"`
	Missing    int     `json:"missing"`
	Started    int     `json:"tenants_started"` // tenants that have sent since the start
	ScrapeMS   float64 `json:"scrape_ms"`
}

// ChurnResult of a churn run.
type ChurnResult struct {
	Caps           Caps          `json:"caps"`
	DurationS      float64       `json:"duration_s"`
	IdleTimeoutS   float64       `json:"idle_timeout_s"`
	Active         int           `json:"active"`
	LifetimeS      float64       `json:"lifetime_s"`
	TickMS         float64       `json:"tick_ms"`
	StableSets     int           `json:"stable_label_sets"`
	SampleEveryS   float64       `json:"sample_every_s"`
	LabelSetBound  int           `json:"label_set_bound"` // the most label sets the schedule can hold at a scrape
	TenantsStarted int           `json:"tenants_started"`
	TenantsSeen    int           `json:"tenants_seen"` // distinct tenant values seen on /metrics over the run
	Spans          int64         `json:"spans"`
	Samples        []ChurnSample `json:"samples"`

	MaxLabelSets int        `json:"max_label_sets_seen"`
	Missing      int        `json:"missing"` // over the samples
	Telemetry    *Telemetry `json:"telemetry"`
	// At the end: tenants on /metrics whose requests equal what was sent to
	// them, and those that differ.
	TenantsExact   int        `json:"tenants_exact"`
	TenantsWrong   []string   `json:"tenants_wrong,omitempty"`
	StableRequests float64    `json:"stable_requests"` // llm_requests_total{tenant="none"}
	StableSent     int64      `json:"stable_sent"`
	RSSFirstMB     float64    `json:"rss_first_mb"`
	RSSLastMB      float64    `json:"rss_last_mb"`
	RSSMaxMB       float64    `json:"rss_max_mb"`
	PeakRSSMB      float64    `json:"vmhwm_mb"`
	RSSHalvesMB    [2]float64 `json:"rss_halves_mb"`
	LabelSetHalves [2]float64 `json:"label_set_halves"`
	ScrapeP50MS    float64    `json:"scrape_p50_ms"`
	ScrapeMaxMS    float64    `json:"scrape_max_ms"`
	Problems       []string   `json:"problems"`
}

// OK reports whether every check passed.
func (r *ChurnResult) OK() bool { return len(r.Problems) == 0 }

// churnBound is the most label sets a scrape can see: the stable ones, the
// active tenants', and those of tenants gone for less than the idle timeout
// plus the time to the next sweep (a scrape, every SampleEvery) and a tick.
func churnBound(o ChurnOptions) int {
	gone := float64(o.Active) * (o.IdleTimeout + o.SampleEvery + o.Tick).Seconds() / o.Lifetime.Seconds()
	return o.StableServices*len(models) + o.Active + int(math.Ceil(gone)) + 1
}

// Churn runs tenants that come and go: Active tenants at any time, a new one
// every Lifetime/Active, each sending one call per tick while active and
// never again, beside stable label sets without tenant. The tenant's
// idle_timeout is short, so the label sets of the tenants gone expire and
// free their slots. Every SampleEvery it samples VmRSS and /metrics and
// checks that every active tenant has its own series (none folded into
// other). At the end every tenant on /metrics must show exactly the calls
// sent to it, and nothing may have been folded (the schedule never holds
// more label sets than the cap, churnBound).
func Churn(ctx context.Context, opts ChurnOptions) (*ChurnResult, error) {
	opts.defaults()
	caps := DefaultCaps()
	r := &ChurnResult{
		Caps: caps, DurationS: opts.Duration.Seconds(), IdleTimeoutS: opts.IdleTimeout.Seconds(), Active: opts.Active,
		LifetimeS: opts.Lifetime.Seconds(), TickMS: float64(opts.Tick.Milliseconds()), StableSets: opts.StableServices * len(models),
		SampleEveryS: opts.SampleEvery.Seconds(), LabelSetBound: churnBound(opts),
	}
	if r.LabelSetBound > caps.LabelSets || r.LabelSetBound > caps.Tenants {
		return nil, fmt.Errorf("the schedule can hold %d label sets (and tenants) at a scrape, over max_label_sets %d or the tenant cap %d: fewer active tenants or a longer lifetime",
			r.LabelSetBound, caps.LabelSets, caps.Tenants)
	}
	dir, cleanup, err := workDir(opts.WorkDir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	c, err := startCollector(ctx, opts.Binary, dir, churnDimensions(opts.IdleTimeout))
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := c.stop(); serr != nil {
			r.Problems = append(r.Problems, "stop: "+serr.Error())
		}
	}()

	// Tenant k is active in [start(k), start(k)+Lifetime); tenants 0 … Active-1
	// started before t=0, so the run begins in the steady state.
	interval := opts.Lifetime / time.Duration(opts.Active)
	start := func(k int) time.Duration { return time.Duration(k-opts.Active) * interval }
	name := func(k int) string { return "tenant-" + strconv.Itoa(k) }
	var sent []int64 // by tenant
	mk := newSpanMaker()
	seen := map[string]bool{}
	t0 := time.Now()
	nextSample := opts.SampleEvery
	first := 0 // the oldest tenant that may still be active
	for tick := 0; ; tick++ {
		at := time.Duration(tick) * opts.Tick
		if at > opts.Duration {
			break
		}
		if d := time.Until(t0.Add(at)); d > 0 {
			select {
			case <-ctx.Done():
				return r, ctx.Err()
			case <-time.After(d):
			}
		}
		var calls []call
		for s := range opts.StableServices {
			for m := range models {
				calls = append(calls, call{model: m, service: stableService(s)})
			}
		}
		r.StableSent += int64(len(calls))
		for first < len(sent) && start(first)+opts.Lifetime <= at {
			first++
		}
		for k := first; start(k) <= at; k++ {
			if k == len(sent) {
				sent = append(sent, 0)
			}
			if start(k)+opts.Lifetime <= at {
				continue // its whole lifetime fell between two ticks
			}
			calls = append(calls, call{model: k % len(models), service: stableService(k % opts.StableServices), tenant: name(k)})
			sent[k]++
		}
		err = c.send(ctx, mk.batch(calls))
		if err != nil {
			return r, err
		}
		r.Spans += int64(len(calls))
		if at < nextSample && at+opts.Tick <= opts.Duration {
			continue
		}
		nextSample += opts.SampleEvery
		// Every call sent so far has been recorded (the pipeline is
		// synchronous): the tenants active now with a call must have their
		// own series.
		sc, scErr := getScrape(ctx, c.metricsURL)
		if scErr != nil {
			return r, scErr
		}
		mem, memErr := procstat.ReadMemory(c.pid())
		if memErr != nil {
			return r, memErr
		}
		onMetrics := sc.requestsBy("tenant")
		smp := ChurnSample{
			ElapsedS: time.Since(t0).Seconds(), RSSMB: mem.RSSMB, LabelSets: len(sc.labelSets()), Series: sc.series(),
			Started: len(sent), ScrapeMS: sc.ms,
		}
		for v := range onMetrics {
			if v != "none" && v != "other" {
				smp.Tenants++
				seen[v] = true
			}
		}
		for k := first; k < len(sent); k++ {
			if start(k)+opts.Lifetime > at && sent[k] > 0 {
				smp.ActiveSent++
				if _, ok := onMetrics[name(k)]; !ok {
					smp.Missing++
				}
			}
		}
		r.Samples = append(r.Samples, smp)
		opts.Logf("  %5.0f s: VmRSS %.1f MB, %d label sets (%d series), %d tenants on /metrics, %d of %d active tenants missing, %d tenants so far, scrape %.0f ms",
			smp.ElapsedS, smp.RSSMB, smp.LabelSets, smp.Series, smp.Tenants, smp.Missing, smp.ActiveSent, smp.Started, smp.ScrapeMS)
	}
	r.TenantsStarted, r.TenantsSeen = len(sent), len(seen)

	// The end: every tenant on /metrics has exactly what was sent to it.
	s, err := getScrape(ctx, c.metricsURL)
	if err != nil {
		return r, err
	}
	for v, got := range s.requestsBy("tenant") {
		switch {
		case v == "none":
			r.StableRequests = got
		case strings.HasPrefix(v, "tenant-"):
			k, convErr := strconv.Atoi(strings.TrimPrefix(v, "tenant-"))
			if convErr == nil && k < len(sent) && got == float64(sent[k]) {
				r.TenantsExact++
				continue
			}
			r.TenantsWrong = append(r.TenantsWrong, fmt.Sprintf("%s: %.0f", v, got))
		default:
			r.TenantsWrong = append(r.TenantsWrong, fmt.Sprintf("%s: %.0f", v, got))
		}
	}
	if r.Telemetry, err = c.telemetry(ctx); err != nil {
		return r, err
	}
	mem, err := procstat.ReadMemory(c.pid())
	if err != nil {
		return r, err
	}
	r.PeakRSSMB = mem.HWMMB
	r.summarize()
	for _, w := range c.warnings(3) {
		r.Problems = append(r.Problems, "collector log: "+w)
	}
	r.check()
	return r, nil
}

func stableService(s int) string { return fmt.Sprintf("checkout-assistant-%02d", s) }

func (r *ChurnResult) summarize() {
	n := len(r.Samples)
	if n == 0 {
		return
	}
	rss := make([]float64, n)
	sets := make([]float64, n)
	ms := make([]float64, n)
	for i, s := range r.Samples {
		rss[i], sets[i], ms[i] = s.RSSMB, float64(s.LabelSets), s.ScrapeMS
		r.MaxLabelSets = max(r.MaxLabelSets, s.LabelSets)
		r.Missing += s.Missing
	}
	r.RSSFirstMB, r.RSSLastMB, r.RSSMaxMB = rss[0], rss[n-1], slices.Max(rss)
	r.RSSHalvesMB, r.LabelSetHalves = halves(rss), halves(sets)
	slices.Sort(ms)
	r.ScrapeP50MS, r.ScrapeMaxMS = ms[n/2], ms[n-1]
}

func (r *ChurnResult) check() {
	bad := func(format string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, a...)) }
	if r.MaxLabelSets > r.LabelSetBound || r.MaxLabelSets > r.Caps.LabelSets {
		bad("%d label sets on /metrics at a sample, want ≤ %d (the schedule's bound; max_label_sets %d)", r.MaxLabelSets, r.LabelSetBound, r.Caps.LabelSets)
	}
	if r.Missing > 0 {
		bad("%d times an active tenant had no series of its own at a sample", r.Missing)
	}
	if r.TenantsStarted <= r.Caps.LabelSets {
		bad("only %d tenants over the run, not more than max_label_sets %d: expiry not exercised", r.TenantsStarted, r.Caps.LabelSets)
	}
	if len(r.TenantsWrong) > 0 {
		bad("tenants on /metrics whose requests differ from what was sent: %s", strings.Join(r.TenantsWrong[:min(5, len(r.TenantsWrong))], ", "))
	}
	if r.StableRequests != float64(r.StableSent) {
		bad("llm_requests_total{tenant=\"none\"} = %.0f, want %d", r.StableRequests, r.StableSent)
	}
	t := r.Telemetry
	for l, n := range t.LabelOverflow {
		if n != 0 {
			bad("label_overflow{label=%q} = %d, want 0", l, n)
		}
	}
	if t.LabelSetOverflow != 0 {
		bad("label_set_overflow = %d, want 0", t.LabelSetOverflow)
	}
	if t.Calls != r.Spans || t.SpansReceived != r.Spans {
		bad("calls %d, spans received %d, want %d each", t.Calls, t.SpansReceived, r.Spans)
	}
	if r.RSSMaxMB > MaxRSSMB || r.PeakRSSMB > MaxRSSMB {
		bad("VmRSS max %.1f MB, VmHWM %.1f MB; want ≤ %d MB", r.RSSMaxMB, r.PeakRSSMB, MaxRSSMB)
	}
	if !flat(r.RSSHalvesMB) {
		bad("VmRSS not flat: means of the halves %.1f → %.1f MB", r.RSSHalvesMB[0], r.RSSHalvesMB[1])
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"strings"

	"github.com/otelcol-llm/otelcol-llm/bench/dimensions"
	"github.com/otelcol-llm/otelcol-llm/bench/internal/results"
)

// dimRatioTarget is the issue 12 target: with three dimensions the hot
// path costs at most 1.3× the default configuration's ns/span.
const dimRatioTarget = 1.3

// dimHotPath summarizes the hot path with dimensions: the ratio of the
// medians of the two cases of one go test run, the median of the
// interleaved ratios (wall clock and thread CPU) and whether the target is
// met: every ratio within it and 0 allocs/op.
func (h *hotPath) dimHotPath() (medianRatio, interleaved, cpu float64, ok bool) {
	if len(h.dimNsPerSpan) == 0 || h.median == 0 {
		return 0, 0, 0, false
	}
	medianRatio = median(h.dimNsPerSpan) / h.median
	interleaved, cpu = median(h.ratios), median(h.cpuRatios)
	ok = medianRatio <= dimRatioTarget && h.dimAllocs == "0"
	if len(h.ratios) > 0 {
		ok = ok && interleaved <= dimRatioTarget
	}
	return medianRatio, interleaved, cpu, ok
}

func dimensionTargets(p func(string, ...any), h *hotPath, attack, churn *results.Saved) {
	if r, il, cpu, ok := h.dimHotPath(); r > 0 {
		p("| issue 12 | hot path with dimensions [service, provider, tenant] ≤ %.1f× `default` ns/span, 0 allocs/span (`BenchmarkConsumeTraces/dimensions`) | median %.0f vs %.0f ns/span: %.2f× (same run, %d runs each); interleaved batch by batch (`BenchmarkDimensionsRatio`, median of %d): %.2f× wall clock, %.2f× thread CPU; %s allocs/op | %s |",
			dimRatioTarget, median(h.dimNsPerSpan), h.median, r, len(h.dimNsPerSpan), len(h.ratios), il, cpu, h.dimAllocs, yes(ok))
	}
	if s, ok := scrapeTargetOf(h.dimScrapes); len(h.dimScrapes) > 0 {
		f := h.filled["BenchmarkScrapeDimensions"]
		p("| issue 12 | /metrics through `promhttp` ≤ %d ms p50 with dimensions [service, provider] filled at the default `max_label_sets` (%s label sets, %s series), every format and compression (`BenchmarkScrapeDimensions`) | %s | %s |",
			scrapeTargetMS, num(f[1]), num(f[0]), s, yes(ok))
	}
	if attack == nil || attack.DimensionsAttack == nil {
		p("| issue 12 | attack: 1,000,000 distinct services and tenants | not measured (`make bench-dimensions`) | |")
	} else {
		a := attack.DimensionsAttack
		t := a.Telemetry
		p("| issue 12 | attack on the built collector, dimensions [service, provider, tenant]: %s distinct services and tenants; label sets on /metrics ≤ `max_label_sets` + one per model, overflow counted exactly | %s label sets (max %d + %d models; at most %s along the attack); `label_overflow` service %s, tenant %s, provider %s, template %s, `label_set_overflow` %s, all as derived | %s |",
			num(a.Values), num(a.LabelSets), a.Caps.LabelSets, a.Models, num(a.MaxLabelSetsSeen),
			num64(t.LabelOverflow["service"]), num64(t.LabelOverflow["tenant"]), num64(t.LabelOverflow["provider"]), num64(t.LabelOverflow["template"]), num64(t.LabelSetOverflow),
			yes(attackCountsOK(a)))
		p("| issue 12 | attack: collector VmRSS ≤ %d MB and flat | max %.0f MB, VmHWM %.0f MB; means of the halves of the samples %.1f / %.1f MB | %s |",
			dimensions.MaxRSSMB, a.RSSMaxMB, a.PeakRSSMB, a.RSSHalvesMB[0], a.RSSHalvesMB[1], yes(a.RSSMaxMB <= dimensions.MaxRSSMB && a.PeakRSSMB <= dimensions.MaxRSSMB && a.RSSHalvesMB[1] <= a.RSSHalvesMB[0]*1.1+2))
	}
	if churn == nil || churn.Churn == nil {
		p("| issue 12 | churn: tenants come and go under a short idle_timeout | not measured (`make bench-churn`) | |")
	} else {
		c := churn.Churn
		p("| issue 12 | churn (%s, tenant idle_timeout %s): label sets ≤ budget, tenants keep being admitted, memory flat | %s tenants (%d at a time, %s each), at most %d label sets on /metrics (cap %d), every active tenant had its own series at every sample (%d misses), nothing folded; VmRSS halves %.1f / %.1f MB, max %.0f MB | %s |",
			secs(c.DurationS), secs(c.IdleTimeoutS), num(c.TenantsStarted), c.Active, secs(c.LifetimeS), c.MaxLabelSets, c.Caps.LabelSets, c.Missing,
			c.RSSHalvesMB[0], c.RSSHalvesMB[1], c.RSSMaxMB, yes(c.OK()))
	}
}

// attackCountsOK: the label sets, the values on /metrics, every overflow
// counter and the calls are what expectAttack derived.
func attackCountsOK(a *dimensions.AttackResult) bool {
	w, t := a.Want, a.Telemetry
	ok := a.LabelSetsAfterFill == w.LabelSetsAfterFill && a.LabelSets == w.LabelSets && a.MaxLabelSetsSeen <= w.LabelSets &&
		a.ServiceValues == w.ServiceValues && a.TenantValues == w.TenantValues && a.ProviderValues == w.ProviderValues &&
		t.LabelSetOverflow == w.LabelSetOverflow && t.Calls == w.Calls && a.RequestsTotal == float64(w.Calls)
	for l, n := range w.Overflow {
		ok = ok && t.LabelOverflow[l] == n
	}
	return ok
}

func writeDimensions(p func(string, ...any), h *hotPath, attack, churn *results.Saved) {
	p("## 5. Dimensions (issue 12)")
	p("")
	p("### Hot path with three dimensions")
	p("")
	p("`BenchmarkConsumeTraces/dimensions`: the `default` case's batch with `tenant.id` on every span (8 tenants), dimensions")
	p("[service, provider, tenant] (presets: service from the resource's `service.name`, the provider, tenant from `tenant.id`):")
	p("about 100 label sets instead of 30. `BenchmarkDimensionsRatio` alternates the two exporters batch by batch and times")
	p("every call (wall clock, and on Linux the CPU time of the benchmark's locked thread, which a core taken by another")
	p("process does not inflate). Load average (1, 5, 15 min) of the 2-core machine, shared with other jobs, before and")
	p("after the root-module benchmarks: %s / %s.", h.loadBefore, h.loadAfter)
	p("")
	if len(h.dimNsPerSpan) > 0 {
		r, il, cpu, ok := h.dimHotPath()
		p("| case | ns/span, median of %d | min | max | allocs/op |", len(h.dimNsPerSpan))
		p("|---|---:|---:|---:|---:|")
		p("| default | %.0f | %.0f | %.0f | %s |", h.median, h.min, h.max, h.allocs)
		p("| dimensions | %.0f | %.0f | %.0f | %s |", median(h.dimNsPerSpan), minOf(h.dimNsPerSpan), maxOf(h.dimNsPerSpan), h.dimAllocs)
		p("")
		p("dimensions / default: %.2f× (medians of one run); interleaved: %.2f× wall clock (runs: %s), %.2f× thread CPU (runs: %s). Target ≤ %.1f×: %s.",
			r, il, floats(h.ratios), cpu, floats(h.cpuRatios), dimRatioTarget, yes(ok))
		p("")
	}
	if len(h.dimScrapes) > 0 {
		f, d := h.filled["BenchmarkScrape"], h.filled["BenchmarkScrapeDimensions"]
		p("### /metrics with dimensions at the default label set budget")
		p("")
		p("`BenchmarkScrapeDimensions`: `BenchmarkScrape`'s fill with dimensions [service, provider] (the shipped configurations')")
		p("filled: 100 models × 5 templates, each label set with its own service (`checkout-assistant-NN`, resource `service.name`)")
		p("and provider (openai, azure.ai.openai, aws.bedrock, anthropic, gcp.vertex_ai), the default `max_label_sets` of 500 full,")
		p("then a 6th template per model that folds to (model, other, other, other): %s label sets, %s series (without", num(d[1]), num(d[0]))
		p("dimensions: %s label sets, %s series). p50 = median of the runs' median scrape (ms), same `go test` run.", num(f[1]), num(f[0]))
		p("")
		p("| format / compression | no dimensions, p50 | dimensions, p50 | dimensions, ns/op | ≤ %d ms p50 |", scrapeTargetMS)
		p("|---|---:|---:|---:|---|")
		for _, s := range h.dimScrapes {
			base := "–"
			for _, b := range h.scrapes {
				if b.name == s.name && len(b.p50MS) > 0 {
					base = fmt.Sprintf("%.1f", median(b.p50MS))
				}
			}
			if len(s.p50MS) == 0 {
				p("| %s | %s | – | %.1f |  |", s.name, base, median(s.msOp))
				continue
			}
			p("| %s | %s | %.1f | %.1f | %s |", s.name, base, median(s.p50MS), median(s.msOp), yes(median(s.p50MS) <= scrapeTargetMS))
		}
		p("")
	}
	writeDimAttack(p, attack)
	writeChurn(p, churn)
}

func writeDimAttack(p func(string, ...any), saved *results.Saved) {
	p("### Attack: 1,000,000 distinct services and tenants (`make bench-dimensions`)")
	p("")
	if saved == nil || saved.DimensionsAttack == nil {
		p("Not saved on this checkout: `make bench-dimensions`.")
		p("")
		return
	}
	a := saved.DimensionsAttack
	machineTable(p, saved.Machine)
	p("`%s`: the built collector (`_build/otelcol-llm`) as a subprocess, OTLP/gRPC → llm_prometheus with", saved.Command)
	p("`dimensions: [service, provider, tenant]` and every cap at its default (%d label sets, service %d, provider %d, tenant %d,", a.Caps.LabelSets, a.Caps.Services, a.Caps.Providers, a.Caps.Tenants)
	p("models %d, templates %d), no memory_limiter; one sender, export requests of %s spans one after another, each span in a", a.Caps.Models, a.Caps.Templates, num(a.BatchSize))
	p("resource of its own (spangen's mix of streamed, failed and plain calls). **Fill:** %d models × %d services × %d tenants", a.Models, a.FillServices, a.FillTenants)
	p("= %d label sets, 3 calls each. **Attack:** %s calls each with a new `service.name` and a new `tenant.id` (and an", a.Want.LabelSetsAfterFill, num64(a.AttackCalls))
	p("admitted model), 1 call in 4 going to a label set of the fill (%s such calls): %s spans in %.1f s. The expected", num64(a.LegitCalls), num64(a.TotalSpans), a.AttackSeconds)
	p("figures are derived from the caps and what was sent (`expectAttack` in bench/dimensions/attack.go, checked against")
	p("the exporter in-process under small caps by `TestExpectAttack`): the first `max_label_sets` − fill attack calls")
	p("make label sets of their own (the first service cap − fill services keep their service), every later one folds")
	p("tenant, provider, service and template (counted once each) into (model, other, other, other, other), one label set")
	p("per model beside the cap.")
	p("")
	t := a.Telemetry
	p("| | on the collector | derived |")
	p("|---|---:|---:|")
	p("| label sets on /metrics after the fill | %s | %s |", num(a.LabelSetsAfterFill), num(a.Want.LabelSetsAfterFill))
	p("| label sets on /metrics at the end (most seen along the attack) | %s (%s) | %s |", num(a.LabelSets), num(a.MaxLabelSetsSeen), num(a.Want.LabelSets))
	p("| service / tenant / provider values on /metrics | %d / %d / %d | %d / %d / %d |", a.ServiceValues, a.TenantValues, a.ProviderValues, a.Want.ServiceValues, a.Want.TenantValues, a.Want.ProviderValues)
	for _, l := range []string{"service", "tenant", "provider", "template", "model"} {
		p("| `otelcol_exporter_llm_prometheus_label_overflow{label=%q}` | %s | %s |", l, num64(t.LabelOverflow[l]), num64(a.Want.Overflow[l]))
	}
	p("| `otelcol_exporter_llm_prometheus_label_set_overflow` | %s | %s |", num64(t.LabelSetOverflow), num64(a.Want.LabelSetOverflow))
	p("| calls (telemetry) / sum of `llm_requests_total` | %s / %s | %s |", num64(t.Calls), num(int(a.RequestsTotal)), num64(a.Want.Calls))
	p("")
	p("Series on /metrics at the end: %s (%.1f MB text, scraped in %.0f ms). VmRSS of the collector: %.1f MB after the fill, max %.1f MB", num(a.Series), float64(a.ScrapeBytes)/(1<<20), a.ScrapeMS, a.RSSAfterFillMB, a.RSSMaxMB)
	p("during the attack, %.1f MB at the end, VmHWM %.1f MB; means of the first and second half of the samples %.1f / %.1f MB.", a.RSSEndMB, a.PeakRSSMB, a.RSSHalvesMB[0], a.RSSHalvesMB[1])
	var smp []string
	step := max(1, len(a.Samples)/12)
	for i := 0; i < len(a.Samples); i += step {
		s := a.Samples[i]
		smp = append(smp, fmt.Sprintf("%.0f s %s spans: %.0f MB%s", s.ElapsedS, num64(s.Spans), s.RSSMB, setsNote(s.LabelSets)))
	}
	p("Samples (elapsed, spans sent, VmRSS, label sets when scraped): %s.", strings.Join(smp, "; "))
	writeProblems(p, a.Problems)
	p("")
}

func writeChurn(p func(string, ...any), saved *results.Saved) {
	p("### Churn: tenants that come and go (`make bench-churn`)")
	p("")
	if saved == nil || saved.Churn == nil {
		p("Not saved on this checkout: `make bench-churn` (10 min; `make bench-churn-short` is the 1-minute smoke run).")
		p("")
		return
	}
	c := saved.Churn
	machineTable(p, saved.Machine)
	p("`%s`: the built collector as a subprocess with dimensions service, provider and tenant (the preset with", saved.Command)
	p("`idle_timeout: %s`), default caps. %d tenants are active at any time, each for %s and never again (a new one every",
		secs(c.IdleTimeoutS), c.Active, secs(c.LifetimeS))
	p("%.0f ms), every active tenant and each of %d stable label sets (no tenant) sending one call every %.0f ms, one export", c.LifetimeS*1000/float64(c.Active), c.StableSets, c.TickMS)
	p("request per tick, for %s: %s tenants, %s spans. Every %s: VmRSS, one /metrics scrape (which removes the expired label",
		secs(c.DurationS), num(c.TenantsStarted), num64(c.Spans), secs(c.SampleEveryS))
	p("sets), and the check that every active tenant that has sent a call has a series of its own. The schedule never")
	p("holds more than %d label sets at a scrape (`churnBound`), so nothing may be folded: without expiry the tenants", c.LabelSetBound)
	p("would have filled `max_label_sets` (%d) after %s.", c.Caps.LabelSets, secs(float64(c.Caps.LabelSets-c.StableSets-c.Active)*c.LifetimeS/float64(c.Active)))
	p("")
	t := c.Telemetry
	var of []string
	for l, n := range t.LabelOverflow {
		of = append(of, fmt.Sprintf("%s %d", l, n))
	}
	if len(of) == 0 {
		of = append(of, "none counted")
	}
	p("Result: at most %d label sets on /metrics (halves' means %.0f / %.0f), %s distinct tenants seen on /metrics, %d", c.MaxLabelSets, c.LabelSetHalves[0], c.LabelSetHalves[1], num(c.TenantsSeen), c.Missing)
	p("misses; `label_overflow`: %s; `label_set_overflow` %d; calls %s of %s sent. At the end %s tenants on /metrics with exactly",
		strings.Join(of, ", "), t.LabelSetOverflow, num64(t.Calls), num64(c.Spans), num(c.TenantsExact))
	p("the calls sent to them (%d differ); the stable label sets %s of %s. VmRSS %.1f → %.1f MB (max %.1f, halves %.1f / %.1f, VmHWM %.1f);",
		len(c.TenantsWrong), num(int(c.StableRequests)), num64(c.StableSent), c.RSSFirstMB, c.RSSLastMB, c.RSSMaxMB, c.RSSHalvesMB[0], c.RSSHalvesMB[1], c.PeakRSSMB)
	p("/metrics p50 %.0f ms, max %.0f ms.", c.ScrapeP50MS, c.ScrapeMaxMS)
	p("")
	p("| elapsed | VmRSS (MB) | label sets | series | tenants on /metrics | active tenants (missing) | tenants so far | scrape (ms) |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|")
	step := max(1, len(c.Samples)/15)
	for i := 0; i < len(c.Samples); i += step {
		s := c.Samples[i]
		p("| %s | %.1f | %d | %s | %d | %d (%d) | %s | %.0f |", secs(s.ElapsedS), s.RSSMB, s.LabelSets, num(s.Series), s.Tenants, s.ActiveSent, s.Missing, num(s.Started), s.ScrapeMS)
	}
	writeProblems(p, c.Problems)
	p("")
}

func writeProblems(p func(string, ...any), problems []string) {
	if len(problems) > 0 {
		p("")
		p("Checks that failed: %s.", strings.Join(problems, "; "))
	}
}

func setsNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d label sets", n)
}

// secs writes a duration in seconds as 45 s, 10 min or 2 min 30 s.
func secs(s float64) string {
	n := int(s + 0.5)
	switch {
	case n < 120:
		return fmt.Sprintf("%d s", n)
	case n%60 == 0:
		return fmt.Sprintf("%d min", n/60)
	}
	return fmt.Sprintf("%d min %d s", n/60, n%60)
}

func num64(n int64) string { return num(int(n)) }

func floats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(s, ", ")
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// The llm connector against real backends. Three collectors run the shipped
// configurations config/otelcol-otlp.yaml (twice: explicit and exponential
// histograms) and config/otelcol-remote-write.yaml, their listeners on free
// loopback ports, flush_interval 1s, and an llm_prometheus exporter with the
// same dimensions added to the traces pipeline beside the connector. Each is
// sent the scenario once. A Prometheus with its OTLP receiver
// (--web.enable-otlp-receiver, default otlp: settings) gets the two OTLP
// collectors' metrics and scrapes their llm_prometheus; a second one
// (--web.enable-remote-write-receiver) gets the remote-write collector's and
// scrapes its llm_prometheus. For every llm_* family the exporter serves, the
// pushed series must equal the scraped ones: same names, same labels, same
// values (bit for bit; costs to 1e-9), first series by series, then with a
// PromQL sum by every label of the family.
//
// What the pushes add or change, as Prometheus v0.316.0 and the contrib
// prometheus_remote_write exporter v0.165.1 store them:
//   - job is the collector's service.name, instance its service.instance.id
//     (the scrape's job and instance are the scrape config's);
//   - remote write adds otel_scope_name (the connector's scope) and
//     otel_scope_version (the collector's version); the OTLP receiver adds no
//     scope label (promote_scope_metadata is off by default);
//   - le is written as the bound's shortest form (le="1"), where a scrape
//     stores le="1.0" (Prometheus 3 normalizes scraped le values): the
//     comparison parses le;
//   - exponential histograms arrive as native histograms (no feature flag
//     needed) with the same buckets, count and sum as the scraped native
//     histogram; the families without native buckets (llm_agent_model_calls,
//     llm_agent_tool_calls) stay explicit, classic series.
//
// Both backends also get target_info (not an llm_* series, not compared).

const (
	// The jobs of the scrapes of llm_prometheus.
	scrapeExplicitJob    = "scrape-explicit"
	scrapeExponentialJob = "scrape-exponential"
	scrapeRemoteJob      = "scrape-remote-write"
	// The service.name of the exponential collector, its push job.
	exponentialService = "otelcol-llm-exponential"
	// The service.name (the push job) of the collectors that keep their own.
	defaultService = "otelcol-llm"
	// The connector's instrumentation scope (its metadata.yaml).
	connectorScope = "github.com/otelcol-llm/otelcol-llm/connector/llmconnector"
)

const backendsPromConfig = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
%s`

const backendsScrapeJob = `  - job_name: %s
    scrape_interval: 1s
    scrape_timeout: 1s
    scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0, PrometheusText0.0.4]
    scrape_native_histograms: true
    always_scrape_classic_histograms: true
    static_configs:
      - targets: ["%s"]
`

// backendNode prepares a collector on config/<file> with the llm connector
// flushing every second, an llm_prometheus exporter (dimensions service and
// provider, as the connector's) beside it in the traces pipeline, and more
// --set values (extra).
func backendNode(t *testing.T, name, file string, extra ...string) *otelNode {
	t.Helper()
	n := newReplica(t, name, file)
	layout := n.layout
	n.layout = func(t *testing.T) {
		layout(t)
		n.args = append(n.args,
			"--set", "connectors::llm::flush_interval=1s",
			"--set", "exporters::llm_prometheus::dimensions=[service, provider]",
			"--set", "service::pipelines::traces::exporters=[llm, llm_prometheus]",
		)
		for _, s := range extra {
			n.args = append(n.args, "--set", s)
		}
	}
	return n
}

// backendCase is one comparison: the series pushed under pushJob against
// those scraped under scrapeJob, on prom.
type backendCase struct {
	name      string
	node      *otelNode
	prom      *promServer
	scrapeJob string
	pushJob   string
	// extra are the labels the push adds beside job and instance, with their values.
	extra map[string]string
	// exponential: the histograms with native buckets arrive as native
	// histograms (the others as classic series).
	exponential bool
}

func TestOTLPBackends(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	started := time.Now()

	// The backends' ports first: the collectors are configured with them.
	// They stay bound until the backends start, so no collector picks them.
	otlpListener, rwListener := testproc.ListenLow(t), testproc.ListenLow(t)
	portOf := func(l net.Listener) int { return l.Addr().(*net.TCPAddr).Port }
	otlpURL := fmt.Sprintf("http://127.0.0.1:%d/api/v1/otlp/v1/metrics", portOf(otlpListener))
	rwURL := fmt.Sprintf("http://127.0.0.1:%d/api/v1/write", portOf(rwListener))

	explicit := backendNode(t, "otlp-explicit", "otelcol-otlp.yaml",
		"exporters::otlp_http::metrics_endpoint="+otlpURL)
	exponential := backendNode(t, "otlp-exponential", "otelcol-otlp.yaml",
		"exporters::otlp_http::metrics_endpoint="+otlpURL,
		"connectors::llm::histograms=exponential",
		"service::telemetry::resource::attributes=[{name: service.name, value: "+exponentialService+"}]")
	remote := backendNode(t, "remote-write", "otelcol-remote-write.yaml",
		"exporters::prometheus_remote_write::http::endpoint="+rwURL)
	startAll(t, explicit, exponential, remote)

	_ = otlpListener.Close()
	_ = rwListener.Close()
	promOTLP := launchPrometheus(t, "prometheus-otlp", portOf(otlpListener), fmt.Sprintf(backendsPromConfig,
		fmt.Sprintf(backendsScrapeJob, scrapeExplicitJob, explicit.metricsTarget())+
			fmt.Sprintf(backendsScrapeJob, scrapeExponentialJob, exponential.metricsTarget())),
		"--web.enable-otlp-receiver")
	promRW := launchPrometheus(t, "prometheus-remote-write", portOf(rwListener), fmt.Sprintf(backendsPromConfig,
		fmt.Sprintf(backendsScrapeJob, scrapeRemoteJob, remote.metricsTarget())),
		"--web.enable-remote-write-receiver")
	promOTLP.waitReady(t)
	promRW.waitReady(t)
	t.Logf("3 collectors and 2 Prometheus ready after %s", time.Since(started).Round(time.Millisecond))

	cases := []*backendCase{
		{name: "OTLP, explicit histograms", node: explicit, prom: promOTLP, scrapeJob: scrapeExplicitJob, pushJob: defaultService},
		{
			name: "OTLP, exponential histograms", node: exponential, prom: promOTLP, scrapeJob: scrapeExponentialJob,
			pushJob: exponentialService, exponential: true,
		},
		{
			name: "remote write", node: remote, prom: promRW, scrapeJob: scrapeRemoteJob, pushJob: defaultService,
			extra: map[string]string{"otel_scope_name": connectorScope, "otel_scope_version": builderVersion(t, testproc.RepoRoot(t), "builder-config.yaml")},
		},
	}

	base := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	for _, c := range cases {
		sendGRPC(ctx, t, c.node.grpcPort, buildTraces(0, base))
	}
	sent := time.Now()
	refs := make([]map[string]*dto.MetricFamily, len(cases))
	for i, c := range cases {
		// The reference: every llm_* series llm_prometheus serves is the scenario's.
		assertLLMMetricsDims(t, scrapeText(ctx, t, c.node.metricsURL()), 1, true)
		refs[i] = scrapeProto(ctx, t, c.node.metricsURL())
	}
	if t.Failed() {
		t.Fatal("llm_prometheus does not serve the scenario: no reference to compare with")
	}

	// One deadline for all cases: the pushes and scrapes run in parallel.
	deadline := sent.Add(30 * time.Second)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := refs[i]
			var got *backendViews
			poll(t, max(time.Until(deadline), time.Second), 200*time.Millisecond, c.name+": every pushed series equals the scraped one", func() (bool, error) {
				v, err := c.views(ctx, ref)
				if err != nil {
					return false, err
				}
				if diff := v.diff(); diff != "" {
					return false, fmt.Errorf("%s", diff)
				}
				got = v
				return true, nil
			})
			t.Logf("%d scraped series (%d native), %d pushed (%d native): equal, %s after the send",
				len(got.scraped.floats)+len(got.scraped.hists), len(got.scraped.hists),
				len(got.pushed.floats)+len(got.pushed.hists), len(got.pushed.hists), time.Since(sent).Round(time.Millisecond))
			t.Logf("pushed labels beside the exporter's: job=%q instance=%q %v; le values: scraped %v, pushed %v",
				c.pushJob, got.instance, c.extra, got.scraped.les, got.pushed.les)
			// instance is the collector's service.instance.id, which its log shows.
			if id := fmt.Sprintf("%q: %q", "service.instance.id", got.instance); !c.node.proc.LogContains(id) {
				t.Errorf("instance %q is not the collector's service.instance.id (its log has no %s)", got.instance, id)
			}
			if others, err := c.prom.queryInstant(ctx, fmt.Sprintf(`group by (__name__) ({job=%q, __name__!~"llm_.+"})`, c.pushJob)); err == nil {
				var names []string
				for _, o := range others {
					names = append(names, o.Metric["__name__"])
				}
				t.Logf("pushed beside the llm_* series (not compared): %v", names)
			}
			if got.costInexact > 0 {
				t.Logf("%d cost series equal only to 1e-9", got.costInexact)
			}
			c.comparePromQL(ctx, t, ref)
		})
	}
	// The collectors stop before the backends (the cleanups would stop the
	// backends first), so their last flush at shutdown is received too.
	for _, c := range cases {
		c.node.proc.Stop(t)
	}
	t.Logf("whole test: %s", time.Since(started).Round(time.Millisecond))
}

// rawSample is one series of an instant query: a float or a native histogram.
type rawSample struct {
	Metric    map[string]string `json:"metric"`
	Value     []json.RawMessage `json:"value"`     // [ts, "v"]
	Histogram []json.RawMessage `json:"histogram"` // [ts, {count, sum, buckets}]
}

// nativeHist is a native histogram as the query API writes it.
type nativeHist struct {
	Count   string            `json:"count"`
	Sum     string            `json:"sum"`
	Buckets []json.RawMessage `json:"buckets"` // [boundary rule, lower, upper, count]
}

// queryInstant runs an instant query at the current time.
func (p *promServer) queryInstant(ctx context.Context, q string) ([]rawSample, error) {
	u := fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s", p.port, url.QueryEscape(q))
	body, _, err := get(ctx, u, "application/json")
	if err != nil {
		return nil, err
	}
	var resp promResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", q, err, body)
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("%s: %s: %s", q, resp.ErrorType, resp.Error)
	}
	if resp.Data.ResultType != "vector" {
		return nil, fmt.Errorf("%s: result type %s, want vector", q, resp.Data.ResultType)
	}
	var out []rawSample
	if err := json.Unmarshal(resp.Data.Result, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	return out, nil
}

// floatOf is the value of a float sample.
func (s *rawSample) floatOf() (float64, error) {
	if len(s.Value) != 2 {
		return 0, fmt.Errorf("%v: no float value", s.Metric)
	}
	var v string
	if err := json.Unmarshal(s.Value[1], &v); err != nil {
		return 0, err
	}
	return strconv.ParseFloat(v, 64)
}

// seriesView is the series of one job keyed by backendKey: floats and
// native histograms, and the le values met.
type seriesView struct {
	floats map[string]float64
	hists  map[string]nativeHist
	les    []string // the distinct raw le values of llm_request_duration_seconds_bucket
}

// backendKey is name{labels} with drop removed and le written canonically
// (Prometheus' scrape stores le="1.0", its OTLP receiver and the
// remote-write exporter le="1").
func backendKey(name string, labels map[string]string, drop func(string) bool) string {
	var parts []string
	for k, v := range labels {
		if k == "__name__" || drop(k) {
			continue
		}
		if k == "le" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				v = strconv.FormatFloat(f, 'g', -1, 64)
			}
		}
		parts = append(parts, fmt.Sprintf("%s=%q", k, v))
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// view reads every llm_* series of job; check vets each series' labels
// before they are dropped (drop).
func (p *promServer) view(ctx context.Context, job string, drop func(string) bool, check func(map[string]string) error) (*seriesView, error) {
	res, err := p.queryInstant(ctx, fmt.Sprintf(`{job=%q, __name__=~"llm_.+"}`, job))
	if err != nil {
		return nil, err
	}
	v := &seriesView{floats: map[string]float64{}, hists: map[string]nativeHist{}}
	for i := range res {
		s := &res[i]
		if err := check(s.Metric); err != nil {
			return nil, err
		}
		name := s.Metric["__name__"]
		k := backendKey(name, s.Metric, drop)
		if name == "llm_request_duration_seconds_bucket" && !slices.Contains(v.les, s.Metric["le"]) {
			v.les = append(v.les, s.Metric["le"])
		}
		if len(s.Histogram) == 2 {
			var h nativeHist
			if err := json.Unmarshal(s.Histogram[1], &h); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			v.hists[k] = h
			continue
		}
		f, err := s.floatOf()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		v.floats[k] = f
	}
	sort.Slice(v.les, func(i, j int) bool {
		a, _ := strconv.ParseFloat(v.les[i], 64)
		b, _ := strconv.ParseFloat(v.les[j], 64)
		return a < b
	})
	return v, nil
}

// backendViews are the scraped and pushed series of a case, and what the
// reference (llm_prometheus' /metrics) says they must be.
type backendViews struct {
	c                  *backendCase
	ref                map[string]*dto.MetricFamily
	scraped, pushed    *seriesView
	instance           string
	costInexact        int
	refFloats          map[string]float64
	refNative, natives map[string]bool // native series keys; native family names
}

func (c *backendCase) views(ctx context.Context, ref map[string]*dto.MetricFamily) (*backendViews, error) {
	v := &backendViews{c: c, ref: ref}
	v.refFloats, v.refNative, v.natives = referenceSeries(ref)
	var err error
	v.scraped, err = c.prom.view(ctx, c.scrapeJob,
		func(l string) bool { return l == "job" || l == "instance" },
		func(map[string]string) error { return nil })
	if err != nil {
		return nil, err
	}
	v.pushed, err = c.prom.view(ctx, c.pushJob,
		func(l string) bool { _, ok := c.extra[l]; return ok || l == "job" || l == "instance" },
		func(m map[string]string) error {
			inst := m["instance"]
			switch {
			case inst == "":
				return fmt.Errorf("pushed series %v has no instance", m)
			case v.instance == "":
				v.instance = inst
			case inst != v.instance:
				return fmt.Errorf("pushed series of two instances, %q and %q: %v", v.instance, inst, m)
			}
			for k, want := range c.extra {
				if m[k] != want {
					return fmt.Errorf("pushed series %v: %s=%q, want %q", m, k, m[k], want)
				}
			}
			return nil
		})
	return v, err
}

// referenceSeries are the series a scrape of ref stores (float samples by
// backendKey with their values; native histogram keys), and the names of the
// families with native buckets.
func referenceSeries(ref map[string]*dto.MetricFamily) (floats map[string]float64, native, natives map[string]bool) {
	floats, native, natives = map[string]float64{}, map[string]bool{}, map[string]bool{}
	none := func(string) bool { return false }
	for name, f := range ref {
		if !strings.HasPrefix(name, "llm_") {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := labelsOf(m)
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				floats[backendKey(name, labels, none)] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				floats[backendKey(name, labels, none)] = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				floats[backendKey(name, labels, none)] = m.GetUntyped().GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				floats[backendKey(name+"_sum", labels, none)] = h.GetSampleSum()
				floats[backendKey(name+"_count", labels, none)] = float64(h.GetSampleCount())
				le := func(v float64) map[string]string {
					out := labelsOf(m)
					out["le"] = strconv.FormatFloat(v, 'g', -1, 64)
					return out
				}
				for _, b := range h.GetBucket() {
					floats[backendKey(name+"_bucket", le(b.GetUpperBound()), none)] = float64(b.GetCumulativeCount())
				}
				floats[backendKey(name+"_bucket", le(math.Inf(1)), none)] = float64(h.GetSampleCount())
				if h.Schema != nil {
					native[backendKey(name, labels, none)] = true
					natives[name] = true
				}
			}
		}
	}
	return floats, native, natives
}

// nativeFamily reports whether the series named name (a family's name or
// one of its _bucket, _sum, _count series) belongs to a family with native
// buckets, and that family.
func (v *backendViews) nativeFamily(name string) (string, bool) {
	for _, suffix := range []string{"_bucket", "_sum", "_count", ""} {
		if f, ok := strings.CutSuffix(name, suffix); ok && v.natives[f] {
			return f, true
		}
	}
	return "", false
}

// diff lists the differences: the scrape against the reference, then the
// push against the scrape ("" if none).
func (v *backendViews) diff() string {
	var out []string
	add := func(format string, args ...any) {
		if len(out) < 20 {
			out = append(out, fmt.Sprintf(format, args...))
		}
	}
	// The scrape holds what llm_prometheus serves (it has run once since the send).
	for k, w := range v.refFloats {
		if g, ok := v.scraped.floats[k]; !ok || g != w {
			add("scraped %s = %v (present: %v), /metrics has %v", k, g, ok, w)
		}
	}
	for k := range v.scraped.floats {
		if _, ok := v.refFloats[k]; !ok {
			add("scraped %s is not on /metrics", k)
		}
	}
	for k := range v.refNative {
		if _, ok := v.scraped.hists[k]; !ok {
			add("scraped native histogram %s is missing", k)
		}
	}
	if len(v.scraped.hists) != len(v.refNative) {
		add("%d scraped native histograms, /metrics has %d", len(v.scraped.hists), len(v.refNative))
	}

	// The push: the same float series; with exponential histograms, those
	// of the native families are native histograms instead of classic series.
	// First the names, which tell a family named otherwise at once.
	scrapedNames, pushedNames := v.scraped.names(), v.pushed.names()
	scrapedNames = slices.DeleteFunc(scrapedNames, func(n string) bool {
		f, native := v.nativeFamily(n)
		// A native family's native series (named f) are pushed only with
		// exponential histograms, and then its classic ones are not.
		return native && (n == f) != v.c.exponential
	})
	if len(pushedNames) > 0 && !slices.Equal(pushedNames, scrapedNames) {
		var missing, unexpected []string
		for _, n := range scrapedNames {
			if !slices.Contains(pushedNames, n) {
				missing = append(missing, n)
			}
		}
		for _, n := range pushedNames {
			if !slices.Contains(scrapedNames, n) {
				unexpected = append(unexpected, n)
			}
		}
		add("pushed names %v are not scraped; scraped names %v are not pushed", unexpected, missing)
	}
	v.costInexact = 0
	wantFloats := 0
	for k, w := range v.scraped.floats {
		name := k[:strings.IndexByte(k, '{')]
		if _, native := v.nativeFamily(name); native && v.c.exponential {
			continue
		}
		wantFloats++
		g, ok := v.pushed.floats[k]
		switch {
		case !ok:
			add("pushed %s is missing (scraped: %v)", k, w)
		case g == w:
		case strings.Contains(name, "cost") && math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w)):
			v.costInexact++
		default:
			add("pushed %s = %v, scraped %v", k, g, w)
		}
	}
	if len(v.pushed.floats) != wantFloats {
		for k, g := range v.pushed.floats {
			if _, ok := v.scraped.floats[k]; !ok {
				add("pushed %s = %v is not scraped", k, g)
			}
		}
		add("%d pushed float series, want %d", len(v.pushed.floats), wantFloats)
	}
	if !v.c.exponential {
		for k := range v.pushed.hists {
			add("pushed native histogram %s, want classic series only", k)
		}
		return strings.Join(out, "\n")
	}
	for k, w := range v.scraped.hists {
		g, ok := v.pushed.hists[k]
		if !ok {
			add("pushed native histogram %s is missing", k)
			continue
		}
		name, rest, _ := strings.Cut(k, "{")
		count, sum := v.scraped.floats[name+"_count{"+rest], v.scraped.floats[name+"_sum{"+rest]
		if gc, err := strconv.ParseFloat(g.Count, 64); err != nil || gc != count {
			add("pushed %s: count %s, scraped %s_count %v", k, g.Count, name, count)
		}
		if gs, err := strconv.ParseFloat(g.Sum, 64); err != nil || gs != sum {
			add("pushed %s: sum %s, scraped %s_sum %v", k, g.Sum, name, sum)
		}
		if count > 0 && len(w.Buckets) == 0 {
			add("scraped native histogram %s has no buckets (count %v)", k, count)
		}
		if gb, wb := bucketsString(g.Buckets), bucketsString(w.Buckets); gb != wb {
			add("pushed %s: buckets %s, scraped %s", k, gb, wb)
		}
	}
	if len(v.pushed.hists) != len(v.scraped.hists) {
		add("%d pushed native histograms, %d scraped", len(v.pushed.hists), len(v.scraped.hists))
	}
	return strings.Join(out, "\n")
}

// names are the distinct metric names of v, sorted.
func (v *seriesView) names() []string {
	var out []string
	add := func(key string) {
		if n := key[:strings.IndexByte(key, '{')]; !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for k := range v.floats {
		add(k)
	}
	for k := range v.hists {
		add(k)
	}
	sort.Strings(out)
	return out
}

func bucketsString(b []json.RawMessage) string {
	parts := make([]string, len(b))
	for i, r := range b {
		parts[i] = string(r)
	}
	return strings.Join(parts, " ")
}

// comparePromQL asserts, family by family, that a sum by every label of the
// family over the push equals the same over the scrape: counters and gauges,
// classic _bucket (by le too), _sum and _count, and for native histograms
// histogram_count and histogram_sum against the scraped _count and _sum.
func (c *backendCase) comparePromQL(ctx context.Context, t *testing.T, ref map[string]*dto.MetricFamily) {
	t.Helper()
	_, _, natives := referenceSeries(ref)
	var names []string
	for name := range ref {
		if strings.HasPrefix(name, "llm_") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	queries := 0
	compare := func(pushQ, scrapeQ string, series int) {
		t.Helper()
		queries++
		push, err := c.prom.queryInstant(ctx, pushQ)
		if err != nil {
			t.Error(err)
			return
		}
		scrape, err := c.prom.queryInstant(ctx, scrapeQ)
		if err != nil {
			t.Error(err)
			return
		}
		got, want := map[string]float64{}, map[string]float64{}
		for _, r := range []struct {
			res []rawSample
			m   map[string]float64
		}{{push, got}, {scrape, want}} {
			for i := range r.res {
				f, err := r.res[i].floatOf()
				if err != nil {
					t.Error(err)
					return
				}
				r.m[backendKey("", r.res[i].Metric, func(string) bool { return false })] = f
			}
		}
		if len(want) != series {
			t.Errorf("%s: %d series, want %d (the family's on /metrics)", scrapeQ, len(want), series)
		}
		tol := 0.0
		if strings.Contains(pushQ, "cost") {
			tol = 1e-9
		}
		if !approxEqual(got, want, tol) {
			t.Errorf("%s\n  = %v\n%s\n  = %v", pushQ, fmtMap(got), scrapeQ, fmtMap(want))
		}
	}
	for _, name := range names {
		f := ref[name]
		var by []string
		for _, m := range f.GetMetric() {
			for _, l := range labelNames(m) {
				if !slices.Contains(by, l) {
					by = append(by, l)
				}
			}
		}
		sort.Strings(by)
		sumBy := func(expr string, labels ...string) string {
			return fmt.Sprintf("sum by (%s) (%s)", strings.Join(append(slices.Clone(by), labels...), ", "), expr)
		}
		sel := func(n, job string) string { return fmt.Sprintf("%s{job=%q}", n, job) }
		n := len(f.GetMetric())
		switch {
		case f.GetType() != dto.MetricType_HISTOGRAM:
			compare(sumBy(sel(name, c.pushJob)), sumBy(sel(name, c.scrapeJob)), n)
		case c.exponential && natives[name]:
			compare("histogram_count("+sumBy(sel(name, c.pushJob))+")", sumBy(sel(name+"_count", c.scrapeJob)), n)
			compare("histogram_sum("+sumBy(sel(name, c.pushJob))+")", sumBy(sel(name+"_sum", c.scrapeJob)), n)
		default:
			buckets := 0
			for _, m := range f.GetMetric() {
				buckets++ // +Inf, which the exposition may leave out
				for _, b := range m.GetHistogram().GetBucket() {
					if !math.IsInf(b.GetUpperBound(), 1) {
						buckets++
					}
				}
			}
			compare(sumBy(sel(name+"_bucket", c.pushJob), "le"), sumBy(sel(name+"_bucket", c.scrapeJob), "le"), buckets)
			compare(sumBy(sel(name+"_sum", c.pushJob)), sumBy(sel(name+"_sum", c.scrapeJob)), n)
			compare(sumBy(sel(name+"_count", c.pushJob)), sumBy(sel(name+"_count", c.scrapeJob)), n)
		}
	}
	if !t.Failed() {
		t.Logf("%d families, %d PromQL comparisons: push = scrape", len(names), queries)
	}
}

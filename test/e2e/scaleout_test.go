// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// The scale-out topology of docs/deploy-gateway.md, on loopback:
//
//	sender ─► otelcol-llm-gateway (config/gateway.yaml, load_balancing by trace ID)
//	            ├─► replica-0 ┐
//	            ├─► replica-1 ├─ otelcol-llm (config/otelcol.yaml) ◄─ Prometheus job otelcol-llm-replicas
//	            └─► replica-2 ┘
//	sender ─► reference: one more otelcol-llm fed the same requests directly ◄─ job otelcol-llm-reference
//
// and the claim under test: what the replicas count, added up, is exactly
// what one collector counts for the same traffic, through Prometheus too.

const (
	jobReplicas  = "otelcol-llm-replicas"
	jobReference = "otelcol-llm-reference"
	jobRun       = "otelcol-llm-run"
)

// gatewayTestTimings shorten config/gateway.yaml's retry timings (timeout 30s,
// per-replica retries up to 25s) so that a request for a dead replica is
// given up after 2s instead of 30s; the mechanism is the shipped one.
var gatewayTestTimings = []string{
	"exporters::load_balancing::timeout=2s",
	"exporters::load_balancing::protocol::otlp::timeout=1s",
	"exporters::load_balancing::protocol::otlp::retry_on_failure::initial_interval=100ms",
	"exporters::load_balancing::protocol::otlp::retry_on_failure::max_interval=400ms",
	"exporters::load_balancing::protocol::otlp::retry_on_failure::max_elapsed_time=1500ms",
}

// TestGatewayConfigs: every shipped gateway configuration, and the
// groupbytrace replica configuration, pass `validate` of the binary that runs
// them (it builds every component, resolvers included); broken ones fail
// with the offending field named.
func TestGatewayConfigs(t *testing.T) {
	gateway := testproc.Prebuilt(t, "OTELCOL_LLM_GATEWAY_BINARY", "_build/otelcol-llm-gateway", "build")
	otelcol := testproc.Prebuilt(t, "OTELCOL_LLM_BINARY", "_build/otelcol-llm", "build")
	root := testproc.RepoRoot(t)
	// validateEnv runs `validate` with OTELCOL_LLM_BACKENDS set to backends,
	// or unset when backends is nil.
	validateEnv := func(backends *string, bin string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"validate"}, args...)...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "OTELCOL_LLM_BACKENDS=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		if backends != nil {
			cmd.Env = append(cmd.Env, "OTELCOL_LLM_BACKENDS="+*backends)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	validate := func(bin string, args ...string) (string, error) { return validateEnv(nil, bin, args...) }
	configs, err := filepath.Glob(filepath.Join(root, "config", "gateway*.yaml"))
	if err != nil || len(configs) < 3 {
		t.Fatalf("config/gateway*.yaml: %v %v, want gateway.yaml, gateway-dns.yaml and gateway-k8s.yaml", configs, err)
	}
	for _, c := range configs {
		if out, err := validate(gateway, "--config", c); err != nil {
			t.Errorf("otelcol-llm-gateway validate --config %s: %v\n%s", c, err, out)
		}
	}
	// The Kubernetes copies (make deploy-gen) of gateway-dns.yaml and
	// gateway-k8s.yaml, with OTELCOL_LLM_BACKENDS as the manifests set it;
	// the variable reaches the resolver: a name the resolver refuses fails.
	inCluster := "otelcol-llm-headless.otelcol-llm.svc.cluster.local"
	for _, c := range []string{"gateway", "gateway-k8s"} {
		copied := filepath.Join(root, "deploy", "kubernetes", "overlays", c, "gateway-config.yaml")
		if out, err := validateEnv(&inCluster, gateway, "--config", copied); err != nil {
			t.Errorf("OTELCOL_LLM_BACKENDS=%s otelcol-llm-gateway validate --config %s: %v\n%s", inCluster, copied, err, out)
		}
	}
	for _, bad := range []struct {
		config, backends, want string
	}{
		{"gateway-dns.yaml", "", "no hostname specified to resolve the backends"},
		{"gateway-k8s.yaml", "", "no service specified to resolve the backends"},
		{"gateway-k8s.yaml", "otelcol-llm-headless.otelcol-llm.svc", `missing cluster domain in "otelcol-llm-headless.otelcol-llm.svc"`},
	} {
		out, err := validateEnv(&bad.backends, gateway, "--config", filepath.Join(root, "config", bad.config))
		if err == nil || !strings.Contains(out, bad.want) {
			t.Errorf("OTELCOL_LLM_BACKENDS=%q validate --config config/%s: %v, want an error containing %q\n%s",
				bad.backends, bad.config, err, bad.want, out)
		}
	}

	if out, err := validate(otelcol, "--config", filepath.Join(root, "config", "otelcol-groupbytrace.yaml")); err != nil {
		t.Errorf("otelcol-llm validate --config config/otelcol-groupbytrace.yaml: %v\n%s", err, out)
	}
	// otelcol-llm stays lean: it has no load_balancing exporter.
	if out, err := validate(otelcol, "--config", filepath.Join(root, "config", "gateway.yaml")); err == nil ||
		!strings.Contains(out, "load_balancing") {
		t.Errorf("otelcol-llm validate --config config/gateway.yaml: %v, want an error naming load_balancing (not built in)\n%s", err, out)
	}

	gw := filepath.Join(root, "config", "gateway.yaml")
	for _, bad := range []struct {
		set, want string
	}{
		{"exporters::load_balancing::protocol::otlp::retry_on_failure::max_elapsd_time=1s", "max_elapsd_time"},
		{"exporters::load_balancing::routing_key=spanID", "unsupported routing_key: spanID"},
		{"exporters::load_balancing::resolver::dns::hostname=replicas.example", "only one resolver should be specified"},
		{"exporters::load_balancing::sending_queue::queue_size=-1", "queue_size"},
	} {
		out, err := validate(gateway, "--config", gw, "--set", bad.set)
		if err == nil || !strings.Contains(out, bad.want) {
			t.Errorf("validate with --set %s: %v, want an error containing %q\n%s", bad.set, err, bad.want, out)
		}
	}
}

// stProm is the project's Prometheus with start timestamps (the created
// timestamps of client_golang's protobuf exposition) stored with every sample
// (st-storage) and used by rate() and increase() (use-start-timestamps).
type stProm struct {
	*promServer
	cfgPath string
}

// scrapeJob is one scrape configuration: targets, and the job label they get.
type scrapeJob struct {
	name     string // job_name
	job      string // job label written by relabeling ("" = name)
	targets  []string
	interval string
}

func promConfigText(jobs []scrapeJob, ruleFiles []string) string {
	var b strings.Builder
	b.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
	if len(ruleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for _, f := range ruleFiles {
			fmt.Fprintf(&b, "  - %s\n", f)
		}
	}
	b.WriteString("scrape_configs:\n")
	if len(jobs) == 0 {
		b.WriteString("  []\n")
	}
	for _, j := range jobs {
		fmt.Fprintf(&b, "  - job_name: %s\n    scrape_interval: %s\n    scrape_timeout: 1s\n", j.name, j.interval)
		b.WriteString("    scrape_protocols: [PrometheusProto]\n    scrape_native_histograms: true\n    always_scrape_classic_histograms: true\n")
		fmt.Fprintf(&b, "    static_configs:\n      - targets: [%s]\n", strings.Join(j.targets, ", "))
		if j.job != "" {
			fmt.Fprintf(&b, "    relabel_configs:\n      - target_label: job\n        replacement: %s\n", j.job)
		}
	}
	return b.String()
}

func startPrometheusST(t *testing.T) *stProm {
	t.Helper()
	bin := testproc.Prebuilt(t, "PROMETHEUS_BINARY", "bin/prometheus", "tools")
	dir := t.TempDir()
	p := &stProm{promServer: &promServer{}, cfgPath: filepath.Join(dir, "prometheus.yml")}
	if err := os.WriteFile(p.cfgPath, []byte(promConfigText(nil, nil)), 0o600); err != nil {
		t.Fatal(err)
	}
	// A port picked by testproc.FreePorts can be taken by another process before
	// Prometheus binds it: then start again on another (at most 3 times).
	for attempt := 1; ; attempt++ {
		p.port = testproc.FreePorts(t, 1)[0]
		p.proc = testproc.Start(t, "prometheus", bin,
			"--config.file="+p.cfgPath,
			"--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("data-%d", attempt)),
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", p.port),
			"--enable-feature=st-storage,use-start-timestamps",
			// New targets of a reloaded configuration start at once, not at the
			// next 5s tick of the scrape manager.
			"--scrape.discovery-reload-interval=100ms",
			"--log.level=info",
		)
		ready := fmt.Sprintf("http://127.0.0.1:%d/-/ready", p.port)
		var taken bool
		poll(t, 60*time.Second, 50*time.Millisecond, "Prometheus ready", func() (bool, error) {
			if p.proc.Exited() {
				if taken = p.proc.LogContains("address already in use"); taken && attempt < 3 {
					return true, nil
				}
				t.Fatalf("prometheus exited: %v", p.proc.Err())
			}
			_, _, err := get(context.Background(), ready, "")
			return err == nil, err
		})
		if !taken {
			return p
		}
		t.Logf("prometheus: port %d was taken by another process; starting it on another", p.port)
	}
}

// reload writes the configuration and signals Prometheus to load it.
func (p *stProm) reload(t *testing.T, cfg string) {
	t.Helper()
	// Write and rename: a reload still running never reads half a file.
	tmp := p.cfgPath + ".new"
	if err := os.WriteFile(tmp, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p.cfgPath); err != nil {
		t.Fatal(err)
	}
	if err := p.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("SIGHUP prometheus: %v", err)
	}
}

// scrapeOnce has Prometheus scrape each target of jobs (one target each)
// exactly once: a job is started, and removed by a configuration reload as
// soon as its first scrape is stored, well before its second (interval 2s).
//
// Why once. Prometheus extrapolates rate() and increase() from the samples in
// the window to its ends, by amounts that depend on when each target happened
// to be scraped; every target has its own scrape phase, so the rates of three
// replicas and of the reference would differ by a few percent however exact
// the counters are. A counter with exactly one sample in the window and its
// start timestamp inside the window is the one case without extrapolation
// (Prometheus' extrapolatedRate: the start timestamp stands for a zero
// sample, and with one sample there is no interval to extrapolate by):
// increase() is then the sample's value and rate() that over the range, for
// every target, whatever its phase. So every rate-based rule and panel can be
// compared exactly.
func (p *stProm) scrapeOnce(ctx context.Context, t *testing.T, jobs []scrapeJob) {
	t.Helper()
	active := map[string]scrapeJob{}
	for _, j := range jobs {
		active[j.name] = j
	}
	config := func() string {
		var js []scrapeJob
		for _, j := range jobs {
			if _, ok := active[j.name]; ok {
				js = append(js, j)
			}
		}
		return promConfigText(js, nil)
	}
	p.reload(t, config())
	deadline := time.Now().Add(30 * time.Second)
	for len(active) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("targets of %v not scraped within 30s", active)
		}
		up, err := p.queryVector(ctx, "count_over_time(up[1m])", time.Now().UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		var done []string
		for name, j := range active {
			for _, v := range up {
				if v.labels["instance"] == j.targets[0] && v.flat["value"] >= 1 {
					done = append(done, name)
				}
			}
		}
		if len(done) > 0 {
			for _, name := range done {
				delete(active, name)
			}
			p.reload(t, config())
		}
		time.Sleep(10 * time.Millisecond) // polling interval, bounded by the deadline above
	}
}

// assertScrapedOnce checks that every target of jobs has exactly one stored
// scrape, a successful one (call it at least one scrape interval after
// scrapeOnce returned, when a second scrape would have happened).
func (p *stProm) assertScrapedOnce(ctx context.Context, t *testing.T, jobs []scrapeJob) {
	t.Helper()
	now := time.Now().UnixMilli()
	counts, err := p.queryVector(ctx, "count_over_time(up[5m])", now)
	if err != nil {
		t.Fatal(err)
	}
	mins, err := p.queryVector(ctx, "min_over_time(up[5m])", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		var found bool
		for key, v := range counts {
			if v.labels["instance"] != j.targets[0] {
				continue
			}
			found = true
			if v.flat["value"] != 1 || mins[key].flat["value"] != 1 {
				t.Fatalf("%s (%s): %v scrapes stored, lowest up %v; want exactly one successful scrape "+
					"(the machine was too slow to stop the job within its 2s scrape interval)",
					j.name, j.targets[0], v.flat["value"], mins[key].flat["value"])
			}
		}
		if !found {
			t.Fatalf("%s (%s): no scrape stored", j.name, j.targets[0])
		}
	}
}

// lastInstanceScrapeMs is the timestamp of the latest stored scrape of
// instance in job (0 if none).
func (p *stProm) lastInstanceScrapeMs(ctx context.Context, job, instance string) (int64, error) {
	res, err := p.query(ctx, fmt.Sprintf(`up{job=%q,instance=%q}[10s]`, job, instance), time.Now().UnixMilli())
	if err != nil || len(res) == 0 || len(res[0].Values) == 0 {
		return 0, err
	}
	ts, _, err := pointMs(res[0].Values[len(res[0].Values)-1])
	return ts, err
}

// telemetry reads a collector's own metrics endpoint.
func telemetry(ctx context.Context, t *testing.T, n *otelNode) map[string]*dto.MetricFamily {
	t.Helper()
	return scrapeText(ctx, t, n.telemetryURL())
}

// spansReceived is the number of spans llm_prometheus took on replica n.
func spansReceived(ctx context.Context, t *testing.T, n *otelNode) float64 {
	t.Helper()
	return sampleSum(telemetry(ctx, t, n), "otelcol_exporter_llm_prometheus_spans_received", nil)
}

// waitSpans polls until llm_prometheus of the given nodes took want spans in
// total (never more).
func waitSpans(ctx context.Context, t *testing.T, what string, want float64, nodes ...*otelNode) {
	t.Helper()
	poll(t, 30*time.Second, 50*time.Millisecond, what, func() (bool, error) {
		var got float64
		for _, n := range nodes {
			got += spansReceived(ctx, t, n)
		}
		if got > want {
			t.Fatalf("%s: %v spans received, more than the %v sent", what, got, want)
		}
		return got == want, nil
	})
}

// requestsByModel sums llm_requests_total by model over the scrapes.
func requestsByModel(scrapes ...map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, mfs := range scrapes {
		for _, m := range mfs["llm_requests_total"].GetMetric() {
			out[labelsOf(m)["model"]] += m.GetCounter().GetValue()
		}
	}
	return out
}

func intsToFloats(m map[string]int) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}

// gatewayCounts are the gateway's own counters that account for spans.
type gatewayCounts struct {
	accepted, refused, sent, failed, enqueueFailed, queued float64
	outcome                                                map[string]float64 // "endpoint/success" → exports
}

// gatewayCountsOf reads gatewayCounts from a scrape of the gateway's own
// metrics (the load_balancing exporter's and the receivers').
func gatewayCountsOf(mfs map[string]*dto.MetricFamily) gatewayCounts {
	lb := map[string]string{"exporter": "load_balancing"}
	c := gatewayCounts{
		accepted:      sampleSum(mfs, "otelcol_receiver_accepted_spans", nil),
		refused:       sampleSum(mfs, "otelcol_receiver_refused_spans", nil),
		sent:          sampleSum(mfs, "otelcol_exporter_sent_spans", lb),
		failed:        sampleSum(mfs, "otelcol_exporter_send_failed_spans", lb),
		enqueueFailed: sampleSum(mfs, "otelcol_exporter_enqueue_failed_spans", lb),
		queued:        sampleSum(mfs, "otelcol_exporter_queue_size", lb),
		outcome:       map[string]float64{},
	}
	for _, m := range mfs["otelcol_loadbalancer_backend_outcome"].GetMetric() {
		l := labelsOf(m)
		c.outcome[l["endpoint"]+"/"+l["success"]] += m.GetCounter().GetValue()
	}
	return c
}

// readGateway scrapes the gateway's own metrics; the gateway must have
// refused no span.
func readGateway(ctx context.Context, t *testing.T, gw *otelNode) gatewayCounts {
	t.Helper()
	c := gatewayCountsOf(telemetry(ctx, t, gw))
	if c.refused != 0 {
		t.Errorf("gateway refused %v spans", c.refused)
	}
	return c
}

// TestScaleOut runs the gateway, three replicas and the reference, and a real
// Prometheus with the shipped rules, through: (a) mixed traffic with nested
// calls: the replicas' /metrics add up to the reference's, sample for sample;
// parents and children split over two requests count twice on both sides
// (no groupbytrace); (b) the same through Prometheus: every llm_* family
// summed without instance, every recording rule and every dashboard query
// equal for both jobs; (e) a replica killed: the gateway's own telemetry
// accounts for every span that did not reach a replica; (d) the replica
// restarted on the same ports: increase() over the run equals the calls that
// reached the replicas, across the counter reset.
func TestScaleOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	began := time.Now()
	root := testproc.RepoRoot(t)

	replicas := []*otelNode{
		newReplica(t, "replica-0", "otelcol.yaml"),
		newReplica(t, "replica-1", "otelcol.yaml"),
		newReplica(t, "replica-2", "otelcol.yaml"),
	}
	ref := newReplica(t, "reference", "otelcol.yaml")
	gw := newGateway(t, "gateway", replicas, gatewayTestTimings...)
	prom := startPrometheusST(t)
	startAll(t, append(replicas, ref)...)
	startAll(t, gw)
	toGateway, toReference := newOTLPClient(t, gw), newOTLPClient(t, ref)
	t.Logf("gateway, 3 replicas, reference and Prometheus ready after %s", time.Since(began).Round(time.Millisecond))

	// ---- Traffic: 480 traces in requests of 24 whole traces, then 40 traces
	// whose LangSmith runs and provider spans are exported in two requests.
	gen := newTrafficGen(20261204, 1)
	tr := gen.mixedTraces(480, 24)
	split := gen.splitTraces(40)
	tr.add(split)
	for _, req := range tr.requests {
		toGateway.send(ctx, t, req)
		toReference.send(ctx, t, req)
	}
	waitSpans(ctx, t, "every span at the replicas", float64(tr.spans), replicas...)
	waitSpans(ctx, t, "every span at the reference", float64(tr.spans), ref)
	t.Logf("sent %d traces (%d spans, %d requests) to the gateway and to the reference", tr.traces, tr.spans, len(tr.requests))

	// ---- (a) /metrics: the replicas' samples added up equal the reference's.
	var parts []flatSamples
	var metas []flatMeta
	var replicaScrapes []map[string]*dto.MetricFamily
	for _, r := range replicas {
		mfs := scrapeProto(ctx, t, r.metricsURL())
		replicaScrapes = append(replicaScrapes, mfs)
		f, m := flattenLLM(t, mfs)
		parts = append(parts, f)
		metas = append(metas, m)
		t.Logf("%s: %v calls", r.name, sumValues(requestsByModel(mfs)))
		if len(f) == 0 {
			t.Errorf("%s got no LLM call: trace-ID routing should spread 520 traces over 3 replicas", r.name)
		}
	}
	refScrape := scrapeProto(ctx, t, ref.metricsURL())
	sumRep, metaRep := sumFlat(t, parts, metas)
	refFlat, refMeta := flattenLLM(t, refScrape)
	compareFlat(t, "(a) llm_* samples summed over the replicas vs the reference", sumRep, refFlat)
	compareFlat(t, "(a) native histogram schema and zero threshold, replicas vs reference", metaRep, refMeta)
	// Exact counts, not only equal ones: the nested call of each trace counted
	// once (deduplicate_nested_calls, on in config/otelcol.yaml), and the split
	// ones twice on both sides: each half is an export of its own.
	wantCalls := intsToFloats(tr.calls)
	if wantCalls[modelSplit.name] != 2*40 {
		t.Fatalf("traffic: %s calls %v, want 80", modelSplit.name, wantCalls[modelSplit.name])
	}
	compareFlat(t, "(a) llm_requests_total by model, replicas", requestsByModel(replicaScrapes...), wantCalls)
	compareFlat(t, "(a) llm_requests_total by model, reference", requestsByModel(refScrape), wantCalls)
	// Every agent and tool span counts once (split traces included: they
	// are never split from their agent's), on both sides.
	if tr.agents == 0 || tr.tools == 0 {
		t.Fatalf("traffic: %d agent and %d tool spans, want some of each", tr.agents, tr.tools)
	}
	for what, scrapes := range map[string][]map[string]*dto.MetricFamily{"replicas": replicaScrapes, "reference": {refScrape}} {
		got := map[string]float64{}
		for _, mfs := range scrapes {
			got["llm_agent_invocations_total"] += sampleSum(mfs, "llm_agent_invocations_total", nil)
			got["llm_tool_calls_total"] += sampleSum(mfs, "llm_tool_calls_total", nil)
		}
		compareFlat(t, "(a) agent invocations and tool executions, "+what, got,
			map[string]float64{"llm_agent_invocations_total": float64(tr.agents), "llm_tool_calls_total": float64(tr.tools)})
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("(a) %d llm_* samples (counters, classic and native histogram buckets, sums, counts): replicas summed = reference; %v calls, %s split over two requests counted twice; %d agent invocations, %d tool executions",
		len(refFlat), sumValues(wantCalls), modelSplit.name, tr.agents, tr.tools)

	// ---- (b) Prometheus scrapes each replica (job otelcol-llm-replicas: three
	// targets, distinct instance) and the reference (job otelcol-llm-reference)
	// exactly once, then evaluates the shipped rules.
	var phaseB []scrapeJob
	for i, r := range replicas {
		phaseB = append(phaseB, scrapeJob{name: fmt.Sprintf("replica-%d", i), job: jobReplicas, targets: []string{r.metricsTarget()}, interval: "2s"})
	}
	phaseB = append(phaseB, scrapeJob{name: "reference", job: jobReference, targets: []string{ref.metricsTarget()}, interval: "2s"})
	prom.scrapeOnce(ctx, t, phaseB)
	stopped := time.Now()
	ruleFiles := []string{
		filepath.Join(root, "rules", "llm-recording.yaml"), filepath.Join(root, "rules", "llm-alerts.yaml"),
		filepath.Join(root, "rules", "llm-slo.yaml"), // the dashboard's SLOs row
	}
	prom.reload(t, promConfigText(nil, ruleFiles))
	var evalMs int64
	poll(t, 30*time.Second, 100*time.Millisecond, "recording rules evaluated for both jobs", func() (bool, error) {
		res, err := prom.queryVector(ctx, `timestamp(model:llm_requests:rate5m)`, time.Now().UnixMilli())
		if err != nil {
			return false, err
		}
		jobs := map[string]float64{}
		for _, v := range res {
			jobs[v.labels["job"]] = v.flat["value"]
		}
		if jobs[jobReplicas] == 0 || jobs[jobReference] == 0 || jobs[jobReplicas] != jobs[jobReference] {
			return false, nil
		}
		evalMs = int64(jobs[jobReference]*1000 + 0.5)
		return time.Since(stopped) > 2500*time.Millisecond, nil
	})
	prom.assertScrapedOnce(ctx, t, phaseB)
	t.Logf("(b) each target scraped once; rules evaluated; comparing at %s", time.UnixMilli(evalMs).Format(time.RFC3339Nano))

	bothJobs := func(what, query string) {
		t.Helper()
		var out [2]map[string]float64
		for i, job := range []string{jobReplicas, jobReference} {
			q := strings.ReplaceAll(query, "$JOB", job)
			v, err := prom.queryVector(ctx, q, evalMs, "job")
			if err != nil {
				t.Errorf("%s: %v", what, err)
				return
			}
			if len(v) == 0 {
				t.Errorf("%s: no result for job %s:\n  %s", what, job, q)
			}
			out[i] = flattenVector(v)
		}
		compareFlat(t, what, out[0], out[1])
	}

	// Every llm_* family, summed without instance. last_over_time: a stopped
	// job's series end with a staleness marker, which an instant selector
	// would return as no data.
	var names []string
	for name, mf := range refScrape {
		if !strings.HasPrefix(name, "llm_") {
			continue
		}
		if mf.GetType() != dto.MetricType_HISTOGRAM {
			names = append(names, name)
			continue
		}
		names = append(names, name+"_bucket", name+"_sum", name+"_count")
		// The native histogram, under the bare name; classicOnly has none.
		if !classicOnly[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		bothJobs("(b) sum without (instance) "+name,
			fmt.Sprintf(`sum without (instance) (last_over_time(%s{job="$JOB"}[10m]))`, name))
	}
	t.Logf("(b) %d llm_* series families (native histograms included): sum without (instance) over %s = %s", len(names), jobReplicas, jobReference)

	// increase() is exact (one sample per series, its start timestamp in range).
	for _, job := range []string{jobReplicas, jobReference} {
		v, err := prom.queryVector(ctx, fmt.Sprintf(`sum by (model) (increase(llm_requests_total{job=%q}[5m]))`, job), evalMs)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, e := range v {
			got[e.labels["model"]] = e.flat["value"]
		}
		compareFlat(t, "(b) sum by (model) (increase(llm_requests_total[5m])), job "+job, got, wantCalls)
	}

	// Every recording rule but the budget ones: no budget is configured
	// here, and they read the current window's series at the evaluation
	// time, which these stopped jobs no longer have (the budget rules'
	// replicas and restarts are rules/tests/budget-test.yaml's); nor those
	// of recordingNoData.
	var records []string
	for _, r := range recordNames(t, filepath.Join(root, "rules", "llm-recording.yaml")) {
		if _, noData := recordingNoData[r]; !strings.HasPrefix(r, "budget:") && !noData {
			records = append(records, r)
		}
	}
	for _, r := range records {
		bothJobs("(b) recording rule "+r, r+`{job="$JOB"}`)
	}
	t.Logf("(b) %d recording rules: equal for both jobs", len(records))

	// Every dashboard query.
	dq := readDashboardQueries(t, root)
	for _, q := range dq.Queries {
		if _, ok := dashboardNoData[q.Panel]; ok {
			continue
		}
		if !strings.Contains(q.Expr, `job="otelcol-llm"`) {
			t.Errorf("dashboard query %s / %s does not select job=\"otelcol-llm\": %s", q.Row, q.Panel, q.Expr)
			continue
		}
		bothJobs(fmt.Sprintf("(b) dashboard %s / %s [%s]", q.Row, q.Panel, q.RefID), strings.ReplaceAll(q.Expr, `job="otelcol-llm"`, `job="$JOB"`))
	}
	t.Logf("(b) %d dashboard queries: equal for both jobs", len(dq.Queries))

	// The alerts: the same alerts pending for both jobs.
	alerts := map[string]map[string]float64{}
	poll(t, 10*time.Second, 200*time.Millisecond, "alerting rules evaluated", func() (bool, error) {
		for _, job := range []string{jobReplicas, jobReference} {
			v, err := prom.queryVector(ctx, fmt.Sprintf(`ALERTS{job=%q}`, job), time.Now().UnixMilli(), "job")
			if err != nil {
				return false, err
			}
			alerts[job] = flattenVector(v)
		}
		return len(alerts[jobReference]) > 0, nil
	})
	compareFlat(t, "(b) ALERTS", alerts[jobReplicas], alerts[jobReference])
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("(b) alerts pending for both jobs: %d", len(alerts[jobReference]))

	// ---- (e), (d): the replicas scraped continuously (job otelcol-llm-run);
	// replica-2 killed, traffic while it is down, restarted on the same ports.
	var targets []string
	for _, r := range replicas {
		targets = append(targets, r.metricsTarget())
	}
	run := scrapeJob{name: jobRun, targets: targets, interval: "1s"}
	prom.reload(t, promConfigText([]scrapeJob{run}, ruleFiles))
	for _, r := range replicas {
		poll(t, 30*time.Second, 50*time.Millisecond, "a scrape of "+r.name+" in job "+jobRun, func() (bool, error) {
			ts, err := prom.lastInstanceScrapeMs(ctx, jobRun, r.metricsTarget())
			return ts > 0, err
		})
	}
	dead := replicas[2]
	preKill := scrapeProto(ctx, t, dead.metricsURL())
	preKillCalls := sumValues(requestsByModel(preKill))
	gw0 := readGateway(ctx, t, gw)
	live0 := spansReceived(ctx, t, replicas[0]) + spansReceived(ctx, t, replicas[1])
	dead.kill(t)
	killed := time.Now()
	t.Logf("(e) %s killed (SIGKILL) after %v calls", dead.name, preKillCalls)

	// (e) 45 traces, one request each, while replica-2 is down.
	outage := newTrafficGen(20261204, 2).singleTraces(45)
	for _, req := range outage.requests {
		toGateway.send(ctx, t, req)
	}
	var gw1 gatewayCounts
	poll(t, 30*time.Second, 100*time.Millisecond, "the gateway accounting for every span of the outage", func() (bool, error) {
		gw1 = readGateway(ctx, t, gw)
		return gw1.sent+gw1.failed-gw0.sent-gw0.failed == float64(outage.spans) && gw1.queued == 0, nil
	})
	live1 := spansReceived(ctx, t, replicas[0]) + spansReceived(ctx, t, replicas[1])
	delivered := live1 - live0
	failed := gw1.failed - gw0.failed
	deadEndpoint := dead.addr()
	deadOutcome := gw1.outcome[deadEndpoint+"/false"] - gw0.outcome[deadEndpoint+"/false"]
	t.Logf("(e) outage: %d spans in %d requests: %v delivered to the live replicas, %v counted failed (%v exports to %s failed)",
		outage.spans, len(outage.requests), delivered, failed, deadOutcome, deadEndpoint)
	switch {
	case gw1.accepted-gw0.accepted != float64(outage.spans):
		t.Errorf("(e) gateway accepted %v spans, want the %d sent", gw1.accepted-gw0.accepted, outage.spans)
	case gw1.sent-gw0.sent != delivered:
		t.Errorf("(e) gateway counted %v spans sent, the live replicas received %v", gw1.sent-gw0.sent, delivered)
	case failed != float64(outage.spans)-delivered:
		t.Errorf("(e) gateway counted %v spans failed, %v did not reach a replica", failed, float64(outage.spans)-delivered)
	case failed == 0:
		t.Errorf("(e) no span of the 45 traces was routed to %s: the outage was not exercised", dead.name)
	case deadOutcome*3 != failed || gw1.outcome[deadEndpoint+"/true"] != gw0.outcome[deadEndpoint+"/true"]:
		t.Errorf("(e) exports to %s: %v failed, %v succeeded since the kill; want %v failed (one per 3-span request), none succeeded",
			deadEndpoint, deadOutcome, gw1.outcome[deadEndpoint+"/true"]-gw0.outcome[deadEndpoint+"/true"], failed/3)
	case gw1.enqueueFailed != gw0.enqueueFailed:
		t.Errorf("(e) %v spans refused by the full queue, want none", gw1.enqueueFailed-gw0.enqueueFailed)
	}
	// The replica is seen down: up == 0, and the shipped alert is pending for it.
	poll(t, 15*time.Second, 200*time.Millisecond, "LLMCollectorDown pending for "+dead.name, func() (bool, error) {
		v, err := prom.queryVector(ctx, fmt.Sprintf(`ALERTS{alertname="LLMCollectorDown",job=%q,instance=%q}`, jobRun, dead.metricsTarget()), time.Now().UnixMilli())
		return len(v) == 1, err
	})

	// (d) Restart on the same ports; send traces until the restarted replica
	// again has every (model, template) it had before the kill.
	restarted := time.Now()
	dead.restart(t)
	prePairs := map[string]bool{}
	for _, m := range preKill["llm_requests_total"].GetMetric() {
		l := labelsOf(m)
		prePairs[l["model"]+"\x00"+l["template"]] = true
	}
	models := map[string]llmModel{}
	for _, m := range append(append([]llmModel(nil), trafficModels...), modelUnpriced, modelSplit) {
		models[m.name] = m
	}
	after := newTraffic()
	afterGen := newTrafficGen(20261204, 3)
	var gw2 gatewayCounts
	// Rounds: one trace (one request) per pair still missing, then wait until
	// the gateway has accounted for all of them (sent or failed).
	poll(t, 90*time.Second, 10*time.Millisecond, dead.name+" counting every (model, template) again", func() (bool, error) {
		have := map[string]bool{}
		for _, m := range scrapeText(ctx, t, dead.metricsURL())["llm_requests_total"].GetMetric() {
			l := labelsOf(m)
			have[l["model"]+"\x00"+l["template"]] = true
		}
		missing := 0
		for p := range prePairs {
			if have[p] {
				continue
			}
			missing++
			mt := strings.SplitN(p, "\x00", 2)
			m, ok := models[mt[0]]
			if !ok {
				t.Fatalf("(d) %s counted model %q, which the traffic does not send", dead.name, mt[0])
			}
			one := afterGen.pairTrace(m, mt[1])
			toGateway.send(ctx, t, one.requests[0])
			after.add(one)
		}
		poll(t, 30*time.Second, 50*time.Millisecond, "the gateway accounting for every span sent after the restart", func() (bool, error) {
			gw2 = readGateway(ctx, t, gw)
			return gw2.sent+gw2.failed-gw1.sent-gw1.failed == float64(after.spans) && gw2.queued == 0, nil
		})
		return missing == 0, nil
	})
	lostAfter := (gw2.failed - gw1.failed) / 3
	t.Logf("(d) %s restarted on the same ports after %s down; %d traces sent since (one per request), %v lost while the gateway reconnected",
		dead.name, restarted.Sub(killed).Round(time.Millisecond), after.traces, lostAfter)
	// The restarted replica's series carry new created timestamps.
	postRestart := scrapeProto(ctx, t, dead.metricsURL())
	assertCreatedAndNative(t, postRestart, restarted.Add(-time.Second))
	if preKillCalls == 0 || sumValues(requestsByModel(postRestart)) == 0 {
		t.Fatalf("(d) %s counted %v calls before the kill and %v after the restart: the reset is not exercised",
			dead.name, preKillCalls, sumValues(requestsByModel(postRestart)))
	}
	// Series that restarted at a value at least as high as before the kill:
	// their value never dropped, only the start timestamp shows the reset.
	before := map[string]float64{}
	for _, m := range preKill["llm_requests_total"].GetMetric() {
		before[seriesString("llm_requests_total", m)] = m.GetCounter().GetValue()
	}
	hidden := 0
	for _, m := range postRestart["llm_requests_total"].GetMetric() {
		if b, ok := before[seriesString("llm_requests_total", m)]; ok && b > 0 && m.GetCounter().GetValue() >= b {
			hidden++
		}
	}
	t.Logf("(d) %s: %d llm_requests_total series restarted at or above their value before the kill (a reset only the start timestamp shows)", dead.name, hidden)

	// Every span the gateway counted sent since the restart reached a replica.
	if got := spansReceived(ctx, t, replicas[0]) + spansReceived(ctx, t, replicas[1]) - live1 + spansReceived(ctx, t, dead); got != gw2.sent-gw1.sent {
		t.Errorf("(d) the replicas received %v spans since the restart, the gateway counted %v sent", got, gw2.sent-gw1.sent)
	}
	settledMs := time.Now().UnixMilli()

	// increase() over the whole run, per replica, at that replica's latest
	// scrape: exact (start timestamps in range, no extrapolation to the right),
	// across the reset of replica-2.
	wantRun := sumValues(wantCalls) + float64(outage.traces) - failed/3 + float64(after.traces) - lostAfter
	var total float64
	for _, r := range replicas {
		current := sumValues(requestsByModel(scrapeText(ctx, t, r.metricsURL())))
		want := current
		if r == dead {
			want += preKillCalls
		}
		var ts int64
		poll(t, 30*time.Second, 100*time.Millisecond, "a scrape of "+r.name+" after the traffic", func() (bool, error) {
			var err error
			ts, err = prom.lastInstanceScrapeMs(ctx, jobRun, r.metricsTarget())
			return ts > settledMs, err
		})
		v, err := prom.queryVector(ctx, fmt.Sprintf(`sum(increase(llm_requests_total{job=%q,instance=%q}[10m]))`, jobRun, r.metricsTarget()), ts)
		if err != nil || len(v) != 1 {
			t.Fatalf("(d) increase() for %s: %v %v", r.name, v, err)
		}
		got := v[seriesKey("", map[string]string{})].flat["value"]
		if !sameFloat(got, want) {
			t.Errorf("(d) %s: increase(llm_requests_total[10m]) at its last scrape = %v, want %v (its calls; for %s, before the kill and after the restart)",
				r.name, got, want, dead.name)
		}
		t.Logf("(d) %s: increase(llm_requests_total[10m]) = %v", r.name, got)
		total += got
	}
	if !sameFloat(total, wantRun) {
		t.Errorf("(d) increase over the run summed over the replicas = %v, want %v (calls sent, minus those the gateway counted failed)", total, wantRun)
	}
	t.Logf("(d) increase over the run, summed over the replicas: %v = calls that reached them; total %s", total, time.Since(began).Round(time.Millisecond))
}

// recordNames lists the recorded series of a rules file.
func recordNames(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Record string `yaml:"record"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				out = append(out, r.Record)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no recording rule", path)
	}
	return out
}

func sumValues(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

// TestScaleOutGroupByTrace (c): replicas and reference run
// config/otelcol-groupbytrace.yaml. A call whose LangSmith run and provider
// span are exported in two requests now counts once (TestScaleOut: twice
// without groupbytrace), on the replicas added up as on the reference: the
// gateway sends both halves of a trace to the same replica, where
// groupbytrace joins them into one export.
func TestScaleOutGroupByTrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	began := time.Now()
	replicas := []*otelNode{
		newReplica(t, "gbt-replica-0", "otelcol-groupbytrace.yaml"),
		newReplica(t, "gbt-replica-1", "otelcol-groupbytrace.yaml"),
		newReplica(t, "gbt-replica-2", "otelcol-groupbytrace.yaml"),
	}
	ref := newReplica(t, "gbt-reference", "otelcol-groupbytrace.yaml")
	gw := newGateway(t, "gateway", replicas)
	startAll(t, append(replicas, ref)...)
	startAll(t, gw)
	toGateway, toReference := newOTLPClient(t, gw), newOTLPClient(t, ref)

	gen := newTrafficGen(20261205, 4)
	tr := gen.mixedTraces(150, 15)
	split := gen.splitTraces(40)
	tr.add(split)
	sendStart := time.Now()
	for _, req := range tr.requests {
		toGateway.send(ctx, t, req)
		toReference.send(ctx, t, req)
	}
	sent := time.Since(sendStart)
	// The delay: groupbytrace holds every trace for wait_duration (2s) after
	// its first span arrived, so nothing has reached llm_prometheus yet.
	if sent < time.Second {
		for _, n := range append(replicas, ref) {
			if got := spansReceived(ctx, t, n); got != 0 && time.Since(sendStart) < 1500*time.Millisecond {
				t.Errorf("%s: llm_prometheus took %v spans before wait_duration (2s) passed", n.name, got)
			}
		}
	}
	waitSpans(ctx, t, "every span at the replicas", float64(tr.spans), replicas...)
	waitSpans(ctx, t, "every span at the reference", float64(tr.spans), ref)
	released := time.Since(sendStart)
	if released < 2*time.Second {
		t.Errorf("all spans reached llm_prometheus %s after the first send, before wait_duration (2s)", released)
	}

	var parts []flatSamples
	var metas []flatMeta
	var scrapes []map[string]*dto.MetricFamily
	var tracesReleased float64
	for _, r := range replicas {
		mfs := scrapeProto(ctx, t, r.metricsURL())
		scrapes = append(scrapes, mfs)
		f, m := flattenLLM(t, mfs)
		parts = append(parts, f)
		metas = append(metas, m)
		own := telemetry(ctx, t, r)
		if ev := sampleSum(own, "otelcol_processor_groupbytrace_traces_evicted", nil); ev != 0 {
			t.Errorf("%s: groupbytrace evicted %v traces (dropped), want none", r.name, ev)
		}
		tracesReleased += sampleSum(own, "otelcol_processor_groupbytrace_traces_released", nil)
	}
	refScrape := scrapeProto(ctx, t, ref.metricsURL())
	sum, meta := sumFlat(t, parts, metas)
	refFlat, refMeta := flattenLLM(t, refScrape)
	compareFlat(t, "(c) llm_* samples summed over the groupbytrace replicas vs the groupbytrace reference", sum, refFlat)
	compareFlat(t, "(c) native histogram schema and zero threshold", meta, refMeta)
	want := intsToFloats(tr.grouped)
	if want[modelSplit.name] != 40 {
		t.Fatalf("traffic: %s grouped calls %v, want 40", modelSplit.name, want[modelSplit.name])
	}
	compareFlat(t, "(c) llm_requests_total by model with groupbytrace, replicas (split calls once)", requestsByModel(scrapes...), want)
	compareFlat(t, "(c) llm_requests_total by model with groupbytrace, reference (split calls once)", requestsByModel(refScrape), want)
	// Each trace, split or not, left groupbytrace as one release.
	if tracesReleased != float64(tr.traces) {
		t.Errorf("(c) groupbytrace released %v traces over the replicas, want %d (each trace once)", tracesReleased, tr.traces)
	}
	t.Logf("(c) with groupbytrace: %d traces (%d split over two requests) counted %v calls, %s %v times (once per call); delay %s; total %s",
		tr.traces, split.traces, sumValues(want), modelSplit.name, want[modelSplit.name], released.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// TestGatewayTopLevelRetryResends pins down why config/gateway.yaml retries
// per replica and not at the load_balancing level (v0.161.0): a request
// whose spans go to a live and to an unreachable replica. With the shipped
// settings the live replica gets its part once, and the whole request is
// counted failed. With retry_on_failure at the top level, every retry sends
// the whole request again, and the live replica counts its part once per try.
func TestGatewayTopLevelRetryResends(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	live := []*otelNode{newReplica(t, "live-a", "otelcol.yaml"), newReplica(t, "live-b", "otelcol.yaml")}
	// An address where nothing listens: a replica that is down.
	deadNode := &otelNode{name: "dead", grpcPort: testproc.FreePorts(t, 1)[0]}
	shipped := newGateway(t, "gateway-shipped", []*otelNode{live[0], deadNode}, gatewayTestTimings...)
	topRetry := newGateway(t, "gateway-top-retry", []*otelNode{live[1], deadNode},
		"exporters::load_balancing::timeout=2s",
		"exporters::load_balancing::retry_on_failure::enabled=true",
		"exporters::load_balancing::retry_on_failure::initial_interval=200ms",
		"exporters::load_balancing::retry_on_failure::max_interval=200ms",
		"exporters::load_balancing::retry_on_failure::max_elapsed_time=1s",
		"exporters::load_balancing::protocol::otlp::retry_on_failure::enabled=false",
	)
	startAll(t, live...)
	startAll(t, shipped, topRetry)

	req := newTrafficGen(20261206, 5).mixedTraces(60, 60)
	if len(req.requests) != 1 {
		t.Fatalf("%d requests, want 1", len(req.requests))
	}
	for i, gw := range []*otelNode{shipped, topRetry} {
		newOTLPClient(t, gw).send(ctx, t, req.requests[0])
		var c gatewayCounts
		poll(t, 30*time.Second, 100*time.Millisecond, gw.name+" giving up on the request", func() (bool, error) {
			c = readGateway(ctx, t, gw)
			return c.failed == float64(req.spans) && c.queued == 0, nil
		})
		got := spansReceived(ctx, t, live[i])
		tries := c.outcome[deadNode.addr()+"/false"]
		liveTries := c.outcome[live[i].addr()+"/true"]
		t.Logf("%s: request of %d spans counted failed; %v tries; %s received %v spans", gw.name, req.spans, tries, live[i].name, got)
		if tries < 1 {
			t.Fatalf("%s: no export to the dead replica counted", gw.name)
		}
		// What the live replica got per try: its part of the request.
		if share := got / tries; c.sent != 0 || share <= 0 || share >= float64(req.spans) {
			t.Errorf("%s: sent %v, live replica received %v spans per try of %d; want sent 0 (the request failed) and a part delivered",
				gw.name, c.sent, share, req.spans)
		}
		switch gw {
		case shipped:
			if tries != 1 || liveTries != 1 {
				t.Errorf("%s: %v exports to the dead replica, %v to the live one; want 1 each (retries per replica, not per request)", gw.name, tries, liveTries)
			}
		case topRetry:
			if tries < 2 || liveTries != tries {
				t.Errorf("%s: %v exports to the dead replica, %v to the live one; want the same number, at least 2", gw.name, tries, liveTries)
			}
			share := got / tries
			if share != float64(int(share)) {
				t.Errorf("%s: %v spans received in %v tries: not a whole share per try", gw.name, got, tries)
			}
			t.Logf("%s: the live replica counted its %v spans %v times", gw.name, share, tries)
		}
	}
}

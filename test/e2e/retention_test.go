// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// Long retention (docs/deploy-retention.md): two otelcol-llm replicas, a
// Prometheus in agent mode scraping both and remote-writing to a long-retention
// store, and that store (a Prometheus with --web.enable-remote-write-receiver and
// 400 days of retention) evaluating the shipped rules. Both Prometheus processes
// run the configuration files of deploy/retention/ as shipped; the test changes
// only what a user changes (targets, URL, ports) and the timings (1s scrapes,
// rule evaluations and batches instead of 15s/30s/5s, so it runs in seconds).
//
// After the agent has shipped a scrape that followed the traffic, the agent and
// the collectors are stopped, and the store alone must answer with:
//   - every llm_* series of each collector (counters, classic buckets, _sum,
//     _count, native histograms), with the collector's instance label, equal to
//     what the collector itself served, exactly;
//   - `sum without (instance)` of every llm_* metric equal to the sum of the two
//     collectors' values, exactly;
//   - increase() over the run equal to each counter's value, exactly: the zero
//     sample that created-timestamp-zero-ingestion writes at each series' created
//     timestamp travels through remote write like any sample;
//   - the exemplars of the collectors (trace_id/span_id of sent spans);
//   - every recording rule evaluated by the store over the shipped data, every
//     rule healthy, and every dashboard query answered.
//
// Remote write 1.0 (prometheus.WriteRequest) and 2.0 (io.prometheus.write.v2.Request,
// which Prometheus v0.316.0 sends and accepts) run as two parallel subtests.

const (
	retentionJob     = "otelcol-llm"
	retentionSelfJob = "otelcol-llm-self"
	retentionTime    = "400d"
	// retentionTick replaces the production scrape interval, batch send deadline,
	// evaluation interval and rule query offset.
	retentionTick = "1s"
	retentionStep = time.Second
)

// The store's command line, as docs/deploy-retention.md and the header of
// deploy/retention/prometheus-store.yaml give it (paths and address aside).
var retentionStoreFlags = []string{
	"--storage.tsdb.retention.time=" + retentionTime,
	"--web.enable-remote-write-receiver",
	"--enable-feature=exemplar-storage",
}

// The agent's, as deploy/retention/prometheus-agent.yaml gives it.
var retentionAgentFlags = []string{
	"--agent",
	"--enable-feature=created-timestamp-zero-ingestion",
}

// retentionRW is one remote-write setting of the agent.
type retentionRW struct {
	name      string
	message   string // remote_write protobuf_message
	exemplars bool   // remote_write send_exemplars
}

func TestLongRetention(t *testing.T) {
	root := testproc.RepoRoot(t)
	promtool := testproc.Prebuilt(t, "PROMTOOL_BINARY", "bin/promtool", "tools")
	checkRetentionFiles(t, root, promtool)

	for _, rw := range []retentionRW{
		// The shipped configuration as is.
		{name: "remote-write-1.0", message: "prometheus.WriteRequest", exemplars: true},
		// Switched to 2.0 as docs/deploy-retention.md says: without exemplars.
		// Prometheus v0.316.0 sends each exemplar in a 2.0 TimeSeries of its
		// own, without a sample, and its 2.0 receiver refuses such a series
		// (400): every exemplar would be lost and counted as failed
		// (prometheus/prometheus#17857).
		{name: "remote-write-2.0", message: "io.prometheus.write.v2.Request", exemplars: false},
	} {
		t.Run(rw.name, func(t *testing.T) {
			t.Parallel()
			runRetention(t, root, rw)
		})
	}
}

// checkRetentionFiles validates the shipped files: every full Prometheus
// configuration passes `promtool check config` (agent mode for the agent and the
// remote_write examples), the agent refuses rule files (which is why the rules
// run in the store), the agent's remote_write block is the Prometheus example,
// and docs/deploy-retention.md shows every example as shipped.
func checkRetentionFiles(t *testing.T, root, promtool string) {
	t.Helper()
	dir := filepath.Join(root, "deploy", "retention")
	check := func(args ...string) (string, error) {
		out, err := exec.Command(promtool, append([]string{"check", "config"}, args...)...).CombinedOutput()
		return string(out), err
	}

	agentFile := filepath.Join(dir, "prometheus-agent.yaml")
	if out, err := check("--agent", agentFile); err != nil {
		t.Errorf("promtool check config --agent %s: %v\n%s", agentFile, err, out)
	}
	examples, err := filepath.Glob(filepath.Join(dir, "remote-write", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range examples {
		names = append(names, filepath.Base(f))
		if out, cerr := check("--agent", f); cerr != nil {
			t.Errorf("promtool check config --agent %s: %v\n%s", f, cerr, out)
		}
	}
	if want := []string{"mimir.yaml", "prometheus.yaml", "thanos-receive.yaml", "victoriametrics.yaml"}; !slices.Equal(names, want) {
		t.Errorf("deploy/retention/remote-write holds %v, want %v", names, want)
	}

	// The store's configuration names its rule files relative to itself, as a
	// user lays it out: the file with rules/ beside it.
	storeDir := retentionStoreDir(t, root, nil)
	if out, cerr := check(filepath.Join(storeDir, "prometheus-store.yaml")); cerr != nil || !strings.Contains(out, "SUCCESS: 3 rule files found") {
		t.Errorf("promtool check config prometheus-store.yaml (with rules/ beside it): %v\n%s", cerr, out)
	}

	// An agent refuses rule files.
	withRules := filepath.Join(t.TempDir(), "agent-with-rules.yaml")
	agentText, err := os.ReadFile(agentFile)
	if err != nil {
		t.Fatal(err)
	}
	agentText = append(agentText, []byte("\nrule_files:\n  - "+filepath.Join(storeDir, "rules", "llm-recording.yaml")+"\n")...)
	if err = os.WriteFile(withRules, agentText, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, cerr := check("--agent", withRules); cerr == nil || !strings.Contains(out, "field rule_files is not allowed in agent mode") {
		t.Errorf("promtool check config --agent accepted an agent configuration with rule_files (err %v):\n%s", cerr, out)
	}

	agent := retentionReadYAML(t, agentFile)
	example := retentionReadYAML(t, filepath.Join(dir, "remote-write", "prometheus.yaml"))
	if !reflect.DeepEqual(agent["remote_write"], example["remote_write"]) {
		t.Errorf("the remote_write block of prometheus-agent.yaml differs from remote-write/prometheus.yaml:\n%v\n%v",
			agent["remote_write"], example["remote_write"])
	}

	doc, err := os.ReadFile(filepath.Join(root, "docs", "deploy-retention.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range examples {
		body := retentionYAMLBody(t, f)
		if !strings.Contains(string(doc), body) {
			t.Errorf("docs/deploy-retention.md does not show %s as shipped; its YAML (without the header comment) is:\n%s", f, body)
		}
	}
	for _, flag := range append(slices.Clone(retentionStoreFlags), retentionAgentFlags...) {
		if !strings.Contains(string(doc), flag) {
			t.Errorf("docs/deploy-retention.md does not give the flag %s the test runs Prometheus with", flag)
		}
	}
}

// retentionYAMLBody returns a file's text without its leading comment lines.
func retentionYAMLBody(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		lines = lines[1:]
	}
	return strings.Join(lines, "")
}

func retentionReadYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func retentionWriteYAML(t *testing.T, path string, m map[string]any) {
	t.Helper()
	data, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// retentionYAMLMap returns m[key] as a map, failing the test (naming the key) otherwise.
func retentionYAMLMap(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("shipped configuration: %s is %T, want a mapping", key, m[key])
	}
	return v
}

func retentionYAMLList(t *testing.T, m map[string]any, key string) []any {
	t.Helper()
	v, ok := m[key].([]any)
	if !ok {
		t.Fatalf("shipped configuration: %s is %T, want a list", key, m[key])
	}
	return v
}

// retentionStoreDir lays out a store directory: the shipped
// prometheus-store.yaml (its timings edited by edit, if not nil) with the
// repository's rules/ beside it.
func retentionStoreDir(t *testing.T, root string, edit func(map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	cfg := retentionReadYAML(t, filepath.Join(root, "deploy", "retention", "prometheus-store.yaml"))
	if edit != nil {
		edit(cfg)
	}
	retentionWriteYAML(t, filepath.Join(dir, "prometheus-store.yaml"), cfg)
	if err := os.Mkdir(filepath.Join(dir, "rules"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"llm-recording.yaml", "llm-alerts.yaml", "llm-slo.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "rules", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "rules", f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startRetentionProm starts Prometheus with args (plus a free listen address)
// and waits until it is ready.
func startRetentionProm(t *testing.T, name string, args ...string) *promServer {
	t.Helper()
	bin := testproc.Prebuilt(t, "PROMETHEUS_BINARY", "bin/prometheus", "tools")
	p := &promServer{port: testproc.FreePorts(t, 1)[0]}
	args = append(args, fmt.Sprintf("--web.listen-address=127.0.0.1:%d", p.port), "--log.level=info")
	p.proc = testproc.Start(t, name, bin, args...)
	p.proc.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", p.port), 60*time.Second)
	return p
}

func startRetentionStore(t *testing.T, root string) *promServer {
	t.Helper()
	dir := retentionStoreDir(t, root, func(cfg map[string]any) {
		global := retentionYAMLMap(t, cfg, "global")
		for _, k := range []string{"evaluation_interval", "rule_query_offset"} {
			if _, ok := global[k]; !ok {
				t.Fatalf("prometheus-store.yaml: global.%s is not set", k)
			}
			global[k] = retentionTick
		}
	})
	args := append([]string{
		"--config.file=" + filepath.Join(dir, "prometheus-store.yaml"),
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
	}, retentionStoreFlags...)
	return startRetentionProm(t, "prometheus-store", args...)
}

// startRetentionAgent runs deploy/retention/prometheus-agent.yaml with the
// collectors as targets, remote-writing to the store as rwc says.
func startRetentionAgent(t *testing.T, root string, store *promServer, cs []*collector, rwc retentionRW, dataDir string) *promServer {
	t.Helper()
	cfg := retentionReadYAML(t, filepath.Join(root, "deploy", "retention", "prometheus-agent.yaml"))
	global := retentionYAMLMap(t, cfg, "global")
	global["scrape_interval"] = retentionTick
	global["scrape_timeout"] = retentionTick

	targets := map[string][]string{}
	for _, c := range cs {
		targets[retentionJob] = append(targets[retentionJob], fmt.Sprintf("127.0.0.1:%d", c.metricsPort))
		targets[retentionSelfJob] = append(targets[retentionSelfJob], fmt.Sprintf("127.0.0.1:%d", c.telemetryPort))
	}
	var jobs []string
	for _, sc := range retentionYAMLList(t, cfg, "scrape_configs") {
		job, ok := sc.(map[string]any)
		if !ok {
			t.Fatalf("prometheus-agent.yaml: scrape_configs entry is %T", sc)
		}
		name, _ := job["job_name"].(string)
		jobs = append(jobs, name)
		static := retentionYAMLList(t, job, "static_configs")
		if len(static) != 1 {
			t.Fatalf("prometheus-agent.yaml: job %s has %d static_configs, want 1", name, len(static))
		}
		group, ok := static[0].(map[string]any)
		if !ok {
			t.Fatalf("prometheus-agent.yaml: job %s: static_configs[0] is %T", name, static[0])
		}
		group["targets"] = targets[name]
	}
	if want := []string{retentionJob, retentionSelfJob}; !slices.Equal(jobs, want) {
		t.Fatalf("prometheus-agent.yaml has the jobs %v, want %v", jobs, want)
	}

	rws := retentionYAMLList(t, cfg, "remote_write")
	if len(rws) != 1 {
		t.Fatalf("prometheus-agent.yaml has %d remote_write entries, want 1", len(rws))
	}
	rw, ok := rws[0].(map[string]any)
	if !ok {
		t.Fatalf("prometheus-agent.yaml: remote_write[0] is %T", rws[0])
	}
	rw["url"] = fmt.Sprintf("http://127.0.0.1:%d/api/v1/write", store.port)
	rw["protobuf_message"] = rwc.message
	rw["send_exemplars"] = rwc.exemplars
	queue, _ := rw["queue_config"].(map[string]any)
	if queue == nil {
		queue = map[string]any{}
	}
	queue["batch_send_deadline"] = retentionTick
	rw["queue_config"] = queue

	cfgPath := filepath.Join(t.TempDir(), "prometheus-agent.yaml")
	retentionWriteYAML(t, cfgPath, cfg)
	args := append([]string{"--config.file=" + cfgPath, "--storage.agent.path=" + dataDir}, retentionAgentFlags...)
	return startRetentionProm(t, "prometheus-agent", args...)
}

func runRetention(t *testing.T, root string, rw retentionRW) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()

	cs := []*collector{startCollector(t), startCollector(t)}
	instances := make([]string, len(cs))
	for i, c := range cs {
		instances[i] = fmt.Sprintf("127.0.0.1:%d", c.metricsPort)
	}
	store := startRetentionStore(t, root)
	agentData := filepath.Join(t.TempDir(), "agent-data")
	agent := startRetentionAgent(t, root, store, cs, rw, agentData)

	// The store has a successful scrape of each replica: the pipeline works.
	var last []int64
	poll(t, 45*time.Second, 100*time.Millisecond, "a successful scrape of each replica in the store", func() (bool, error) {
		var err error
		last, err = retentionLastScrapes(ctx, store, instances)
		return !slices.Contains(last, 0), err
	})

	// Different traffic per replica: replica 0 gets the scenario twice (rounds 0
	// and 1), replica 1 once (round 2) plus a model without a price, a call
	// with cached and reasoning tokens and the dashboard's agent traffic
	// (guardrails, evaluations, a length finish reason, a broken stream), so
	// some series exist on one replica only and every dashboard query has data.
	// Each send is placed half a scrape interval after that replica's scrape:
	// a series must not be created while a scrape of it is in flight, or its
	// created-timestamp zero sample would land after that scrape's sample.
	base := time.Now().Add(-10 * time.Minute)
	td := buildTraces(0, base)
	buildTraces(1, base).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	retentionSleepToScrapeGap(last[0])
	sendGRPC(ctx, t, cs[0].grpcPort, td)
	td = buildTraces(2, base)
	dashboardExtraSpans(td, base)
	dashboardAgentSpans(td, base)
	retentionSleepToScrapeGap(last[1])
	sendHTTP(ctx, t, cs[1].httpPort, td, false)
	sentMs := time.Now().UnixMilli()
	assertLLMMetrics(t, scrapeText(ctx, t, cs[0].metricsURL()), 2)
	if t.Failed() {
		t.Fatal("replica 0 does not serve the scenario ×2")
	}

	// Shipped: two scrapes of each replica after the sends are in the store (the
	// agent's WAL holds a scrape's float samples, then its histograms, then its
	// exemplars, so the second scrape's floats arriving means the first one's
	// histograms and exemplars were read), and the agent has nothing pending and
	// nothing failed or dropped.
	poll(t, 45*time.Second, 200*time.Millisecond, "the agent shipping two scrapes after the sends", func() (bool, error) {
		for _, inst := range instances {
			ts, err := retentionUpTimes(ctx, store, inst)
			if err != nil {
				return false, err
			}
			n := 0
			for _, v := range ts {
				if v > sentMs {
					n++
				}
			}
			if n < 2 {
				return false, fmt.Errorf("instance %s: %d scrapes after the sends in the store", inst, n)
			}
		}
		return retentionAgentDrained(ctx, t, agent)
	})

	// What the collectors serve now, and will until they stop (no more traffic).
	want := make([]retentionSeries, len(cs))
	wantJob := make([]retentionSeries, len(cs)) // the same without the instance label
	exemplars := make([][]retentionExemplar, len(cs))
	for i, c := range cs {
		mfs := scrapeProto(ctx, t, c.metricsURL())
		target := map[string]string{"job": retentionJob, "instance": instances[i]}
		want[i] = retentionExpand(t, mfs, target)
		wantJob[i] = retentionExpand(t, mfs, map[string]string{"job": retentionJob})
		exemplars[i] = retentionProtoExemplars(mfs, target)
		if len(want[i].floats) == 0 || len(want[i].natives) == 0 {
			t.Fatalf("replica %d serves %d float and %d native histogram llm_* series", i, len(want[i].floats), len(want[i].natives))
		}
	}

	// The agent answers no query: the store is where the data lives.
	if body, err := retentionRawGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=up", agent.port)); err != nil || !strings.Contains(body, "unavailable with Prometheus Agent") {
		t.Errorf("agent query API: %v %s; want it unavailable", err, body)
	}

	// Stop the agent and the collectors: from here on the store answers alone.
	agent.proc.Stop(t)
	if agent.proc.Err() != nil {
		t.Errorf("the agent did not exit cleanly: %v", agent.proc.Err())
	}
	stoppedMs := time.Now().UnixMilli()
	for _, c := range cs {
		c.proc.Stop(t)
	}
	// The agent kept a write-ahead log only, no TSDB blocks or head chunks.
	entries, err := os.ReadDir(agentData)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, e := range entries {
		kept = append(kept, e.Name())
	}
	if !slices.Equal(kept, []string{"wal"}) {
		t.Errorf("agent data directory after a clean stop holds %v, want only [wal]", kept)
	}

	if info, err := retentionRawGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/api/v1/status/runtimeinfo", store.port)); err != nil || !strings.Contains(info, `"storageRetention":"`+retentionTime+`"`) {
		t.Errorf("store runtime info: %v %s; want storageRetention %s", err, info, retentionTime)
	}

	// Each replica's series, read back at its last shipped scrape.
	lastUp := make([]int64, len(cs))
	for i, inst := range instances {
		ts, err := retentionUpTimes(ctx, store, inst)
		if err != nil || len(ts) == 0 {
			t.Fatalf("instance %s: no up sample in the store after the agent stopped: %v", inst, err)
		}
		lastUp[i] = ts[len(ts)-1]
		got := retentionQuerySeries(ctx, t, store, fmt.Sprintf(`{__name__=~"llm_.+",instance=%q}`, inst), lastUp[i], true)
		compareRetentionSeries(t, "instance "+inst, "the store", "the collector", got, want[i])
		assertRetentionIncrease(ctx, t, store, inst, lastUp[i], want[i])
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("per instance: %d+%d float and %d+%d native histogram llm_* series read back from the store equal the collectors' (remote write %s)",
		len(want[0].floats), len(want[1].floats), len(want[0].natives), len(want[1].natives), rw.message)

	// sum without (instance), at a time where both replicas' last samples are visible.
	sumAt := min(lastUp[0], lastUp[1])
	wantSum := retentionSum(wantJob)
	names := map[string]bool{}
	for _, w := range want {
		for k := range w.names {
			names[k] = true
		}
	}
	gotSum := retentionSeries{floats: map[string]float64{}, natives: map[string]retentionNative{}}
	for name := range names {
		res := retentionQuerySeries(ctx, t, store, fmt.Sprintf("sum without (instance) (%s)", name), sumAt, false)
		for k, v := range res.floats {
			gotSum.floats[retentionRename(k, name)] = v
		}
		for k, v := range res.natives {
			gotSum.natives[retentionRename(k, name)] = v
		}
	}
	compareRetentionSeries(t, "sum without (instance)", "the store", "the sum of the collectors", gotSum, wantSum)
	t.Logf("sum without (instance) of %d metrics equals the sum of both collectors", len(names))

	assertRetentionExemplars(ctx, t, store, instances, exemplars, rw.exemplars, start)
	assertRetentionRules(ctx, t, root, store, stoppedMs)
	t.Logf("remote write %s: done in %s", rw.message, time.Since(start).Round(100*time.Millisecond))
}

// retentionSleepToScrapeGap waits until half a scrape interval after the scrape
// schedule whose last scrape was at lastMs, at least 50 ms from now.
func retentionSleepToScrapeGap(lastMs int64) {
	at := time.UnixMilli(lastMs).Add(retentionStep / 2)
	for time.Until(at) < 50*time.Millisecond {
		at = at.Add(retentionStep)
	}
	time.Sleep(time.Until(at)) // aligns a send with the scrape schedule; not a synchronization
}

// retentionUpTimes returns the timestamps (ms) of the successful scrapes of
// instance stored in the last two minutes, oldest first.
func retentionUpTimes(ctx context.Context, p *promServer, instance string) ([]int64, error) {
	res, err := p.query(ctx, fmt.Sprintf(`up{job=%q,instance=%q}[2m]`, retentionJob, instance), time.Now().UnixMilli())
	if err != nil || len(res) == 0 {
		return nil, err
	}
	var out []int64
	for _, pt := range res[0].Values {
		ts, v, err := pointMs(pt)
		if err != nil {
			return nil, err
		}
		if v != 1 {
			return nil, fmt.Errorf("instance %s: failed scrape (up=%v) at %d", instance, v, ts)
		}
		out = append(out, ts)
	}
	return out, nil
}

func retentionLastScrapes(ctx context.Context, p *promServer, instances []string) ([]int64, error) {
	out := make([]int64, len(instances))
	for i, inst := range instances {
		ts, err := retentionUpTimes(ctx, p, inst)
		if err != nil {
			return out, err
		}
		if len(ts) == 0 {
			// Say which instances the store does have (a relabeling that
			// overwrites instance shows here).
			res, qerr := p.query(ctx, fmt.Sprintf(`count by (instance) (up{job=%q})`, retentionJob), time.Now().UnixMilli())
			if qerr != nil {
				return out, qerr
			}
			var have []string
			for _, s := range res {
				have = append(have, s.Metric["instance"])
			}
			return out, fmt.Errorf("no scrape of instance %s in the store (it has up{job=%q} for the instances %v)", inst, retentionJob, have)
		}
		out[i] = ts[len(ts)-1]
	}
	return out, nil
}

// retentionAgentDrained reports whether the agent's remote-write queue has no
// sample, histogram or exemplar pending; a failed or dropped one fails the test.
func retentionAgentDrained(ctx context.Context, t *testing.T, agent *promServer) (bool, error) {
	t.Helper()
	mfs := scrapeText(ctx, t, fmt.Sprintf("http://127.0.0.1:%d/metrics", agent.port))
	for _, name := range []string{
		"prometheus_remote_storage_samples_failed_total", "prometheus_remote_storage_histograms_failed_total",
		"prometheus_remote_storage_exemplars_failed_total", "prometheus_remote_storage_samples_dropped_total",
		"prometheus_remote_storage_histograms_dropped_total", "prometheus_remote_storage_exemplars_dropped_total",
	} {
		if v, _ := telemetryValue(mfs, name); v != 0 {
			t.Fatalf("agent: %s = %v", name, v)
		}
	}
	for _, name := range []string{
		"prometheus_remote_storage_samples_pending", "prometheus_remote_storage_histograms_pending",
		"prometheus_remote_storage_exemplars_pending",
	} {
		v, ok := telemetryValue(mfs, name)
		if !ok {
			return false, fmt.Errorf("agent: no %s", name)
		}
		if v != 0 {
			return false, fmt.Errorf("agent: %s = %v", name, v)
		}
	}
	return true, nil
}

func retentionRawGet(ctx context.Context, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, http.NoBody)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// retentionNative is a native histogram: count, sum and the populated buckets
// (lower, upper, count), lowest first.
type retentionNative struct {
	count, sum float64
	buckets    [][3]float64
}

// retentionSeries holds series keyed by retentionKey: float samples and native
// histograms, and the metric names they came from.
type retentionSeries struct {
	floats  map[string]float64
	natives map[string]retentionNative
	names   map[string]bool
}

// retentionKey identifies a series: name and sorted labels, the le label
// normalized (Prometheus writes 1 as "1.0").
func retentionKey(name string, labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for k, v := range labels {
		if k == "__name__" {
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

// retentionRename gives a key of a `sum` result (no name) its metric name.
func retentionRename(k, name string) string { return name + k }

func retentionLabels(base map[string]string, extra map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(base)+len(extra)+1)
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// retentionExpand turns the llm_* families of a protobuf scrape into the
// series Prometheus stores: counters; _bucket (with +Inf), _sum and _count of
// classic histograms; native histograms. extra labels are the target's.
func retentionExpand(t *testing.T, mfs map[string]*dto.MetricFamily, extra map[string]string) retentionSeries {
	t.Helper()
	out := retentionSeries{floats: map[string]float64{}, natives: map[string]retentionNative{}, names: map[string]bool{}}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "llm_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			lbls := labelsOf(m)
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out.floats[retentionKey(name, retentionLabels(lbls, extra))] = m.GetCounter().GetValue()
				out.names[name] = true
			case dto.MetricType_GAUGE:
				out.floats[retentionKey(name, retentionLabels(lbls, extra))] = m.GetGauge().GetValue()
				out.names[name] = true
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				sawInf := false
				for _, b := range h.GetBucket() {
					sawInf = sawInf || math.IsInf(b.GetUpperBound(), +1)
					le := strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)
					out.floats[retentionKey(name+"_bucket", retentionLabels(lbls, extra, "le", le))] = float64(b.GetCumulativeCount())
				}
				if !sawInf {
					out.floats[retentionKey(name+"_bucket", retentionLabels(lbls, extra, "le", "+Inf"))] = float64(h.GetSampleCount())
				}
				out.floats[retentionKey(name+"_sum", retentionLabels(lbls, extra))] = h.GetSampleSum()
				out.floats[retentionKey(name+"_count", retentionLabels(lbls, extra))] = float64(h.GetSampleCount())
				out.names[name+"_bucket"], out.names[name+"_sum"], out.names[name+"_count"] = true, true, true
				if h.Schema != nil {
					out.natives[retentionKey(name, retentionLabels(lbls, extra))] = retentionNativeFromProto(t, name, h)
					out.names[name] = true
				}
			default:
				t.Errorf("%s: unexpected metric type %s", name, mf.GetType())
			}
		}
	}
	return out
}

// retentionNativeBound is the upper bound of bucket idx of a native histogram of schema.
func retentionNativeBound(idx, schema int32) float64 {
	if schema < 0 {
		return math.Ldexp(1, int(idx)<<-schema)
	}
	return math.Exp2(float64(idx) / float64(int32(1)<<schema))
}

func retentionNativeFromProto(t *testing.T, name string, h *dto.Histogram) retentionNative {
	t.Helper()
	if len(h.GetNegativeSpan()) > 0 {
		t.Errorf("%s: negative native buckets (durations are never negative)", name)
	}
	n := retentionNative{count: float64(h.GetSampleCount()), sum: h.GetSampleSum()}
	if zc := h.GetZeroCount(); zc > 0 {
		n.buckets = append(n.buckets, [3]float64{-h.GetZeroThreshold(), h.GetZeroThreshold(), float64(zc)})
	}
	var idx int32
	var count int64
	deltas := h.GetPositiveDelta()
	d := 0
	for _, span := range h.GetPositiveSpan() {
		idx += span.GetOffset()
		for range span.GetLength() {
			if d >= len(deltas) {
				t.Fatalf("%s: native histogram has fewer deltas than its spans cover", name)
			}
			count += deltas[d]
			d++
			if count != 0 {
				n.buckets = append(n.buckets, [3]float64{retentionNativeBound(idx-1, h.GetSchema()), retentionNativeBound(idx, h.GetSchema()), float64(count)})
			}
			idx++
		}
	}
	return n
}

// retentionQuerySeries runs an instant query and returns its float and native
// histogram samples keyed by retentionKey (named by __name__ when withName).
func retentionQuerySeries(ctx context.Context, t *testing.T, p *promServer, q string, evalMs int64, withName bool) retentionSeries {
	t.Helper()
	u := fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s&time=%s", p.port, url.QueryEscape(q), msToAPITime(evalMs))
	body, _, err := get(ctx, u, "application/json")
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var resp struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric    map[string]string `json:"metric"`
				Value     *[2]any           `json:"value"`
				Histogram *[2]json.RawMessage
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.Status != "success" || resp.Data.ResultType != "vector" {
		t.Fatalf("%s: %v: %s", q, err, body)
	}
	out := retentionSeries{floats: map[string]float64{}, natives: map[string]retentionNative{}, names: map[string]bool{}}
	for _, s := range resp.Data.Result {
		name := ""
		if withName {
			name = s.Metric["__name__"]
			out.names[name] = true
		}
		k := retentionKey(name, s.Metric)
		switch {
		case s.Value != nil:
			_, v, err := pointMs(*s.Value)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			out.floats[k] = v
		case s.Histogram != nil:
			out.natives[k] = retentionParseNative(t, q, s.Histogram[1])
		default:
			t.Fatalf("%s: sample of %v has neither value nor histogram", q, s.Metric)
		}
	}
	return out
}

func retentionParseNative(t *testing.T, q string, raw json.RawMessage) retentionNative {
	t.Helper()
	var h struct {
		Count   string  `json:"count"`
		Sum     string  `json:"sum"`
		Buckets [][]any `json:"buckets"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("%s: native histogram %s: %v", q, raw, err)
	}
	num := func(s any) float64 {
		str, ok := s.(string)
		f, err := strconv.ParseFloat(str, 64)
		if !ok || err != nil {
			t.Fatalf("%s: native histogram %s: bad number %v", q, raw, s)
		}
		return f
	}
	n := retentionNative{count: num(h.Count), sum: num(h.Sum)}
	for _, b := range h.Buckets {
		if len(b) != 4 {
			t.Fatalf("%s: native histogram bucket %v", q, b)
		}
		n.buckets = append(n.buckets, [3]float64{num(b[1]), num(b[2]), num(b[3])})
	}
	return n
}

// compareRetentionSeries asserts got == want: the same series, the same float
// values (exactly), the same native histograms (counts and sum exactly, bucket
// bounds up to the rounding of the bound formula). gotFrom and wantFrom name
// where each side comes from.
func compareRetentionSeries(t *testing.T, what, gotFrom, wantFrom string, got, want retentionSeries) {
	t.Helper()
	for k, w := range want.floats {
		g, ok := got.floats[k]
		switch {
		case !ok:
			t.Errorf("%s: series %s is missing from %s (%s: %v)", what, k, gotFrom, wantFrom, w)
		case g != w && !(math.IsNaN(g) && math.IsNaN(w)):
			t.Errorf("%s: series %s = %v in %s, %v in %s", what, k, g, gotFrom, w, wantFrom)
		}
	}
	for k, g := range got.floats {
		if _, ok := want.floats[k]; !ok {
			t.Errorf("%s: %s has series %s = %v, %s has not", what, gotFrom, k, g, wantFrom)
		}
	}
	for k, w := range want.natives {
		g, ok := got.natives[k]
		if !ok {
			t.Errorf("%s: native histogram %s is missing from %s", what, k, gotFrom)
			continue
		}
		if !retentionNativeEqual(g, w) {
			t.Errorf("%s: native histogram %s\n  %s %+v\n  %s %+v", what, k, gotFrom, g, wantFrom, w)
		}
	}
	for k := range got.natives {
		if _, ok := want.natives[k]; !ok {
			t.Errorf("%s: %s has native histogram %s, %s has not", what, gotFrom, k, wantFrom)
		}
	}
}

func retentionNativeEqual(a, b retentionNative) bool {
	if a.count != b.count || a.sum != b.sum || len(a.buckets) != len(b.buckets) {
		return false
	}
	for i := range a.buckets {
		for j := range 2 {
			if math.Abs(a.buckets[i][j]-b.buckets[i][j]) > 1e-12*math.Abs(b.buckets[i][j]) {
				return false
			}
		}
		if a.buckets[i][2] != b.buckets[i][2] {
			return false
		}
	}
	return true
}

// retentionSum adds series up by key (native histograms bucket by bucket: the
// replicas share a schema, so their buckets have the same bounds).
func retentionSum(rs []retentionSeries) retentionSeries {
	out := retentionSeries{floats: map[string]float64{}, natives: map[string]retentionNative{}}
	for _, r := range rs {
		for k, v := range r.floats {
			out.floats[k] += v
		}
		for k, v := range r.natives {
			sum, ok := out.natives[k]
			if !ok {
				out.natives[k] = v
				continue
			}
			counts := map[[2]float64]float64{}
			for _, b := range append(slices.Clone(sum.buckets), v.buckets...) {
				counts[[2]float64{b[0], b[1]}] += b[2]
			}
			merged := retentionNative{count: sum.count + v.count, sum: sum.sum + v.sum}
			for bounds, c := range counts {
				merged.buckets = append(merged.buckets, [3]float64{bounds[0], bounds[1], c})
			}
			sort.Slice(merged.buckets, func(i, j int) bool { return merged.buckets[i][0] < merged.buckets[j][0] })
			out.natives[k] = merged
		}
	}
	return out
}

// assertRetentionIncrease checks, for every float llm_* series of instance,
// that increase() over the whole run, evaluated at the instance's last scrape,
// is the collector's value: each series starts with the zero sample written at
// its created timestamp, so there is nothing to extrapolate on either side.
func assertRetentionIncrease(ctx context.Context, t *testing.T, store *promServer, instance string, atMs int64, want retentionSeries) {
	t.Helper()
	var names []string
	for n := range want.names {
		if strings.HasSuffix(n, "_total") || strings.HasSuffix(n, "_bucket") || strings.HasSuffix(n, "_sum") || strings.HasSuffix(n, "_count") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var checked int
	for _, name := range names {
		sel := fmt.Sprintf("%s{instance=%q}", name, instance)
		got := retentionQuerySeries(ctx, t, store, "increase("+sel+"[5m])", atMs, false)
		for k, v := range got.floats {
			k = retentionRename(k, name)
			w, ok := want.floats[k]
			if !ok {
				t.Errorf("increase: unexpected series %s", k)
				continue
			}
			checked++
			if v != w {
				raw, _ := store.query(ctx, sel+"[5m]", atMs)
				t.Errorf("increase(%s[5m]) at the last scrape = %v, want %v (the collector's value); stored samples: %v", k, v, w, raw)
			}
		}
	}
	if checked == 0 {
		t.Errorf("increase: no counter series of %s checked", instance)
	}
}

// retentionExemplar is an exemplar: the series it belongs to and its span.
type retentionExemplar struct {
	series, traceID, spanID string
	value                   float64
}

// retentionProtoExemplars lists the exemplars of the llm_* counters and classic buckets
// of a protobuf scrape.
func retentionProtoExemplars(mfs map[string]*dto.MetricFamily, extra map[string]string) []retentionExemplar {
	var out []retentionExemplar
	add := func(series string, e *dto.Exemplar) {
		if e == nil {
			return
		}
		l := map[string]string{}
		for _, lp := range e.GetLabel() {
			l[lp.GetName()] = lp.GetValue()
		}
		out = append(out, retentionExemplar{series: series, traceID: l["trace_id"], spanID: l["span_id"], value: e.GetValue()})
	}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "llm_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			lbls := labelsOf(m)
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				add(retentionKey(name, retentionLabels(lbls, extra)), m.GetCounter().GetExemplar())
			case dto.MetricType_HISTOGRAM:
				for _, b := range m.GetHistogram().GetBucket() {
					add(retentionKey(name+"_bucket", retentionLabels(lbls, extra, "le", strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64))), b.GetExemplar())
				}
			default:
			}
		}
	}
	return out
}

// assertRetentionExemplars checks the store's exemplars of the llm_* series:
// every exemplar the collectors serve on a counter or classic bucket is there,
// on the same series, and every stored exemplar points at a span sent to that
// instance. Without sent exemplars (sent false), the store has none.
func assertRetentionExemplars(ctx context.Context, t *testing.T, store *promServer, instances []string, want [][]retentionExemplar, sent bool, start time.Time) {
	t.Helper()
	u := fmt.Sprintf("http://127.0.0.1:%d/api/v1/query_exemplars?query=%s&start=%s&end=%s", store.port,
		url.QueryEscape(`{__name__=~"llm_.+"}`), msToAPITime(start.Add(-time.Minute).UnixMilli()), msToAPITime(time.Now().UnixMilli()))
	body, _, err := get(ctx, u, "application/json")
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Status string `json:"status"`
		Data   []struct {
			SeriesLabels map[string]string `json:"seriesLabels"`
			Exemplars    []struct {
				Labels map[string]string `json:"labels"`
				Value  string            `json:"value"`
			} `json:"exemplars"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.Status != "success" {
		t.Fatalf("query_exemplars: %v: %s", err, body)
	}
	// Span id -> instance it was sent to: replica 0 got rounds 0 and 1, replica 1
	// round 2, the two extra spans and the agent traffic's calls.
	sentTo := map[string]string{}
	spanTrace := map[string]string{}
	for r := range 3 {
		inst := instances[0]
		if r == 2 {
			inst = instances[1]
		}
		for i := range scenario {
			if scenario[i].counted == nil {
				continue
			}
			tid, sid := ids(r, i)
			sentTo[sid.String()] = inst
			spanTrace[sid.String()] = tid.String()
		}
	}
	for i := range 2 { // the ids dashboardExtraSpans gives its two spans
		sid := pcommon.SpanID([8]byte{0xda, 0x5b, byte(i + 1)}).String()
		sentTo[sid] = instances[1]
		spanTrace[sid] = pcommon.TraceID([16]byte{0xda, 0x5b, byte(i + 1)}).String()
	}
	for i, s := range agentTraffic { // the ids dashboardAgentSpans gives its calls
		if !strings.HasPrefix(s.name, "chat ") {
			continue
		}
		root := i
		for agentTraffic[root].parent >= 0 {
			root = agentTraffic[root].parent
		}
		sid := pcommon.SpanID([8]byte{0xa6, 0xe7, byte(i + 1)}).String()
		sentTo[sid] = instances[1]
		spanTrace[sid] = pcommon.TraceID([16]byte{0xa6, 0xe7, byte(root + 1)}).String()
	}
	stored := map[retentionExemplar]bool{}
	perInstance := map[string]int{}
	for _, s := range resp.Data {
		series := retentionKey(s.SeriesLabels["__name__"], s.SeriesLabels)
		for _, e := range s.Exemplars {
			v, err := strconv.ParseFloat(e.Value, 64)
			if err != nil {
				t.Errorf("exemplar value %q: %v", e.Value, err)
			}
			ex := retentionExemplar{series: series, traceID: e.Labels["trace_id"], spanID: e.Labels["span_id"], value: v}
			stored[ex] = true
			inst := s.SeriesLabels["instance"]
			perInstance[inst]++
			if sentTo[ex.spanID] != inst || spanTrace[ex.spanID] != ex.traceID {
				t.Errorf("stored exemplar %+v: not a span sent to %s", ex, inst)
			}
		}
	}
	if !sent {
		if len(stored) != 0 {
			t.Errorf("the agent sends no exemplars, yet the store has %d", len(stored))
		}
		return
	}
	var n int
	for _, w := range want {
		for _, e := range w {
			n++
			if !stored[e] {
				t.Errorf("the collector's exemplar %+v is not in the store", e)
			}
		}
	}
	if n == 0 || perInstance[instances[0]] == 0 || perInstance[instances[1]] == 0 {
		t.Errorf("exemplars: %d served by the collectors, stored per instance %v; want some for each instance", n, perInstance)
	}
	t.Logf("exemplars: the %d served by the collectors are in the store (%v stored per instance), each pointing at a span sent to its instance", n, perInstance)
}

// assertRetentionRules checks that the store evaluates the shipped rules over
// the remote-written data: at an evaluation that happened after the agent
// stopped (so all its data had arrived), every recording rule recorded exactly
// what its expression gives over the stored data, one series per model or job
// (no instance label); every rule of both files is loaded and healthy; and
// every dashboard query has data.
func assertRetentionRules(ctx context.Context, t *testing.T, root string, store *promServer, stoppedMs int64) {
	t.Helper()
	var groups []retentionRuleGroup
	// The groups of both files with recording rules; the alert group of
	// llm-slo.yaml has no recording rule and is left out.
	for _, f := range []string{"llm-recording.yaml", "llm-slo.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "rules", f))
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Groups []retentionRuleGroup `yaml:"groups"`
		}
		if err = yaml.Unmarshal(data, &file); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range file.Groups {
			if len(g.Rules) > 0 && g.Rules[0].Record != "" {
				groups = append(groups, g)
			}
		}
	}

	// An evaluation of a recording group after the agent stopped: each
	// group runs at its own offset in the evaluation interval, so each has
	// its own evaluation time.
	evalAfterStop := func(first string) int64 {
		var ms int64
		poll(t, 30*time.Second, 200*time.Millisecond, "a rule evaluation after the agent stopped", func() (bool, error) {
			res, qerr := store.query(ctx, first+"[1m]", time.Now().UnixMilli())
			if qerr != nil || len(res) == 0 {
				return false, qerr
			}
			for _, pt := range res[0].Values {
				if ts, _, _ := pointMs(pt); ts > stoppedMs {
					ms = ts
					return true, nil
				}
			}
			return false, nil
		})
		return ms
	}
	evalMs := evalAfterStop(groups[0].Rules[0].Record)

	var nRules, nSeries, nSkipped int
	for gi, g := range groups {
		groupEvalMs := evalMs
		if gi > 0 {
			groupEvalMs = evalAfterStop(g.Rules[0].Record)
		}
		for _, r := range g.Rules {
			if _, noData := recordingNoData[r.Record]; strings.HasPrefix(r.Record, "budget:") || noData {
				// No budget is configured here, and the budget rules read
				// the current window's series at the evaluation time, after
				// the agent stopped (rules/tests/budget-test.yaml checks
				// them); recordingNoData says why for the others.
				nSkipped++
				continue
			}
			nRules++
			// A rule with labels (the SLO rules: one name per SLI, told
			// apart by sloth_id) is its name with those labels, and its
			// expression gets them too.
			selector, expr := r.Record, r.Expr
			if len(r.Labels) > 0 {
				var matchers []string
				for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
					matchers = append(matchers, fmt.Sprintf("%s=%q", k, r.Labels[k]))
					expr = fmt.Sprintf("label_replace(%s, %q, %q, \"\", \"\")", expr, k, r.Labels[k])
				}
				selector += "{" + strings.Join(matchers, ",") + "}"
			}
			rec := retentionQuerySeries(ctx, t, store, selector, groupEvalMs, false)
			adhoc := retentionQuerySeries(ctx, t, store, expr, groupEvalMs, false)
			if len(rec.floats) == 0 {
				t.Errorf("recording rule %s: no series at %d", selector, groupEvalMs)
			}
			for k := range rec.floats {
				if strings.Contains(k, "instance=") || !strings.Contains(k, `job="`+retentionJob+`"`) {
					t.Errorf("recording rule %s: series %s should keep job and drop instance", r.Record, k)
				}
			}
			compareRetentionSeries(t, "recording rule "+selector, "the recorded series", "its expression", rec, adhoc)
			nSeries += len(rec.floats)
		}
	}

	body, _, err := get(ctx, fmt.Sprintf("http://127.0.0.1:%d/api/v1/rules", store.port), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Data struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Name      string `json:"name"`
					Type      string `json:"type"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err = json.Unmarshal(body, &rules); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, g := range rules.Data.Groups {
		for _, r := range g.Rules {
			counts[r.Type]++
			if r.Health != "ok" || r.LastError != "" {
				t.Errorf("store rule %s/%s: health %q, last error %q", g.Name, r.Name, r.Health, r.LastError)
			}
		}
	}
	if counts["recording"] != nRules+nSkipped || counts["alerting"] == 0 {
		t.Errorf("store loaded %v rules, want %d recording rules and the alerts", counts, nRules+nSkipped)
	}

	dq := readDashboardQueries(t, root)
	for _, q := range dq.Queries {
		if _, ok := dashboardNoData[q.Panel]; ok {
			continue
		}
		res, err := store.query(ctx, q.Expr, evalMs)
		if err != nil || len(res) == 0 {
			t.Errorf("dashboard %s / %s [%s]: no data from the store (%v): %s", q.Row, q.Panel, q.RefID, err, q.Expr)
		}
	}
	t.Logf("store: %d recording rules (%d series) equal their expressions at %d, %d alerting rules healthy, %d dashboard queries answered",
		nRules, nSeries, evalMs, counts["alerting"], len(dq.Queries))
}

// retentionRuleGroup is a group of a rule file: its recording rules (an
// alert has no record).
type retentionRuleGroup struct {
	Rules []struct {
		Record string            `yaml:"record"`
		Expr   string            `yaml:"expr"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"rules"`
}

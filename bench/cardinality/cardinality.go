// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package cardinality runs the cardinality attack on the llm_prometheus
// exporter: it first fills every allowed (model, template) pair, then sends
// spans carrying N distinct new model values and N distinct new template
// values, and checks that the series on /metrics stay within the caps, that
// every folded value is counted in otelcol_exporter_llm_prometheus_label_overflow, that
// memory stays flat, and how long /metrics takes to answer at the largest
// allowed series count.
package cardinality

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-llm/otelcol-llm/bench/internal/freeport"
	"github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter"
	"github.com/otelcol-llm/otelcol-llm/internal/spangen"
)

// Options of one run.
type Options struct {
	// Values is the number of distinct new model values, and of distinct new
	// template values, sent in the attack phase.
	Values int
	// BatchSize is the number of spans per ConsumeTraces call.
	BatchSize int
	// Scrapes is the number of /metrics scrapes timed per format.
	Scrapes int
	// SampleEvery is the number of batches between two memory samples.
	SampleEvery int
	// Checkpoints are the (model, template) pair counts of the fill phase at
	// which /metrics is timed and memory read (the last is always every
	// allowed pair: max models × max templates).
	Checkpoints []int
}

// Checkpoint is the state at one pair count of the fill phase.
type Checkpoint struct {
	Pairs      int      `json:"pairs"`
	Series     int      `json:"series"`
	LiveHeapMB float64  `json:"live_heap_mb"`
	RSSMB      float64  `json:"rss_mb"`
	Scrapes    []Scrape `json:"scrapes"`
}

// Sample is one memory sample.
type Sample struct {
	Spans     int     `json:"spans"`
	HeapMB    float64 `json:"heap_alloc_mb"`
	RSSMB     float64 `json:"rss_mb"`
	ElapsedMS int64   `json:"elapsed_ms"`
}

// Scrape is the timing of one /metrics format.
type Scrape struct {
	Format string  `json:"format"`
	Bytes  int     `json:"bytes"`
	P50MS  float64 `json:"p50_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// Result of one run.
type Result struct {
	Values           int          `json:"values"`
	Checkpoints      []Checkpoint `json:"checkpoints"`
	FillSpans        int          `json:"fill_spans"`
	AttackSpans      int          `json:"attack_spans"`
	AttackSeconds    float64      `json:"attack_seconds"`
	MaxModels        int          `json:"max_models"`
	MaxTemplates     int          `json:"max_templates"`
	MaxPairs         int          `json:"max_pairs"`
	PairsOnMetrics   int          `json:"pairs_on_metrics"` // distinct (model, template) of llm_requests_total at the end
	SeriesAfterFill  int          `json:"series_after_fill"`
	SeriesAfterRun   int          `json:"series_after_run"`
	ModelValues      int          `json:"model_values"`    // distinct model label values on /metrics
	TemplateValues   int          `json:"template_values"` // distinct template label values on /metrics
	OverflowModel    int64        `json:"overflow_model"`
	OverflowTemplate int64        `json:"overflow_template"`
	WantOverflowM    int64        `json:"want_overflow_model"`
	WantOverflowT    int64        `json:"want_overflow_template"`
	// Live heap (after a forced GC) after the fill and at the end of the attack.
	LiveHeapAfterFillMB float64  `json:"live_heap_after_fill_mb"`
	LiveHeapEndMB       float64  `json:"live_heap_end_mb"`
	RSSAfterFillMB      float64  `json:"rss_after_fill_mb"`
	RSSMaxMB            float64  `json:"rss_max_mb"` // max sampled VmRSS during the attack (after the scrapes of the fill)
	PeakRSSMB           float64  `json:"vmhwm_mb"`   // the process' peak RSS, VmHWM (whole run)
	Samples             []Sample `json:"samples"`
	Scrapes             []Scrape `json:"scrapes"`
	Problems            []string `json:"problems"`
}

// Run runs the attack.
func Run(opts Options) (_ *Result, err error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Scrapes <= 0 {
		opts.Scrapes = 3
	}
	if opts.Checkpoints == nil {
		opts.Checkpoints = []int{100, 300}
	}
	if opts.SampleEvery <= 0 {
		opts.SampleEvery = 10
	}
	tel := componenttest.NewTelemetry()
	defer func() { err = errors.Join(err, tel.Shutdown(context.Background())) }()

	f := llmprometheusexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*llmprometheusexporter.Config) // default caps
	addr, err := freeport.Addr()
	if err != nil {
		return nil, err
	}
	cfg.NetAddr.Endpoint = addr
	set := exportertest.NewNopSettings(f.Type())
	set.TelemetrySettings = tel.NewTelemetrySettings()
	ctx := context.Background()
	exp, err := f.CreateTraces(ctx, set, cfg)
	if err != nil {
		return nil, err
	}
	err = exp.Start(ctx, componenttest.NewNopHost())
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, exp.Shutdown(ctx)) }()

	r := &Result{
		Values: opts.Values, MaxModels: cfg.Labels.Model.MaxValues, MaxTemplates: cfg.Labels.Template.MaxValues,
		MaxPairs: cfg.Labels.MaxLabelSets, // the label set cap: (model, template) pairs without dimensions
	}
	url := "http://" + addr + "/metrics"
	start := time.Now()
	td := spangen.Batch(opts.BatchSize, time.Now().Add(-time.Hour))
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	models := make([]string, r.MaxModels)
	for i := range models {
		models[i] = fmt.Sprintf("model-%03d", i)
	}
	tmpls := make([]string, r.MaxTemplates)
	for i := range tmpls {
		tmpls[i] = fmt.Sprintf("template-%02d", i)
	}

	// Fill: the largest series count the caps allow. Every model gets
	// max_label_sets/max_models templates (the label set cap), then one more,
	// which folds into (model, "other"): max_label_sets + max_models pairs. Every
	// pair gets 10 consecutive spangen spans (pattern i%10: 3 streamed, 1
	// error, 6 plain), so every metric family has a series per pair.
	perModel := min(r.MaxTemplates, max(r.MaxPairs/r.MaxModels, 1))
	pairs := r.MaxModels * (perModel + 1)
	checkpoints := append(slices.Clone(opts.Checkpoints), pairs)
	g := 0
	for _, cp := range checkpoints {
		cp = min(cp, pairs)
		for g < cp*10 {
			for k := range spans.Len() {
				p := (g / 10) % cp
				a := spans.At(k).Attributes()
				a.PutStr("gen_ai.request.model", models[p%r.MaxModels])
				a.PutStr("llm.template", tmpls[p/r.MaxModels])
				if p/r.MaxModels >= perModel {
					r.WantOverflowT++ // the template one past the pair cap folds
				}
				g++
			}
			err = exp.ConsumeTraces(ctx, td)
			if err != nil {
				return nil, err
			}
		}
		c := Checkpoint{Pairs: cp, LiveHeapMB: liveHeapMB(), RSSMB: rssMB("VmRSS")}
		if c.Series, _, _, err = scrapeSeries(url); err != nil {
			return nil, err
		}
		if c.Scrapes, err = timeFormats(url, opts.Scrapes); err != nil {
			return nil, err
		}
		r.Checkpoints = append(r.Checkpoints, c)
	}
	r.FillSpans = g
	r.SeriesAfterFill = r.Checkpoints[len(r.Checkpoints)-1].Series
	r.LiveHeapAfterFillMB = liveHeapMB()
	r.RSSAfterFillMB = rssMB("VmRSS")

	// Attack: span i carries a new model value unless i%4 == 2 (an admitted
	// model), and a new template value unless i%4 == 1 (an admitted template),
	// until both counts reach Values.
	attackStart := time.Now()
	var newModels, newTmpls, batches int
	i := 0
	for newModels < opts.Values || newTmpls < opts.Values {
		for k := range spans.Len() {
			a := spans.At(k).Attributes()
			newModel := i%4 != 2 && newModels < opts.Values
			if newModel {
				a.PutStr("gen_ai.request.model", "attack-model-"+strconv.Itoa(newModels))
				newModels++
				r.WantOverflowM++
			} else {
				a.PutStr("gen_ai.request.model", models[i%r.MaxModels])
			}
			newTmpl := i%4 != 1 && newTmpls < opts.Values
			if newTmpl {
				a.PutStr("llm.template", "attack-template-"+strconv.Itoa(newTmpls))
				newTmpls++
			} else {
				a.PutStr("llm.template", tmpls[i%r.MaxTemplates])
			}
			// A span naming a pair not filled is past the pair cap: its
			// template folds into "other" (its model too when it is new).
			if newModel || newTmpl || i%r.MaxTemplates >= perModel {
				r.WantOverflowT++
			}
			i++
		}
		err = exp.ConsumeTraces(ctx, td)
		if err != nil {
			return nil, err
		}
		batches++
		if batches%opts.SampleEvery == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			r.Samples = append(r.Samples, Sample{Spans: i, HeapMB: mb(ms.HeapAlloc), RSSMB: rssMB("VmRSS"), ElapsedMS: time.Since(start).Milliseconds()})
		}
	}
	r.AttackSpans = i
	r.AttackSeconds = time.Since(attackStart).Seconds()
	r.LiveHeapEndMB = liveHeapMB()
	for _, s := range r.Samples {
		r.RSSMaxMB = max(r.RSSMaxMB, s.RSSMB)
	}
	r.PeakRSSMB = rssMB("VmHWM")

	var mv, tv map[string]bool
	if r.SeriesAfterRun, mv, tv, err = scrapeSeries(url); err != nil {
		return nil, err
	}
	if r.PairsOnMetrics, err = scrapePairs(url); err != nil {
		return nil, err
	}
	r.ModelValues, r.TemplateValues = len(mv), len(tv)
	r.OverflowModel, r.OverflowTemplate, err = overflow(tel)
	if err != nil {
		return nil, err
	}

	// The scrape at the largest allowed series count is timed at the last
	// checkpoint of the fill (the attack adds only the few "other" series).
	r.Scrapes = r.Checkpoints[len(r.Checkpoints)-1].Scrapes
	r.check()
	return r, nil
}

// Reserved label values that do not count toward the caps.
const reservedModels, reservedTemplates = 2, 2 // other, unknown / other, none

func (r *Result) check() {
	bad := func(format string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, a...)) }
	if r.ModelValues > r.MaxModels+reservedModels {
		bad("%d model values on /metrics, cap %d + %d reserved", r.ModelValues, r.MaxModels, reservedModels)
	}
	if limit := r.MaxPairs + r.MaxModels + reservedModels; r.PairsOnMetrics > limit {
		bad("%d (model, template) pairs on /metrics, cap %d + one (model, other) per model value", r.PairsOnMetrics, r.MaxPairs)
	}
	if r.TemplateValues > r.MaxTemplates+reservedTemplates {
		bad("%d template values on /metrics, cap %d + %d reserved", r.TemplateValues, r.MaxTemplates, reservedTemplates)
	}
	if r.OverflowModel != r.WantOverflowM || r.OverflowTemplate != r.WantOverflowT {
		bad("overflow counted model=%d template=%d, want %d and %d", r.OverflowModel, r.OverflowTemplate, r.WantOverflowM, r.WantOverflowT)
	}
	if cp := r.Checkpoints[len(r.Checkpoints)-1]; cp.RSSMB > 100 {
		bad("VmRSS %.1f MB at the largest allowed series count, want ≤ 100 MB", cp.RSSMB)
	}
	if r.PeakRSSMB > 100 {
		bad("peak RSS (VmHWM) %.1f MB, want ≤ 100 MB", r.PeakRSSMB)
	}
	if g := r.LiveHeapEndMB - r.LiveHeapAfterFillMB; g > 5 {
		bad("live heap grew by %.1f MB during the attack", g)
	}
	for _, s := range r.Scrapes {
		if s.MaxMS > 50 {
			bad("/metrics %s: max %.1f ms, want ≤ 50 ms", s.Format, s.MaxMS)
		}
	}
}

// OK reports whether every check passed.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

func overflow(tel *componenttest.Telemetry) (model, tmpl int64, err error) {
	m, err := tel.GetMetric("otelcol_exporter_llm_prometheus_label_overflow")
	if err != nil {
		return 0, 0, err
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		return 0, 0, fmt.Errorf("otelcol_exporter_llm_prometheus_label_overflow is a %T", m.Data)
	}
	for _, dp := range sum.DataPoints {
		v, _ := dp.Attributes.Value("label")
		switch v.AsString() {
		case "model":
			model += dp.Value
		case "template":
			tmpl += dp.Value
		}
	}
	return model, tmpl, nil
}

// scrapeSeries counts the samples of the text format and the distinct model
// and template label values.
func scrapeSeries(url string) (int, map[string]bool, map[string]bool, error) {
	resp, err := get(url)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, nil, nil, errors.New(resp.Status)
	}
	models, tmpls := map[string]bool{}, map[string]bool{}
	n := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		n++
		if v, ok := label(line, "model"); ok {
			models[v] = true
		}
		if v, ok := label(line, "template"); ok {
			tmpls[v] = true
		}
	}
	return n, models, tmpls, sc.Err()
}

// scrapePairs counts the distinct (model, template) pairs of llm_requests_total.
func scrapePairs(url string) (int, error) {
	resp, err := get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	pairs := map[[2]string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "llm_requests_total{") {
			continue
		}
		pairs[[2]string{labelAnywhere(line, "model"), labelAnywhere(line, "template")}] = true
	}
	return len(pairs), sc.Err()
}

// labelAnywhere reads label name of a sample line, wherever it stands ("" if
// the line has no such label).
func labelAnywhere(line, name string) string {
	for _, sep := range []string{"{", ","} {
		if i := strings.Index(line, sep+name+`="`); i >= 0 {
			rest := line[i+len(sep)+len(name)+2:]
			if j := strings.IndexByte(rest, '"'); j >= 0 {
				return rest[:j]
			}
		}
	}
	return ""
}

func label(line, name string) (string, bool) {
	i := strings.Index(line, "{"+name+`="`)
	if i < 0 {
		i = strings.Index(line, ","+name+`="`)
	}
	if i < 0 {
		return "", false
	}
	rest := line[i+len(name)+3:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}

// get fetches url (the exporter's /metrics on the loopback interface).
func get(url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, http.NoBody)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

func timeFormats(url string, n int) ([]Scrape, error) {
	var out []Scrape
	for _, f := range []struct{ name, accept string }{
		{"text", ""},
		{"openmetrics", "application/openmetrics-text;version=1.0.0"},
		{"protobuf", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"},
	} {
		s, err := timeScrapes(url, f.accept, n)
		if err != nil {
			return nil, err
		}
		s.Format = f.name
		out = append(out, s)
	}
	return out, nil
}

func timeScrapes(url, accept string, n int) (Scrape, error) {
	var s Scrape
	d := make([]float64, 0, n)
	for range n {
		req, _ := http.NewRequest(http.MethodGet, url, http.NoBody)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return s, err
		}
		b, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return s, err
		}
		d = append(d, float64(time.Since(t0).Microseconds())/1000)
		s.Bytes = int(b)
	}
	slices.Sort(d)
	s.P50MS, s.MaxMS = d[len(d)/2], d[len(d)-1]
	return s, nil
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func liveHeapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return mb(ms.HeapAlloc)
}

// rssMB reads a field (VmRSS, VmHWM) of /proc/self/status, in MB.
func rssMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}

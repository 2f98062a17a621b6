// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package mixin generates the Prometheus rules of otelcol-llm (rules/*.yaml),
// the threshold tables of rules/README.md and the alert index of
// docs/runbook.md from one typed configuration, as the Kubernetes mixin does
// with its _config: every threshold, for, severity, selector, window and
// objective is a field of Config, with the defaults of defaults.yaml.
package mixin

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

//go:embed defaults.yaml
var defaultsYAML []byte

// reasonsText lists the reasons of llm_errors_total, one per line (pinned to
// the collector's by a test of internal/genai).
//
//go:embed reasons.txt
var reasonsText string

// Reasons are the values of the reason label of llm_errors_total.
func Reasons() []string { return strings.Fields(reasonsText) }

// Config is everything the rules are generated from (defaults.yaml documents
// each field).
type Config struct {
	RunbookURL         string  `yaml:"runbook_url"`
	Selector           string  `yaml:"selector"`
	CollectorJob       string  `yaml:"collector_job"`
	MinEventsPerMinute float64 `yaml:"min_events_per_minute"`
	Buckets            Buckets `yaml:"buckets"`
	Alerts             Alerts  `yaml:"alerts"`
	SLOs               SLOs    `yaml:"slos"`
}

// Buckets are the classic bucket boundaries the collector exports.
type Buckets struct {
	RequestDuration  []float64 `yaml:"request_duration"`
	TimeToFirstToken []float64 `yaml:"time_to_first_token"`
}

// Alert is the threshold, for and severity of an alert.
type Alert struct {
	Threshold float64        `yaml:"threshold"`
	For       model.Duration `yaml:"for"`
	Severity  string         `yaml:"severity"`
}

// FixedAlert is an alert whose threshold is part of its meaning (no traffic,
// target down): only its for and severity are set.
type FixedAlert struct {
	For      model.Duration `yaml:"for"`
	Severity string         `yaml:"severity"`
}

// FloorAlert is a factor-over-baseline alert with a floor of the share.
type FloorAlert struct {
	Alert `yaml:",inline"`
	Floor float64 `yaml:"floor"`
}

// TemplateAlert is LLMTemplateRegression: Threshold is the p95 duration's
// factor over a week ago, the others those of tokens and cost per call.
type TemplateAlert struct {
	Alert                  `yaml:",inline"`
	CompletionTokensFactor float64 `yaml:"completion_tokens_factor"`
	CostFactor             float64 `yaml:"cost_factor"`
}

// Alerts are the alerts of llm-alerts.yaml, by name.
type Alerts struct {
	HighErrorRate        Alert         `yaml:"LLMHighErrorRate"`
	LatencyRegression    Alert         `yaml:"LLMLatencyRegression"`
	TimeToFirstTokenHigh Alert         `yaml:"LLMTimeToFirstTokenHigh"`
	RateLimited          Alert         `yaml:"LLMRateLimited"`
	CostBurnHigh         Alert         `yaml:"LLMCostBurnHigh"`
	UnpricedModel        Alert         `yaml:"LLMUnpricedModel"`
	NoTraffic            FixedAlert    `yaml:"LLMNoTraffic"`
	LabelOverflow        Alert         `yaml:"LLMLabelOverflow"`
	CollectorDown        FixedAlert    `yaml:"LLMCollectorDown"`
	BudgetBurnFast       Alert         `yaml:"LLMBudgetBurnFast"`
	BudgetExceeded       Alert         `yaml:"LLMBudgetExceeded"`
	ToolErrorRate        Alert         `yaml:"LLMToolErrorRate"`
	TruncatedResponses   Alert         `yaml:"LLMTruncatedResponses"`
	StreamInterruptions  Alert         `yaml:"LLMStreamInterruptions"`
	GuardrailBlockRate   FloorAlert    `yaml:"LLMGuardrailBlockRate"`
	EvaluationScoreDrop  Alert         `yaml:"LLMEvaluationScoreDrop"`
	TemplateRegression   TemplateAlert `yaml:"LLMTemplateRegression"`
	CacheHitRatioDrop    FloorAlert    `yaml:"LLMCacheHitRatioDrop"`
}

// SLOs configures the SLO rules of llm-slo.yaml.
type SLOs struct {
	Service      string            `yaml:"service"`
	Period       model.Duration    `yaml:"period"`
	By           []string          `yaml:"by"`
	Windows      []BurnRateWindows `yaml:"windows"`
	Availability AvailabilitySLO   `yaml:"availability"`
	Latency      LatencySLO        `yaml:"latency"`
	TTFT         LatencySLO        `yaml:"ttft"`
}

// BurnRateWindows is one multiwindow burn-rate rule of every SLO.
type BurnRateWindows struct {
	Long     model.Duration `yaml:"long"`
	Short    model.Duration `yaml:"short"`
	BurnRate float64        `yaml:"burn_rate"`
	Severity string         `yaml:"severity"`
}

// AvailabilitySLO is the share of calls that do not fail for a reason
// counted against the service.
type AvailabilitySLO struct {
	Objective       float64                `yaml:"objective"`
	ExcludedReasons []string               `yaml:"excluded_reasons"`
	Overrides       []AvailabilityOverride `yaml:"overrides"`
}

// AvailabilityOverride is the objective of the models its regex matches.
type AvailabilityOverride struct {
	Model     string  `yaml:"model"`
	Objective float64 `yaml:"objective"`
}

// LatencySLO is the share of calls (streamed calls for ttft) within a
// threshold that is a bucket boundary.
type LatencySLO struct {
	Objective        float64           `yaml:"objective"`
	ThresholdSeconds float64           `yaml:"threshold_seconds"`
	Overrides        []LatencyOverride `yaml:"overrides"`
}

// LatencyOverride sets the objective and/or the threshold of the models its
// regex matches (a zero field keeps the SLO's).
type LatencyOverride struct {
	Model            string  `yaml:"model"`
	Objective        float64 `yaml:"objective"`
	ThresholdSeconds float64 `yaml:"threshold_seconds"`
}

// Default returns the configuration of defaults.yaml.
func Default() Config {
	var c Config
	if err := decodeStrict(defaultsYAML, &c); err != nil {
		panic(fmt.Sprintf("mixin: defaults.yaml: %v", err))
	}
	return c
}

// Load returns the defaults overridden by the YAML document of r (maps merge
// key by key, lists replace), validated: an unknown key or a wrong value is
// an error naming its path and the value.
func Load(r io.Reader) (Config, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return Config{}, err
	}
	c := Default()
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := decodeStrict(raw, &c); err != nil {
			return Config{}, err
		}
	}
	return c, c.Validate()
}

func decodeStrict(raw []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Validate checks every field; the error lists each wrong one as
// path: value: why.
func (c Config) Validate() error {
	var errs []error
	bad := func(path string, value any, why string) {
		errs = append(errs, fmt.Errorf("%s: %v: %s", path, value, why))
	}
	if !strings.HasPrefix(c.RunbookURL, "https://") && !strings.HasPrefix(c.RunbookURL, "http://") {
		bad("runbook_url", quote(c.RunbookURL), "not an http(s) URL")
	}
	if c.Selector != "" {
		if _, err := Matchers(c.Selector); err != nil {
			bad("selector", quote(c.Selector), err.Error())
		}
	}
	if _, err := regexp.Compile("^(?:" + c.CollectorJob + ")$"); err != nil || c.CollectorJob == "" {
		bad("collector_job", quote(c.CollectorJob), "not a non-empty regular expression")
	}
	if !(c.MinEventsPerMinute >= 0) || math.IsInf(c.MinEventsPerMinute, 0) {
		bad("min_events_per_minute", c.MinEventsPerMinute, "not a number >= 0")
	}
	for path, b := range map[string][]float64{
		"buckets.request_duration":    c.Buckets.RequestDuration,
		"buckets.time_to_first_token": c.Buckets.TimeToFirstToken,
	} {
		if len(b) == 0 || !slices.IsSorted(b) || slices.ContainsFunc(b, func(v float64) bool { return !(v > 0) || math.IsInf(v, 0) }) ||
			len(slices.Compact(slices.Clone(b))) != len(b) {
			bad(path, b, "not increasing positive bucket boundaries")
		}
	}
	for _, a := range c.alertList() {
		path := "alerts." + a.name
		if a.threshold != nil && (math.IsNaN(*a.threshold) || math.IsInf(*a.threshold, 0) || *a.threshold < 0) {
			bad(path+".threshold", *a.threshold, "not a number >= 0")
		}
		for _, x := range a.extras {
			switch {
			case x.positive && (!(x.value > 0) || math.IsInf(x.value, 0)):
				bad(path+"."+x.key, x.value, "not a number > 0")
			case !x.positive && (!(x.value >= 0) || math.IsInf(x.value, 0)):
				bad(path+"."+x.key, x.value, "not a number >= 0")
			}
		}
		if a.forDur < 0 {
			bad(path+".for", a.forDur, "negative")
		}
		if !validSeverity(a.severity) {
			bad(path+".severity", quote(a.severity), "not critical, warning or info")
		}
	}
	c.SLOs.validate(c.Buckets, bad)
	return errors.Join(errs...)
}

func (s SLOs) validate(buckets Buckets, bad func(string, any, string)) {
	if !labelName.MatchString(s.Service) {
		bad("slos.service", quote(s.Service), "not a label value of letters, digits, _ and -")
	}
	if p := s.Period; p <= 0 || p%day != 0 {
		bad("slos.period", p, "not a whole number of days")
	}
	if len(s.By) == 0 {
		bad("slos.by", s.By, "empty: name the labels each SLO is kept by (job, model)")
	}
	for i, l := range s.By {
		switch {
		case !labelName.MatchString(l) || strings.Contains(l, "-"):
			bad(fmt.Sprintf("slos.by[%d]", i), quote(l), "not a label name")
		case l == "le" || strings.HasPrefix(l, "sloth_") || l == "__name__":
			bad(fmt.Sprintf("slos.by[%d]", i), quote(l), "a label the SLO rules set or read themselves")
		case slices.Index(s.By, l) != i:
			bad(fmt.Sprintf("slos.by[%d]", i), quote(l), "listed twice")
		}
	}
	overrides := len(s.Availability.Overrides) + len(s.Latency.Overrides) + len(s.TTFT.Overrides)
	if overrides > 0 && !slices.Contains(s.By, "model") {
		bad("slos.by", s.By, "lacks model, which the per-model overrides need")
	}
	if len(s.Windows) == 0 {
		bad("slos.windows", "[]", "no burn-rate window pair")
	}
	for i, w := range s.Windows {
		path := fmt.Sprintf("slos.windows[%d]", i)
		if w.Short <= 0 || w.Long <= w.Short {
			bad(path, fmt.Sprintf("long %v, short %v", w.Long, w.Short), "want 0 < short < long")
		}
		if w.Long > s.Period {
			bad(path+".long", w.Long, "longer than the period")
		}
		if !(w.BurnRate > 0) || math.IsInf(w.BurnRate, 0) {
			bad(path+".burn_rate", w.BurnRate, "not a number > 0")
		}
		if !validSeverity(w.Severity) {
			bad(path+".severity", quote(w.Severity), "not critical, warning or info")
		}
	}
	checkObjective := func(path string, v float64) {
		if !(v > 0 && v < 100) {
			bad(path, v, "not a percentage between 0 and 100 (both excluded)")
		}
	}
	checkModel := func(path, re string) {
		if _, err := regexp.Compile("^(?:" + re + ")$"); err != nil || re == "" {
			bad(path, quote(re), "not a non-empty regular expression")
		}
	}
	checkThreshold := func(path string, v float64, boundaries []float64, field string) {
		if !slices.Contains(boundaries, v) {
			bad(path, v, fmt.Sprintf("not a bucket boundary of %s %v: the classic buckets have no other", field, boundaries))
		}
	}
	checkObjective("slos.availability.objective", s.Availability.Objective)
	reasons := Reasons()
	for i, r := range s.Availability.ExcludedReasons {
		if !slices.Contains(reasons, r) {
			bad(fmt.Sprintf("slos.availability.excluded_reasons[%d]", i), quote(r), "not a reason of llm_errors_total "+fmt.Sprint(reasons))
		}
	}
	for i, o := range s.Availability.Overrides {
		path := fmt.Sprintf("slos.availability.overrides[%d]", i)
		checkModel(path+".model", o.Model)
		checkObjective(path+".objective", o.Objective)
	}
	for _, l := range []struct {
		name, field string
		slo         LatencySLO
		boundaries  []float64
	}{
		{"latency", "buckets.request_duration", s.Latency, buckets.RequestDuration},
		{"ttft", "buckets.time_to_first_token", s.TTFT, buckets.TimeToFirstToken},
	} {
		path := "slos." + l.name
		checkObjective(path+".objective", l.slo.Objective)
		checkThreshold(path+".threshold_seconds", l.slo.ThresholdSeconds, l.boundaries, l.field)
		for i, o := range l.slo.Overrides {
			opath := fmt.Sprintf("%s.overrides[%d]", path, i)
			checkModel(opath+".model", o.Model)
			if o.Objective == 0 && o.ThresholdSeconds == 0 {
				bad(opath, quote(o.Model), "sets neither objective nor threshold_seconds")
			}
			if o.Objective != 0 {
				checkObjective(opath+".objective", o.Objective)
			}
			if o.ThresholdSeconds != 0 {
				checkThreshold(opath+".threshold_seconds", o.ThresholdSeconds, l.boundaries, l.field)
			}
		}
	}
}

const day = model.Duration(24 * time.Hour)

// promql parses PromQL with the default options of Prometheus.
var promql = parser.NewParser(parser.Options{})

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_-]*$`)

func validSeverity(s string) bool { return s == "critical" || s == "warning" || s == "info" }

func quote(s string) string { return fmt.Sprintf("%q", s) }

// Matchers parses a selector of the configuration ('a="b", c=~"d"').
func Matchers(selector string) ([]*labels.Matcher, error) {
	ms, err := promql.ParseMetricSelector("{" + selector + "}")
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Name == "__name__" {
			return nil, errors.New("names a metric: only label matchers are added")
		}
	}
	return ms, nil
}

// DefaultsYAML is defaults.yaml: every setting with its documentation.
func DefaultsYAML() string { return string(defaultsYAML) }

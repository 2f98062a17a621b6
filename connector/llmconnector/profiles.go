// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconnector // import "github.com/otelcol-llm/otelcol-llm/connector/llmconnector"

import (
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/labelvalue"
)

// A profile writes the calls under the metric names of one version of the
// GenAI semantic conventions. The names, units, attributes and bucket
// advice are data (the tables below): when the conventions rename their
// metrics again, the new names are a new table.
type profile struct {
	name        string
	provisional bool // the conventions' unreleased names
	instruments []instrument
}

// instrument is one metric of a profile.
type instrument struct {
	name, unit, help string
	counter          bool      // a monotonic sum; else a histogram
	buckets          []float64 // histograms: the conventions' bucket advice
	value            valueKind
	// errorType: the instrument carries error.type (the call's bounded
	// reason) on failed calls.
	errorType bool
	// tokenType: the value is observed once per token type, with
	// gen_ai.token.type (input, output).
	tokenType bool
	// modality: gen_ai.token.modality, required by the unreleased token
	// counters; spans do not say it, so it is "unknown".
	modality bool
}

// valueKind is what an instrument observes of a call.
type valueKind uint8

const (
	valueDuration valueKind = iota
	valueTTFT
	valueTokens // input and output (tokenType)
	valueInputTokens
	valueOutputTokens
	valueCacheRead
	valueCacheWrite
	valueReasoning
)

// Attribute keys of the conventions.
//
//nolint:gosec // G101 reads gen_ai.token.* as credentials; they are attribute names.
const (
	attrOperation = "gen_ai.operation.name"
	attrProvider  = "gen_ai.provider.name"
	attrModel     = "gen_ai.request.model"
	attrTokenType = "gen_ai.token.type"
	attrModality  = "gen_ai.token.modality"
	attrErrorType = "error.type"
)

// Bucket advice of the conventions (gen-ai-metrics.md).
var (
	tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
)

// ProfileSemconvV141 and ProfileGenAIDevelopment are the metric_names of
// the semantic-convention profiles.
const (
	ProfileSemconvV141      = "semconv_v1_41"
	ProfileGenAIDevelopment = "genai_development"
)

// semconvProfiles are the profiles besides llm.
var semconvProfiles = []profile{
	{
		// Semantic conventions v1.41 (released): gen-ai-metrics.md.
		// gen_ai.client.operation.time_per_output_chunk is left out: it is
		// one value per chunk after the first, and spans carry no chunk
		// times.
		name: ProfileSemconvV141,
		instruments: []instrument{
			{name: "gen_ai.client.token.usage", unit: "{token}", help: "Number of input and output tokens used.", buckets: tokenBuckets, value: valueTokens, tokenType: true},
			{name: "gen_ai.client.operation.duration", unit: "s", help: "GenAI operation duration.", buckets: durationBuckets, value: valueDuration, errorType: true},
			{name: "gen_ai.client.operation.time_to_first_chunk", unit: "s", help: "Time to receive the first chunk of a streamed response.", buckets: durationBuckets, value: valueTTFT},
		},
	},
	{
		// The GenAI conventions repository's main (unreleased, provisional):
		// inference metrics renamed, token usage split into counters by
		// type, per-operation token histograms.
		name: ProfileGenAIDevelopment, provisional: true,
		instruments: []instrument{
			{name: "gen_ai.client.inference.duration", unit: "s", help: "End-to-end duration of a model inference operation.", buckets: durationBuckets, value: valueDuration, errorType: true},
			{name: "gen_ai.client.inference.time_to_first_chunk", unit: "s", help: "Time to receive the first chunk of a streamed response.", buckets: durationBuckets, value: valueTTFT},
			{name: "gen_ai.client.inference.usage.input_tokens", unit: "{token}", help: "Input tokens, cached tokens included.", counter: true, value: valueInputTokens, modality: true},
			{name: "gen_ai.client.inference.usage.output_tokens", unit: "{token}", help: "Output tokens, reasoning tokens included.", counter: true, value: valueOutputTokens, modality: true},
			{name: "gen_ai.client.inference.usage.cache_read.input_tokens", unit: "{token}", help: "Input tokens read from the provider's cache.", counter: true, value: valueCacheRead, modality: true},
			{name: "gen_ai.client.inference.usage.cache_write.input_tokens", unit: "{token}", help: "Input tokens written to the provider's cache.", counter: true, value: valueCacheWrite, modality: true},
			{name: "gen_ai.client.inference.usage.reasoning.output_tokens", unit: "{token}", help: "Reasoning output tokens.", counter: true, value: valueReasoning, modality: true},
			{name: "gen_ai.client.inference.operation.input_tokens", unit: "{token}", help: "Input tokens of one operation.", buckets: tokenBuckets, value: valueInputTokens},
			{name: "gen_ai.client.inference.operation.output_tokens", unit: "{token}", help: "Output tokens of one operation.", buckets: tokenBuckets, value: valueOutputTokens},
		},
	},
}

// profileNamed returns the semantic-convention profile named name.
func profileNamed(name string) (profile, bool) {
	for _, p := range semconvProfiles {
		if p.name == name {
			return p, true
		}
	}
	return profile{}, false
}

// semconv records calls into one profile's instruments: client_golang
// vectors under the conventions' names (UTF-8 metric and label names) in a
// registry of their own, converted to OTLP at each flush.
type semconv struct {
	reg       *prometheus.Registry
	units     map[string]string
	inst      []instrument
	hists     []*prometheus.HistogramVec
	ctrs      []*prometheus.CounterVec
	models    *labelvalue.Capped
	providers *labelvalue.Capped
	// overflow counts the calls whose model or provider was past its cap,
	// and cut those whose value was cut or repaired: the connector reports
	// them at each flush.
	overflow [2]atomic.Int64 // gen_ai.request.model, gen_ai.provider.name
	cut      atomic.Int64
}

// maxProviders bounds gen_ai.provider.name: the known providers are about
// forty; an instrumentation may write any string.
const maxProviders = 50

func newSemconv(p profile, cfg *Config) (*semconv, error) {
	s := &semconv{
		reg:       prometheus.NewRegistry(),
		units:     map[string]string{},
		inst:      p.instruments,
		hists:     make([]*prometheus.HistogramVec, len(p.instruments)),
		ctrs:      make([]*prometheus.CounterVec, len(p.instruments)),
		models:    labelvalue.NewCapped(cfg.Labels.Model.MaxValues, cfg.Labels.MaxValueLength),
		providers: labelvalue.NewCapped(maxProviders, cfg.Labels.MaxValueLength),
	}
	for i, in := range p.instruments {
		labels := []string{attrOperation, attrProvider, attrModel}
		if in.tokenType {
			labels = append(labels, attrTokenType)
		}
		if in.modality {
			labels = append(labels, attrModality)
		}
		if in.errorType {
			labels = append(labels, attrErrorType)
		}
		var c prometheus.Collector
		if in.counter {
			s.ctrs[i] = prometheus.NewCounterVec(prometheus.CounterOpts{Name: in.name, Help: in.help}, labels)
			c = s.ctrs[i]
		} else {
			opts := prometheus.HistogramOpts{Name: in.name, Help: in.help, Buckets: in.buckets}
			if cfg.Histograms == HistogramsExponential {
				opts.NativeHistogramBucketFactor = cfg.NativeHistograms.BucketFactor
				opts.NativeHistogramMaxBucketNumber = cfg.NativeHistograms.MaxBuckets
			}
			s.hists[i] = prometheus.NewHistogramVec(opts, labels)
			c = s.hists[i]
		}
		if err := s.reg.Register(c); err != nil {
			return nil, fmt.Errorf("profile %s: %s: %w", p.name, in.name, err)
		}
		s.units[in.name] = in.unit
	}
	return s, nil
}

// record observes one call in every instrument.
func (s *semconv) record(c *genai.Call) {
	model, over, cut := s.models.Value(c.Model())
	s.count(0, over, cut)
	provider := ""
	if c.Provider != "" {
		provider, over, cut = s.providers.Value(c.Provider)
		s.count(1, over, cut)
	}
	errType := ""
	if c.Status == genai.StatusError {
		if errType = c.Reason.String(); errType == "" {
			errType = genai.ReasonOther.String()
		}
	}
	var buf [6]string
	for i, in := range s.inst {
		// The label values in the vector's order: operation, provider,
		// model, then token type, modality, error type when it has them.
		with := func(tokenType string) []string {
			l := append(buf[:0], c.Operation, provider, model)
			if in.tokenType {
				l = append(l, tokenType)
			}
			if in.modality {
				l = append(l, "unknown")
			}
			if in.errorType {
				l = append(l, errType)
			}
			return l
		}
		if in.value == valueTokens {
			if c.HasInputTokens {
				s.hists[i].WithLabelValues(with("input")...).Observe(float64(c.InputTokens))
			}
			if c.HasOutputTokens {
				s.hists[i].WithLabelValues(with("output")...).Observe(float64(c.OutputTokens))
			}
			continue
		}
		v, ok := value(in.value, c)
		if !ok {
			continue
		}
		if in.counter {
			s.ctrs[i].WithLabelValues(with("")...).Add(v)
		} else {
			s.hists[i].WithLabelValues(with("")...).Observe(v)
		}
	}
}

func (s *semconv) count(label int, overflow, cut bool) {
	if overflow {
		s.overflow[label].Add(1)
	}
	if cut {
		s.cut.Add(1)
	}
}

// overflowLabels name the labels of semconv.overflow.
var overflowLabels = [2]string{attrModel, attrProvider}

// value is what kind observes of c, and whether c has it.
func value(kind valueKind, c *genai.Call) (float64, bool) {
	switch kind {
	case valueDuration:
		return c.Duration, c.HasDuration
	case valueTTFT:
		return c.TTFT, c.Streamed && c.HasTTFT
	case valueInputTokens:
		return float64(c.InputTokens), c.HasInputTokens
	case valueOutputTokens:
		return float64(c.OutputTokens), c.HasOutputTokens
	case valueCacheRead:
		return float64(c.CachedInputTokens), c.HasCachedInput
	case valueCacheWrite:
		return float64(c.CacheCreationInputTokens), c.HasCacheCreation
	case valueReasoning:
		return float64(c.ReasoningTokens), c.HasReasoning
	}
	return 0, false
}

// OTLPName keeps the conventions' names and gives their units.
func (s *semconv) OTLPName(family string, _ dto.MetricType) (name, unit string) {
	return family, s.units[family]
}

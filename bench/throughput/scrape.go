// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package throughput

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
)

// scrape is one GET of /metrics (text format), timed from the request to the
// last byte of the body.
type scrape struct {
	ms       float64
	bytes    int
	families map[string]*dto.MetricFamily
}

func getMetrics(ctx context.Context, url string) (*scrape, error) {
	t := time.Now()
	resp, err := httpGet(ctx, url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	ms := float64(time.Since(t).Microseconds()) / 1000
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("GET %s: parse: %w", url, err)
	}
	return &scrape{ms: ms, bytes: len(body), families: fams}, nil
}

// total sums a family over its series: counter values, histogram counts.
func (s *scrape) total(name string) (float64, bool) {
	f, ok := s.families[name]
	if !ok {
		return 0, false
	}
	var sum float64
	for _, m := range f.GetMetric() {
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum, true
}

func (s *scrape) series() int {
	n := 0
	for _, f := range s.families {
		n += len(f.GetMetric())
	}
	return n
}

// Content is what one batch holds, as each side reads it: Calls and the
// token and histogram counts through the project's own extractor
// (internal/genai, what llm_prometheus counts), Spans and the raw
// semantic-convention attributes (what the stock recipe reads).
type Content struct {
	Spans            int64 `json:"spans"`
	Calls            int64 `json:"calls"`
	CallsWithTTFT    int64 `json:"calls_with_ttft"`
	CallsWithDur     int64 `json:"calls_with_duration"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	// The stock recipe's view: spans carrying each attribute, token sums.
	AttrTTFT             int64 `json:"attr_ttft_spans"`
	AttrPromptTokens     int64 `json:"attr_prompt_tokens"`
	AttrCompletionTokens int64 `json:"attr_completion_tokens"`
}

func contentOf(td ptrace.Traces) Content {
	var c Content
	ex := genai.NewExtractor(genai.Options{})
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				c.Spans++
				a := sp.Attributes()
				if _, ok := a.Get("gen_ai.response.time_to_first_chunk"); ok {
					c.AttrTTFT++
				}
				if v, ok := a.Get("gen_ai.usage.input_tokens"); ok {
					c.AttrPromptTokens += v.Int()
				}
				if v, ok := a.Get("gen_ai.usage.output_tokens"); ok {
					c.AttrCompletionTokens += v.Int()
				}
				var call genai.Call
				if !ex.Extract(sp, rs.Resource(), &call) {
					continue
				}
				c.Calls++
				if call.HasTTFT {
					c.CallsWithTTFT++
				}
				if call.HasDuration {
					c.CallsWithDur++
				}
				if call.HasInputTokens {
					c.PromptTokens += call.InputTokens
				}
				if call.HasOutputTokens {
					c.CompletionTokens += call.OutputTokens
				}
			}
		}
	}
	return c
}

// CheckItem compares one total on /metrics with what the accepted spans carry.
type CheckItem struct {
	Metric string  `json:"metric"`
	Want   float64 `json:"want"`
	Got    float64 `json:"got"`
}

// Check is the end-of-run comparison of /metrics with the accepted spans.
type Check struct {
	Items   []CheckItem `json:"items"`
	Match   bool        `json:"match"`
	WaitedS float64     `json:"waited_s"` // until the totals matched (or the deadline)
	// The last scrape: time, body size, series.
	ScrapeMS    float64 `json:"scrape_ms"`
	ScrapeBytes int     `json:"scrape_bytes"`
	Series      int     `json:"series"`
}

// expected lists the /metrics totals each side should show after
// `batches` accepted batches.
func expected(side string, c Content, batches float64) []CheckItem {
	if side == sideStock {
		return []CheckItem{
			{Metric: "llm_calls_total", Want: float64(c.Spans) * batches},
			{Metric: "llm_duration_seconds", Want: float64(c.Spans) * batches},
			{Metric: "llm_prompt_tokens_total", Want: float64(c.AttrPromptTokens) * batches},
			{Metric: "llm_completion_tokens_total", Want: float64(c.AttrCompletionTokens) * batches},
			{Metric: "llm_time_to_first_token_seconds", Want: float64(c.AttrTTFT) * batches},
		}
	}
	return []CheckItem{
		{Metric: "llm_requests_total", Want: float64(c.Calls) * batches},
		{Metric: "llm_request_duration_seconds", Want: float64(c.CallsWithDur) * batches},
		{Metric: "llm_prompt_tokens_total", Want: float64(c.PromptTokens) * batches},
		{Metric: "llm_completion_tokens_total", Want: float64(c.CompletionTokens) * batches},
		{Metric: "llm_time_to_first_token_seconds", Want: float64(c.CallsWithTTFT) * batches},
	}
}

// check scrapes url until every total equals what the accepted spans carry,
// or until settle has passed (the stock recipe's counts appear at its
// flushes), and returns the last comparison.
func check(ctx context.Context, url, side string, c Content, batches float64, settle time.Duration) (*Check, error) {
	t0 := time.Now()
	deadline := t0.Add(settle)
	for {
		s, err := getMetrics(ctx, url)
		if err != nil {
			return nil, err
		}
		ch := &Check{Items: expected(side, c, batches), Match: true, ScrapeMS: s.ms, ScrapeBytes: s.bytes, Series: s.series()}
		for i := range ch.Items {
			ch.Items[i].Got, _ = s.total(ch.Items[i].Metric)
			ch.Match = ch.Match && ch.Items[i].Got == ch.Items[i].Want
		}
		ch.WaitedS = time.Since(t0).Seconds()
		if ch.Match || time.Now().After(deadline) {
			return ch, nil
		}
		select {
		case <-ctx.Done():
			return ch, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

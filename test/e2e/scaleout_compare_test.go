// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// Comparisons of the scale-out tests: the llm_* samples of several replicas
// added up against those of one reference collector, from /metrics directly
// and through Prometheus.

// flatSamples are the samples of llm_* families as key → value: counters as
// name{labels}, classic histograms as name_bucket{labels,le=…}, name_sum{…}
// and name_count{…}, native histograms as name{labels}[zero] and
// name{labels}[±index] (bucket counts by bucket index).
type flatSamples map[string]float64

// flatMeta holds what must be equal, not added: the schema and zero threshold
// of each native histogram series.
type flatMeta map[string]float64

func seriesKey(name string, labels map[string]string, extra ...string) string {
	parts := make([]string, 0, len(labels)+1)
	for k, v := range labels {
		parts = append(parts, fmt.Sprintf("%s=%q", k, v))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		parts = append(parts, fmt.Sprintf("%s=%q", extra[i], extra[i+1]))
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// flattenLLM flattens the llm_* families of a protobuf scrape.
func flattenLLM(t *testing.T, mfs map[string]*dto.MetricFamily) (flatSamples, flatMeta) {
	t.Helper()
	out, meta := flatSamples{}, flatMeta{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "llm_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := labelsOf(m)
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[seriesKey(name, labels)] += m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					le := strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)
					out[seriesKey(name+"_bucket", labels, "le", le)] += float64(b.GetCumulativeCount())
				}
				out[seriesKey(name+"_bucket", labels, "le", "+Inf")] += float64(h.GetSampleCount())
				out[seriesKey(name+"_sum", labels)] += h.GetSampleSum()
				out[seriesKey(name+"_count", labels)] += float64(h.GetSampleCount())
				if h.Schema == nil {
					continue
				}
				key := seriesKey(name, labels)
				meta[key+"[schema]"] = float64(h.GetSchema())
				meta[key+"[zero_threshold]"] = h.GetZeroThreshold()
				out[key+"[zero]"] += float64(h.GetZeroCount())
				addNativeBuckets(out, key, "+", h.GetPositiveSpan(), h.GetPositiveDelta())
				addNativeBuckets(out, key, "-", h.GetNegativeSpan(), h.GetNegativeDelta())
			default:
				t.Errorf("%s: unexpected type %s", name, mf.GetType())
			}
		}
	}
	return out, meta
}

// addNativeBuckets decodes the spans and deltas of native buckets into
// absolute counts by bucket index.
func addNativeBuckets(out flatSamples, key, sign string, spans []*dto.BucketSpan, deltas []int64) {
	idx, pos := int32(0), 0
	var count int64
	for i, s := range spans {
		if i == 0 {
			idx = s.GetOffset()
		} else {
			idx += s.GetOffset()
		}
		for range s.GetLength() {
			count += deltas[pos]
			pos++
			if count != 0 {
				out[fmt.Sprintf("%s[%s%d]", key, sign, idx)] += float64(count)
			}
			idx++
		}
	}
}

// sumFlat adds up the samples of several collectors; their native histogram
// metadata must agree.
func sumFlat(t *testing.T, parts []flatSamples, metas []flatMeta) (flatSamples, flatMeta) {
	t.Helper()
	sum, meta := flatSamples{}, flatMeta{}
	for _, p := range parts {
		for k, v := range p {
			sum[k] += v
		}
	}
	for _, m := range metas {
		for k, v := range m {
			if old, ok := meta[k]; ok && old != v {
				t.Errorf("%s differs between replicas: %v and %v", k, old, v)
			}
			meta[k] = v
		}
	}
	return sum, meta
}

// sameFloat: integers (counts) must be equal; sums of floats (seconds, USD)
// may differ by the rounding of a different addition order.
func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// compareFlat asserts that got and want hold the same keys with the same values.
func compareFlat(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	var diffs []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("missing %s (want %v)", k, w))
		case !sameFloat(g, w):
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected %s = %v", k, g))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		if len(diffs) > 20 {
			diffs = append(diffs[:20], fmt.Sprintf("… and %d more", len(diffs)-20))
		}
		t.Errorf("%s: %d of %d samples differ:\n  %s", what, len(diffs), len(want), strings.Join(diffs, "\n  "))
	}
}

// promValue is one element of a PromQL instant vector: a float or a native
// histogram, flattened to key → value like flatSamples.
type promValue struct {
	labels map[string]string
	flat   map[string]float64
}

type promHistogram struct {
	Count   string  `json:"count"`
	Sum     string  `json:"sum"`
	Buckets [][]any `json:"buckets"` // [boundary rule, lower, upper, count]
}

// queryVector runs an instant query at evalMs and returns its elements with the
// labels in drop removed, keyed by their remaining labels. A scalar result is
// one element with no labels.
func (p *promServer) queryVector(ctx context.Context, q string, evalMs int64, drop ...string) (map[string]promValue, error) {
	u := fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s&time=%s", p.port, url.QueryEscape(q), msToAPITime(evalMs))
	body, _, getErr := get(ctx, u, "application/json")
	if getErr != nil {
		return nil, getErr
	}
	var resp struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", q, err, body)
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("%s: %s: %s", q, resp.ErrorType, resp.Error)
	}
	var elems []struct {
		Metric    map[string]string `json:"metric"`
		Value     *[2]any           `json:"value"`
		Histogram *[2]json.RawMessage
	}
	switch resp.Data.ResultType {
	case "vector":
		if err := json.Unmarshal(resp.Data.Result, &elems); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(resp.Data.Result, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		elems = append(elems, struct {
			Metric    map[string]string `json:"metric"`
			Value     *[2]any           `json:"value"`
			Histogram *[2]json.RawMessage
		}{Value: &v})
	default:
		return nil, fmt.Errorf("%s: result type %s, want a vector or scalar", q, resp.Data.ResultType)
	}
	out := map[string]promValue{}
	for _, e := range elems {
		labels := map[string]string{}
		for k, v := range e.Metric {
			labels[k] = v
		}
		for _, d := range drop {
			delete(labels, d)
		}
		key := seriesKey("", labels)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s: two elements with labels %s once %v are dropped", q, key, drop)
		}
		pv := promValue{labels: labels, flat: map[string]float64{}}
		switch {
		case e.Value != nil:
			_, v, perr := pointMs(*e.Value)
			if perr != nil {
				return nil, fmt.Errorf("%s: %w", q, perr)
			}
			pv.flat["value"] = v
		case e.Histogram != nil:
			var h promHistogram
			err := json.Unmarshal(e.Histogram[1], &h)
			if err != nil {
				return nil, fmt.Errorf("%s: histogram: %w", q, err)
			}
			if pv.flat["count"], err = strconv.ParseFloat(h.Count, 64); err != nil {
				return nil, fmt.Errorf("%s: histogram count: %w", q, err)
			}
			if pv.flat["sum"], err = strconv.ParseFloat(h.Sum, 64); err != nil {
				return nil, fmt.Errorf("%s: histogram sum: %w", q, err)
			}
			for _, b := range h.Buckets {
				if len(b) != 4 {
					return nil, fmt.Errorf("%s: histogram bucket %v", q, b)
				}
				c, err := strconv.ParseFloat(fmt.Sprint(b[3]), 64)
				if err != nil {
					return nil, fmt.Errorf("%s: histogram bucket %v: %w", q, b, err)
				}
				pv.flat[fmt.Sprintf("bucket(%v,%v,%v]", b[0], b[1], b[2])] = c
			}
		default:
			return nil, fmt.Errorf("%s: element %v has neither value nor histogram", q, e.Metric)
		}
		out[key] = pv
	}
	return out, nil
}

// flattenVector turns a query result into one flat map (labels + component).
func flattenVector(v map[string]promValue) map[string]float64 {
	out := map[string]float64{}
	for key, pv := range v {
		for comp, x := range pv.flat {
			out[key+" "+comp] = x
		}
	}
	return out
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package otlpmetrics

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the output (review the diff)")

// Times of the tests: series created at t0, converted at t1, t2, t3.
const (
	t0 = pcommon.Timestamp(1_700_000_000_000_000_000)
	t1 = t0 + 60_000_000_000
	t2 = t1 + 60_000_000_000
	t3 = t2 + 60_000_000_000
)

func family(name string, typ dto.MetricType, help string, ms ...*dto.Metric) *dto.MetricFamily {
	return &dto.MetricFamily{Name: proto.String(name), Help: proto.String(help), Type: typ.Enum(), Metric: ms}
}

func labels(kv ...string) []*dto.LabelPair {
	var ls []*dto.LabelPair
	for i := 0; i+1 < len(kv); i += 2 {
		ls = append(ls, &dto.LabelPair{Name: proto.String(kv[i]), Value: proto.String(kv[i+1])})
	}
	return ls
}

func protoTime(ts pcommon.Timestamp) *timestamppb.Timestamp {
	return timestamppb.New(ts.AsTime())
}

func counter(v float64, created pcommon.Timestamp, ls ...string) *dto.Metric {
	return &dto.Metric{Label: labels(ls...), Counter: &dto.Counter{Value: proto.Float64(v), CreatedTimestamp: protoTime(created)}}
}

func gauge(v float64, ls ...string) *dto.Metric {
	return &dto.Metric{Label: labels(ls...), Gauge: &dto.Gauge{Value: proto.Float64(v)}}
}

// classic returns a classic histogram created at t0 of cumulative counts
// cums at bounds (an +Inf bound included if given).
func classic(count uint64, sum float64, bounds []float64, cums []uint64, ls ...string) *dto.Metric {
	h := &dto.Histogram{SampleCount: proto.Uint64(count), SampleSum: proto.Float64(sum), CreatedTimestamp: protoTime(t0)}
	for i, b := range bounds {
		h.Bucket = append(h.Bucket, &dto.Bucket{UpperBound: proto.Float64(b), CumulativeCount: proto.Uint64(cums[i])})
	}
	return &dto.Metric{Label: labels(ls...), Histogram: h}
}

func exemplar(v float64, ts pcommon.Timestamp, ls ...string) *dto.Exemplar {
	e := &dto.Exemplar{Label: labels(ls...), Value: proto.Float64(v)}
	if ts != 0 {
		e.Timestamp = protoTime(ts)
	}
	return e
}

func spans(offLen ...int) []*dto.BucketSpan {
	var s []*dto.BucketSpan
	for i := 0; i+1 < len(offLen); i += 2 {
		s = append(s, &dto.BucketSpan{Offset: proto.Int32(int32(offLen[i])), Length: proto.Uint32(uint32(offLen[i+1]))})
	}
	return s
}

func cumulative(fams []*dto.MetricFamily, now pcommon.Timestamp, opts Options) pmetric.MetricSlice {
	ms := pmetric.NewMetricSlice()
	AppendCumulative(ms, fams, now, opts)
	return ms
}

// metricsJSON is ms as OTLP JSON (one resource, one scope).
func metricsJSON(t *testing.T, ms pmetric.MetricSlice) []byte {
	t.Helper()
	md := pmetric.NewMetrics()
	ms.CopyTo(md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics())
	b, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, b, "", "  "))
	return append(out.Bytes(), '\n')
}

// requireGolden requires ms to be, in OTLP JSON, testdata/file: every
// field, in order (pmetrictest's comparison leaves out exemplars' filtered
// attributes and fails on NaN, so the JSON is compared).
func requireGolden(t *testing.T, file string, ms pmetric.MetricSlice) {
	t.Helper()
	got := metricsJSON(t, ms)
	path := filepath.Join("testdata", file)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o600))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))
}

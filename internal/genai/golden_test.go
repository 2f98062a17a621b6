// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.calls.json golden files from the current output")

// goldenCall is the readable form of one span's extraction result in the
// golden files: counted spans carry their Call, with enums and bit sets by name.
type goldenCall struct {
	Span    string      `json:"span"`
	Counted bool        `json:"counted"`
	Call    *goldenView `json:"call,omitempty"`
}

type goldenView struct {
	Provider          string `json:"provider"`
	Operation         string `json:"operation"`
	RequestModel      string `json:"request_model"`
	ResponseModel     string `json:"response_model"`
	Model             string `json:"model"`
	Template          string `json:"template"`
	Streamed          bool   `json:"streamed"`
	Status            string `json:"status"`
	Reason            string `json:"reason"`
	InputTokens       *int64 `json:"input_tokens"`
	OutputTokens      *int64 `json:"output_tokens"`
	CachedInputTokens *int64 `json:"cached_input_tokens"`
	// omitempty: only the fixtures whose spans carry cache writes show it.
	CacheCreationInputTokens *int64   `json:"cache_creation_input_tokens,omitempty"`
	ReasoningTokens          *int64   `json:"reasoning_tokens"`
	Duration                 *float64 `json:"duration_seconds"`
	TTFT                     *float64 `json:"ttft_seconds"`
	Cost                     *float64 `json:"cost_usd"`
	Invalid                  []string `json:"invalid"`
	TraceID                  string   `json:"trace_id"`
	SpanID                   string   `json:"span_id"`
}

func opt[T any](v T, ok bool) *T {
	if !ok {
		return nil
	}
	return &v
}

func viewOf(c *Call) *goldenView {
	v := &goldenView{
		Provider: c.Provider, Operation: c.Operation, RequestModel: c.RequestModel, ResponseModel: c.ResponseModel,
		Model: c.Model(), Template: c.Template, Streamed: c.Streamed, Status: c.Status.String(), Reason: c.Reason.String(),
		InputTokens:              opt(c.InputTokens, c.HasInputTokens),
		OutputTokens:             opt(c.OutputTokens, c.HasOutputTokens),
		CachedInputTokens:        opt(c.CachedInputTokens, c.HasCachedInput),
		CacheCreationInputTokens: opt(c.CacheCreationInputTokens, c.HasCacheCreation),
		ReasoningTokens:          opt(c.ReasoningTokens, c.HasReasoning),
		Duration:                 opt(c.Duration, c.HasDuration),
		TTFT:                     opt(c.TTFT, c.HasTTFT),
		Cost:                     opt(c.Cost, c.HasCost),
		Invalid:                  []string{},
		TraceID:                  c.TraceID.String(),
		SpanID:                   c.SpanID.String(),
	}
	for _, cause := range InvalidCauses() {
		if c.Invalid&cause.Bit != 0 {
			v.Invalid = append(v.Invalid, cause.Name)
		}
	}
	return v
}

// TestGolden extracts every span of testdata/<name>.json and compares the
// results with testdata/<name>.calls.json (rewritten with -update).
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	var n int
	for _, in := range inputs {
		if strings.HasSuffix(in, ".calls.json") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			raw, err := os.ReadFile(in)
			require.NoError(t, err)
			td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
			require.NoError(t, err)

			e := NewExtractor(Options{})
			var got []goldenCall
			for _, rs := range td.ResourceSpans().All() {
				for _, ss := range rs.ScopeSpans().All() {
					for _, span := range ss.Spans().All() {
						var c Call
						g := goldenCall{Span: span.Name(), Counted: e.Extract(span, rs.Resource(), &c)}
						if g.Counted {
							g.Call = viewOf(&c)
						}
						got = append(got, g)
					}
				}
			}
			gotJSON, err := json.MarshalIndent(got, "", "  ")
			require.NoError(t, err)
			gotJSON = append(gotJSON, '\n')

			out := strings.TrimSuffix(in, ".json") + ".calls.json"
			if *update {
				require.NoError(t, os.WriteFile(out, gotJSON, 0o600))
			}
			wantJSON, err := os.ReadFile(out)
			require.NoError(t, err, "run go test -run TestGolden -update to create %s", out)
			assert.JSONEq(t, string(wantJSON), string(gotJSON))
		})
	}
	require.Positive(t, n, "no golden input in testdata")
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/<case>/expected.json from the current output")

// goldenCases: testdata/<name>/input.json goes through the processor with the
// default configuration (redact_content as given); the output must equal
// testdata/<name>/expected.json.
var goldenCases = []struct {
	name   string
	redact bool
	// config, when set, names the configuration in testdata/config.yaml
	// (llm/<config>) instead of the default one.
	config string
}{
	{name: "semconv_1_36"},          // ≤1.36 names: the latest names are added beside them
	{name: "semconv_1_41"},          // latest names: only llm.template / llm.finish_reason are added
	{name: "errors"},                // failed calls get llm.error.reason
	{name: "streamed_chunk_events"}, // TTFT from a chunk event or a non-standard attribute
	{name: "strings"},               // numeric strings become Ints; refused values stay as they were
	{name: "passthrough"},           // agent and tool spans get their llm.* name and status; the HTTP span nothing
	{name: "redaction_off"},
	{name: "redaction_on", redact: true},
	{name: "nested"}, // one call seen as two or three nested spans: only the innermost is enriched
	// llm.dimension.* from the span, then the resource; defaults; a nested
	// duplicate and a non-LLM span get none.
	{name: "dimensions", config: "dimensions"},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.name)
			input := readTraces(t, filepath.Join(dir, "input.json"))
			cfg := createDefaultConfig().(*Config)
			if tc.config != "" {
				cfg = loadConfig(t, tc.config)
			}
			cfg.RedactContent = tc.redact
			got := process(t, cfg, input)

			path := filepath.Join(dir, "expected.json")
			if *update {
				writeTraces(t, path, got)
			}
			want := readTraces(t, path)
			require.NoError(t, ptracetest.CompareTraces(want, got))
			require.Error(t, ptracetest.CompareTraces(input, got), "the processor changed nothing")
		})
	}
}

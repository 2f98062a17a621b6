// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadata"
)

// loadConfig reads llm/<name> of testdata/config.yaml and validates it.
func loadConfig(tb testing.TB, name string) *Config {
	tb.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(tb, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(tb, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(tb, sub.Unmarshal(cfg))
	require.NoError(tb, confmap.Validate(cfg))
	return cfg
}

// readTraces reads an OTLP JSON file.
func readTraces(tb testing.TB, path string) ptrace.Traces {
	tb.Helper()
	b, err := os.ReadFile(path)
	require.NoError(tb, err)
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
	require.NoError(tb, err, path)
	return td
}

// writeTraces writes td as OTLP JSON, one attribute per line.
func writeTraces(tb testing.TB, path string, td ptrace.Traces) {
	tb.Helper()
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(tb, err)
	var out bytes.Buffer
	require.NoError(tb, formatJSON(&out, b, 0))
	out.WriteByte('\n')
	require.NoError(tb, os.WriteFile(path, out.Bytes(), 0o600))
}

// formatJSON writes raw indented, keeping key order; any object or array
// whose compact form fits on a line of formatWidth is written on one line.
func formatJSON(out *bytes.Buffer, raw []byte, depth int) error {
	const formatWidth = 140
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return err
	}
	c := compact.Bytes()
	if len(c) == 0 || (c[0] != '{' && c[0] != '[') || 2*depth+len(c) <= formatWidth {
		out.Write(c)
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(c))
	open, err := dec.Token()
	if err != nil {
		return err
	}
	closing := byte(']')
	if open == json.Delim('{') {
		closing = '}'
	}
	out.WriteString(open.(json.Delim).String())
	indent := bytes.Repeat([]byte("  "), depth+1)
	for i := 0; dec.More(); i++ {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteByte('\n')
		out.Write(indent)
		if closing == '}' {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := json.Marshal(key)
			out.Write(k)
			out.WriteString(": ")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if err := formatJSON(out, v, depth+1); err != nil {
			return err
		}
	}
	out.WriteByte('\n')
	out.Write(indent[:2*depth])
	out.WriteByte(closing)
	return nil
}

// newTestProcessor builds the processor through its factory, feeding a sink.
func newTestProcessor(tb testing.TB, cfg *Config, set processor.Settings) (processor.Traces, *consumertest.TracesSink) {
	tb.Helper()
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(context.Background(), set, cfg, sink)
	require.NoError(tb, err)
	require.NoError(tb, p.Start(context.Background(), nil))
	tb.Cleanup(func() { require.NoError(tb, p.Shutdown(context.Background())) })
	return p, sink
}

// process runs td (a copy) through a processor with cfg and returns the output.
func process(tb testing.TB, cfg *Config, td ptrace.Traces) ptrace.Traces {
	tb.Helper()
	p, sink := newTestProcessor(tb, cfg, processortest.NewNopSettings(metadata.Type))
	in := ptrace.NewTraces()
	td.CopyTo(in)
	require.NoError(tb, p.ConsumeTraces(context.Background(), in))
	require.Len(tb, sink.AllTraces(), 1)
	return sink.AllTraces()[0]
}

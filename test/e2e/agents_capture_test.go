// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// updateCaptures rewrites test/e2e/clients/captures/*.json from a live run
// (go test -tags e2e ./test/e2e -run TestAgentClientsCaptures -args -update-captures).
var updateCaptures = flag.Bool("update-captures", false, "rewrite test/e2e/clients/captures from the real clients")

// capturesDir holds one OTLP JSON capture per agent / finish-reason client.
const capturesDir = clientsDir + "/captures"

// otlpRecorder is an OTLP/HTTP traces receiver that keeps every export
// request apart, in arrival order: what a client really sent, request by
// request (the pdata OTLP codec decodes them).
type otlpRecorder struct {
	url string

	mu      sync.Mutex
	exports []recordedExport
}

// recordedExport is one export request as it arrived.
type recordedExport struct {
	at     time.Time
	traces ptrace.Traces
}

// startOTLPRecorder listens on a free loopback port; t.Cleanup stops it.
func startOTLPRecorder(t *testing.T) *otlpRecorder {
	t.Helper()
	l := testproc.ListenLow(t)
	r := &otlpRecorder{url: fmt.Sprintf("http://%s/v1/traces", l.Addr())}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", r.export)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

func (r *otlpRecorder) export(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if enc := req.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
		http.Error(w, "the recorder reads uncompressed requests only, got Content-Encoding "+enc, http.StatusUnsupportedMediaType)
		return
	}
	ereq := ptraceotlp.NewExportRequest()
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		err = ereq.UnmarshalJSON(body)
	} else {
		err = ereq.UnmarshalProto(body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.exports = append(r.exports, recordedExport{at: time.Now(), traces: ereq.Traces()})
	r.mu.Unlock()
	out, err := ptraceotlp.NewExportResponse().MarshalProto()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// received returns the export requests so far.
func (r *otlpRecorder) received() []recordedExport {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.exports)
}

// mergeTraces appends the resource spans of every export, in order.
func mergeTraces(exports []recordedExport) ptrace.Traces {
	out := ptrace.NewTraces()
	for _, e := range exports {
		rss := e.traces.ResourceSpans()
		for i := range rss.Len() {
			rss.At(i).CopyTo(out.ResourceSpans().AppendEmpty())
		}
	}
	return out
}

// captureClient is a real client whose spans are kept as a capture: what the
// core in internal/genai reads (agent, tool and LLM spans, their attributes and
// parent links).
type captureClient struct {
	name   string // capture file name, without .json
	dir    string // npm project, relative to clientsDir
	script string
}

var captureClients = []captureClient{
	{name: "agent-vercel-ai-v6", dir: ".", script: "run-agent-vercel.cjs"},
	{name: "agent-vercel-ai-v7", dir: "vercel-v7", script: "run-agent-vercel-v7.cjs"},
	{name: "agent-langchain-openinference", dir: "langchain", script: "run-agent-langchain.cjs"},
	{name: "finish-otel-openai", dir: ".", script: "run-finish-otel.cjs"},
	{name: "finish-vercel-ai-v6", dir: ".", script: "run-finish-vercel.cjs"},
	{name: "finish-vercel-ai-v7", dir: "vercel-v7", script: "run-finish-vercel-v7.cjs"},
	{name: "finish-vercel-ai-v7-legacy", dir: "vercel-v7", script: "run-finish-vercel-v7-legacy.cjs"},
}

// agentClientProjects are the npm projects the agent clients need.
var agentClientProjects = []string{".", "vercel-v7", "langchain"}

// TestAgentClientsCaptures runs each agent and finish-reason client once (one
// agent invocation) against the fake server and an OTLP recorder, and checks
// that the spans have the shape of the committed capture: the same span trees
// (names, kinds, statuses, parent links), the same attribute keys, the same
// values of the keys that decide what a span is (spanShapeValueKeys), the
// same event names. With -update-captures it rewrites the captures instead.
func TestAgentClientsCaptures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := filepath.Join(testproc.RepoRoot(t), clientsDir)
	for _, p := range agentClientProjects {
		npmCI(ctx, t, filepath.Join(dir, p))
	}
	for _, cc := range captureClients {
		t.Run(cc.name, func(t *testing.T) {
			fake := startFakeOpenAI(t)
			rec := startOTLPRecorder(t)
			dump := filepath.Join(t.TempDir(), "spans.jsonl")
			runClientTo(ctx, t, filepath.Join(dir, cc.dir), cc.script, fake, rec.url, dump, "AGENT_RUNS=1")
			got := mergeTraces(rec.received())
			file := filepath.Join(testproc.RepoRoot(t), capturesDir, cc.name+".json")
			if *updateCaptures {
				writeCapture(t, file, got, testproc.RepoRoot(t))
				t.Logf("wrote %s: %d spans", file, got.SpanCount())
				return
			}
			want := readCapture(t, file)
			gotShape, wantShape := spanShape(got), spanShape(want)
			if gotShape != wantShape {
				logDump(t, dump)
				t.Errorf("the spans of %s differ from %s (rerun with -args -update-captures if the library changed on purpose)\n---- got ----\n%s---- capture ----\n%s",
					cc.script, file, gotShape, wantShape)
			}
		})
	}
}

// writeCapture writes td as indented OTLP JSON, the repository's path (in
// exception stack traces) replaced by <repo>.
func writeCapture(t *testing.T, file string, td ptrace.Traces, root string) {
	t.Helper()
	raw, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.ReplaceAll(raw, []byte(root), []byte("<repo>"))
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil { //nolint:gosec // a committed test file
		t.Fatal(err)
	}
}

// readCapture reads an OTLP JSON capture.
func readCapture(t *testing.T, file string) ptrace.Traces {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (write the captures with -args -update-captures)", err)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return td
}

// spanShapeValueKeys are the attributes whose values, not only presence, are
// part of a span's shape: they say what the span is (agent, tool, LLM call)
// and how the call ended.
var spanShapeValueKeys = map[string]bool{
	"gen_ai.operation.name":          true,
	"gen_ai.agent.name":              true,
	"gen_ai.tool.name":               true,
	"gen_ai.response.finish_reasons": true,
	"openinference.span.kind":        true,
	"tool.name":                      true,
	"agent.name":                     true,
	"llm.finish_reason":              true,
	"ai.operationId":                 true,
	"ai.toolCall.name":               true,
	"ai.telemetry.functionId":        true,
	"ai.response.finishReason":       true,
	"traceloop.span.kind":            true,
	"error.type":                     true,
}

// spanShape renders the span trees of td, one line a span, children indented
// under their parent: name, kind, status code, sorted attribute keys (with
// the values of spanShapeValueKeys), event names. Trees and siblings are in
// start order (equal shapes side by side whatever their order).
func spanShape(td ptrace.Traces) string {
	type node struct {
		span     ptrace.Span
		line     string
		children []*node
	}
	nodes := map[pcommon.SpanID]*node{}
	var order []*node
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		sss := rss.At(i).ScopeSpans()
		for j := range sss.Len() {
			scope := sss.At(j).Scope().Name()
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				s := spans.At(k)
				n := &node{span: s, line: spanLine(scope, s)}
				nodes[s.SpanID()] = n
				order = append(order, n)
			}
		}
	}
	var roots []*node
	for _, n := range order {
		if p, ok := nodes[n.span.ParentSpanID()]; ok && !n.span.ParentSpanID().IsEmpty() {
			p.children = append(p.children, n)
		} else {
			roots = append(roots, n)
		}
	}
	byStart := func(a, b *node) int {
		if c := cmp.Compare(a.span.StartTimestamp(), b.span.StartTimestamp()); c != 0 {
			return c
		}
		return strings.Compare(a.line, b.line)
	}
	var b strings.Builder
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(n.line)
		b.WriteByte('\n')
		slices.SortFunc(n.children, byStart)
		for _, c := range n.children {
			walk(c, depth+1)
		}
	}
	slices.SortFunc(roots, byStart)
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}

// spanLine is one span's line of spanShape.
func spanLine(scope string, s ptrace.Span) string {
	var keys []string
	for k, v := range s.Attributes().All() {
		if spanShapeValueKeys[k] {
			keys = append(keys, k+"="+v.AsString())
		} else {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var events []string
	for i := range s.Events().Len() {
		events = append(events, s.Events().At(i).Name())
	}
	line := fmt.Sprintf("%q %s status=%s scope=%s attrs=[%s]", s.Name(), s.Kind(), s.Status().Code(), scope, strings.Join(keys, " "))
	if len(events) > 0 {
		line += " events=[" + strings.Join(events, " ") + "]"
	}
	return line
}

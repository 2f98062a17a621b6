// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// clientsDir is the npm project of the real clients, relative to the repository root.
const clientsDir = "test/e2e/clients"

// npmStamp, inside node_modules, holds the hash of the inputs of the last
// successful `npm ci`; when it matches, node_modules is up to date.
const npmStamp = ".otelcol-llm-e2e-stamp"

// nodeTool finds a Node.js tool on PATH or fails the test saying what is missing.
func nodeTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH (%v): the real-client test needs Node.js >= 20.6 and npm", name, err)
	}
	return path
}

// checkNodeVersion fails the test when node is older than the clients need
// (@opentelemetry/sdk-node 0.223: ^18.19.0 || >=20.6.0; the scripts use 20.6).
func checkNodeVersion(t *testing.T, node string) {
	t.Helper()
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	v := strings.TrimSpace(string(out))
	var major, minor int
	if _, err := fmt.Sscanf(v, "v%d.%d", &major, &minor); err != nil {
		t.Fatalf("node --version printed %q: %v", v, err)
	}
	if major < 20 || (major == 20 && minor < 6) {
		t.Fatalf("node %s is too old: the real-client test needs Node.js >= 20.6", v)
	}
}

// npmInputsHash hashes what decides the content of node_modules: the manifest,
// the lockfile, and the Node.js version.
func npmInputsHash(t *testing.T, dir, node string) string {
	t.Helper()
	h := sha256.New()
	for _, f := range []string{"package.json", "package-lock.json", ".npmrc"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	h.Write(out)
	return hex.EncodeToString(h.Sum(nil))
}

// npmCI installs the clients' exact locked dependencies with `npm ci`, unless
// node_modules already holds an install of the same lockfile.
func npmCI(ctx context.Context, t *testing.T, dir string) {
	t.Helper()
	node := nodeTool(t, "node")
	npm := nodeTool(t, "npm")
	checkNodeVersion(t, node)
	want := npmInputsHash(t, dir, node)
	stamp := filepath.Join(dir, "node_modules", npmStamp)
	if got, err := os.ReadFile(stamp); err == nil && strings.TrimSpace(string(got)) == want {
		t.Logf("npm ci skipped: %s/node_modules is up to date with package-lock.json", dir)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	started := time.Now()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--no-update-notifier")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out.Bytes())
	}
	if err := os.WriteFile(stamp, []byte(want+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("npm ci in %s took %s", dir, time.Since(started).Round(100*time.Millisecond))
}

// runClient runs one client script with node against the fake server and the
// collector; it fails the test when the script fails or times out. The spans
// the script emitted are in dumpFile (one JSON object a line).
func runClient(ctx context.Context, t *testing.T, dir, script string, fake *fakeOpenAI, c *collector, dumpFile string) string {
	t.Helper()
	return runClientTo(ctx, t, dir, script, fake, fmt.Sprintf("http://127.0.0.1:%d/v1/traces", c.httpPort), dumpFile)
}

// runClientTo is runClient exporting to tracesURL, with more environment
// variables (NAME=value) for the script.
func runClientTo(ctx context.Context, t *testing.T, dir, script string, fake *fakeOpenAI, tracesURL, dumpFile string, env ...string) string {
	t.Helper()
	return runClientCtx(ctx, t, dir, script, fake, tracesURL, dumpFile, 60*time.Second, env...)
}

// runClientCtx is runClientTo with the script's deadline; dumpFile "" dumps nothing.
func runClientCtx(ctx context.Context, t *testing.T, dir, script string, fake *fakeOpenAI, tracesURL, dumpFile string, timeout time.Duration, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeTool(t, "node"), script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"OTLP_TRACES_URL="+tracesURL,
		"FAKE_OPENAI_BASE_URL="+fake.url,
		"SPAN_DUMP_FILE="+dumpFile,
		// Nothing of the SDK may reach out of the loopback interface, nor pick an
		// endpoint from the developer's environment.
		"OTEL_EXPORTER_OTLP_ENDPOINT=", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=",
		"OTEL_SDK_DISABLED=", "OTEL_RESOURCE_ATTRIBUTES=", "OTEL_SERVICE_NAME=",
		"OTEL_SEMCONV_STABILITY_OPT_IN=", "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=",
		"NODE_OPTIONS=", "HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy=", "NO_PROXY=127.0.0.1",
		"SPAN_BATCHING=", "AGENT_RUNS=", "AGENT_CONCURRENCY=",
		"OTEL_BSP_SCHEDULE_DELAY=", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=", "OTEL_BSP_MAX_QUEUE_SIZE=", "OTEL_BSP_EXPORT_TIMEOUT=",
	)
	cmd.Env = append(cmd.Env, env...)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	started := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = errors.Join(err, ctx.Err())
	}
	if err != nil {
		if dumpFile != "" {
			logDump(t, dumpFile)
		}
		t.Fatalf("node %s: %v\n%s", script, err, out.Bytes())
	}
	t.Logf("node %s took %s: %s", script, time.Since(started).Round(10*time.Millisecond), strings.TrimSpace(out.String()))
	return out.String()
}

// logDump logs the spans a client emitted, as the script dumped them.
func logDump(t *testing.T, dumpFile string) {
	t.Helper()
	data, err := os.ReadFile(dumpFile)
	if err != nil {
		t.Logf("span dump %s: %v", dumpFile, err)
		return
	}
	t.Logf("---- spans emitted by the client (%s) ----\n%s", dumpFile, data)
}

// The scenario every client script runs (test/e2e/clients/common.cjs and
// run-vercel.cjs), in this order, against the fake server:
//
//	2 non-streamed chats on clientModelChat                 19 + 7 tokens each
//	1 streamed chat on clientModelStream, include_usage     23 + 5 tokens, 5 content chunks
//	1 embeddings call on clientModelEmbed                   4 tokens
//	1 chat on clientModelChat answered 429 rate_limit_exceeded
//	1 chat on clientModelChat answered 500
//	1 chat on clientModelChat answered 400 context_length_exceeded
//	1 chat on clientModelChat answered 200, finish_reason content_filter   17 + 0 tokens
const (
	clientModelChat   = "gpt-4o-mini"
	clientModelStream = "gpt-4.1-nano"
	clientModelEmbed  = "text-embedding-3-small"
)

// clientRequests is what the fake server must see from every client, in order:
// exactly one request per call (maxRetries: 0), the stream asking for usage.
var clientRequests = []fakeRequest{
	{Path: "/v1/chat/completions", Model: clientModelChat, Status: 200},
	{Path: "/v1/chat/completions", Model: clientModelChat, Status: 200},
	{Path: "/v1/chat/completions", Model: clientModelStream, Stream: true, Usage: true, Status: 200},
	{Path: "/v1/embeddings", Model: clientModelEmbed, Status: 200},
	{Path: "/v1/chat/completions", Scenario: "rate_limit", Model: clientModelChat, Status: 429},
	{Path: "/v1/chat/completions", Scenario: "server_error", Model: clientModelChat, Status: 500},
	{Path: "/v1/chat/completions", Scenario: "context_length", Model: clientModelChat, Status: 400},
	{Path: "/v1/chat/completions", Scenario: "content_filter", Model: clientModelChat, Status: 200},
}

// modelWant is what one model label must show after a client's scenario.
type modelWant struct {
	success, errors    int // llm_requests_total by status
	prompt, completion int // llm_*_tokens_total
	durations          int // llm_request_duration_seconds count
	ttfts              int // llm_time_to_first_token_seconds count (0: no series)
	streamed           bool
}

// clientWant is everything one instrumentation must produce: the exact llm_*
// series, and the exporter's own span counters.
type clientWant struct {
	template string
	models   map[string]modelWant
	errors   map[[2]string]int // {model, reason} → llm_errors_total
	// The exporter's own counters: spans received, counted as calls, skipped,
	// and left out as nested duplicates (spans = calls + skipped + nested).
	spans, calls, skipped, nested int
}

// clientCases pins what each real library emits for the scenario. Every gap
// below is the library's (checked against its source and the span dump), not a
// value chosen to make the test pass; test/e2e/clients/COMPATIBILITY.md lists them.
var clientCases = []struct {
	name string
	dir  string // npm project of the script, relative to clientsDir
	// script is run with node from dir.
	script string
	want   clientWant
}{
	{
		// @opentelemetry/instrumentation-openai 0.21.0: semconv 1.36 spans
		// ("chat gpt-4o-mini", CLIENT, gen_ai.system=openai, gen_ai.usage.input_tokens /
		// output_tokens, error.type=RateLimitError / InternalServerError /
		// BadRequestError with the status message "400 This model's maximum context
		// length is …"), usage read from the final stream chunk, an embeddings span.
		// Gap: no time to first chunk (no attribute, no chunk event), so no TTFT.
		name: "otel-contrib", dir: ".", script: "run-otel.cjs",
		want: clientWant{
			template: tplNone,
			models: map[string]modelWant{
				clientModelChat:   {success: 2, errors: 4, prompt: 2*fakeChatPromptTokens + fakeFilterPromptTokens, completion: 2 * fakeChatCompletionTokens, durations: 6},
				clientModelStream: {success: 1, prompt: fakeStreamPromptTokens, completion: fakeStreamCompletionTokens, durations: 1, streamed: true},
				clientModelEmbed:  {success: 1, prompt: fakeEmbedPromptTokens, durations: 1},
			},
			errors: map[[2]string]int{
				{clientModelChat, "rate_limit"}:       1,
				{clientModelChat, "provider_5xx"}:     1,
				{clientModelChat, "context_overflow"}: 1,
				{clientModelChat, "safety_block"}:     1,
			},
			spans: 8, calls: 8,
		},
	},
	{
		// @traceloop/instrumentation-openai 0.27.0 (OpenLLMetry JS): semconv ≥1.37
		// spans ("chat gpt-4o-mini", CLIENT, gen_ai.provider.name=openai,
		// gen_ai.operation.name=chat, gen_ai.usage.input_tokens / output_tokens).
		// Gaps, all the library's:
		//   - a failed call (429, 500, 400) yields NO span: the wrapper only ends the
		//     span in the success path (APIPromise._thenUnwrap), so the span is never
		//     ended nor exported; those calls are invisible;
		//   - embeddings are not instrumented (only chat, completions, responses, images);
		//   - the streamed span ignores the usage chunk (tokens only as tiktoken
		//     estimates with enrichTokens: true, off by default): 0 tokens;
		//   - no chunk event and no TTFT attribute: no TTFT.
		name: "traceloop", dir: ".", script: "run-traceloop.cjs",
		want: clientWant{
			template: tplNone,
			models: map[string]modelWant{
				clientModelChat:   {success: 2, errors: 1, prompt: 2*fakeChatPromptTokens + fakeFilterPromptTokens, completion: 2 * fakeChatCompletionTokens, durations: 3},
				clientModelStream: {success: 1, durations: 1, streamed: true},
			},
			errors: map[[2]string]int{
				{clientModelChat, "safety_block"}: 1,
			},
			spans: 4, calls: 4,
		},
	},
	{
		// @arizeai/openinference-instrumentation-openai 4.2.7: OpenInference spans
		// ("OpenAI Chat Completions" / "OpenAI Embeddings", INTERNAL,
		// openinference.span.kind=LLM / EMBEDDING, llm.system=openai, llm.model_name =
		// the RESPONSE model "gpt-4o-mini-2025-04-14" on non-streamed chats (the
		// request model is in llm.invocation_parameters), embedding.model_name,
		// llm.token_count.prompt / completion, llm.finish_reason).
		// Gaps, all the library's:
		//   - a failed call (429, 500, 400) yields NO span: the error hook of
		//     safeExecuteInTheMiddle only sees synchronous throws, the rejected
		//     promise never ends the span;
		//   - the streamed span skips chunks without choices, so the usage chunk is
		//     ignored: 0 tokens; its status stays UNSET;
		//   - embedding spans carry no token count;
		//   - the JS instrumentation adds no "First Token Stream Event" (the Python
		//     one does): no TTFT.
		// The content_filter call (status OK, llm.finish_reason=content_filter) is a
		// safety_block error: DESIGN.md lists llm.finish_reason as a finish-reason
		// source. (Until internal/genai reads llm.finish_reason, this case fails with
		// 3 successes and no llm_errors_total series.)
		name: "openinference", dir: ".", script: "run-openinference.cjs",
		want: clientWant{
			template: tplNone,
			models: map[string]modelWant{
				clientModelChat:   {success: 2, errors: 1, prompt: 2*fakeChatPromptTokens + fakeFilterPromptTokens, completion: 2 * fakeChatCompletionTokens, durations: 3},
				clientModelStream: {success: 1, durations: 1, streamed: true},
				clientModelEmbed:  {success: 1, durations: 1},
			},
			errors: map[[2]string]int{
				{clientModelChat, "safety_block"}: 1,
			},
			spans: 5, calls: 5,
		},
	},
	{
		// Vercel AI SDK ai 6.0.325 + @ai-sdk/openai 3.0.141, experimental_telemetry
		// with functionId "capital-question": per call a parent (ai.generateText,
		// ai.streamText, ai.embed) and a provider span (ai.generateText.doGenerate,
		// ai.streamText.doStream, ai.embed.doEmbed), all INTERNAL; only the do* spans
		// count. do* spans: ai.model.id, gen_ai.request.model, ai.usage.inputTokens /
		// outputTokens (+ gen_ai.usage.*), ai.usage.tokens on doEmbed,
		// ai.response.finishReason ("content-filter"), ai.response.msToFirstChunk and
		// an ai.stream.firstChunk event on doStream. Failed calls: status ERROR with
		// the provider's message and an exception event AI_APICallError, no HTTP
		// status attribute.
		// Gap, the library's: the 500's span says only "AI_APICallError: The server
		// had an error while processing your request." (no status code anywhere), so
		// its reason is other, not provider_5xx. The 429 and the 400 are classified
		// from their messages ("Rate limit reached …", "maximum context length …").
		name: "vercel-ai", dir: ".", script: "run-vercel.cjs",
		want: clientWant{
			template: "capital-question",
			models: map[string]modelWant{
				clientModelChat:   {success: 2, errors: 4, prompt: 2*fakeChatPromptTokens + fakeFilterPromptTokens, completion: 2 * fakeChatCompletionTokens, durations: 6},
				clientModelStream: {success: 1, prompt: fakeStreamPromptTokens, completion: fakeStreamCompletionTokens, durations: 1, ttfts: 1, streamed: true},
				clientModelEmbed:  {success: 1, prompt: fakeEmbedPromptTokens, durations: 1},
			},
			errors: map[[2]string]int{
				{clientModelChat, "rate_limit"}:       1,
				{clientModelChat, "other"}:            1,
				{clientModelChat, "context_overflow"}: 1,
				{clientModelChat, "safety_block"}:     1,
			},
			spans: 16, calls: 8, skipped: 8,
		},
	},
	{
		// Vercel AI SDK v7: ai 7.0.173 + @ai-sdk/openai 4.0.118 + @ai-sdk/otel 1.0.173
		// (registerTelemetry(new OpenTelemetry())), on Node.js 20 although ai 7
		// declares >= 22. Spans: per generate/stream call invoke_agent
		// (INTERNAL, gen_ai.agent.name = the functionId, token totals) > "step 1"
		// (agent_step) > "chat gpt-4o-mini" (CLIENT, gen_ai.provider.name=openai,
		// gen_ai.usage.input_tokens / output_tokens, gen_ai.response.finish_reasons
		// ["content-filter"], gen_ai.client.operation.time_to_first_chunk (s) on the
		// streamed chat); failed calls carry status ERROR, an AI_APICallError
		// exception event and http.response.status_code (429, 500, 400). Only chat
		// and embeddings spans count (23 spans: 8 calls, 14 skipped, 1 nested).
		// embed() emits two CLIENT spans "embeddings text-embedding-3-small",
		// both gen_ai.operation.name=embeddings: the outer (root: provider and
		// model only) and the inner (its child, gen_ai.usage.input_tokens=4).
		// Span by span both count; the nested-call rule (deduplicate_nested_calls,
		// on by default) leaves out the outer one, so the embeddings call is 1
		// request and 1 duration, with the inner span's tokens. The two spans
		// reach the collector in one batch: common.cjs exports once, at the end
		// (with a per-span export they would count twice; COUNTING.md).
		// Gap:
		//   - template none: the functionId is only on the invoke_agent span
		//     (gen_ai.agent.name), not on the chat span that counts.
		name: "vercel-ai-v7", dir: "vercel-v7", script: "run-vercel-v7.cjs",
		want: clientWant{
			template: tplNone,
			models: map[string]modelWant{
				clientModelChat:   {success: 2, errors: 4, prompt: 2*fakeChatPromptTokens + fakeFilterPromptTokens, completion: 2 * fakeChatCompletionTokens, durations: 6},
				clientModelStream: {success: 1, prompt: fakeStreamPromptTokens, completion: fakeStreamCompletionTokens, durations: 1, ttfts: 1, streamed: true},
				clientModelEmbed:  {success: 1, prompt: fakeEmbedPromptTokens, durations: 1},
			},
			errors: map[[2]string]int{
				{clientModelChat, "rate_limit"}:       1,
				{clientModelChat, "provider_5xx"}:     1,
				{clientModelChat, "context_overflow"}: 1,
				{clientModelChat, "safety_block"}:     1,
			},
			spans: 23, calls: 8, skipped: 14, nested: 1,
		},
	},
}

// clientProjects are the npm projects under clientsDir: the main one (openai,
// the instrumentations, the OpenTelemetry SDK, Vercel AI v6) and Vercel AI v7,
// which cannot share a node_modules with v6.
var clientProjects = []string{".", "vercel-v7"}

// TestRealClients runs real npm clients (the openai package under three
// instrumentations, and the Vercel AI SDK) against the project's fake OpenAI
// server, exporting OTLP/HTTP to a fresh ocb-built collector each, and asserts
// the exact llm_* series each library produces.
func TestRealClients(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := filepath.Join(testproc.RepoRoot(t), clientsDir)
	for _, p := range clientProjects {
		npmCI(ctx, t, filepath.Join(dir, p))
	}
	for _, tc := range clientCases {
		t.Run(tc.name, func(t *testing.T) {
			fake := startFakeOpenAI(t)
			c := startCollector(t)
			dump := filepath.Join(t.TempDir(), "spans.jsonl")
			t.Cleanup(func() {
				if t.Failed() || os.Getenv("E2E_LOG_SPANS") != "" {
					logDump(t, dump)
				}
			})
			runClient(ctx, t, filepath.Join(dir, tc.dir), tc.script, fake, c, dump)
			assertFakeRequests(t, fake.seen())
			waitSpansReceived(ctx, t, c, tc.want.spans)
			assertClientMetrics(t, scrapeText(ctx, t, c.metricsURL()), tc.want)
			assertClientTelemetry(t, scrapeText(ctx, t, c.telemetryURL()), tc.want)
		})
	}
}

// assertFakeRequests checks the fake server saw the scenario exactly once.
func assertFakeRequests(t *testing.T, got []fakeRequest) {
	t.Helper()
	if len(got) != len(clientRequests) {
		t.Errorf("the fake server saw %d requests, want %d:\n got %+v\nwant %+v", len(got), len(clientRequests), got, clientRequests)
		return
	}
	for i := range got {
		if got[i] != clientRequests[i] {
			t.Errorf("request %d: got %+v, want %+v", i, got[i], clientRequests[i])
		}
	}
}

// waitSpansReceived polls the exporter's own spans_received counter until it
// reaches want (the default pipeline has no batching and the scripts flush
// their one export before they exit, so it normally already has), or the
// deadline passes.
func waitSpansReceived(ctx context.Context, t *testing.T, c *collector, want int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got float64
	for {
		got, _ = telemetryValue(scrapeText(ctx, t, c.telemetryURL()), "otelcol_exporter_llm_prometheus_spans_received")
		if got >= float64(want) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if got != float64(want) {
		t.Errorf("otelcol_exporter_llm_prometheus_spans_received = %v, want %d", got, want)
	}
}

// assertClientMetrics checks every llm_* series against want, exactly: the
// counters by value, the histograms by count (durations of real calls vary),
// plus the bounds the fake server's timing guarantees for the streamed call.
func assertClientMetrics(t *testing.T, mfs map[string]*dto.MetricFamily, want clientWant) {
	t.Helper()
	requests := map[string]float64{}
	prompt := map[string]float64{}
	compl := map[string]float64{}
	durations := map[string]uint64{}
	ttfts := map[string]uint64{}
	for model, m := range want.models {
		requests[key("llm_requests_total", "model", model, "template", want.template, "status", "success")] = float64(m.success)
		requests[key("llm_requests_total", "model", model, "template", want.template, "status", "error")] = float64(m.errors)
		prompt[key("llm_prompt_tokens_total", "model", model, "template", want.template)] = float64(m.prompt)
		compl[key("llm_completion_tokens_total", "model", model, "template", want.template)] = float64(m.completion)
		durations[key("llm_request_duration_seconds", "model", model, "template", want.template)] = uint64(m.durations)
		if m.ttfts > 0 {
			ttfts[key("llm_time_to_first_token_seconds", "model", model, "template", want.template)] = uint64(m.ttfts)
		}
	}
	errorsWant := map[string]float64{}
	for mr, n := range want.errors {
		errorsWant[key("llm_errors_total", "model", mr[0], "reason", mr[1])] = float64(n)
	}
	compareCounters(t, family(t, mfs, "llm_requests_total", dto.MetricType_COUNTER, "model", "template", "status"), requests)
	compareCounters(t, family(t, mfs, "llm_prompt_tokens_total", dto.MetricType_COUNTER, "model", "template"), prompt)
	compareCounters(t, family(t, mfs, "llm_completion_tokens_total", dto.MetricType_COUNTER, "model", "template"), compl)
	if len(errorsWant) > 0 {
		compareCounters(t, family(t, mfs, "llm_errors_total", dto.MetricType_COUNTER, "model", "reason"), errorsWant)
	} else if mf := mfs["llm_errors_total"]; mf != nil && len(mf.GetMetric()) > 0 {
		compareCounters(t, mf, errorsWant)
	}
	compareHistogramCounts(t, family(t, mfs, "llm_request_duration_seconds", dto.MetricType_HISTOGRAM, "model", "template"), durationBuckets, durations)
	if len(ttfts) > 0 {
		compareHistogramCounts(t, family(t, mfs, "llm_time_to_first_token_seconds", dto.MetricType_HISTOGRAM, "model", "template"), ttftBuckets, ttfts)
	} else if mf := mfs["llm_time_to_first_token_seconds"]; mf != nil && len(mf.GetMetric()) > 0 {
		compareHistogramCounts(t, mf, ttftBuckets, ttfts)
	}

	// The streamed call lasts at least until the last chunk: its first content
	// chunk comes fakeFirstChunkDelay after the request, the others and the
	// finish chunk fakeChunkGap apart. Its TTFT, when recorded, is at least
	// fakeFirstChunkDelay and at most its duration.
	minStream := (fakeFirstChunkDelay + time.Duration(len(fakeStreamChunks))*fakeChunkGap).Seconds()
	for model, m := range want.models {
		if !m.streamed {
			continue
		}
		d := histogramOf(mfs, "llm_request_duration_seconds", model, want.template)
		if d == nil {
			continue // reported above
		}
		if d.GetSampleSum() < minStream {
			t.Errorf("streamed call on %s: duration %.3fs, want ≥ %.3fs (the span must cover the whole stream)", model, d.GetSampleSum(), minStream)
		}
		if m.ttfts == 0 {
			continue
		}
		if h := histogramOf(mfs, "llm_time_to_first_token_seconds", model, want.template); h != nil {
			if ttft := h.GetSampleSum(); ttft < fakeFirstChunkDelay.Seconds() || ttft > d.GetSampleSum() {
				t.Errorf("streamed call on %s: TTFT %.3fs, want in [%.3fs, duration %.3fs]", model, ttft, fakeFirstChunkDelay.Seconds(), d.GetSampleSum())
			}
		}
	}
}

// histogramOf returns the histogram series of name{model,template}, or nil.
func histogramOf(mfs map[string]*dto.MetricFamily, name, model, template string) *dto.Histogram {
	for _, m := range mfs[name].GetMetric() {
		l := labelsOf(m)
		if l["model"] == model && l["template"] == template {
			return m.GetHistogram()
		}
	}
	return nil
}

// compareHistogramCounts asserts the family holds exactly the want series with
// these observation counts, the default bucket bounds, cumulative buckets that
// never decrease, and a +Inf bucket equal to the count.
func compareHistogramCounts(t *testing.T, mf *dto.MetricFamily, bounds []float64, want map[string]uint64) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range mf.GetMetric() {
		k := seriesString(mf.GetName(), m)
		seen[k] = true
		h := m.GetHistogram()
		w, ok := want[k]
		if !ok {
			t.Errorf("unexpected series %s (count %d)", k, h.GetSampleCount())
			continue
		}
		if h.GetSampleCount() != w {
			t.Errorf("%s: count %d, want %d", k, h.GetSampleCount(), w)
		}
		var gotBounds []float64
		var prev uint64
		for _, b := range h.GetBucket() {
			if b.GetCumulativeCount() < prev {
				t.Errorf("%s: bucket le=%v count %d below the previous %d", k, b.GetUpperBound(), b.GetCumulativeCount(), prev)
			}
			prev = b.GetCumulativeCount()
			if math.IsInf(b.GetUpperBound(), +1) {
				continue
			}
			gotBounds = append(gotBounds, b.GetUpperBound())
		}
		if prev > h.GetSampleCount() {
			t.Errorf("%s: bucket count %d above the count %d", k, prev, h.GetSampleCount())
		}
		if !slices.Equal(gotBounds, bounds) {
			t.Errorf("%s: bucket bounds %v, want %v", k, gotBounds, bounds)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("series %s is missing", k)
		}
	}
}

// assertClientTelemetry checks the exporter's own counters: every span the
// client sent was received, and counted as a call or skipped as a wrapper.
func assertClientTelemetry(t *testing.T, mfs map[string]*dto.MetricFamily, want clientWant) {
	t.Helper()
	for name, w := range map[string]int{
		"otelcol_exporter_llm_prometheus_spans_received": want.spans,
		"otelcol_exporter_llm_prometheus_calls":          want.calls,
		"otelcol_exporter_llm_prometheus_spans_skipped":  want.skipped,
		"otelcol_exporter_llm_prometheus_nested_calls":   want.nested,
		"otelcol_exporter_llm_prometheus_invalid_values": 0,
		"otelcol_exporter_llm_prometheus_label_overflow": 0,
	} {
		if got, _ := telemetryValue(mfs, name); got != float64(w) {
			t.Errorf("own telemetry %s = %v, want %d", name, got, w)
		}
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"cmp"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// The tenant attribute each real library writes, as found in its source
// (node_modules of test/e2e/clients), and the calls each script makes per
// user (run-dims-*.cjs; "" = a call without a user).
//
//   - OpenInference (@arizeai/openinference-core 2.7.1): setUser(context,
//     {userId}) puts the user in the OpenTelemetry context; the
//     instrumentation's OITracer copies it onto every span it starts as
//     `user.id` (SemanticConventions.USER_ID), one of the keys of the tenant
//     preset.
//   - Vercel AI SDK v6 (ai 6.0.325): experimental_telemetry.metadata.<key> is
//     written as `ai.telemetry.metadata.<key>` on the SDK's spans, the counted
//     provider span (ai.generateText.doGenerate) included
//     (getBaseTelemetryAttributes); the scripts use the key userId.
var dimsClients = []struct {
	script, service string
	calls           []struct {
		user string
		n    int
	}
	spans int // spans the script sends (counted or not)
}{
	{
		script: "run-dims-openinference.cjs", service: "checkout-api",
		calls: []struct {
			user string
			n    int
		}{{"alice", 2}, {"bob", 1}, {"", 1}},
		spans: 4, // one "OpenAI Chat Completions" span per call
	},
	{
		script: "run-dims-vercel.cjs", service: "search-api",
		calls: []struct {
			user string
			n    int
		}{{"carol", 2}, {"alice", 1}, {"", 1}},
		spans: 8, // ai.generateText (not counted) > ai.generateText.doGenerate per call
	},
}

// dimsClientExporterYAML: the shipped dimensions plus a tenant read from the
// keys the two libraries write (tenant.id and enduser.id are the preset's
// other keys).
const dimsClientExporterYAML = `    dimensions:
      - service
      - provider
      - label: tenant
        attributes: [tenant.id, enduser.id, user.id, ai.telemetry.metadata.userId]
        default: none
        max_values: 100`

// TestRealClientDimensions runs two real npm clients that set the resource's
// service.name (the Node SDK's serviceName) and a user per call, each the way
// its library does it, against one collector, and checks through a real
// Prometheus the exact requests and tokens per service and per tenant.
func TestRealClientDimensions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := filepath.Join(testproc.RepoRoot(t), clientsDir)
	npmCI(ctx, t, dir)

	fake := startFakeOpenAI(t)
	c := startCollectorWith(t, dimsClientExporterYAML)
	prom := startPrometheus(t, c.metricsPort)

	requests, tokens := map[string]float64{}, map[string]float64{}
	providers := map[string]float64{}
	var spans, calls int
	for _, cl := range dimsClients {
		dump := filepath.Join(t.TempDir(), "spans.jsonl")
		t.Cleanup(func() {
			if t.Failed() || os.Getenv("E2E_LOG_SPANS") != "" {
				logDump(t, dump)
			}
		})
		out := runClient(ctx, t, dir, cl.script, fake, c, dump)
		spans += cl.spans
		// The script's last line lists the user of each call it made ("-": none).
		var ran []string
		for _, u := range cl.calls {
			for range u.n {
				ran = append(ran, cmp.Or(u.user, "-"))
			}
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if want, _ := json.Marshal(struct {
			OK    bool     `json:"ok"`
			Calls []string `json:"calls"`
		}{true, ran}); lines[len(lines)-1] != string(want) {
			t.Errorf("node %s printed %q last, want %s", cl.script, lines[len(lines)-1], want)
		}
		for _, u := range cl.calls {
			tenant := u.user
			if tenant == "" {
				tenant = "none"
			}
			requests[groupKey(cl.service, tenant)] += float64(u.n)
			tokens[groupKey(cl.service, tenant)] += float64(u.n * (fakeChatPromptTokens + fakeChatCompletionTokens))
			providers[groupKey(cl.service, "openai")] += float64(u.n)
			calls += u.n
		}
	}
	// Every call reached the fake server once and was answered 200.
	seen := fake.seen()
	if len(seen) != calls {
		t.Errorf("the fake server saw %d requests, want %d: %+v", len(seen), calls, seen)
	}
	for i, r := range seen {
		if want := (fakeRequest{Path: "/v1/chat/completions", Model: clientModelChat, Status: 200}); r != want {
			t.Errorf("request %d: %+v, want %+v", i, r, want)
		}
	}
	waitSpansReceived(ctx, t, c, spans)
	sentMs := time.Now().UnixMilli()
	evalMs := waitScrapeAfter(ctx, t, prom, promJob, sentMs)

	assertQuery(ctx, t, prom, `sum by (service, tenant) (llm_requests_total{status="success"})`, evalMs, requests, "service", "tenant")
	assertQuery(ctx, t, prom, `sum(llm_requests_total{status="error"})`, evalMs, map[string]float64{"": 0})
	assertQuery(ctx, t, prom, `sum by (service, tenant) (llm_prompt_tokens_total + llm_completion_tokens_total)`, evalMs, tokens, "service", "tenant")
	assertQuery(ctx, t, prom, `sum by (service, provider) (llm_requests_total)`, evalMs, providers, "service", "provider")
}

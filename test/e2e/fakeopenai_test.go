// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// fakeOpenAI is the project's own OpenAI-compatible server for the real-client
// test: it listens on a free 127.0.0.1 port and answers POST /v1/chat/completions
// (plain and streamed) and POST /v1/embeddings with fixed contents and usage, so
// every number the clients' spans carry is known in advance.
//
// The answer is chosen by the X-Fake-Scenario request header, else by the
// request's model name (a model named like a scenario, e.g. "rate_limit"):
//
//	rate_limit        429 with an OpenAI rate-limit error body
//	server_error      500 with an OpenAI server error body
//	context_length    400 invalid_request_error, code context_length_exceeded
//	content_filter    200 whose only choice has finish_reason "content_filter"
//	length            200 cut at max tokens: finish_reason "length"
//	broken_stream     a streamed answer that breaks after its first content
//	                  chunk: the connection is closed mid-body (a request
//	                  without stream: true is closed before any answer)
//	stream_error      a streamed answer that fails after its first content
//	                  chunk the way OpenAI reports a failure mid-stream: an
//	                  event whose data is an error object (server_error), then
//	                  the end of the body, no [DONE] (a request without
//	                  stream: true is answered as server_error)
//	agent             a tool-calling model: the turn is the number of assistant
//	                  messages in the request; turn i < len(fakeAgentPlan) answers
//	                  the tool calls fakeAgentPlan[i] (finish_reason "tool_calls"),
//	                  later turns the final answer (finish_reason "stop")
//
// Anything else is a normal answer. Response models are the request model with
// a date suffix (as OpenAI answers), so a span that reports the response model
// instead of the request model shows it.
type fakeOpenAI struct {
	srv *http.Server
	url string // base URL including /v1

	mu       sync.Mutex
	requests []fakeRequest

	// agentLatency delays each answer of the agent scenario (nanoseconds; 0:
	// none), as a real model's latency, for the batch-split measurement.
	agentLatency atomic.Int64
}

// fakeResponseID is the response id of the n-th request (1-based): unique per
// answer, as OpenAI's (LangGraph merges messages that share an id).
func fakeResponseID(n int) string {
	return fmt.Sprintf("chatcmpl-fake-%d", n)
}

// fakeRequest is what the server saw, for the test's own sanity checks.
type fakeRequest struct {
	Path     string
	Scenario string
	Model    string
	Stream   bool
	Usage    bool // stream_options.include_usage
	Status   int
	Turn     int // agent scenario: assistant messages in the request
}

// The fixed answers of the fake server.
const (
	fakeChatPromptTokens     = 19
	fakeChatCompletionTokens = 7
	fakeChatText             = "Paris is the capital of France."

	fakeStreamPromptTokens     = 23
	fakeStreamCompletionTokens = 5

	fakeEmbedPromptTokens = 4
	fakeEmbedDims         = 8

	fakeFilterPromptTokens     = 17
	fakeFilterCompletionTokens = 0

	// The "length" answer: cut after fakeLengthCompletionTokens tokens.
	fakeLengthPromptTokens     = 19
	fakeLengthCompletionTokens = 4
	fakeLengthText             = "Paris is the capital"

	// The "agent" scenario: each tool-calling turn, and the final answer.
	fakeToolTurnPromptTokens       = 41
	fakeToolTurnCompletionTokens   = 12
	fakeAgentFinalPromptTokens     = 67
	fakeAgentFinalCompletionTokens = 9
	fakeAgentFinalText             = "Sunny in Paris and Berlin; the ACME price is unavailable."

	// Streamed answers: the first content chunk after fakeFirstChunkDelay, the
	// following ones fakeChunkGap apart.
	fakeFirstChunkDelay = 150 * time.Millisecond
	fakeChunkGap        = 50 * time.Millisecond
)

// fakeStreamErrorMessage is the error a stream_error stream reports after its
// first chunk.
const fakeStreamErrorMessage = "The server had an error while processing your request. Sorry about that!"

// fakeStreamChunks are the content deltas of a streamed answer (one per chunk).
var fakeStreamChunks = []string{"The", " sky", " is", " blue", "."}

// fakeToolCall is one tool call the "agent" scenario asks for.
type fakeToolCall struct {
	Name, Arguments string
}

// fakeAgentPlan is what the "agent" scenario's model asks for, turn by turn:
// two get_weather calls at once, then one get_stock_price call (the client
// scripts' get_stock_price tool always fails), then the final answer.
var fakeAgentPlan = [][]fakeToolCall{
	{{"get_weather", `{"city":"Paris"}`}, {"get_weather", `{"city":"Berlin"}`}},
	{{"get_stock_price", `{"symbol":"ACME"}`}},
}

// fakeResponseModel is what the server answers as the response model.
func fakeResponseModel(requested string) string {
	if requested == "" {
		return "unknown-2025-01-01"
	}
	return requested + "-2025-04-14"
}

// startFakeOpenAI starts the server on a free loopback port; t.Cleanup stops it.
func startFakeOpenAI(t *testing.T) *fakeOpenAI {
	t.Helper()
	l := testproc.ListenLow(t)
	f := &fakeOpenAI{url: fmt.Sprintf("http://%s/v1", l.Addr())}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", f.chat)
	mux.HandleFunc("POST /v1/embeddings", f.embeddings)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.record(fakeRequest{Path: r.URL.Path, Status: http.StatusNotFound})
		writeOpenAIError(w, http.StatusNotFound, "Unknown request URL: "+r.Method+" "+r.URL.Path, "invalid_request_error", "unknown_url")
	})
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.srv.Serve(l) }()
	t.Cleanup(func() { _ = f.srv.Close() })
	return f
}

// record keeps r and returns its number (1-based).
func (f *fakeOpenAI) record(r fakeRequest) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r)
	return len(f.requests)
}

// seen returns a copy of the requests served so far.
func (f *fakeOpenAI) seen() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

type openAIRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	EncodingFormat string `json:"encoding_format"`
	Messages       []struct {
		Role string `json:"role"`
	} `json:"messages"`
}

// assistantTurns counts the assistant messages of a chat request: the turn of
// a tool-calling conversation.
func (r *openAIRequest) assistantTurns() int {
	n := 0
	for _, m := range r.Messages {
		if m.Role == "assistant" {
			n++
		}
	}
	return n
}

// scenarioOf returns the error scenario of a request ("" for a normal answer).
func fakeScenarioOf(r *http.Request, model string) string {
	s := r.Header.Get("X-Fake-Scenario")
	if s == "" {
		s = model
	}
	switch s {
	case "rate_limit", "server_error", "context_length", "content_filter", "length", "broken_stream", "stream_error", "agent":
		return s
	}
	return ""
}

func readFakeRequest(w http.ResponseWriter, r *http.Request) (openAIRequest, bool) {
	var req openAIRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeOpenAIError(w, http.StatusBadRequest, "We could not parse the JSON body of your request.", "invalid_request_error", "")
		return req, false
	}
	return req, true
}

func writeFakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req_fake")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeOpenAIError writes an error in OpenAI's shape. x-should-retry: false tells
// the openai client not to retry, on top of the scripts' maxRetries: 0.
func writeOpenAIError(w http.ResponseWriter, status int, message, typ, code string) {
	w.Header().Set("X-Should-Retry", "false")
	var c any
	if code != "" {
		c = code
	}
	writeFakeJSON(w, status, map[string]any{"error": map[string]any{
		"message": message, "type": typ, "param": nil, "code": c,
	}})
}

// writeScenarioError answers the error scenarios; it reports whether it did.
func writeScenarioError(w http.ResponseWriter, scenario, model string) (int, bool) {
	switch scenario {
	case "rate_limit":
		writeOpenAIError(w, http.StatusTooManyRequests,
			"Rate limit reached for "+model+" in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1.",
			"rate_limit_exceeded", "rate_limit_exceeded")
		return http.StatusTooManyRequests, true
	case "server_error":
		writeOpenAIError(w, http.StatusInternalServerError,
			"The server had an error while processing your request. Sorry about that!", "server_error", "")
		return http.StatusInternalServerError, true
	case "context_length":
		writeOpenAIError(w, http.StatusBadRequest,
			"This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
			"invalid_request_error", "context_length_exceeded")
		return http.StatusBadRequest, true
	}
	return 0, false
}

func fakeUsage(prompt, completion int) map[string]any {
	return map[string]any{
		"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
		"prompt_tokens_details":     map[string]any{"cached_tokens": 0, "audio_tokens": 0},
		"completion_tokens_details": map[string]any{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
	}
}

func (f *fakeOpenAI) chat(w http.ResponseWriter, r *http.Request) {
	req, ok := readFakeRequest(w, r)
	if !ok {
		f.record(fakeRequest{Path: r.URL.Path, Status: http.StatusBadRequest})
		return
	}
	scenario := fakeScenarioOf(r, req.Model)
	rec := fakeRequest{
		Path: r.URL.Path, Scenario: scenario, Model: req.Model, Stream: req.Stream,
		Usage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage, Status: http.StatusOK,
	}
	errScenario := scenario
	if scenario == "stream_error" && !req.Stream {
		errScenario = "server_error"
	}
	if status, done := writeScenarioError(w, errScenario, req.Model); done {
		rec.Status = status
		f.record(rec)
		return
	}
	if scenario == "agent" {
		rec.Turn = req.assistantTurns()
	}
	id := fakeResponseID(f.record(rec))
	if scenario == "broken_stream" && !req.Stream {
		// Close the connection before any answer.
		panic(http.ErrAbortHandler)
	}
	if req.Stream {
		f.stream(w, r, req, id, rec.Usage, scenario)
		return
	}
	var content any = fakeChatText
	var toolCalls []any
	finish := "stop"
	prompt, completion := fakeChatPromptTokens, fakeChatCompletionTokens
	switch scenario {
	case "content_filter":
		content, finish = "", "content_filter"
		prompt, completion = fakeFilterPromptTokens, fakeFilterCompletionTokens
	case "length":
		content, finish = fakeLengthText, "length"
		prompt, completion = fakeLengthPromptTokens, fakeLengthCompletionTokens
	case "agent":
		if d := time.Duration(f.agentLatency.Load()); d > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(d):
			}
		}
		if rec.Turn < len(fakeAgentPlan) {
			for i, c := range fakeAgentPlan[rec.Turn] {
				toolCalls = append(toolCalls, map[string]any{
					"id": fmt.Sprintf("call_fake_%d_%d", rec.Turn, i), "type": "function",
					"function": map[string]any{"name": c.Name, "arguments": c.Arguments},
				})
			}
			content, finish = nil, "tool_calls"
			prompt, completion = fakeToolTurnPromptTokens, fakeToolTurnCompletionTokens
		} else {
			content = fakeAgentFinalText
			prompt, completion = fakeAgentFinalPromptTokens, fakeAgentFinalCompletionTokens
		}
	}
	message := map[string]any{"role": "assistant", "content": content, "refusal": nil, "annotations": []any{}}
	if toolCalls != nil {
		message["tool_calls"] = toolCalls
	}
	writeFakeJSON(w, http.StatusOK, map[string]any{
		"id": id, "object": "chat.completion", "created": time.Now().Unix(),
		"model": fakeResponseModel(req.Model), "system_fingerprint": "fp_fake", "service_tier": "default",
		"choices": []any{map[string]any{
			"index": 0, "logprobs": nil, "finish_reason": finish, "message": message,
		}},
		"usage": fakeUsage(prompt, completion),
	})
}

// stream answers a streamed chat as server-sent events: a role chunk, the
// content chunks (the first after fakeFirstChunkDelay, then fakeChunkGap apart),
// a finish chunk, the usage chunk when include_usage was asked, then [DONE].
// The content_filter scenario sends no content and finish_reason
// content_filter; broken_stream closes the connection after the first content
// chunk, in the middle of the response body.
func (f *fakeOpenAI) stream(w http.ResponseWriter, r *http.Request, req openAIRequest, id string, withUsage bool, scenario string) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Request-Id", "req_fake")
	w.WriteHeader(http.StatusOK)
	created := time.Now().Unix()
	model := fakeResponseModel(req.Model)
	send := func(choices []any, u any) bool {
		chunk := map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created,
			"model": model, "system_fingerprint": "fp_fake", "service_tier": "default", "choices": choices,
		}
		if withUsage {
			chunk["usage"] = u
		}
		data, _ := json.Marshal(chunk)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	wait := func(d time.Duration) bool {
		select {
		case <-r.Context().Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	delta := func(d map[string]any, finish any) []any {
		return []any{map[string]any{"index": 0, "delta": d, "logprobs": nil, "finish_reason": finish}}
	}
	// The role chunk carries no content: the time to first token is the first content chunk.
	if !wait(fakeFirstChunkDelay) || !send(delta(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil), nil) {
		return
	}
	chunks, finish := fakeStreamChunks, "stop"
	if scenario == "content_filter" {
		chunks, finish = nil, "content_filter"
	}
	for i, c := range chunks {
		if i > 0 && !wait(fakeChunkGap) {
			return
		}
		if !send(delta(map[string]any{"content": c}, nil), nil) {
			return
		}
		if scenario == "broken_stream" {
			// The client has its first token; the connection breaks (the
			// chunked body never ends), as when a provider drops a stream.
			panic(http.ErrAbortHandler)
		}
		if scenario == "stream_error" {
			// The client has its first token; fakeChunkGap later (the time to
			// first chunk stays well below the call's duration) the server
			// reports an error in the stream and ends the body.
			if !wait(fakeChunkGap) {
				return
			}
			data, _ := json.Marshal(map[string]any{"error": map[string]any{
				"message": fakeStreamErrorMessage, "type": "server_error", "param": nil, "code": nil,
			}})
			_, _ = fmt.Fprintf(w, "data: %s\n\n", data)
			return
		}
	}
	if !wait(fakeChunkGap) || !send(delta(map[string]any{}, finish), nil) {
		return
	}
	if withUsage && !send([]any{}, fakeUsage(fakeStreamPromptTokens, fakeStreamCompletionTokens)) {
		return
	}
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

func (f *fakeOpenAI) embeddings(w http.ResponseWriter, r *http.Request) {
	req, ok := readFakeRequest(w, r)
	if !ok {
		f.record(fakeRequest{Path: r.URL.Path, Status: http.StatusBadRequest})
		return
	}
	scenario := fakeScenarioOf(r, req.Model)
	rec := fakeRequest{Path: r.URL.Path, Scenario: scenario, Model: req.Model, Status: http.StatusOK}
	if status, done := writeScenarioError(w, scenario, req.Model); done {
		rec.Status = status
		f.record(rec)
		return
	}
	f.record(rec)
	vec := make([]float32, fakeEmbedDims)
	for i := range vec {
		vec[i] = float32(i+1) / fakeEmbedDims
	}
	var embedding any = vec
	if strings.EqualFold(req.EncodingFormat, "base64") {
		// The openai client asks for base64 (little-endian float32) by default and decodes it.
		buf := make([]byte, 4*len(vec))
		for i, v := range vec {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		embedding = base64.StdEncoding.EncodeToString(buf)
	}
	writeFakeJSON(w, http.StatusOK, map[string]any{
		"object": "list", "model": req.Model, // OpenAI answers the embedding model undated
		"data":  []any{map[string]any{"object": "embedding", "index": 0, "embedding": embedding}},
		"usage": map[string]any{"prompt_tokens": fakeEmbedPromptTokens, "total_tokens": fakeEmbedPromptTokens},
	})
}

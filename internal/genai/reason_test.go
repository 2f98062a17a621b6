// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func extractOne(t *testing.T, attrs map[string]any, mods ...spanMod) Call {
	t.Helper()
	span, res := mkSpan(attrs, mods...)
	var c Call
	require.True(t, NewExtractor(Options{}).Extract(span, res, &c))
	return c
}

// classNames lists every class name or code of the reason rules with the
// reason it must give.
var classNames = []struct {
	name   string
	reason Reason
}{
	{"RateLimitError", ReasonRateLimit},
	{"rate_limit_exceeded", ReasonRateLimit},
	{"rate_limit_error", ReasonRateLimit},
	{"insufficient_quota", ReasonRateLimit},
	{"ContextWindowExceededError", ReasonContextOverflow},
	{"context_length_exceeded", ReasonContextOverflow},
	{"APITimeoutError", ReasonTimeout},
	{"Timeout", ReasonTimeout},
	{"timeout", ReasonTimeout},
	{"TimeoutError", ReasonTimeout},
	{"ReadTimeout", ReasonTimeout},
	{"ConnectTimeout", ReasonTimeout},
	{"DeadlineExceeded", ReasonTimeout},
	{"DeadlineExceededError", ReasonTimeout},
	{"java.util.concurrent.TimeoutException", ReasonTimeout},
	{"context deadline exceeded", ReasonTimeout},
	{"ContentPolicyViolationError", ReasonSafetyBlock},
	{"ContentFilterFinishReasonError", ReasonSafetyBlock},
	{"InternalServerError", ReasonProvider5xx},
	{"ServiceUnavailableError", ReasonProvider5xx},
	{"OverloadedError", ReasonProvider5xx},
	{"overloaded_error", ReasonProvider5xx},
	{"AuthenticationError", ReasonAuth},
	{"PermissionDeniedError", ReasonAuth},
	{"NotFoundError", ReasonNotFound},
	{"APIConnectionError", ReasonConnection},
	{"ConnectionError", ReasonConnection},
	{"CancelledError", ReasonCancelled},
	{"Cancelled", ReasonCancelled},
	{"context canceled", ReasonCancelled},
	{"BadRequestError", ReasonBadRequest},
	{"UnprocessableEntityError", ReasonBadRequest},
	{"APIError", ReasonOther},
	{"APIStatusError", ReasonOther},
	{"Exception", ReasonOther},
	{"ServiceResponseException", ReasonOther},
	{"_OTHER", ReasonOther},
	{"SomethingUnheardOf", ReasonOther},
	{"429", ReasonRateLimit},
	{"500", ReasonProvider5xx},
	{"404", ReasonNotFound},
}

// classForms are the ways instrumentations write a class name.
var classForms = []struct {
	name string
	form func(string) string
}{
	{"plain", func(s string) string { return s }},
	{"module", func(s string) string { return "openai." + s }},
	{"nested module", func(s string) string { return "litellm.exceptions." + s }},
	{"python class", func(s string) string { return "<class 'openai." + s + "'>" }},
	{"python class, double quotes", func(s string) string { return `<class "` + s + `">` }},
	{"upper case", strings.ToUpper},
	{"lower case", strings.ToLower},
	{"padded", func(s string) string { return "  " + s + "\n" }},
}

func TestReasonFromErrorType(t *testing.T) {
	for _, cn := range classNames {
		for _, f := range classForms {
			if f.name != "plain" && f.name != "padded" && cn.name[0] >= '0' && cn.name[0] <= '9' {
				continue // numeric codes have no module
			}
			name := f.form(cn.name)
			t.Run(cn.name+"/"+f.name, func(t *testing.T) {
				// error.type alone (no ERROR status) makes the call an error.
				c := extractOne(t, chat(map[string]any{"error.type": name}))
				assert.Equal(t, want(failed(cn.reason)), c, "error.type=%q", name)
			})
		}
	}
}

func TestReasonFromExceptionEvent(t *testing.T) {
	for _, cn := range classNames {
		for _, f := range classForms {
			if f.name != "plain" && cn.name[0] >= '0' && cn.name[0] <= '9' {
				continue
			}
			name := f.form(cn.name)
			t.Run(cn.name+"/"+f.name, func(t *testing.T) {
				c := extractOne(t, chat(nil),
					withStatus(ptrace.StatusCodeError, ""),
					withEvent("exception", time.Second, map[string]any{"exception.type": name, "exception.message": "x"}))
				assert.Equal(t, want(failed(cn.reason)), c, "exception.type=%q", name)
			})
		}
	}
}

func TestReasonFromHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		code   any
		reason Reason
	}{
		{429, ReasonRateLimit},
		{408, ReasonTimeout},
		{504, ReasonTimeout},
		{401, ReasonAuth},
		{403, ReasonAuth},
		{404, ReasonNotFound},
		{400, ReasonBadRequest},
		{413, ReasonBadRequest},
		{422, ReasonBadRequest},
		{499, ReasonCancelled},
		{500, ReasonProvider5xx},
		{502, ReasonProvider5xx},
		{503, ReasonProvider5xx},
		{529, ReasonProvider5xx},
		{599, ReasonProvider5xx},
		{402, ReasonOther},
		{200, ReasonOther},
		{600, ReasonOther},
		{-1, ReasonOther},
		{"429", ReasonRateLimit},
		{" 503 ", ReasonProvider5xx},
		{429.0, ReasonRateLimit},
		{429.5, ReasonOther},
		{"rate_limit_exceeded", ReasonRateLimit}, // a provider body code in error.code
		{"Too Many Requests", ReasonOther},
		{true, ReasonOther},
	} {
		for _, key := range []string{"error.code", "http.response.status_code"} {
			c := extractOne(t, chat(map[string]any{key: tc.code}), withStatus(ptrace.StatusCodeError, ""))
			assert.Equal(t, want(failed(tc.reason)), c, "%s=%v", key, tc.code)
		}
	}
	// error.type set to a status code, as a string or an Int.
	assert.Equal(t, want(failed(ReasonRateLimit)), extractOne(t, chat(map[string]any{"error.type": 429})))
	assert.Equal(t, want(failed(ReasonProvider5xx)), extractOne(t, chat(map[string]any{"error.type": "503"})))
	// A status code alone does not make a call an error.
	assert.Equal(t, want(nil), extractOne(t, chat(map[string]any{"http.response.status_code": 429})))
}

func TestReasonFromMessage(t *testing.T) {
	for _, tc := range []struct {
		msg    string
		reason Reason
	}{
		{"Error code: 400 - {'error': {'code': 'context_length_exceeded'}}", ReasonContextOverflow},
		{"This model's maximum context length is 8192 tokens", ReasonContextOverflow},
		{"input exceeds the context window of this model", ReasonContextOverflow},
		{"prompt is too long: 210000 tokens > 200000 maximum", ReasonContextOverflow},
		{"Rate limit reached for gpt-4o", ReasonRateLimit},
		{"rate_limit_exceeded", ReasonRateLimit},
		{"RateLimitError: Error code: 429", ReasonRateLimit},
		{"429 Too Many Requests", ReasonRateLimit},
		{"You exceeded your current quota (insufficient_quota)", ReasonRateLimit},
		{"Request timed out.", ReasonTimeout},
		{"upstream TIMEOUT", ReasonTimeout},
		{"context deadline exceeded", ReasonTimeout},
		{"The response was filtered: content_filter", ReasonSafetyBlock},
		{"Your request was rejected as a result of our Content Policy", ReasonSafetyBlock},
		{"Connection reset by peer", ReasonOther},
		{"", ReasonOther},
		{strings.Repeat("x", maxTextScan) + " rate limit", ReasonOther}, // beyond the scanned prefix
	} {
		t.Run(tc.msg, func(t *testing.T) {
			c := extractOne(t, chat(nil), withStatus(ptrace.StatusCodeError, tc.msg))
			assert.Equal(t, want(failed(tc.reason)), c, "status message")
			c = extractOne(t, chat(nil), withStatus(ptrace.StatusCodeError, ""),
				withEvent("exception", time.Second, map[string]any{"exception.type": "Exception", "exception.message": tc.msg}))
			assert.Equal(t, want(failed(tc.reason)), c, "exception.message")
		})
	}
}

func TestReasonFromFinishReasons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		value  any
		status Status
		reason Reason
		finish FinishReason
	}{
		{"stop", []any{"stop"}, StatusSuccess, ReasonNone, FinishStop},
		{"length is not an error", []any{"length"}, StatusSuccess, ReasonNone, FinishLength},
		{"tool_call", []any{"tool_call"}, StatusSuccess, ReasonNone, FinishToolCalls},
		{"content_filter", []any{"content_filter"}, StatusError, ReasonSafetyBlock, FinishContentFilter},
		// The finish reason is the first choice's; the error any choice's.
		{"second choice filtered", []any{"stop", "content_filter"}, StatusError, ReasonSafetyBlock, FinishStop},
		{"refusal", []any{"refusal"}, StatusError, ReasonSafetyBlock, FinishContentFilter},
		{"SAFETY", []any{"SAFETY"}, StatusError, ReasonSafetyBlock, FinishContentFilter},
		{"PROHIBITED_CONTENT", []any{"PROHIBITED_CONTENT"}, StatusError, ReasonSafetyBlock, FinishContentFilter},
		{"mixed case", []any{"Content_Filter"}, StatusError, ReasonSafetyBlock, FinishContentFilter},
		{"plain string", "content_filter", StatusError, ReasonSafetyBlock, FinishContentFilter},
		{"JSON string", `["SAFETY"]`, StatusError, ReasonSafetyBlock, FinishContentFilter},
		{"comma-joined string", "stop, refusal", StatusError, ReasonSafetyBlock, FinishStop},
		{"JSON string, stop", `["STOP"]`, StatusSuccess, ReasonNone, FinishStop},
		{"substring is not a reason", "content_filtered_out", StatusSuccess, ReasonNone, FinishOther},
		{"non-string elements", []any{1, true, nil}, StatusSuccess, ReasonNone, FinishNone},
		{"not a list", 3, StatusSuccess, ReasonNone, FinishNone},
		{"enum prefix", []any{"FinishReason.MAX_TOKENS"}, StatusSuccess, ReasonNone, FinishLength},
		{"Anthropic end_turn", []any{"end_turn"}, StatusSuccess, ReasonNone, FinishStop},
		{"Anthropic tool_use", []any{"tool_use"}, StatusSuccess, ReasonNone, FinishToolCalls},
		{"Vercel tool-calls", "tool-calls", StatusSuccess, ReasonNone, FinishToolCalls},
		{"Vercel error", "error", StatusError, ReasonOther, FinishError},
		{"unknown", []any{"pause_turn"}, StatusSuccess, ReasonNone, FinishOther},
		{"empty list", []any{}, StatusSuccess, ReasonNone, FinishNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := extractOne(t, chat(map[string]any{"gen_ai.response.finish_reasons": tc.value}))
			assert.Equal(t, want(func(c *Call) { c.Status, c.Reason, c.FinishReason = tc.status, tc.reason, tc.finish }), c)
		})
	}
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]any
		mods  []spanMod
		want  Call
	}{
		{"unset", chat(nil), nil, want(nil)},
		{"ok", chat(nil), []spanMod{withStatus(ptrace.StatusCodeOk, "")}, want(nil)},
		{"error status alone", chat(nil), []spanMod{withStatus(ptrace.StatusCodeError, "")}, want(failed(ReasonOther))},
		{"error.type alone", chat(map[string]any{"error.type": "_OTHER"}), nil, want(failed(ReasonOther))},
		{"error.type on an OK span", chat(map[string]any{"error.type": "RateLimitError"}), []spanMod{withStatus(ptrace.StatusCodeOk, "")}, want(failed(ReasonRateLimit))},
		{"empty error.type", chat(map[string]any{"error.type": ""}), nil, want(nil)},
		{"exception event alone is not a failure", chat(nil), []spanMod{withEvent("exception", 0, map[string]any{"exception.type": "RateLimitError"})}, want(nil)},
		{"status message alone is not a failure", chat(nil), []spanMod{withStatus(ptrace.StatusCodeUnset, "rate limit")}, want(nil)},
		{
			"tokens still count on failed calls", chat(map[string]any{"error.type": "timeout", "gen_ai.usage.input_tokens": 30}), nil,
			want(func(c *Call) {
				failed(ReasonTimeout)(c)
				c.InputTokens, c.HasInputTokens = 30, true
			}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, extractOne(t, tc.attrs, tc.mods...))
		})
	}
}

// A generic signal gives way to any specific one, wherever it is; between
// specific signals (and between generic ones) the source order decides.
func TestReasonPrecedence(t *testing.T) {
	exception := func(typ, msg string) spanMod {
		return withEvent("exception", time.Second, map[string]any{"exception.type": typ, "exception.message": msg})
	}
	errStatus := func(msg string) spanMod { return withStatus(ptrace.StatusCodeError, msg) }
	for _, tc := range []struct {
		name  string
		attrs map[string]any
		mods  []spanMod
		want  Reason
	}{
		{
			"BadRequestError + context message", chat(map[string]any{"error.type": "BadRequestError"}),
			[]spanMod{errStatus("400 This model's maximum context length is 8192 tokens")},
			ReasonContextOverflow,
		},
		{
			"openai.BadRequestError + HTTP 400 + content_filter message", chat(map[string]any{"error.type": "openai.BadRequestError", "http.response.status_code": 400}),
			[]spanMod{errStatus("Error code: 400 - content_filter")},
			ReasonSafetyBlock,
		},
		{
			"BadRequestError + safety finish reason", chat(map[string]any{"error.type": "BadRequestError", "gen_ai.response.finish_reasons": []any{"content_filter"}}),
			nil, ReasonSafetyBlock,
		},
		{"BadRequestError alone", chat(map[string]any{"error.type": "BadRequestError"}), []spanMod{errStatus("400 invalid tool schema")}, ReasonBadRequest},
		{"HTTP 400 alone", chat(map[string]any{"http.response.status_code": 400}), []spanMod{errStatus("Bad Request")}, ReasonBadRequest},
		{"APIStatusError + HTTP 503", chat(map[string]any{"error.type": "APIStatusError", "http.response.status_code": 503}), nil, ReasonProvider5xx},
		{"APIError + HTTP 400: first generic wins", chat(map[string]any{"error.type": "APIError", "error.code": "400"}), nil, ReasonOther},
		{
			"BadRequestError + generic exception: first generic wins", chat(map[string]any{"error.type": "BadRequestError"}),
			[]spanMod{exception("Exception", "bad")},
			ReasonBadRequest,
		},
		{
			"Exception carrying the real class in its message", chat(nil),
			[]spanMod{errStatus(""), exception("Exception", "openai.RateLimitError: Rate limit reached")},
			ReasonRateLimit,
		},
		{"_OTHER + HTTP 429", chat(map[string]any{"error.type": "_OTHER", "http.response.status_code": 429}), nil, ReasonRateLimit},
		{
			"error.type beats exception.type", chat(map[string]any{"error.type": "RateLimitError"}),
			[]spanMod{exception("openai.APITimeoutError", "")},
			ReasonRateLimit,
		},
		{
			"exception.type beats HTTP status", chat(map[string]any{"http.response.status_code": 503}),
			[]spanMod{errStatus(""), exception("openai.APITimeoutError", "")},
			ReasonTimeout,
		},
		{
			"HTTP status beats the message", chat(map[string]any{"error.code": "429"}),
			[]spanMod{errStatus("Request timed out")},
			ReasonRateLimit,
		},
		{
			"error.code beats http.response.status_code", chat(map[string]any{"error.code": 504, "http.response.status_code": 500}),
			[]spanMod{errStatus("")},
			ReasonTimeout,
		},
		{
			"status message beats exception message", chat(nil),
			[]spanMod{errStatus("Request timed out"), exception("Exception", "rate limit")},
			ReasonTimeout,
		},
		{
			"message beats finish reason", chat(map[string]any{"gen_ai.response.finish_reasons": []any{"content_filter"}}),
			[]spanMod{errStatus("maximum context length exceeded")},
			ReasonContextOverflow,
		},
		{
			"specific in a later exception event beats generic in an earlier one", chat(nil),
			[]spanMod{errStatus(""), exception("Exception", ""), exception("openai.NotFoundError", "")},
			ReasonNotFound,
		},
		{
			"first specific exception event wins", chat(nil),
			[]spanMod{errStatus(""), exception("openai.AuthenticationError", ""), exception("openai.NotFoundError", "")},
			ReasonAuth,
		},
		{
			"events of other names are ignored", chat(nil),
			[]spanMod{errStatus(""), withEvent("gen_ai.client.inference.operation.details", 0, map[string]any{"exception.type": "RateLimitError"})},
			ReasonOther,
		},
		{"exception event without attributes", chat(nil), []spanMod{errStatus(""), withEvent("exception", 0, nil)}, ReasonOther},
		{"non-string exception.type", chat(nil), []spanMod{errStatus(""), withEvent("exception", 0, map[string]any{"exception.type": []any{"RateLimitError"}})}, ReasonOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := extractOne(t, tc.attrs, tc.mods...)
			assert.Equal(t, StatusError, c.Status)
			assert.Equal(t, tc.want.String(), c.Reason.String())
		})
	}
}

// Every table pattern is lower case after init, and every table reason is
// a real, non-None reason: malformed rows fail here.
func TestSourceTables(t *testing.T) {
	isLower := func(s string) bool { return asciiLower(s) == s }
	for _, r := range nameReasons {
		assert.True(t, isLower(r.suffix), r.suffix)
		assert.NotEqual(t, ReasonNone, r.reason, r.suffix)
	}
	for _, r := range textReasons {
		assert.True(t, isLower(r.contains), r.contains)
		assert.NotEqual(t, ReasonNone, r.reason, r.contains)
	}
	for _, r := range httpReasons {
		assert.LessOrEqual(t, r.lo, r.hi)
		assert.NotEqual(t, ReasonNone, r.reason)
	}
	for _, p := range providerNames {
		assert.True(t, isLower(p.value) && isLower(p.canonical), p.value)
	}
	for _, r := range detectRules {
		assert.NotEmpty(t, r.key)
		for _, c := range r.count {
			assert.True(t, isLower(c.value), c.value)
			assert.NotEmpty(t, c.op)
		}
	}
	// Every specific name rule comes before every generic one, so that a
	// generic suffix ("Exception") never hides a specific one.
	seenGeneric := false
	for _, r := range nameReasons {
		if r.generic {
			seenGeneric = true
		} else {
			assert.False(t, seenGeneric, "specific rule %q after a generic one", r.suffix)
		}
	}
	// Each key feeds each field once.
	seen := map[keyBinding]bool{}
	for _, b := range staticBindings {
		k := keyBinding{key: b.key, slot: slot{field: b.field}}
		assert.False(t, seen[k], "key %q bound twice to field %d", b.key, b.field)
		seen[k] = true
	}
}

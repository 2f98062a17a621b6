// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// reasonCase is a failed call as one library writes it, and the reason it
// must be counted under.
type reasonCase struct {
	name  string
	attrs map[string]any // merged into the library's base span
	mods  []spanMod
	want  Reason
}

func runReasonCases(t *testing.T, base map[string]any, cases []reasonCase) {
	t.Helper()
	e := NewExtractor(Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			span, res := mkSpan(merge(base, tc.attrs), tc.mods...)
			var c Call
			require.True(t, e.Extract(span, res, &c), "must be counted")
			assert.Equal(t, StatusError, c.Status)
			assert.Equal(t, tc.want.String(), c.Reason.String())
		})
	}
}

func errorStatus(msg string) spanMod { return withStatus(ptrace.StatusCodeError, msg) }

func exceptionEvent(typ, msg string) spanMod {
	return withEvent("exception", time.Second, map[string]any{"exception.type": typ, "exception.message": msg, "exception.escaped": "False"})
}

// One table per library: the error shapes of §3 of the reference.
func TestReasonByLibrary(t *testing.T) {
	t.Run("OTel openai-v2", func(t *testing.T) {
		runReasonCases(t, chat(nil), []reasonCase{
			{"qualname", map[string]any{"error.type": "RateLimitError"}, []spanMod{errorStatus("Error code: 429")}, ReasonRateLimit},
			{"module prefix (successor repo)", map[string]any{"error.type": "openai.NotFoundError"}, []spanMod{errorStatus("Error code: 404 - model_not_found")}, ReasonNotFound},
			{"timeout", map[string]any{"error.type": "APITimeoutError"}, []spanMod{errorStatus("Request timed out.")}, ReasonTimeout},
			{"connection", map[string]any{"error.type": "APIConnectionError"}, []spanMod{errorStatus("Connection error.")}, ReasonConnection},
			{"auth", map[string]any{"error.type": "AuthenticationError"}, []spanMod{errorStatus("Error code: 401 - Incorrect API key provided")}, ReasonAuth},
			{
				"bad request that is a context overflow",
				map[string]any{"error.type": "BadRequestError"},
				[]spanMod{errorStatus("Error code: 400 - {'error': {'message': \"This model's maximum context length is 128000 tokens.\", 'code': 'context_length_exceeded'}}")},
				ReasonContextOverflow,
			},
			{
				"bad request that is a content filter",
				map[string]any{"error.type": "BadRequestError"},
				[]spanMod{errorStatus("Error code: 400 - {'error': {'code': 'content_filter', 'message': 'The response was filtered'}}")},
				ReasonSafetyBlock,
			},
			{"plain bad request", map[string]any{"error.type": "BadRequestError"}, []spanMod{errorStatus("Error code: 400 - invalid tool schema")}, ReasonBadRequest},
			{"quota", map[string]any{"error.type": "RateLimitError"}, []spanMod{errorStatus("Error code: 429 - {'error': {'type': 'insufficient_quota'}}")}, ReasonRateLimit},
			{"server error", map[string]any{"error.type": "InternalServerError"}, []spanMod{errorStatus("Error code: 500")}, ReasonProvider5xx},
			{"_OTHER", map[string]any{"error.type": "_OTHER"}, nil, ReasonOther},
		})
	})
	t.Run("OpenLLMetry", func(t *testing.T) {
		base := map[string]any{"gen_ai.system": "openai", "llm.request.type": "chat", "gen_ai.request.model": "gpt-4o"}
		runReasonCases(t, base, []reasonCase{
			{
				"before error.type: status message only", nil,
				[]spanMod{errorStatus("Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o', 'code': 'rate_limit_exceeded'}}")},
				ReasonRateLimit,
			},
			{
				"class __name__ and exception event",
				map[string]any{"error.type": "RateLimitError"},
				[]spanMod{errorStatus("Error code: 429"), exceptionEvent("openai.RateLimitError", "Error code: 429")},
				ReasonRateLimit,
			},
			{
				"body error type",
				map[string]any{"error.type": "invalid_request_error"},
				[]spanMod{errorStatus("Error code: 400 - {'error': {'type': 'invalid_request_error', 'code': 'context_length_exceeded'}}")},
				ReasonContextOverflow,
			},
			{"body error type, nothing more specific", map[string]any{"error.type": "invalid_request_error"}, []spanMod{errorStatus("")}, ReasonBadRequest},
			{
				"Anthropic overloaded",
				map[string]any{"gen_ai.system": "Anthropic", "error.type": "OverloadedError"},
				[]spanMod{errorStatus("Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}")},
				ReasonProvider5xx,
			},
			{"Anthropic 529 in the message only", map[string]any{"gen_ai.system": "Anthropic"}, []spanMod{errorStatus("Error code: 529")}, ReasonProvider5xx},
			{
				"Anthropic rate_limit_error body",
				map[string]any{"gen_ai.system": "Anthropic"},
				[]spanMod{errorStatus("Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error'}}")},
				ReasonRateLimit,
			},
			{
				"Bedrock throttling",
				map[string]any{"gen_ai.system": "AWS", "error.type": "ThrottlingException"},
				[]spanMod{errorStatus("An error occurred (ThrottlingException) when calling the InvokeModel operation")},
				ReasonRateLimit,
			},
			{
				"Bedrock validation: input too long",
				map[string]any{"gen_ai.system": "AWS", "error.type": "ValidationException"},
				[]spanMod{errorStatus("An error occurred (ValidationException): Input is too long for requested model.")},
				ReasonContextOverflow,
			},
		})
	})
	t.Run("OpenInference", func(t *testing.T) {
		base := map[string]any{"openinference.span.kind": "LLM", "llm.provider": "openai", "llm.invocation_parameters": `{"model": "gpt-4o"}`}
		runReasonCases(t, base, []reasonCase{
			{"RateLimitError description", nil, []spanMod{
				errorStatus("RateLimitError: Error code: 429 - {'error': {'code': 'rate_limit_exceeded'}}"),
				exceptionEvent("openai.RateLimitError", "Error code: 429"),
			}, ReasonRateLimit},
			{"description only", nil, []spanMod{errorStatus("RateLimitError: Error code: 429 - {…}")}, ReasonRateLimit},
			{"connection error", nil, []spanMod{errorStatus("APIConnectionError: Connection error.")}, ReasonConnection},
			{"timeout", nil, []spanMod{errorStatus("APITimeoutError: Request timed out.")}, ReasonTimeout},
			{"not found", nil, []spanMod{errorStatus("NotFoundError: Error code: 404 - {'error': {'code': 'model_not_found'}}")}, ReasonNotFound},
			{"bad request with a context overflow", nil, []spanMod{errorStatus("BadRequestError: Error code: 400 - {'error': {'code': 'context_length_exceeded'}}")}, ReasonContextOverflow},
			{"bad request", nil, []spanMod{errorStatus("BadRequestError: Error code: 400 - {'error': {'message': 'Invalid schema'}}")}, ReasonBadRequest},
			{"permission", nil, []spanMod{errorStatus("PermissionDeniedError: Error code: 403")}, ReasonAuth},
			{"server error", nil, []spanMod{errorStatus("InternalServerError: Error code: 500 - {'error': {'message': 'The server had an error'}}")}, ReasonProvider5xx},
		})
	})
	t.Run("OpenLIT", func(t *testing.T) {
		base := map[string]any{"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}
		runReasonCases(t, base, []reasonCase{
			{
				"type(e).__name__, no message",
				map[string]any{"error.type": "RateLimitError"},
				[]spanMod{errorStatus(""), exceptionEvent("openai.RateLimitError", "Error code: 429")},
				ReasonRateLimit,
			},
			{
				"Anthropic",
				map[string]any{"gen_ai.system": "anthropic", "error.type": "APIStatusError"},
				[]spanMod{errorStatus(""), exceptionEvent("anthropic.APIStatusError", "Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error'}}")},
				ReasonProvider5xx,
			},
			{
				"Gemini resource exhausted",
				map[string]any{"gen_ai.system": "gemini", "error.type": "ClientError"},
				[]spanMod{errorStatus(""), exceptionEvent("google.genai.errors.ClientError", "429 RESOURCE_EXHAUSTED. {'error': {'code': 429}}")},
				ReasonRateLimit,
			},
			{"Gemini server error", map[string]any{"gen_ai.system": "gemini", "error.type": "ServerError"}, []spanMod{errorStatus("")}, ReasonProvider5xx},
		})
	})
	t.Run("Vercel AI SDK", func(t *testing.T) {
		base := map[string]any{"ai.operationId": "ai.streamText.doStream", "ai.model.id": "gpt-4o", "ai.model.provider": "openai.chat"}
		runReasonCases(t, base, []reasonCase{
			{"AI_APICallError, Too Many Requests", nil, []spanMod{errorStatus("Too Many Requests"), exceptionEvent("AI_APICallError", "Too Many Requests")}, ReasonRateLimit},
			{"AI_APICallError, status in the message", nil, []spanMod{errorStatus("Request failed with status 429"), exceptionEvent("AI_APICallError", "Request failed with status 429")}, ReasonRateLimit},
			{"AI_APICallError, status code in the message", nil, []spanMod{errorStatus(""), exceptionEvent("AI_APICallError", "statusCode: 503")}, ReasonProvider5xx},
			{"AI_APICallError, status in an attribute", map[string]any{"http.response.status_code": 529}, []spanMod{errorStatus("Overloaded"), exceptionEvent("AI_APICallError", "Overloaded")}, ReasonProvider5xx},
			{"AI_APICallError, provider message", nil, []spanMod{
				errorStatus("Rate limit reached for gpt-4o in organization org-1"),
				exceptionEvent("AI_APICallError", "Rate limit reached for gpt-4o in organization org-1"),
			}, ReasonRateLimit},
			{"AI_APICallError, context", nil, []spanMod{
				errorStatus("This model's maximum context length is 128000 tokens."),
				exceptionEvent("AI_APICallError", "This model's maximum context length is 128000 tokens."),
			}, ReasonContextOverflow},
			{
				"AI_APICallError, Anthropic prompt too long",
				map[string]any{"ai.model.provider": "anthropic.messages"},
				[]spanMod{errorStatus("prompt is too long: 210000 tokens > 200000 maximum"), exceptionEvent("AI_APICallError", "prompt is too long: 210000 tokens > 200000 maximum")},
				ReasonContextOverflow,
			},
			{"AI_APICallError, nothing more", nil, []spanMod{errorStatus("Bad Request"), exceptionEvent("AI_APICallError", "Bad Request")}, ReasonOther},
			{"AI_RetryError wrapping a 429", nil, []spanMod{
				errorStatus("Failed after 3 attempts. Last error: Too Many Requests"),
				exceptionEvent("AI_RetryError", "Failed after 3 attempts. Last error: Too Many Requests"),
			}, ReasonRateLimit},
			{"AI_RetryError wrapping a 503", nil, []spanMod{
				errorStatus("Failed after 3 attempts. Last error: Service Unavailable"),
				exceptionEvent("AI_RetryError", "Failed after 3 attempts. Last error: Service Unavailable"),
			}, ReasonProvider5xx},
			{"AI_LoadAPIKeyError", nil, []spanMod{errorStatus("OpenAI API key is missing."), exceptionEvent("AI_LoadAPIKeyError", "OpenAI API key is missing.")}, ReasonAuth},
			{"AI_NoSuchModelError", nil, []spanMod{errorStatus(""), exceptionEvent("AI_NoSuchModelError", "No such languageModel: gpt-9")}, ReasonNotFound},
			{"AbortError", nil, []spanMod{errorStatus("This operation was aborted"), exceptionEvent("AbortError", "This operation was aborted")}, ReasonCancelled},
			{"TimeoutError", nil, []spanMod{errorStatus("The operation was aborted due to timeout"), exceptionEvent("TimeoutError", "The operation was aborted due to timeout")}, ReasonTimeout},
			{"content-filter on an OK span", map[string]any{"ai.response.finishReason": "content-filter"}, nil, ReasonSafetyBlock},
		})
	})
	t.Run("LiteLLM", func(t *testing.T) {
		base := map[string]any{"llm.request.type": "acompletion", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o", "llm.is_streaming": "False"}
		lite := func(class, code, msg string) map[string]any {
			return map[string]any{"error.type": class, "error.code": code, "error.message": msg, "error.llm_provider": "openai"}
		}
		ev := func(class string) []spanMod {
			return []spanMod{errorStatus(""), exceptionEvent("litellm.exceptions."+class, "litellm."+class+": …")}
		}
		runReasonCases(t, base, []reasonCase{
			{"RateLimitError", lite("RateLimitError", "429", "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached"), ev("RateLimitError"), ReasonRateLimit},
			{"ContextWindowExceededError", lite("ContextWindowExceededError", "400", "litellm.ContextWindowExceededError: litellm.BadRequestError: …"), ev("ContextWindowExceededError"), ReasonContextOverflow},
			{"ContentPolicyViolationError", lite("ContentPolicyViolationError", "400", "litellm.ContentPolicyViolationError: …"), ev("ContentPolicyViolationError"), ReasonSafetyBlock},
			{"Timeout", lite("Timeout", "408", "litellm.Timeout: Connection timed out after 600.0 seconds."), ev("Timeout"), ReasonTimeout},
			{"ServiceUnavailableError", lite("ServiceUnavailableError", "503", "litellm.ServiceUnavailableError: …"), ev("ServiceUnavailableError"), ReasonProvider5xx},
			{"APIConnectionError", lite("APIConnectionError", "500", "litellm.APIConnectionError: …"), ev("APIConnectionError"), ReasonConnection},
			{"AuthenticationError", lite("AuthenticationError", "401", "litellm.AuthenticationError: …"), ev("AuthenticationError"), ReasonAuth},
			{"NotFoundError", lite("NotFoundError", "404", "litellm.NotFoundError: …"), ev("NotFoundError"), ReasonNotFound},
			{"BadRequestError", lite("BadRequestError", "400", "litellm.BadRequestError: …"), ev("BadRequestError"), ReasonBadRequest},
			{"InternalServerError, Anthropic 529", lite("InternalServerError", "529", `AnthropicException - {"type":"error","error":{"type":"overloaded_error"}}`), ev("InternalServerError"), ReasonProvider5xx},
			{"APIError with an HTTP status", lite("APIError", "503", "litellm.APIError: …"), ev("APIError"), ReasonProvider5xx},
			{"BudgetExceededError", lite("BudgetExceededError", "400", "Budget has been exceeded!"), ev("BudgetExceededError"), ReasonRateLimit},
			{"error.code only", map[string]any{"error.code": "429"}, []spanMod{errorStatus("")}, ReasonRateLimit},
			{"error.message only", map[string]any{"error.message": "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached"}, []spanMod{errorStatus("")}, ReasonRateLimit},
		})
	})
	t.Run("LangSmith", func(t *testing.T) {
		base := map[string]any{"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "langsmith.span.kind": "llm"}
		runReasonCases(t, base, []reasonCase{
			{"the real class in the message", nil, []spanMod{errorStatus(""), exceptionEvent("Exception", `RateLimitError("Error code: 429 - {'error': {}}")`)}, ReasonRateLimit},
			{"connection error repr", nil, []spanMod{errorStatus(""), exceptionEvent("Exception", "APIConnectionError('Connection error.')")}, ReasonConnection},
			{"timeout repr", nil, []spanMod{errorStatus(""), exceptionEvent("Exception", "APITimeoutError('Request timed out.')")}, ReasonTimeout},
			{"module-qualified repr", nil, []spanMod{errorStatus(""), exceptionEvent("Exception", "anthropic.NotFoundError('model: claude-9')")}, ReasonNotFound},
			{"nothing known", nil, []spanMod{errorStatus(""), exceptionEvent("Exception", "ValueError('bad input')")}, ReasonOther},
		})
	})
	t.Run("Spring AI", func(t *testing.T) {
		base := map[string]any{"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}
		runReasonCases(t, base, []reasonCase{
			{
				"NonTransientAiException with the HTTP status",
				map[string]any{"error.type": "org.springframework.ai.retry.NonTransientAiException"},
				[]spanMod{errorStatus("HTTP 401 - {\"error\": {\"message\": \"Incorrect API key provided\"}}")},
				ReasonAuth,
			},
			{
				"quota",
				map[string]any{"error.type": "org.springframework.ai.retry.NonTransientAiException"},
				[]spanMod{errorStatus("HTTP 429 - {\"error\": {\"type\": \"insufficient_quota\"}}")},
				ReasonRateLimit,
			},
			{
				"TransientAiException 503",
				map[string]any{"error.type": "org.springframework.ai.retry.TransientAiException"},
				[]spanMod{errorStatus("HTTP 503 - upstream connect error")},
				ReasonProvider5xx,
			},
			{
				"HttpClientErrorException$TooManyRequests",
				map[string]any{"error.type": "org.springframework.web.client.HttpClientErrorException$TooManyRequests"},
				[]spanMod{errorStatus("429 Too Many Requests: [no body]")},
				ReasonRateLimit,
			},
			{"SocketTimeoutException", map[string]any{"error.type": "java.net.SocketTimeoutException"}, []spanMod{errorStatus("Read timed out")}, ReasonTimeout},
			{"ConnectException", map[string]any{"error.type": "java.net.ConnectException"}, []spanMod{errorStatus("Connection refused")}, ReasonConnection},
			{"SAFETY finish reason on an OK span", map[string]any{"gen_ai.response.finish_reasons": `["SAFETY"]`}, nil, ReasonSafetyBlock},
		})
	})
	t.Run("Semantic Kernel", func(t *testing.T) {
		base := map[string]any{"gen_ai.operation.name": "chat.completions", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}
		skClass := "<class 'semantic_kernel.exceptions.service_exceptions.ServiceResponseException'>"
		runReasonCases(t, base, []reasonCase{
			{
				"<class> with the cause in repr(e)",
				map[string]any{"error.type": skClass},
				[]spanMod{errorStatus(`ServiceResponseException(("<class 'semantic_kernel.connectors.ai.open_ai.services.open_ai_chat_completion.OpenAIChatCompletion'> service failed to complete the prompt", RateLimitError("Error code: 429 - {'error': {}}")))`)},
				ReasonRateLimit,
			},
			{
				"<class> with a content filter",
				map[string]any{"error.type": skClass},
				[]spanMod{errorStatus(`ServiceResponseException(("… service failed to complete the prompt", BadRequestError("Error code: 400 - {'error': {'code': 'content_filter'}}")))`)},
				ReasonSafetyBlock,
			},
			{"<class> alone", map[string]any{"error.type": skClass}, []spanMod{errorStatus("ServiceResponseException('failed')")}, ReasonOther},
			{"<class> of a timeout", map[string]any{"error.type": "<class 'httpx.ReadTimeout'>"}, []spanMod{errorStatus("ReadTimeout('')")}, ReasonTimeout},
			{"enum-style finish reason", map[string]any{"gen_ai.response.finish_reason": "FinishReason.CONTENT_FILTER,FinishReason.STOP"}, nil, ReasonSafetyBlock},
			{"content_filter in a comma-joined finish reason", map[string]any{"gen_ai.response.finish_reason": "content_filter,stop"}, nil, ReasonSafetyBlock},
		})
	})
	t.Run("Langfuse", func(t *testing.T) {
		base := map[string]any{"langfuse.observation.type": "generation", "langfuse.observation.model.name": "gpt-4o", "langfuse.observation.level": "ERROR"}
		runReasonCases(t, base, []reasonCase{
			{"status message", map[string]any{"langfuse.observation.status_message": "Error code: 429 - Rate limit reached"}, nil, ReasonRateLimit},
			{"status message with a class", map[string]any{"langfuse.observation.status_message": "APITimeoutError: Request timed out."}, nil, ReasonTimeout},
			{"no message", nil, nil, ReasonOther},
			{"span status wins over the level", map[string]any{"langfuse.observation.level": "DEFAULT"}, []spanMod{errorStatus("Error code: 503")}, ReasonProvider5xx},
		})
	})
	t.Run("LangWatch Go", func(t *testing.T) {
		base := map[string]any{"gen_ai.system": "openai", "gen_ai.operation.name": "chat", "url.path": "/v1/chat/completions"}
		runReasonCases(t, base, []reasonCase{
			{"429", map[string]any{"http.response.status_code": 429}, []spanMod{errorStatus("Too Many Requests")}, ReasonRateLimit},
			{"401", map[string]any{"http.response.status_code": 401}, []spanMod{errorStatus("Unauthorized")}, ReasonAuth},
			{"500", map[string]any{"http.response.status_code": 500}, []spanMod{errorStatus("Internal Server Error")}, ReasonProvider5xx},
			{"transport error", nil, []spanMod{errorStatus("Post \"https://api.openai.com/v1/chat/completions\": context deadline exceeded")}, ReasonTimeout},
		})
	})
	t.Run("provider finish reasons on OK spans", func(t *testing.T) {
		fr := func(r ...any) map[string]any { return map[string]any{"gen_ai.response.finish_reasons": r} }
		runReasonCases(t, chat(nil), []reasonCase{
			{"OpenAI content_filter", fr("content_filter"), nil, ReasonSafetyBlock},
			{"Anthropic refusal", fr("refusal"), nil, ReasonSafetyBlock},
			{"Anthropic model_context_window_exceeded", fr("model_context_window_exceeded"), nil, ReasonContextOverflow},
			{"Gemini SAFETY", fr("SAFETY"), nil, ReasonSafetyBlock},
			{"Gemini PROHIBITED_CONTENT", fr("PROHIBITED_CONTENT"), nil, ReasonSafetyBlock},
			{"Gemini BLOCKLIST", fr("BLOCKLIST"), nil, ReasonSafetyBlock},
			{"Gemini SPII", fr("SPII"), nil, ReasonSafetyBlock},
			{"Gemini IMAGE_SAFETY", fr("IMAGE_SAFETY"), nil, ReasonSafetyBlock},
			{"Gemini RECITATION", fr("RECITATION"), nil, ReasonSafetyBlock},
			{"Bedrock guardrail_intervened", fr("guardrail_intervened"), nil, ReasonSafetyBlock},
			{"Bedrock content_filtered", fr("content_filtered"), nil, ReasonSafetyBlock},
			{"Vercel content-filter", fr("content-filter"), nil, ReasonSafetyBlock},
			{"OpenLLMetry stop_reason", map[string]any{"llm.response.stop_reason": "refusal"}, nil, ReasonSafetyBlock},
		})
	})
}

// Finish reasons that are not failures stay successes.
func TestReasonBenignFinishReasons(t *testing.T) {
	for _, r := range []string{
		"stop", "STOP", "length", "max_tokens", "MAX_TOKENS", "end_turn", "tool_calls", "tool_use", "tool-calls",
		"stop_sequence", "pause_turn", "FinishReason.STOP", "unknown", "other", "spi", "spiii", "content", "filter", "safe",
	} {
		c := extractOne(t, chat(map[string]any{"gen_ai.response.finish_reasons": []any{r}}))
		assert.Equal(t, StatusSuccess, c.Status, r)
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFinishReasonDialectValues maps every raw finish reason AGENTS.md
// lists (section 4), in the spelling each library sends, to the canonical
// value: the first choice's reason of a chat span.
func TestFinishReasonDialectValues(t *testing.T) {
	for _, tc := range []struct {
		who  string
		raw  string
		want FinishReason
	}{
		{"OpenAI, Mistral, Vercel, semconv", "stop", FinishStop},
		{"Anthropic, Bedrock", "end_turn", FinishStop},
		{"Anthropic, Bedrock", "stop_sequence", FinishStop},
		{"Gemini", "STOP", FinishStop},
		{"Spring AI", "STOP", FinishStop},
		{"Semantic Kernel", "FinishReason.STOP", FinishStop},
		{"Cohere", "COMPLETE", FinishStop},
		{"Cohere", "STOP_SEQUENCE", FinishStop},
		{"Amazon Titan", "FINISH", FinishStop},
		{"AI21", "endoftext", FinishStop},
		{"OpenAI Responses status", "completed", FinishStop},

		{"OpenAI, Vercel, semconv", "length", FinishLength},
		{"Anthropic, Bedrock", "max_tokens", FinishLength},
		{"Gemini, Cohere", "MAX_TOKENS", FinishLength},
		{"Spring AI", "LENGTH", FinishLength},
		{"Mistral", "model_length", FinishLength},
		{"OpenAI Responses", "max_output_tokens", FinishLength},
		{"Anthropic, Bedrock", "model_context_window_exceeded", FinishLength},

		{"OpenAI", "tool_calls", FinishToolCalls},
		{"OpenAI", "function_call", FinishToolCalls},
		{"semconv, OpenLLMetry ≥0.55", "tool_call", FinishToolCalls},
		{"Vercel", "tool-calls", FinishToolCalls},
		{"Anthropic, Bedrock", "tool_use", FinishToolCalls},
		{"Cohere", "TOOL_CALL", FinishToolCalls},
		{"Spring AI", "TOOL_CALLS", FinishToolCalls},
		{"Semantic Kernel", "FinishReason.TOOL_CALLS", FinishToolCalls},
		{"Semantic Kernel", "FinishReason.FUNCTION_CALL", FinishToolCalls},

		{"OpenAI, Azure, semconv", "content_filter", FinishContentFilter},
		{"Vercel", "content-filter", FinishContentFilter},
		{"Anthropic", "refusal", FinishContentFilter},
		{"Bedrock", "guardrail_intervened", FinishContentFilter},
		{"Bedrock", "content_filtered", FinishContentFilter},
		{"Gemini", "SAFETY", FinishContentFilter},
		{"Gemini", "RECITATION", FinishContentFilter},
		{"Gemini", "BLOCKLIST", FinishContentFilter},
		{"Gemini", "PROHIBITED_CONTENT", FinishContentFilter},
		{"Gemini", "SPII", FinishContentFilter},
		{"Gemini", "IMAGE_SAFETY", FinishContentFilter},
		{"Gemini", "IMAGE_PROHIBITED_CONTENT", FinishContentFilter},
		{"Gemini", "IMAGE_RECITATION", FinishContentFilter},
		{"Spring AI", "CONTENT_FILTER", FinishContentFilter},

		{"Vercel, semconv", "error", FinishError},
		{"Cohere", "ERROR", FinishError},
		{"Gemini", "MALFORMED_FUNCTION_CALL", FinishError},
		{"Bedrock", "malformed_model_output", FinishError},
		{"Bedrock", "malformed_tool_use", FinishError},
		{"OpenAI Responses status", "failed", FinishError},

		{"Vercel", "other", FinishOther},
		{"Vercel ≤v4", "unknown", FinishOther},
		{"Gemini", "OTHER", FinishOther},
		{"Gemini", "FINISH_REASON_UNSPECIFIED", FinishOther},
		{"Gemini", "LANGUAGE", FinishOther},
		{"Gemini", "UNEXPECTED_TOOL_CALL", FinishOther},
		{"Anthropic", "pause_turn", FinishOther},
		{"Anthropic", "compaction", FinishOther},
		{"OpenAI Responses status", "incomplete", FinishOther},
		{"OpenAI Responses status", "cancelled", FinishOther},
	} {
		t.Run(tc.who+"/"+tc.raw, func(t *testing.T) {
			c := extractOne(t, chat(map[string]any{"gen_ai.response.finish_reasons": []any{tc.raw}}))
			assert.Equal(t, tc.want, c.FinishReason)
		})
	}
}

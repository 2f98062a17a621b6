// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package genai turns one span (and its resource) into one canonical Call.
// It is the only package that knows how instrumentation libraries write LLM
// calls; every dialect is described as data (ordered attribute sources) in
// sources.go, never as branches spread through the code.
//
// # Counting
//
// A span counts as one LLM call when a detection rule (detectRules) counts
// it and none skips it: an inference span (gen_ai.operation.name chat,
// text_completion, generate_content, embeddings and their Semantic Kernel /
// Spring AI spellings; llm.request.type; openinference.span.kind LLM or
// EMBEDDING; a Vercel ai.operationId ending .doGenerate, .doStream or
// .doEmbed; langsmith.span.kind llm; langfuse.observation.type generation).
// Wrappers never count, whatever they carry: agents, steps, tools, workflows,
// chains, retrievers, Vercel's ai.generateText / ai.streamText parents,
// OpenLLMetry workflow / task spans, Langfuse spans. So a call seen as a
// wrapper span and a provider span counts once.
//
// A call recorded by two nested LLM spans (two instrumentations at once: a
// LangChain / LangSmith llm run and the provider instrumentation's span under
// it; or one library's two spans, the Vercel AI SDK v7 embed()) cannot be
// told span by span: Extract counts both. Nested, applied to the counted
// calls of one batch, leaves out a call whose span is the direct parent of
// another counted span of the same trace with the same operation and model,
// so the child counts; it only sees what is in the batch. COUNTING.md lists
// the rules and the limits.
package genai // import "github.com/otelcol-llm/otelcol-llm/internal/genai"

import "go.opentelemetry.io/collector/pdata/pcommon"

// Status is the outcome of a call.
type Status uint8

const (
	StatusSuccess Status = iota
	StatusError
)

// NumStatuses is the number of Status values.
const NumStatuses = 2

var statusNames = [NumStatuses]string{"success", "error"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "error"
}

// Reason is the bounded error reason of a failed call.
type Reason uint8

const (
	ReasonNone Reason = iota // the call succeeded
	ReasonRateLimit
	ReasonContextOverflow
	ReasonTimeout
	ReasonSafetyBlock
	ReasonProvider5xx
	ReasonAuth
	ReasonBadRequest
	ReasonNotFound
	ReasonConnection
	ReasonCancelled
	ReasonOther
)

// NumReasons is the number of Reason values, ReasonNone included.
const NumReasons = 12

var reasonNames = [NumReasons]string{
	"", "rate_limit", "context_overflow", "timeout", "safety_block", "provider_5xx",
	"auth", "bad_request", "not_found", "connection", "cancelled", "other",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "other"
}

// Invalid is a bit set of the fields of a call that carried a value we refused
// (negative, NaN, infinite, absurd, unparsable, or inconsistent timestamps).
// The field is then reported as absent; the rest of the call still counts.
type Invalid uint16

const (
	InvalidInputTokens Invalid = 1 << iota
	InvalidOutputTokens
	InvalidCachedInputTokens
	InvalidReasoningTokens
	InvalidDuration
	InvalidTTFT
	InvalidCost
	// Added after the others: existing bits and names keep their values.
	InvalidCacheCreationInputTokens
	// InvalidModel: the request or response model attribute is not a
	// string; the call counts under the other model attribute, else under
	// "unknown".
	InvalidModel
	// InvalidDimension: a dimension attribute holds bytes, a map or a
	// slice; the dimension counts as absent (its default).
	InvalidDimension
	// InvalidName: an agent, tool or guardrail name attribute holds bytes,
	// a map or a slice; the activity counts without a name.
	InvalidName
	// InvalidGuardrailResult: a guardrail result value that maps to none of
	// allowed, blocked, modified and error (or an event without one).
	InvalidGuardrailResult
	// InvalidEvaluationScore: an evaluation score that is not a number
	// from 0 to 1 (a string, NaN, infinite, out of range).
	InvalidEvaluationScore
	// InvalidEvaluationName: an evaluation event without a usable
	// gen_ai.evaluation.name.
	InvalidEvaluationName
	// InvalidEvaluationLabel: an evaluation label that is no string.
	InvalidEvaluationLabel
	numInvalid = iota
)

var invalidNames = [numInvalid]string{
	"input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens", "duration", "ttft", "cost",
	"cache_creation_input_tokens", "model", "dimension", "name", "guardrail_result", "evaluation_score",
	"evaluation_name", "evaluation_label",
}

// InvalidCauses lists every single-bit Invalid value with its name, in bit order.
func InvalidCauses() []InvalidCause {
	out := make([]InvalidCause, numInvalid)
	for i := range numInvalid {
		out[i] = InvalidCause{Bit: Invalid(1) << i, Name: invalidNames[i]}
	}
	return out
}

// InvalidCause names one Invalid bit.
type InvalidCause struct {
	Bit  Invalid
	Name string
}

// Operations a counted Call can have (gen_ai.operation.name values).
const (
	OpChat            = "chat"
	OpTextCompletion  = "text_completion"
	OpGenerateContent = "generate_content"
	OpEmbeddings      = "embeddings"
)

// Call is the canonical view of one LLM call span. String fields reference
// the span's own attribute values (no copy); a Call must not outlive the
// traces it was extracted from unless its strings are cloned.
type Call struct {
	Provider      string // normalized lower-case provider, "" when absent
	Operation     string // chat, text_completion, generate_content, embeddings
	RequestModel  string
	ResponseModel string
	Template      string // prompt template identity, "" when absent
	// Dimensions are the values of Options.Dimensions, in order, "" when
	// absent.
	Dimensions [MaxDimensions]string

	Streamed bool
	Status   Status
	Reason   Reason // ReasonNone when Status == StatusSuccess
	// FinishReason is the canonical finish reason of the first choice,
	// FinishNone when the span reports none.
	FinishReason FinishReason
	// ToolsOffered: the request offered tools to the model (Vercel AI SDK
	// ai.prompt.tools); it confirms a tentative agent above the call.
	ToolsOffered bool

	// Token counts as the GenAI semantic conventions count them: cache reads
	// (CachedInputTokens) and cache writes (CacheCreationInputTokens) are
	// part of InputTokens, reasoning tokens part of OutputTokens.
	InputTokens              int64
	OutputTokens             int64
	CachedInputTokens        int64
	CacheCreationInputTokens int64
	ReasoningTokens          int64
	HasInputTokens           bool
	HasOutputTokens          bool
	HasCachedInput           bool
	HasCacheCreation         bool
	HasReasoning             bool

	// Duration of the call in seconds (end - start); HasDuration is false when
	// the timestamps are missing or inconsistent.
	Duration    float64
	HasDuration bool
	// Time of the call in Unix nanoseconds: the span's end time, else its
	// start time, else 0 (unknown). Dated prices are picked by it.
	Time int64
	// TTFT is the time to first token (chunk) in seconds, streamed calls only.
	TTFT    float64
	HasTTFT bool
	// Cost in USD when the span carries it.
	Cost    float64
	HasCost bool
	// CostEstimated: the span's cost was computed from a price table, not
	// reported by the provider (the span carries KeyCostEstimated = true, as
	// the llm processor writes with the cost it computes).
	CostEstimated bool

	Invalid Invalid

	TraceID pcommon.TraceID
	SpanID  pcommon.SpanID
	// ParentSpanID is the span's parent (empty for a root span): Nested uses
	// it to find a call recorded by both a span and its child.
	ParentSpanID pcommon.SpanID
}

// KeyCostEstimated (bool true) marks a cost on the span (gen_ai.usage.cost)
// that was computed from a price table rather than reported by the
// provider: the llm processor writes it next to the cost it computes.
const KeyCostEstimated = "llm.cost_estimated"

// Model is the model the call is counted under: the request model, else the
// response model, else "".
func (c *Call) Model() string {
	if c.RequestModel != "" {
		return c.RequestModel
	}
	return c.ResponseModel
}

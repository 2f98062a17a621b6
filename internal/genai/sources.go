// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

// This file is the only place that names span attributes, event names and
// attribute values. Each field of a Call has an ordered list of sources, best
// first. The generic code compiles the lists at init (fields.go) into one key
// table per Extractor (keys.go), and Extract reads a span in a single pass over
// its attributes. Adding a dialect means appending rows here (and golden spans
// in testdata), not code: see TestDialectAsData.
//
// Dialects covered (testdata/<library>_<era>.json shows each on real-shaped
// spans):
//   - OpenTelemetry GenAI semantic conventions ≤1.36 (gen_ai.system,
//     gen_ai.usage.prompt_tokens) and ≥1.37 (gen_ai.provider.name,
//     gen_ai.usage.input_tokens, cache and reasoning tokens,
//     gen_ai.request.stream, gen_ai.response.time_to_first_chunk);
//   - OpenLLMetry (Traceloop): 2023-24 llm.vendor / llm.request.model /
//     llm.usage.*; ≤v0.53 gen_ai.system ("OpenAI", "Anthropic"…) +
//     llm.request.type + prompt/completion then input/output tokens,
//     llm.is_streaming, llm.content.completion.chunk events; ≥v0.55
//     gen_ai.provider.name + gen_ai.operation.name, gen_ai.is_streaming,
//     gen_ai.content.completion.chunk events; traceloop.span.kind wrappers;
//   - OpenInference (Arize): openinference.span.kind, llm.provider /
//     llm.system, llm.model_name, llm.invocation_parameters (JSON),
//     llm.token_count.*, llm.cost.total, "First Token Stream Event";
//   - OpenLIT: gen_ai.server.time_to_first_token (streamed calls only),
//     gen_ai.request.is_stream, gen_ai.usage.cost, gen_ai.usage.reasoning_tokens;
//   - Vercel AI SDK ≤v6 (ai.operationId, ai.model.*, ai.usage.*,
//     ai.response.msToFirstChunk, ai.telemetry.functionId, ai.stream.firstChunk)
//     and v7 (gen_ai.* on chat spans, gen_ai.client.operation.time_to_first_chunk);
//   - LiteLLM: llm.request.type = call_type, llm.is_streaming "True"/"False",
//     error.type / error.code / error.message, gen_ai.cost.total_cost;
//   - Langfuse: langfuse.observation.* (type, model.name, usage_details and
//     cost_details JSON, completion_start_time, prompt.name, level,
//     status_message);
//   - Spring AI (every value a string, "none" for an absent model);
//   - Semantic Kernel (chat.completions… operations, gen_ai.response.*_tokens
//     with -1 for unknown, singular gen_ai.response.finish_reason);
//   - LangSmith OTel (langsmith.span.kind, langsmith.request.streaming).

// source is one span attribute that can carry a field's value.
type source struct {
	key string
	// scale converts a numeric value to the field's canonical unit (seconds
	// for times, USD for cost); 0 means 1. E.g. a milliseconds attribute has
	// scale 0.001.
	scale float64
	// kind says how the attribute holds the value (the zero kind: it is the
	// value).
	kind sourceKind
	// members are, for a kindJSON source, the object members tried in order.
	members []string
	// streamedOnly marks a TTFT source that is trusted only when the call is
	// known to be streamed (a stream flag, or a streaming operation): some
	// libraries set it to the whole duration on non-streamed calls. It is
	// then skipped, never reported invalid, and never marks a call streamed.
	streamedOnly bool
	// minusOneUnknown: the value -1 means "unknown" (absent), not invalid.
	minusOneUnknown bool
}

// sourceKind says how a source attribute holds a field's value. Every kind is
// one small generic reader (fields.go, extract.go), driven by table rows.
type sourceKind uint8

const (
	// kindValue: the attribute value is the field's value.
	kindValue sourceKind = iota
	// kindJSON: the attribute is a string holding a JSON object (or an
	// attribute map); the value is its first member named in members. A
	// missing member (or null, or "") counts as absent: the field goes on to
	// its next source.
	kindJSON
	// kindTime (TTFT only): the attribute is a timestamp of the first token
	// (RFC 3339 / ISO 8601, possibly JSON-quoted); the value is its offset
	// from the span start.
	kindTime
)

// absentValues are string values that mean "no value": like "", they count
// as absent in every field (Spring AI writes "none" for a missing model).
var absentValues = []string{"none"}

// ---------------------------------------------------------------------------
// Is the span an LLM call?

// detectRule decides from one attribute whether a span is an LLM call.
// Values compare ASCII case-insensitively. A value in skip (or, with
// skipOthers, any value not in count) marks the span as a wrapper (agent,
// tool, workflow, chain…) that is never counted, whatever other rules say; a
// value in count makes it an LLM call unless a rule skips it. Values in
// neither list, or an absent key, say nothing. The first rule (in table order)
// that counts gives the Call's operation.
//
// A span a rule does not count, whose value is not empty, is no LLM call but
// still GenAI telemetry: kinds says which values mark an agent, a tool or a
// guardrail; any other value marks a wrapper (KindWrapper).
type detectRule struct {
	key        string
	count      []countValue
	skip       []string
	skipOthers bool
	kinds      []spanKind
}

// spanKind is an attribute value that marks an agent, tool or guardrail
// span.
type spanKind struct {
	value string
	kind  Kind
	// tentative: an agent only when tools are offered or called under it
	// (Vercel ai.generateText / ai.streamText), and only with a name.
	tentative bool
}

// countValue is an attribute value that marks an LLM call, and the canonical
// operation it maps to ("" means the value itself, as spelled here).
type countValue struct {
	value string
	op    string
	// suffix: the value matches as a suffix of the attribute (".doStream").
	suffix bool
	// streamed: the operation itself is a streamed call (Vercel doStream,
	// Semantic Kernel streaming_completions), when no stream flag says
	// otherwise.
	streamed bool
}

var detectRules = []detectRule{
	{
		// OTel semconv, OpenLLMetry ≥0.55, OpenLIT, Vercel v7, LiteLLM,
		// Spring AI, Semantic Kernel, LangSmith.
		key: "gen_ai.operation.name",
		count: []countValue{
			{value: OpChat},
			{value: OpTextCompletion},
			{value: OpGenerateContent},
			{value: OpEmbeddings},
			{value: "embedding", op: OpEmbeddings}, // Spring AI, LangSmith
			// Semantic Kernel.
			{value: "chat.completions", op: OpChat},
			{value: "chat.streaming_completions", op: OpChat, streamed: true},
			{value: "text.completions", op: OpTextCompletion},
			{value: "text.streaming_completions", op: OpTextCompletion, streamed: true},
		},
		skip: []string{
			"invoke_agent", "create_agent", "agent_step", "execute_tool",
			"invoke_workflow", "retrieval", "apply_guardrail",
		},
		kinds: []spanKind{
			{value: "invoke_agent", kind: KindAgent},
			{value: "execute_tool", kind: KindTool}, // also LangSmith tool runs
			{value: "apply_guardrail", kind: KindGuardrail},
		},
	},
	{
		// OpenLLMetry ≤v0.53, and LiteLLM's call_type. LiteLLM's sync
		// "completion" is a chat call but reads here as OpenLLMetry's legacy
		// text completion; LiteLLM then also writes gen_ai.operation.name=chat,
		// which comes first (unless message logging is off).
		key: "llm.request.type",
		count: []countValue{
			{value: "chat", op: OpChat},
			{value: "completion", op: OpTextCompletion},
			{value: "embedding", op: OpEmbeddings},
			{value: "acompletion", op: OpChat},
			{value: "aembedding", op: OpEmbeddings},
			{value: "text_completion", op: OpTextCompletion},
			{value: "atext_completion", op: OpTextCompletion},
			{value: "responses", op: OpChat},
			{value: "aresponses", op: OpChat},
			{value: "generate_content", op: OpGenerateContent},
			{value: "agenerate_content", op: OpGenerateContent},
		},
	},
	{
		// OpenInference: LLM and EMBEDDING spans count; CHAIN, TOOL, AGENT,
		// RETRIEVER, RERANKER, GUARDRAIL, EVALUATOR, PROMPT… never.
		key:        "openinference.span.kind",
		count:      []countValue{{value: "LLM", op: OpChat}, {value: "EMBEDDING", op: OpEmbeddings}},
		skipOthers: true,
		kinds: []spanKind{
			{value: "AGENT", kind: KindAgent},
			{value: "TOOL", kind: KindTool},
			{value: "GUARDRAIL", kind: KindGuardrail},
		},
	},
	{
		// Vercel AI SDK ≤v6: only the provider calls count; the
		// ai.generateText / ai.streamText / ai.embed… parents repeat their
		// totals, and ai.toolCall is a tool.
		key: "ai.operationId",
		count: []countValue{
			{value: ".doGenerate", op: OpChat, suffix: true},
			{value: ".doStream", op: OpChat, suffix: true, streamed: true},
			{value: ".doEmbed", op: OpEmbeddings, suffix: true},
		},
		skipOthers: true,
		kinds: []spanKind{
			{value: "ai.toolCall", kind: KindTool},
			// With a functionId and tools: an agent loop (steps of model
			// calls and tool calls).
			{value: "ai.generateText", kind: KindAgent, tentative: true},
			{value: "ai.streamText", kind: KindAgent, tentative: true},
		},
	},
	{
		// LangSmith OTel: llm runs count; chain, tool, retriever, prompt,
		// parser runs never.
		key:        "langsmith.span.kind",
		count:      []countValue{{value: "llm", op: OpChat}, {value: "embedding", op: OpEmbeddings}},
		skipOthers: true,
		kinds:      []spanKind{{value: "tool", kind: KindTool}},
	},
	{
		// Langfuse: generations count; spans, events, agents, tools,
		// chains, retrievers, evaluators, guardrails never.
		key:        "langfuse.observation.type",
		count:      []countValue{{value: "generation", op: OpChat}, {value: "embedding", op: OpEmbeddings}},
		skipOthers: true,
		kinds: []spanKind{
			{value: "agent", kind: KindAgent},
			{value: "tool", kind: KindTool},
			{value: "guardrail", kind: KindGuardrail},
		},
	},
	{
		// OpenLLMetry workflow / task / agent / tool wrappers: a workflow
		// is the agent of OpenLLMetry's @workflow decorator.
		key:  "traceloop.span.kind",
		skip: []string{"workflow", "task", "agent", "tool"},
		kinds: []spanKind{
			{value: "agent", kind: KindAgent},
			{value: "workflow", kind: KindAgent},
			{value: "tool", kind: KindTool},
		},
	},
	{
		// Spring AI: tool calls are "tool_call {name}" spans
		// (gen_ai.operation.name framework); chat_client, advisor and
		// vector_store spans are wrappers. Chat model spans have no
		// spring.ai.kind.
		key:        "spring.ai.kind",
		skipOthers: true,
		kinds:      []spanKind{{value: "tool_call", kind: KindTool}},
	},
}

// ---------------------------------------------------------------------------
// Field sources, best first. The first source present on the span wins (an
// empty string, a value in absentValues, an empty value, or a kindJSON source
// without the member counts as absent). A present but invalid value does not
// fall through to the next source: see extract.go.

var providerSources = []source{
	{key: "gen_ai.provider.name"}, // semconv ≥1.37, OpenLLMetry ≥0.55, OpenLIT ≥1.36.9, Vercel v7
	{key: "gen_ai.system"},        // semconv ≤1.36, OpenLLMetry ≤0.53, Vercel ≤v6 do* spans, LiteLLM, Spring AI, SK, LangSmith
	{key: "llm.provider"},         // OpenInference
	{key: "llm.system"},           // OpenInference
	{key: "ai.model.provider"},    // Vercel ≤v6 ("openai.chat")
	{key: "llm.vendor"},           // OpenLLMetry 2023-24
}

var requestModelSources = []source{
	{key: "gen_ai.request.model"},
	{key: "llm.request.model_name"}, // OpenInference ≥2026-08
	// OpenInference: the request parameters as JSON ({"model": "gpt-4o", …};
	// LangChain writes model_name).
	{key: "llm.invocation_parameters", kind: kindJSON, members: []string{"model", "model_name"}},
	{key: "ai.model.id"},                     // Vercel ≤v6
	{key: "langfuse.observation.model.name"}, // Langfuse
	{key: "llm.request.model"},               // OpenLLMetry 2023-24
}

var responseModelSources = []source{
	{key: "gen_ai.response.model"},
	{key: "llm.response.model_name"}, // OpenInference ≥2026-08
	{key: "llm.model_name"},          // OpenInference: the response's model on non-streamed calls
	{key: "embedding.model_name"},    // OpenInference embeddings
	{key: "ai.response.model"},       // Vercel ≤v6
	{key: "llm.response.model"},      // OpenLLMetry 2023-24
}

// langfuseUsage is Langfuse's usage JSON ({"input": 10, "output": 5, …}).
const langfuseUsage = "langfuse.observation.usage_details"

var inputTokenSources = []source{
	{key: "gen_ai.usage.input_tokens"},                            // semconv ≥1.27
	{key: "gen_ai.usage.prompt_tokens"},                           // semconv 1.26, OpenLLMetry ≤0.47
	{key: "llm.token_count.prompt"},                               // OpenInference
	{key: "ai.usage.inputTokens"},                                 // Vercel v5/v6
	{key: "ai.usage.promptTokens"},                                // Vercel ≤v4
	{key: "ai.usage.tokens"},                                      // Vercel ≤v6 embed spans
	{key: "gen_ai.response.prompt_tokens", minusOneUnknown: true}, // Semantic Kernel (older)
	{key: "llm.usage.prompt_tokens"},                              // OpenLLMetry 2023-24
	{key: langfuseUsage, kind: kindJSON, members: []string{"input", "prompt_tokens", "input_tokens"}},
}

var outputTokenSources = []source{
	{key: "gen_ai.usage.output_tokens"},                               // semconv ≥1.27
	{key: "gen_ai.usage.completion_tokens"},                           // semconv 1.26, OpenLLMetry ≤0.47
	{key: "llm.token_count.completion"},                               // OpenInference
	{key: "ai.usage.outputTokens"},                                    // Vercel v5/v6
	{key: "ai.usage.completionTokens"},                                // Vercel ≤v4
	{key: "gen_ai.response.completion_tokens", minusOneUnknown: true}, // Semantic Kernel (older)
	{key: "llm.usage.completion_tokens"},                              // OpenLLMetry 2023-24
	{key: langfuseUsage, kind: kindJSON, members: []string{"output", "completion_tokens", "output_tokens"}},
}

var cachedInputTokenSources = []source{
	{key: "gen_ai.usage.cache_read.input_tokens"},       // semconv ≥1.40, OpenLLMetry ≥0.55
	{key: "gen_ai.usage.cache_read_input_tokens"},       // OpenLLMetry ≤0.53
	{key: "llm.token_count.prompt_details.cache_read"},  // OpenInference
	{key: "ai.usage.cachedInputTokens"},                 // Vercel v5/v6
	{key: "ai.usage.inputTokenDetails.cacheReadTokens"}, // Vercel v6
	{key: langfuseUsage, kind: kindJSON, members: []string{"input_cached_tokens", "input_cache_read", "cache_read_input_tokens"}},
}

// cacheCreationInputTokenSources carry the prompt-cache creation (write)
// tokens, part of the input tokens as the semantic conventions count them
// (COUNTING.md lists the libraries known to count otherwise).
var cacheCreationInputTokenSources = []source{
	{key: "gen_ai.usage.cache_creation.input_tokens"},    // semconv ≥1.40, Spring AI, Vercel v7
	{key: "gen_ai.usage.cache_creation_input_tokens"},    // OpenLLMetry ≤0.47 (Python), OpenLLMetry JS
	{key: "llm.token_count.prompt_details.cache_write"},  // OpenInference
	{key: "ai.usage.inputTokenDetails.cacheWriteTokens"}, // Vercel v6
	// Langfuse: input_cache_creation from the LangChain callback handler,
	// cache_creation_input_tokens as Anthropic names it.
	{key: langfuseUsage, kind: kindJSON, members: []string{"input_cache_creation", "cache_creation_input_tokens"}},
}

var reasoningTokenSources = []source{
	{key: "gen_ai.usage.reasoning.output_tokens"},         // semconv ≥1.41
	{key: "gen_ai.usage.reasoning_tokens"},                // OpenLIT, OpenLLMetry ≥0.55
	{key: "llm.token_count.completion_details.reasoning"}, // OpenInference
	{key: "ai.usage.reasoningTokens"},                     // Vercel v5/v6
	{key: "ai.usage.outputTokenDetails.reasoningTokens"},  // Vercel v6
	{key: langfuseUsage, kind: kindJSON, members: []string{"output_reasoning_tokens", "reasoning_tokens"}},
}

// streamSources carry an explicit streaming flag (Bool, or Str "true"/"false"
// in any case, e.g. LiteLLM's "True").
var streamSources = []source{
	{key: "gen_ai.request.stream"},       // semconv ≥1.41, Spring AI, OpenLIT ≥1.42
	{key: "gen_ai.request.is_stream"},    // OpenLIT
	{key: "llm.is_streaming"},            // OpenLLMetry ≤0.53, LiteLLM
	{key: "gen_ai.is_streaming"},         // OpenLLMetry ≥0.55
	{key: "langsmith.request.streaming"}, // LangSmith
	// OpenInference: {"stream": true} in the request parameters (LangChain: "streaming").
	{key: "llm.invocation_parameters", kind: kindJSON, members: []string{"stream", "streaming"}},
}

// ttftSources carry the time to first chunk. Their presence also marks the
// call as streamed when no stream flag is present (streamedOnly sources
// excepted).
var ttftSources = []source{
	{key: "gen_ai.response.time_to_first_chunk"},         // semconv ≥1.41, seconds
	{key: "gen_ai.client.operation.time_to_first_chunk"}, // Vercel v7: the metric name as a span attribute, seconds
	{key: "ai.response.msToFirstChunk", scale: 0.001},    // Vercel ≤v6, milliseconds
	// OpenLIT, seconds: set to the whole duration on non-streamed calls.
	{key: "gen_ai.server.time_to_first_token", streamedOnly: true},
	{key: "langfuse.observation.completion_start_time", kind: kindTime}, // Langfuse
}

// chunkEvents are span events emitted once per streamed chunk (or once, at
// the first one): their presence marks the call as streamed, and the first
// one gives the TTFT when no TTFT attribute is present.
var chunkEvents = []string{
	"gen_ai.content.completion.chunk", // OpenLLMetry ≥0.55
	"llm.content.completion.chunk",    // OpenLLMetry ≤0.53
	"First Token Stream Event",        // OpenInference
	"ai.stream.firstChunk",            // Vercel ≤v6
}

var costSources = []source{
	{key: "gen_ai.usage.cost"},      // OpenLIT, USD
	{key: "gen_ai.cost.total_cost"}, // LiteLLM, USD
	{key: "llm.cost.total"},         // OpenInference, USD
	{key: "langfuse.observation.cost_details", kind: kindJSON, members: []string{"total"}}, // Langfuse, USD
}

// finishReasonSources carry the finish reasons: a string array, or a string
// holding one reason, a comma-joined list or a JSON array.
var finishReasonSources = []source{
	{key: "gen_ai.response.finish_reasons"},
	{key: "gen_ai.response.finish_reason"}, // Semantic Kernel (comma-joined)
	{key: "llm.response.finish_reason"},    // OpenLLMetry
	{key: "llm.response.stop_reason"},      // OpenLLMetry (Anthropic stop_reason)
	{key: "ai.response.finishReason"},      // Vercel ≤v6
	{key: "llm.finish_reason"},             // OpenInference (JS)
}

// ---------------------------------------------------------------------------
// Agents, tools and guardrails (spans detectRules classifies as such).

// agentNameSources name the agent of an agent span; without one the span
// name is read (see operationSpanNames).
var agentNameSources = []source{
	// OpenLLMetry @agent / @workflow: first, because the Traceloop SDK
	// copies the enclosing agent's gen_ai.agent.name onto every span in it
	// (a @workflow inside an @agent too).
	{key: "traceloop.entity.name"},
	{key: "gen_ai.agent.name"},       // semconv, Vercel v7, OpenLLMetry openai-agents
	{key: "agent.name"},              // OpenInference
	{key: "ai.telemetry.functionId"}, // Vercel ≤v6
}

// toolNameSources name the tool of a tool span.
var toolNameSources = []source{
	{key: "gen_ai.tool.name"},               // semconv, Vercel v7, LangSmith
	{key: "tool.name"},                      // OpenInference
	{key: "ai.toolCall.name"},               // Vercel ≤v6
	{key: "traceloop.entity.name"},          // OpenLLMetry @tool
	{key: "spring.ai.tool.definition.name"}, // Spring AI
}

// guardrailNameSources name the guardrail of a guardrail span or event.
var guardrailNameSources = []source{
	{key: "gen_ai.guardrail.name"},           // Traceloop hub
	{key: "gen_ai.guardrail.component.name"}, // semconv
	{key: "gen_ai.guardrail.policy.id"},      // semconv
	{key: "guardrail.name"},
	{key: "guardrail_name"}, // LiteLLM guardrail spans
	{key: "traceloop.entity.name"},
}

// guardrailResultSources carry a guardrail's result (provider-native
// values, mapped by guardrailResultValues).
var guardrailResultSources = []source{
	{key: "gen_ai.guardrail.result.value"}, // semconv
	{key: "gen_ai.guardrail.status"},       // Traceloop hub
	{key: "guardrail.result"},
	{key: "guardrail.triggered"},        // OpenInference OpenAI Agents (JS): true blocked, false allowed
	{key: "gen_ai.guardrail.triggered"}, // OpenLIT (openai-agents), on its invoke_agent guardrail spans
	{key: "guardrail_status"},           // LiteLLM ≥2026: success, guardrail_intervened, guardrail_failed_to_respond, not_run
	{key: "guardrail_action"},           // LiteLLM: the provider's raw action (Bedrock GUARDRAIL_INTERVENED / NONE)
}

// wrapperAgentMarkers make a wrapper span an agent when the attribute key
// holds a JSON object whose member names the span itself: LangChain's
// createAgent graph is a chain run named after the agent, and every span
// under it carries the agent's name in its metadata (OpenInference
// LangChain: a CHAIN span "weather-agent" with metadata
// {"lc_agent_name":"weather-agent", …}; its nodes carry the same member
// under their own names). Read only on wrapper spans.
var wrapperAgentMarkers = []struct{ key, member string }{
	{"metadata", "lc_agent_name"}, // OpenInference LangChain (createAgent)
}

// agentNotAgentKeys mark an agent span (by its detection attribute) that is
// no agent: OpenLIT (openai-agents) writes a handoff as gen_ai.operation.name
// invoke_agent with the handing-off agent in gen_ai.agent.source. Read only
// on agent spans; the span is a wrapper.
var agentNotAgentKeys = []string{"gen_ai.agent.source"}

// toolsOfferedSources mark a request that offered tools to the model.
var toolsOfferedSources = []source{
	{key: "ai.prompt.tools"},         // Vercel ≤v6
	{key: "gen_ai.tool.definitions"}, // semconv
}

// operationSpanNames are span names that only name the operation (an
// instrumentation's default when it knows no name); with prefix, the name
// follows the operation after a space ("execute_tool get_weather").
var operationSpanNames = []struct {
	name   string
	prefix bool
}{
	{"invoke_agent", true},
	{"execute_tool", true},
	{"apply_guardrail", true},
	{"ai.toolCall", false},
	{"ai.generateText", false},
	{"ai.streamText", false},
}

// guardrailResultValues map guardrail results (ASCII case-insensitively)
// to the canonical result. Provider-native values (semconv
// gen_ai.guardrail.result.value): Amazon Bedrock action GUARDRAIL_INTERVENED
// / NONE, OpenAI Agents tripwire_triggered true / false, Google Model Armor
// filter_match_state MATCH_FOUND / NO_MATCH_FOUND; Traceloop hub PASSED /
// FAILED / ERROR; LiteLLM guardrail_status (success, guardrail_intervened,
// guardrail_failed_to_respond; not_run names no result). A severity number
// (Azure AI Content Safety) names no result and is refused.
var guardrailResultValues = []struct {
	value  string
	result GuardrailResult
}{
	{"allowed", GuardrailAllowed},
	{"allow", GuardrailAllowed},
	{"none", GuardrailAllowed}, // Bedrock action NONE
	{"false", GuardrailAllowed},
	{"no_match", GuardrailAllowed},
	{"no_match_found", GuardrailAllowed}, // Google Model Armor filter_match_state
	{"passed", GuardrailAllowed},
	{"pass", GuardrailAllowed},
	{"success", GuardrailAllowed},
	{"blocked", GuardrailBlocked},
	{"block", GuardrailBlocked},
	{"guardrail_intervened", GuardrailBlocked},
	{"intervened", GuardrailBlocked},
	{"true", GuardrailBlocked},
	{"match_found", GuardrailBlocked},
	{"failed", GuardrailBlocked},
	{"fail", GuardrailBlocked},
	{"denied", GuardrailBlocked},
	{"deny", GuardrailBlocked},
	{"rejected", GuardrailBlocked},
	{"modified", GuardrailModified},
	{"modify", GuardrailModified},
	{"masked", GuardrailModified},
	{"anonymized", GuardrailModified},
	{"redacted", GuardrailModified},
	{"error", GuardrailError},
	{"guardrail_failed_to_respond", GuardrailError},
}

// finishReasonNames map finish reasons (ASCII case-insensitively, after an
// enum-style prefix is cut) to the canonical finish reason; any other value
// is FinishOther. OpenAI / semconv stop, length, tool_calls,
// content_filter; Anthropic end_turn, stop_sequence, max_tokens, tool_use,
// refusal; Gemini STOP, MAX_TOKENS, SAFETY…; Vercel hyphenated values;
// Bedrock guardrail_intervened, content_filtered; Cohere COMPLETE.
var finishReasonNames = []struct {
	value  string
	reason FinishReason
}{
	{"stop", FinishStop},
	{"end_turn", FinishStop},
	{"stop_sequence", FinishStop},
	{"complete", FinishStop},
	{"end", FinishStop},
	{"finish", FinishStop},    // Amazon Titan
	{"endoftext", FinishStop}, // AI21
	{"completed", FinishStop}, // OpenAI Responses status (OpenLLMetry openai-agents)
	{"length", FinishLength},
	{"max_tokens", FinishLength},
	{"max_output_tokens", FinishLength},
	{"model_context_window_exceeded", FinishLength},
	{"model_length", FinishLength}, // Mistral
	{"tool_calls", FinishToolCalls},
	{"tool-calls", FinishToolCalls},
	{"tool_call", FinishToolCalls},
	{"tool_use", FinishToolCalls},
	{"function_call", FinishToolCalls},
	{"content_filter", FinishContentFilter},
	{"content-filter", FinishContentFilter},
	{"refusal", FinishContentFilter},
	{"safety", FinishContentFilter},
	{"prohibited_content", FinishContentFilter},
	{"blocklist", FinishContentFilter},
	{"spii", FinishContentFilter},
	{"image_safety", FinishContentFilter},
	{"recitation", FinishContentFilter},
	{"image_prohibited_content", FinishContentFilter}, // Gemini
	{"image_recitation", FinishContentFilter},         // Gemini
	{"guardrail_intervened", FinishContentFilter},
	{"content_filtered", FinishContentFilter},
	{"error", FinishError},
	{"malformed_function_call", FinishError}, // Gemini
	{"malformed_model_output", FinishError},  // Bedrock
	{"malformed_tool_use", FinishError},      // Bedrock
	{"failed", FinishError},                  // OpenAI Responses status (OpenLLMetry openai-agents)
}

// fieldSources wires each field read from a fixed list of attributes to its
// source table (the template keys come from Options).
var fieldSources = [numStaticFields][]source{
	fieldProvider:                 providerSources,
	fieldRequestModel:             requestModelSources,
	fieldResponseModel:            responseModelSources,
	fieldInputTokens:              inputTokenSources,
	fieldOutputTokens:             outputTokenSources,
	fieldCachedInputTokens:        cachedInputTokenSources,
	fieldCacheCreationInputTokens: cacheCreationInputTokenSources,
	fieldReasoningTokens:          reasoningTokenSources,
	fieldStream:                   streamSources,
	fieldTTFT:                     ttftSources,
	fieldCost:                     costSources,
	fieldFinishReasons:            finishReasonSources,
	fieldAgentName:                agentNameSources,
	fieldToolName:                 toolNameSources,
	fieldGuardrailName:            guardrailNameSources,
	fieldGuardrailResult:          guardrailResultSources,
	fieldToolsOffered:             toolsOfferedSources,
}

// defaultTemplateKeys are read, in order, for the prompt template identity
// (see DefaultTemplateKeys): never the template text, whose cardinality is
// unbounded.
var defaultTemplateKeys = []string{
	"llm.template",
	"gen_ai.prompt.name",               // semconv ≥1.39
	"traceloop.prompt.key",             // OpenLLMetry managed prompts
	"langfuse.observation.prompt.name", // Langfuse
	"ai.telemetry.functionId",          // Vercel ≤v6
}

// ---------------------------------------------------------------------------
// Provider names.

// providerNames maps provider values (ASCII case-insensitive) to the canonical
// semconv ≥1.37 value. Canonical values map to themselves so that a
// differently-cased value is normalized without allocating. Common values
// come first: the lookup is a linear scan.
var providerNames = []struct{ value, canonical string }{
	{"openai", "openai"},
	{"anthropic", "anthropic"},
	{"aws.bedrock", "aws.bedrock"},
	{"azure.ai.inference", "azure.ai.inference"},
	{"azure.ai.openai", "azure.ai.openai"},
	{"cohere", "cohere"},
	{"deepseek", "deepseek"},
	{"gcp.gemini", "gcp.gemini"},
	{"gcp.gen_ai", "gcp.gen_ai"},
	{"gcp.vertex_ai", "gcp.vertex_ai"},
	{"groq", "groq"},
	{"ibm.watsonx.ai", "ibm.watsonx.ai"},
	{"mistral_ai", "mistral_ai"},
	{"perplexity", "perplexity"},
	{"x_ai", "x_ai"},
	// semconv ≤1.36 values of gen_ai.system.
	{"az.ai.openai", "azure.ai.openai"},
	{"az.ai.inference", "azure.ai.inference"},
	{"vertex_ai", "gcp.vertex_ai"},
	{"gemini", "gcp.gemini"},
	{"xai", "x_ai"},
	// OpenLLMetry ("Azure", "AWS", "MistralAI", "VertexAI", "Watsonx"…),
	// OpenInference llm.provider / llm.system, LiteLLM custom_llm_provider,
	// Spring AI and Vercel provider names. "azure" is Azure OpenAI (what these
	// libraries mean by it); "google" does not say which Google API, so it is
	// gcp.gen_ai ("any Google generative AI endpoint").
	{"azure", "azure.ai.openai"},
	{"azure-openai", "azure.ai.openai"},
	{"azure_openai", "azure.ai.openai"},
	{"azure_ai", "azure.ai.inference"},
	{"aws", "aws.bedrock"},
	{"bedrock", "aws.bedrock"},
	{"amazon-bedrock", "aws.bedrock"},
	{"bedrock_converse", "aws.bedrock"},
	{"google", "gcp.gen_ai"},
	{"google_genai", "gcp.gen_ai"},
	{"google.generative-ai", "gcp.gemini"}, // Vercel @ai-sdk/google: the Gemini API
	{"google.vertex", "gcp.vertex_ai"},     // Vercel @ai-sdk/google-vertex
	{"vertex.anthropic", "gcp.vertex_ai"},  // Vercel @ai-sdk/google-vertex/anthropic
	{"vertexai", "gcp.vertex_ai"},
	{"vertex", "gcp.vertex_ai"},
	{"vertex_ai_beta", "gcp.vertex_ai"},
	{"mistralai", "mistral_ai"},
	{"mistral", "mistral_ai"},
	{"watsonx", "ibm.watsonx.ai"},
	{"cohere_chat", "cohere"},
	// Not providers, but common values: listed so that they need no
	// lower-casing (LangSmith's default guess, OpenLLMetry's LangChain spans).
	{"langchain", "langchain"},
}

// providerAPISuffixes are the API parts of Vercel's "<provider>.<api>"
// provider ids ("openai.chat", "anthropic.messages", "google.vertex.chat"):
// a value that ends with one is normalized without it.
var providerAPISuffixes = []string{
	".chat", ".completion", ".responses", ".messages", ".embedding", ".textembedding",
	".image", ".transcription", ".speech",
}

// ---------------------------------------------------------------------------
// Status and reason.

// finishReasonErrors are finish reasons that mean the call failed even on an
// OK span: the provider blocked the output (safety_block), the context
// window ran out (Anthropic's model_context_window_exceeded), or the
// generation failed (Vercel's error).
var finishReasonErrors = []struct {
	value  string
	reason Reason
}{
	{"content_filter", ReasonSafetyBlock}, // OpenAI, semconv
	{"content-filter", ReasonSafetyBlock}, // Vercel
	{"refusal", ReasonSafetyBlock},        // Anthropic
	{"safety", ReasonSafetyBlock},         // Gemini
	{"prohibited_content", ReasonSafetyBlock},
	{"blocklist", ReasonSafetyBlock},
	{"spii", ReasonSafetyBlock},
	{"image_safety", ReasonSafetyBlock},
	{"recitation", ReasonSafetyBlock},
	{"guardrail_intervened", ReasonSafetyBlock},              // Bedrock
	{"content_filtered", ReasonSafetyBlock},                  // Bedrock
	{"model_context_window_exceeded", ReasonContextOverflow}, // Anthropic
	// Vercel AI SDK: the provider's stream reported an error (an error part)
	// while the span itself ends OK.
	{"error", ReasonOther},
}

// classifier says how a reason source's value is read.
type classifier uint8

const (
	// byName reads an error class name or code ("openai.RateLimitError",
	// "<class 'openai.RateLimitError'>", "rate_limit_exceeded") with
	// nameReasons, or a numeric HTTP status ("429", 429) with httpReasons.
	byName classifier = iota
	// byText reads a free-text message: a leading class name ("RateLimitError:
	// …", "APIConnectionError('…')") with nameReasons, textReasons, then an
	// HTTP status after a statusMarkers word ("Error code: 429", "status 503").
	byText
	// byFinishReason looks for finishReasonErrors in the finish reasons.
	byFinishReason
	// byNothing names no reason (a source that only marks an error).
	byNothing
)

// origin says where a reason source's value lives.
type origin uint8

const (
	fromAttribute     origin = iota // span attribute key
	fromEvent                       // attribute key of every span event named event
	fromStatusMessage               // the span status message
	fromFinishReasons               // the finish reasons field (finishReasonSources)
)

// reasonSource is one place a failed call's reason can be read from.
type reasonSource struct {
	from     origin
	key      string // attribute key (fromAttribute, fromEvent)
	event    string // event name (fromEvent)
	classify classifier
	// marksError: the attribute's presence alone makes the call an error;
	// with errorValue, only that value (ASCII case-insensitive) does.
	marksError bool
	errorValue string
}

// reasonSources are evaluated in order: the first source that names a specific
// reason wins; failing that, the first generic reason (bad_request, other);
// failing that, other.
var reasonSources = []reasonSource{
	{from: fromAttribute, key: "error.type", classify: byName, marksError: true},
	{from: fromEvent, event: "exception", key: "exception.type", classify: byName},
	{from: fromAttribute, key: "error.code", classify: byName}, // LiteLLM: HTTP status as a string
	{from: fromAttribute, key: "http.response.status_code", classify: byName},
	{from: fromStatusMessage, classify: byText},
	{from: fromAttribute, key: "error.message", classify: byText},                       // LiteLLM
	{from: fromAttribute, key: "langfuse.observation.status_message", classify: byText}, // Langfuse
	{from: fromEvent, event: "exception", key: "exception.message", classify: byText},
	{from: fromFinishReasons, classify: byFinishReason},
	// Langfuse: level ERROR marks a failed observation.
	{from: fromAttribute, key: "langfuse.observation.level", classify: byNothing, marksError: true, errorValue: "ERROR"},
}

// nameRule maps an error class name or code, matched as an ASCII
// case-insensitive suffix, to a reason. Generic rules name no specific
// reason: they apply only when no source on the span names a specific one.
// Rules are tried in order, so specific rules come before generic ones.
type nameRule struct {
	suffix  string
	reason  Reason
	generic bool
}

var nameReasons = []nameRule{
	// rate_limit
	{suffix: "RateLimitError", reason: ReasonRateLimit}, // openai, anthropic, LiteLLM
	{suffix: "rate_limit_exceeded", reason: ReasonRateLimit},
	{suffix: "rate_limit_error", reason: ReasonRateLimit},
	{suffix: "insufficient_quota", reason: ReasonRateLimit},
	{suffix: "TooManyRequests", reason: ReasonRateLimit},   // google.api_core, Spring HttpClientErrorException$TooManyRequests
	{suffix: "ResourceExhausted", reason: ReasonRateLimit}, // google.api_core (gRPC 8)
	{suffix: "ThrottlingException", reason: ReasonRateLimit},
	{suffix: "ServiceQuotaExceededException", reason: ReasonRateLimit},
	{suffix: "BudgetExceededError", reason: ReasonRateLimit}, // LiteLLM budgets
	// context_overflow
	{suffix: "ContextWindowExceededError", reason: ReasonContextOverflow}, // LiteLLM
	{suffix: "context_length_exceeded", reason: ReasonContextOverflow},
	{suffix: "model_context_window_exceeded", reason: ReasonContextOverflow},
	// timeout
	{suffix: "APITimeoutError", reason: ReasonTimeout},
	{suffix: "TimeoutError", reason: ReasonTimeout},
	{suffix: "TimeoutException", reason: ReasonTimeout},
	{suffix: "Timeout", reason: ReasonTimeout}, // LiteLLM Timeout, httpx ReadTimeout, plain "timeout"
	{suffix: "ReadTimeout", reason: ReasonTimeout},
	{suffix: "GatewayTimeout", reason: ReasonTimeout},
	{suffix: "DeadlineExceeded", reason: ReasonTimeout},
	{suffix: "DeadlineExceededError", reason: ReasonTimeout},
	{suffix: "deadline exceeded", reason: ReasonTimeout}, // Go context.DeadlineExceeded
	// safety_block
	{suffix: "ContentPolicyViolationError", reason: ReasonSafetyBlock}, // LiteLLM
	{suffix: "ContentFilterFinishReasonError", reason: ReasonSafetyBlock},
	{suffix: "RejectedRequestError", reason: ReasonSafetyBlock}, // LiteLLM guardrail rejection
	{suffix: "content_filter", reason: ReasonSafetyBlock},       // Azure OpenAI error code
	// provider_5xx
	{suffix: "InternalServerError", reason: ReasonProvider5xx},
	{suffix: "ServiceUnavailableError", reason: ReasonProvider5xx},
	{suffix: "ServiceUnavailable", reason: ReasonProvider5xx},
	{suffix: "ServiceUnavailableException", reason: ReasonProvider5xx},
	{suffix: "InternalServerException", reason: ReasonProvider5xx}, // Bedrock
	{suffix: "ModelNotReadyException", reason: ReasonProvider5xx},  // Bedrock
	{suffix: "ServerError", reason: ReasonProvider5xx},             // google.genai.errors.ServerError
	{suffix: "OverloadedError", reason: ReasonProvider5xx},
	{suffix: "overloaded_error", reason: ReasonProvider5xx},
	// auth
	{suffix: "AuthenticationError", reason: ReasonAuth},
	{suffix: "PermissionDeniedError", reason: ReasonAuth},
	{suffix: "PermissionDenied", reason: ReasonAuth},
	{suffix: "Unauthenticated", reason: ReasonAuth},
	{suffix: "Unauthorized", reason: ReasonAuth},
	{suffix: "Forbidden", reason: ReasonAuth},
	{suffix: "AccessDeniedException", reason: ReasonAuth}, // Bedrock
	{suffix: "AI_LoadAPIKeyError", reason: ReasonAuth},    // Vercel
	{suffix: "invalid_api_key", reason: ReasonAuth},
	// not_found
	{suffix: "NotFoundError", reason: ReasonNotFound},
	{suffix: "NotFound", reason: ReasonNotFound},
	{suffix: "ResourceNotFoundException", reason: ReasonNotFound}, // Bedrock
	{suffix: "AI_NoSuchModelError", reason: ReasonNotFound},       // Vercel
	{suffix: "model_not_found", reason: ReasonNotFound},
	// connection
	{suffix: "APIConnectionError", reason: ReasonConnection},
	{suffix: "ConnectionError", reason: ReasonConnection},
	{suffix: "ConnectionRefusedError", reason: ReasonConnection},
	{suffix: "ConnectException", reason: ReasonConnection}, // Java
	// cancelled
	{suffix: "CancelledError", reason: ReasonCancelled},
	{suffix: "Cancelled", reason: ReasonCancelled},
	{suffix: "Canceled", reason: ReasonCancelled}, // Go "context canceled", gRPC Canceled
	{suffix: "CanceledException", reason: ReasonCancelled},
	{suffix: "CancellationException", reason: ReasonCancelled},
	{suffix: "AbortError", reason: ReasonCancelled}, // JS fetch aborted
	// generic
	{suffix: "BadRequestError", reason: ReasonBadRequest, generic: true},
	{suffix: "UnprocessableEntityError", reason: ReasonBadRequest, generic: true},
	{suffix: "InvalidRequestError", reason: ReasonBadRequest, generic: true},
	{suffix: "invalid_request_error", reason: ReasonBadRequest, generic: true},
	{suffix: "UnsupportedParamsError", reason: ReasonBadRequest, generic: true}, // LiteLLM
	{suffix: "ValidationException", reason: ReasonBadRequest, generic: true},    // Bedrock
	{suffix: "InvalidArgument", reason: ReasonBadRequest, generic: true},        // google.api_core
	{suffix: "AI_InvalidPromptError", reason: ReasonBadRequest, generic: true},  // Vercel
	{suffix: "AI_APICallError", reason: ReasonOther, generic: true},             // Vercel: any HTTP failure
	{suffix: "AI_RetryError", reason: ReasonOther, generic: true},               // Vercel: wraps the last error
	{suffix: "APIStatusError", reason: ReasonOther, generic: true},
	{suffix: "APIError", reason: ReasonOther, generic: true},
	{suffix: "Exception", reason: ReasonOther, generic: true},
	{suffix: "_OTHER", reason: ReasonOther, generic: true},
}

// httpRule maps an HTTP status range [lo, hi] to a reason; first match wins.
type httpRule struct {
	lo, hi  int64
	reason  Reason
	generic bool
}

var httpReasons = []httpRule{
	{lo: 429, hi: 429, reason: ReasonRateLimit},
	{lo: 408, hi: 408, reason: ReasonTimeout},
	{lo: 504, hi: 504, reason: ReasonTimeout},
	{lo: 401, hi: 401, reason: ReasonAuth},
	{lo: 403, hi: 403, reason: ReasonAuth},
	{lo: 404, hi: 404, reason: ReasonNotFound},
	{lo: 499, hi: 499, reason: ReasonCancelled},
	{lo: 500, hi: 599, reason: ReasonProvider5xx}, // 529 is Anthropic "overloaded"
	{lo: 400, hi: 400, reason: ReasonBadRequest, generic: true},
	{lo: 413, hi: 413, reason: ReasonBadRequest, generic: true}, // Anthropic request_too_large: bytes, not tokens
	{lo: 422, hi: 422, reason: ReasonBadRequest, generic: true},
}

// textRule maps a substring of a free-text error message (ASCII
// case-insensitive) to a reason; first match in table order wins.
type textRule struct {
	contains string
	reason   Reason
}

var textReasons = []textRule{
	{contains: "context_length_exceeded", reason: ReasonContextOverflow},
	{contains: "maximum context length", reason: ReasonContextOverflow},
	{contains: "context window", reason: ReasonContextOverflow},
	{contains: "prompt is too long", reason: ReasonContextOverflow},
	{contains: "input is too long", reason: ReasonContextOverflow}, // Bedrock
	{contains: "rate limit", reason: ReasonRateLimit},
	{contains: "rate_limit", reason: ReasonRateLimit},
	{contains: "ratelimit", reason: ReasonRateLimit}, // "RateLimitError: Error code: 429 …"
	{contains: "too many requests", reason: ReasonRateLimit},
	{contains: "timed out", reason: ReasonTimeout},
	{contains: "timeout", reason: ReasonTimeout},
	{contains: "deadline exceeded", reason: ReasonTimeout},
	{contains: "content_filter", reason: ReasonSafetyBlock},
	{contains: "content policy", reason: ReasonSafetyBlock},
	{contains: "content management policy", reason: ReasonSafetyBlock}, // Azure OpenAI
	{contains: "insufficient_quota", reason: ReasonRateLimit},
	{contains: "resource exhausted", reason: ReasonRateLimit}, // Gemini / Vertex 429
	{contains: "resource_exhausted", reason: ReasonRateLimit},
	{contains: "overloaded", reason: ReasonProvider5xx}, // Anthropic 529
	{contains: "service unavailable", reason: ReasonProvider5xx},
	{contains: "internal server error", reason: ReasonProvider5xx},
	{contains: "bad gateway", reason: ReasonProvider5xx},
	{contains: "incorrect api key", reason: ReasonAuth},
	{contains: "invalid api key", reason: ReasonAuth},
	{contains: "invalid x-api-key", reason: ReasonAuth}, // Anthropic
	{contains: "model_not_found", reason: ReasonNotFound},
	{contains: "connection error", reason: ReasonConnection}, // openai APIConnectionError
	{contains: "connection refused", reason: ReasonConnection},
}

// statusMarkers are the words after which a message gives an HTTP status
// ("Error code: 429", "status 503", "statusCode=429", "HTTP 429"); a message
// may also start with one ("429 Too Many Requests").
var statusMarkers = []string{"code", "status", "http"}

package genai

// This file is the only place that names span attributes, event names and
// attribute values. Each field of a Call has an ordered list of sources, best
// first. The generic code compiles the lists at init (fields.go) into one key
// table per Extractor (keys.go), and Extract reads a span in a single pass over
// its attributes. Adding a dialect means appending rows here (and golden spans
// in testdata), not code: see TestDialectAsData.
//
// Covered today: OpenTelemetry GenAI semantic conventions, both generations:
// ≤1.36 (gen_ai.system, gen_ai.usage.prompt_tokens/completion_tokens) and
// ≥1.37 (gen_ai.provider.name, gen_ai.usage.input_tokens/output_tokens, cache
// and reasoning tokens, gen_ai.request.stream, gen_ai.response.time_to_first_chunk).

// source is one span attribute that can carry a field's value.
type source struct {
	key string
	// scale converts a numeric value to the field's canonical unit (seconds
	// for times, USD for cost); 0 means 1. E.g. a milliseconds attribute has
	// scale 0.001.
	scale float64
}

// ---------------------------------------------------------------------------
// Is the span an LLM call?

// detectRule decides from one attribute whether a span is an LLM call.
// Values compare ASCII case-insensitively. A value in skip marks the span as a
// wrapper (agent, tool, workflow…) that is never counted, whatever other rules
// say; a value in count makes it an LLM call unless a rule skips it. Values in
// neither list, or an absent key, say nothing. The first rule (in table order)
// that counts gives the Call's operation.
type detectRule struct {
	key   string
	count []countValue
	skip  []string
}

// countValue is an attribute value that marks an LLM call, and the canonical
// operation it maps to ("" means the value itself, as spelled here).
type countValue struct {
	value string
	op    string
}

var detectRules = []detectRule{
	{
		key: "gen_ai.operation.name",
		count: []countValue{
			{value: OpChat}, {value: OpTextCompletion}, {value: OpGenerateContent}, {value: OpEmbeddings},
		},
		skip: []string{
			"invoke_agent", "create_agent", "agent_step", "execute_tool",
			"invoke_workflow", "retrieval",
		},
	},
}

// ---------------------------------------------------------------------------
// Field sources, best first. The first source present on the span wins (an
// empty string or an empty value counts as absent). A present but invalid value
// does not fall through to the next source: see extract.go.

var providerSources = []source{
	{key: "gen_ai.provider.name"}, // semconv ≥1.37
	{key: "gen_ai.system"},        // semconv ≤1.36
}

var requestModelSources = []source{{key: "gen_ai.request.model"}}

var responseModelSources = []source{{key: "gen_ai.response.model"}}

var inputTokenSources = []source{
	{key: "gen_ai.usage.input_tokens"},  // semconv ≥1.27
	{key: "gen_ai.usage.prompt_tokens"}, // semconv 1.26, deprecated
}

var outputTokenSources = []source{
	{key: "gen_ai.usage.output_tokens"},     // semconv ≥1.27
	{key: "gen_ai.usage.completion_tokens"}, // semconv 1.26, deprecated
}

var cachedInputTokenSources = []source{
	{key: "gen_ai.usage.cache_read.input_tokens"}, // semconv ≥1.40
}

var reasoningTokenSources = []source{
	{key: "gen_ai.usage.reasoning.output_tokens"}, // semconv ≥1.41
}

// streamSources carry an explicit streaming flag (Bool, or Str "true"/"false").
var streamSources = []source{
	{key: "gen_ai.request.stream"}, // semconv ≥1.41
}

// ttftSources carry the time to first chunk. Their presence also marks the
// call as streamed when no stream flag is present.
var ttftSources = []source{
	{key: "gen_ai.response.time_to_first_chunk"},         // semconv ≥1.41, seconds
	{key: "gen_ai.client.operation.time_to_first_chunk"}, // metric name used as a span attribute, seconds
}

// chunkEvents are span events emitted once per streamed chunk: their presence
// marks the call as streamed, and the first one gives the TTFT when no TTFT
// attribute is present.
var chunkEvents = []string{
	"gen_ai.content.completion.chunk",
}

var costSources = []source{
	{key: "gen_ai.usage.cost"}, // USD
}

// finishReasonSources carry the finish reasons: a string array, or a string
// holding one reason, a comma-joined list or a JSON array.
var finishReasonSources = []source{
	{key: "gen_ai.response.finish_reasons"},
}

// fieldSources wires each field read from a fixed list of attributes to its
// source table (the template keys come from Options).
var fieldSources = [numStaticFields][]source{
	fieldProvider:          providerSources,
	fieldRequestModel:      requestModelSources,
	fieldResponseModel:     responseModelSources,
	fieldInputTokens:       inputTokenSources,
	fieldOutputTokens:      outputTokenSources,
	fieldCachedInputTokens: cachedInputTokenSources,
	fieldReasoningTokens:   reasoningTokenSources,
	fieldStream:            streamSources,
	fieldTTFT:              ttftSources,
	fieldCost:              costSources,
	fieldFinishReasons:     finishReasonSources,
}

// ---------------------------------------------------------------------------
// Provider names.

// providerNames maps provider values (ASCII case-insensitive) to the canonical
// semconv ≥1.37 value. Canonical values map to themselves so that a
// differently-cased value is normalized without allocating.
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
}

// ---------------------------------------------------------------------------
// Status and reason.

// safetyFinishReasons are finish reasons that mean the provider blocked the
// output: the call is an error (even on an OK span) with reason safety_block.
var safetyFinishReasons = []string{"content_filter", "refusal", "safety", "prohibited_content"}

// classifier says how a reason source's value is read.
type classifier uint8

const (
	// byName reads an error class name or code ("openai.RateLimitError",
	// "<class 'openai.RateLimitError'>", "rate_limit_exceeded") with
	// nameReasons, or a numeric HTTP status ("429", 429) with httpReasons.
	byName classifier = iota
	// byText searches a free-text message for textReasons.
	byText
	// byFinishReason looks for safetyFinishReasons in the finish reasons.
	byFinishReason
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
	// marksError: the attribute's presence alone makes the call an error.
	marksError bool
}

// reasonSources are evaluated in order: the first source that names a specific
// reason wins; failing that, the first generic reason (bad_request, other);
// failing that, other.
var reasonSources = []reasonSource{
	{from: fromAttribute, key: "error.type", classify: byName, marksError: true},
	{from: fromEvent, event: "exception", key: "exception.type", classify: byName},
	{from: fromAttribute, key: "error.code", classify: byName},
	{from: fromAttribute, key: "http.response.status_code", classify: byName},
	{from: fromStatusMessage, classify: byText},
	{from: fromEvent, event: "exception", key: "exception.message", classify: byText},
	{from: fromFinishReasons, classify: byFinishReason},
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
	{suffix: "RateLimitError", reason: ReasonRateLimit},
	{suffix: "rate_limit_exceeded", reason: ReasonRateLimit},
	{suffix: "rate_limit_error", reason: ReasonRateLimit},
	{suffix: "insufficient_quota", reason: ReasonRateLimit},
	// context_overflow
	{suffix: "ContextWindowExceededError", reason: ReasonContextOverflow},
	{suffix: "context_length_exceeded", reason: ReasonContextOverflow},
	// timeout
	{suffix: "APITimeoutError", reason: ReasonTimeout},
	{suffix: "TimeoutError", reason: ReasonTimeout},
	{suffix: "TimeoutException", reason: ReasonTimeout},
	{suffix: "Timeout", reason: ReasonTimeout}, // LiteLLM Timeout, httpx ReadTimeout, plain "timeout"
	{suffix: "ReadTimeout", reason: ReasonTimeout},
	{suffix: "DeadlineExceeded", reason: ReasonTimeout},
	{suffix: "DeadlineExceededError", reason: ReasonTimeout},
	{suffix: "deadline exceeded", reason: ReasonTimeout}, // Go context.DeadlineExceeded
	// safety_block
	{suffix: "ContentPolicyViolationError", reason: ReasonSafetyBlock},
	{suffix: "ContentFilterFinishReasonError", reason: ReasonSafetyBlock},
	// provider_5xx
	{suffix: "InternalServerError", reason: ReasonProvider5xx},
	{suffix: "ServiceUnavailableError", reason: ReasonProvider5xx},
	{suffix: "OverloadedError", reason: ReasonProvider5xx},
	{suffix: "overloaded_error", reason: ReasonProvider5xx},
	// auth
	{suffix: "AuthenticationError", reason: ReasonAuth},
	{suffix: "PermissionDeniedError", reason: ReasonAuth},
	// not_found
	{suffix: "NotFoundError", reason: ReasonNotFound},
	// connection
	{suffix: "APIConnectionError", reason: ReasonConnection},
	{suffix: "ConnectionError", reason: ReasonConnection},
	// cancelled
	{suffix: "CancelledError", reason: ReasonCancelled},
	{suffix: "Cancelled", reason: ReasonCancelled},
	{suffix: "Canceled", reason: ReasonCancelled}, // Go "context canceled", gRPC Canceled
	// generic
	{suffix: "BadRequestError", reason: ReasonBadRequest, generic: true},
	{suffix: "UnprocessableEntityError", reason: ReasonBadRequest, generic: true},
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
	{lo: 413, hi: 413, reason: ReasonBadRequest, generic: true},
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
	{contains: "rate limit", reason: ReasonRateLimit},
	{contains: "rate_limit", reason: ReasonRateLimit},
	{contains: "ratelimit", reason: ReasonRateLimit}, // "RateLimitError: Error code: 429 …"
	{contains: "too many requests", reason: ReasonRateLimit},
	{contains: "timed out", reason: ReasonTimeout},
	{contains: "timeout", reason: ReasonTimeout},
	{contains: "deadline exceeded", reason: ReasonTimeout},
	{contains: "content_filter", reason: ReasonSafetyBlock},
	{contains: "content policy", reason: ReasonSafetyBlock},
	{contains: "insufficient_quota", reason: ReasonRateLimit},
}

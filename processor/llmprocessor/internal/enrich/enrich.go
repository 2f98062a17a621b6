// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package enrich writes a canonical genai.Call back onto its span as
// attributes under the latest GenAI semantic convention names, and the
// call's configured dimension values under llm.dimension.<label>.
package enrich // import "github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/enrich"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/labelvalue"
	"github.com/otelcol-llm/otelcol-llm/internal/llmconfig"
)

// Attribute keys written onto LLM call spans: the GenAI semantic convention
// names of v1.41 (the latest published set), plus this project's llm.* keys.
//
//nolint:gosec // G101 reads the *_tokens key names as credentials; they are attribute names.
const (
	KeyProviderName        = "gen_ai.provider.name"
	KeyOperationName       = "gen_ai.operation.name"
	KeyRequestModel        = "gen_ai.request.model"
	KeyResponseModel       = "gen_ai.response.model"
	KeyInputTokens         = "gen_ai.usage.input_tokens"
	KeyOutputTokens        = "gen_ai.usage.output_tokens"
	KeyCacheReadTokens     = "gen_ai.usage.cache_read.input_tokens"
	KeyCacheCreationTokens = "gen_ai.usage.cache_creation.input_tokens"
	KeyReasoningTokens     = "gen_ai.usage.reasoning.output_tokens"
	KeyRequestStream       = "gen_ai.request.stream"
	KeyTimeToFirstChunk    = "gen_ai.response.time_to_first_chunk"
	KeyTemplate            = "llm.template"      // prompt template identity, when one was found
	KeyErrorReason         = "llm.error.reason"  // bounded reason of a failed call
	KeyFinishReason        = "llm.finish_reason" // canonical finish reason of the first choice
	// KeyCost is where the processor writes a price-table cost (USD) when the
	// span carries none; the name is OpenLIT's, the first cost source read.
	KeyCost = "gen_ai.usage.cost"
	// KeyDuplicateOfChild (bool true) marks an LLM call span that is not
	// enriched because its child span records the same call (genai.Nested).
	KeyDuplicateOfChild = "llm.duplicate_of_child"
)

// Attribute keys written onto agent, tool and guardrail spans
// (WriteActivity).
const (
	KeyAgentName       = "llm.agent.name"
	KeyToolName        = "llm.tool.name"
	KeyGuardrailName   = "llm.guardrail.name"
	KeyStatus          = "llm.status"           // success or error
	KeyGuardrailResult = "llm.guardrail.result" // allowed, blocked, modified or error
	// KeyAgentModelCalls and KeyAgentToolCalls are the counted calls and
	// tool executions under an agent span in its batch.
	KeyAgentModelCalls = "llm.agent.model_calls"
	KeyAgentToolCalls  = "llm.agent.tool_calls"
)

// maxWritten is the number of keys above that Write writes (all but KeyCost
// and KeyDuplicateOfChild, which the processor writes).
const maxWritten = 14

// costKeys is the number of attributes the processor appends with a
// price-table cost.
const costKeys = 2

// maxValues bounds the attributes one Write writes: the keys above and one
// per dimension.
const maxValues = maxWritten + genai.MaxDimensions

// value is one attribute value to write.
type value struct {
	key  string
	typ  pcommon.ValueType
	str  string
	num  int64
	dbl  float64
	done bool // the key was found on the span and set in place
}

// setInto sets dst to v, leaving dst untouched when it already holds the
// same type and value (no allocation, no change for spans that already carry
// the canonical value).
func (v *value) setInto(dst pcommon.Value) {
	switch v.typ {
	case pcommon.ValueTypeStr:
		if dst.Type() != pcommon.ValueTypeStr || dst.Str() != v.str {
			dst.SetStr(v.str)
		}
	case pcommon.ValueTypeInt:
		if dst.Type() != pcommon.ValueTypeInt || dst.Int() != v.num {
			dst.SetInt(v.num)
		}
	case pcommon.ValueTypeDouble:
		if dst.Type() != pcommon.ValueTypeDouble || dst.Double() != v.dbl {
			dst.SetDouble(v.dbl)
		}
	case pcommon.ValueTypeBool:
		if dst.Type() != pcommon.ValueTypeBool || !dst.Bool() {
			dst.SetBool(true)
		}
	}
}

func (v *value) putInto(attrs pcommon.Map) {
	switch v.typ {
	case pcommon.ValueTypeStr:
		attrs.PutStr(v.key, v.str)
	case pcommon.ValueTypeInt:
		attrs.PutInt(v.key, v.num)
	case pcommon.ValueTypeDouble:
		attrs.PutDouble(v.key, v.dbl)
	case pcommon.ValueTypeBool:
		attrs.PutBool(v.key, true)
	}
}

// values lists the attributes the call has, in the order they are appended.
type values struct {
	v [maxValues]value
	n int
}

func (vs *values) str(key, s string) {
	if s != "" {
		vs.v[vs.n] = value{key: key, typ: pcommon.ValueTypeStr, str: s}
		vs.n++
	}
}

func (vs *values) int(key string, n int64, ok bool) {
	if ok {
		vs.v[vs.n] = value{key: key, typ: pcommon.ValueTypeInt, num: n}
		vs.n++
	}
}

// Writer writes calls onto their spans. It holds no state but its
// configuration: safe for concurrent use.
type Writer struct {
	dims []dimension // at most genai.MaxDimensions
}

// dimension is a configured dimension as written onto spans.
type dimension struct {
	key string // llmconfig.DimensionKeyPrefix + label
	def string // the dimension's default value
}

// NewWriter returns a Writer writing dims as well: dims must be the
// dimensions the calls were extracted with (llmconfig.GenAIDimensions), in
// the same order; past genai.MaxDimensions they are ignored, as the
// extractor ignores them.
func NewWriter(dims []llmconfig.Dimension) *Writer {
	w := &Writer{}
	for _, d := range dims[:min(len(dims), genai.MaxDimensions)] {
		w.dims = append(w.dims, dimension{key: llmconfig.DimensionKeyPrefix + d.Label, def: d.DefaultValue()})
	}
	return w
}

// Write puts every value the call has onto attrs (its span's attributes):
// a value is written only when the Call has it (non-empty string, Has* bit).
// Every configured dimension is written: the call's value, or the
// dimension's default when it has none, bounded as the llm_prometheus
// exporter bounds a label value (labelvalue.Sanitize at
// labelvalue.DefaultMaxLength) but never folded to "other" (the exporter's
// caps are not applied).
//
// The written keys take the canonical value: a key already on the span is
// set in place (a Spring AI string "42" becomes the Int 42, a legacy provider
// name its semconv value), a missing key is appended. No other attribute is
// changed or removed, and an attribute whose value the extractor refused
// (negative, unparsable…) is left as it was.
func (w *Writer) Write(call *genai.Call, attrs pcommon.Map) {
	var vs values
	vs.str(KeyProviderName, call.Provider)
	vs.str(KeyOperationName, call.Operation)
	vs.str(KeyRequestModel, call.RequestModel)
	vs.str(KeyResponseModel, call.ResponseModel)
	vs.int(KeyInputTokens, call.InputTokens, call.HasInputTokens)
	vs.int(KeyOutputTokens, call.OutputTokens, call.HasOutputTokens)
	vs.int(KeyCacheReadTokens, call.CachedInputTokens, call.HasCachedInput)
	vs.int(KeyCacheCreationTokens, call.CacheCreationInputTokens, call.HasCacheCreation)
	vs.int(KeyReasoningTokens, call.ReasoningTokens, call.HasReasoning)
	if call.Streamed {
		vs.v[vs.n] = value{key: KeyRequestStream, typ: pcommon.ValueTypeBool}
		vs.n++
	}
	if call.HasTTFT {
		vs.v[vs.n] = value{key: KeyTimeToFirstChunk, typ: pcommon.ValueTypeDouble, dbl: call.TTFT}
		vs.n++
	}
	vs.str(KeyTemplate, call.Template)
	if call.Status == genai.StatusError {
		r := call.Reason.String()
		if r == "" {
			r = "other"
		}
		vs.str(KeyErrorReason, r)
	}
	if call.FinishReason != genai.FinishNone {
		vs.str(KeyFinishReason, call.FinishReason.String())
	}
	for i, d := range w.dims {
		v := call.Dimensions[i&(genai.MaxDimensions-1)]
		if v == "" {
			v = d.def
		}
		vs.str(d.key, labelvalue.Sanitize(v, labelvalue.DefaultMaxLength))
	}
	vs.writeInto(attrs)
}

// WriteActivity puts the canonical values of an agent, tool or guardrail
// span onto its attributes: the name (bounded as a label value, when the
// span names one), the status, a guardrail's result, an agent's counts.
func (w *Writer) WriteActivity(a *genai.Activity, attrs pcommon.Map) {
	var vs values
	name := ""
	if a.Name != "" {
		name = labelvalue.Sanitize(a.Name, labelvalue.DefaultMaxLength)
	}
	switch a.Kind {
	case genai.KindAgent:
		vs.str(KeyAgentName, name)
		vs.int(KeyAgentModelCalls, int64(a.ModelCalls), true)
		vs.int(KeyAgentToolCalls, int64(a.ToolCalls), true)
	case genai.KindTool:
		vs.str(KeyToolName, name)
	case genai.KindGuardrail:
		vs.str(KeyGuardrailName, name)
		vs.str(KeyGuardrailResult, a.Guardrail.String())
	default:
		return
	}
	vs.str(KeyStatus, a.Status.String())
	vs.writeInto(attrs)
}

// writeInto sets the values on attrs: in place when the key is there, else
// appended.
func (vs *values) writeInto(attrs pcommon.Map) {
	if vs.n == 0 {
		return
	}

	// One pass over the span's attributes sets the keys already present.
	found := 0
	for k, av := range attrs.All() {
		for i := range vs.n {
			v := &vs.v[i]
			if !v.done && v.key == k {
				v.setInto(av)
				v.done = true
				found++
				break
			}
		}
		if found == vs.n {
			return
		}
	}
	// Room for the cost the processor may append next (KeyCost,
	// genai.KeyCostEstimated): the attribute slice grows at most once.
	attrs.EnsureCapacity(attrs.Len() + vs.n - found + costKeys)
	for i := range vs.n {
		if v := &vs.v[i]; !v.done {
			v.putInto(attrs)
		}
	}
}

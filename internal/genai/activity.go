// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"math"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Kind says what a span is to us.
type Kind uint8

const (
	// KindNone: no GenAI instrumentation wrote the span (an HTTP span, a
	// database span…), or it is none we read.
	KindNone Kind = iota
	// KindCall: an LLM call, counted (Call).
	KindCall
	// KindAgent: an agent invocation (Activity).
	KindAgent
	// KindTool: a tool execution (Activity).
	KindTool
	// KindGuardrail: a guardrail applied to content (Activity).
	KindGuardrail
	// KindWrapper: another span of a GenAI instrumentation (chain,
	// workflow task, step, retriever…): it counts nothing, but the calls
	// under it belong to the agent above it.
	KindWrapper
)

var kindNames = [...]string{"none", "call", "agent", "tool", "guardrail", "wrapper"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "none"
}

// FinishReason is the canonical reason a model stopped generating, of the
// first choice of a call.
type FinishReason uint8

const (
	FinishNone FinishReason = iota // the call reports no finish reason
	FinishStop
	FinishLength
	FinishToolCalls
	FinishContentFilter
	FinishError
	FinishOther
)

// NumFinishReasons is the number of FinishReason values, FinishNone
// included.
const NumFinishReasons = 7

var finishNames = [NumFinishReasons]string{"", "stop", "length", "tool_calls", "content_filter", "error", "other"}

func (f FinishReason) String() string {
	if int(f) < len(finishNames) {
		return finishNames[f]
	}
	return "other"
}

// GuardrailResult is the canonical outcome of a guardrail.
type GuardrailResult uint8

const (
	GuardrailNone GuardrailResult = iota // no (readable) result
	GuardrailAllowed
	GuardrailBlocked
	GuardrailModified
	GuardrailError
)

// NumGuardrailResults is the number of GuardrailResult values,
// GuardrailNone included.
const NumGuardrailResults = 5

var guardrailNames = [NumGuardrailResults]string{"", "allowed", "blocked", "modified", "error"}

func (g GuardrailResult) String() string {
	if int(g) < len(guardrailNames) {
		return guardrailNames[g]
	}
	return ""
}

// Activity is the canonical view of a span that is no LLM call but an agent
// invocation, a tool execution or a guardrail (or, for KindWrapper, only its
// ids). Like a Call, its strings reference the span's own values.
type Activity struct {
	Kind Kind
	// Name is the agent, tool or guardrail name, "" when absent.
	Name   string
	Status Status
	// Guardrail is the result of a guardrail span (GuardrailNone when it
	// carries none: its gen_ai.guardrail.result events then say it).
	Guardrail GuardrailResult
	// Duration of the span in seconds; HasDuration is false when the
	// timestamps are missing or inconsistent.
	Duration    float64
	HasDuration bool
	// Tentative marks an agent known only by a Vercel AI SDK
	// ai.generateText / ai.streamText span with a functionId: it is an
	// agent invocation when tools are offered to or called by the calls
	// under it (see batch).
	Tentative bool
	// FromEvent: a guardrail result read from a gen_ai.guardrail.result
	// event (of the span passed with it), not from a guardrail span.
	FromEvent bool
	Invalid   Invalid
	// ModelCalls and ToolCalls are, for an agent, the counted calls and
	// the tool executions of its batch whose nearest agent span it is
	// (filled by internal/batch).
	ModelCalls, ToolCalls int

	TraceID      pcommon.TraceID
	SpanID       pcommon.SpanID
	ParentSpanID pcommon.SpanID
}

// Event names of the GenAI semantic conventions that carry results, on a
// span or as an OTLP log record.
const (
	EventEvaluationResult = "gen_ai.evaluation.result"
	EventGuardrailResult  = "gen_ai.guardrail.result"
)

// Evaluation is one gen_ai.evaluation.result event.
type Evaluation struct {
	// Name is gen_ai.evaluation.name, "" when absent or invalid.
	Name string
	// Score is gen_ai.evaluation.score.value, when HasScore: a finite
	// number from 0 to 1.
	Score    float64
	HasScore bool
	// Label is gen_ai.evaluation.score.label, "" when absent or invalid.
	Label   string
	Invalid Invalid
}

// Attributes of the evaluation event.
const (
	keyEvaluationName       = "gen_ai.evaluation.name"
	keyEvaluationScoreValue = "gen_ai.evaluation.score.value"
	keyEvaluationScoreLabel = "gen_ai.evaluation.score.label"
)

// ReadEvaluation reads an evaluation result from the attributes of a
// gen_ai.evaluation.result event or log record. A name or label that is not
// a string (a number or bool gives its string form), a score that is not a
// number (strings included), NaN, infinite or outside 0…1 is refused and
// flagged in ev.Invalid; the rest of the event still counts.
func ReadEvaluation(attrs pcommon.Map, ev *Evaluation) {
	*ev = Evaluation{}
	if v, ok := attrs.Get(keyEvaluationName); ok && !isEmpty(v) {
		if ev.Name = nameValue(v); ev.Name == "" {
			ev.Invalid |= InvalidEvaluationName
		}
	} else {
		ev.Invalid |= InvalidEvaluationName
	}
	if v, ok := attrs.Get(keyEvaluationScoreValue); ok && v.Type() != pcommon.ValueTypeEmpty {
		var s float64
		switch v.Type() {
		case pcommon.ValueTypeDouble:
			s = v.Double()
		case pcommon.ValueTypeInt:
			s = float64(v.Int())
		default:
			s = math.NaN()
		}
		if s >= 0 && s <= 1 {
			ev.Score, ev.HasScore = s, true
		} else {
			ev.Invalid |= InvalidEvaluationScore
		}
	}
	if v, ok := attrs.Get(keyEvaluationScoreLabel); ok && !isEmpty(v) {
		if ev.Label = nameValue(v); ev.Label == "" {
			ev.Invalid |= InvalidEvaluationLabel
		}
	}
}

// ReadGuardrailEvent reads a guardrail result from the attributes of a
// gen_ai.guardrail.result event or log record into a (Kind KindGuardrail;
// Name, Guardrail and Invalid set). A result value we cannot map to allowed,
// blocked, modified or error leaves Guardrail at GuardrailNone and is
// flagged (InvalidGuardrailResult).
func (e *Extractor) ReadGuardrailEvent(attrs pcommon.Map, a *Activity) {
	*a = Activity{Kind: KindGuardrail, FromEvent: true}
	var fs foundSet
	fs.scan(attrs, e.keys, e)
	a.Name = fs.activityName(fieldGuardrailName, "", &a.Invalid)
	a.Guardrail = fs.guardrailResult(&a.Invalid)
	if a.Guardrail == GuardrailNone && a.Invalid&InvalidGuardrailResult == 0 {
		a.Invalid |= InvalidGuardrailResult // an event without a result
	}
}

// Interrupted reports whether a streamed call failed after its first chunk:
// the user saw part of an answer.
func (c *Call) Interrupted() bool {
	return c.Streamed && c.Status == StatusError && c.HasTTFT
}

// activity fills a for a span detect classified as kind (agent, tool,
// guardrail or wrapper).
func activity(span ptrace.Span, fs *foundSet, kind Kind, tentative bool, a *Activity) {
	*a = Activity{Kind: kind}
	a.TraceID, a.SpanID, a.ParentSpanID = span.TraceID(), span.SpanID(), span.ParentSpanID()
	if kind == KindWrapper {
		return
	}
	switch kind {
	case KindAgent:
		name := span.Name()
		if m := fs.v[fieldRequestModel].Str(); m != "" && strings.HasSuffix(name, " "+m) {
			// "invoke_agent {model}" (Vercel AI v7 without a functionId)
			// names a model, not an agent.
			name = strings.TrimSuffix(name, " "+m)
		}
		a.Name = fs.activityName(fieldAgentName, name, &a.Invalid)
		a.Tentative = tentative
	case KindTool:
		a.Name = fs.activityName(fieldToolName, span.Name(), &a.Invalid)
	case KindGuardrail:
		a.Name = fs.activityName(fieldGuardrailName, span.Name(), &a.Invalid)
		if fs.present&(1<<fieldGuardrailResult) != 0 {
			a.Guardrail = fs.guardrailResult(&a.Invalid)
		}
	}
	start, end := span.StartTimestamp(), span.EndTimestamp()
	if start != 0 && end != 0 && end >= start && end-start <= maxDurationNs {
		a.Duration, a.HasDuration = float64(end-start)/nanosPerSecond, true
	} else {
		a.Invalid |= InvalidDuration
	}
	if activityFailed(span, fs) {
		a.Status = StatusError
		if kind == KindGuardrail && a.Guardrail == GuardrailNone {
			a.Guardrail = GuardrailError
		}
	}
}

// agentKind is what a span detectRules marks as an agent is: a wrapper for
// a Vercel generateText without a functionId (tentative) or a handoff
// (agentNotAgentKeys), a guardrail when it carries a guardrail result
// (OpenLIT writes guardrails as invoke_agent spans), else an agent.
func agentKind(fs *foundSet, attrs pcommon.Map, tentative bool) Kind {
	if tentative && !fs.has(fieldAgentName) {
		return KindWrapper
	}
	for _, k := range agentNotAgentKeys {
		if v, ok := attrs.Get(k); ok && !isEmpty(v) {
			return KindWrapper
		}
	}
	if fs.present&(1<<fieldGuardrailResult) != 0 {
		return KindGuardrail
	}
	return KindAgent
}

// wrapperIsAgent reports whether a wrapper span named name is an agent by
// wrapperAgentMarkers.
func wrapperIsAgent(attrs pcommon.Map, name string) bool {
	if name == "" {
		return false
	}
	for _, m := range wrapperAgentMarkers {
		v, ok := attrs.Get(m.key)
		if !ok || v.Type() != pcommon.ValueTypeStr {
			continue
		}
		s := v.Str()
		// The member as JSON writes it: "member":"name" (or with a space
		// after the colon); a name that needs escaping never matches.
		for _, sep := range []string{`":"`, `": "`} {
			if strings.Contains(s, `"`+m.member+sep+name+`"`) {
				return true
			}
		}
	}
	return false
}

// agentTimes sets the duration and status of an agent read from a wrapper
// span.
func agentTimes(span ptrace.Span, a *Activity) {
	start, end := span.StartTimestamp(), span.EndTimestamp()
	if start != 0 && end != 0 && end >= start && end-start <= maxDurationNs {
		a.Duration, a.HasDuration = float64(end-start)/nanosPerSecond, true
	} else {
		a.Invalid |= InvalidDuration
	}
	if span.Status().Code() == ptrace.StatusCodeError {
		a.Status = StatusError
	}
}

// activityFailed: span status ERROR or an error attribute (error.type,
// Langfuse level ERROR…). It is isError without the finish reasons: they
// fail a call, not an agent or a tool.
func activityFailed(span ptrace.Span, fs *foundSet) bool {
	if span.Status().Code() == ptrace.StatusCodeError {
		return true
	}
	if fs.present&errorMask != 0 { // usually no error attribute at all
		for _, r := range errorRules {
			if fs.present&(1<<(r.field&(maxFields-1))) == 0 || !fs.has(r.field) {
				continue
			}
			if r.value == "" || equalFold(trimSpace(fs.str(r.field)), r.value) {
				return true
			}
		}
	}
	return false
}

// activityName is the name from field f's attribute, else the span name
// without its operation prefix ("execute_tool get_weather" → get_weather);
// a span name that is only an operation ("execute_tool", "ai.toolCall")
// names nothing. A name attribute of another type than string gives its
// string form (number, bool) or is refused (InvalidName).
func (fs *foundSet) activityName(f field, spanName string, invalid *Invalid) string {
	if fs.has(f) {
		if s := nameValue(fs.v[f&(maxFields-1)]); s != "" {
			return s
		}
		*invalid |= InvalidName
		return ""
	}
	for _, p := range operationSpanNames {
		if spanName == p.name {
			return ""
		}
		if p.prefix && len(spanName) > len(p.name) && spanName[:len(p.name)] == p.name && spanName[len(p.name)] == ' ' {
			return trimSpace(spanName[len(p.name)+1:])
		}
	}
	return spanName
}

// nameValue is the string form of a name attribute: a string as is, a
// number or bool formatted, "" for other types.
func nameValue(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		return v.AsString()
	}
	return ""
}

// guardrailResult maps the guardrail result attribute to its canonical
// value (guardrailResultValues); an unknown value is flagged.
func (fs *foundSet) guardrailResult(invalid *Invalid) GuardrailResult {
	const f = fieldGuardrailResult
	// Read as the attribute holds it: settling would take "none" (Bedrock's
	// action NONE) for an absent value.
	v := fs.v[f&(maxFields-1)]
	if fs.present&(1<<f) == 0 || v.Type() == pcommon.ValueTypeEmpty || (v.Type() == pcommon.ValueTypeStr && v.Str() == "") {
		return GuardrailNone
	}
	s := trimSpace(nameValue(v))
	for i := range guardrailResultValues {
		if equalFold(s, guardrailResultValues[i].value) {
			return guardrailResultValues[i].result
		}
	}
	*invalid |= InvalidGuardrailResult
	return GuardrailNone
}

// finishReason is the canonical finish reason of the first choice.
func finishReason(fs *foundSet) FinishReason {
	const f = fieldFinishReasons
	v := fs.v[f&(maxFields-1)]
	var s string
	if fs.plain(f) && v.Type() == pcommon.ValueTypeSlice {
		if sl := v.Slice(); sl.Len() != 0 {
			s = sl.At(0).Str()
		}
	} else if g, ok := fs.get(f); ok {
		switch g.Type() {
		case pcommon.ValueTypeSlice:
			if sl := g.Slice(); sl.Len() != 0 {
				s = sl.At(0).Str()
			}
		case pcommon.ValueTypeStr:
			s = firstToken(g.Str())
		}
	}
	return canonicalFinish(s)
}

// canonicalFinish maps one finish reason, in any dialect's spelling, to its
// canonical value: the common spellings by exact match, then
// finishReasonNames ASCII case-insensitively, without an enum-style prefix
// ("FinishReason.STOP").
func canonicalFinish(s string) FinishReason {
	switch s {
	case "stop":
		return FinishStop
	case "length":
		return FinishLength
	case "tool_calls":
		return FinishToolCalls
	case "":
		return FinishNone
	}
	s = trimSpace(s)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			s = s[i+1:]
			break
		}
	}
	if s == "" {
		return FinishNone
	}
	for i := range finishReasonNames {
		if equalFold(s, finishReasonNames[i].value) {
			return finishReasonNames[i].reason
		}
	}
	return FinishOther
}

// firstToken is the first finish reason of a string holding one, a
// comma-joined list or a JSON array.
func firstToken(s string) string {
	if len(s) > maxTextScan {
		s = s[:maxTextScan]
	}
	i := 0
	for i < len(s) && !isTokenByte(s[i]) {
		i++
	}
	j := i
	for j < len(s) && isTokenByte(s[j]) {
		j++
	}
	return s[i:j]
}

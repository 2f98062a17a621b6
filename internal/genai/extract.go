package genai

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// DefaultTemplateKeys are the attribute keys read, in order, for the prompt
// template identity (span attributes first, then resource attributes).
func DefaultTemplateKeys() []string {
	return []string{"llm.template", "gen_ai.prompt.name"}
}

// Options configure an Extractor.
type Options struct {
	// TemplateKeys are read in order, on the span then on the resource; the
	// first non-empty string wins. Nil means DefaultTemplateKeys.
	TemplateKeys []string
}

// Extractor turns spans into Calls. It is safe for concurrent use.
type Extractor struct {
	templateKeys []string
	keys         *keyTable
}

// NewExtractor builds an Extractor.
func NewExtractor(opts Options) *Extractor {
	if opts.TemplateKeys == nil {
		opts.TemplateKeys = DefaultTemplateKeys()
	}
	// Our own copy, without empty keys, short enough for uint8 priorities.
	var keys []string
	for _, k := range opts.TemplateKeys {
		if k != "" && len(keys) < math.MaxUint8 {
			keys = append(keys, k)
		}
	}
	bindings := append([]keyBinding(nil), staticBindings...)
	for i, k := range keys {
		bindings = append(bindings, keyBinding{key: k, slot: slot{field: fieldTemplate, prio: uint8(i)}})
	}
	return &Extractor{templateKeys: keys, keys: newKeyTable(bindings)}
}

// Extract fills call from span and resource and reports whether the span is an
// LLM call that must be counted. When it returns false, call is unspecified.
// It never panics and never allocates on the hot path.
//
// The span's attributes are read in one pass: each key is looked up in the
// key table compiled from sources.go, and each field keeps its best-priority
// attribute. Each field thus comes from the first of its sources present on
// the span; an empty value (no value, or "") counts as absent. A present value
// that is invalid (negative, NaN, unparsable…) is refused and flagged in
// call.Invalid; it does NOT fall through to the next source: a span that
// writes a broken value in its preferred attribute is reported as broken
// rather than silently read from an older, possibly stale, attribute.
func (e *Extractor) Extract(span ptrace.Span, resource pcommon.Resource, call *Call) bool {
	attrs := span.Attributes()
	var fs foundSet
	t := e.keys
	for k, v := range attrs.All() {
		// t.lookup(k), inlined by hand: this loop runs for every attribute
		// of every span.
		var ke *keyEntry
		if len(k) >= minHashedKeyLen {
			if b := &t.entries[hashKey(k, t.seed, t.shift)]; b.key == k {
				ke = b
			}
		}
		if ke == nil {
			if t.overflow == nil {
				continue
			}
			if ke = t.lookupOverflow(k); ke == nil {
				continue
			}
		}
		fs.offer(ke.slot, v)
		if ke.n != 0 {
			for _, s := range t.extra(ke) {
				fs.offer(s, v)
			}
		}
	}

	fs.resolve(attrs, e.templateKeys)

	op, ok := detect(&fs)
	if !ok {
		return false
	}
	*call = Call{
		Operation:     op,
		Provider:      normalizeProvider(fs.str(fieldProvider)),
		RequestModel:  fs.str(fieldRequestModel),
		ResponseModel: fs.str(fieldResponseModel),
		Template:      fs.str(fieldTemplate),
		TraceID:       span.TraceID(),
		SpanID:        span.SpanID(),
	}
	if call.Template == "" {
		call.Template = e.resourceTemplate(resource)
	}

	call.InputTokens, call.HasInputTokens = fs.count(fieldInputTokens, InvalidInputTokens, &call.Invalid)
	call.OutputTokens, call.HasOutputTokens = fs.count(fieldOutputTokens, InvalidOutputTokens, &call.Invalid)
	call.CachedInputTokens, call.HasCachedInput = fs.count(fieldCachedInputTokens, InvalidCachedInputTokens, &call.Invalid)
	call.ReasoningTokens, call.HasReasoning = fs.count(fieldReasoningTokens, InvalidReasoningTokens, &call.Invalid)

	if v, prio, ok := fs.get(fieldCost); ok {
		if c, ok := parseFloat(v, fieldSources[fieldCost][prio].scale); ok && c >= 0 && c <= maxCostUSD {
			call.Cost, call.HasCost = c, true
		} else {
			call.Invalid |= InvalidCost
		}
	}

	start, end := span.StartTimestamp(), span.EndTimestamp()
	if start != 0 && end != 0 && end >= start && end-start <= maxDurationNs {
		call.Duration, call.HasDuration = float64(end-start)/nanosPerSecond, true
	} else {
		call.Invalid |= InvalidDuration
	}

	streamAndTTFT(span, &fs, call)

	if isError(span, &fs) {
		call.Status = StatusError
		call.Reason = reason(span, &fs)
	}
	return true
}

// detect applies detectRules: any skip wins; else the first rule that counts
// gives the operation.
func detect(fs *foundSet) (op string, ok bool) {
	for i := range detectRules {
		s := fs.str(detectFields[i])
		if s == "" {
			continue
		}
		r := &detectRules[i]
		counted := false
		for _, c := range r.count {
			if s == c.value || equalFold(s, c.value) {
				if !ok {
					op, ok = c.op, true
				}
				counted = true
				break
			}
		}
		if counted {
			continue
		}
		for _, v := range r.skip {
			if equalFold(s, v) {
				return "", false
			}
		}
	}
	return op, ok
}

// normalizeProvider maps a provider value to its canonical lower-case
// semconv ≥1.37 name without allocating for known values. An unknown value is
// returned as is when it has no upper-case ASCII letter, else lower-cased (the
// only allocation Extract can make on a well-formed span).
func normalizeProvider(s string) string {
	if s == "" {
		return ""
	}
	for i := range providerNames {
		if equalFold(s, providerNames[i].value) {
			return providerNames[i].canonical
		}
	}
	return asciiLower(s)
}

// resourceTemplate returns the first non-empty template key on the resource.
func (e *Extractor) resourceTemplate(resource pcommon.Resource) string {
	attrs := resource.Attributes()
	if attrs.Len() == 0 {
		return ""
	}
	for _, k := range e.templateKeys {
		if v, ok := attrs.Get(k); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
			return v.Str()
		}
	}
	return ""
}

// streamAndTTFT sets Streamed, TTFT and HasTTFT.
//
// Streamed: the stream flag › presence of a TTFT attribute › presence of a
// chunk event. A flag that is neither a Bool nor "true"/"false" is ignored.
// TTFT: the TTFT attribute › the first chunk event minus the span start; only
// for streamed calls, and 0 ≤ TTFT ≤ duration.
func streamAndTTFT(span ptrace.Span, fs *foundSet, call *Call) {
	streamed, known := false, false
	if v, _, ok := fs.get(fieldStream); ok {
		streamed, known = parseBool(v)
	}
	if known && !streamed {
		return // a non-streamed call has no TTFT, whatever else the span says
	}
	if v, prio, ok := fs.get(fieldTTFT); ok {
		call.Streamed = true
		t, ok := parseFloat(v, fieldSources[fieldTTFT][prio].scale)
		setTTFT(call, t, ok)
		return
	}
	ev, ok := firstEvent(span.Events(), chunkEvents)
	if !ok {
		call.Streamed = streamed
		return
	}
	call.Streamed = true
	start, ts := span.StartTimestamp(), ev.Timestamp()
	if start == 0 || ts < start || ts-start > maxDurationNs {
		setTTFT(call, 0, false)
		return
	}
	setTTFT(call, float64(ts-start)/nanosPerSecond, true)
}

func setTTFT(call *Call, t float64, ok bool) {
	if !ok || !(t >= 0 && t <= maxSeconds) || (call.HasDuration && t > call.Duration) {
		call.Invalid |= InvalidTTFT
		return
	}
	call.TTFT, call.HasTTFT = t, true
}

// firstEvent returns the first span event whose name is in names.
func firstEvent(events ptrace.SpanEventSlice, names []string) (ptrace.SpanEvent, bool) {
	for i, n := 0, events.Len(); i < n; i++ {
		ev := events.At(i)
		name := ev.Name()
		for _, want := range names {
			if name == want {
				return ev, true
			}
		}
	}
	return ptrace.SpanEvent{}, false
}

// isError reports whether the call failed: span status ERROR, an attribute
// that marks an error (error.type) present, or a safety finish reason.
func isError(span ptrace.Span, fs *foundSet) bool {
	if span.Status().Code() == ptrace.StatusCodeError {
		return true
	}
	for _, f := range errorFields {
		if fs.has(f) {
			return true
		}
	}
	r, _ := classifyFinish(fs)
	return r != ReasonNone
}

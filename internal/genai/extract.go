// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"math"
	"math/bits"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// DefaultTemplateKeys are the attribute keys read, in order, for the prompt
// template identity (span attributes first, then resource attributes):
// llm.template, gen_ai.prompt.name (semconv), traceloop.prompt.key
// (OpenLLMetry), langfuse.observation.prompt.name (Langfuse),
// ai.telemetry.functionId (Vercel AI SDK). It returns a new slice.
func DefaultTemplateKeys() []string {
	return append([]string(nil), defaultTemplateKeys...)
}

// Options configure an Extractor.
type Options struct {
	// TemplateKeys are read in order, on the span then on the resource; the
	// first non-empty string wins. Nil means DefaultTemplateKeys.
	TemplateKeys []string
	// Dimensions are read into Call.Dimensions, in order (at most
	// MaxDimensions; more are ignored).
	Dimensions []Dimension
}

// Extractor turns spans into Calls. It is safe for concurrent use.
type Extractor struct {
	templateKeys []string
	templateLens uint64 // bit n%64 set: a template key has length n
	templateMids uint64 // bit c%64 set: a template key has middle byte c
	keys         *keyTable
	dim          dimensionSetup
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
	var lens, mids uint64
	for _, k := range keys {
		lens |= 1 << (len(k) & 63)
		mids |= 1 << (k[len(k)>>1] & 63)
	}
	dim, dimBindings := newDimensionSetup(opts.Dimensions)
	return &Extractor{templateKeys: keys, templateLens: lens, templateMids: mids, keys: keyTableFor(keys, dimBindings), dim: dim}
}

// defaultKeys caches the key table of the default template keys: building
// one searches hash seeds for a perfect table (about a millisecond), and a
// table is immutable, so Extractors share it. compileTables resets it.
var defaultKeys struct {
	sync.Mutex
	table *keyTable
}

// keyTableFor returns the key table of the static bindings, the template
// keys and the dimension bindings.
func keyTableFor(templateKeys []string, dimBindings []keyBinding) *keyTable {
	build := func() *keyTable {
		bindings := append([]keyBinding(nil), staticBindings...)
		for i, k := range templateKeys {
			bindings = append(bindings, keyBinding{key: k, slot: slot{field: fieldTemplate, prio: uint8(i)}})
		}
		return newKeyTable(append(bindings, dimBindings...))
	}
	if !slices.Equal(templateKeys, defaultTemplateKeys) || len(dimBindings) != 0 {
		return build()
	}
	defaultKeys.Lock()
	defer defaultKeys.Unlock()
	if defaultKeys.table == nil {
		defaultKeys.table = build()
	}
	return defaultKeys.table
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
	var cache ResourceCache
	return e.ExtractCached(span, resource, &cache, call)
}

// ExtractCached is Extract with a cache of what the dimensions read from
// the resource, for the spans of one batch: the spans of a resource read it
// once.
func (e *Extractor) ExtractCached(span ptrace.Span, resource pcommon.Resource, cache *ResourceCache, call *Call) bool {
	return e.Classify(span, resource, cache, call, nil) == KindCall
}

// Classify is ExtractCached that also tells the spans that are no LLM call
// apart. It returns KindCall with call filled as ExtractCached fills it;
// KindAgent, KindTool or KindGuardrail with act filled; KindWrapper (act's
// ids filled) for another span of a GenAI instrumentation; KindNone for
// any other span. With act nil, the spans that are no call are not read
// (KindWrapper stands for all of them).
func (e *Extractor) Classify(span ptrace.Span, resource pcommon.Resource, cache *ResourceCache, call *Call, act *Activity) Kind {
	attrs := span.Attributes()
	var fs foundSet
	fs.scan(attrs, e.keys, e)

	counted, other := detect(&fs)
	if counted == nil {
		if other == nil {
			return KindNone
		}
		if act == nil {
			return KindWrapper
		}
		kind := other.kind
		switch kind {
		case KindAgent:
			kind = agentKind(&fs, attrs, other.tentative)
		case KindWrapper:
			if wrapperIsAgent(attrs, span.Name()) {
				activity(span, &fs, KindWrapper, false, act)
				act.Kind, act.Name = KindAgent, span.Name()
				agentTimes(span, act)
				return KindAgent
			}
		}
		activity(span, &fs, kind, other.tentative, act)
		return kind
	}
	op, opStreamed := counted.op, counted.streamed
	// Zeroed, then written field by field: a composite literal would be
	// built in a temporary and copied.
	*call = Call{}
	call.Operation = op

	// The common cases of fs.str and fs.count, inlined: a value that needs
	// no settling (v.Str() is "" and v.Int() 0 for other types and absent
	// fields).
	provider := fs.v[fieldProvider].Str()
	if !fs.isSettledStr(fieldProvider, provider) {
		provider = fs.str(fieldProvider)
	}
	call.Provider = normalizeProvider(provider)
	if call.RequestModel = fs.v[fieldRequestModel].Str(); !fs.isSettledStr(fieldRequestModel, call.RequestModel) {
		call.RequestModel = fs.model(fieldRequestModel, &call.Invalid)
	}
	if call.ResponseModel = fs.v[fieldResponseModel].Str(); !fs.isSettledStr(fieldResponseModel, call.ResponseModel) {
		call.ResponseModel = fs.model(fieldResponseModel, &call.Invalid)
	}
	if call.Template = fs.v[fieldTemplate].Str(); !fs.isSettledStr(fieldTemplate, call.Template) {
		if call.Template = fs.str(fieldTemplate); call.Template == "" {
			call.Template = e.resourceTemplate(resource)
		}
	}
	if len(e.dim.dims) != 0 {
		e.dimensions(&fs, resource, cache, call)
	}
	call.TraceID, call.SpanID, call.ParentSpanID = span.TraceID(), span.SpanID(), span.ParentSpanID()

	if n := fs.v[fieldInputTokens].Int(); fs.isSettledCount(fieldInputTokens, n) {
		call.InputTokens, call.HasInputTokens = n, true
	} else {
		call.InputTokens, call.HasInputTokens = fs.count(fieldInputTokens, InvalidInputTokens, &call.Invalid)
	}
	if n := fs.v[fieldOutputTokens].Int(); fs.isSettledCount(fieldOutputTokens, n) {
		call.OutputTokens, call.HasOutputTokens = n, true
	} else {
		call.OutputTokens, call.HasOutputTokens = fs.count(fieldOutputTokens, InvalidOutputTokens, &call.Invalid)
	}
	if fs.present&(1<<fieldCachedInputTokens|1<<fieldCacheCreationInputTokens|1<<fieldReasoningTokens|1<<fieldCost) != 0 { // usually all absent
		if fs.present&(1<<fieldCachedInputTokens) != 0 {
			call.CachedInputTokens, call.HasCachedInput = fs.count(fieldCachedInputTokens, InvalidCachedInputTokens, &call.Invalid)
		}
		if fs.present&(1<<fieldCacheCreationInputTokens) != 0 {
			call.CacheCreationInputTokens, call.HasCacheCreation = fs.count(fieldCacheCreationInputTokens, InvalidCacheCreationInputTokens, &call.Invalid)
		}
		if fs.present&(1<<fieldReasoningTokens) != 0 {
			call.ReasoningTokens, call.HasReasoning = fs.count(fieldReasoningTokens, InvalidReasoningTokens, &call.Invalid)
		}
		if fs.has(fieldCost) {
			if c, ok := fs.number(fieldCost); ok && c >= 0 && c <= maxCostUSD {
				call.Cost, call.HasCost = c, true
				if v, ok := span.Attributes().Get(KeyCostEstimated); ok && v.Type() == pcommon.ValueTypeBool && v.Bool() {
					call.CostEstimated = true
				}
			} else {
				call.Invalid |= InvalidCost
			}
		}
	}

	start, end := span.StartTimestamp(), span.EndTimestamp()
	call.Time = int64(end)
	if end == 0 {
		call.Time = int64(start)
	}
	if start != 0 && end != 0 && end >= start && end-start <= maxDurationNs {
		call.Duration, call.HasDuration = float64(end-start)/nanosPerSecond, true
	} else {
		call.Invalid |= InvalidDuration
	}

	// Without a stream flag, a TTFT attribute, a streaming operation or any
	// event, the call is not streamed (call.Streamed is already false).
	if opStreamed || fs.present&(1<<fieldStream|1<<fieldTTFT) != 0 || span.Events().Len() != 0 {
		streamAndTTFT(span, &fs, opStreamed, call)
	}

	if isError(span, &fs) {
		call.Status = StatusError
		call.Reason = reason(span, &fs)
	}
	if fs.present&(1<<fieldFinishReasons|1<<fieldToolsOffered) != 0 {
		if fs.present&(1<<fieldFinishReasons) != 0 {
			call.FinishReason = finishReason(&fs)
		}
		call.ToolsOffered = fs.present&(1<<fieldToolsOffered) != 0 && fs.has(fieldToolsOffered)
	}
	return KindCall
}

// detect applies detectRules: any skip wins; else the first rule that counts
// gives the count value (the operation, and whether that operation is a
// streamed call). When the span is not counted it returns nil and, for a
// span a detection attribute marks as GenAI telemetry, what it is (the
// first skipping rule's kind; wrapperKind for any other value), else nil.
func detect(fs *foundSet) (*countValue, *spanKind) {
	var counted *countValue
	var other *spanKind
	// Detection fields follow the static fields in rule order: visiting the
	// present ones in bit order visits their rules in table order.
	for set := fs.present & detectMask; set != 0; set &= set - 1 {
		f := bits.TrailingZeros64(set) & (maxFields - 1)
		i := f - int(numStaticFields)
		// A detection field has one plain source: settling would drop an
		// empty value and keep any other as is, so it is read unsettled.
		s := fs.v[f].Str() // "" for other types
		if s == "" || (absentQuick.mayHave(s) && isAbsentString(s)) {
			continue
		}
		r := &detectRules[i]
		var c *countValue
		if len(r.count) != 0 && s == r.count[0].value {
			c = &r.count[0] // the first count value, spelled as in the table: the common case
		} else {
			c = r.countValueOf(s)
		}
		if c == nil && (r.skipOthers || r.skips(s)) {
			return nil, r.kindOf(s)
		}
		if counted == nil {
			counted = c
		}
		if c == nil && other == nil {
			other = &wrapperKind
		}
	}
	if counted != nil {
		return counted, nil
	}
	return nil, other
}

// wrapperKind is the kind of a GenAI span that is no call, agent, tool or
// guardrail.
var wrapperKind = spanKind{kind: KindWrapper}

// kindOf returns the kind value of r that s matches, else wrapperKind.
func (r *detectRule) kindOf(s string) *spanKind {
	for j := range r.kinds {
		if equalFold(s, r.kinds[j].value) {
			return &r.kinds[j]
		}
	}
	return &wrapperKind
}

// skips reports whether s is in r.skip.
func (r *detectRule) skips(s string) bool {
	for _, v := range r.skip {
		if equalFold(s, v) {
			return true
		}
	}
	return false
}

// countValueOf returns the first count value of r that s matches, or nil.
func (r *detectRule) countValueOf(s string) *countValue {
	for j := range r.count {
		if c := &r.count[j]; s == c.value || equalFold(s, c.value) || (c.suffix && hasSuffixFold(s, c.value)) {
			return c
		}
	}
	return nil
}

// normalizeProvider maps a provider value to its canonical lower-case
// semconv ≥1.37 name without allocating for known values: a value of
// providerNames, or one once a Vercel API suffix is cut ("openai.chat" →
// openai, "google.vertex.chat" → gcp.vertex_ai). Any other value is returned
// (without such a suffix) as is when it has no upper-case ASCII letter, else
// lower-cased (the only allocation Extract can make on a well-formed span).
func normalizeProvider(s string) string {
	// knownProvider's fast path, the common case: providerTable.find,
	// inlined.
	if t := &providerTable; len(s) >= minHashedKeyLen {
		if e := &t.entries[nameHash(s, t.seed, 32-nameTableBits)]; e.name == s {
			return e.value
		}
	} else if s == "" {
		return ""
	}
	return normalizeProviderSlow(s)
}

func normalizeProviderSlow(s string) string {
	if c, ok := knownProvider(s); ok {
		return c
	}
	for _, suf := range providerAPISuffixes {
		if len(s) > len(suf) && hasSuffixFold(s, suf) {
			s = s[:len(s)-len(suf)]
			if c, ok := knownProvider(s); ok {
				return c
			}
			break
		}
	}
	return asciiLower(s)
}

// providerTable finds the providerNames values (lower case) by exact match,
// built by compileTables.
var providerTable nameTable

// knownProvider returns the canonical name of a providerNames value (ASCII
// case-insensitive).
func knownProvider(s string) (string, bool) {
	if c, ok := providerTable.find(s); ok {
		return c, true
	}
	for i := range providerNames {
		if equalFold(s, providerNames[i].value) {
			return providerNames[i].canonical, true
		}
	}
	return "", false
}

// resourceTemplate returns the value of the first template key (in key
// order) that the resource has as a non-empty string. One pass over the
// resource attributes: a key whose length or middle byte no template key has
// is skipped with two compares.
func (e *Extractor) resourceTemplate(resource pcommon.Resource) string {
	best, bestPrio := "", len(e.templateKeys)
	for k, v := range resource.Attributes().All() {
		if k == "" || e.templateLens>>(len(k)&63)&1 == 0 || e.templateMids>>(k[len(k)>>1]&63)&1 == 0 {
			continue
		}
		for p := 0; p < bestPrio; p++ {
			if k == e.templateKeys[p] {
				if v.Type() == pcommon.ValueTypeStr && !isEmpty(v) {
					best, bestPrio = v.Str(), p
				}
				break
			}
		}
	}
	return best
}

// streamAndTTFT sets Streamed, TTFT and HasTTFT.
//
// Streamed: the stream flag › a streaming operation (opStreamed) › presence
// of a TTFT attribute (streamedOnly sources excepted) › presence of a chunk
// event. A flag that is neither a Bool nor "true"/"false" is ignored.
// TTFT: the TTFT attribute (a streamedOnly one only when the flag or the
// operation says streamed; a kindTime one minus the span start) › the first
// chunk event minus the span start; only for streamed calls, and
// 0 ≤ TTFT ≤ duration.
func streamAndTTFT(span ptrace.Span, fs *foundSet, opStreamed bool, call *Call) {
	var streamed, known bool
	if fs.present&(1<<fieldStream) != 0 {
		if fs.plain(fieldStream) && fs.v[fieldStream].Bool() { // flag's common case, inlined
			streamed, known = true, true
		} else {
			streamed, known = fs.flag(fieldStream)
		}
	}
	if !known && opStreamed {
		streamed, known = true, true
	}
	if known && !streamed {
		return // a non-streamed call has no TTFT, whatever else the span says
	}
	if fs.present&(1<<fieldTTFT) != 0 && fs.plain(fieldTTFT) {
		// The common case, a Double from a plain value source: settling
		// would keep it as is, and fs.number would read it the same way.
		if d := fs.v[fieldTTFT].Double(); d != 0 { // 0 for other types
			if src := fs.source(fieldTTFT); src.kind == kindValue && (known || !src.streamedOnly) {
				call.Streamed = true
				t, ok := scaled(d, src.scale)
				setTTFT(call, t, ok)
				return
			}
		}
	}
	for fs.present&(1<<fieldTTFT) != 0 && fs.has(fieldTTFT) {
		src := fs.source(fieldTTFT)
		if src.streamedOnly && !known {
			// Not trusted on a call not known to be streamed: the next source.
			if fs.next(fieldTTFT) {
				fs.settle(fieldTTFT)
			}
			continue
		}
		call.Streamed = true
		var t float64
		var ok bool
		if src.kind == kindTime {
			t, ok = timeOffset(fs.v[fieldTTFT], span.StartTimestamp())
		} else {
			t, ok = fs.number(fieldTTFT)
		}
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

// timeOffset reads a timestamp attribute (see parseTimestamp) as seconds
// after start; ok is false for an unreadable value or a span without start.
// A negative offset is returned as is (and refused by setTTFT).
func timeOffset(v pcommon.Value, start pcommon.Timestamp) (float64, bool) {
	if v.Type() != pcommon.ValueTypeStr || start == 0 || uint64(start) > math.MaxInt64 {
		return 0, false
	}
	ts, ok := parseTimestamp(v.Str())
	if !ok {
		return 0, false
	}
	return float64(ts-int64(start)) / nanosPerSecond, true
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
// that marks an error (error.type, Langfuse level ERROR) present, or a finish
// reason of finishReasonErrors.
func isError(span ptrace.Span, fs *foundSet) bool {
	if activityFailed(span, fs) {
		return true
	}
	const f = fieldFinishReasons
	if fs.present&(1<<f) == 0 {
		return false
	}
	// classifyFinish's common case, inlined: an array from a plain source
	// (see finishSliceReason).
	if v := fs.v[f]; fs.plain(f) && v.Type() == pcommon.ValueTypeSlice {
		sl := v.Slice()
		for i, n := 0, sl.Len(); i < n; i++ {
			if e := sl.At(i).Str(); e != "" && finishLastOrSpace>>(e[len(e)-1]&63)&1 != 0 &&
				finishReasonError(trimSpace(e)) != ReasonNone {
				return true
			}
		}
		return false
	}
	r, _ := classifyFinish(fs)
	return r != ReasonNone
}

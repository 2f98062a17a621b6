// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"math"
	"math/bits"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// field identifies what a span attribute feeds. The static fields come
// first; detection rules and attribute reason sources get one field each,
// numbered at init after numStaticFields.
type field uint8

const (
	fieldProvider field = iota
	fieldRequestModel
	fieldResponseModel
	fieldInputTokens
	fieldOutputTokens
	fieldCachedInputTokens
	fieldCacheCreationInputTokens
	fieldReasoningTokens
	fieldStream
	fieldTTFT
	fieldCost
	fieldFinishReasons
	fieldTemplate
	fieldAgentName
	fieldToolName
	fieldGuardrailName
	fieldGuardrailResult
	fieldToolsOffered
	numStaticFields

	maxFields = 64 // a power of two: field&(maxFields-1) is a free bounds check
)

// Compiled tables, built once by compileTables.
var (
	staticBindings []keyBinding
	detectFields   []field           // field of detectRules[i]
	detectMask     uint64            // the bits of detectFields
	reasonFields   []field           // field of reasonSources[i] (fromAttribute only)
	errorRules     []errorRule       // the reason sources that mark an error
	errorMask      uint64            // the bits of errorRules' fields
	specialPrios   [maxFields]uint64 // bit p of specialPrios[f]: source p of f is not a plain value
	jsonPrios      [maxFields]uint64 // bit p of jsonPrios[f]: source p of f is a kindJSON source
	textSlots      [maxFields]int8   // index in foundSet.texts of a field with kindJSON sources, else -1
	absentQuick    quickSet          // prefilter of absentValues
	finishQuick    quickSet          // prefilter of finishReasonErrors
	// finishLastOrSpace has bit c%64 set for the last bytes of the
	// finishReasonErrors values (finishQuick.lasts) and for the spaces
	// trimSpace cuts: a reason whose last byte's bit is clear names no error.
	finishLastOrSpace uint64
	// The nameReasons rules by the hash (see nameEnd) of the last nameEndLen
	// bytes of their suffix, in table order: only these can match a name
	// ending with the same bytes (ASCII case-insensitively: the suffixes are
	// lower case). nameEndLen is the length of the shortest suffix, at most 8.
	nameRules  [nameBuckets][]uint16
	nameEndLen int
	textNeeds  []byteSet // the bytes of each textReasons pattern
	// dimFieldBase is the field of dimension 0: dimension i (an attribute
	// dimension of Options.Dimensions) is field dimFieldBase+i.
	dimFieldBase field
)

// errorRule marks a call failed when field f is present (and, with value,
// equal to it).
type errorRule struct {
	field field
	value string
}

// maxTextFields bounds the fields that have kindJSON sources.
const maxTextFields = 8

func init() { compileTables() }

// compileTables lowers the patterns of the source tables (matching is ASCII
// case-insensitive against lower-case patterns) and binds every attribute key
// to its field and priority. A malformed table is a programming error caught
// by any test run.
func compileTables() {
	defaultKeys.Lock()
	defaultKeys.table = nil // built from the tables compiled here
	defaultKeys.Unlock()
	staticBindings = nil
	specialPrios = [maxFields]uint64{}
	jsonPrios = [maxFields]uint64{}
	for i := range textSlots {
		textSlots[i] = -1
	}
	texts := int8(0)
	for f, sources := range fieldSources {
		if len(sources) > math.MaxUint8 {
			panic("genai: too many sources for one field")
		}
		for prio, s := range sources {
			staticBindings = append(staticBindings, keyBinding{key: s.key, slot: slot{field: field(f), prio: uint8(prio)}})
			if s.kind == kindValue && !s.streamedOnly && !s.minusOneUnknown {
				continue
			}
			if prio >= 64 {
				panic("genai: a special source must be among the first 64 of its field")
			}
			specialPrios[f] |= 1 << prio
			if s.kind == kindJSON {
				jsonPrios[f] |= 1 << prio
			}
			if s.kind == kindJSON && textSlots[f] < 0 {
				if texts == maxTextFields {
					panic("genai: too many fields with JSON sources")
				}
				textSlots[f] = texts
				texts++
			}
			if s.kind == kindJSON && len(s.members) == 0 {
				panic("genai: a JSON source without members: " + s.key)
			}
			if s.kind == kindTime && field(f) != fieldTTFT {
				panic("genai: a time source outside the TTFT field: " + s.key)
			}
		}
	}
	next := numStaticFields
	detectFields = make([]field, len(detectRules))
	detectMask = 0
	for i := range detectRules {
		r := &detectRules[i]
		for j := range r.count {
			r.count[j].value = asciiLower(r.count[j].value)
			if r.count[j].op == "" {
				r.count[j].op = r.count[j].value
			}
		}
		for j := range r.skip {
			r.skip[j] = asciiLower(r.skip[j])
		}
		for j := range r.kinds {
			r.kinds[j].value = asciiLower(r.kinds[j].value)
		}
		detectFields[i] = next
		detectMask |= 1 << next
		staticBindings = append(staticBindings, keyBinding{key: r.key, slot: slot{field: next}})
		next++
	}
	reasonFields = make([]field, len(reasonSources))
	errorRules, errorMask = nil, 0
	for i := range reasonSources {
		rs := &reasonSources[i]
		rs.errorValue = asciiLower(rs.errorValue)
		if rs.from == fromAttribute {
			if rs.marksError {
				errorRules = append(errorRules, errorRule{field: next, value: rs.errorValue})
				errorMask |= 1 << next
			}
			reasonFields[i] = next
			staticBindings = append(staticBindings, keyBinding{key: rs.key, slot: slot{field: next}})
			next++
		}
	}
	dimFieldBase = next
	next += MaxDimensions
	if next > maxFields {
		panic("genai: too many fields")
	}
	lowerAll := func(ss []string) {
		for i := range ss {
			ss[i] = asciiLower(ss[i])
		}
	}
	names, canonical := make([]string, len(providerNames)), make([]string, len(providerNames))
	for i := range providerNames {
		providerNames[i].value = asciiLower(providerNames[i].value)
		names[i], canonical[i] = providerNames[i].value, providerNames[i].canonical
	}
	providerTable = newNameTable(names, canonical)
	lowerAll(providerAPISuffixes)
	lowerAll(absentValues)
	absentQuick = quickSet{}
	for _, a := range absentValues {
		absentQuick.add(a)
	}
	lowerAll(statusMarkers)
	for i := range guardrailResultValues {
		guardrailResultValues[i].value = asciiLower(guardrailResultValues[i].value)
	}
	for i := range finishReasonNames {
		finishReasonNames[i].value = asciiLower(finishReasonNames[i].value)
	}
	finishQuick = quickSet{}
	for i := range finishReasonErrors {
		finishReasonErrors[i].value = asciiLower(finishReasonErrors[i].value)
		finishQuick.add(finishReasonErrors[i].value)
	}
	finishLastOrSpace = finishQuick.lasts
	for c := range 256 {
		if isSpace(byte(c)) {
			finishLastOrSpace |= 1 << (c & 63)
		}
	}
	nameRules, nameEndLen = [nameBuckets][]uint16{}, 8
	for i := range nameReasons {
		suf := asciiLower(nameReasons[i].suffix)
		if suf == "" {
			panic("genai: an empty name reason suffix")
		}
		nameReasons[i].suffix = suf
		nameEndLen = min(nameEndLen, len(suf))
	}
	for i := range nameReasons {
		b := nameEnd(nameReasons[i].suffix)
		nameRules[b] = append(nameRules[b], uint16(i))
	}
	textNeeds = make([]byteSet, len(textReasons))
	for i := range textReasons {
		textReasons[i].contains = asciiLower(textReasons[i].contains)
		textNeeds[i] = byteSetOf(textReasons[i].contains)
	}
}

// foundSet keeps, for each field, the best-priority attribute seen so far:
// v[f] and prio[f] are meaningful when bit f of present is set.
//
// The pass over the attributes (scan) only offers values. A kept value is
// settled (see settle) when it is first read, not before: most are a
// non-empty value of the expected type from a plain source, which settling
// keeps as is, and the readers (str, count, flag) tell that from the type
// they read anyway, at no extra cost. Every other read goes through has,
// which settles the field first. A field read from a JSON member has bit f
// of isText set, and the member's text in v[f] (the JSON string) at
// texts[textSlots[f]].
//
// Extract zeroes a foundSet for every span: it is kept small (no strings).
type foundSet struct {
	present uint64
	pending uint64 // bit f: the value kept for f is not settled yet
	isText  uint64
	prio    [maxFields]uint8
	v       [maxFields]pcommon.Value
	texts   [maxTextFields]textSpan

	// For settle: the span's attributes and the Extractor's keys.
	attrs pcommon.Map
	ex    *Extractor
}

// textSpan locates a JSON member's text in its JSON string: jsonMember
// reads at most maxJSONScan bytes, so that a non-empty text's offset and
// length fit in 16 bits (the text follows the object's '{').
type textSpan struct{ off, n uint16 }

// The array has a negative length, a compile error, if maxJSONScan outgrows textSpan.
var _ [1<<16 - maxJSONScan]struct{}

// scan offers every attribute of attrs whose key is in t to the fields it
// feeds; the kept values are not settled yet (see foundSet).
func (fs *foundSet) scan(attrs pcommon.Map, t *keyTable, ex *Extractor) {
	fs.attrs, fs.ex = attrs, ex
	if t.overflow != nil || t.short {
		fs.scanSlow(attrs, t)
		return
	}
	for k, v := range attrs.All() {
		// t.lookup(k), inlined by hand: this loop runs for every attribute
		// of every span. Every key of t has minWordKeyLen bytes or more and
		// its own bucket: a key is hashed (hashKey) and compared by words
		// (see keyEntry); keep this in step with hashKey. The loop body
		// must stay within the compiler's inlining budget for
		// range-over-func bodies (it is then a plain loop).
		n := len(k)
		if n < minWordKeyLen || t.lenLast[n&63]>>(k[n-1]&63)&1 == 0 {
			continue
		}
		// (a, b) are hashWords(k); d is the word keyEntry keeps as d.
		b := word(k, n-8)
		var a uint64
		d := b
		if n >= 16 {
			w := k[n-16:]
			a, d = le64(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]), word(k, 8)
		} else {
			a = word(k, 0)
		}
		h := (a ^ bits.RotateLeft64(b, 31) ^ uint64(n) ^ t.seed64) * hashMultiplier
		ke := &t.entries[h>>keyTableShift]
		// A miss nearly always differs in a; a hit then compares the other
		// words (see keyEntry) and the length at once, and the middle of a
		// key longer than 32 bytes.
		if ke.a != a || (ke.b^b)|(ke.c^word(k, 0))|(ke.d^d)|uint64(len(ke.key)^n) != 0 {
			continue
		}
		if n > 32 && ke.key[16:n-16] != k[16:n-16] {
			continue
		}
		fs.offer(ke.slot, v)
		if ke.n != 0 {
			fs.offerExtra(t, ke, v)
		}
	}
	fs.pending = fs.present
}

// scanSlow is scan for a key table with keys too short to be compared by
// words, or keys that share a bucket: every key goes through lookup.
func (fs *foundSet) scanSlow(attrs pcommon.Map, t *keyTable) {
	for k, v := range attrs.All() {
		if ke := t.lookup(k); ke != nil {
			fs.offer(ke.slot, v)
			fs.offerExtra(t, ke, v)
		}
	}
	fs.pending = fs.present
}

// offer keeps v for s.field if it beats the value already kept (lower
// priority wins; on a tie, the first attribute wins).
func (fs *foundSet) offer(s slot, v pcommon.Value) {
	f := s.field & (maxFields - 1)
	if fs.present&(1<<f) == 0 || s.prio < fs.prio[f] {
		fs.present |= 1 << f
		fs.prio[f] = s.prio
		fs.v[f] = v
	}
}

// offerExtra offers v to the further slots of ke, a key that feeds several
// fields (out of scan's loop: it is rare).
func (fs *foundSet) offerExtra(t *keyTable, ke *keyEntry, v pcommon.Value) {
	for _, s := range t.extra(ke) {
		fs.offer(s, v)
	}
}

// has reports whether field f has a usable value, settling it first.
func (fs *foundSet) has(f field) bool {
	if fs.pending>>(f&(maxFields-1))&1 != 0 {
		fs.settle(f)
	}
	return fs.present>>(f&(maxFields-1))&1 != 0
}

// plain reports whether the value kept for f (present) comes from a source
// that is not kindJSON. Settling keeps such a value as is unless it counts as
// absent (see isEmpty): a reader that finds it to be a non-empty value of the
// type it wants can use it without settling f.
func (fs *foundSet) plain(f field) bool {
	f &= maxFields - 1
	return jsonPrios[f]>>(fs.prio[f]&63)&1 == 0
}

// settle makes the value kept for f usable, and clears f from pending: one that
// counts as absent (see isEmpty), or a JSON source without the member, sends
// f to its next source present on the attributes, until one is usable or
// none is left (f is then dropped).
func (fs *foundSet) settle(f field) {
	for !fs.usable(f) {
		if !fs.next(f) {
			break
		}
	}
	fs.pending &^= 1 << (f & (maxFields - 1))
}

// usable reports whether the value kept for f is a value, reading the
// member of a kindJSON source: the member's Value replaces an attribute map,
// the member's text (see jsonMember) is kept for a JSON string.
func (fs *foundSet) usable(f field) bool {
	f &= maxFields - 1
	v := fs.v[f]
	if isEmpty(v) {
		return false
	}
	if specialPrios[f]>>(fs.prio[f]&63)&1 == 0 {
		return true
	}
	src := &fieldSources[f][fs.prio[f]] // special sources are static fields
	if src.kind != kindJSON {
		return true
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		doc := v.Str()
		lo, hi, ok := jsonMemberSpan(doc, src.members)
		if text := doc[lo:hi]; !ok || text == "" || isAbsentString(text) {
			return false
		}
		fs.texts[textSlots[f]&(maxTextFields-1)] = textSpan{off: uint16(lo), n: uint16(hi - lo)}
		fs.isText |= 1 << f
		return true
	case pcommon.ValueTypeMap:
		m := v.Map()
		for _, name := range src.members {
			if mv, ok := m.Get(name); ok && !isEmpty(mv) {
				fs.v[f] = mv
				return true
			}
		}
	}
	return false
}

// next replaces the value kept for f by the next of its sources present on
// the attributes; it drops f and returns false when there is none. The new
// value is not settled.
func (fs *foundSet) next(f field) bool {
	f &= maxFields - 1
	fs.present &^= 1 << f
	fs.isText &^= 1 << f
	for p := int(fs.prio[f]) + 1; p <= math.MaxUint8; p++ {
		key, ok := sourceKey(f, p, fs.ex)
		if !ok {
			return false
		}
		if v, ok := fs.attrs.Get(key); ok {
			fs.present |= 1 << f
			fs.prio[f], fs.v[f] = uint8(p), v
			return true
		}
	}
	return false
}

// sourceKey returns the key of the source of priority p of field f.
func sourceKey(f field, p int, ex *Extractor) (string, bool) {
	switch {
	case f == fieldTemplate:
		if p < len(ex.templateKeys) {
			return ex.templateKeys[p], true
		}
	case f >= dimFieldBase && f < dimFieldBase+MaxDimensions:
		if keys := ex.dim.dimKeys[(f-dimFieldBase)&(MaxDimensions-1)]; p < len(keys) {
			return keys[p], true
		}
	case f < numStaticFields:
		if p < len(fieldSources[f]) {
			return fieldSources[f][p].key, true
		}
	}
	return "", false // detection rules and reason sources have one source
}

// source returns the source row the value of field f comes from; f must be
// a static field other than fieldTemplate, and settled (see has).
func (fs *foundSet) source(f field) *source {
	return &fieldSources[f][fs.prio[f&(maxFields-1)]]
}

// isEmpty reports whether v holds no value, an empty string, or a string in
// absentValues: all count as absent. The common types are told by one type
// assertion each.
func isEmpty(v pcommon.Value) bool {
	if s := v.Str(); s != "" {
		return absentQuick.mayHave(s) && isAbsentString(s)
	}
	if v.Int() != 0 || v.Double() != 0 || v.Bool() {
		return false
	}
	t := v.Type()
	return t == pcommon.ValueTypeStr || t == pcommon.ValueTypeEmpty
}

// isAbsentString reports whether s is one of absentValues.
func isAbsentString(s string) bool {
	if !absentQuick.mayHave(s) {
		return false
	}
	for _, a := range absentValues {
		if len(s) == len(a) && equalFold(s, a) {
			return true
		}
	}
	return false
}

// get returns the attribute value of field f. A field read from a JSON
// string member has no attribute value (see text): get is for fields without
// kindJSON sources.
func (fs *foundSet) get(f field) (pcommon.Value, bool) {
	if !fs.has(f) {
		return pcommon.Value{}, false
	}
	f &= maxFields - 1
	return fs.v[f], true
}

// text returns the JSON member text of field f, if it was read from one; f
// must be settled.
func (fs *foundSet) text(f field) (string, bool) {
	f &= maxFields - 1
	if fs.isText&(1<<f) == 0 {
		return "", false
	}
	t := fs.texts[textSlots[f]&(maxTextFields-1)]
	return fs.v[f].Str()[t.off : int(t.off)+int(t.n)], true
}

// str returns the value of field f when it is a string, else "". Its common
// case (see isSettledStr) needs no settling.
func (fs *foundSet) str(f field) string {
	if s := fs.v[f&(maxFields-1)].Str(); fs.isSettledStr(f, s) {
		return s
	}
	if !fs.has(f) {
		return ""
	}
	if s, ok := fs.text(f); ok {
		return s
	}
	return fs.v[f&(maxFields-1)].Str() // "" for other types
}

// model is str for a model field: a present value that is not a string (a
// number, a map…) names no model and is flagged InvalidModel.
func (fs *foundSet) model(f field, invalid *Invalid) string {
	s := fs.str(f)
	if s == "" && fs.has(f) {
		if _, ok := fs.text(f); !ok {
			if t := fs.v[f&(maxFields-1)].Type(); t != pcommon.ValueTypeStr && t != pcommon.ValueTypeEmpty {
				*invalid |= InvalidModel
			}
		}
	}
	return s
}

// isSettledStr reports whether s, the v.Str() of field f, is the value str
// returns, without settling f: a non-empty string from a plain source that
// absentQuick rules out, which settling keeps as is. Extract inlines str's
// common case with it (str itself is too large to be inlined). (The present bit needs no test: an absent field's v
// is the zero Value, whose Str() is "", and a dropped field keeps a last
// value that is empty, absent or from a kindJSON source.)
func (fs *foundSet) isSettledStr(f field, s string) bool {
	return s != "" && !absentQuick.mayHave(s) && fs.plain(f)
}

// isSettledCount reports whether n, the v.Int() of field f, is the count
// count returns, without settling f: a positive Int (v.Int() is 0 for other
// types) within bounds, from a plain source. Extract inlines count's common
// case with it. (No present test, as in isSettledStr: an empty value's
// Int() is 0.)
func (fs *foundSet) isSettledCount(f field, n int64) bool {
	return n > 0 && n <= maxTokens && fs.plain(f)
}

// count reads a token field; an invalid value sets bad in *invalid. Its
// common case (see isSettledCount) needs no settling.
func (fs *foundSet) count(f field, bad Invalid, invalid *Invalid) (int64, bool) {
	if n := fs.v[f&(maxFields-1)].Int(); fs.isSettledCount(f, n) {
		return n, true
	}
	if !fs.has(f) {
		return 0, false
	}
	var n int64
	var ok bool
	if s, isText := fs.text(f); isText {
		n, ok = parseCountString(s)
	} else {
		n, ok = parseCount(fs.v[f&(maxFields-1)])
	}
	if ok {
		return n, true
	}
	if fs.source(f).minusOneUnknown && fs.isMinusOne(f) {
		return 0, false // unknown: absent, not invalid
	}
	*invalid |= bad
	return 0, false
}

// isMinusOne reports whether field f (settled) holds the number -1.
func (fs *foundSet) isMinusOne(f field) bool {
	n, ok := fs.number(f)
	return ok && n == -1
}

// number reads a numeric field (seconds, USD) times the scale of its source;
// f must be settled (see has).
func (fs *foundSet) number(f field) (float64, bool) {
	scale := fs.source(f).scale
	if s, ok := fs.text(f); ok {
		return parseFloatString(s, scale)
	}
	return parseFloat(fs.v[f&(maxFields-1)], scale)
}

// flag reads a boolean field; known is false for an unreadable value. A true
// Bool from a plain source is read without settling.
func (fs *foundSet) flag(f field) (b, known bool) {
	f &= maxFields - 1
	if fs.present&(1<<f) == 0 {
		return false, false
	}
	if fs.plain(f) && fs.v[f].Bool() { // v.Bool() is false for other types
		return true, true
	}
	if !fs.has(f) {
		return false, false
	}
	if s, ok := fs.text(f); ok {
		return parseBoolString(s)
	}
	return parseBool(fs.v[f])
}

// quickSet rules out, with two bit tests, most strings that are not
// (ASCII case-insensitively) in a small set of non-empty strings: their
// length or their last byte is not one of the set's.
type quickSet struct{ lens, lasts uint64 }

func (q *quickSet) add(s string) {
	if s == "" {
		panic("genai: an empty string in a matched set")
	}
	c := s[len(s)-1]
	q.lens |= 1 << (len(s) & 63)
	q.lasts |= 1<<(lower(c)&63) | 1<<(upper(c)&63)
}

// mayHave reports whether s may be in the set.
func (q quickSet) mayHave(s string) bool {
	return s != "" && q.lens>>(len(s)&63)&1 != 0 && q.lasts>>(s[len(s)-1]&63)&1 != 0
}

// byteSet is a set of ASCII bytes (a byte ≥ 0x80 stands for its low 7 bits:
// a superset, which is all its users need).
type byteSet [2]uint64

func (b *byteSet) add(c byte) { b[c>>6&1] |= 1 << (c & 63) }

// byteSetOf returns the set of the bytes of s, lower-cased.
func byteSetOf(s string) byteSet {
	var b byteSet
	for i := range len(s) {
		b.add(lower(s[i]))
	}
	return b
}

// within reports whether every byte of b is in o.
func (b byteSet) within(o byteSet) bool { return b[0]&^o[0]|b[1]&^o[1] == 0 }

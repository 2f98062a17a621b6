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
	fieldReasoningTokens
	fieldStream
	fieldTTFT
	fieldCost
	fieldFinishReasons
	fieldTemplate
	numStaticFields

	maxFields = 32 // a power of two: field&(maxFields-1) is a free bounds check
)

// Compiled tables, built once by compileTables.
var (
	staticBindings []keyBinding
	detectFields   []field           // field of detectRules[i]
	detectMask     uint32            // the bits of detectFields
	reasonFields   []field           // field of reasonSources[i] (fromAttribute only)
	errorRules     []errorRule       // the reason sources that mark an error
	specialPrios   [maxFields]uint64 // bit p of specialPrios[f]: source p of f is not a plain value
	textSlots      [maxFields]int8   // index in foundSet.texts of a field with kindJSON sources, else -1
	absentQuick    quickSet          // prefilter of absentValues
	finishQuick    quickSet          // prefilter of finishReasonErrors
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
		detectFields[i] = next
		detectMask |= 1 << next
		staticBindings = append(staticBindings, keyBinding{key: r.key, slot: slot{field: next}})
		next++
	}
	reasonFields = make([]field, len(reasonSources))
	errorRules = nil
	for i := range reasonSources {
		rs := &reasonSources[i]
		rs.errorValue = asciiLower(rs.errorValue)
		if rs.from == fromAttribute {
			if rs.marksError {
				errorRules = append(errorRules, errorRule{field: next, value: rs.errorValue})
			}
			reasonFields[i] = next
			staticBindings = append(staticBindings, keyBinding{key: rs.key, slot: slot{field: next}})
			next++
		}
	}
	if next > maxFields {
		panic("genai: too many fields")
	}
	lowerAll := func(ss []string) {
		for i := range ss {
			ss[i] = asciiLower(ss[i])
		}
	}
	for i := range providerNames {
		providerNames[i].value = asciiLower(providerNames[i].value)
	}
	lowerAll(providerAPISuffixes)
	lowerAll(absentValues)
	absentQuick = quickSet{}
	for _, a := range absentValues {
		absentQuick.add(a)
	}
	lowerAll(statusMarkers)
	finishQuick = quickSet{}
	for i := range finishReasonErrors {
		finishReasonErrors[i].value = asciiLower(finishReasonErrors[i].value)
		finishQuick.add(finishReasonErrors[i].value)
	}
	for i := range nameReasons {
		nameReasons[i].suffix = asciiLower(nameReasons[i].suffix)
	}
	for i := range textReasons {
		textReasons[i].contains = asciiLower(textReasons[i].contains)
	}
}

// foundSet keeps, for each field, the best-priority attribute seen so far:
// v[f] and prio[f] are meaningful when bit f of present is set. The pass over
// the attributes only offers values; resolve then settles them (see settle),
// so that readers are plain loads. A field read from a JSON member has its
// text in texts[textSlots[f]] and bit f of isText set.
type foundSet struct {
	present uint32
	isText  uint32
	prio    [maxFields]uint8
	v       [maxFields]pcommon.Value
	texts   [maxTextFields]string
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

// resolve settles every field kept by the pass over the attributes. The
// common cases, a plain source with a non-empty string (not in absentValues)
// or a value of another type, cost a few compares.
func (fs *foundSet) resolve(attrs pcommon.Map, templateKeys []string) {
	for set := fs.present; set != 0; set &= set - 1 {
		f := bits.TrailingZeros32(set) & (maxFields - 1)
		if specialPrios[f]>>(fs.prio[f]&63)&1 == 0 {
			v := fs.v[f]
			if s := v.Str(); s != "" {
				if !absentQuick.mayHave(s) || !isAbsentString(s) { // the first test inlined
					continue
				}
			} else if t := v.Type(); t != pcommon.ValueTypeStr && t != pcommon.ValueTypeEmpty {
				continue
			}
		}
		fs.settle(field(f), attrs, templateKeys)
	}
}

// settle makes sure the value kept for f is usable: one that counts as
// absent (see isEmpty), or a JSON source without the member, sends f to its
// next source present on attrs, until one is usable or none is left (f is
// then dropped).
func (fs *foundSet) settle(f field, attrs pcommon.Map, templateKeys []string) {
	for !fs.usable(f) {
		if !fs.next(f, attrs, templateKeys) {
			return
		}
	}
}

// usable reports whether the value kept for f is a value, reading the
// member of a kindJSON source: the member's Value replaces an attribute map,
// the member's text (see jsonMember) is kept for a JSON string.
func (fs *foundSet) usable(f field) bool {
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
		text, ok := jsonMember(v.Str(), src.members)
		if !ok || text == "" || isAbsentString(text) {
			return false
		}
		fs.texts[textSlots[f]&(maxTextFields-1)] = text
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
// attrs; it drops f and returns false when there is none.
func (fs *foundSet) next(f field, attrs pcommon.Map, templateKeys []string) bool {
	fs.present &^= 1 << f
	fs.isText &^= 1 << f
	for p := int(fs.prio[f]) + 1; p <= math.MaxUint8; p++ {
		key, ok := sourceKey(f, p, templateKeys)
		if !ok {
			return false
		}
		if v, ok := attrs.Get(key); ok {
			fs.present |= 1 << f
			fs.prio[f], fs.v[f] = uint8(p), v
			return true
		}
	}
	return false
}

// sourceKey returns the key of the source of priority p of field f.
func sourceKey(f field, p int, templateKeys []string) (string, bool) {
	switch {
	case f == fieldTemplate:
		if p < len(templateKeys) {
			return templateKeys[p], true
		}
	case f < numStaticFields:
		if p < len(fieldSources[f]) {
			return fieldSources[f][p].key, true
		}
	}
	return "", false // detection rules and reason sources have one source
}

// source returns the source row the value of field f comes from; f must be
// a static field other than fieldTemplate.
func (fs *foundSet) source(f field) *source {
	return &fieldSources[f][fs.prio[f&(maxFields-1)]]
}

// isEmpty reports whether v holds no value, an empty string, or a string in
// absentValues: all count as absent.
func isEmpty(v pcommon.Value) bool {
	if s := v.Str(); s != "" { // the common case, one type assertion
		return isAbsentString(s)
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

// has reports whether field f has a (non-empty) value.
func (fs *foundSet) has(f field) bool { return fs.present&(1<<(f&(maxFields-1))) != 0 }

// get returns the attribute value of field f and the priority of its source.
// A field read from a JSON string member has no attribute value (see text):
// get is for fields without kindJSON sources.
func (fs *foundSet) get(f field) (pcommon.Value, uint8, bool) {
	f &= maxFields - 1
	return fs.v[f], fs.prio[f], fs.present&(1<<f) != 0
}

// text returns the JSON member text of field f, if it was read from one.
func (fs *foundSet) text(f field) (string, bool) {
	f &= maxFields - 1
	if fs.isText&(1<<f) == 0 {
		return "", false
	}
	return fs.texts[textSlots[f]&(maxTextFields-1)], true
}

// str returns the value of field f when it is a string, else "".
func (fs *foundSet) str(f field) string {
	f &= maxFields - 1
	if fs.isText&(1<<f) != 0 {
		return fs.texts[textSlots[f]&(maxTextFields-1)]
	}
	if fs.present&(1<<f) == 0 {
		return ""
	}
	return fs.v[f].Str() // "" for other types
}

// count reads a token field; an invalid value sets bad in *invalid.
func (fs *foundSet) count(f field, bad Invalid, invalid *Invalid) (int64, bool) {
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

// isMinusOne reports whether field f holds the number -1.
func (fs *foundSet) isMinusOne(f field) bool {
	n, ok := fs.number(f)
	return ok && n == -1
}

// number reads a numeric field (seconds, USD) times the scale of its source.
func (fs *foundSet) number(f field) (float64, bool) {
	scale := fs.source(f).scale
	if s, ok := fs.text(f); ok {
		return parseFloatString(s, scale)
	}
	return parseFloat(fs.v[f&(maxFields-1)], scale)
}

// flag reads a boolean field; known is false for an unreadable value.
func (fs *foundSet) flag(f field) (b, known bool) {
	if !fs.has(f) {
		return false, false
	}
	if s, ok := fs.text(f); ok {
		return parseBoolString(s)
	}
	return parseBool(fs.v[f&(maxFields-1)])
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
	return len(s) != 0 && q.lens>>(len(s)&63)&1 != 0 && q.lasts>>(s[len(s)-1]&63)&1 != 0
}

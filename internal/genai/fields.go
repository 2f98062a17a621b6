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
	detectFields   []field // field of detectRules[i]
	reasonFields   []field // field of reasonSources[i] (fromAttribute only)
	errorFields    []field // fields of the reason sources that mark an error
)

func init() { compileTables() }

// compileTables lowers the patterns of the source tables (matching is ASCII
// case-insensitive against lower-case patterns) and binds every attribute key
// to its field and priority. A malformed table is a programming error caught
// by any test run.
func compileTables() {
	staticBindings = nil
	for f, sources := range fieldSources {
		if len(sources) > math.MaxUint8 {
			panic("genai: too many sources for one field")
		}
		for prio, s := range sources {
			staticBindings = append(staticBindings, keyBinding{key: s.key, slot: slot{field: field(f), prio: uint8(prio)}})
		}
	}
	next := numStaticFields
	detectFields = make([]field, len(detectRules))
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
		staticBindings = append(staticBindings, keyBinding{key: r.key, slot: slot{field: next}})
		next++
	}
	reasonFields = make([]field, len(reasonSources))
	errorFields = nil
	for i := range reasonSources {
		rs := &reasonSources[i]
		if rs.from == fromAttribute {
			if rs.marksError {
				errorFields = append(errorFields, next)
			}
			reasonFields[i] = next
			staticBindings = append(staticBindings, keyBinding{key: rs.key, slot: slot{field: next}})
			next++
		}
	}
	if next > maxFields {
		panic("genai: too many fields")
	}
	for i := range providerNames {
		providerNames[i].value = asciiLower(providerNames[i].value)
	}
	for i := range safetyFinishReasons {
		safetyFinishReasons[i] = asciiLower(safetyFinishReasons[i])
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
// the attributes only offers values; resolve then drops the empty ones (no
// value, or ""), which count as absent, so that readers are plain loads.
type foundSet struct {
	present uint32
	prio    [maxFields]uint8
	v       [maxFields]pcommon.Value
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

// resolve replaces every empty value kept by the next source of its field
// present with a value on attrs, or drops the field.
func (fs *foundSet) resolve(attrs pcommon.Map, templateKeys []string) {
	for set := fs.present; set != 0; set &= set - 1 {
		f := bits.TrailingZeros32(set) & (maxFields - 1)
		if fs.v[f].Str() != "" { // the common case, one type assertion
			continue
		}
		if t := fs.v[f].Type(); t == pcommon.ValueTypeStr || t == pcommon.ValueTypeEmpty {
			fs.replace(field(f), attrs, templateKeys)
		}
	}
}

// replace looks up, in order, the sources of f after the empty one kept.
func (fs *foundSet) replace(f field, attrs pcommon.Map, templateKeys []string) {
	fs.present &^= 1 << f
	for p := int(fs.prio[f]) + 1; p <= math.MaxUint8; p++ {
		key, ok := sourceKey(f, p, templateKeys)
		if !ok {
			return
		}
		if v, ok := attrs.Get(key); ok && !isEmpty(v) {
			fs.present |= 1 << f
			fs.prio[f], fs.v[f] = uint8(p), v
			return
		}
	}
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

// isEmpty reports whether v holds no value or an empty string.
func isEmpty(v pcommon.Value) bool {
	if v.Str() != "" { // the common case, one type assertion
		return false
	}
	t := v.Type()
	return t == pcommon.ValueTypeStr || t == pcommon.ValueTypeEmpty
}

// has reports whether field f has a (non-empty) value.
func (fs *foundSet) has(f field) bool { return fs.present&(1<<(f&(maxFields-1))) != 0 }

// get returns the value of field f and the priority of its source.
func (fs *foundSet) get(f field) (pcommon.Value, uint8, bool) {
	f &= maxFields - 1
	return fs.v[f], fs.prio[f], fs.present&(1<<f) != 0
}

// str returns the value of field f when it is a string, else "".
func (fs *foundSet) str(f field) string {
	if !fs.has(f) {
		return ""
	}
	return fs.v[f&(maxFields-1)].Str() // "" for other types
}

// count reads a token field; an invalid value sets bad in *invalid.
func (fs *foundSet) count(f field, bad Invalid, invalid *Invalid) (int64, bool) {
	if !fs.has(f) {
		return 0, false
	}
	n, ok := parseCount(fs.v[f&(maxFields-1)])
	if !ok {
		*invalid |= bad
		return 0, false
	}
	return n, true
}

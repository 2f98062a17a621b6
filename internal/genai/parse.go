// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Limits beyond which a value is refused as absurd.
const (
	maxTokens      = 100_000_000      // tokens in one call
	maxSeconds     = 24 * 60 * 60     // duration or TTFT of one call
	maxCostUSD     = 1_000_000        // cost of one call
	maxNumberLen   = 64               // longest numeric string we parse
	maxTextScan    = 4096             // bytes of a free-text message searched for a reason
	maxDurationNs  = maxSeconds * 1e9 // maxSeconds in nanoseconds
	maxUnixSeconds = 9_000_000_000    // a timestamp after 2255 is refused (int64 nanoseconds end in 2262)
	nanosPerSecond = float64(1e9)
)

// ---------------------------------------------------------------------------
// Numbers. None of these allocate on valid input.

// parseCount reads a token count: Int, integral Double, or a numeric Str
// ("42", "42.0", " 42 "). ok is false for any other type, and for negative,
// NaN, infinite, non-integral, unparsable or absurd values.
func parseCount(v pcommon.Value) (n int64, ok bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		n = v.Int()
		return n, n >= 0 && n <= maxTokens
	case pcommon.ValueTypeDouble:
		return countFromFloat(v.Double())
	case pcommon.ValueTypeStr:
		return parseCountString(v.Str())
	}
	return 0, false
}

// parseCountString reads a token count written as a string.
func parseCountString(s string) (int64, bool) {
	s = trimSpace(s)
	if n, ok := parseDigits(s); ok {
		return n, n <= maxTokens
	}
	f, ok := parseDecimal(s)
	if !ok {
		return 0, false
	}
	return countFromFloat(f)
}

func countFromFloat(f float64) (int64, bool) {
	// NaN fails every comparison; ±Inf fails the range check.
	if !(f >= 0 && f <= maxTokens) || f != math.Trunc(f) {
		return 0, false
	}
	return int64(f), true
}

// parseFloat reads a number: Int, Double or a numeric Str, times scale (0
// means 1). ok is false for other types, unparsable strings, NaN and ±Inf;
// the caller checks the range.
func parseFloat(v pcommon.Value, scale float64) (f float64, ok bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		f = float64(v.Int())
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeStr:
		return parseFloatString(v.Str(), scale)
	default:
		return 0, false
	}
	return scaled(f, scale)
}

// parseFloatString reads a number written as a string, times scale.
func parseFloatString(s string, scale float64) (float64, bool) {
	f, ok := parseDecimal(trimSpace(s))
	if !ok {
		return 0, false
	}
	return scaled(f, scale)
}

func scaled(f, scale float64) (float64, bool) {
	if scale != 0 {
		f *= scale
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// parseInt reads an integral number (an HTTP status): Int, integral Double
// or a string of digits.
func parseInt(v pcommon.Value) (int64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int(), true
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if f >= math.MinInt32 && f <= math.MaxInt32 && f == math.Trunc(f) {
			return int64(f), true
		}
	case pcommon.ValueTypeStr:
		return parseDigits(trimSpace(v.Str()))
	}
	return 0, false
}

// parseDigits parses a string of 1 to 18 ASCII digits.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseDecimal parses a plain decimal number ([+-]digits[.digits][e[+-]digits]).
// It checks the syntax itself so that strconv never fails (and allocates an
// error) on the strings it is given, and refuses hex, underscores, "NaN",
// "Inf" and strings longer than maxNumberLen.
func parseDecimal(s string) (float64, bool) {
	if s == "" || len(s) > maxNumberLen {
		return 0, false
	}
	i := 0
	if s[i] == '+' || s[i] == '-' {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			exp++
		}
		if exp == 0 || exp > 3 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	// Only an out-of-range exponent (1e999) can still fail; the value is then
	// ±Inf or 0 and refused by the caller's range checks.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseBool reads a flag: Bool, or Str "true"/"false" in any ASCII case.
// known is false for anything else.
func parseBool(v pcommon.Value) (b, known bool) {
	switch v.Type() {
	case pcommon.ValueTypeBool:
		return v.Bool(), true
	case pcommon.ValueTypeStr:
		return parseBoolString(v.Str())
	}
	return false, false
}

// parseBoolString reads "true"/"false" in any ASCII case.
func parseBoolString(s string) (b, known bool) {
	s = trimSpace(s)
	if equalFold(s, "true") {
		return true, true
	}
	if equalFold(s, "false") {
		return false, true
	}
	return false, false
}

// ---------------------------------------------------------------------------
// JSON inside a string attribute. Zero allocations; never panics.

// maxJSONScan bounds the bytes of a JSON attribute searched for a member.
const maxJSONScan = 64 << 10

// jsonMember returns the value of the first of names that is a member of the
// JSON object s (top level only): a string's text without its quotes (escape
// sequences are kept as written), or a number's, true's or false's text. A
// null member, a nested object or array, or a document longer than
// maxJSONScan counts as missing. The document is read only up to the member:
// one malformed before it misses it, one malformed or cut after it (SDKs cut
// long attribute values) still gives it.
func jsonMember(s string, names []string) (string, bool) {
	lo, hi, ok := jsonMemberSpan(s, names)
	return s[lo:hi], ok
}

// jsonMemberSpan is jsonMember, returning the member's text as s[lo:hi].
func jsonMemberSpan(s string, names []string) (lo, hi int, ok bool) {
	if len(s) > maxJSONScan {
		return 0, 0, false
	}
	for _, name := range names {
		if lo, hi, ok := jsonObjectMember(s, name); ok {
			return lo, hi, true
		}
	}
	return 0, 0, false
}

// jsonObjectMember returns the text of member name of the JSON object s as
// s[lo:hi] (see jsonMember).
func jsonObjectMember(s, name string) (lo, hi int, ok bool) {
	i := skipJSONSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return 0, 0, false
	}
	i++
	for {
		i = skipJSONSpace(s, i)
		if i >= len(s) || s[i] != '"' {
			return 0, 0, false // "}" of an object without the member, or malformed
		}
		key, end, keyOK := jsonString(s, i)
		if !keyOK {
			return 0, 0, false
		}
		i = skipJSONSpace(s, end)
		if i >= len(s) || s[i] != ':' {
			return 0, 0, false
		}
		i = skipJSONSpace(s, i+1)
		if i >= len(s) {
			return 0, 0, false
		}
		start := i
		var val string
		isStr := false
		switch c := s[i]; c {
		case '"':
			val, i, ok = jsonString(s, i)
			isStr, start = true, start+1 // the text after the quote
		case '{', '[':
			i, ok = skipJSONNested(s, i)
		default:
			for i < len(s) && s[i] != ',' && s[i] != '}' && !isSpace(s[i]) {
				i++
			}
			val, ok = s[start:i], i > start
		}
		if !ok {
			return 0, 0, false
		}
		if key == name {
			if !isStr && (val == "" || val == "null") {
				return 0, 0, false // null, or a nested value
			}
			return start, start + len(val), true
		}
		i = skipJSONSpace(s, i)
		if i >= len(s) || s[i] != ',' {
			return 0, 0, false
		}
		i++
	}
}

// jsonString reads the string starting at s[i] == '"': its raw text and the
// index after the closing quote.
func jsonString(s string, i int) (text string, end int, ok bool) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return s[i+1 : j], j + 1, true
		}
	}
	return "", 0, false
}

// skipJSONNested skips the object or array starting at s[i].
func skipJSONNested(s string, i int) (int, bool) {
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case '"':
			_, end, ok := jsonString(s, i)
			if !ok {
				return 0, false
			}
			i = end
			continue
		}
		i++
	}
	return 0, false
}

func skipJSONSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// ---------------------------------------------------------------------------
// Timestamps.

// parseTimestamp reads an RFC 3339 / ISO 8601 date-time (Python's
// isoformat, JavaScript's toISOString, Go's RFC3339Nano), possibly as a JSON
// string with its quotes: YYYY-MM-DD, "T" or " ", hh:mm:ss, an optional
// fraction, and "Z", ±hh:mm, ±hhmm or no zone (UTC). It returns Unix
// nanoseconds.
func parseTimestamp(s string) (int64, bool) {
	s = trimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if len(s) < len("2006-01-02T15:04:05") || len(s) > maxNumberLen {
		return 0, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for j := i; j < i+n; j++ {
			if !isDigit(s[j]) {
				return 0, false
			}
			v = v*10 + int(s[j]-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if (!ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6) || s[4] != '-' || s[7] != '-' ||
		(s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	// 1969: a date of 1969-12-31 with a negative offset can be after the
	// epoch; the range check below refuses what is before it.
	if year < 1969 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	i := 19
	var nanos int64
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		i++
		digits := 0
		for ; i < len(s) && isDigit(s[i]); i++ {
			if digits < 9 {
				nanos = nanos*10 + int64(s[i]-'0')
				digits++
			}
		}
		if digits == 0 {
			return 0, false
		}
		for ; digits < 9; digits++ {
			nanos *= 10
		}
	}
	var offset int64 // seconds east of UTC
	switch {
	case i == len(s):
	case (s[i] == 'Z' || s[i] == 'z') && i+1 == len(s):
	case s[i] == '+' || s[i] == '-':
		var zh, zm int
		var ok bool
		switch len(s) - i - 1 {
		case 5: // hh:mm
			zh, ok1 = num(i+1, 2)
			zm, ok2 = num(i+4, 2)
			ok = ok1 && ok2 && s[i+3] == ':'
		case 4: // hhmm
			zh, ok1 = num(i+1, 2)
			zm, ok2 = num(i+3, 2)
			ok = ok1 && ok2
		case 2: // hh
			zh, ok = num(i+1, 2)
		}
		if !ok || zh > 23 || zm > 59 {
			return 0, false
		}
		offset = int64(zh*3600 + zm*60)
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	days := daysFromCivil(year, month, day)
	secs := days*86400 + int64(hour*3600+minute*60+sec) - offset
	if secs < 0 || secs > maxUnixSeconds {
		return 0, false
	}
	return secs*1e9 + nanos, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y ≥ 1968 here: no negative division
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

// ---------------------------------------------------------------------------
// ASCII helpers. Patterns (the second argument) must be lower case: the
// source tables are lowered at init (see compileTables).

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func trimSpace(s string) string {
	for s != "" && isSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// equalFold reports whether s equals the lower-case pattern p, ignoring ASCII
// case. Strings of 8 bytes or more are compared 8 bytes at a time (see
// lower8), the last word overlapping the one before it.
func equalFold(s, p string) bool {
	n := len(s)
	if n != len(p) {
		return false
	}
	if n < 8 {
		for i := range n {
			if c := s[i]; c != p[i] && lower(c) != p[i] {
				return false
			}
		}
		return true
	}
	for i := 0; i < n-8; i += 8 {
		if lower8(word(s, i)) != word(p, i) {
			return false
		}
	}
	return lower8(word(s, n-8)) == word(p, n-8)
}

// lower8 lower-cases the ASCII letters among the 8 bytes of x (lower, byte
// by byte): a byte of 'A'..'Z' gains 0x20, every other byte (0x80 and up
// included) is kept.
func lower8(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	t := x &^ highs                // each byte < 0x80: the sums below carry into no other byte
	ge := t + (0x80-'A')*ones      // high bit set: t >= 'A'
	gt := t + (0x80-'Z'-1)*ones    // high bit set: t > 'Z'
	upper := ge &^ gt &^ x & highs // high bit set: an ASCII upper-case letter
	return x | upper>>2            // 0x80 >> 2 is 0x20
}

// hasSuffixFold reports whether s ends with the lower-case pattern p, ignoring ASCII case.
func hasSuffixFold(s, p string) bool {
	return len(s) >= len(p) && equalFold(s[len(s)-len(p):], p)
}

// hasPrefixFold reports whether s starts with the lower-case pattern p, ignoring ASCII case.
func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && equalFold(s[:len(p)], p)
}

// containsFold reports whether s contains the lower-case pattern p, ignoring
// ASCII case. The positions where p may start, its first byte in either case,
// are found with strings.IndexByte (vectorized: error messages can be long).
func containsFold(s, p string) bool {
	if p == "" {
		return true
	}
	first, up := p[0], upper(p[0])
	for len(s) >= len(p) {
		w := s[:len(s)-len(p)+1] // where p can start
		i := strings.IndexByte(w, first)
		if up != first {
			if i >= 0 {
				w = w[:i] // an earlier upper-case start only
			}
			if j := strings.IndexByte(w, up); j >= 0 {
				i = j
			}
		}
		if i < 0 {
			return false
		}
		if equalFold(s[i:i+len(p)], p) {
			return true
		}
		s = s[i+1:]
	}
	return false
}

// asciiLower lower-cases ASCII letters; it allocates only when s has an
// upper-case ASCII letter.
func asciiLower(s string) string {
	for i := range len(s) {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}

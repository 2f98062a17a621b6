package genai

import (
	"math"
	"strconv"

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
		s := trimSpace(v.Str())
		if n, ok := parseDigits(s); ok {
			return n, n <= maxTokens
		}
		f, ok := parseDecimal(s)
		if !ok {
			return 0, false
		}
		return countFromFloat(f)
	}
	return 0, false
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
		if f, ok = parseDecimal(trimSpace(v.Str())); !ok {
			return 0, false
		}
	default:
		return 0, false
	}
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
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
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
	if len(s) == 0 || len(s) > maxNumberLen {
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
		s := trimSpace(v.Str())
		if equalFold(s, "true") {
			return true, true
		}
		if equalFold(s, "false") {
			return false, true
		}
	}
	return false, false
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

func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// equalFold reports whether s equals the lower-case pattern p, ignoring ASCII case.
func equalFold(s, p string) bool {
	if len(s) != len(p) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != p[i] && lower(c) != p[i] {
			return false
		}
	}
	return true
}

// hasSuffixFold reports whether s ends with the lower-case pattern p, ignoring ASCII case.
func hasSuffixFold(s, p string) bool {
	return len(s) >= len(p) && equalFold(s[len(s)-len(p):], p)
}

// hasPrefixFold reports whether s starts with the lower-case pattern p, ignoring ASCII case.
func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && equalFold(s[:len(p)], p)
}

// containsFold reports whether s contains the lower-case pattern p, ignoring ASCII case.
func containsFold(s, p string) bool {
	if len(p) == 0 {
		return true
	}
	first := p[0]
	for i := 0; i+len(p) <= len(s); i++ {
		if lower(s[i]) == first && equalFold(s[i:i+len(p)], p) {
			return true
		}
	}
	return false
}

// asciiLower lower-cases ASCII letters; it allocates only when s has an
// upper-case ASCII letter.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
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

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

// Differential fuzz tests of the own parsers of parse.go against the standard
// library: numbers against strconv, timestamps against time.Parse
// (RFC3339Nano), JSON members against encoding/json, the ASCII case folding
// against strings. Where the own parser accepts, the standard library gives
// the same value; where it refuses, the test states the exact condition (a
// documented grammar, range or limit). `go test` runs the seeds below;
// `go test -run '^$' -fuzz FuzzParseDecimal -fuzztime 60s ./internal/genai/`
// fuzzes one of them.

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// decimalSyntax is the grammar parseDecimal documents
// ([+-]digits[.digits][e[+-]digits], at least one digit in the mantissa,
// 1 to 3 exponent digits), written independently of it. Refused by design
// although strconv reads them: hex ("0x1p3"), underscores, "NaN", "Inf",
// "Infinity", exponents of 4 digits or more ("1e0005": no serializer writes
// them) and strings longer than maxNumberLen.
var decimalSyntax = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$`)

var numberSeeds = []string{
	"0", "42", "-1", "+1.5", ".5", "5.", "1e3", "1E-3", "-0", "0.1", "00012", "1.5E+003",
	"1e308", "1e309", "1e999", "-1e999", "1e-999", "4.9e-324", "1.7976931348623157e308", "1.8e308",
	"1e0001", "0x1p3", "0X10", "1_000", "NaN", "nan", "Inf", "+Inf", "-inf", "infinity", "",
	".", "e5", "1e", "1e+", "--1", "+-1", "1.2.3", " 1", "1 ", "\t7\n", "١٢", "1e-0",
	strings.Repeat("9", 18), strings.Repeat("9", 19), strings.Repeat("9", 64), strings.Repeat("9", 65),
	"0." + strings.Repeat("0", 61) + "1", "100000000", "100000001", "1e8", "1.00000000e8", "99999999.5",
	"9223372036854775807", "9223372036854775808",
}

// FuzzParseDecimal: parseDecimal accepts exactly the strings of
// decimalSyntax that strconv.ParseFloat reads without a range error, and
// gives the same float64 (bit for bit: -0 stays -0).
func FuzzParseDecimal(f *testing.F) {
	for _, s := range numberSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDecimal(s)
		std, err := strconv.ParseFloat(s, 64)
		inGrammar := len(s) <= maxNumberLen && decimalSyntax.MatchString(s)
		switch {
		case ok && !inGrammar:
			t.Fatalf("parseDecimal(%q) = %v, outside its grammar", s, got)
		case ok && (err != nil || math.Float64bits(got) != math.Float64bits(std)):
			t.Fatalf("parseDecimal(%q) = %v, strconv.ParseFloat: %v, %v", s, got, std, err)
		case !ok && inGrammar && !errors.Is(err, strconv.ErrRange):
			// In the grammar, only an overflow (±Inf) may be refused.
			t.Fatalf("parseDecimal(%q) refused, strconv.ParseFloat: %v, %v", s, std, err)
		}
	})
}

// FuzzParseDigits: parseDigits reads a string of 1 to 18 ASCII digits (no
// sign, no space: an HTTP status or a part of a count) as strconv.ParseInt
// does, and nothing else; 18 digits always fit in an int64.
func FuzzParseDigits(f *testing.F) {
	for _, s := range numberSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDigits(s)
		std, err := strconv.ParseInt(s, 10, 64)
		want := len(s) >= 1 && len(s) <= 18 && strings.Trim(s, "0123456789") == ""
		if ok != want {
			t.Fatalf("parseDigits(%q) ok = %v, want %v", s, ok, want)
		}
		if ok && (err != nil || got != std) {
			t.Fatalf("parseDigits(%q) = %d, strconv.ParseInt: %d, %v", s, got, std, err)
		}
	})
}

// FuzzParseCountString: a token count written as a string is the number
// strconv.ParseFloat reads from it (ASCII blanks trimmed, decimalSyntax),
// when it is integral and between 0 and maxTokens; anything else is refused.
func FuzzParseCountString(f *testing.F) {
	for _, s := range numberSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseCountString(s)
		trimmed := strings.Trim(s, " \t\r\n")
		std, err := strconv.ParseFloat(trimmed, 64)
		want := len(trimmed) <= maxNumberLen && decimalSyntax.MatchString(trimmed) && err == nil &&
			std >= 0 && std <= maxTokens && std == math.Trunc(std)
		if ok != want {
			t.Fatalf("parseCountString(%q) ok = %v, want %v (strconv.ParseFloat: %v, %v)", s, ok, want, std, err)
		}
		if ok && got != int64(std) {
			t.Fatalf("parseCountString(%q) = %d, strconv.ParseFloat: %v", s, got, std)
		}
	})
}

// FuzzParseFloatString: a number written as a string (seconds, USD), times
// the source's scale (0 means 1), is strconv.ParseFloat's times the scale,
// refused when outside decimalSyntax or not finite.
func FuzzParseFloatString(f *testing.F) {
	for i, s := range numberSeeds {
		f.Add(s, uint8(i))
	}
	scales := []float64{0, 1, 1e-3, 1e-9, 1e6, 1e300}
	f.Fuzz(func(t *testing.T, s string, k uint8) {
		scale := scales[int(k)%len(scales)]
		got, ok := parseFloatString(s, scale)
		trimmed := strings.Trim(s, " \t\r\n")
		std, err := strconv.ParseFloat(trimmed, 64)
		if scale != 0 {
			std *= scale
		}
		want := len(trimmed) <= maxNumberLen && decimalSyntax.MatchString(trimmed) && err == nil &&
			!math.IsInf(std, 0) && !math.IsNaN(std)
		if ok != want {
			t.Fatalf("parseFloatString(%q, %g) ok = %v, want %v (strconv.ParseFloat×scale: %v, %v)", s, scale, ok, want, std, err)
		}
		if ok && math.Float64bits(got) != math.Float64bits(std) {
			t.Fatalf("parseFloatString(%q, %g) = %v, strconv.ParseFloat×scale: %v", s, scale, got, std)
		}
	})
}

// timestampSyntax is the grammar parseTimestamp documents, once the ASCII
// blanks around it and a pair of enclosing quotes are removed: YYYY-MM-DD,
// "T", "t" or " ", hh:mm:ss, an optional fraction after "." or ",", and
// "Z", "z", ±hh:mm, ±hhmm, ±hh or no zone (UTC). time.Parse's lenient
// fallback (strict RFC 3339 checks are off in Go, golang/go#54580) accepts
// forms outside it that no tracing library writes (a one-digit hour:
// "2026-08-01T1:00:00Z") and offsets outside RFC 3339's ranges ("+24:00",
// "-00:60"); they are refused.
var timestampSyntax = regexp.MustCompile(
	`^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}:[0-9]{2})(?:[.,]([0-9]+))?([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?$`)

// FuzzParseTimestamp: parseTimestamp accepts exactly the strings of
// timestampSyntax (at most maxNumberLen bytes) whose RFC 3339 spelling
// time.Parse(time.RFC3339Nano) accepts, at or after the Unix epoch and not
// after maxUnixSeconds (int64 nanoseconds end in 2262), and returns the same
// instant in Unix nanoseconds; digits of a fraction beyond nanoseconds are
// cut, as time.Parse does.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{
		"2026-08-01T12:00:00Z", "2026-08-01T12:00:00.5Z", "2026-08-01T12:00:00.123456789Z",
		"2026-08-01T12:00:00.1234567891234Z", "2026-08-01T12:00:00,5Z", "2026-08-01T12:00:00.512000+00:00",
		`"2026-08-01T12:00:00.512000+00:00"`, `"2026-08-01T12:00:00Z`, "2026-08-01T14:30:00+02:30",
		"2026-08-01T09:00:00-0300", "2026-08-01T13:00:00+01", "2026-08-01 12:00:00", "2026-08-01t12:00:00z",
		"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2000-02-29T00:00:00Z",
		"1970-01-01T00:00:00Z", "1970-01-01T00:30:00+01:00", "1969-12-31T23:59:59Z", "1969-12-31T23:30:00-01:00",
		"1969-12-31T22:00:00-02:00", "0000-01-01T00:00:00Z", "2255-01-01T00:00:00Z", "2255-03-13T00:00:00Z",
		"2262-04-11T23:47:16Z", "9999-12-31T23:59:59Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
		"2026-08-00T00:00:00Z", "2026-08-01T24:00:00Z", "2026-08-01T12:60:00Z", "2026-08-01T12:00:60Z",
		"2026-08-01T12:00:00.Z", "2026-08-01T12:00:00+2:00", "2026-08-01T12:00:00+24:00",
		"2026-08-01T12:00:00+23:59", "2026-08-01T12:00:00-00:60", "2026-08-01T12:00:00Zjunk", "2026-08-01",
		"2026/08/01T12:00:00Z", "2026-08-01T1:00:00Z", "1785585600", "", `"`, `""`, " 2026-08-01T12:00:00Z ",
		"2026-08-01T12:00:00." + strings.Repeat("1", 50) + "Z", "２０２６-08-01T12:00:00Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseTimestamp(s)
		inner := strings.Trim(s, " \t\r\n")
		if len(inner) >= 2 && inner[0] == '"' && inner[len(inner)-1] == '"' {
			inner = inner[1 : len(inner)-1]
		}
		m := timestampSyntax.FindStringSubmatch(inner)
		if m == nil || len(inner) > maxNumberLen {
			if ok {
				t.Fatalf("parseTimestamp(%q) = %d, outside its grammar", s, got)
			}
			return
		}
		// The RFC 3339 spelling of the same instant.
		rfc := m[1] + "T" + m[2]
		if m[3] != "" {
			rfc += "." + m[3]
		}
		switch zone := m[4]; {
		case zone == "" || zone == "Z" || zone == "z":
			rfc += "Z"
		case len(zone) == 3: // ±hh
			rfc += zone + ":00"
		case len(zone) == 5: // ±hhmm
			rfc += zone[:3] + ":" + zone[3:]
		default: // ±hh:mm
			rfc += zone
		}
		tm, err := time.Parse(time.RFC3339Nano, rfc)
		zoneOK := true // RFC 3339: offset hours 00-23, minutes 00-59
		if z := rfc[len(rfc)-6:]; z[0] == '+' || z[0] == '-' {
			zoneOK = z[1:3] <= "23" && z[4:6] <= "59"
		}
		want := err == nil && zoneOK && tm.Unix() >= 0 && tm.Unix() <= maxUnixSeconds
		if ok != want {
			t.Fatalf("parseTimestamp(%q) ok = %v, want %v (time.Parse(%q): %v, %v)", s, ok, want, rfc, tm, err)
		}
		if ok && got != tm.Unix()*1e9+int64(tm.Nanosecond()) {
			t.Fatalf("parseTimestamp(%q) = %d, time.Parse(%q) = %d", s, got, rfc, tm.UnixNano())
		}
	})
}

// jsonMemberOf is one top-level member of a JSON object as encoding/json
// decodes it, with the positions of its value in the document.
type jsonMemberOf struct {
	key, rawKey string // decoded, and as written between its quotes
	value       json.RawMessage
	start, end  int // doc[start:end] is the value
}

// topLevelMembers lists the members of the JSON object doc in order; ok is
// false when doc is not valid JSON or not an object.
func topLevelMembers(doc string) ([]jsonMemberOf, bool) {
	if !json.Valid([]byte(doc)) {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []jsonMemberOf
	for dec.More() {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		quoted := strings.TrimLeft(doc[before:dec.InputOffset()], " \t\r\n,")
		m := jsonMemberOf{key: tok.(string), rawKey: quoted[1 : len(quoted)-1]}
		if err := dec.Decode(&m.value); err != nil {
			return nil, false
		}
		m.end = int(dec.InputOffset())
		m.start = m.end - len(m.value)
		out = append(out, m)
	}
	return out, true
}

// FuzzJSONMember: on a valid JSON object, jsonMemberSpan finds the member
// encoding/json finds and points at its value: for each name in turn, the
// member of that name, when its value is a string (its text between the
// quotes, escapes as written), a number, true or false; a null, object or
// array value counts as missing. Two documented departures from a decoded
// map: names are compared as written (a name written with escapes,
// "mod\u0065l", is not "model"; invalid UTF-8 is not replaced), and of
// duplicate names the first counts (encoding/json keeps the last). Numbers
// and flags read from the text (llm.invocation_parameters stream, Langfuse
// usage) agree with encoding/json's values. On a document cut after the
// member (an SDK truncating a long attribute) the member is still found.
func FuzzJSONMember(f *testing.F) {
	for _, s := range []struct{ doc, name string }{
		{`{"model": "gpt-4o"}`, "model"},
		{` { "a" : 1 , "model" : "gpt-4o" } `, "a"},
		{`{"input": 12, "output": 3}`, "output"},
		{`{"input": -1.5e3, "output": 1e0005}`, "input"},
		{`{"stream": true, "model": null}`, "stream"},
		{`{"streaming": false}`, "streaming"},
		{`{"stream": "True"}`, "stream"},
		{`{"model": {"name": "x"}, "model_name": "m"}`, "model"},
		{`{"model": ["x"], "stream": [true]}`, "model"},
		{`{"tools": [{"model": "inner"}], "model": "outer"}`, "tools"},
		{`{"tools": {"a": "}", "b": [1, {"c": "]"}]}, "model": "outer"}`, "b"},
		{`{"msg": "a \"model\": \"x\"", "model": "y"}`, "msg"},
		{`{"model": "a\"b\\c\u00e9\ud83d\ude00"}`, "model"},
		{`{"mod\u0065l": "escaped name", "model_name": "m"}`, "model"},
		{`{"model": "first", "model": "last"}`, "model"},
		{`{"model": null, "model": "second"}`, "model"},
		{`{"model_name": "m", "model": "n"}`, "model_name"},
		{`{"model": "n", "x": `, "model"},
		{`{"x": 1 "model": "n"}`, "model"},
		{`{"x": [1, 2, "model": "n"}`, "model"},
		{`["model", "n"]`, "model"},
		{`"model"`, "model"},
		{`{}`, ""},
		{`{"": 1}`, ""},
		{"{\"model\":\"\xff\xfe\"}", "model"},
		{`{"input": 100000001, "output": 0.5, "cost": 1e400}`, "cost"},
	} {
		f.Add(s.doc, s.name)
	}
	f.Fuzz(func(t *testing.T, doc, name string) {
		for _, names := range [][]string{{"model", "model_name"}, {"stream", "streaming"}, {name}} {
			lo, hi, ok := jsonMemberSpan(doc, names)
			if lo < 0 || lo > hi || hi > len(doc) {
				t.Fatalf("jsonMemberSpan(%q, %q) = [%d:%d]", doc, names, lo, hi)
			}
			members, isObject := topLevelMembers(doc)
			if !isObject || len(doc) > maxJSONScan {
				if ok && len(doc) > maxJSONScan {
					t.Fatalf("jsonMemberSpan found a member in %d bytes, more than maxJSONScan", len(doc))
				}
				continue // not a JSON object: read leniently up to the member (TestJSONMember)
			}
			want, wantOK := expectedMember(members, names)
			if ok != wantOK || (ok && (lo != want.lo || hi != want.hi)) {
				t.Fatalf("jsonMemberSpan(%q, %q) = [%d:%d] %v, want [%d:%d] %v", doc, names, lo, hi, ok, want.lo, want.hi, wantOK)
			}
			checkAgainstDecodedMap(t, doc, names, members, ok, doc[lo:hi], want.m)
			if ok && len(names) == 1 {
				for _, cut := range []int{want.m.end, (want.m.end + len(doc)) / 2, len(doc) - 1} {
					if cut < want.m.end {
						continue
					}
					clo, chi, cok := jsonMemberSpan(doc[:cut], names)
					if !cok || clo != lo || chi != hi {
						t.Fatalf("jsonMemberSpan(%q, %q) = [%d:%d] %v, uncut [%d:%d]", doc[:cut], names, clo, chi, cok, lo, hi)
					}
				}
			}
		}
	})
}

type memberSpan struct {
	m      jsonMemberOf
	lo, hi int
}

// expectedMember applies jsonMember's documented rule to the members
// encoding/json found: for each name, the first member whose name is
// written as name; a string, number, true or false value is the result, a
// null, object or array one sends the search to the next name.
func expectedMember(members []jsonMemberOf, names []string) (memberSpan, bool) {
	for _, name := range names {
		for _, m := range members {
			if m.rawKey != name {
				continue
			}
			switch m.value[0] {
			case 'n', '{', '[':
			case '"':
				return memberSpan{m, m.start + 1, m.end - 1}, true
			default:
				return memberSpan{m, m.start, m.end}, true
			}
			break
		}
	}
	return memberSpan{}, false
}

// checkAgainstDecodedMap compares jsonMember's result (text, ok) with the
// lookup in encoding/json's decoded map, and the numbers and flags read from
// the text with encoding/json's values. Where they differ, a name of names
// must be duplicated, or written otherwise than encoding/json decodes it
// (escapes; invalid UTF-8, which encoding/json replaces with U+FFFD).
func checkAgainstDecodedMap(t *testing.T, doc string, names []string, members []jsonMemberOf, ok bool, text string, found jsonMemberOf) {
	t.Helper()
	decoded := map[string]json.RawMessage{}
	if err := json.Unmarshal([]byte(doc), &decoded); err != nil {
		t.Fatalf("%q: %v", doc, err)
	}
	var std json.RawMessage
	for _, name := range names {
		if v, has := decoded[name]; has && v[0] != 'n' && v[0] != '{' && v[0] != '[' {
			std = v
			break
		}
	}
	if ok && string(std) != string(found.value) || !ok && std != nil {
		departs := false
		for _, m := range members {
			seen := 0
			for _, o := range members {
				if o.key == m.key {
					seen++
				}
			}
			if (m.rawKey != m.key || seen > 1) && (slices.Contains(names, m.key) || slices.Contains(names, m.rawKey)) {
				departs = true
			}
		}
		if !departs {
			t.Fatalf("jsonMember(%q, %q) = %q %v; encoding/json: %s", doc, names, text, ok, std)
		}
		return
	}
	if !ok {
		return
	}
	// The value as encoding/json reads it, and as the extractor reads the text.
	dec := json.NewDecoder(strings.NewReader(string(found.value)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", found.value, err)
	}
	switch v := v.(type) {
	case string:
		// Escapes are kept as written: the text is the value's JSON
		// spelling; without escapes (and in valid UTF-8) it is the value.
		var back string
		if err := json.Unmarshal([]byte(`"`+text+`"`), &back); err != nil || back != v {
			t.Fatalf("jsonMember(%q) = %q, decoded %q", doc, text, v)
		}
		if !strings.Contains(text, `\`) && utf8.ValidString(text) && text != v {
			t.Fatalf("jsonMember(%q) = %q, encoding/json %q", doc, text, v)
		}
	case bool:
		if b, known := parseBoolString(text); !known || b != v {
			t.Fatalf("parseBoolString(jsonMember(%q) = %q) = %v %v, encoding/json %v", doc, text, b, known, v)
		}
	case json.Number:
		// A JSON number is in decimalSyntax unless its exponent has 4
		// digits or more, or it is longer than maxNumberLen.
		std, err := v.Float64()
		got, numOK := parseDecimal(text)
		want := err == nil && len(text) <= maxNumberLen && decimalSyntax.MatchString(text)
		if numOK != want || numOK && got != std {
			t.Fatalf("parseDecimal(jsonMember(%q) = %q) = %v %v, encoding/json %v %v", doc, text, got, numOK, std, err)
		}
	}
}

// FuzzFold: the ASCII case folding helpers (lower-case pattern, any s; the
// 8-bytes-at-a-time lower8 path included) agree with the strings package on
// ASCII input, and fold nothing but A-Z on any input (strings.EqualFold also
// folds the Kelvin sign to k, which a pattern of the tables never needs).
func FuzzFold(f *testing.F) {
	for _, s := range [][2]string{
		{"RateLimitError", "ratelimiterror"},
		{"openai.chat.completions", "chat"},
		{"CONTEXT_LENGTH_EXCEEDED", "context_length"},
		{"\xff\xfeABC", "abc"},
		{"K", "k"},
		{"[\\]^_`@", "[\\]^_`@"},
		{"ÀÉ", "àé"},
		{"", ""},
		{"abc", ""},
		{"0123456789ABCDEFGHIJ", "6789abcdefghij"},
		{"xxxxxxxxxxxxxxxxTimeoutxxxx", "timeout"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, p string) {
		p = asciiLowerRef(p) // the helpers' patterns are lower case
		ls := asciiLowerRef(s)
		want := map[string]bool{
			"equalFold":     ls == p,
			"hasPrefixFold": strings.HasPrefix(ls, p),
			"hasSuffixFold": strings.HasSuffix(ls, p),
			"containsFold":  strings.Contains(ls, p),
		}
		got := map[string]bool{
			"equalFold":     equalFold(s, p),
			"hasPrefixFold": hasPrefixFold(s, p),
			"hasSuffixFold": hasSuffixFold(s, p),
			"containsFold":  containsFold(s, p),
		}
		for name := range want {
			if got[name] != want[name] {
				t.Fatalf("%s(%q, %q) = %v, want %v", name, s, p, got[name], want[name])
			}
		}
		if isASCII(s) && isASCII(p) {
			if equalFold(s, p) != strings.EqualFold(s, p) {
				t.Fatalf("equalFold(%q, %q) = %v, strings.EqualFold %v", s, p, equalFold(s, p), strings.EqualFold(s, p))
			}
			if containsFold(s, p) != strings.Contains(strings.ToLower(s), p) {
				t.Fatalf("containsFold(%q, %q) = %v, strings.Contains(strings.ToLower) disagrees", s, p, containsFold(s, p))
			}
			if asciiLower(s) != strings.ToLower(s) {
				t.Fatalf("asciiLower(%q) = %q, strings.ToLower %q", s, asciiLower(s), strings.ToLower(s))
			}
		}
		if asciiLower(s) != ls {
			t.Fatalf("asciiLower(%q) = %q, want %q", s, asciiLower(s), ls)
		}
	})
}

// asciiLowerRef lower-cases A-Z byte by byte: the reference for any input.
func asciiLowerRef(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

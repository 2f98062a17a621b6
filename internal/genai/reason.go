// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// reason returns the bounded reason of a failed call: every reason source is
// evaluated in table order; the first specific reason wins, else the first
// generic one (bad_request, other), else other. It never returns ReasonNone.
func reason(span ptrace.Span, fs *foundSet) Reason {
	var specific, generic Reason
	// keep records a classification and reports whether the search is over.
	keep := func(r Reason, isGeneric bool) bool {
		switch {
		case r == ReasonNone:
			return false
		case !isGeneric:
			specific = r
			return true
		case generic == ReasonNone:
			generic = r
		}
		return false
	}
	for i := range reasonSources {
		rs := &reasonSources[i]
		switch rs.from {
		case fromAttribute:
			f := reasonFields[i]
			if fs.present&(1<<(f&(maxFields-1))) == 0 {
				continue
			}
			// A string that needs no settling (see isSettledStr), the common
			// case, is classified as classify would.
			if s := fs.v[f&(maxFields-1)].Str(); fs.isSettledStr(f, s) {
				if keep(classifyString(rs.classify, s)) {
					return specific
				}
			} else if v, ok := fs.get(f); ok && keep(classify(rs.classify, v)) {
				return specific
			}
		case fromEvent:
			events := span.Events()
			for j, n := 0, events.Len(); j < n; j++ {
				ev := events.At(j)
				if ev.Name() != rs.event {
					continue
				}
				if v, ok := ev.Attributes().Get(rs.key); ok && keep(classify(rs.classify, v)) {
					return specific
				}
			}
		case fromStatusMessage:
			if keep(classifyString(rs.classify, span.Status().Message())) {
				return specific
			}
		case fromFinishReasons:
			if v, ok := fs.get(fieldFinishReasons); ok && keep(classify(rs.classify, v)) {
				return specific
			}
		}
	}
	if generic == ReasonNone {
		return ReasonOther
	}
	return generic
}

// classifyFinish returns the reason named by the finish reasons
// (finishReasonErrors), or ReasonNone. An array from a plain source (the
// common case) is read without settling the field: settling keeps it as is.
func classifyFinish(fs *foundSet) (Reason, bool) {
	const f = fieldFinishReasons
	if fs.present&(1<<f) == 0 {
		return ReasonNone, false
	}
	if v := fs.v[f]; fs.plain(f) && v.Type() == pcommon.ValueTypeSlice {
		return finishSliceReason(v.Slice()), false
	}
	if v, ok := fs.get(f); ok {
		return classify(byFinishReason, v)
	}
	return ReasonNone, false
}

// finishSliceReason returns the reason of the first element of s (one
// finish reason each) that names one, or ReasonNone.
func finishSliceReason(s pcommon.Slice) Reason {
	for i, n := 0, s.Len(); i < n; i++ {
		// One reason per element: no tokenizing. Trimming and cutting an enum
		// prefix keep a last byte that is not a space: most reasons ("stop",
		// "length", "tool_calls") are ruled out by it before any work (see
		// finishLastOrSpace).
		e := s.At(i).Str()
		if e == "" || finishLastOrSpace>>(e[len(e)-1]&63)&1 == 0 {
			continue
		}
		if r := finishReasonError(trimSpace(e)); r != ReasonNone {
			return r
		}
	}
	return ReasonNone
}

// classify reads one value with classifier c. It returns the reason
// (ReasonNone when the value names none) and whether it is generic.
func classify(c classifier, v pcommon.Value) (r Reason, isGeneric bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return classifyString(c, v.Str())
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble:
		if c == byName {
			if n, ok := parseInt(v); ok {
				return classifyHTTP(n)
			}
		}
	case pcommon.ValueTypeSlice:
		if c == byFinishReason {
			return finishSliceReason(v.Slice()), false
		}
	}
	return ReasonNone, false
}

func classifyString(c classifier, s string) (Reason, bool) {
	switch c {
	case byName:
		return classifyName(s)
	case byText:
		return classifyText(s)
	case byFinishReason:
		return classifyFinishText(s)
	}
	return ReasonNone, false
}

// classifyName reads an error class name or code: a numeric HTTP status, or a
// name matched by suffix with nameReasons, with or without a module prefix
// ("openai.RateLimitError") or Python's "<class '…'>" wrapper.
func classifyName(s string) (Reason, bool) {
	s = trimSpace(s)
	if n, ok := parseDigits(s); ok {
		return classifyHTTP(n)
	}
	if hasPrefixFold(s, "<class ") && len(s) > len("<class ''>") && s[len(s)-1] == '>' {
		s = trimSpace(s[len("<class ") : len(s)-1])
		if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
			s = s[1 : len(s)-1]
		}
	}
	if len(s) < nameEndLen {
		return ReasonNone, false // shorter than every suffix
	}
	// The first rule in table order whose suffix s ends with: only the rules
	// whose suffix ends with the same nameEndLen bytes can (see nameRules).
	for _, i := range nameRules[nameEnd(s)] {
		// (The suffix's first byte is tested before the call.)
		if r := &nameReasons[i]; len(s) >= len(r.suffix) && lower(s[len(s)-len(r.suffix)]) == r.suffix[0] &&
			hasSuffixFold(s, r.suffix) {
			return r.reason, r.generic
		}
	}
	return ReasonNone, false
}

// nameBuckets is the number of buckets of nameRules.
const nameBuckets = 64

// nameEnd hashes the last nameEndLen bytes of s (at least that long),
// lower-cased, into [0, nameBuckets).
func nameEnd(s string) int {
	var h uint64
	for i := len(s) - nameEndLen; i < len(s); i++ {
		h = h<<8 | uint64(lower(s[i]))
	}
	return int(h * hashMultiplier >> 58 & (nameBuckets - 1))
}

// classifyHTTP maps an HTTP status code with httpReasons.
func classifyHTTP(code int64) (Reason, bool) {
	for i := range httpReasons {
		if code >= httpReasons[i].lo && code <= httpReasons[i].hi {
			return httpReasons[i].reason, httpReasons[i].generic
		}
	}
	return ReasonNone, false
}

// classifyText reads the first maxTextScan bytes of a free-text message: a
// leading class name ("RateLimitError: …", "APIConnectionError('…')",
// "openai.NotFoundError: …") read with nameReasons, then textReasons, then an
// HTTP status after a statusMarkers word or at the start of the message. The
// first specific reason wins; else the first generic one.
func classifyText(s string) (Reason, bool) {
	if len(s) > maxTextScan {
		s = s[:maxTextScan]
	}
	var generic Reason
	if name := leadingName(s); name != "" {
		r, isGeneric := classifyName(name)
		if r != ReasonNone && !isGeneric {
			return r, false
		}
		generic = r
	}
	// A pattern with a byte the message lacks is not in it: most are ruled
	// out without a search.
	have := byteSetOf(s)
	for i := range textReasons {
		if textNeeds[i].within(have) && containsFold(s, textReasons[i].contains) {
			return textReasons[i].reason, false
		}
	}
	if code, ok := httpStatusInText(s); ok {
		r, isGeneric := classifyHTTP(code)
		if r != ReasonNone && !isGeneric {
			return r, false
		}
		if generic == ReasonNone {
			generic = r
		}
	}
	return generic, generic != ReasonNone
}

// leadingName returns the class name a message starts with, when it is
// followed by ':' or '(' (Python's "Name: message" and repr "Name('…')"),
// else "".
func leadingName(s string) string {
	i := 0
	for i < len(s) && (isIdentByte(s[i]) || s[i] == '.' || s[i] == '$') {
		i++
	}
	if i == 0 || i == len(s) || (s[i] != ':' && s[i] != '(') {
		return ""
	}
	return s[:i]
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// httpStatusInText finds an HTTP status (100-599, exactly three digits) at
// the start of s or after a statusMarkers word and optional separators
// ("Error code: 429", "status=503", "statusCode 429", "HTTP 500").
func httpStatusInText(s string) (int64, bool) {
	if code, ok := statusAt(s, 0); ok {
		return code, true
	}
	for _, m := range statusMarkers {
		for i := 0; i+len(m) <= len(s); i++ {
			if lower(s[i]) != m[0] || !equalFold(s[i:i+len(m)], m) {
				continue
			}
			j := i + len(m)
			for j < len(s) && (s[j] == ' ' || s[j] == ':' || s[j] == '=' || s[j] == '_' || s[j] == '#') {
				j++
			}
			if code, ok := statusAt(s, j); ok {
				return code, true
			}
		}
	}
	return 0, false
}

// statusAt reads exactly three digits at s[i:], not followed by a digit, in
// [100, 599].
func statusAt(s string, i int) (int64, bool) {
	if i+3 > len(s) || (i+3 < len(s) && isDigit(s[i+3])) {
		return 0, false
	}
	n, ok := parseDigits(s[i : i+3])
	return n, ok && n >= 100 && n <= 599
}

// classifyFinishText looks for a finishReasonErrors value in a string holding
// one reason, a comma-joined list or a JSON array ("content_filter",
// "stop,content_filter", `["SAFETY"]`).
func classifyFinishText(s string) (Reason, bool) {
	if len(s) > maxTextScan {
		s = s[:maxTextScan]
	}
	for s != "" {
		// Skip separators, then take one token.
		i := 0
		for i < len(s) && !isTokenByte(s[i]) {
			i++
		}
		j := i
		for j < len(s) && isTokenByte(s[j]) {
			j++
		}
		tok := s[i:j]
		s = s[j:]
		if r := finishReasonError(tok); r != ReasonNone {
			return r, false
		}
	}
	return ReasonNone, false
}

// finishReasonError returns the reason of a finish reason, or ReasonNone. An
// enum-style prefix is ignored ("FinishReason.CONTENT_FILTER", Semantic
// Kernel).
func finishReasonError(s string) Reason {
	// Cutting the prefix keeps the last byte: most reasons ("stop",
	// "length", "tool_calls") are ruled out before looking for it.
	if s == "" || finishQuick.lasts>>(s[len(s)-1]&63)&1 == 0 {
		return ReasonNone
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			s = s[i+1:]
			break
		}
	}
	if !finishQuick.mayHave(s) {
		return ReasonNone
	}
	for i := range finishReasonErrors {
		if equalFold(s, finishReasonErrors[i].value) {
			return finishReasonErrors[i].reason
		}
	}
	return ReasonNone
}

func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

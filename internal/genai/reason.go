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
			if v, _, ok := fs.get(reasonFields[i]); ok && keep(classify(rs.classify, v)) {
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
			if v, _, ok := fs.get(fieldFinishReasons); ok && keep(classify(rs.classify, v)) {
				return specific
			}
		}
	}
	if generic == ReasonNone {
		return ReasonOther
	}
	return generic
}

// classifyFinish reports whether the finish reasons name a safety block.
func classifyFinish(fs *foundSet) (Reason, bool) {
	if v, _, ok := fs.get(fieldFinishReasons); ok {
		return classify(byFinishReason, v)
	}
	return ReasonNone, false
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
			s := v.Slice()
			for i, n := 0, s.Len(); i < n; i++ {
				// One reason per element: no tokenizing.
				if isSafetyFinishReason(trimSpace(s.At(i).Str())) {
					return ReasonSafetyBlock, false
				}
			}
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
	for i := range nameReasons {
		if hasSuffixFold(s, nameReasons[i].suffix) {
			return nameReasons[i].reason, nameReasons[i].generic
		}
	}
	return ReasonNone, false
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

// classifyText searches the first maxTextScan bytes of a message for textReasons.
func classifyText(s string) (Reason, bool) {
	if len(s) > maxTextScan {
		s = s[:maxTextScan]
	}
	for i := range textReasons {
		if containsFold(s, textReasons[i].contains) {
			return textReasons[i].reason, false
		}
	}
	return ReasonNone, false
}

// classifyFinishText looks for a safety finish reason in a string holding one
// reason, a comma-joined list or a JSON array ("content_filter",
// "stop,content_filter", `["SAFETY"]`).
func classifyFinishText(s string) (Reason, bool) {
	if len(s) > maxTextScan {
		s = s[:maxTextScan]
	}
	for len(s) > 0 {
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
		if isSafetyFinishReason(tok) {
			return ReasonSafetyBlock, false
		}
	}
	return ReasonNone, false
}

func isSafetyFinishReason(s string) bool {
	for _, r := range safetyFinishReasons {
		if equalFold(s, r) {
			return true
		}
	}
	return false
}

func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestJSONMember(t *testing.T) {
	for _, tc := range []struct {
		doc   string
		names []string
		want  string
		ok    bool
	}{
		{`{"model": "gpt-4o"}`, []string{"model"}, "gpt-4o", true},
		{` { "a" : 1 , "model" : "gpt-4o" } `, []string{"model"}, "gpt-4o", true},
		{`{"input": 12, "output": 3}`, []string{"output"}, "3", true},
		{`{"input": -1.5e3}`, []string{"input"}, "-1.5e3", true},
		{`{"stream": true}`, []string{"stream"}, "true", true},
		{`{"stream": false}`, []string{"stream"}, "false", true},
		{`{"model": null}`, []string{"model"}, "", false},
		{`{"model": ""}`, []string{"model"}, "", true},
		{`{"model": {"name": "x"}}`, []string{"model"}, "", false},
		{`{"model": ["x"]}`, []string{"model"}, "", false},
		{`{"tools": [{"model": "inner"}], "model": "outer"}`, []string{"model"}, "outer", true},
		{`{"tools": {"a": "}", "b": [1, {"c": "]"}]}, "model": "outer"}`, []string{"model"}, "outer", true},
		{`{"msg": "a \"model\": \"x\"", "model": "y"}`, []string{"model"}, "y", true},
		{`{"model": "a\"b"}`, []string{"model"}, `a\"b`, true},
		{`{"model_name": "m"}`, []string{"model", "model_name"}, "m", true},
		{`{"model_name": "m", "model": "n"}`, []string{"model", "model_name"}, "n", true},
		{`{"model": "n", "x": `, []string{"model"}, "n", true}, // cut after the member
		{`{"x": 1 "model": "n"}`, []string{"model"}, "", false},
		{`{"x" 1, "model": "n"}`, []string{"model"}, "", false},
		{`{"x": "unterminated, "model": "n"}`, []string{"model"}, "", false},
		{`{"x": [1, 2, "model": "n"}`, []string{"model"}, "", false},
		{`["model", "n"]`, []string{"model"}, "", false},
		{`"model"`, []string{"model"}, "", false},
		{``, []string{"model"}, "", false},
		{`{`, []string{"model"}, "", false},
		{`{}`, []string{"model"}, "", false},
		{`{"model": "` + strings.Repeat("x", maxJSONScan) + `"}`, []string{"model"}, "", false},
		{`{"MODEL": "n"}`, []string{"model"}, "", false}, // member names are case-sensitive
	} {
		got, ok := jsonMember(tc.doc, tc.names)
		assert.Equal(t, tc.ok, ok, "%.60q", tc.doc)
		assert.Equal(t, tc.want, got, "%.60q", tc.doc)
	}
}

func TestJSONMemberNoAllocs(t *testing.T) {
	doc := `{"temperature": 0.1, "tools": [{"type": "function"}], "model": "gpt-4o", "stream": true}`
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = jsonMember(doc, []string{"model"}) }))
}

func TestParseTimestamp(t *testing.T) {
	ns := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2026-08-01T12:00:00Z", ns("2026-08-01T12:00:00Z"), true},
		{"2026-08-01T12:00:00.5Z", ns("2026-08-01T12:00:00.5Z"), true},
		{"2026-08-01T12:00:00.123456789Z", ns("2026-08-01T12:00:00.123456789Z"), true},
		{"2026-08-01T12:00:00.1234567891Z", ns("2026-08-01T12:00:00.123456789Z"), true}, // beyond ns: cut
		{"2026-08-01T12:00:00.512000+00:00", ns("2026-08-01T12:00:00.512Z"), true},
		{`"2026-08-01T12:00:00.512000+00:00"`, ns("2026-08-01T12:00:00.512Z"), true},
		{"2026-08-01T14:30:00+02:30", ns("2026-08-01T12:00:00Z"), true},
		{"2026-08-01T09:00:00-0300", ns("2026-08-01T12:00:00Z"), true},
		{"2026-08-01T13:00:00+01", ns("2026-08-01T12:00:00Z"), true},
		{"2026-08-01 12:00:00", ns("2026-08-01T12:00:00Z"), true}, // no zone: UTC
		{"2026-08-01t12:00:00z", ns("2026-08-01T12:00:00Z"), true},
		{"2024-02-29T00:00:00Z", ns("2024-02-29T00:00:00Z"), true},
		{"1970-01-01T00:00:00Z", 0, true},
		{"2100-02-28T23:59:59Z", ns("2100-02-28T23:59:59Z"), true},
		{" 2026-08-01T12:00:00Z ", ns("2026-08-01T12:00:00Z"), true},
		{"2023-02-29T00:00:00Z", 0, false},
		{"2100-02-29T00:00:00Z", 0, false},
		{"2026-13-01T00:00:00Z", 0, false},
		{"2026-08-01T24:00:00Z", 0, false},
		{"2026-08-01T12:60:00Z", 0, false},
		{"2026-08-01T12:00:60Z", 0, false},
		{"1969-12-31T23:59:59Z", 0, false},
		{"2300-01-01T00:00:00Z", 0, false},
		{"2026-08-01T12:00:00.Z", 0, false},
		{"2026-08-01T12:00:00+2:00", 0, false},
		{"2026-08-01T12:00:00+24:00", 0, false},
		{"2026-08-01T12:00:00Zjunk", 0, false},
		{"2026-08-01", 0, false},
		{"2026/08/01T12:00:00Z", 0, false},
		{"1785585600", 0, false},
		{"", 0, false},
		{`"`, 0, false},
	} {
		got, ok := parseTimestamp(tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestQuickSet(t *testing.T) {
	var q quickSet
	for _, s := range []string{"none", "content_filter"} {
		q.add(s)
	}
	for _, s := range []string{"none", "NONE", "None", "content_filter", "CONTENT_FILTER"} {
		assert.True(t, q.mayHave(s), s)
	}
	for _, s := range []string{"", "non", "stop", "chat", "content_filtered"} {
		assert.False(t, q.mayHave(s), s)
	}
	assert.Panics(t, func() { q.add("") })
}

func TestNormalizeProvider(t *testing.T) {
	for in, want := range map[string]string{
		"openai.chat": "openai", "openai.responses": "openai", "OpenAI.Chat": "openai",
		"anthropic.messages": "anthropic", "google.generative-ai": "gcp.gemini", "google.vertex.chat": "gcp.vertex_ai",
		"vertex.anthropic.messages": "gcp.vertex_ai", "amazon-bedrock": "aws.bedrock", "azure.chat": "azure.ai.openai",
		"deepinfra.chat": "deepinfra", "Together.Chat": "together", "aws.bedrock": "aws.bedrock", "ibm.watsonx.ai": "ibm.watsonx.ai",
		"oracle.oci_genai": "oracle.oci_genai", ".chat": ".chat", "chat": "chat", "langchain": "langchain",
	} {
		assert.Equal(t, want, normalizeProvider(in), in)
	}
	for _, p := range []string{"openai.chat", "Anthropic", "AWS", "google.vertex.chat", "deepinfra.chat"} {
		assert.Zero(t, testing.AllocsPerRun(10, func() { _ = normalizeProvider(p) }), p)
	}
}

func TestHTTPStatusInText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Error code: 429 - {…}", 429, true},
		{"status 503", 503, true},
		{"statusCode=529", 529, true},
		{"status_code: 401", 401, true},
		{"HTTP 500 - upstream", 500, true},
		{"429 Too Many Requests", 429, true},
		{"request failed (status: 404)", 404, true},
		{"code: 4290", 0, false},
		{"code: 42", 0, false},
		{"code: 099", 0, false},
		{"Error code: abc", 0, false},
		{"maximum context length is 128000 tokens", 0, false},
		{"", 0, false},
	} {
		got, ok := httpStatusInText(tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestLeadingName(t *testing.T) {
	for in, want := range map[string]string{
		"RateLimitError: Error code: 429":   "RateLimitError",
		"APIConnectionError('Connection')":  "APIConnectionError",
		"openai.NotFoundError: model":       "openai.NotFoundError",
		"HttpClientErrorException$NotFound": "",
		"Rate limit reached":                "",
		"Error code: 429":                   "",
		"RateLimitError":                    "",
		":x":                                "",
		"":                                  "",
	} {
		assert.Equal(t, want, leadingName(in), in)
	}
}

// The compiled tables: every special source is flagged, JSON fields have a
// text slot, and the new value tables are lower case.
func TestCompiledSourceTables(t *testing.T) {
	isLower := func(s string) bool { return asciiLower(s) == s }
	for f, sources := range fieldSources {
		for p, s := range sources {
			special := s.kind != kindValue || s.streamedOnly || s.minusOneUnknown
			assert.Equal(t, special, specialPrios[f]>>p&1 == 1, s.key)
			if s.kind == kindJSON {
				assert.GreaterOrEqual(t, textSlots[f], int8(0), s.key)
				assert.NotEmpty(t, s.members, s.key)
			}
			if s.streamedOnly || s.kind == kindTime {
				assert.Equal(t, fieldTTFT, field(f), s.key)
			}
		}
	}
	for _, v := range absentValues {
		assert.True(t, isLower(v), v)
	}
	for _, s := range providerAPISuffixes {
		assert.True(t, isLower(s) && s[0] == '.', s)
	}
	for _, r := range finishReasonErrors {
		assert.True(t, isLower(r.value), r.value)
		assert.NotEqual(t, ReasonNone, r.reason, r.value)
	}
	for _, m := range statusMarkers {
		assert.True(t, isLower(m), m)
	}
	for _, k := range defaultTemplateKeys {
		assert.NotEmpty(t, k)
	}
	for i, f := range detectFields {
		assert.Equal(t, numStaticFields+field(i), f, "detection fields follow the static fields in rule order")
	}
	for _, r := range detectRules {
		if r.skipOthers {
			assert.Empty(t, r.skip, "%s: skipOthers makes a skip list useless", r.key)
		}
		for _, c := range r.count {
			if c.suffix {
				assert.Equal(t, byte('.'), c.value[0], c.value)
			}
		}
	}
}

// equalFold compares 8 bytes at a time: it must agree with the byte by byte
// definition on every byte value, for lower-case patterns (its contract).
func TestEqualFoldWords(t *testing.T) {
	ref := func(s, p string) bool {
		if len(s) != len(p) {
			return false
		}
		for i := range len(s) {
			if c := s[i]; c != p[i] && lower(c) != p[i] {
				return false
			}
		}
		return true
	}
	for c := range 256 {
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 23} {
			for pos := range n {
				b := []byte(strings.Repeat("x", n))
				b[pos] = byte(c)
				s := string(b)
				for _, p := range []string{asciiLower(s), strings.Repeat("x", n), asciiLower(strings.Repeat("y", pos) + s[pos:])} {
					assert.Equal(t, ref(s, p), equalFold(s, p), "%q %q", s, p)
				}
			}
		}
	}
	for x := range 256 {
		w := uint64(x) * 0x0101010101010101
		want := uint64(lower(byte(x))) * 0x0101010101010101
		assert.Equal(t, want, lower8(w), "%#x", x)
	}
	assert.True(t, equalFold("ContentPolicyViolationError", "contentpolicyviolationerror"))
	assert.False(t, equalFold("ContentPolicyViolationErrox", "contentpolicyviolationerror"))
}

// containsFold finds candidate positions with strings.IndexByte: it must
// agree with the position by position definition.
func TestContainsFold(t *testing.T) {
	ref := func(s, p string) bool {
		for i := 0; i+len(p) <= len(s); i++ {
			if equalFold(s[i:i+len(p)], p) {
				return true
			}
		}
		return p == ""
	}
	texts := []string{"", "a", "Rate Limit", "xxRATE_LIMITxx", "rate limi", "ratelimit", "RaTe LiMiT exceeded", "_x_", "a_b", "Error code: 429 - rate limit exceeded"}
	pats := []string{"", "a", "rate limit", "rate_limit", "ratelimit", "_", "_x", "429", "limit exceeded", "x"}
	for _, s := range texts {
		for _, p := range pats {
			assert.Equal(t, ref(s, p), containsFold(s, p), "%q %q", s, p)
		}
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package pricing

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func f(v float64) *float64 { return &v }

func TestDefaultTableParses(t *testing.T) {
	rows := DefaultRows()
	require.NotEmpty(t, rows)
	tbl, err := NewTable(rows)
	require.NoError(t, err)
	for _, tc := range []struct {
		provider, model string
		input, output   float64 // USD per million
	}{
		{"openai", "gpt-4o", 2.50, 10.00},
		{"openai", "gpt-4o-2024-08-06", 2.50, 10.00}, // dated snapshot → family
		{"openai", "gpt-4o-mini", 0.15, 0.60},
		{"openai", "gpt-4o-mini-2024-07-18", 0.15, 0.60},
		{"anthropic", "claude-sonnet-4-5-20250929", 3.00, 15.00},
		{"anthropic", "claude-opus-4-5@20251101", 5.00, 25.00},
		{"anthropic", "claude-opus-4-1-20250805", 15.00, 75.00},
		{"gcp.gemini", "gemini-2.5-flash", 0.30, 2.50},
		{"gcp.vertex_ai", "gemini-2.5-flash-lite", 0.10, 0.40}, // longest prefix wins
		{"deepseek", "deepseek-chat", 0.28, 0.42},
		{"mistral_ai", "mistral-large-2411", 2.00, 6.00},
		{"groq", "llama-3.3-70b-versatile", 0.59, 0.79},
		{"together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", 0.88, 0.88},
	} {
		p, ok := tbl.Lookup(tc.provider, tc.model)
		require.True(t, ok, "%s/%s", tc.provider, tc.model)
		assert.InDelta(t, tc.input/1e6, p.Input, 1e-15, "%s input", tc.model)
		assert.InDelta(t, tc.output/1e6, p.Output, 1e-15, "%s output", tc.model)
	}
	for _, tc := range []struct{ provider, model string }{
		{"openai", "my-finetune"},
		{"openai", "llama-3.3-70b-versatile"}, // groq-only row
		{"anthropic", "gpt-4o"},               // openai-only row
		{"", ""},
	} {
		_, ok := tbl.Lookup(tc.provider, tc.model)
		assert.False(t, ok, "%s/%s", tc.provider, tc.model)
	}
}

func TestMatchPrecedence(t *testing.T) {
	inline := []Row{{Model: "gpt-4o", Input: 1, Output: 1}}
	file := []Row{
		{Prefix: "gpt-4", Input: 2, Output: 2},
		{Prefix: "gpt-4o", Input: 3, Output: 3},
		{Regex: "^gpt-4o-m", Input: 4, Output: 4},
		{Model: "gpt-4o-mini", Provider: "azure.ai.openai", Input: 5, Output: 5},
		{Model: "gpt-4o-mini", Input: 6, Output: 6},
	}
	defaults := []Row{{Model: "gpt-4.1", Input: 7, Output: 7}, {Model: "o3", Input: 8, Output: 8}}
	tbl, err := NewTable(inline, file, defaults)
	require.NoError(t, err)
	for _, tc := range []struct {
		provider, model string
		want            float64
	}{
		{"openai", "gpt-4o", 1},                 // inline overrides every other layer
		{"openai", "GPT-4o-2024-08-06", 1},      // case and date suffix
		{"openai", "gpt-4o-audio-preview", 3},   // longest prefix of the file layer
		{"openai", "gpt-4.1", 2},                // the file's prefix beats the defaults' exact row
		{"openai", "gpt-4o-mini", 6},            // exact beats regex; any-provider row
		{"azure.ai.openai", "gpt-4o-mini", 5},   // provider-specific row first
		{"openai", "gpt-4o-mini-2024-07-18", 6}, // dated name matches the exact row
		{"openai", "gpt-4o-mini-search", 3},     // prefix (longest) beats regex
		{"openai", "o3", 8},                     // defaults extend the file
	} {
		p, ok := tbl.Lookup(tc.provider, tc.model)
		require.True(t, ok, tc.model)
		assert.InDelta(t, tc.want/1e6, p.Input, 1e-15, "%s %s", tc.provider, tc.model)
	}
}

func TestCost(t *testing.T) {
	p := (&Row{Model: "m", Input: 3, Output: 15, CachedInput: f(0.30), CacheWrite: f(3.75), Reasoning: f(20)}).price()
	// 1000 input of which 600 cached reads and 100 cache writes; 500 output of which 200 reasoning.
	got := p.Cost(Usage{Input: 1000, CachedInput: 600, CacheWrite: 100, Output: 500, Reasoning: 200})
	want := (300*3 + 600*0.30 + 100*3.75 + 300*15 + 200*20) / 1e6
	assert.InDelta(t, want, got, 1e-15)

	// Without cached / reasoning prices they are charged like input / output,
	// never twice.
	q := (&Row{Model: "m", Input: 2, Output: 8}).price()
	assert.InDelta(t, (1000*2+500*8)/1e6, q.Cost(Usage{Input: 1000, CachedInput: 600, Output: 500, Reasoning: 200}), 1e-15)

	// Inconsistent counts (more cached than input) are clamped, never negative.
	assert.InDelta(t, (100*0.30+10*15)/1e6, p.Cost(Usage{Input: 100, CachedInput: 500, Output: 10, Reasoning: -3}), 1e-15)
	assert.Zero(t, p.Cost(Usage{}))
}

// Cache-creation (write) tokens are part of Input, as the semantic conventions
// count them: charged once, at the cache_write price (default: the input price).
func TestCostCacheWrite(t *testing.T) {
	p := (&Row{Model: "m", Input: 3, Output: 15, CachedInput: f(0.30), CacheWrite: f(3.75)}).price()
	for _, tc := range []struct {
		name  string
		usage Usage
		want  float64 // USD
	}{
		// 600 uncached at 3 + 400 written at 3.75, not 1000 at 3 + 400 at 3.75.
		{"writes only", Usage{Input: 1000, CacheWrite: 400}, (600*3 + 400*3.75) / 1e6},
		{"every input token a write", Usage{Input: 1000, CacheWrite: 1000, Output: 10}, (1000*3.75 + 10*15) / 1e6},
		{"reads and writes", Usage{Input: 1000, CachedInput: 300, CacheWrite: 500}, (200*3 + 300*0.30 + 500*3.75) / 1e6},
		// Inconsistent counts: reads are taken first, writes get what is left of Input.
		{"more reads and writes than input", Usage{Input: 1000, CachedInput: 700, CacheWrite: 500}, (700*0.30 + 300*3.75) / 1e6},
		{"more writes than input", Usage{Input: 100, CacheWrite: 500}, 100 * 3.75 / 1e6},
		{"negative writes count as none", Usage{Input: 100, CacheWrite: -5}, 100 * 3 / 1e6},
		{"writes without input", Usage{CacheWrite: 500, Output: 1}, 15 / 1e6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, tc.want, p.Cost(tc.usage), 1e-15)
		})
	}

	// Without a cache_write price a write costs exactly an input token.
	q := (&Row{Model: "m", Input: 2, Output: 8}).price()
	assert.InDelta(t, 1000*2/1e6, q.Cost(Usage{Input: 1000, CacheWrite: 400}), 1e-15)

	// The shipped Anthropic rows: claude-sonnet-4-5 reads at 0.30, writes at 3.75.
	tbl, err := NewTable(DefaultRows())
	require.NoError(t, err)
	price, ok := tbl.Lookup("anthropic", "claude-sonnet-4-5-20250929")
	require.True(t, ok)
	assert.InDelta(t, (2000*3+2000*0.30+6000*3.75+500*15)/1e6,
		price.Cost(Usage{Input: 10000, CachedInput: 2000, CacheWrite: 6000, Output: 500}), 1e-15)
}

func TestParseErrorsNameLineAndField(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"bad regex", "models:\n  - {regex: '(', input: 1, output: 1}\n", `prices.yaml:2: models[0]: regex: "(" does not compile`},
		{"two matchers", "models:\n  - {model: a, prefix: b, input: 1, output: 1}\n", `prices.yaml:2: models[0]: exactly one of model, prefix and regex must be set`},
		{"negative price", "models:\n  - model: a\n    input: -1\n    output: 1\n", `prices.yaml:2: models[0]: input: -1 must be a price`},
		{"not a number", "models:\n  - model: a\n    input: cheap\n    output: 1\n", `prices.yaml:2: models[0]: line 3: input: "cheap" is not valid`},
		{"unknown field", "models:\n  - model: a\n    inptu: 1\n    output: 1\n", `prices.yaml:2: models[0]: line 3: unknown field "inptu"`},
		{"missing output", "models:\n  - model: a\n    input: 1\n", `prices.yaml:2: models[0]: input and output prices are required`},
		{"unknown top key", "prices:\n  - model: a\n", `prices.yaml:1: unknown key "prices"`},
		{"empty", "", `prices.yaml: empty file`},
		{"bad yaml", "models: [\n", `prices.yaml: yaml:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "prices.yaml")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestPricerReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prices.yaml")
	require.NoError(t, os.WriteFile(path, []byte("models:\n  - {model: my-model, input: 1, output: 2}\n"), 0o600))
	core, logs := observer.New(zap.InfoLevel)
	p, err := NewPricer(Settings{Defaults: true, File: path, Inline: []Row{{Model: "inline-model", Input: 9, Output: 9}}}, zap.New(core))
	require.NoError(t, err)
	v0 := p.Version()

	price, ok := p.Table().Lookup("openai", "my-model")
	require.True(t, ok)
	assert.InDelta(t, 1e-6, price.Input, 1e-18)
	_, ok = p.Table().Lookup("openai", "gpt-4o") // defaults still there
	assert.True(t, ok)
	_, ok = p.Table().Lookup("x", "inline-model")
	assert.True(t, ok)

	// A changed file is installed.
	require.NoError(t, os.WriteFile(path, []byte("models:\n  - {model: my-model, input: 4, output: 2}\n"), 0o600))
	assert.True(t, p.Reload())
	assert.Greater(t, p.Version(), v0)
	price, _ = p.Table().Lookup("openai", "my-model")
	assert.InDelta(t, 4e-6, price.Input, 1e-18)

	// A bad file keeps the last good table and logs the line and field.
	v1 := p.Version()
	require.NoError(t, os.WriteFile(path, []byte("models:\n  - {model: my-model, input: 5}\n  - {regex: '[', input: 1, output: 1}\n"), 0o600))
	assert.False(t, p.Reload())
	assert.Equal(t, v1, p.Version())
	price, _ = p.Table().Lookup("openai", "my-model")
	assert.InDelta(t, 4e-6, price.Input, 1e-18)
	entries := logs.FilterMessage("price file is invalid; keeping the last good table").All()
	require.Len(t, entries, 1)
	assert.Contains(t, entries[0].ContextMap()["error"], "prices.yaml:2: models[0]: input and output prices are required")

	// A missing file too.
	require.NoError(t, os.Remove(path))
	assert.False(t, p.Reload())
	assert.Equal(t, v1, p.Version())
}

func TestPricerWatchesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prices.yaml")
	require.NoError(t, os.WriteFile(path, []byte("models:\n  - {model: m, input: 1, output: 1}\n"), 0o600))
	p, err := NewPricer(Settings{File: path, ReloadInterval: 10 * time.Millisecond}, zap.NewNop())
	require.NoError(t, err)
	p.Start()
	defer p.Stop()
	require.NoError(t, os.WriteFile(path, []byte("models:\n  - {model: m, input: 7, output: 1}\n"), 0o600))
	require.Eventually(t, func() bool {
		price, ok := p.Table().Lookup("", "m")
		return ok && price.Input == 7e-6
	}, 5*time.Second, 10*time.Millisecond)
}

func TestNewPricerFailsOnBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prices.yaml")
	require.NoError(t, os.WriteFile(path, []byte("models:\n  - {model: m, input: 1, output: .nan}\n"), 0o600))
	_, err := NewPricer(Settings{File: path}, zap.NewNop())
	require.ErrorContains(t, err, "pricing::file: "+path+":2: models[0]: output: NaN must be a price")
	_, err = NewPricer(Settings{File: filepath.Join(t.TempDir(), "missing.yaml")}, zap.NewNop())
	require.ErrorContains(t, err, "pricing::file: open")
}

// day returns the Unix nanoseconds of a UTC date and time.
func day(y int, m time.Month, d, h int) int64 {
	return time.Date(y, m, d, h, 0, 0, 0, time.UTC).UnixNano()
}

// Rows with the same matcher are dated versions of one price: a call is
// priced by the version in effect at its time; before every effective_from
// of a matcher the next matching row prices it, as if the matcher's rows did
// not exist.
func TestEffectiveFrom(t *testing.T) {
	rows, err := Parse([]byte(`models:
  - {model: gpt-x, provider: openai, input: 2, output: 8}                              # undated: always
  - {model: gpt-x, provider: openai, input: 1, output: 4, effective_from: 2026-03-01}  # unquoted date
  - {model: gpt-x, provider: openai, input: 9, output: 9, effective_from: "2026-03-01"} # same day: the first counts
  - {model: gpt-x, provider: openai, input: 0.5, output: 2, effective_from: "2026-06-15"}
  - {model: new-y, input: 3, output: 6, effective_from: "2026-04-01"}                  # only dated rows
  - {model: new-y, input: 4, output: 6, effective_from: "2026-05-01"}
  - {prefix: new-, input: 10, output: 10, effective_from: "2026-04-15"}                # the next matching rule
  - {regex: '^new-', input: 20, output: 20}                                            # and the one after
`), "prices.yaml")
	require.NoError(t, err)
	require.Equal(t, "2026-03-01", rows[1].EffectiveFrom)
	tbl, err := NewTable(rows)
	require.NoError(t, err)
	inputAt := func(provider, model string, at int64) float64 {
		p := tbl.Schedule(provider, model).At(at)
		if p == nil {
			return -1
		}
		return p.Input * 1e6
	}
	for _, tc := range []struct {
		name, provider, model string
		at                    int64
		input                 float64 // USD per million; -1: unpriced
	}{
		{"before every date: the undated row", "openai", "gpt-x", day(2026, 2, 28, 23), 2},
		{"from the first second of the day (UTC)", "openai", "gpt-x", day(2026, 3, 1, 0), 1},
		{"between two dates", "openai", "gpt-x", day(2026, 6, 14, 23), 1},
		{"from the later date", "openai", "gpt-x", day(2026, 6, 15, 0), 0.5},
		{"long after", "openai", "gpt-x", day(2030, 1, 1, 0), 0.5},
		{"a dated snapshot name follows its family", "openai", "gpt-x-2026-01-01", day(2026, 3, 2, 0), 1},
		{"another provider: no row", "azure", "gpt-x", day(2026, 3, 2, 0), -1},
		{"before the first date: the regex row (the prefix is not in effect either)", "", "new-y", day(2026, 3, 31, 23), 20},
		{"the first version", "", "new-y", day(2026, 4, 1, 0), 3},
		{"still the model row, though the prefix row is in effect", "", "new-y", day(2026, 4, 20, 0), 3},
		{"the second version", "", "new-y", day(2026, 5, 1, 0), 4},
		{"another model of the prefix, before its date", "", "new-z", day(2026, 4, 14, 23), 20},
		{"another model of the prefix, from its date", "", "new-z", day(2026, 4, 15, 0), 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, tc.input, inputAt(tc.provider, tc.model, tc.at), 1e-9)
		})
	}

	// A matcher with only dated rows and nothing behind it: unpriced before.
	only, err := NewTable([]Row{{Model: "m", Input: 1, Output: 1, EffectiveFrom: "2026-03-01"}})
	require.NoError(t, err)
	s := only.Schedule("", "m")
	assert.Nil(t, s.At(day(2026, 2, 28, 23)))
	assert.InDelta(t, 1e-6, s.At(day(2026, 3, 1, 0)).Input, 1e-18)
	assert.True(t, s.Dated())
	assert.False(t, tbl.Schedule("openai", "gpt-x-mini").Dated(), "no row: nil, not dated")

	// Layers: a dated inline row not yet in effect falls to the file's row.
	layered, err := NewTable(
		[]Row{{Model: "m", Input: 5, Output: 5, EffectiveFrom: "2026-03-01"}},
		[]Row{{Model: "m", Input: 1, Output: 1}},
	)
	require.NoError(t, err)
	ls := layered.Schedule("", "m")
	assert.InDelta(t, 1e-6, ls.At(day(2026, 2, 1, 0)).Input, 1e-18)
	assert.InDelta(t, 5e-6, ls.At(day(2026, 3, 1, 0)).Input, 1e-18)
	// Undated rows only: one step, in effect from the beginning.
	assert.False(t, layered.Schedule("", "other").Dated())
	plain, err := NewTable([]Row{{Model: "m", Input: 1, Output: 1}})
	require.NoError(t, err)
	assert.False(t, plain.Schedule("", "m").Dated())
	assert.InDelta(t, 1e-6, plain.Schedule("", "m").At(0).Input, 1e-18)
}

func TestEffectiveFromErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{
			"month 13", "models:\n  - {model: a, input: 1, output: 1}\n  - {model: a, input: 1, output: 1}\n  - {model: a, input: 1, output: 1, effective_from: \"2026-13-01\"}\n",
			`prices.yaml:4: models[2]: effective_from: "2026-13-01" is not a date (YYYY-MM-DD, UTC)`,
		},
		{
			"a time", "models:\n  - {model: a, input: 1, output: 1, effective_from: 2026-03-01T10:00:00Z}\n",
			`prices.yaml:2: models[0]: effective_from: "2026-03-01T10:00:00Z" is not a date (YYYY-MM-DD, UTC)`,
		},
		{
			"out of range", "models:\n  - {model: a, input: 1, output: 1, effective_from: \"9999-01-01\"}\n",
			`prices.yaml:2: models[0]: effective_from: "9999-01-01" must be in the years 1970 to 2200`,
		},
		{
			"not a scalar", "models:\n  - {model: a, input: 1, output: 1, effective_from: [2026]}\n",
			`prices.yaml:2: models[0]: line 2: effective_from: "" is not valid: expected a date (YYYY-MM-DD)`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "prices.yaml")
			require.EqualError(t, err, tc.want)
		})
	}
	err := Config{Models: []Row{{Model: "a", Input: 1, Output: 1}, {Model: "a", Input: 1, Output: 1}, {Model: "a", Input: 1, Output: 1, EffectiveFrom: "2026-13-01"}}}.Check()
	require.EqualError(t, err, `models[2]: effective_from: "2026-13-01" is not a date (YYYY-MM-DD, UTC)`)
}

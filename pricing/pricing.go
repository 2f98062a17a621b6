// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package pricing holds the model price tables of otelcol-llm: the shipped
// default table (default.yaml), user tables and inline rows, how a row matches
// a model, and what a call costs.
package pricing // import "github.com/otelcol-llm/otelcol-llm/pricing"

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultRows returns the rows of the shipped default table.
func DefaultRows() []Row {
	rows, err := Parse(defaultYAML, "default.yaml")
	if err != nil {
		// The file is embedded and tested: a parse error is a build defect.
		panic(err)
	}
	return rows
}

// perMillion converts a price per million tokens into a price per token.
const perMillion = 1e6

// maxPrice bounds a price per million tokens; anything above is a typo.
const maxPrice = 1e6

// Row is one price row. Exactly one of Model, Prefix and Regex is set.
type Row struct {
	Model    string `mapstructure:"model"`    // exact model name (case-insensitive); dated variants match too
	Prefix   string `mapstructure:"prefix"`   // model name prefix (case-insensitive)
	Regex    string `mapstructure:"regex"`    // regular expression on the model name
	Provider string `mapstructure:"provider"` // only for this provider (normalized gen_ai.provider.name); empty: any

	// USD per million tokens.
	Input       float64  `mapstructure:"input"`
	Output      float64  `mapstructure:"output"`
	CachedInput *float64 `mapstructure:"cached_input"` // prompt-cache read; default Input
	CacheWrite  *float64 `mapstructure:"cache_write"`  // prompt-cache creation; default Input
	Reasoning   *float64 `mapstructure:"reasoning"`    // reasoning output tokens; default Output

	// EffectiveFrom (YYYY-MM-DD, UTC; optional) is the day from which the
	// row's prices apply: see Table.
	EffectiveFrom string `mapstructure:"effective_from"`

	re   *regexp.Regexp
	from int64 // EffectiveFrom in Unix nanoseconds; Always when not set
}

// Always is the effective time of a row without effective_from: before any call.
const Always = math.MinInt64

// dateLayout is the layout of effective_from; its years are bounded so that
// the time fits Unix nanoseconds.
const (
	dateLayout = "2006-01-02"
	minYear    = 1970
	maxYear    = 2200
)

// Unmarshal reads a row of the collector's configuration. The collector's
// YAML reads an unquoted date (effective_from: 2026-03-01) as a timestamp:
// it is turned back into its text (a timestamp with a time of day into a
// text Check refuses), so quoted and unquoted dates read the same.
func (r *Row) Unmarshal(conf *confmap.Conf) error {
	if t, ok := conf.Get("effective_from").(time.Time); ok {
		text := t.Format(time.RFC3339Nano)
		if t.Location() == time.UTC && t.Equal(t.Truncate(24*time.Hour)) {
			text = t.Format(dateLayout)
		}
		if err := conf.Merge(confmap.NewFromStringMap(map[string]any{"effective_from": text})); err != nil {
			return err
		}
	}
	return conf.Unmarshal(r)
}

// Check checks one row; the error names the field and the value. (Not named
// Validate: see Config.Check.)
func (r *Row) Check() error {
	n := 0
	for _, s := range []string{r.Model, r.Prefix, r.Regex} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("exactly one of model, prefix and regex must be set (model %q, prefix %q, regex %q)", r.Model, r.Prefix, r.Regex)
	}
	if r.Regex != "" {
		re, err := regexp.Compile(r.Regex)
		if err != nil {
			return fmt.Errorf("regex: %q does not compile: %w", r.Regex, err)
		}
		r.re = re
	}
	r.from = Always
	if r.EffectiveFrom != "" {
		d, err := time.ParseInLocation(dateLayout, r.EffectiveFrom, time.UTC)
		if err != nil {
			return fmt.Errorf("effective_from: %q is not a date (YYYY-MM-DD, UTC)", r.EffectiveFrom)
		}
		if d.Year() < minYear || d.Year() > maxYear {
			return fmt.Errorf("effective_from: %q must be in the years %d to %d", r.EffectiveFrom, minYear, maxYear)
		}
		r.from = d.UnixNano()
	}
	check := func(field string, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > maxPrice {
			return fmt.Errorf("%s: %v must be a price in USD per million tokens between 0 and %v", field, v, maxPrice)
		}
		return nil
	}
	errs := []error{check("input", r.Input), check("output", r.Output)}
	for _, p := range []struct {
		name string
		v    *float64
	}{{"cached_input", r.CachedInput}, {"cache_write", r.CacheWrite}, {"reasoning", r.Reasoning}} {
		if p.v != nil {
			errs = append(errs, check(p.name, *p.v))
		}
	}
	return errors.Join(errs...)
}

// Price is what one model costs, per token.
type Price struct {
	Input, Output, CachedInput, CacheWrite, Reasoning float64
}

func (r *Row) price() *Price {
	p := &Price{
		Input: r.Input / perMillion, Output: r.Output / perMillion,
		CachedInput: r.Input / perMillion, CacheWrite: r.Input / perMillion, Reasoning: r.Output / perMillion,
	}
	if r.CachedInput != nil {
		p.CachedInput = *r.CachedInput / perMillion
	}
	if r.CacheWrite != nil {
		p.CacheWrite = *r.CacheWrite / perMillion
	}
	if r.Reasoning != nil {
		p.Reasoning = *r.Reasoning / perMillion
	}
	return p
}

// Usage is the token usage of one call, as the GenAI semantic conventions
// count it: cached and cache-creation tokens are part of Input, reasoning
// tokens part of Output.
type Usage struct {
	Input, Output, CachedInput, CacheWrite, Reasoning int64
}

// Cost returns the cost of usage in USD. Cached and cache-creation input
// tokens are charged at their own price and not again at the input price;
// reasoning tokens at the reasoning price and not again at the output price.
func (p *Price) Cost(u Usage) float64 {
	cached := clamp(u.CachedInput, u.Input)
	write := clamp(u.CacheWrite, u.Input-cached)
	reasoning := clamp(u.Reasoning, u.Output)
	return float64(u.Input-cached-write)*p.Input +
		float64(cached)*p.CachedInput +
		float64(write)*p.CacheWrite +
		float64(u.Output-reasoning)*p.Output +
		float64(reasoning)*p.Reasoning
}

func clamp(v, hi int64) int64 {
	if v < 0 {
		return 0
	}
	if v > hi {
		return max(hi, 0)
	}
	return v
}

// Table matches models to prices. Layers are searched in order (inline rows,
// then the user file, then the defaults); the first layer with a matching row
// answers. It is immutable and safe for concurrent use.
//
// Rows of one layer with the same matcher (the same model, prefix or regex,
// and provider) are the dated versions of one price: a call is priced by the
// version in effect at its time (the latest effective_from not after it; a
// row without effective_from is in effect from the beginning). A call before
// every effective_from of its matcher skips that matcher, as if its rows did
// not exist: the next matching row (in precedence order, then the next
// layers) prices it, or none does. Two versions with the same effective_from:
// the first counts.
type Table struct {
	layers []layer
}

type layer struct {
	exact    map[string][]*entry // lower-case model name → rows, provider-specific first
	prefixes []*entry            // longest prefix first, provider-specific first
	regexes  []*entry            // file order, provider-specific first
}

// entry is one matcher of a layer and its dated versions.
type entry struct {
	row      *Row   // the first row of the matcher
	key      string // lower-case model or prefix
	versions []version
}

// version is a price and the time from which it applies.
type version struct {
	from  int64 // Unix nanoseconds; Always: from the beginning
	price *Price
}

// matcher identifies the rows that are versions of one entry.
type matcher struct {
	kind          byte // 'm'odel, 'p'refix, 'r'egex
	key, provider string
}

// first returns the time from which e applies at all.
func (e *entry) first() int64 { return e.versions[0].from }

// at returns the version of e in effect at t, nil before its first.
func (e *entry) at(t int64) *Price {
	i := sort.Search(len(e.versions), func(i int) bool { return e.versions[i].from > t })
	if i == 0 {
		return nil
	}
	return e.versions[i-1].price
}

// NewTable builds a table from validated rows, one slice per layer, highest
// precedence first. It validates rows that were not validated yet.
func NewTable(layers ...[]Row) (*Table, error) {
	t := &Table{}
	for li, rows := range layers {
		l := layer{exact: map[string][]*entry{}}
		byMatcher := map[matcher]*entry{}
		for i := range rows {
			r := rows[i]
			if err := r.Check(); err != nil {
				return nil, fmt.Errorf("layer %d, row %d: %w", li, i, err)
			}
			m := matcher{kind: 'r', key: r.Regex, provider: strings.ToLower(r.Provider)}
			switch {
			case r.Model != "":
				m.kind, m.key = 'm', strings.ToLower(r.Model)
			case r.Prefix != "":
				m.kind, m.key = 'p', strings.ToLower(r.Prefix)
			}
			v := version{from: r.from, price: r.price()}
			if e := byMatcher[m]; e != nil {
				e.versions = append(e.versions, v)
				continue
			}
			e := &entry{row: &r, versions: []version{v}}
			byMatcher[m] = e
			switch m.kind {
			case 'm':
				e.key = m.key
				l.exact[e.key] = append(l.exact[e.key], e)
			case 'p':
				e.key = m.key
				l.prefixes = append(l.prefixes, e)
			default:
				l.regexes = append(l.regexes, e)
			}
		}
		for _, e := range byMatcher {
			// Sorted by time; of equal times the first row stays.
			slices.SortStableFunc(e.versions, func(a, b version) int { return cmp.Compare(a.from, b.from) })
			e.versions = slices.CompactFunc(e.versions, func(a, b version) bool { return a.from == b.from })
		}
		for _, es := range l.exact {
			sort.SliceStable(es, func(i, j int) bool { return es[i].row.Provider != "" && es[j].row.Provider == "" })
		}
		sort.SliceStable(l.prefixes, func(i, j int) bool {
			a, b := l.prefixes[i], l.prefixes[j]
			if len(a.key) != len(b.key) {
				return len(a.key) > len(b.key)
			}
			return a.row.Provider != "" && b.row.Provider == ""
		})
		sort.SliceStable(l.regexes, func(i, j int) bool {
			return l.regexes[i].row.Provider != "" && l.regexes[j].row.Provider == ""
		})
		t.layers = append(t.layers, l)
	}
	return t, nil
}

// datedSuffix matches the date a provider appends to a model snapshot name:
// gpt-4o-2024-08-06, claude-sonnet-4-5-20250929, claude-sonnet-4-5@20250929.
var datedSuffix = regexp.MustCompile(`[-@](\d{4}-\d{2}-\d{2}|\d{8})$`)

// Lookup returns the price of model for provider (both as the span names them;
// provider normalized) in effect now, or false when no row matches.
func (t *Table) Lookup(provider, model string) (*Price, bool) {
	p := t.Schedule(provider, model).At(time.Now().UnixNano())
	return p, p != nil
}

// Schedule returns the prices of model for provider over time (nil when no
// row matches at any time): the rows that match, in precedence order, up to
// and including the first one in effect from the beginning (the rows after it
// never price a call), resolved into steps.
func (t *Table) Schedule(provider, model string) *Schedule {
	if model == "" {
		return nil
	}
	lower := strings.ToLower(model)
	undated := datedSuffix.ReplaceAllString(lower, "")
	var chain []*entry
	for i := range t.layers {
		if t.layers[i].match(provider, model, lower, undated, &chain) {
			break
		}
	}
	switch {
	case len(chain) == 0:
		return nil
	case len(chain) == 1 && len(chain[0].versions) == 1:
		return &Schedule{steps: []step{{from: chain[0].first(), price: chain[0].versions[0].price}}}
	}
	var times []int64
	for _, e := range chain {
		for _, v := range e.versions {
			times = append(times, v.from)
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	s := &Schedule{}
	for _, at := range times {
		var p *Price
		for _, e := range chain {
			if p = e.at(at); p != nil {
				break
			}
		}
		if n := len(s.steps); n > 0 && s.steps[n-1].price == p {
			continue
		}
		if p == nil && len(s.steps) == 0 {
			continue // unpriced until the first step
		}
		s.steps = append(s.steps, step{from: at, price: p})
	}
	return s
}

// Schedule is the price of one (provider, model) over time: steps sorted by
// the time from which they apply; before the first, and in a step without a
// price, the model is unpriced. Immutable.
type Schedule struct {
	steps []step
}

type step struct {
	from  int64
	price *Price // nil: unpriced from here
}

// At returns the price in effect at t (Unix nanoseconds), nil when none is.
// A nil Schedule prices nothing.
func (s *Schedule) At(t int64) *Price {
	if s == nil {
		return nil
	}
	if len(s.steps) == 1 { // the usual case: one undated price
		if t < s.steps[0].from {
			return nil
		}
		return s.steps[0].price
	}
	i := sort.Search(len(s.steps), func(i int) bool { return s.steps[i].from > t })
	if i == 0 {
		return nil
	}
	return s.steps[i-1].price
}

// Dated reports whether the price depends on the time (more than one step, or
// one that does not apply from the beginning).
func (s *Schedule) Dated() bool {
	return s != nil && (len(s.steps) > 1 || s.steps[0].from != Always)
}

func providerOK(e *entry, provider string) bool {
	return e.row.Provider == "" || strings.EqualFold(e.row.Provider, provider)
}

// match appends the entries of l that match, in precedence order, to chain
// and reports whether the last one is in effect from the beginning (no later
// entry can then price a call).
func (l *layer) match(provider, model, lower, undated string, chain *[]*entry) bool {
	add := func(e *entry) bool {
		*chain = append(*chain, e)
		return e.first() == Always
	}
	for i, name := range []string{lower, undated} {
		if i == 1 && name == lower {
			break // no dated suffix: the same rows again
		}
		for _, e := range l.exact[name] {
			if providerOK(e, provider) && add(e) {
				return true
			}
		}
	}
	for _, e := range l.prefixes {
		if strings.HasPrefix(lower, e.key) && providerOK(e, provider) && add(e) {
			return true
		}
	}
	for _, e := range l.regexes {
		if providerOK(e, provider) && e.row.re.MatchString(model) && add(e) {
			return true
		}
	}
	return false
}

// Parse reads a price file: a YAML document with a `models` list of rows.
// Errors name the source, the line, the field and the value.
func Parse(data []byte, source string) ([]Row, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty file: expected a `models:` list", source)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: expected a mapping with a `models:` list", source, root.Line)
	}
	var models *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Value != "models" {
			return nil, fmt.Errorf("%s:%d: unknown key %q (expected `models`)", source, k.Line, k.Value)
		}
		models = root.Content[i+1]
	}
	if models == nil || models.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: `models` must be a list of rows", source, root.Line)
	}
	rows := make([]Row, 0, len(models.Content))
	for i, n := range models.Content {
		r, err := parseRow(n)
		if err == nil {
			err = r.Check()
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: models[%d]: %w", source, n.Line, i, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func parseRow(n *yaml.Node) (Row, error) {
	var r Row
	if n.Kind != yaml.MappingNode {
		return r, errors.New("a row must be a mapping (model/prefix/regex, provider, input, output …)")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "model":
			err = v.Decode(&r.Model)
		case "prefix":
			err = v.Decode(&r.Prefix)
		case "regex":
			err = v.Decode(&r.Regex)
		case "provider":
			err = v.Decode(&r.Provider)
		case "input":
			err = v.Decode(&r.Input)
		case "output":
			err = v.Decode(&r.Output)
		case "cached_input":
			r.CachedInput = new(float64)
			err = v.Decode(r.CachedInput)
		case "cache_write":
			r.CacheWrite = new(float64)
			err = v.Decode(r.CacheWrite)
		case "reasoning":
			r.Reasoning = new(float64)
			err = v.Decode(r.Reasoning)
		case "effective_from":
			// An unquoted date is a YAML timestamp: read its text.
			if v.Kind != yaml.ScalarNode {
				err = errors.New("expected a date (YYYY-MM-DD)")
			} else {
				r.EffectiveFrom = v.Value
			}
		default:
			return r, fmt.Errorf("line %d: unknown field %q", k.Line, k.Value)
		}
		if err != nil {
			return r, fmt.Errorf("line %d: %s: %q is not valid: %w", v.Line, k.Value, v.Value, err)
		}
	}
	if !hasKey(n, "input") || !hasKey(n, "output") {
		return r, errors.New("input and output prices are required")
	}
	return r, nil
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

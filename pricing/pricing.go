// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package pricing holds the model price tables of otelcol-llm: the shipped
// default table (default.yaml), user tables and inline rows, how a row matches
// a model, and what a call costs.
package pricing // import "github.com/otelcol-llm/otelcol-llm/pricing"

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

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

	re *regexp.Regexp
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
type Table struct {
	layers []layer
}

type layer struct {
	exact    map[string][]*entry // lower-case model name → rows, provider-specific first
	prefixes []*entry            // longest prefix first, provider-specific first
	regexes  []*entry            // file order, provider-specific first
}

type entry struct {
	row   *Row
	key   string // lower-case model or prefix
	price *Price
}

// NewTable builds a table from validated rows, one slice per layer, highest
// precedence first. It validates rows that were not validated yet.
func NewTable(layers ...[]Row) (*Table, error) {
	t := &Table{}
	for li, rows := range layers {
		l := layer{exact: map[string][]*entry{}}
		for i := range rows {
			r := rows[i]
			if err := r.Check(); err != nil {
				return nil, fmt.Errorf("layer %d, row %d: %w", li, i, err)
			}
			e := &entry{row: &r, price: r.price()}
			switch {
			case r.Model != "":
				e.key = strings.ToLower(r.Model)
				l.exact[e.key] = append(l.exact[e.key], e)
			case r.Prefix != "":
				e.key = strings.ToLower(r.Prefix)
				l.prefixes = append(l.prefixes, e)
			default:
				l.regexes = append(l.regexes, e)
			}
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
// provider normalized), or false when no row matches.
func (t *Table) Lookup(provider, model string) (*Price, bool) {
	if model == "" {
		return nil, false
	}
	lower := strings.ToLower(model)
	undated := datedSuffix.ReplaceAllString(lower, "")
	for i := range t.layers {
		if e := t.layers[i].match(provider, model, lower, undated); e != nil {
			return e.price, true
		}
	}
	return nil, false
}

func providerOK(e *entry, provider string) bool {
	return e.row.Provider == "" || strings.EqualFold(e.row.Provider, provider)
}

func (l *layer) match(provider, model, lower, undated string) *entry {
	for _, name := range []string{lower, undated} {
		for _, e := range l.exact[name] {
			if providerOK(e, provider) {
				return e
			}
		}
	}
	for _, e := range l.prefixes {
		if strings.HasPrefix(lower, e.key) && providerOK(e, provider) {
			return e
		}
	}
	for _, e := range l.regexes {
		if providerOK(e, provider) && e.row.re.MatchString(model) {
			return e
		}
	}
	return nil
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

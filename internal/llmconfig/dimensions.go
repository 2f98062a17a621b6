// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmconfig // import "github.com/otelcol-llm/otelcol-llm/internal/llmconfig"

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/labelvalue"
)

// Dimension is one configured label beside model and template: its value
// comes from attributes (span first, then resource, in key order) or from a
// built-in source (the call's provider or operation). In a configuration an
// entry is a map with the fields below, or the name of a preset (Presets):
//
//	dimensions:
//	  - service                 # preset
//	  - label: team
//	    attributes: [team, service.namespace]
//	    default: unknown
//	    max_values: 50
type Dimension struct {
	// Label is the Prometheus label name.
	Label string `mapstructure:"label"`
	// Attributes are the attribute keys read, in order, on the span then on
	// the resource; the first non-empty value wins.
	Attributes []string `mapstructure:"attributes"`
	// Source is a built-in source instead of attributes: provider (the
	// normalized provider: openai, azure.ai.openai, aws.bedrock, anthropic,
	// gcp.vertex_ai …) or operation (chat, embeddings, text_completion,
	// generate_content).
	Source string `mapstructure:"source"`
	// Default is the value of a call without one ("unknown" when empty).
	// Like "other", it takes no slot under MaxValues.
	Default string `mapstructure:"default"`
	// MaxValues caps the distinct values (DefaultMaxValues when 0); past it
	// a new value is reported as "other".
	MaxValues int `mapstructure:"max_values"`
	// IdleTimeout, when set, removes a series that has not been updated for
	// that long from /metrics and frees its values' slots under the caps.
	IdleTimeout time.Duration `mapstructure:"idle_timeout"`
}

// Built-in dimension sources.
const (
	SourceProvider  = "provider"
	SourceOperation = "operation"
)

const (
	// DefaultDimensionValue is the value of a call without one when the
	// dimension sets no default.
	DefaultDimensionValue = "unknown"
	// DefaultMaxValues caps a dimension that sets no max_values.
	DefaultMaxValues = 100
	// MaxDimensionValues bounds max_values.
	MaxDimensionValues = 100_000
	// OverflowValue is the value past a cap (reserved).
	OverflowValue = "other"
	// MinIdleTimeout bounds idle_timeout from below.
	MinIdleTimeout = time.Second
	// DimensionKeyPrefix prefixes the attribute key the llm processor
	// writes a dimension's value under: llm.dimension.<label>.
	DimensionKeyPrefix = "llm.dimension."
)

// Presets are the dimensions a configuration can name by a string.
func Presets() map[string]Dimension {
	return map[string]Dimension{
		"service":   {Label: "service", Attributes: []string{"service.name"}, Default: "unknown", MaxValues: 50},
		"provider":  {Label: "provider", Source: SourceProvider, Default: "unknown", MaxValues: 20},
		"operation": {Label: "operation", Source: SourceOperation, Default: "unknown", MaxValues: 10},
		"tenant": {
			Label: "tenant", Attributes: []string{"tenant.id", "enduser.id", "user.id"},
			Default: "none", MaxValues: 1000, IdleTimeout: time.Hour,
		},
	}
}

// UnmarshalText reads a preset name (a string entry of dimensions).
func (d *Dimension) UnmarshalText(text []byte) error {
	p, ok := Presets()[string(text)]
	if !ok {
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range Presets() {
				if !yield(n) {
					return
				}
			}
		})
		return fmt.Errorf("%q is not a dimension preset (%s); give a map with label and attributes or source instead", text, strings.Join(names, ", "))
	}
	*d = p
	return nil
}

// DefaultValue is the value of a call without one.
func (d Dimension) DefaultValue() string {
	if d.Default == "" {
		return DefaultDimensionValue
	}
	return d.Default
}

// Cap is the cap on distinct values.
func (d Dimension) Cap() int {
	if d.MaxValues == 0 {
		return DefaultMaxValues
	}
	return d.MaxValues
}

// reservedLabels are the labels the llm_* families and Prometheus' own
// target labels use.
var reservedLabels = []string{
	"model", "template", "status", "reason", "le", "quantile",
	"budget", "period", "window", "job", "instance",
}

// ReservedLabels returns the label names a dimension cannot take.
func ReservedLabels() []string { return slices.Clone(reservedLabels) }

// checkDimensions checks the dimensions; every message names the field and
// the value.
func checkDimensions(dims []Dimension) error {
	var errs []error
	if len(dims) > genai.MaxDimensions {
		errs = append(errs, fmt.Errorf("dimensions: %d entries, at most %d", len(dims), genai.MaxDimensions))
	}
	seen := map[string]int{}
	for i, d := range dims {
		field := fmt.Sprintf("dimensions[%d]", i)
		switch {
		case d.Label == "":
			errs = append(errs, fmt.Errorf("%s::label: %q must not be empty", field, d.Label))
		case !validLabelName(d.Label):
			errs = append(errs, fmt.Errorf("%s::label: %q is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)", field, d.Label))
		case slices.Contains(reservedLabels, d.Label):
			errs = append(errs, fmt.Errorf("%s::label: %q clashes with a built-in label (%s)", field, d.Label, strings.Join(reservedLabels, ", ")))
		default:
			if j, dup := seen[d.Label]; dup {
				errs = append(errs, fmt.Errorf("%s::label: %q is already the label of dimensions[%d]", field, d.Label, j))
			}
			seen[d.Label] = i
		}
		switch d.Source {
		case "":
			if len(d.Attributes) == 0 {
				errs = append(errs, fmt.Errorf("%s::attributes: %v must list at least one attribute key (or set source: provider | operation)", field, d.Attributes))
			}
			for j, k := range d.Attributes {
				if k == "" {
					errs = append(errs, fmt.Errorf("%s::attributes[%d]: %q must not be empty", field, j, k))
				}
			}
		case SourceProvider, SourceOperation:
			if len(d.Attributes) != 0 {
				errs = append(errs, fmt.Errorf("%s::attributes: %v cannot be set with source %q", field, d.Attributes, d.Source))
			}
		default:
			errs = append(errs, fmt.Errorf("%s::source: %q is not a built-in source (provider, operation)", field, d.Source))
		}
		switch def := d.Default; {
		case def == OverflowValue:
			errs = append(errs, fmt.Errorf("%s::default: %q is the reserved value past a cap", field, def))
		case !utf8.ValidString(def) || len(def) > labelvalue.DefaultMaxLength:
			errs = append(errs, fmt.Errorf("%s::default: %q must be valid UTF-8 of at most %d bytes", field, def, labelvalue.DefaultMaxLength))
		}
		if n := d.MaxValues; n < 0 || n > MaxDimensionValues {
			errs = append(errs, fmt.Errorf("%s::max_values: %d must be between 1 and %d (0: %d)", field, n, MaxDimensionValues, DefaultMaxValues))
		}
		if t := d.IdleTimeout; t != 0 && t < MinIdleTimeout {
			errs = append(errs, fmt.Errorf("%s::idle_timeout: %v must be 0 (off) or at least %v", field, t, MinIdleTimeout))
		}
	}
	return errors.Join(errs...)
}

func validLabelName(s string) bool {
	if strings.HasPrefix(s, "__") {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// GenAIDimensions is what internal/genai reads for the dimensions.
func GenAIDimensions(dims []Dimension) []genai.Dimension {
	out := make([]genai.Dimension, 0, len(dims))
	for _, d := range dims {
		switch d.Source {
		case SourceProvider:
			out = append(out, genai.Dimension{Source: genai.DimensionProvider})
		case SourceOperation:
			out = append(out, genai.Dimension{Source: genai.DimensionOperation})
		default:
			out = append(out, genai.Dimension{Keys: slices.Clone(d.Attributes)})
		}
	}
	return out
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package otlpmetrics // import "github.com/otelcol-llm/otelcol-llm/internal/otlpmetrics"

import (
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// Naming maps a Prometheus family to its OTLP metric name and unit.
type Naming interface {
	OTLPName(family string, typ dto.MetricType) (name, unit string)
}

// PrometheusNaming names a family so that Prometheus' OTLP receiver, with
// its default translation strategy (UnderscoreEscapingWithSuffixes:
// otlptranslator's MetricNamer with suffixes, no UTF-8), rebuilds exactly the
// family's name from the OTLP name, unit and type:
//
//   - a counter loses its _total suffix (the receiver appends _total to every
//     monotonic sum);
//   - a gauge (or untyped family) ending in _ratio loses it and gets unit "1"
//     (the receiver appends _ratio to gauges of unit "1");
//   - a trailing _per_<w>, w one of second, minute, hour, day, week, month,
//     year, becomes the per unit "/s", "/m", "/h", "/d", "/w", "/mo", "/y";
//   - a trailing word that is the receiver's name of a UCUM unit (seconds,
//     milliseconds, bytes, percent, … see unitWords) becomes that unit
//     (llm_request_duration_seconds: llm_request_duration, "s"), with "1"
//     as the main unit of a per unit with none (x_per_second: x, "1/s").
//
// A suffix stays in the name when removing it would leave an empty name or
// one that already holds that word as a token (the receiver appends a unit
// word only if the name lacks it). Words that are no UCUM unit the receiver
// knows (tokens, usd, calls) stay in the name: llm_cost_usd_total is
// llm_cost_usd. Such a family has the unit Annotations gives it, if any.
//
// Names the receiver cannot rebuild whatever the unit (a counter without
// _total or with another total token, names with __ or a leading or
// trailing _) are named by the same rules; Prometheus then stores them
// under the name its rules make.
type PrometheusNaming struct {
	// Annotations optionally gives the unit of a family, by family name,
	// when its name carries none: a UCUM annotation in braces such as
	// "{call}" or "{token}", which the receiver ignores when it builds the
	// name. Values not of the form {…} (without '/', '{' or '}' inside)
	// are ignored, so an annotation never changes the rebuilt name.
	Annotations map[string]string
}

// unitWords maps the receiver's name of a unit (otlptranslator's unitMap,
// inverted) to the UCUM unit it translates. "1" translates to no word and
// is handled with _ratio and per units.
var unitWords = map[string]string{
	"days":         "d",
	"hours":        "h",
	"minutes":      "min",
	"seconds":      "s",
	"milliseconds": "ms",
	"microseconds": "us",
	"nanoseconds":  "ns",
	"bytes":        "By",
	"kibibytes":    "KiBy",
	"mebibytes":    "MiBy",
	"gibibytes":    "GiBy",
	"tibibytes":    "TiBy",
	"kilobytes":    "KBy",
	"megabytes":    "MBy",
	"gigabytes":    "GBy",
	"terabytes":    "TBy",
	"meters":       "m",
	"volts":        "V",
	"amperes":      "A",
	"joules":       "J",
	"watts":        "W",
	"grams":        "g",
	"celsius":      "Cel",
	"hertz":        "Hz",
	"percent":      "%",
}

// perWords maps the receiver's name of a per unit (otlptranslator's
// perUnitMap, inverted) to the UCUM unit it translates.
var perWords = map[string]string{
	"second": "s",
	"minute": "m",
	"hour":   "h",
	"day":    "d",
	"week":   "w",
	"month":  "mo",
	"year":   "y",
}

// OTLPName implements Naming.
func (n PrometheusNaming) OTLPName(family string, typ dto.MetricType) (name, unit string) {
	name = family
	switch typ {
	case dto.MetricType_COUNTER:
		name = trimWord(name, "total")
	case dto.MetricType_GAUGE, dto.MetricType_UNTYPED:
		if stem := trimWord(name, "ratio"); stem != name && !hasToken(stem, "ratio") {
			return stem, "1"
		}
	}
	var per string
	if stem := trimWord(name, ""); stem != name {
		// stem is name without its last word w: is it "…_per_w"?
		w := name[len(stem)+1:]
		if u, ok := perWords[w]; ok {
			if s := trimWord(stem, "per"); s != stem && s != "" {
				name, per = s, u
			}
		}
	}
	main := ""
	if stem := trimWord(name, ""); stem != name {
		w := name[len(stem)+1:]
		if u, ok := unitWords[w]; ok && !hasToken(stem, w) {
			name, main = stem, u
		}
	}
	switch {
	case per != "" && main == "":
		return name, "1/" + per
	case per != "":
		return name, main + "/" + per
	case main != "":
		return name, main
	}
	if a, ok := n.Annotations[family]; ok && isAnnotation(a) {
		return name, a
	}
	return name, ""
}

// trimWord returns name without its last _-separated word if that word is
// w (any word if w is ""), else name. It never returns an empty name.
func trimWord(name, w string) string {
	i := strings.LastIndexByte(name, '_')
	if i <= 0 || i == len(name)-1 || (w != "" && name[i+1:] != w) {
		return name
	}
	return name[:i]
}

// hasToken reports whether w is one of the _-separated words of name.
func hasToken(name, w string) bool {
	return slices.Contains(strings.Split(name, "_"), w)
}

// isAnnotation reports whether u is a UCUM annotation alone: {…} with no
// brace or slash inside.
func isAnnotation(u string) bool {
	return len(u) >= 2 && u[0] == '{' && u[len(u)-1] == '}' && !strings.ContainsAny(u[1:len(u)-1], "{}/")
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package dashboards

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sync"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

var registerPlugins = sync.OnceFunc(plugins.RegisterDefaultPlugins)

// ParseStrict decodes a dashboard with the foundation SDK's strict decoder:
// unknown fields, missing required fields and wrong types anywhere (panel
// options and field config by panel type, queries by datasource type) are
// errors. The SDK returns a non-nil error value (an empty cog.BuildErrors) even
// on success; only a non-empty list, or an error of another type, is a failure.
func ParseStrict(raw []byte) (dashboard.Dashboard, error) {
	registerPlugins()
	var d dashboard.Dashboard
	err := d.UnmarshalJSONStrict(raw)
	var buildErrs cog.BuildErrors
	switch {
	case err == nil:
	case errors.As(err, &buildErrs):
		if len(buildErrs) > 0 {
			return d, buildErrs
		}
	default:
		return d, err
	}
	return d, nil
}

// Parse decodes a dashboard with the SDK's regular (lenient) decoder. Use it
// to read the content after ParseStrict accepted it: in SDK v0.0.22 the strict
// decoder drops every panel target (the Prometheus query's strict decoder
// returns its empty error list as a non-nil error, and the panel decoder then
// skips the query without reporting it).
func Parse(raw []byte) (dashboard.Dashboard, error) {
	registerPlugins()
	var d dashboard.Dashboard
	err := json.Unmarshal(raw, &d)
	return d, err
}

// PanelQuery is one PromQL query of one panel.
type PanelQuery struct {
	Row   string `json:"row"`
	Panel string `json:"panel"`
	RefID string `json:"ref_id"`
	Unit  string `json:"unit"`
	// Expr is the query with the variables substituted (see Substitutions).
	Expr string `json:"expr"`
	// Raw is the query as the dashboard holds it.
	Raw string `json:"raw"`
}

// PanelQueries lists every Prometheus query of every panel of a dashboard
// read with Parse, in dashboard order, unsubstituted (Expr == Raw). A query of
// another datasource type is an error: every panel here queries Prometheus.
func PanelQueries(d dashboard.Dashboard) ([]PanelQuery, error) {
	var out []PanelQuery
	currentRow := ""
	for _, pr := range d.Panels {
		if pr.RowPanel != nil {
			currentRow = deref(pr.RowPanel.Title)
			continue
		}
		p := pr.Panel
		if p == nil {
			continue
		}
		unit := ""
		if p.FieldConfig != nil {
			unit = deref(p.FieldConfig.Defaults.Unit)
		}
		for i, t := range p.Targets {
			var q prometheus.Dataquery
			switch v := t.(type) {
			case *prometheus.Dataquery:
				q = *v
			case prometheus.Dataquery:
				q = v
			default:
				return nil, fmt.Errorf("panel %q: target %d is a %T, not a Prometheus query", deref(p.Title), i, t)
			}
			out = append(out, PanelQuery{
				Row: currentRow, Panel: deref(p.Title), RefID: deref(q.RefId), Unit: unit,
				Expr: q.Expr, Raw: q.Expr,
			})
		}
	}
	return out, nil
}

// E2ESubstitutions are the values queries.json is written with: the README's
// scrape job (otelcol-llm), All for every filter (.*, which also matches the
// series of a dimension the collector does not configure: they have no such
// label), and a 5m rate interval and 1h range. A test of another job name replaces job="otelcol-llm" itself.
var E2ESubstitutions = map[string]string{
	"__rate_interval": "5m",
	"__interval":      "1m",
	"__range":         "1h",
	"job":             "otelcol-llm",
	"instance":        ".*",
	"service":         ".*",
	"provider":        ".*",
	"model":           ".*",
	"template":        ".*",
	"tenant":          ".*",
}

// varRef matches $name, ${name} and ${name:format}.
var varRef = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)(?::[A-Za-z0-9_]+)?\}|([A-Za-z0-9_]+))`)

// Substitute replaces every dashboard variable of expr with its value in vars
// (the way Grafana interpolates a single value, or the All value .*). A
// variable without a value is an error, so is a `$` left over.
func Substitute(expr string, vars map[string]string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(expr, func(m string) string {
		sub := varRef.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for variable(s) %v in %q", missing, expr)
	}
	return out, nil
}

// QueriesFile is the content of queries.json: every panel query with
// E2ESubstitutions applied, for the end-to-end test to run against a real
// Prometheus that scrapes the collector and loads rules/llm-recording.yaml.
type QueriesFile struct {
	Comment       string            `json:"comment"`
	Dashboard     string            `json:"dashboard"`
	Substitutions map[string]string `json:"substitutions"`
	Queries       []PanelQuery      `json:"queries"`
}

// QueriesJSON builds queries.json from a dashboard's JSON (indented, with a
// trailing newline). It reads the JSON back (after a strict check), so it lists
// what Grafana imports.
func QueriesJSON(dashboardJSON []byte) ([]byte, error) {
	if _, err := ParseStrict(dashboardJSON); err != nil {
		return nil, err
	}
	d, err := Parse(dashboardJSON)
	if err != nil {
		return nil, err
	}
	qs, err := PanelQueries(d)
	if err != nil {
		return nil, err
	}
	for i := range qs {
		if qs[i].Expr, err = Substitute(qs[i].Raw, E2ESubstitutions); err != nil {
			return nil, fmt.Errorf("panel %q %s: %w", qs[i].Panel, qs[i].RefID, err)
		}
	}
	f := QueriesFile{
		Comment: "Generated by `make dashboards` from llm-overview.json; do not edit. Every panel query " +
			"with the dashboard variables substituted. Panels on recording rules need rules/llm-recording.yaml loaded.",
		Dashboard:     OverviewUID,
		Substitutions: maps.Clone(E2ESubstitutions),
		Queries:       qs,
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// VariableNames lists the dashboard's template variables in order.
func VariableNames(d dashboard.Dashboard) []string {
	var names []string
	for _, v := range d.Templating.List {
		names = append(names, v.Name)
	}
	return slices.Clip(names)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

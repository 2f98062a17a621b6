// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	require.NoError(t, err)
	return b
}

func parse(t *testing.T, name string, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, yaml.Unmarshal(b, &v), name)
	return v
}

// get walks a parsed YAML document along keys.
func get(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		require.Truef(t, ok, "%s: not a mapping", k)
		v, ok = m[k]
		require.Truef(t, ok, "no key %s", k)
	}
	return v
}

// The committed copies are what the generator writes (as `make deploy-gen-check`).
func TestCommittedCopiesAreCurrent(t *testing.T) {
	outs, err := Outputs(root)
	require.NoError(t, err)
	names := make([]string, 0, len(outs))
	for name := range outs {
		names = append(names, name)
	}
	sort.Strings(names)
	require.Equal(t, []string{
		chartDir + "/files/llm-alerts.yaml",
		chartDir + "/files/llm-overview.json",
		chartDir + "/files/llm-recording.yaml",
		chartValues,
		baseConfig,
		dashboardMap,
		prometheusRule,
		gatewayK8sConfig,
		operatorExample,
	}, names)
	for name, want := range outs {
		assert.Equalf(t, string(want), string(readFile(t, name)), "%s is stale: run make deploy-gen", name)
	}
}

func TestPrometheusRuleCarriesTheRuleGroups(t *testing.T) {
	outs, err := Outputs(root)
	require.NoError(t, err)
	pr := parse(t, prometheusRule, outs[prometheusRule])
	assert.Equal(t, "monitoring.coreos.com/v1", pr["apiVersion"])
	assert.Equal(t, "PrometheusRule", pr["kind"])

	var want []any
	for _, name := range []string{recordingRules, alertingRules} {
		groups, ok := get(t, parse(t, name, readFile(t, name)), "groups").([]any)
		require.True(t, ok)
		want = append(want, groups...)
	}
	require.Len(t, want, 2)
	assert.Equal(t, want, get(t, pr, "spec", "groups"))
}

func TestDashboardConfigMapHoldsTheJSONByteForByte(t *testing.T) {
	outs, err := Outputs(root)
	require.NoError(t, err)
	cm := parse(t, dashboardMap, outs[dashboardMap])
	assert.Equal(t, "ConfigMap", cm["kind"])
	assert.Equal(t, "1", get(t, cm, "metadata", "labels", "grafana_dashboard"))
	data, ok := get(t, cm, "data").(map[string]any)
	require.True(t, ok)
	require.Len(t, data, 1)
	assert.Equal(t, string(readFile(t, dashboard)), data[DashboardKey])
}

func TestConfigCopiesEqualTheContainerConfig(t *testing.T) {
	outs, err := Outputs(root)
	require.NoError(t, err)
	want := parse(t, containerConfig, readFile(t, containerConfig))
	require.Contains(t, want, "exporters")
	assert.Equal(t, want, parse(t, baseConfig, outs[baseConfig]))
	assert.Equal(t, any(want), get(t, parse(t, chartValues, outs[chartValues]), "config"))
	assert.Equal(t, any(want), get(t, parse(t, operatorExample, outs[operatorExample]), "spec", "config"))

	gw := parse(t, gatewayConfig, readFile(t, gatewayConfig))
	assert.Equal(t, any(gw), get(t, parse(t, chartValues, outs[chartValues]), "gateway", "config"))
}

func TestGatewayK8sConfigOnlySwapsTheResolver(t *testing.T) {
	outs, err := Outputs(root)
	require.NoError(t, err)
	dns := parse(t, gatewayConfig, readFile(t, gatewayConfig))
	k8s := parse(t, gatewayK8sConfig, outs[gatewayK8sConfig])

	assert.Equal(t, map[string]any{"dns": map[string]any{
		"hostname": "${env:OTELCOL_LLM_BACKENDS}", "port": "4317", "interval": "5s", "timeout": "1s",
	}}, get(t, dns, "exporters", "load_balancing", "resolver"))
	assert.Equal(t, map[string]any{"k8s": map[string]any{
		"service": "otelcol-llm-headless.${env:POD_NAMESPACE}", "ports": []any{4317}, "timeout": "1m",
	}}, get(t, k8s, "exporters", "load_balancing", "resolver"))

	lbDNS, ok := get(t, dns, "exporters", "load_balancing").(map[string]any)
	require.True(t, ok)
	lbK8s, ok := get(t, k8s, "exporters", "load_balancing").(map[string]any)
	require.True(t, ok)
	delete(lbDNS, "resolver")
	delete(lbK8s, "resolver")
	assert.Equal(t, dns, k8s)
	assert.Equal(t, "traceID", lbK8s["routing_key"])
}

func TestSpliceReplacesOnlyItsBlock(t *testing.T) {
	file := "a:\n  x: 1\nconfig:\n  # BEGIN GENERATED src.yaml (note)\n  old: 1\n  # END GENERATED src.yaml\nb: 2\n"
	got, err := Splice("f.yaml", []byte(file), "src.yaml", []byte("# c\nk:\n  v: 1\n\nw: 2\n"))
	require.NoError(t, err)
	assert.Equal(t, "a:\n  x: 1\nconfig:\n  # BEGIN GENERATED src.yaml (note)\n  # c\n  k:\n    v: 1\n\n  w: 2\n  # END GENERATED src.yaml\nb: 2\n", string(got))

	// Splicing again gives the same file.
	again, err := Splice("f.yaml", got, "src.yaml", []byte("# c\nk:\n  v: 1\n\nw: 2\n"))
	require.NoError(t, err)
	assert.Equal(t, string(got), string(again))
}

func TestSpliceErrorsNameFileAndSource(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"no block", "a: 1\n", "f.yaml: no block # BEGIN GENERATED src.yaml ... # END GENERATED src.yaml"},
		{"no end", "# BEGIN GENERATED src.yaml\nx: 1\n", "f.yaml: no block # BEGIN GENERATED src.yaml"},
		{"other source", "# BEGIN GENERATED other.yaml\n# END GENERATED other.yaml\n", "f.yaml: no block # BEGIN GENERATED src.yaml"},
		{"end first", "# END GENERATED src.yaml\n# BEGIN GENERATED src.yaml\n", `f.yaml: "# END GENERATED" for src.yaml comes before its begin marker`},
		{"two begins", "# BEGIN GENERATED src.yaml\n# BEGIN GENERATED src.yaml\n# END GENERATED src.yaml\n", `f.yaml: two "# BEGIN GENERATED" lines for src.yaml`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Splice("f.yaml", []byte(tc.file), "src.yaml", []byte("k: v\n"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestRuleFileWithoutGroupsIsAnError(t *testing.T) {
	_, err := PrometheusRule([]byte("# only a comment\nrules: []\n"), []byte("groups:\n  - name: a\n    rules: []\n"))
	require.EqualError(t, err, `rules/llm-recording.yaml: no top-level "groups:" line`)

	_, err = PrometheusRule([]byte("groups:\n  - name: a\n    rules: []\nextra: 1\n"), []byte("groups: []\n"))
	require.EqualError(t, err, `rules/llm-recording.yaml: "extra: 1" after groups: is a second top-level key; only groups: is copied`)
}

func TestGatewayConfigWithoutResolverIsAnError(t *testing.T) {
	_, err := GatewayK8sConfig([]byte("# c\nexporters:\n  load_balancing:\n    routing_key: traceID\n"))
	require.EqualError(t, err, `deploy/kubernetes/overlays/gateway/gateway-config.yaml: no "    resolver:" line (the load_balancing exporter's resolver)`)
}

func TestGeneratedHeaderMarksWholeFiles(t *testing.T) {
	outs, err := Outputs(root)
	require.NoError(t, err)
	for _, name := range []string{prometheusRule, dashboardMap, gatewayK8sConfig} {
		assert.Truef(t, strings.HasPrefix(string(outs[name]), "# Code generated by deploy/gen (make deploy-gen) from "), "%s", name)
		assert.Contains(t, string(outs[name]), "DO NOT EDIT.")
	}
}

#!/usr/bin/env bash
# Copyright The otelcol-llm Authors
# SPDX-License-Identifier: Apache-2.0
#
# Negative cases of the otelcol-llm chart (`make helm-test`): each bad value
# must make `helm template` (and, for the first ones, `helm lint --strict`)
# fail with an error that names the field. A case passes only when helm
# exits non-zero AND its output holds the expected text.
#
# Usage: deploy/helm/helm-test.sh HELM
set -euo pipefail

helm=${1:?usage: $0 HELM}
chart=$(cd "$(dirname "$0")/otelcol-llm" && pwd)
passed=0
failed=0

# expect_fail NAME COMMAND EXPECTED [ARGS...]: COMMAND is "template" or "lint".
expect_fail() {
	local name=$1 cmd=$2 want=$3
	shift 3
	local out rc=0
	if [ "$cmd" = lint ]; then
		out=$("$helm" lint --strict "$chart" "$@" 2>&1) || rc=$?
	else
		out=$("$helm" template t "$chart" --namespace otelcol-llm "$@" 2>&1) || rc=$?
	fi
	if [ "$rc" -eq 0 ]; then
		echo "FAIL $name: helm $cmd succeeded, want an error containing: $want"
		failed=$((failed + 1))
	elif [[ "$out" != *"$want"* ]]; then
		echo "FAIL $name: helm $cmd failed without naming the field; want: $want"
		echo "$out" | sed 's/^/    /'
		failed=$((failed + 1))
	else
		echo "ok   $name: $want"
		passed=$((passed + 1))
	fi
}

# The schema (values.schema.json), through helm template and helm lint.
for cmd in template lint; do
	expect_fail "negative replicaCount ($cmd)" "$cmd" "at '/replicaCount': minimum: got -1, want 0" --set replicaCount=-1
	expect_fail "unknown top-level value ($cmd)" "$cmd" "at '': additional properties 'replicaz' not allowed" --set replicaz=3
	expect_fail "unknown nested value ($cmd)" "$cmd" "at '/service': additional properties 'typo' not allowed" --set service.typo=x
done
expect_fail "unknown value two levels down" template "at '/gateway/image': additional properties 'tagg' not allowed" --set gateway.image.tagg=x
expect_fail "replicaCount not a number" template "at '/replicaCount': got string, want integer" --set replicaCount=three
expect_fail "negative gateway.replicaCount" template "at '/gateway/replicaCount': minimum: got -2, want 0" --set gateway.replicaCount=-2
expect_fail "unknown gateway.resolver" template "at '/gateway/resolver': value must be one of 'dns', 'k8s'" --set gateway.resolver=static
expect_fail "unknown image pullPolicy" template "at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'" --set image.pullPolicy=Sometimes
expect_fail "collector config section typo" template "at '/config': additional properties 'exporter' not allowed" --set config.exporter.debug.verbosity=basic
expect_fail "memory limit not a quantity" template "at '/resources/limits/memory': 'oneOf' failed, none matched" --set resources.limits.memory=512MB
expect_fail "bad monitor interval" template "at '/serviceMonitor/interval': '30 seconds' does not match pattern" --set "serviceMonitor.interval=30 seconds"
expect_fail "price row with model and prefix" template "at '/pricing/models/0': 'oneOf' failed, subschemas 0, 1 matched" \
	--set-json 'pricing={"enabled":true,"models":[{"model":"gpt-4o","prefix":"gpt-","input":1,"output":2}]}'
expect_fail "negative price" template "at '/pricing/models/0/input': minimum: got -1, want 0" \
	--set-json 'pricing={"enabled":true,"models":[{"model":"gpt-4o","input":-1,"output":2}]}'
expect_fail "unknown price row field" template "at '/pricing/models/0': additional properties 'inputs' not allowed" \
	--set-json 'pricing={"enabled":true,"models":[{"model":"gpt-4o","inputs":1}]}'

# The templates' own checks.
expect_fail "ServiceMonitor and PodMonitor together" template \
	"serviceMonitor.enabled and podMonitor.enabled are both true: every pod would be scraped twice" \
	--set serviceMonitor.enabled=true --set podMonitor.enabled=true
expect_fail "price table without the llm_prometheus exporter" template \
	"pricing.enabled: config.exporters has no llm_prometheus exporter" \
	--set pricing.enabled=true --set config.exporters.llm_prometheus=null
expect_fail "k8s resolver without the load_balancing exporter" template \
	"gateway.resolver: gateway.config.exporters has no load_balancing exporter" \
	--set gateway.enabled=true --set gateway.resolver=k8s --set gateway.config.exporters.load_balancing=null

echo "helm-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Copyright The otelcol-llm Authors
# SPDX-License-Identifier: Apache-2.0
#
# Negative cases of the otelcol-llm chart (`make helm-test`): each bad value
# must make `helm template` (and, for the first ones, `helm lint --strict`)
# fail with an error that names the field. A case passes only when helm
# exits non-zero AND its output holds the expected text. Then the gateway
# configuration the chart renders for each resolver (the template's one piece
# of logic on it: with resolver k8s, the resolver of files/gateway-k8s.yaml).
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

# expect_render NAME WANT [ARGS...]: helm template of the gateway (enabled)
# must succeed and its output hold WANT, lines and indentation included.
expect_render() {
	local name=$1 want=$2
	shift 2
	local out rc=0
	out=$("$helm" template t "$chart" --namespace otelcol-llm --show-only templates/gateway.yaml \
		--set gateway.enabled=true "$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL $name: helm template failed"
		echo "$out" | sed 's/^/    /'
		failed=$((failed + 1))
	elif [[ "$out" != *"$want"* ]]; then
		echo "FAIL $name: the output does not hold:"
		echo "$want" | sed 's/^/    /'
		failed=$((failed + 1))
	else
		echo "ok   $name"
		passed=$((passed + 1))
	fi
}

# The load_balancing exporter as config/gateway-dns.yaml (gateway.config) and
# config/gateway-k8s.yaml set it: no retry of whole requests at its level.
dns_resolver='        resolver:
          dns:
            hostname: ${env:OTELCOL_LLM_BACKENDS:-otelcol-llm-headless.otelcol-llm.svc.cluster.local}
            interval: 5s
            port: "4317"
            timeout: 1s
        retry_on_failure:
          enabled: false'
k8s_resolver='        resolver:
          k8s:
            ports:
            - 4317
            service: ${env:OTELCOL_LLM_BACKENDS:-otelcol-llm-headless.otelcol-llm}
            timeout: 1m
        retry_on_failure:
          enabled: false'
backends='            - name: OTELCOL_LLM_BACKENDS
              value: t-otelcol-llm-headless.$(POD_NAMESPACE).svc.cluster.local'
expect_render "gateway, resolver dns: config/gateway-dns.yaml" "$dns_resolver"
expect_render "gateway, resolver k8s: the resolver of config/gateway-k8s.yaml" "$k8s_resolver" --set gateway.resolver=k8s
expect_render "gateway, resolver k8s: the rest is gateway.config" "        timeout: 20s" \
	--set gateway.resolver=k8s --set gateway.config.exporters.load_balancing.timeout=20s
expect_render "gateway: OTELCOL_LLM_BACKENDS is the release's headless Service" "$backends"

echo "helm-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

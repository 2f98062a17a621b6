#!/usr/bin/env bash
# Copyright The otelcol-llm Authors
# SPDX-License-Identifier: Apache-2.0
#
# Renders every deployment of deploy/ into OUTDIR as multi-document YAML, one
# file per case (`make k8s-render`; `make k8s-validate` checks them against a
# real kube-apiserver):
#
#   kustomize-single.yaml       overlays/single
#   kustomize-gateway.yaml      overlays/gateway (DNS resolver)
#   kustomize-gateway-k8s.yaml  overlays/gateway-k8s (k8s resolver and RBAC)
#   kustomize-podmonitor.yaml   base + components/podmonitor, prometheusrule, dashboard
#   helm-default.yaml           the chart with its default values
#   helm-all.yaml               the chart with ci/all-values.yaml (every toggle on)
#   helm-podmonitor.yaml        the chart with ci/podmonitor-values.yaml
#   opentelemetrycollector.yaml deploy/operator/opentelemetrycollector.yaml
#
# and runs `helm lint --strict` on the chart with each of those values.
#
# Usage: deploy/k8s-render.sh HELM KUSTOMIZE OUTDIR
set -euo pipefail

helm=${1:?usage: $0 HELM KUSTOMIZE OUTDIR}
kustomize=${2:?usage: $0 HELM KUSTOMIZE OUTDIR}
out=${3:?usage: $0 HELM KUSTOMIZE OUTDIR}
deploy=$(cd "$(dirname "$0")" && pwd)
chart=$deploy/helm/otelcol-llm

rm -rf "$out"
mkdir -p "$out"

for overlay in single gateway gateway-k8s; do
	"$kustomize" build "$deploy/kubernetes/overlays/$overlay" > "$out/kustomize-$overlay.yaml"
done

# The PodMonitor variant, as a user's own overlay would pick it.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rel=$(realpath --relative-to="$work" "$deploy/kubernetes") # kustomize wants relative paths
cat > "$work/kustomization.yaml" <<KUST
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: otelcol-llm
resources:
  - $rel/base
components:
  - $rel/components/podmonitor
  - $rel/components/prometheusrule
  - $rel/components/dashboard
KUST
"$kustomize" build "$work" > "$out/kustomize-podmonitor.yaml"

"$helm" lint --strict "$chart"
"$helm" template otelcol-llm "$chart" --namespace otelcol-llm > "$out/helm-default.yaml"
for case in all podmonitor; do
	"$helm" lint --strict "$chart" -f "$chart/ci/$case-values.yaml"
	"$helm" template otelcol-llm "$chart" --namespace otelcol-llm -f "$chart/ci/$case-values.yaml" > "$out/helm-$case.yaml"
done

cp "$deploy/operator/opentelemetrycollector.yaml" "$out/opentelemetrycollector.yaml"

for f in "$out"/*.yaml; do
	printf '%-32s %3d objects\n' "$(basename "$f")" "$(grep -c '^kind:' "$f")"
done

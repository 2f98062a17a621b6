{{/* Name of the chart, or nameOverride. */}}
{{- define "otelcol-llm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified name: fullnameOverride, or <release>-<name> unless the
release name already holds the name. Kept short enough for the suffixes
-gateway, -headless and -dashboard. */}}
{{- define "otelcol-llm.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "otelcol-llm.gatewayName" -}}
{{- printf "%s-gateway" (include "otelcol-llm.fullname" .) }}
{{- end }}

{{- define "otelcol-llm.headlessName" -}}
{{- printf "%s-headless" (include "otelcol-llm.fullname" .) }}
{{- end }}

{{/* Labels of every object: the chart's, the component's and extraLabels. */}}
{{- define "otelcol-llm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: otelcol-llm
{{- with .Values.extraLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of the collector pods. */}}
{{- define "otelcol-llm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "otelcol-llm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: collector
{{- end }}

{{/* Selector labels of the gateway pods. */}}
{{- define "otelcol-llm.gatewaySelectorLabels" -}}
app.kubernetes.io/name: {{ include "otelcol-llm.name" . }}-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end }}

{{/* An image reference from {repository, tag, digest}; the tag defaults to
the chart's appVersion. Call with (list $image $). */}}
{{- define "otelcol-llm.image" -}}
{{- $image := index . 0 }}
{{- $root := index . 1 }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* Path of the mounted price table. */}}
{{- define "otelcol-llm.pricingFile" -}}
/etc/otelcol-llm/pricing/pricing.yaml
{{- end }}

{{/* Name of the price table's ConfigMap. */}}
{{- define "otelcol-llm.pricingConfigMap" -}}
{{- default (printf "%s-pricing" (include "otelcol-llm.fullname" .)) .Values.pricing.existingConfigMap }}
{{- end }}

{{/* The collector configuration as YAML: .Values.config, and with
pricing.enabled the llm_prometheus exporter's pricing.file set to the
mounted table. */}}
{{- define "otelcol-llm.config" -}}
{{- $config := deepCopy .Values.config }}
{{- if .Values.pricing.enabled }}
{{- $exporters := default (dict) $config.exporters }}
{{- if not (hasKey $exporters "llm_prometheus") }}
{{- fail "pricing.enabled: config.exporters has no llm_prometheus exporter to give the price table to" }}
{{- end }}
{{- $exporter := default (dict) (get $exporters "llm_prometheus") }}
{{- $pricing := default (dict) (get $exporter "pricing") }}
{{- $_ := set $pricing "file" (include "otelcol-llm.pricingFile" .) }}
{{- $_ := set $exporter "pricing" $pricing }}
{{- $_ := set $exporters "llm_prometheus" $exporter }}
{{- $_ := set $config "exporters" $exporters }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* The gateway configuration as YAML: .Values.gateway.config (by default
config/gateway-dns.yaml), and with resolver k8s the load_balancing exporter's
resolver replaced by that of files/gateway-k8s.yaml, a copy of
config/gateway-k8s.yaml (which differs from config/gateway-dns.yaml in that
resolver only; make deploy-gen checks it). */}}
{{- define "otelcol-llm.gatewayConfig" -}}
{{- $config := deepCopy .Values.gateway.config }}
{{- if eq .Values.gateway.resolver "k8s" }}
{{- $exporters := default (dict) $config.exporters }}
{{- if not (hasKey $exporters "load_balancing") }}
{{- fail "gateway.resolver: gateway.config.exporters has no load_balancing exporter whose resolver could be set" }}
{{- end }}
{{- $resolver := dig "exporters" "load_balancing" "resolver" "" (.Files.Get "files/gateway-k8s.yaml" | fromYaml) }}
{{- if not $resolver }}
{{- fail "gateway.resolver: the chart's files/gateway-k8s.yaml has no exporters.load_balancing.resolver (run make deploy-gen)" }}
{{- end }}
{{- $lb := default (dict) (get $exporters "load_balancing") }}
{{- $_ := set $lb "resolver" $resolver }}
{{- $_ := set $exporters "load_balancing" $lb }}
{{- $_ := set $config "exporters" $exporters }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* Probe timings: the keys of .Values.<probe> that a Probe has. */}}
{{- define "otelcol-llm.probe" -}}
httpGet:
  path: /
  port: health
{{- with . }}
{{ toYaml . }}
{{- end }}
{{- end }}

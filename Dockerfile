# The runtime images of otelcol-llm, one build stage each: the static
# collector binaries that `make build` produced, and nothing else they do not
# need. Build them with `make image`, which builds both stages (--target):
#   otelcol-llm          otelcol-llm:<version>, :latest (the collector)
#   otelcol-llm-gateway  otelcol-llm-gateway:<version>, :latest (the tier-1
#                        gateway, docs/deploy-gateway.md)
# See docs/deploy-docker.md.
#
# `make image` stages each image's whole file tree in _build/image/<stage>
# with fixed modes (root-owned, read-only for the collector's user):
#   /<stage>                              _build/<stage> (static, CGO off)
#   /etc/<stage>/config.yaml              the default configuration:
#                                         config/container.yaml (otelcol-llm),
#                                         config/gateway-dns.yaml (gateway)
#   /etc/ssl/certs/ca-certificates.crt    the build host's CA bundle (Debian
#                                         ca-certificates), for exporters and
#                                         config sources that talk TLS
#   /etc/passwd, /etc/group               root and otelcol-llm (10001:10001)
#   /tmp                                  empty, mode 1777
# so this file needs no base image (nothing is pulled) and the build context is
# _build/image alone (.dockerignore).
#
# OCI image annotations (github.com/opencontainers/image-spec, annotations.md):
# `make image` passes the build's values. The labels come last in each stage,
# so that a new build date or revision does not invalidate the cached file
# layer.

FROM scratch AS otelcol-llm

COPY _build/image/otelcol-llm/ /

USER 10001:10001

# 4317 OTLP gRPC, 4318 OTLP HTTP, 8888 the collector's own telemetry,
# 8889 llm_* /metrics, 13133 health check (GET / answers 200 when ready).
EXPOSE 4317 4318 8888 8889 13133

ENTRYPOINT ["/otelcol-llm"]
CMD ["--config", "/etc/otelcol-llm/config.yaml"]

ARG VERSION=unknown
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="otelcol-llm" \
      org.opencontainers.image.description="OpenTelemetry Collector distribution that turns LLM-call spans into llm_* Prometheus metrics" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="The otelcol-llm Authors"

FROM scratch AS otelcol-llm-gateway

COPY _build/image/otelcol-llm-gateway/ /

USER 10001:10001

# 4317 OTLP gRPC, 4318 OTLP HTTP, 8888 the gateway's own telemetry
# (otelcol_loadbalancer_*, otelcol_exporter_*), 13133 health check. No 8889:
# the gateway records no llm_* metrics, its replicas do.
EXPOSE 4317 4318 8888 13133

# The path the Kubernetes manifests mount their ConfigMap on
# (deploy/kubernetes/overlays/gateway, the Helm chart's templates/gateway.yaml).
ENTRYPOINT ["/otelcol-llm-gateway"]
CMD ["--config", "/etc/otelcol-llm-gateway/config.yaml"]

ARG VERSION=unknown
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="otelcol-llm-gateway" \
      org.opencontainers.image.description="OpenTelemetry Collector distribution that routes spans by trace ID to otelcol-llm replicas (the tier-1 gateway of otelcol-llm)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="The otelcol-llm Authors"

# otelcol-llm runtime image: the static collector binary that `make build`
# produced, and nothing else it does not need. Build it with `make image`
# (tags otelcol-llm:<version> and otelcol-llm:latest); see docs/deploy-docker.md.
#
# `make image` stages the image's whole file tree in _build/image/rootfs with
# fixed modes (root-owned, read-only for the collector's user):
#   /otelcol-llm                          _build/otelcol-llm (static, CGO off)
#   /etc/otelcol-llm/config.yaml          config/container.yaml
#   /etc/ssl/certs/ca-certificates.crt    the build host's CA bundle (Debian
#                                         ca-certificates), for exporters and
#                                         config sources that talk TLS
#   /etc/passwd, /etc/group               root and otelcol-llm (10001:10001)
#   /tmp                                  empty, mode 1777
# so this file needs no base image (nothing is pulled) and the build context is
# that directory alone (.dockerignore).

FROM scratch

COPY _build/image/rootfs/ /

USER 10001:10001

# 4317 OTLP gRPC, 4318 OTLP HTTP, 8888 the collector's own telemetry,
# 8889 llm_* /metrics, 13133 health check (GET / answers 200 when ready).
EXPOSE 4317 4318 8888 8889 13133

ENTRYPOINT ["/otelcol-llm"]
CMD ["--config", "/etc/otelcol-llm/config.yaml"]

# OCI image annotations (github.com/opencontainers/image-spec, annotations.md);
# `make image` passes the build's values. Last, so that a new build date
# or revision does not invalidate the cached file layer.
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

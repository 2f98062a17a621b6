# otelcol-llm: build, generate, lint and test.
#
#   make build     ocb-built collectors: _build/otelcol-llm and the gateway _build/otelcol-llm-gateway
#   make run       build, then run it with config/otelcol.yaml
#   make test      everything CI runs: lint, generate checks, unit, e2e, image-test, k8s-validate
#   make image     container images otelcol-llm:<version> and otelcol-llm-gateway:<version>,
#                  each also :latest (Dockerfile, FROM scratch, one stage each)
#   make image-test  build both images and run them: OTLP in (straight, and through a
#                  gateway container), exact llm_* on /metrics (starts a private
#                  dockerd if no engine answers: tools/container-engine.sh)
#   make bench     the Go benchmarks and BENCHMARKS.md (bench/)
#   make bench-throughput / bench-soak / bench-spanbomb   whole-collector runs (bench/results/), then make bench
#   make bench-dimensions / bench-churn   the collector with dimensions: attack, 10-min churn (bench/results/), then make bench
#   make bench-churn-short   the churn for 1 minute (smoke run, nothing saved)
#   make rules        regenerate rules/ (and its tables in the docs) from dashboards/mixin/defaults.yaml
#   make deploy-gen   rewrite deploy/'s copies of config/, rules/ and dashboards/
#   make k8s-render   render the kustomize overlays, Helm chart and Operator example (.tmp/k8s/rendered/)
#
# Every tool is installed into ./bin on first use and reused afterwards
# (delete ./bin to reinstall).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO ?= go
BIN := $(CURDIR)/bin
BUILD_DIR := $(CURDIR)/_build
OTELCOL := $(BUILD_DIR)/otelcol-llm
# The tier-1 gateway (builder-gateway.yaml): ocb writes its Go module into
# GATEWAY_DIR (not _build, which holds otelcol-llm's), then the binary is
# copied to GATEWAY.
GATEWAY_DIR := $(BUILD_DIR)/gateway
GATEWAY := $(BUILD_DIR)/otelcol-llm-gateway

# Pinned versions (see DESIGN.md): keep ocb on the collector release of
# builder-config.yaml. mdatagen's version is pinned in tools/go.mod.
OCB_VERSION := v0.165.0
PROMETHEUS_VERSION := v0.316.0
# remove_all_sd leaves out Prometheus' cloud service discoveries (AWS, Azure, GCE,
# Kubernetes, ...) and their SDKs: the tests only use static_configs, and the cold
# build of prometheus + promtool drops to ~4.5 min on 2 cores. Set PROMETHEUS_TAGS=
# for a full build.
PROMETHEUS_TAGS ?= remove_all_sd
# golangci-lint, configured by .golangci.yml (linters of the collector's repositories).
GOLANGCI_LINT_VERSION := v2.15.0
# kube-apiserver and kubectl of `make k8s-validate`, built from k8s.io/kubernetes
# at this release through the wrapper module tools/k8s (its go.mod must require
# the same version; the build checks it).
K8S_VERSION := v1.37.2
# Helm (chart lint and template) and kustomize (the manifests of deploy/kubernetes),
# built from their Go modules: cold (empty build cache) helm 160-180 s, kustomize
# 20-30 s on 2 shared cores.
# kustomize v5.8.1 is on kustomize/api v0.21.1, which builds with Go 1.26.
HELM_VERSION := v4.3.2
KUSTOMIZE_VERSION := v5.8.1
# Sloth, whose rules make rules-test compares with ours (rules/tests/sloth):
# ~70 s cold on 2 cores.
SLOTH_VERSION := v0.16.0

BUILDER := $(BIN)/builder
MDATAGEN := $(BIN)/mdatagen
PROMETHEUS := $(BIN)/prometheus
PROMTOOL := $(BIN)/promtool
GOLANGCI_LINT := $(BIN)/golangci-lint
KUBE_APISERVER := $(BIN)/kube-apiserver
KUBECTL := $(BIN)/kubectl
HELM := $(BIN)/helm
KUSTOMIZE := $(BIN)/kustomize
SLOTH := $(BIN)/sloth
# Where k8s-render writes the rendered manifests, one multi-document file per case.
K8S_RENDERED := $(CURDIR)/.tmp/k8s/rendered
# What k8s-validate dry-runs: every rendered set (k8s-render copies
# deploy/operator there too). The fixtures of test/k8s are always validated.
K8S_MANIFESTS ?= $(K8S_RENDERED)/*.yaml

# The Go modules of the repository (go.mod directories), each linted and
# tidy-checked by `make lint`.
MODULES := . dashboards bench tools tools/k8s

# Directories holding a component's metadata.yaml: `make generate` rewrites
# their generated files, and generate-check verifies it changed nothing.
COMPONENT_DIRS = $(sort $(dir $(shell find $(CURDIR) -name metadata.yaml \
	-not -path '$(BUILD_DIR)/*' -not -path '$(CURDIR)/tools/*' -not -path '$(CURDIR)/.tmp/*')))

E2E_TIMEOUT ?= 15m
K8S_VALIDATE_TIMEOUT ?= 10m
# etcd of k8s-validate: set ETCD=/path/to/etcd, else etcd from PATH (see k8s-etcd).
ETCD ?=

# The container images (make image): otelcol-llm:<dist.version of
# builder-config.yaml> and otelcol-llm-gateway:<dist.version of
# builder-gateway.yaml>, each also tagged :latest. IMAGE_NAME may name a
# registry repository (make image IMAGE_NAME=registry.example.com/team/otelcol-llm);
# the gateway's is then registry.example.com/team/otelcol-llm-gateway.
dist_version = $(shell awk '/^dist:/ {d = 1; next} /^[^ \t#]/ {d = 0} d && $$1 == "version:" {print $$2}' $(1))
DIST_VERSION := $(call dist_version,$(CURDIR)/builder-config.yaml)
GATEWAY_DIST_VERSION := $(call dist_version,$(CURDIR)/builder-gateway.yaml)
IMAGE_NAME ?= otelcol-llm
IMAGE := $(IMAGE_NAME):$(DIST_VERSION)
GATEWAY_IMAGE_NAME ?= $(IMAGE_NAME)-gateway
GATEWAY_IMAGE := $(GATEWAY_IMAGE_NAME):$(GATEWAY_DIST_VERSION)
# org.opencontainers.image.source: the repository of the module path in go.mod.
IMAGE_SOURCE := https://$(shell awk '$$1 == "module" {print $$2; exit}' $(CURDIR)/go.mod)
# Each image's file tree is staged in IMAGE_STAGE/<Dockerfile stage> (together
# the whole docker build context, see .dockerignore).
IMAGE_STAGE := $(BUILD_DIR)/image
# The CA bundle copied into the image (Debian's ca-certificates package).
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
DOCKER ?= docker
CONTAINER_ENGINE := $(CURDIR)/tools/container-engine.sh
IMAGE_TEST_TIMEOUT ?= 10m
# The e2e tests that need the images (run by image-test, skipped by e2e).
IMAGE_TESTS := ^(TestImage|TestGatewayImage)$$

.PHONY: build run tools generate generate-check lint lint-go tidy-check license-check unit e2e image image-build image-test image-e2e k8s-validate k8s-etcd test bench bench-long bench-stock bench-throughput bench-soak bench-spanbomb bench-dimensions bench-churn bench-churn-short clean dashboards dashboards-test rules rules-test deploy-gen deploy-gen-check k8s-render helm-test

## build: generate and compile _build/otelcol-llm with ocb from builder-config.yaml,
## and _build/otelcol-llm-gateway from builder-gateway.yaml (only when that
## manifest or ocb changed). Cold (empty Go build cache, 2 cores): gateway
## ~2 min, then otelcol-llm ~10 s (~75 s alone): the gateway adds ~1 min.
build: $(BUILDER) $(GATEWAY)
	cd $(CURDIR) && $(BUILDER) --config builder-config.yaml

# ocb creates output_path with a plain mkdir: its parent must exist.
$(GATEWAY): $(CURDIR)/builder-gateway.yaml $(BUILDER)
	mkdir -p $(GATEWAY_DIR)
	cd $(CURDIR) && $(BUILDER) --config builder-gateway.yaml
	cp -p $(GATEWAY_DIR)/otelcol-llm-gateway $@

## run: build, then run the collector with the default configuration.
run: build
	$(OTELCOL) --config $(CURDIR)/config/otelcol.yaml

## tools: install ocb, mdatagen, prometheus, promtool, golangci-lint, helm, kustomize and sloth into ./bin (each only if missing).
tools: $(BUILDER) $(MDATAGEN) $(PROMETHEUS) $(PROMTOOL) $(GOLANGCI_LINT) $(HELM) $(KUSTOMIZE) $(SLOTH)

$(BUILDER):
	GOBIN=$(BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

$(GOLANGCI_LINT):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

# The version variable set so `helm version` prints the full version (v4.3.2, not v4.3).
$(HELM):
	GOBIN=$(BIN) $(GO) install -ldflags '-s -w -X helm.sh/helm/v4/internal/version.version=$(HELM_VERSION)' \
		helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

$(KUSTOMIZE):
	GOBIN=$(BIN) $(GO) install -ldflags '-s -w' sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(SLOTH):
	GOBIN=$(BIN) $(GO) install -ldflags '-s -w' github.com/slok/sloth/cmd/sloth@$(SLOTH_VERSION)

# mdatagen is built from the tools module: `go install mdatagen@version` needs a
# module proxy that lists versions, and the pinned version lives in tools/go.mod.
$(MDATAGEN): $(CURDIR)/tools/go.mod $(CURDIR)/tools/go.sum
	cd $(CURDIR)/tools && $(GO) build -o $(MDATAGEN) go.opentelemetry.io/collector/cmd/mdatagen

# Prometheus and promtool are built from their Go module (one `go install` for
# both). If that fails, fall back to an already installed Debian `prometheus`
# package (apt-get install prometheus); its older version may lack features the
# e2e test needs, so say so loudly.
$(PROMETHEUS) $(PROMTOOL) &:
	mkdir -p $(BIN)
	if ! GOBIN=$(BIN) $(GO) install -tags '$(PROMETHEUS_TAGS)' \
		github.com/prometheus/prometheus/cmd/prometheus@$(PROMETHEUS_VERSION) \
		github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS_VERSION); then \
		if command -v prometheus >/dev/null && command -v promtool >/dev/null; then \
			echo "WARNING: go install of prometheus $(PROMETHEUS_VERSION) failed; using $$(command -v prometheus)" >&2; \
			ln -sf "$$(command -v prometheus)" $(PROMETHEUS); \
			ln -sf "$$(command -v promtool)" $(PROMTOOL); \
		else \
			echo "go install of prometheus $(PROMETHEUS_VERSION) failed and no prometheus/promtool on PATH (apt-get install prometheus)" >&2; \
			exit 1; \
		fi; \
	fi

# kube-apiserver and kubectl are built from k8s.io/kubernetes through the
# wrapper module tools/k8s (see its go.mod: the staging modules are replaced by
# their releases). One `go build` for both, ~7 min cold on 2 cores (~2.4 GB
# RSS with -p 2). The version is stamped as the release build scripts do, so
# the server reports K8S_VERSION instead of v0.0.0-master. Built only if
# missing (a cache, like the other tools): test/k8s fails when the binaries
# report another version than K8S_VERSION (delete them to rebuild).
K8S_MAJOR = $(patsubst v%,%,$(word 1,$(subst ., ,$(K8S_VERSION))))
K8S_MINOR = $(word 2,$(subst ., ,$(K8S_VERSION)))
K8S_LDFLAGS = -s -w $(foreach pkg,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(pkg).gitVersion=$(K8S_VERSION) -X $(pkg).gitMajor=$(K8S_MAJOR) \
	-X $(pkg).gitMinor=$(K8S_MINOR) -X $(pkg).gitTreeState=clean)
K8S_BUILD_FLAGS ?= -p 2

$(KUBE_APISERVER) $(KUBECTL) &:
	mkdir -p $(BIN)
	cd $(CURDIR)/tools/k8s && v=$$($(GO) list -m -f '{{.Version}}' k8s.io/kubernetes) && \
	if [ "$$v" != "$(K8S_VERSION)" ]; then \
		echo "tools/k8s/go.mod requires k8s.io/kubernetes $$v, the Makefile pins K8S_VERSION=$(K8S_VERSION): make them equal" >&2; \
		exit 1; \
	fi
	cd $(CURDIR)/tools/k8s && $(GO) build $(K8S_BUILD_FLAGS) -trimpath -ldflags "$(K8S_LDFLAGS)" -o $(BIN)/ \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl

## generate: run the //go:generate directives (mdatagen) with ./bin first on PATH.
generate: $(MDATAGEN)
	cd $(CURDIR) && PATH="$(BIN):$$PATH" $(GO) generate ./...

## generate-check: fail if `make generate` changes any file of a component directory.
# The comparison is against the working tree (not HEAD), so it also catches a
# generated file that is missing or stale before it is committed.
generate-check: $(MDATAGEN)
	cd $(CURDIR) && dirs="$(COMPONENT_DIRS)" && \
	if [ -z "$$dirs" ]; then echo "generate-check: no metadata.yaml found"; exit 0; fi && \
	before=$$(mktemp) && after=$$(mktemp) && trap 'rm -f "$$before" "$$after"' EXIT && \
	find $$dirs -type f -print0 | sort -z | xargs -0 sha256sum > "$$before" && \
	PATH="$(BIN):$$PATH" $(GO) generate ./... && \
	find $$dirs -type f -print0 | sort -z | xargs -0 sha256sum > "$$after" && \
	if ! diff -u "$$before" "$$after"; then \
		git --no-pager diff --stat -- $$dirs || true; \
		echo "make generate changed the files above: run 'make generate' and commit the result" >&2; \
		exit 1; \
	fi

## lint: golangci-lint with .golangci.yml (formatters gci, gofumpt, goimports;
## govet, staticcheck, revive, gosec, testifylint, ...) on every module, e2e
## files included (build tag e2e), then tidy-check. Every module is checked
## before it fails; `golangci-lint run --fix` and `golangci-lint fmt`, run in
## a module, fix what can be fixed automatically.
lint: lint-go tidy-check license-check

## lint-go: golangci-lint on each module of MODULES that has Go packages.
lint-go: $(GOLANGCI_LINT)
	@failed=""; \
	for m in $(MODULES); do \
		if [ -z "$$(cd $(CURDIR)/$$m && $(GO) list ./... 2>/dev/null)" ]; then \
			echo "golangci-lint: $$m: no Go package, nothing to lint"; continue; \
		fi; \
		echo "golangci-lint: $$m"; \
		(cd $(CURDIR)/$$m && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...) || failed="$$failed $$m"; \
	done; \
	if [ -n "$$failed" ]; then echo "golangci-lint found issues in module(s):$$failed" >&2; exit 1; fi

## tidy-check: fail if `go mod tidy` would change the go.mod or go.sum of any
## module (go mod tidy -diff prints the change and modifies nothing).
tidy-check:
	@failed=""; \
	for m in $(MODULES); do \
		if ! (cd $(CURDIR)/$$m && $(GO) mod tidy -diff); then failed="$$failed $$m"; fi; \
	done; \
	if [ -n "$$failed" ]; then \
		echo "go mod tidy would change go.mod/go.sum of module(s):$$failed (or could not run, see above): run 'go mod tidy' there and commit" >&2; \
		exit 1; \
	fi; \
	echo "tidy-check: go.mod and go.sum of $(MODULES) are tidy"

## license-check: every Go file (generated ones aside) starts with the
## Copyright / SPDX-License-Identifier header (tools/spdx.sh adds it).
license-check:
	$(CURDIR)/tools/spdx.sh -check

## unit: unit tests with the race detector.
unit:
	cd $(CURDIR) && $(GO) test -race ./...

## e2e: the ocb-built collector and a real Prometheus, end to end; plus real npm
## GenAI clients (test/e2e/clients, Node.js >= 20.6 and npm on PATH): the test runs
## `npm ci --no-audit --no-fund` there itself when node_modules is not up to date.
e2e: build tools
	cd $(CURDIR) && OTELCOL_LLM_BINARY=$(OTELCOL) OTELCOL_LLM_GATEWAY_BINARY=$(GATEWAY) \
		PROMETHEUS_BINARY=$(PROMETHEUS) PROMTOOL_BINARY=$(PROMTOOL) \
		$(GO) test -tags e2e -count=1 -v -timeout $(E2E_TIMEOUT) -skip '$(IMAGE_TESTS)' ./test/e2e/...

## image: the container images $(IMAGE_NAME):<version> and
## $(GATEWAY_IMAGE_NAME):<version>, each also :latest (Dockerfile: FROM scratch,
## nothing pulled, one stage per image) from the binaries of `make build`.
## Stages each image's files in _build/image/<name> (the binary as /<name>, its
## default configuration as /etc/<name>/config.yaml: config/container.yaml, for
## the gateway config/gateway-dns.yaml; the host's CA bundle, /etc/passwd and
## /etc/group with otelcol-llm 10001:10001, /tmp), then runs docker build for
## both stages with the OCI labels (version, revision, created, source). Uses the
## engine `docker info` reaches; if none answers, tools/container-engine.sh
## starts a private dockerd for the builds (installing Debian docker.io if
## needed, as root) and stops it.
image: build
	if [ ! -s $(CA_BUNDLE) ]; then \
		echo "$(CA_BUNDLE) is missing: apt-get install ca-certificates" >&2; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates; \
	fi
	rm -rf $(IMAGE_STAGE)
	$(call stage-image,otelcol-llm,$(OTELCOL),$(CURDIR)/config/container.yaml)
	$(call stage-image,otelcol-llm-gateway,$(GATEWAY),$(CURDIR)/config/gateway-dns.yaml)
	cd $(CURDIR) && revision=unknown; \
	if head=$$(git rev-parse HEAD 2>/dev/null); then \
		revision=$$head; git diff --quiet HEAD -- || revision="$$head-dirty"; \
	fi; \
	$(CONTAINER_ENGINE) run $(MAKE) --no-print-directory image-build \
		IMAGE_REVISION="$$revision" IMAGE_CREATED="$$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# stage-image NAME,BINARY,CONFIG: the file tree of the image of Dockerfile
# stage NAME in $(IMAGE_STAGE)/NAME, every directory 0755 under any umask.
define stage-image
	install -d -m 0755 $(IMAGE_STAGE)/$(1) $(IMAGE_STAGE)/$(1)/etc $(IMAGE_STAGE)/$(1)/etc/$(1) \
		$(IMAGE_STAGE)/$(1)/etc/ssl $(IMAGE_STAGE)/$(1)/etc/ssl/certs
	install -d -m 1777 $(IMAGE_STAGE)/$(1)/tmp
	install -m 0755 $(2) $(IMAGE_STAGE)/$(1)/$(1)
	install -m 0644 $(3) $(IMAGE_STAGE)/$(1)/etc/$(1)/config.yaml
	install -m 0644 $(CA_BUNDLE) $(IMAGE_STAGE)/$(1)/etc/ssl/certs/ca-certificates.crt
	printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
		'otelcol-llm:x:10001:10001:otelcol-llm:/nonexistent:/sbin/nologin' > $(IMAGE_STAGE)/$(1)/etc/passwd
	printf '%s\n' 'root:x:0:' 'otelcol-llm:x:10001:' > $(IMAGE_STAGE)/$(1)/etc/group
	chmod 0644 $(IMAGE_STAGE)/$(1)/etc/passwd $(IMAGE_STAGE)/$(1)/etc/group
endef

# image-build: docker build of both stages of the Dockerfile from the trees
# `make image` staged, against the engine of DOCKER_HOST (make image runs it
# through tools/container-engine.sh, so that a private dockerd, if one is
# needed, is started and stopped once for both).
IMAGE_REVISION ?= unknown
IMAGE_CREATED ?= unknown
image-build:
	cd $(CURDIR) && $(DOCKER) build --file Dockerfile --target otelcol-llm \
		--build-arg VERSION=$(DIST_VERSION) --build-arg REVISION="$(IMAGE_REVISION)" \
		--build-arg CREATED="$(IMAGE_CREATED)" --build-arg SOURCE=$(IMAGE_SOURCE) \
		--tag $(IMAGE) --tag $(IMAGE_NAME):latest .
	cd $(CURDIR) && $(DOCKER) build --file Dockerfile --target otelcol-llm-gateway \
		--build-arg VERSION=$(GATEWAY_DIST_VERSION) --build-arg REVISION="$(IMAGE_REVISION)" \
		--build-arg CREATED="$(IMAGE_CREATED)" --build-arg SOURCE=$(IMAGE_SOURCE) \
		--tag $(GATEWAY_IMAGE) --tag $(GATEWAY_IMAGE_NAME):latest .

## image-test: make image, then test/e2e's TestImage and TestGatewayImage run
## the images: --version, labels, files and user, the default config, and the
## pipeline on free loopback ports below 32768 (docker run --network host): OTLP
## in, exact llm_* values on /metrics; for the gateway, OTLP into the gateway
## container, exact llm_* values on the otelcol-llm container it forwards to.
## If no engine answers it starts a private dockerd (tools/container-engine.sh)
## and stops it at the end; the tests skip, loudly, only when no engine can be
## had at all (not root and none running).
image-test:
	@skipfile=$$(mktemp); trap 'rm -f "$$skipfile"' EXIT; status=0; \
	CONTAINER_ENGINE_SKIP_FILE=$$skipfile $(CONTAINER_ENGINE) run $(MAKE) --no-print-directory image-e2e || status=$$?; \
	if [ $$status -eq 77 ]; then \
		cd $(CURDIR) && OTELCOL_LLM_IMAGE_SKIP="$$(cat "$$skipfile")" \
			$(GO) test -tags e2e -count=1 -v -run '$(IMAGE_TESTS)' ./test/e2e/; \
	else \
		exit $$status; \
	fi

# image-e2e: the image test against the engine `docker info` reaches (make
# image-test provides one). Dangling images of earlier builds are removed.
image-e2e: image
	cd $(CURDIR) && OTELCOL_LLM_IMAGE=$(IMAGE) OTELCOL_LLM_GATEWAY_IMAGE=$(GATEWAY_IMAGE) \
		OTELCOL_LLM_BINARY=$(OTELCOL) OTELCOL_LLM_GATEWAY_BINARY=$(GATEWAY) OTELCOL_LLM_CA_BUNDLE=$(CA_BUNDLE) DOCKER=$(DOCKER) \
		$(GO) test -tags e2e -count=1 -v -timeout $(IMAGE_TEST_TIMEOUT) -run '$(IMAGE_TESTS)' ./test/e2e/
	$(DOCKER) image prune --force --filter label=org.opencontainers.image.title=otelcol-llm
	$(DOCKER) image prune --force --filter label=org.opencontainers.image.title=otelcol-llm-gateway

## k8s-validate: every Kubernetes manifest (the rendered sets in .tmp/k8s/rendered,
## deploy/operator, the fixtures of test/k8s) dry-run against a real
## kube-apiserver + etcd on loopback, with strict validation (unknown fields and
## invalid values rejected, the field named) and the vendored CRDs installed;
## the rules of every PrometheusRule through promtool; every collector
## configuration (ConfigMaps the collector and gateway Deployments mount,
## OpenTelemetryCollector spec.config) through the binary's `validate`.
## K8S_MANIFESTS='glob ...' validates other files. The first run builds
## kube-apiserver and kubectl (~7 min) and installs etcd (k8s-etcd).
k8s-validate: build k8s-render $(KUBE_APISERVER) $(KUBECTL) $(PROMTOOL) k8s-etcd
	cd $(CURDIR) && K8S_MANIFESTS='$(K8S_MANIFESTS)' KUBE_APISERVER_BINARY=$(KUBE_APISERVER) KUBECTL_BINARY=$(KUBECTL) \
		ETCD_BINARY="$(if $(ETCD),$(ETCD),$$(command -v etcd))" PROMTOOL_BINARY=$(PROMTOOL) K8S_VERSION=$(K8S_VERSION) \
		OTELCOL_LLM_BINARY=$(OTELCOL) OTELCOL_LLM_GATEWAY_BINARY=$(GATEWAY) \
		$(GO) test -tags e2e -count=1 -v -timeout $(K8S_VALIDATE_TIMEOUT) ./test/k8s/

## k8s-etcd: make sure k8s-validate has an etcd: $(ETCD) if set, else etcd on
## PATH, else Debian's etcd-server installed with apt-get when running as root
## (on a host with systemd its package also starts an etcd service).
k8s-etcd:
	@if [ -n "$(ETCD)" ]; then \
		[ -x "$(ETCD)" ] || { echo "ETCD=$(ETCD) is not an executable file" >&2; exit 1; }; \
	elif ! command -v etcd >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "etcd is not on PATH: installing Debian's etcd-server (apt-get)" >&2; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y --no-install-recommends etcd-server || \
				{ apt-get update && apt-get install -y --no-install-recommends etcd-server; }; \
		else \
			echo "ERROR: make k8s-validate needs etcd, and it is not on PATH." >&2; \
			echo "  Install it (Debian/Ubuntu: sudo apt-get install etcd-server; or an etcd release binary)" >&2; \
			echo "  and put it on PATH, or pass ETCD=/path/to/etcd." >&2; \
			exit 1; \
		fi; \
	fi

## dashboards: regenerate dashboards/llm-overview.json and dashboards/queries.json
## (dashboards/ is its own Go module: it needs Prometheus' PromQL parser, which
## would move the collector's client_golang if it were in the root go.mod).
dashboards:
	cd $(CURDIR)/dashboards && $(GO) run ./gen

## dashboards-test: vet and test the dashboards module: strict parse with the
## Grafana foundation SDK, PromQL parse of every query, units and descriptions,
## committed JSON equal to the generator's output, rules/ and docs/ consistent.
dashboards-test:
	cd $(CURDIR)/dashboards && $(GO) vet ./... && $(GO) test -race ./...

## rules: regenerate rules/*.yaml, the threshold tables (rules/README.md, the
## rule files' headers) and the alert index of docs/runbook.md from one
## configuration: dashboards/mixin/defaults.yaml, overridden by the settings
## of RULES_CONFIG=file. RULES_OUT=dir writes only the rule files, into dir
## (your own rules: make rules RULES_CONFIG=my-rules.yaml RULES_OUT=my-rules).
## dashboards-test fails when the committed files differ from the defaults'.
## Writing rules/ also rewrites deploy/'s copies (deploy-gen).
RULES_CONFIG ?=
RULES_OUT ?=
rules:
	cd $(CURDIR)/dashboards && $(GO) run ./rulesgen $(if $(RULES_CONFIG),-config $(abspath $(RULES_CONFIG))) \
		$(if $(RULES_OUT),-out $(abspath $(RULES_OUT)),-out $(CURDIR)/rules -docs $(CURDIR))
	$(if $(RULES_OUT),,cd $(CURDIR) && $(GO) run ./deploy/gen)

## rules-test: promtool check rules and promtool test rules (rules/tests/*.yaml);
## then the rules of rules/tests/overrides/config.yaml (per-model SLO
## overrides), generated into .tmp/rules-overrides, checked and tested; then
## Sloth's rules from rules/sloth/llm-slos.yaml (sloth validate, sloth
## generate into .tmp/sloth): rules/tests/sloth/compat-test.yaml runs on them
## and, rule_files swapped, on llm-slo.yaml (same names, labels, values).
rules-test: $(PROMTOOL) $(SLOTH)
	$(PROMTOOL) check rules $(CURDIR)/rules/llm-recording.yaml $(CURDIR)/rules/llm-alerts.yaml $(CURDIR)/rules/llm-slo.yaml
	cd $(CURDIR)/rules && $(PROMTOOL) test rules tests/*.yaml
	rm -rf $(CURDIR)/.tmp/rules-overrides $(CURDIR)/.tmp/sloth
	cd $(CURDIR)/dashboards && $(GO) run ./rulesgen -config $(CURDIR)/rules/tests/overrides/config.yaml -out $(CURDIR)/.tmp/rules-overrides
	$(PROMTOOL) check rules $(CURDIR)/.tmp/rules-overrides/*.yaml
	cd $(CURDIR)/rules/tests/overrides && $(PROMTOOL) test rules slo-overrides-test.yaml
	mkdir -p $(CURDIR)/.tmp/sloth
	$(SLOTH) validate --input $(CURDIR)/rules/sloth/llm-slos.yaml
	$(SLOTH) generate --input $(CURDIR)/rules/sloth/llm-slos.yaml --out $(CURDIR)/.tmp/sloth/llm-slos-rules.yaml
	$(PROMTOOL) check rules $(CURDIR)/.tmp/sloth/llm-slos-rules.yaml
	cd $(CURDIR)/rules/tests/sloth && $(PROMTOOL) test rules compat-test.yaml
	sed 's|^  - ../../../.tmp/sloth/llm-slos-rules.yaml$$|  - ../../rules/llm-slo.yaml|' $(CURDIR)/rules/tests/sloth/compat-test.yaml \
		> $(CURDIR)/.tmp/sloth/compat-ours-test.yaml
	grep -q '^  - ../../rules/llm-slo.yaml$$' $(CURDIR)/.tmp/sloth/compat-ours-test.yaml
	cd $(CURDIR)/.tmp/sloth && $(PROMTOOL) test rules compat-ours-test.yaml

## deploy-gen: rewrite the copies that deploy/ holds of config/container.yaml,
## config/gateway-dns.yaml, config/gateway-k8s.yaml, rules/*.yaml and
## dashboards/llm-overview.json (kustomize and Helm read no file outside their
## folder): deploy/kubernetes base config, gateway and gateway-k8s configs,
## PrometheusRule and dashboard ConfigMap; the chart's files/ and the config
## blocks of its values.yaml; spec.config of the Operator example. Fails when
## the two gateway configurations differ in more than their resolver.
deploy-gen:
	cd $(CURDIR) && $(GO) run ./deploy/gen

## deploy-gen-check: fail, naming the files, if a copy of deploy-gen is stale.
deploy-gen-check:
	cd $(CURDIR) && $(GO) run ./deploy/gen -check

## k8s-render: render the kustomize overlays (single, gateway, gateway-k8s,
## podmonitor), the Helm chart (default values, ci/all-values.yaml,
## ci/podmonitor-values.yaml) and the Operator example into .tmp/k8s/rendered/,
## one multi-document YAML file per case; helm lint --strict on each values set.
k8s-render: $(HELM) $(KUSTOMIZE)
	$(CURDIR)/deploy/k8s-render.sh $(HELM) $(KUSTOMIZE) $(K8S_RENDERED)

## helm-test: bad chart values (negative replicaCount, unknown keys at any
## depth, wrong types, both monitors on, ...) must fail helm template / lint
## with the field named; the gateway's configuration as rendered for each
## resolver.
helm-test: $(HELM)
	$(CURDIR)/deploy/helm/helm-test.sh $(HELM)

## test: everything (installs what it needs).
test: lint generate-check deploy-gen-check unit dashboards-test rules-test k8s-render helm-test e2e image-test k8s-validate

## bench: the Go benchmarks of the root module, then the side-by-side benchmarks
## of bench/ (its own Go module: per-span cost vs contrib spanmetrics, the
## 100,000-value cardinality attack), which write BENCHMARKS.md (< 5 min).
bench:
	cd $(CURDIR) && $(GO) test -run '^$$' -bench . -benchmem ./...
	cd $(CURDIR)/bench && $(GO) test -count=1 -run TestSteadyStateAllocs -v ./perspan/
	cd $(CURDIR)/bench && $(GO) run ./cmd/report -out $(CURDIR)/BENCHMARKS.md

## bench-long: the 1,000,000-value cardinality attack (saved in
## bench/results/cardinality-long.json), then BENCHMARKS.md again.
bench-long:
	cd $(CURDIR)/bench && $(GO) run ./cmd/report -long
	$(MAKE) bench

# The stock-recipe collector of the throughput comparison: its own ocb, on the
# release of bench/builder-config.yaml (v0.161.0: the newest where transform and
# signal_to_metrics resolve here), kept in bench/bin and bench/_build.
STOCK_OCB_VERSION := v0.161.0
STOCK_BUILDER := $(CURDIR)/bench/bin/builder
BENCH_THROUGHPUT_FLAGS ?= -rounds 3 -warmup 3s -duration 20s
BENCH_SOAK_FLAGS ?= -soak-duration 10m -fraction 0.5

$(STOCK_BUILDER):
	GOBIN=$(CURDIR)/bench/bin $(GO) install go.opentelemetry.io/collector/cmd/builder@$(STOCK_OCB_VERSION)

## bench-stock: build bench/_build/otelcol-stock from bench/builder-config.yaml
## (first build ~4 min on 2 cores, then seconds).
bench-stock: $(STOCK_BUILDER)
	cd $(CURDIR)/bench && $(STOCK_BUILDER) --config builder-config.yaml

## bench-throughput: whole collectors, one after another, as subprocesses on
## 127.0.0.1: (a) otelcol-llm otlp -> llm_prometheus, (b) the same binary
## otlp -> debug (the ceiling), (c) the stock recipe; saved in
## bench/results/throughput.json, then BENCHMARKS.md (make bench). ~6 min + make bench.
bench-throughput: build bench-stock
	cd $(CURDIR)/bench && $(GO) run ./cmd/throughput $(BENCH_THROUGHPUT_FLAGS)
	$(MAKE) bench

## bench-soak: (a) at 50 % of its capacity for 10 minutes (capacity from
## bench/results/throughput.json, else measured first), RSS and /metrics
## scrape time every 10 s; saved in bench/results/soak.json, then make bench.
bench-soak: build
	cd $(CURDIR)/bench && $(GO) run ./cmd/throughput -soak $(BENCH_SOAK_FLAGS)
	$(MAKE) bench

## bench-spanbomb: the span bomb of test/e2e (TestSpanBombMemory: 3 requests of
## 500,000 empty spans, llm_prometheus vs debug, 2 runs each), saved in
## bench/results/spanbomb.json, then BENCHMARKS.md (make bench). ~1 min + make bench.
bench-spanbomb: build
	cd $(CURDIR) && OTELCOL_LLM_BINARY=$(OTELCOL) SPANBOMB_RESULTS=$(CURDIR)/bench/results/spanbomb.json \
		$(GO) test -tags e2e -count=1 -v -run '^TestSpanBombMemory$$' -timeout 10m ./test/e2e/
	$(MAKE) bench

## bench-dimensions: the built collector with dimensions [service, provider,
## tenant] and default caps: a fill of legitimate label sets, then 1,000,000
## calls each with a new service and a new tenant; label sets on /metrics,
## every overflow counter against the figures derived from what was sent,
## VmRSS along the attack; saved in bench/results/dimensions-attack.json, then
## BENCHMARKS.md (make bench). ~1 min + make bench.
bench-dimensions: build
	cd $(CURDIR)/bench && $(GO) run ./cmd/dimensions -attack -values 1000000 -save
	$(MAKE) bench

# The churn of bench-churn: 200 tenants active at a time, each for 30 s, the
# tenant's idle_timeout 15 s (~4,200 tenants in 10 minutes).
BENCH_CHURN_FLAGS ?= -duration 10m -idle 15s -active 200 -lifetime 30s

## bench-churn: tenants that come and go for 10 minutes under a short
## idle_timeout (BENCH_CHURN_FLAGS): label sets on /metrics, VmRSS and the
## admission of every active tenant every 10 s; saved in bench/results/churn.json,
## then BENCHMARKS.md (make bench). ~10 min + make bench. Not part of make test.
bench-churn: build
	cd $(CURDIR)/bench && $(GO) run ./cmd/dimensions -churn $(BENCH_CHURN_FLAGS) -save
	$(MAKE) bench

## bench-churn-short: the churn for 1 minute (150 tenants at a time for 10 s
## each, idle_timeout 10 s: ~1,000 tenants), nothing saved: a smoke run.
bench-churn-short: build
	cd $(CURDIR)/bench && $(GO) run ./cmd/dimensions -churn -short

## clean: remove the ocb output (./bin is kept: it is a cache of pinned tools).
clean:
	rm -rf $(BUILD_DIR)

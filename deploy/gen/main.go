// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Command gen writes the copies that the Kubernetes manifests, the Helm chart
// and the OpenTelemetry Operator example need of files kept elsewhere in the
// repository (kustomize and Helm read no file outside their own folder):
// `make deploy-gen`, or `go run ./deploy/gen` at the repository root.
//
//	config/container.yaml       -> deploy/kubernetes/base/config.yaml,
//	                               the config block of the chart's values.yaml,
//	                               spec.config of deploy/operator/opentelemetrycollector.yaml
//	rules/*.yaml                -> the PrometheusRule of deploy/kubernetes/components/prometheusrule,
//	                               the chart's files/
//	dashboards/llm-overview.json -> the ConfigMap of deploy/kubernetes/components/dashboard,
//	                               the chart's files/
//	config/gateway-dns.yaml     -> deploy/kubernetes/overlays/gateway/gateway-config.yaml,
//	                               the gateway.config block of the chart's values.yaml
//	config/gateway-k8s.yaml     -> deploy/kubernetes/overlays/gateway-k8s/gateway-config.yaml,
//	                               the chart's files/ (its resolver, for gateway.resolver k8s)
//
// The two gateway configurations must differ in their resolver only (the
// chart swaps just that): the generator fails otherwise, naming the setting.
//
// With -check it writes nothing and fails, naming the files, when a committed
// copy differs from what it would write (`make deploy-gen-check`).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	root := flag.String("root", ".", "root of the repository")
	check := flag.Bool("check", false, "write nothing; fail if a generated file differs from the committed one")
	flag.Parse()
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "deploy/gen:", err)
		os.Exit(1)
	}
}

func run(root string, check bool) error {
	outs, err := Outputs(root)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(outs))
	for name := range outs {
		names = append(names, name)
	}
	sort.Strings(names)
	var stale []string
	for _, name := range names {
		path := filepath.Join(root, name)
		old, err := os.ReadFile(path) //nolint:gosec // G304: the generator's own output paths under -root.
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if bytes.Equal(old, outs[name]) {
			continue
		}
		if check {
			stale = append(stale, name)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return err
		}
		//nolint:gosec // G306: files of the repository, readable by all like the rest of the tree.
		if err := os.WriteFile(path, outs[name], 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", name)
	}
	if len(stale) > 0 {
		return fmt.Errorf("%d file(s) differ from what `make deploy-gen` writes (run it and commit): %s",
			len(stale), strings.Join(stale, ", "))
	}
	return nil
}

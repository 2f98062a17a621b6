// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build tools

// Package k8s pins the Kubernetes programs that the Makefile builds into ./bin
// (kube-apiserver, kubectl) for the manifest validation of test/k8s.
package k8s

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)

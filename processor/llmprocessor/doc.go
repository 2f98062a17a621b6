// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package llmprocessor writes the canonical view of every LLM call span back
// onto the span as attributes under the latest GenAI semantic convention
// names, and optionally removes prompt and completion content.
package llmprocessor // import "github.com/otelcol-llm/otelcol-llm/processor/llmprocessor"

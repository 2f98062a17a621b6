// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

// recordingNoData are the recording rules of rules/llm-recording.yaml that no
// e2e scenario can give series, with the reason. The tests that require data
// from every recording rule (the scale-out and retention tests) skip them;
// Prometheus still loads and evaluates them (the retention test checks the
// health of every rule), and rules/tests/ pins their values.
var recordingNoData = map[string]string{
	"evaluation:llm_evaluation_score:p50_1h_offset1w": "the median score of the same hour a week ago: an e2e run " +
		"lasts minutes (rules/tests/weekly-test.yaml pins it)",
}

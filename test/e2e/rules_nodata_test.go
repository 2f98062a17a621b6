// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

// recordingNoData are the recording rules of rules/llm-recording.yaml that no
// e2e scenario can give series, with the reason. The tests that require data
// from every recording rule (the scale-out and retention tests) skip them;
// Prometheus still loads and evaluates them (the retention test checks the
// health of every rule), and rules/tests/ pins their values. The daily
// cache baseline (model_template:llm_cached_prompt_tokens:ratio_avg1d_rate1h)
// is not here: avg_over_time over [1d] averages the samples recorded so far,
// so it has data from the first evaluation.
var recordingNoData = map[string]string{
	"evaluation:llm_evaluation_score:p50_1h_offset1w": "the median score of the same hour a week ago: an e2e run " +
		"lasts minutes (rules/tests/weekly-test.yaml pins it)",
	// The template baselines read the series these rules recorded a week
	// earlier (offset 1w); a minutes-long run has none.
	"template:llm_requests:rate1h_offset1w": "the template's call rate recorded a week ago: an e2e run lasts " +
		"minutes (rules/tests/template-test.yaml pins it)",
	"template:llm_request_duration_seconds:p95_1h_offset1w": "the template's p95 recorded a week ago: an e2e " +
		"run lasts minutes (rules/tests/template-test.yaml pins it)",
	"template:llm_completion_tokens_per_request:ratio_rate1h_offset1w": "the template's completion tokens per " +
		"call recorded a week ago: an e2e run lasts minutes (rules/tests/template-test.yaml pins it)",
	"template:llm_cost_usd_per_request:ratio_rate1h_offset1w": "the template's cost per call recorded a week " +
		"ago: an e2e run lasts minutes (rules/tests/template-test.yaml pins it)",
}

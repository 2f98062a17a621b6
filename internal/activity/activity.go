// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package activity holds the llm_* families of agents, tools, guardrails
// and evaluations: client_golang vectors in their own registry, their label
// values bounded by caps as the recorder bounds model and template. These
// spans are a few per LLM call at most, so the library's vectors do the job
// (the recorder exists for the hot path of every call).
package activity // import "github.com/otelcol-llm/otelcol-llm/internal/activity"

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/internal/labelvalue"
)

// Label values that stand for no value (the span or event names no agent,
// tool, guardrail or evaluation) and for the values past a cap.
const (
	Unknown = labelvalue.Unknown
	Other   = labelvalue.Other
)

// Label identifies one capped label.
type Label uint8

const (
	LabelTool Label = iota
	LabelAgent
	LabelGuardrail
	LabelEvaluation
	LabelEvaluationLabel
	NumLabels
)

var labelNames = [NumLabels]string{"tool", "agent", "guardrail", "evaluation", "evaluation_label"}

func (l Label) String() string { return labelNames[l] }

// CallBuckets are the buckets of the calls per agent invocation, as the GenAI
// semantic conventions' gen_ai.invoke_agent.inference_calls / tool_calls.
var CallBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128}

// ScoreBuckets are the classic buckets of evaluation scores (0 … 1).
var ScoreBuckets = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}

// Settings configure Metrics.
type Settings struct {
	Namespace          string
	ToolBuckets        []float64
	AgentBuckets       []float64
	NativeHistograms   bool
	NativeBucketFactor float64
	NativeMaxBuckets   uint32
	// MaxValueLength bounds every label value in bytes (cut at a UTF-8
	// boundary).
	MaxValueLength int
	// MaxValues caps the distinct values of each label.
	MaxValues [NumLabels]int
}

// Metrics records agents, tools, guardrails and evaluations. It is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	toolCalls, agentInvocations, guardrails, evalResults *prometheus.CounterVec
	toolDuration, agentDuration                          *prometheus.HistogramVec
	agentModelCalls, agentToolCalls, evalScore           *prometheus.HistogramVec

	caps [NumLabels]*labelvalue.Capped
}

// Outcome says what recording one value did to its labels.
type Outcome struct {
	// Overflow: bit l, the value of label l was past its cap (counted as
	// other).
	Overflow uint8
	// Cut: the label values cut to the maximum length or repaired to
	// valid UTF-8.
	Cut int
}

// New builds Metrics.
func New(set Settings) (*Metrics, error) {
	if set.MaxValueLength < 1 {
		return nil, fmt.Errorf("max value length %d must be >= 1", set.MaxValueLength)
	}
	m := &Metrics{reg: prometheus.NewRegistry()}
	for l := range NumLabels {
		if set.MaxValues[l] < 1 {
			return nil, fmt.Errorf("%s: max values %d must be >= 1", l, set.MaxValues[l])
		}
		m.caps[l] = labelvalue.NewCapped(set.MaxValues[l], set.MaxValueLength)
	}
	name := func(s string) string {
		if set.Namespace == "" {
			return s
		}
		return set.Namespace + "_" + s
	}
	native := func(o prometheus.HistogramOpts) prometheus.HistogramOpts {
		if set.NativeHistograms {
			o.NativeHistogramBucketFactor = set.NativeBucketFactor
			o.NativeHistogramMaxBucketNumber = set.NativeMaxBuckets
		}
		return o
	}
	m.toolCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: name("tool_calls_total"),
		Help: "Tool executions by tool and status (success or error).",
	}, []string{"tool", "status"})
	m.toolDuration = prometheus.NewHistogramVec(native(prometheus.HistogramOpts{
		Name:    name("tool_duration_seconds"),
		Help:    "Duration of tool executions in seconds, failed ones included.",
		Buckets: set.ToolBuckets,
	}), []string{"tool"})
	m.agentInvocations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: name("agent_invocations_total"),
		Help: "Agent invocations by agent and status (success or error).",
	}, []string{"agent", "status"})
	m.agentDuration = prometheus.NewHistogramVec(native(prometheus.HistogramOpts{
		Name:    name("agent_duration_seconds"),
		Help:    "Duration of agent invocations in seconds, failed ones included.",
		Buckets: set.AgentBuckets,
	}), []string{"agent"})
	m.agentModelCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    name("agent_model_calls"),
		Help:    "LLM calls per agent invocation (the calls under the agent span that the collector received with it).",
		Buckets: CallBuckets,
	}, []string{"agent"})
	m.agentToolCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    name("agent_tool_calls"),
		Help:    "Tool executions per agent invocation (the tool spans under the agent span that the collector received with it).",
		Buckets: CallBuckets,
	}, []string{"agent"})
	m.guardrails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: name("guardrail_results_total"),
		Help: "Guardrail results by guardrail and result (allowed, blocked, modified, error). A block is not an LLM error.",
	}, []string{"guardrail", "result"})
	m.evalScore = prometheus.NewHistogramVec(native(prometheus.HistogramOpts{
		Name:    name("evaluation_score"),
		Help:    "Evaluation scores (gen_ai.evaluation.result events) from 0 to 1, by evaluation.",
		Buckets: ScoreBuckets,
	}), []string{"evaluation"})
	m.evalResults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: name("evaluation_results_total"),
		Help: "Evaluation results (gen_ai.evaluation.result events) by evaluation and score label.",
	}, []string{"evaluation", "label"})
	for _, c := range []prometheus.Collector{
		m.toolCalls, m.toolDuration, m.agentInvocations, m.agentDuration, m.agentModelCalls,
		m.agentToolCalls, m.guardrails, m.evalScore, m.evalResults,
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Gatherer is the registry of the families.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// RecordTool counts a tool execution.
func (m *Metrics) RecordTool(a *genai.Activity) Outcome {
	var o Outcome
	tool := m.value(LabelTool, a.Name, &o)
	m.toolCalls.WithLabelValues(tool, a.Status.String()).Inc()
	if a.HasDuration {
		m.toolDuration.WithLabelValues(tool).Observe(a.Duration)
	}
	return o
}

// RecordAgent counts an agent invocation and its calls.
func (m *Metrics) RecordAgent(a *genai.Activity) Outcome {
	var o Outcome
	agent := m.value(LabelAgent, a.Name, &o)
	m.agentInvocations.WithLabelValues(agent, a.Status.String()).Inc()
	if a.HasDuration {
		m.agentDuration.WithLabelValues(agent).Observe(a.Duration)
	}
	m.agentModelCalls.WithLabelValues(agent).Observe(float64(a.ModelCalls))
	m.agentToolCalls.WithLabelValues(agent).Observe(float64(a.ToolCalls))
	return o
}

// RecordGuardrail counts a guardrail result; a guardrail without a result
// counts nothing (its invalid value is the caller's to count).
func (m *Metrics) RecordGuardrail(a *genai.Activity) Outcome {
	var o Outcome
	if a.Guardrail == genai.GuardrailNone {
		return o
	}
	name := m.value(LabelGuardrail, a.Name, &o)
	m.guardrails.WithLabelValues(name, a.Guardrail.String()).Inc()
	return o
}

// RecordEvaluation counts an evaluation result: its score and its label.
func (m *Metrics) RecordEvaluation(ev *genai.Evaluation) Outcome {
	var o Outcome
	if !ev.HasScore && ev.Label == "" {
		return o
	}
	name := m.value(LabelEvaluation, ev.Name, &o)
	if ev.HasScore {
		m.evalScore.WithLabelValues(name).Observe(ev.Score)
	}
	if ev.Label != "" {
		m.evalResults.WithLabelValues(name, m.value(LabelEvaluationLabel, ev.Label, &o)).Inc()
	}
	return o
}

// value is the label value of v for label l (labelvalue.Capped).
func (m *Metrics) value(l Label, v string, o *Outcome) string {
	s, overflow, cut := m.caps[l].Value(v)
	if overflow {
		o.Overflow |= 1 << l
	}
	if cut {
		o.Cut++
	}
	return s
}

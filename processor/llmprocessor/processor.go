// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprocessor // import "github.com/otelcol-llm/otelcol-llm/processor/llmprocessor"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"

	"github.com/otelcol-llm/otelcol-llm/internal/batch"
	"github.com/otelcol-llm/otelcol-llm/internal/cost"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/enrich"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/redact"
)

type llmProcessor struct {
	batches   *batch.Extractor
	writer    *enrich.Writer
	pricer    *pricing.Pricer
	prices    *cost.Cache
	redactor  *redact.Redactor // nil unless redact_content
	telemetry *metadata.TelemetryBuilder
}

func newLLMProcessor(cfg *Config, set processor.Settings) (*llmProcessor, error) {
	p := &llmProcessor{batches: cfg.NewExtractor(), writer: enrich.NewWriter(cfg.Dimensions)}
	var err error
	// The pricer starts no goroutine before start: nothing to release if
	// the telemetry builder fails.
	if p.pricer, err = cfg.NewPricer(set.Logger); err != nil {
		return nil, err
	}
	if p.telemetry, err = metadata.NewTelemetryBuilder(set.TelemetrySettings); err != nil {
		return nil, err
	}
	p.prices = cost.NewCache(p.pricer)
	if cfg.RedactContent {
		p.redactor = redact.New(cfg.TemplateKeys())
	}
	return p, nil
}

func (p *llmProcessor) start(context.Context, component.Host) error {
	p.pricer.Start()
	return nil
}

func (p *llmProcessor) shutdown(context.Context) error {
	p.pricer.Stop()
	p.telemetry.Shutdown()
	return nil
}

// processTraces enriches every LLM call span (canonical values and, with
// dimensions, llm.dimension.<label>) and every agent, tool and guardrail
// span (its name, status, result and counts): with deduplicate_nested_calls
// every span is read first (on the untouched spans), then a nested duplicate
// (a counted span whose counted child records the same call) is marked
// llm.duplicate_of_child instead of enriched. Then, with redact_content, it
// removes content from every span, LLM call or not.
func (p *llmProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	bc := p.batches.ExtractAll(td, &batch.Visitor{
		Call: func(call *genai.Call, span ptrace.Span, dup bool) {
			attrs := span.Attributes()
			if dup {
				attrs.PutBool(enrich.KeyDuplicateOfChild, true)
				return
			}
			p.writer.Write(call, attrs)
			p.writeCost(call, attrs)
		},
		Activity: func(a *genai.Activity, span ptrace.Span) {
			if !a.FromEvent { // a result event's span is not the guardrail's
				p.writer.WriteActivity(a, span.Attributes())
			}
		},
	})
	var redacted [2]int64 // attributes, events
	if p.redactor != nil {
		for _, span := range genai.Spans(td) {
			a, e := p.redactor.Span(span)
			redacted[0] += int64(a)
			redacted[1] += int64(e)
		}
	}
	p.report(ctx, bc, redacted)
	return td, nil
}

// writeCost puts a price-table cost (internal/cost) on the span as
// gen_ai.usage.cost, marked llm.cost_estimated = true, when the call reports
// tokens and the span carries no refused cost value (left as it was). A cost
// the span carries stays.
func (p *llmProcessor) writeCost(call *genai.Call, attrs pcommon.Map) {
	v, src := p.prices.Of(call, nil)
	if src != cost.Table || call.Invalid&genai.InvalidCost != 0 || (!call.HasInputTokens && !call.HasOutputTokens) {
		return
	}
	attrs.PutDouble(enrich.KeyCost, v)
	attrs.PutBool(genai.KeyCostEstimated, true)
}

// report updates the component's own telemetry once per batch.
func (p *llmProcessor) report(ctx context.Context, bc batch.Counts, redacted [2]int64) {
	t := p.telemetry
	if n := bc.Calls - bc.Nested; n > 0 {
		t.ProcessorLlmSpansEnriched.Add(ctx, int64(n))
	}
	if bc.Skipped > 0 {
		t.ProcessorLlmSpansSkipped.Add(ctx, int64(bc.Skipped))
	}
	if bc.Nested > 0 {
		t.ProcessorLlmNestedCalls.Add(ctx, int64(bc.Nested))
	}
	if redacted[0] > 0 {
		t.ProcessorLlmAttributesRedacted.Add(ctx, redacted[0])
	}
	if redacted[1] > 0 {
		t.ProcessorLlmEventsRedacted.Add(ctx, redacted[1])
	}
}

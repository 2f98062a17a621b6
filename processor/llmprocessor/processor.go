package llmprocessor // import "github.com/otelcol-llm/otelcol-llm/processor/llmprocessor"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/enrich"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/redact"
)

type llmProcessor struct {
	extractor *genai.Extractor
	pricer    *pricing.Pricer
	prices    *pricing.Cache
	redactor  *redact.Redactor // nil unless redact_content
	telemetry *metadata.TelemetryBuilder
}

func newLLMProcessor(cfg *Config, set processor.Settings) (*llmProcessor, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	pricer, err := pricing.NewPricer(cfg.Pricing.Settings(), set.Logger)
	if err != nil {
		tb.Shutdown()
		return nil, err
	}
	p := &llmProcessor{
		extractor: genai.NewExtractor(genai.Options{TemplateKeys: cfg.TemplateAttributes}),
		pricer:    pricer,
		prices:    pricing.NewCache(pricer),
		telemetry: tb,
	}
	if cfg.RedactContent {
		keep := cfg.TemplateAttributes
		if keep == nil {
			keep = genai.DefaultTemplateKeys()
		}
		p.redactor = redact.New(keep)
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

// batchCounts accumulates the component's own telemetry for one batch so the
// instruments are updated once per batch, not once per span.
type batchCounts struct {
	enriched, skipped             int64
	attrsRedacted, eventsRedacted int64
}

// processTraces enriches every LLM call span (extraction first, on the
// untouched span), then, with redact_content, removes content from every span.
func (p *llmProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	var counts batchCounts
	var call genai.Call
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource()
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				if p.extractor.Extract(span, res, &call) {
					enrich.Write(&call, span.Attributes())
					p.writeCost(&call, span.Attributes())
					counts.enriched++
				} else {
					counts.skipped++
				}
				if p.redactor != nil {
					a, e := p.redactor.Span(span)
					counts.attrsRedacted += int64(a)
					counts.eventsRedacted += int64(e)
				}
			}
		}
	}
	p.report(ctx, &counts)
	return td, nil
}

// writeCost puts the call's price-table cost on the span as gen_ai.usage.cost
// when the span carries no cost of its own (a refused cost value is left as
// it was), reports tokens, and its model has a price.
func (p *llmProcessor) writeCost(call *genai.Call, attrs pcommon.Map) {
	if call.HasCost || call.Invalid&genai.InvalidCost != 0 || !(call.HasInputTokens || call.HasOutputTokens) {
		return
	}
	price, ok := p.prices.Lookup(call.Provider, call.Model())
	if !ok {
		return
	}
	attrs.PutDouble(enrich.KeyCost, price.Cost(pricing.Usage{
		Input: call.InputTokens, Output: call.OutputTokens,
		CachedInput: call.CachedInputTokens, Reasoning: call.ReasoningTokens,
	}))
}

func (p *llmProcessor) report(ctx context.Context, c *batchCounts) {
	t := p.telemetry
	if c.enriched > 0 {
		t.LlmProcessorSpansEnriched.Add(ctx, c.enriched)
	}
	if c.skipped > 0 {
		t.LlmProcessorSpansSkipped.Add(ctx, c.skipped)
	}
	if c.attrsRedacted > 0 {
		t.LlmProcessorAttributesRedacted.Add(ctx, c.attrsRedacted)
	}
	if c.eventsRedacted > 0 {
		t.LlmProcessorEventsRedacted.Add(ctx, c.eventsRedacted)
	}
}

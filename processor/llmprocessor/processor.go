package llmprocessor // import "github.com/otelcol-llm/otelcol-llm/processor/llmprocessor"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"

	"github.com/otelcol-llm/otelcol-llm/internal/freelist"
	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/enrich"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadata"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/redact"
)

type llmProcessor struct {
	extractor   *genai.Extractor
	pricer      *pricing.Pricer
	prices      *pricing.Cache
	redactor    *redact.Redactor // nil unless redact_content
	telemetry   *metadata.TelemetryBuilder
	deduplicate bool // deduplicate_nested_calls

	// scratch holds *batchScratch values for processDeduplicated.
	scratch freelist.List[batchScratch]
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

		deduplicate: cfg.DeduplicateNestedCalls,
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
	enriched, skipped, nested     int64
	attrsRedacted, eventsRedacted int64
}

// batchScratch is the memory of one batch on the deduplicating path, reused
// through llmProcessor.scratch (processTraces runs concurrently).
type batchScratch struct {
	calls  []genai.Call  // the counted calls of the batch
	spans  []ptrace.Span // spans[i] is the span of calls[i]
	nested genai.Nested
}

// maxPooledCalls bounds the scratch kept for the next batches: the memory of
// a rare huge batch goes back to the GC.
const maxPooledCalls = 1 << 14

// processTraces enriches every LLM call span (extraction first, on the
// untouched span), then, with redact_content, removes content from every span.
func (p *llmProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	var counts batchCounts
	if p.deduplicate {
		p.processDeduplicated(td, &counts)
	} else {
		p.processEach(td, &counts)
	}
	p.report(ctx, &counts)
	return td, nil
}

// processEach enriches (and redacts) span by span.
func (p *llmProcessor) processEach(td ptrace.Traces, counts *batchCounts) {
	var call genai.Call
	for res, span := range genai.Spans(td) {
		if p.extractor.Extract(span, res, &call) {
			p.enrich(&call, span.Attributes(), counts)
		} else {
			counts.skipped++
		}
		p.redact(span, counts)
	}
}

// processDeduplicated extracts every span of the batch first (on the
// untouched spans), finds the nested duplicates (genai.Nested: a counted span
// whose counted child records the same call), marks them with
// llm.duplicate_of_child instead of enriching them, enriches the other calls,
// then redacts every span.
func (p *llmProcessor) processDeduplicated(td ptrace.Traces, counts *batchCounts) {
	s := p.scratch.Get()
	n := td.SpanCount()
	if cap(s.calls) < n {
		s.calls = make([]genai.Call, n)
		s.spans = make([]ptrace.Span, n)
	}
	all, spanOf := s.calls[:n], s.spans[:n]
	m := 0 // counted calls so far, in all[:m]
	for res, span := range genai.Spans(td) {
		if p.extractor.Extract(span, res, &all[m]) {
			spanOf[m] = span
			m++
		} else {
			counts.skipped++
		}
	}
	calls := all[:m]
	s.nested.Find(calls)
	for i := range calls {
		attrs := spanOf[i].Attributes()
		if s.nested.Dup(i) {
			attrs.PutBool(enrich.KeyDuplicateOfChild, true)
			counts.nested++
			continue
		}
		p.enrich(&calls[i], attrs, counts)
	}
	if p.redactor != nil {
		for _, span := range genai.Spans(td) {
			p.redact(span, counts)
		}
	}
	// Drop the references to the batch before the scratch waits in the free list
	// (all[m] may hold a partly written call).
	clear(all[:min(m+1, n)])
	clear(spanOf[:m])
	if cap(s.calls) <= maxPooledCalls {
		p.scratch.Put(s)
	}
}

// enrich writes a counted call's canonical values and its cost onto attrs.
func (p *llmProcessor) enrich(call *genai.Call, attrs pcommon.Map, counts *batchCounts) {
	enrich.Write(call, attrs)
	p.writeCost(call, attrs)
	counts.enriched++
}

// redact removes content from span with redact_content.
func (p *llmProcessor) redact(span ptrace.Span, counts *batchCounts) {
	if p.redactor != nil {
		a, e := p.redactor.Span(span)
		counts.attrsRedacted += int64(a)
		counts.eventsRedacted += int64(e)
	}
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
	attrs.PutDouble(enrich.KeyCost, price.Cost(call.Usage()))
}

func (p *llmProcessor) report(ctx context.Context, c *batchCounts) {
	t := p.telemetry
	if c.enriched > 0 {
		t.ProcessorLlmSpansEnriched.Add(ctx, c.enriched)
	}
	if c.skipped > 0 {
		t.ProcessorLlmSpansSkipped.Add(ctx, c.skipped)
	}
	if c.nested > 0 {
		t.ProcessorLlmNestedCalls.Add(ctx, c.nested)
	}
	if c.attrsRedacted > 0 {
		t.ProcessorLlmAttributesRedacted.Add(ctx, c.attrsRedacted)
	}
	if c.eventsRedacted > 0 {
		t.ProcessorLlmEventsRedacted.Add(ctx, c.eventsRedacted)
	}
}

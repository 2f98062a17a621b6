package llmprocessor // import "github.com/otelcol-llm/otelcol-llm/processor/llmprocessor"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
	"github.com/otelcol-llm/otelcol-llm/processor/llmprocessor/internal/metadata"
)

const (
	// defaultRedactContent keeps prompt and completion content unless asked.
	defaultRedactContent = false
	// defaultDeduplicateNestedCalls enriches a call seen as two nested LLM
	// spans once, as the llm_prometheus exporter counts it once.
	defaultDeduplicateNestedCalls = true
)

// NewFactory returns the factory of the llm processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(metadata.Type, createDefaultConfig,
		processor.WithTraces(createTraces, metadata.TracesStability))
}

func createDefaultConfig() component.Config {
	return &Config{
		TemplateAttributes: genai.DefaultTemplateKeys(),
		RedactContent:      defaultRedactContent,
		Pricing:            pricing.DefaultConfig(),

		DeduplicateNestedCalls: defaultDeduplicateNestedCalls,
	}
}

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := newLLMProcessor(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces,
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown),
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
	)
}

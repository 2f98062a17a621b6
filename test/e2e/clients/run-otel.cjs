'use strict';
// openai + @opentelemetry/instrumentation-openai (OpenTelemetry JS contrib), default options.
const { startSDK, runOpenAIScenario, main } = require('./common.cjs');
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');

main(async () => {
  const sdk = startSDK('e2e-otel', [new OpenAIInstrumentation()]);
  try {
    // Required after the SDK started: the instrumentation's require hook patches it.
    const { OpenAI } = require('openai');
    return await runOpenAIScenario(OpenAI);
  } finally {
    await sdk.finish();
  }
});

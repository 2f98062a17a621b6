'use strict';
// openai + @opentelemetry/instrumentation-openai: the finish-reason scenario of
// common.cjs (stop, length, content_filter, a stream, a broken stream, a stream
// failing with an error event).
const { startSDK, runOpenAIFinishScenario, main } = require('./common.cjs');
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');

main(async () => {
  const sdk = startSDK('e2e-finish-otel', [new OpenAIInstrumentation()]);
  try {
    // Required after the SDK started: the instrumentation's require hook patches it.
    const { OpenAI } = require('openai');
    return await runOpenAIFinishScenario(OpenAI);
  } finally {
    await sdk.finish();
  }
});

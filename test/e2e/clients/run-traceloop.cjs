'use strict';
// openai + @traceloop/instrumentation-openai (OpenLLMetry JS), default options.
const { startSDK, runOpenAIScenario, main } = require('./common.cjs');
const { OpenAIInstrumentation } = require('@traceloop/instrumentation-openai');

main(async () => {
  const sdk = startSDK('e2e-traceloop', [new OpenAIInstrumentation()]);
  try {
    // Required after the SDK started: the instrumentation's require hook patches it.
    const { OpenAI } = require('openai');
    return await runOpenAIScenario(OpenAI);
  } finally {
    await sdk.finish();
  }
});

'use strict';
// openai + @arizeai/openinference-instrumentation-openai (OpenInference), default options.
const { startSDK, runOpenAIScenario, main } = require('./common.cjs');
const { OpenAIInstrumentation } = require('@arizeai/openinference-instrumentation-openai');

main(async () => {
  const sdk = startSDK('e2e-openinference', [new OpenAIInstrumentation()]);
  try {
    // Required after the SDK started: the instrumentation's require hook patches it.
    const { OpenAI } = require('openai');
    return await runOpenAIScenario(OpenAI);
  } finally {
    await sdk.finish();
  }
});

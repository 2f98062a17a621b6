'use strict';
// Vercel AI SDK v6 (ai + @ai-sdk/openai): no instrumentation package, the SDK
// emits its own ai.* spans (experimental_telemetry) through the global tracer
// provider that the Node SDK registers.
const { startSDK, runVercelScenario, main } = require('./common.cjs');

main(async () => {
  const sdk = startSDK('e2e-vercel', []);
  try {
    return await runVercelScenario(require('ai'), require('@ai-sdk/openai').createOpenAI);
  } finally {
    await sdk.finish();
  }
});

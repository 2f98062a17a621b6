'use strict';
// Vercel AI SDK v7 (ai + @ai-sdk/openai + @ai-sdk/otel): the finish-reason
// scenario of ../common.cjs (stop, length, content_filter, a stream, a broken
// stream, a stream failing with an error event), with the gen_ai.* spans of
// the OpenTelemetry integration.
const { startSDK, runVercelFinishScenario, main } = require('../common.cjs');

main(async () => {
  const sdk = startSDK('e2e-finish-vercel-v7', []);
  try {
    const ai = require('ai');
    const { OpenTelemetry } = require('@ai-sdk/otel');
    ai.registerTelemetry(new OpenTelemetry());
    return await runVercelFinishScenario(ai, require('@ai-sdk/openai').createOpenAI);
  } finally {
    await sdk.finish();
  }
});

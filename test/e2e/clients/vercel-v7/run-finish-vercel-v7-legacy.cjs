'use strict';
// Vercel AI SDK v7 (ai + @ai-sdk/openai + @ai-sdk/otel): the finish-reason
// scenario of ../common.cjs (stop, length, content_filter, a stream, a broken
// stream, a stream failing with an error event), with the ai.* spans of the
// legacy integration (LegacyOpenTelemetry: the spans of the SDK up to v6).
const { startSDK, runVercelFinishScenario, main } = require('../common.cjs');

main(async () => {
  const sdk = startSDK('e2e-finish-vercel-v7-legacy', []);
  try {
    const ai = require('ai');
    const { LegacyOpenTelemetry } = require('@ai-sdk/otel');
    ai.registerTelemetry(new LegacyOpenTelemetry());
    return await runVercelFinishScenario(ai, require('@ai-sdk/openai').createOpenAI);
  } finally {
    await sdk.finish();
  }
});

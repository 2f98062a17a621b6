'use strict';
// Vercel AI SDK v7 (ai + @ai-sdk/openai + @ai-sdk/otel): the SDK emits
// gen_ai.* spans (invoke_agent > step > chat, embeddings) through the
// OpenTelemetry integration registered with registerTelemetry, on the global
// tracer provider that the Node SDK (from the parent folder) registers.
//
// ai 7 declares Node.js >= 22; this runs it on Node.js 20, where the test
// shows it works for this scenario.
const { startSDK, runVercelScenario, main } = require('../common.cjs');

main(async () => {
  const sdk = startSDK('e2e-vercel-v7', []);
  try {
    const ai = require('ai');
    const { OpenTelemetry } = require('@ai-sdk/otel');
    ai.registerTelemetry(new OpenTelemetry());
    return await runVercelScenario(ai, require('@ai-sdk/openai').createOpenAI);
  } finally {
    await sdk.finish();
  }
});

'use strict';
// Vercel AI SDK v7 (ai + @ai-sdk/openai + @ai-sdk/otel) as a tool-calling
// agent: the agent scenario of ../common.cjs, with the gen_ai.* spans of the
// OpenTelemetry integration (invoke_agent > step > chat, execute_tool).
const { startSDK, runVercelAgentScenario, main } = require('../common.cjs');

main(async () => {
  const sdk = startSDK('e2e-agent-vercel-v7', []);
  try {
    const ai = require('ai');
    const { OpenTelemetry } = require('@ai-sdk/otel');
    ai.registerTelemetry(new OpenTelemetry());
    return await runVercelAgentScenario(ai, require('@ai-sdk/openai').createOpenAI, require('zod').z);
  } finally {
    await sdk.finish();
  }
});

'use strict';
// Vercel AI SDK v6 (ai + @ai-sdk/openai) as a tool-calling agent: generateText
// with tools and several steps (stopWhen), experimental_telemetry with the
// functionId weather-agent. Spans per invocation: ai.generateText (the agent)
// > ai.generateText.doGenerate per step (the model calls) and ai.toolCall per
// tool call.
const { startSDK, runVercelAgentScenario, main } = require('./common.cjs');

main(async () => {
  const sdk = startSDK('e2e-agent-vercel', []);
  try {
    return await runVercelAgentScenario(require('ai'), require('@ai-sdk/openai').createOpenAI, require('zod').z);
  } finally {
    await sdk.finish();
  }
});

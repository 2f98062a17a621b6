'use strict';
// Dimensions (test/e2e/dimensions_test.go): Vercel AI SDK v6, the service
// "search-api" (resource service.name, set by the Node SDK), the user of each
// call in experimental_telemetry.metadata.userId, which the SDK writes on its
// spans (the counted ai.generateText.doGenerate included) as
// `ai.telemetry.metadata.userId`.
const { startSDK, requiredEnv, main, MODEL_CHAT, PROMPT } = require('./common.cjs');

// user → generateText calls; null: no metadata.
const CALLS = [['carol', 2], ['alice', 1], [null, 1]];

main(async () => {
  const sdk = startSDK('search-api', []);
  try {
    const { generateText } = require('ai');
    const openai = require('@ai-sdk/openai').createOpenAI({ baseURL: requiredEnv('FAKE_OPENAI_BASE_URL'), apiKey: 'sk-fake-e2e' });
    const done = [];
    for (const [user, n] of CALLS) {
      const telemetry = { isEnabled: true, functionId: 'search-answer' };
      if (user) {
        telemetry.metadata = { userId: user };
      }
      for (let i = 0; i < n; i++) {
        const r = await generateText({ maxRetries: 0, experimental_telemetry: telemetry, model: openai.chat(MODEL_CHAT), prompt: PROMPT });
        if (r.finishReason !== 'stop') {
          throw new Error(`generateText for ${user}: finishReason ${r.finishReason}`);
        }
        done.push(user || '-');
      }
    }
    return done;
  } finally {
    await sdk.finish();
  }
});

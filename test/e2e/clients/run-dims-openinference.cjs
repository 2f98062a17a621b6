'use strict';
// Dimensions (test/e2e/dimensions_test.go): openai + OpenInference, the
// service "checkout-api" (resource service.name, set by the Node SDK), the user
// of each call set the OpenInference way: setUser() on the context, which the
// instrumentation's OITracer copies onto every span it starts as `user.id`.
const { context } = require('@opentelemetry/api');
const { startSDK, requiredEnv, main, MODEL_CHAT, PROMPT } = require('./common.cjs');
const { OpenAIInstrumentation } = require('@arizeai/openinference-instrumentation-openai');
const { setUser } = require('@arizeai/openinference-core');

// user → non-streamed chats; null: no user.
const CALLS = [['alice', 2], ['bob', 1], [null, 1]];

main(async () => {
  const sdk = startSDK('checkout-api', [new OpenAIInstrumentation()]);
  try {
    // Required after the SDK started: the instrumentation's require hook patches it.
    const { OpenAI } = require('openai');
    const client = new OpenAI({ baseURL: requiredEnv('FAKE_OPENAI_BASE_URL'), apiKey: 'sk-fake-e2e', maxRetries: 0, timeout: 10000 });
    const done = [];
    for (const [user, n] of CALLS) {
      const ctx = user ? setUser(context.active(), { userId: user }) : context.active();
      for (let i = 0; i < n; i++) {
        const r = await context.with(ctx, () => client.chat.completions.create({ model: MODEL_CHAT, messages: [{ role: 'user', content: PROMPT }] }));
        if (r.choices[0].finish_reason !== 'stop') {
          throw new Error(`chat for ${user}: finish_reason ${r.choices[0].finish_reason}`);
        }
        done.push(user || '-');
      }
    }
    return done;
  } finally {
    await sdk.finish();
  }
});

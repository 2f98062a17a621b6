'use strict';
// Vercel AI SDK v6: the finish-reason scenario of common.cjs (stop, length,
// content_filter, a stream, a broken stream, a stream failing with an error
// event).
const { startSDK, runVercelFinishScenario, main } = require('./common.cjs');

main(async () => {
  const sdk = startSDK('e2e-finish-vercel', []);
  try {
    return await runVercelFinishScenario(require('ai'), require('@ai-sdk/openai').createOpenAI);
  } finally {
    await sdk.finish();
  }
});

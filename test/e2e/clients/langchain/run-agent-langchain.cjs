'use strict';
// LangChain.js agent (langchain createAgent + @langchain/openai ChatOpenAI,
// tools from langchain's tool()) under the OpenInference LangChain
// instrumentation (@arizeai/openinference-instrumentation-langchain), which
// turns LangChain's callbacks into spans: the agent graph and its nodes (CHAIN),
// the chat model (LLM), the tools (TOOL). The agent scenario of ../common.cjs;
// the OpenTelemetry SDK comes from the parent folder.
const {
  startSDK, runAgents, main, getWeather, getStockPrice,
  MODEL_CHAT, AGENT_NAME, AGENT_PROMPT, AGENT_SCENARIO, AGENT_STEPS, STOCK_ERROR, SCENARIO_HEADER, requiredEnv,
} = require('../common.cjs');
const { LangChainInstrumentation } = require('@arizeai/openinference-instrumentation-langchain');

main(async () => {
  const instrumentation = new LangChainInstrumentation();
  const sdk = startSDK('e2e-agent-langchain', [instrumentation]);
  try {
    // LangChain's callback manager is patched by hand (the documented way for
    // LangChain.js): the require hook does not see @langchain/core's exports map.
    instrumentation.manuallyInstrument(require('@langchain/core/callbacks/manager'));
    const { createAgent, tool } = require('langchain');
    const { ChatOpenAI } = require('@langchain/openai');
    const { z } = require('zod');
    const model = new ChatOpenAI({
      model: MODEL_CHAT,
      apiKey: 'sk-fake-e2e',
      maxRetries: 0,
      configuration: { baseURL: requiredEnv('FAKE_OPENAI_BASE_URL'), defaultHeaders: { [SCENARIO_HEADER]: AGENT_SCENARIO } },
    });
    const tools = [
      tool(async (input) => JSON.stringify(getWeather(input)), {
        name: 'get_weather',
        description: 'The weather forecast of a city',
        schema: z.object({ city: z.string() }),
      }),
      tool(async () => getStockPrice(), {
        name: 'get_stock_price',
        description: 'The current price of a stock',
        schema: z.object({ symbol: z.string() }),
      }),
    ];
    const agent = createAgent({ model, tools, name: AGENT_NAME });
    return await runAgents(async (i) => {
      const r = await agent.invoke({ messages: [{ role: 'user', content: AGENT_PROMPT }] });
      const ai = r.messages.filter((m) => m.getType() === 'ai');
      const toolMsgs = r.messages.filter((m) => m.getType() === 'tool');
      const failed = toolMsgs.filter((m) => m.status === 'error' && String(m.content).includes(STOCK_ERROR));
      if (ai.length !== AGENT_STEPS || toolMsgs.length !== 3 || failed.length !== 1) {
        throw new Error(`agent ${i}: ${ai.length} model answers, ${toolMsgs.length} tool results (${failed.length} failed): ${JSON.stringify(r.messages)}`);
      }
    });
  } finally {
    await sdk.finish();
  }
});

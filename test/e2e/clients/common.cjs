'use strict';
// Shared set-up of the real-client scripts (run-*.cjs) of the otelcol-llm
// end-to-end test (test/e2e/clients_test.go).
//
// Environment:
//   OTLP_TRACES_URL       the collector's OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces (required)
//   FAKE_OPENAI_BASE_URL  the fake OpenAI-compatible server, e.g. http://127.0.0.1:5000/v1 (required)
//   SPAN_DUMP_FILE        optional: every finished span is also appended there as one JSON line
//   SPAN_BATCHING         optional: "sdk-default" exports through a BatchSpanProcessor with the
//                         SDK's default settings (5 s timer, 512 spans a request) instead of one
//                         export at the end (used to measure how agent traces split over requests);
//                         "per-span" exports each span alone as it ends (SimpleSpanProcessor): the
//                         spans of one agent invocation in as many requests as it has spans
//   AGENT_RUNS            optional: agent invocations of the run-agent-* scripts (default 2)
//   AGENT_CONCURRENCY     optional: how many of them run at once (default 1)
//
// Each script starts the OpenTelemetry Node SDK with exactly ONE instrumentation
// (or none, for libraries that emit spans themselves), runs the fixed scenario
// against the fake server, then force-flushes and shuts the SDK down.

// No metric or log pipeline from the environment: the test only reads spans.
process.env.OTEL_METRICS_EXPORTER = 'none';
process.env.OTEL_LOGS_EXPORTER = 'none';
process.env.OTEL_TRACES_EXPORTER = 'none';

const fs = require('node:fs');
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { BatchSpanProcessor, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');

// The scenario's models and fixed prompts (the fake server answers by scenario).
const MODEL_CHAT = 'gpt-4o-mini';
const MODEL_STREAM = 'gpt-4.1-nano';
const MODEL_EMBED = 'text-embedding-3-small';
const PROMPT = 'What is the capital of France?';
const SCENARIO_HEADER = 'X-Fake-Scenario';

function requiredEnv(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set`);
  }
  return v;
}

function hrToMs(t) {
  return t[0] * 1e3 + t[1] / 1e6;
}

// DumpExporter appends each span as one JSON line: what the library really emitted.
class DumpExporter {
  constructor(file) {
    this.file = file;
  }
  export(spans, done) {
    try {
      for (const s of spans) {
        const start = hrToMs(s.startTime);
        fs.appendFileSync(this.file, JSON.stringify({
          name: s.name,
          kind: s.kind,
          scope: s.instrumentationScope && `${s.instrumentationScope.name}@${s.instrumentationScope.version || ''}`,
          spanId: s.spanContext().spanId,
          parentSpanId: s.parentSpanContext ? s.parentSpanContext.spanId : undefined,
          durationMs: +(hrToMs(s.endTime) - start).toFixed(1),
          status: s.status,
          attributes: s.attributes,
          events: s.events.map((e) => ({ name: e.name, atMs: +(hrToMs(e.time) - start).toFixed(1), attributes: e.attributes })),
        }) + '\n');
      }
      done({ code: 0 });
    } catch (err) {
      done({ code: 1, error: err });
    }
  }
  shutdown() {
    return Promise.resolve();
  }
  forceFlush() {
    return Promise.resolve();
  }
}

// startSDK starts the Node SDK exporting OTLP/HTTP protobuf to the collector,
// with the given instrumentations. The spans go through a BatchSpanProcessor,
// the Node SDK's default, whose timer is longer than any script: its only
// export is forceFlush at the end, so every span of the scenario reaches the
// collector in one request, deterministically (a call recorded by two nested
// spans is counted once only when both are in one batch: see
// internal/genai/COUNTING.md). The dump gets each span as it ends.
function startSDK(serviceName, instrumentations) {
  const exporter = new OTLPTraceExporter({ url: requiredEnv('OTLP_TRACES_URL'), timeoutMillis: 10000 });
  const batching = process.env.SPAN_BATCHING || '';
  let processor;
  switch (batching) {
    case '':
      processor = new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: 10 * 60 * 1000,
        maxExportBatchSize: 512,
        maxQueueSize: 2048,
        exportTimeoutMillis: 10000,
      });
      break;
    case 'sdk-default':
      // The SDK's defaults (scheduledDelayMillis 5000, maxExportBatchSize 512,
      // maxQueueSize 2048), as an application that configures nothing has them.
      processor = new BatchSpanProcessor(exporter);
      break;
    case 'per-span':
      processor = new SimpleSpanProcessor(exporter);
      break;
    default:
      throw new Error(`SPAN_BATCHING=${batching}: want sdk-default, per-span or nothing`);
  }
  const processors = [processor];
  if (process.env.SPAN_DUMP_FILE) {
    processors.push(new SimpleSpanProcessor(new DumpExporter(process.env.SPAN_DUMP_FILE)));
  }
  const sdk = new NodeSDK({
    serviceName,
    spanProcessors: processors,
    instrumentations,
    resourceDetectors: [],
  });
  sdk.start();
  return {
    async finish() {
      for (const p of processors) {
        await p.forceFlush();
      }
      await sdk.shutdown();
    },
  };
}

// expectFailure runs fn, which must throw; check validates the error.
async function expectFailure(what, fn, check) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  if (!err) {
    throw new Error(`${what}: the call succeeded, want an error`);
  }
  const problem = check(err);
  if (problem) {
    throw new Error(`${what}: ${problem} (got ${err && err.constructor && err.constructor.name}: ${err && err.message})`);
  }
  return err;
}

// runOpenAIScenario runs the fixed scenario with the official openai client.
// The client must be required AFTER startSDK, so the instrumentation's require
// hook patches it. maxRetries: 0 makes every failed call exactly one request.
async function runOpenAIScenario(OpenAI) {
  const client = new OpenAI({ baseURL: requiredEnv('FAKE_OPENAI_BASE_URL'), apiKey: 'sk-fake-e2e', maxRetries: 0, timeout: 10000 });
  const messages = [{ role: 'user', content: PROMPT }];
  const done = [];

  for (let i = 0; i < 2; i++) {
    const r = await client.chat.completions.create({ model: MODEL_CHAT, messages });
    if (r.choices[0].finish_reason !== 'stop') {
      throw new Error(`chat ${i}: finish_reason ${r.choices[0].finish_reason}`);
    }
    done.push('chat');
  }

  const stream = await client.chat.completions.create({
    model: MODEL_STREAM, messages, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage;
  for await (const chunk of stream) {
    if (chunk.choices.length > 0 && chunk.choices[0].delta.content) {
      text += chunk.choices[0].delta.content;
    }
    if (chunk.usage) {
      usage = chunk.usage;
    }
  }
  if (!text || !usage) {
    throw new Error(`stream: text ${JSON.stringify(text)}, usage ${JSON.stringify(usage)}`);
  }
  done.push('stream');

  const e = await client.embeddings.create({ model: MODEL_EMBED, input: 'hello world' });
  if (e.data.length !== 1 || e.data[0].embedding.length === 0) {
    throw new Error(`embeddings: ${JSON.stringify(e)}`);
  }
  done.push('embeddings');

  for (const [scenario, status] of [['rate_limit', 429], ['server_error', 500], ['context_length', 400]]) {
    await expectFailure(scenario, () => client.chat.completions.create(
      { model: MODEL_CHAT, messages }, { headers: { [SCENARIO_HEADER]: scenario } },
    ), (err) => (err instanceof OpenAI.APIError && err.status === status ? '' : `want an APIError with status ${status}`));
    done.push(scenario);
  }

  const f = await client.chat.completions.create({ model: MODEL_CHAT, messages }, { headers: { [SCENARIO_HEADER]: 'content_filter' } });
  if (f.choices[0].finish_reason !== 'content_filter') {
    throw new Error(`content_filter: finish_reason ${f.choices[0].finish_reason}`);
  }
  done.push('content_filter');
  return done;
}

// VERCEL_FUNCTION_ID is the functionId of every Vercel AI SDK call: the SDK
// writes it as ai.telemetry.functionId (≤v6) or gen_ai.agent.name (v7).
const VERCEL_FUNCTION_ID = 'capital-question';

// runVercelScenario runs the fixed scenario with the Vercel AI SDK: ai is the
// 'ai' module, createOpenAI the '@ai-sdk/openai' factory (both required after
// startSDK, and after the v7 telemetry integration is registered).
async function runVercelScenario(ai, createOpenAI) {
  const { generateText, streamText, embed, APICallError } = ai;
  const openai = createOpenAI({ baseURL: requiredEnv('FAKE_OPENAI_BASE_URL'), apiKey: 'sk-fake-e2e' });
  // maxRetries: 0: every failed call is exactly one request.
  const common = { maxRetries: 0, experimental_telemetry: { isEnabled: true, functionId: VERCEL_FUNCTION_ID } };
  const done = [];

  for (let i = 0; i < 2; i++) {
    // openai.chat(): the Chat Completions API (openai() alone is the Responses API).
    const r = await generateText({ ...common, model: openai.chat(MODEL_CHAT), prompt: PROMPT });
    if (r.finishReason !== 'stop') {
      throw new Error(`chat ${i}: finishReason ${r.finishReason}`);
    }
    done.push('chat');
  }

  let streamError;
  const s = streamText({ ...common, model: openai.chat(MODEL_STREAM), prompt: PROMPT, onError: ({ error }) => { streamError = error; } });
  let text = '';
  for await (const delta of s.textStream) {
    text += delta;
  }
  const usage = await s.usage;
  if (streamError || !text || !usage || !usage.inputTokens) {
    throw new Error(`stream: error ${streamError}, text ${JSON.stringify(text)}, usage ${JSON.stringify(usage)}`);
  }
  done.push('stream');

  const e = await embed({ ...common, model: openai.embedding(MODEL_EMBED), value: 'hello world' });
  if (!e.embedding || e.embedding.length === 0) {
    throw new Error(`embed: ${JSON.stringify(e)}`);
  }
  done.push('embeddings');

  for (const [scenario, status] of [['rate_limit', 429], ['server_error', 500], ['context_length', 400]]) {
    await expectFailure(scenario, () => generateText({
      ...common, model: openai.chat(MODEL_CHAT), prompt: PROMPT, headers: { [SCENARIO_HEADER]: scenario },
    }), (err) => (APICallError.isInstance(err) && err.statusCode === status ? '' : `want an AI_APICallError with statusCode ${status}`));
    done.push(scenario);
  }

  const f = await generateText({ ...common, model: openai.chat(MODEL_CHAT), prompt: PROMPT, headers: { [SCENARIO_HEADER]: 'content_filter' } });
  if (f.finishReason !== 'content-filter') {
    throw new Error(`content_filter: finishReason ${f.finishReason}`);
  }
  done.push('content_filter');
  return done;
}

// The agent scenario: one agent invocation asks the fake server's "agent"
// model three times: it answers two get_weather tool calls at once, then one
// get_stock_price call (the tool always fails: the stock service is down, the
// error goes back to the model as the tool's result), then its final answer.
// Per invocation: 3 model calls (finish reasons tool_calls, tool_calls, stop)
// and 3 tool calls (get_weather twice, succeeding; get_stock_price once, failing).
const AGENT_NAME = 'weather-agent';
const AGENT_PROMPT = 'What is the weather in Paris and Berlin, and the ACME stock price?';
const AGENT_SCENARIO = 'agent';
const STOCK_ERROR = 'stock service unavailable';
const AGENT_STEPS = 3;

function getWeather({ city }) {
  return { city, forecast: 'sunny', celsius: 21 };
}

function getStockPrice() {
  throw new Error(STOCK_ERROR);
}

function agentRuns() {
  const runs = Number(process.env.AGENT_RUNS || 2);
  const concurrency = Number(process.env.AGENT_CONCURRENCY || 1);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`AGENT_RUNS=${process.env.AGENT_RUNS} AGENT_CONCURRENCY=${process.env.AGENT_CONCURRENCY}: want positive integers`);
  }
  return { runs, concurrency };
}

// runAgents calls invoke(i) AGENT_RUNS times, AGENT_CONCURRENCY at a time, and
// returns one entry per invocation.
async function runAgents(invoke) {
  const { runs, concurrency } = agentRuns();
  const done = [];
  let next = 0;
  async function worker() {
    while (next < runs) {
      const i = next++;
      await invoke(i);
      done.push('agent');
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, runs) }, worker));
  return done;
}

// runVercelAgentScenario runs the agent scenario with the Vercel AI SDK:
// generateText with two tools and stopWhen: stepCountIs(5), telemetry on with
// the functionId AGENT_NAME.
async function runVercelAgentScenario(ai, createOpenAI, z) {
  const { generateText, tool, stepCountIs } = ai;
  const openai = createOpenAI({ baseURL: requiredEnv('FAKE_OPENAI_BASE_URL'), apiKey: 'sk-fake-e2e' });
  const tools = {
    get_weather: tool({
      description: 'The weather forecast of a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async (input) => getWeather(input),
    }),
    get_stock_price: tool({
      description: 'The current price of a stock',
      inputSchema: z.object({ symbol: z.string() }),
      execute: async () => getStockPrice(),
    }),
  };
  return runAgents(async (i) => {
    const r = await generateText({
      model: openai.chat(MODEL_CHAT),
      prompt: AGENT_PROMPT,
      tools,
      stopWhen: stepCountIs(5),
      maxRetries: 0,
      headers: { [SCENARIO_HEADER]: AGENT_SCENARIO },
      experimental_telemetry: { isEnabled: true, functionId: AGENT_NAME },
    });
    const calls = r.steps.map((s) => s.toolCalls.map((c) => c.toolName).join('+')).join(',');
    if (r.steps.length !== AGENT_STEPS || r.finishReason !== 'stop' || calls !== 'get_weather+get_weather,get_stock_price,') {
      throw new Error(`agent ${i}: ${r.steps.length} steps (tool calls ${calls}), finishReason ${r.finishReason}`);
    }
    const failed = r.steps[1].content.filter((p) => p.type === 'tool-error');
    if (failed.length !== 1 || !String(failed[0].error).includes(STOCK_ERROR)) {
      throw new Error(`agent ${i}: step 2 tool errors ${JSON.stringify(failed)}`);
    }
  });
}

// The finish-reason scenario, in this order: a chat that stops ("stop"), a
// chat cut at max tokens ("length"), a filtered chat ("content_filter"), a
// complete stream (with usage), a stream broken after its first content chunk
// (the connection drops: the call fails, the user saw "The"), and a stream
// failing after its first content chunk with an error event from the server
// (stream_error: the call fails, the user saw "The").
const MAX_TOKENS = 4;
const STREAMS = [['', false], ['broken_stream', true], ['stream_error', true]];

// runOpenAIFinishScenario runs the finish-reason scenario with the openai client.
async function runOpenAIFinishScenario(OpenAI) {
  const client = new OpenAI({ baseURL: requiredEnv('FAKE_OPENAI_BASE_URL'), apiKey: 'sk-fake-e2e', maxRetries: 0, timeout: 10000 });
  const messages = [{ role: 'user', content: PROMPT }];
  const done = [];
  for (const [scenario, want] of [['', 'stop'], ['length', 'length'], ['content_filter', 'content_filter']]) {
    const headers = scenario ? { [SCENARIO_HEADER]: scenario } : {};
    const r = await client.chat.completions.create({ model: MODEL_CHAT, messages, max_tokens: scenario === 'length' ? MAX_TOKENS : undefined }, { headers });
    if (r.choices[0].finish_reason !== want) {
      throw new Error(`${want}: finish_reason ${r.choices[0].finish_reason}`);
    }
    done.push(want);
  }
  for (const [scenario, broken] of STREAMS) {
    const stream = await client.chat.completions.create(
      { model: MODEL_STREAM, messages, stream: true, stream_options: { include_usage: true } },
      { headers: scenario ? { [SCENARIO_HEADER]: scenario } : {} },
    );
    let text = '';
    let err;
    try {
      for await (const chunk of stream) {
        if (chunk.choices.length > 0 && chunk.choices[0].delta.content) {
          text += chunk.choices[0].delta.content;
        }
      }
    } catch (e) {
      err = e;
    }
    if (broken ? !(err && text === 'The') : (err || text !== 'The sky is blue.')) {
      throw new Error(`stream ${scenario}: text ${JSON.stringify(text)}, error ${err}`);
    }
    done.push(scenario || 'stream');
  }
  return done;
}

// runVercelFinishScenario runs the finish-reason scenario with the Vercel AI SDK.
async function runVercelFinishScenario(ai, createOpenAI) {
  const { generateText, streamText } = ai;
  const openai = createOpenAI({ baseURL: requiredEnv('FAKE_OPENAI_BASE_URL'), apiKey: 'sk-fake-e2e' });
  const common = { maxRetries: 0, experimental_telemetry: { isEnabled: true, functionId: VERCEL_FUNCTION_ID } };
  const done = [];
  for (const [scenario, want] of [['', 'stop'], ['length', 'length'], ['content_filter', 'content-filter']]) {
    const r = await generateText({
      ...common, model: openai.chat(MODEL_CHAT), prompt: PROMPT,
      maxOutputTokens: scenario === 'length' ? MAX_TOKENS : undefined,
      headers: scenario ? { [SCENARIO_HEADER]: scenario } : {},
    });
    if (r.finishReason !== want) {
      throw new Error(`${want}: finishReason ${r.finishReason}`);
    }
    done.push(scenario || 'stop');
  }
  for (const [scenario, broken] of STREAMS) {
    let streamError;
    const s = streamText({
      ...common, model: openai.chat(MODEL_STREAM), prompt: PROMPT,
      headers: scenario ? { [SCENARIO_HEADER]: scenario } : {},
      onError: ({ error }) => { streamError = error; },
    });
    let text = '';
    let err;
    try {
      for await (const delta of s.textStream) {
        text += delta;
      }
    } catch (e) {
      err = e;
    }
    err = err || streamError;
    if (broken ? !(err && text === 'The') : (err || text !== 'The sky is blue.')) {
      throw new Error(`stream ${scenario}: text ${JSON.stringify(text)}, error ${err}`);
    }
    done.push(scenario || 'stream');
  }
  return done;
}

// main runs body and exits non-zero on any error, after shutting the SDK down.
function main(body) {
  body().then(
    (done) => {
      console.log(JSON.stringify({ ok: true, calls: done }));
    },
    (err) => {
      console.error(err && err.stack ? err.stack : err);
      process.exitCode = 1;
    },
  );
}

module.exports = {
  MODEL_CHAT, MODEL_STREAM, MODEL_EMBED, PROMPT, SCENARIO_HEADER, VERCEL_FUNCTION_ID,
  AGENT_NAME, AGENT_PROMPT, AGENT_SCENARIO, AGENT_STEPS, STOCK_ERROR,
  requiredEnv, startSDK, expectFailure, runOpenAIScenario, runVercelScenario, main,
  getWeather, getStockPrice, runAgents, runVercelAgentScenario, runOpenAIFinishScenario, runVercelFinishScenario,
};

'use strict';
// Shared set-up of the real-client scripts (run-*.cjs) of the otelcol-llm
// end-to-end test (test/e2e/clients_test.go).
//
// Environment:
//   OTLP_TRACES_URL       the collector's OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces (required)
//   FAKE_OPENAI_BASE_URL  the fake OpenAI-compatible server, e.g. http://127.0.0.1:5000/v1 (required)
//   SPAN_DUMP_FILE        optional: every finished span is also appended there as one JSON line
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
  const processors = [new BatchSpanProcessor(new OTLPTraceExporter({ url: requiredEnv('OTLP_TRACES_URL'), timeoutMillis: 10000 }), {
    scheduledDelayMillis: 10 * 60 * 1000,
    maxExportBatchSize: 512,
    maxQueueSize: 2048,
    exportTimeoutMillis: 10000,
  })];
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
  requiredEnv, startSDK, expectFailure, runOpenAIScenario, runVercelScenario, main,
};

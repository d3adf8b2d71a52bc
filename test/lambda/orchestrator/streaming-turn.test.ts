import { createServer, type Server } from 'node:http';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BedrockConverseBackend } from '../../../lambda/core/adapters/model/bedrock-converse-backend';
import { modelClientConfig } from '../../../lambda/core/adapters/model/client-settings';
import { createStreamingHandler } from '../../../lambda/orchestrator/stream-handler';
import { listenOnLoopback } from '../../../lib/emulator/loopback-server';
import { eventStreamResponse, type StreamMessage } from '../core/adapters/model/support/event-stream';
import { startScriptedEndpoint, testClientOptions, type ScriptedEndpoint } from '../core/adapters/model/support/scripted-endpoint';
import { quietTelemetry, startOrchestratorHarness, TEST_LIMITS, type OrchestratorHarness } from './support/orchestrator-harness';
import { api, TENANT_MAP_JSON } from './support/api-events';
import { systemClock } from '../../../lambda/core/adapters/system-clock';
import { parseTenantMap } from '../../../lambda/core/http/caller';
import { soleAgent } from '../core/support/agents';

/**
 * A streaming turn read as a client reads it: the streaming handler behind
 * an HTTP server on 127.0.0.1 that writes what the handler writes, as it
 * writes it (chunked), read with fetch's body stream and parsed as
 * server-sent events. The model is the REAL Bedrock Converse backend and
 * SDK client against a scripted ConverseStream (binary event stream); the
 * session store is moto. What the client read must be what was committed.
 */

const MODEL_ID = 'amazon.nova-pro-v1:0';
const event = (name: string, body: object): StreamMessage => ({ event: name, body: JSON.stringify(body) });
const textStream = (pieces: string[], toolUse?: { id: string; name: string; input: string }) =>
  eventStreamResponse([
    event('messageStart', { role: 'assistant' }),
    ...pieces.map((text) => event('contentBlockDelta', { contentBlockIndex: 0, delta: { text } })),
    ...(toolUse
      ? [
          event('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: toolUse.id, name: toolUse.name } } }),
          event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: toolUse.input } } }),
        ]
      : []),
    event('messageStop', { stopReason: toolUse ? 'tool_use' : 'end_turn' }),
    event('metadata', { usage: { inputTokens: 50, outputTokens: 12, totalTokens: 62 }, metrics: { latencyMs: 200 } }),
  ]);

let harness: OrchestratorHarness;
let model: ScriptedEndpoint;
let client: BedrockRuntimeClient;
let server: Server;
let base: string;
let nextEvent: () => APIGatewayProxyEvent;
let serial = 0;

beforeAll(async () => {
  harness = await startOrchestratorHarness();
  model = await startScriptedEndpoint();
  client = new BedrockRuntimeClient(modelClientConfig('bedrock-runtime', testClientOptions(model.endpoint)));
  const stream = createStreamingHandler({
    sessions: harness.store.repository,
    ...soleAgent(new BedrockConverseBackend({ client, modelId: MODEL_ID })),
    clock: systemClock,
    tenants: parseTenantMap(TENANT_MAP_JSON),
    limits: TEST_LIMITS,
    ...quietTelemetry(),
  });
  // The transport: each request becomes the proxy event the test queued, and the handler's writes go out as they happen.
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      void stream(nextEvent(), ({ statusCode, headers }) => {
        response.writeHead(statusCode, headers);
        return { write: (chunk) => void response.write(chunk), end: () => void response.end() };
      });
    });
  });
  base = (await listenOnLoopback(server)).endpoint;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  client?.destroy();
  await model?.stop();
  await harness?.stop();
});

/** Sends the event over HTTP; returns the status, content type, and the server-sent events in the order read. */
async function send(apiEvent: APIGatewayProxyEvent): Promise<{ status: number; type: string; events: { event: string; data: any }[]; text: string }> {
  nextEvent = () => apiEvent;
  const response = await fetch(base, { method: 'POST', body: apiEvent.body ?? '' });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const events = text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine.slice('event: '.length), data: JSON.parse(dataLine.slice('data: '.length)) };
    });
  return { status: response.status, type: response.headers.get('content-type') ?? '', events, text };
}

async function newSession(): Promise<string> {
  const sessionId = `stream-${++serial}`;
  const created = await send(api.create({ sessionId }));
  expect(created.status).toBe(201);
  return sessionId;
}

test('a streaming turn: each reply piece as it arrives, then the result; what was read is what was committed', async () => {
  const sessionId = await newSession();
  model.answer(
    textStream(['Let me ', 'check that.'], { id: 'tu_1', name: 'lookup_case', input: '{"caseId":"FOIA-9"}' }),
    textStream(['I cannot ', 'look cases ', 'up here.']),
  );

  const streamed = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Status of FOIA-9?', stream: true }));

  expect(streamed.status).toBe(200);
  expect(streamed.type).toBe('text/event-stream; charset=utf-8');
  expect(streamed.events.map((entry) => entry.event)).toEqual(['text', 'text', 'text', 'text', 'text', 'result']);
  const textOf = (round: number) => streamed.events.filter((entry) => entry.event === 'text' && entry.data.round === round).map((entry) => entry.data.text).join('');
  expect([textOf(1), textOf(2)]).toEqual(['Let me check that.', 'I cannot look cases up here.']);
  const result = streamed.events.at(-1)!.data;
  expect(result).toMatchObject({ requestId: 'r-1', status: 'idle', reply: 'I cannot look cases up here.', replayed: false });

  // The session holds exactly what the client read.
  const stored: { type: string; content: string }[] = JSON.parse((await send(api.read(sessionId))).text).events;
  expect(stored.filter((e) => e.type === 'assistant').map((e) => e.content)).toEqual([textOf(1), textOf(2)]);
  // A retry is answered from the log, as JSON: the same result.
  const retried = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Status of FOIA-9?', stream: true }));
  expect(retried.type).toBe('application/json; charset=utf-8');
  expect(JSON.parse(retried.text)).toEqual({ ...result, replayed: true });
});

test('a model failure after the first piece ends the stream with an error event; nothing of the turn is written', async () => {
  const sessionId = await newSession();
  model.answer(eventStreamResponse([event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Partly' } }), { exception: 'internalServerException', body: { message: 'boom' } }]));
  const before = await harness.snapshot();

  const streamed = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Hello?', stream: true }));

  expect(streamed.status).toBe(200);
  expect(streamed.events.map((entry) => entry.event)).toEqual(['text', 'error']);
  expect(streamed.events[1].data).toMatchObject({ error: { code: 'ModelError' } });
  expect(await harness.snapshot()).toBe(before);
});

test('refused before the first piece: the ordinary status and JSON body; other routes answer as always', async () => {
  const sessionId = await newSession();

  const background = await send(api.turn(sessionId, { requestId: 'r-1', message: 'x', stream: true, mode: 'background' }));
  expect(background.status).toBe(400);
  expect(JSON.parse(background.text).error.message).toMatch(/streams a synchronous turn only/);
  const unstreamed = await send(api.read(sessionId));
  expect(unstreamed).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
});

test('the buffered handler refuses stream: true with a 400 that says why and writes nothing', async () => {
  const send = harness.handlerWith(new BedrockConverseBackend({ client, modelId: MODEL_ID }));
  const sessionId = `stream-${++serial}`;
  await send(api.create({ sessionId }));
  const before = await harness.snapshot();

  const response = await send(api.turn(sessionId, { requestId: 'r-1', message: 'x', stream: true }));

  expect(response).toMatchObject({ statusCode: 400, body: { error: { code: 'ValidationError', message: expect.stringContaining('does not stream turns') } } });
  expect(await harness.snapshot()).toBe(before);
});

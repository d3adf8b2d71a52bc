import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockConverseBackend } from '../../../../../lambda/core/adapters/model/bedrock-converse-backend';
import { modelClientConfig } from '../../../../../lambda/core/adapters/model/client-settings';
import { ModelError } from '../../../../../lambda/core/domain/errors';
import { eventStreamResponse, type StreamMessage } from './support/event-stream';
import { startScriptedEndpoint, testClientOptions, type ScriptedEndpoint } from './support/scripted-endpoint';
import { LOOKUP } from './support/tools';

/**
 * ConverseStream through the real BedrockRuntimeClient: a scripted model
 * sends the binary event stream Bedrock sends
 * (docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html),
 * encoded with the SDK's own codec, and the backend passes each text piece
 * on as it arrives and returns the same reply Converse would.
 */

const MODEL_ID = 'amazon.nova-pro-v1:0';
const event = (name: string, body: object): StreamMessage => ({ event: name, body: JSON.stringify(body) });

let scripted: ScriptedEndpoint;
let client: BedrockRuntimeClient;

beforeEach(async () => {
  scripted = await startScriptedEndpoint();
  client = new BedrockRuntimeClient(modelClientConfig('bedrock-runtime', testClientOptions(scripted.endpoint)));
});

afterEach(async () => {
  client.destroy();
  await scripted.stop();
});

test('text pieces are passed on in order; a tool use is assembled from its JSON pieces; usage from the metadata', async () => {
  scripted.answer(
    eventStreamResponse([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Let me ' } }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'look case 12 up.' } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tu_1', name: 'lookup_case' } } }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"caseNum' } } }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: 'ber":"12"}' } } }),
      event('contentBlockStop', { contentBlockIndex: 1 }),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage: { inputTokens: 70, outputTokens: 22, totalTokens: 92 }, metrics: { latencyMs: 300 } }),
    ]),
  );
  const pieces: string[] = [];

  const reply = await new BedrockConverseBackend({ client, modelId: MODEL_ID }).chat([{ role: 'user', content: 'Case 12?' }], [LOOKUP], { onText: (text) => pieces.push(text) });

  expect(pieces).toEqual(['Let me ', 'look case 12 up.']);
  expect(reply).toEqual({ text: 'Let me look case 12 up.', toolCalls: [{ id: 'tu_1', name: 'lookup_case', input: { caseNumber: '12' } }], usage: { input: 70, output: 22 } });
  expect(scripted.requests[0].path).toBe(`/model/${MODEL_ID}/converse-stream`);
});

test('an exception mid-stream is a ModelError that says whether a retry may succeed, after the pieces sent so far', async () => {
  scripted.answer(
    eventStreamResponse([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Case 12 is' } }),
      { exception: 'throttlingException', body: { message: 'Too many tokens, slow down: Case 12' } },
    ]),
  );
  const pieces: string[] = [];

  const failure = await new BedrockConverseBackend({ client, modelId: MODEL_ID })
    .chat([{ role: 'user', content: 'Case 12?' }], undefined, { onText: (text) => pieces.push(text) })
    .catch((error: unknown) => error);

  expect(pieces).toEqual(['Case 12 is']);
  expect(failure).toBeInstanceOf(ModelError);
  expect((failure as ModelError).message).not.toContain('Case 12');
  expect((failure as ModelError).transient).toBe('throttled');
});

test('a tool input that does not parse is a ModelError', async () => {
  scripted.answer(
    eventStreamResponse([
      event('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tu_1', name: 'lookup_case' } } }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"caseNumber":' } } }),
      event('messageStop', { stopReason: 'tool_use' }),
    ]),
  );

  await expect(new BedrockConverseBackend({ client, modelId: MODEL_ID }).chat([{ role: 'user', content: 'x' }], [LOOKUP], { onText: () => undefined })).rejects.toThrow(
    /the input of tool use 1 is not JSON/,
  );
});

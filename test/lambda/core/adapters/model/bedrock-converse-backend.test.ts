import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockConverseBackend } from '../../../../../lambda/core/adapters/model/bedrock-converse-backend';
import { MODEL_MAX_ATTEMPTS, modelClientConfig, type ModelClientOptions } from '../../../../../lambda/core/adapters/model/client-settings';
import { ModelError, ValidationError } from '../../../../../lambda/core/domain/errors';
import type { ChatMessage } from '../../../../../lambda/core/ports/model-backend';
import { LOOKUP } from './support/tools';
import { awsError, jsonResponse, startScriptedEndpoint, testClientOptions, type ScriptedEndpoint } from './support/scripted-endpoint';

/** ConverseCommand through the real BedrockRuntimeClient, against a scripted model on a local endpoint. */

const MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';

const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You are a caseworker assistant.' },
  { role: 'system', content: 'Summary so far: the caller asked about two cases.' },
  { role: 'user', content: 'What is the status of cases 12 and 13?' },
  {
    role: 'assistant',
    content: 'Let me look both up.',
    toolCalls: [
      { id: 'tu_12', name: 'lookup_case', input: { caseNumber: '12' } },
      { id: 'tu_13', name: 'lookup_case', input: { caseNumber: '13' } },
    ],
  },
  { role: 'tool', content: '{"status":"open"}', toolCallId: 'tu_12' },
  { role: 'tool', content: '{"status":"closed"}', toolCallId: 'tu_13' },
];

function converseReply(content: object[], usage: object | undefined = { inputTokens: 88, outputTokens: 14, totalTokens: 102 }) {
  return jsonResponse({
    output: { message: { role: 'assistant', content } },
    stopReason: 'end_turn',
    ...(usage ? { usage } : {}),
    metrics: { latencyMs: 412 },
  });
}

let scripted: ScriptedEndpoint;
const clients: BedrockRuntimeClient[] = [];

function backend(options: Partial<ModelClientOptions> = {}): BedrockConverseBackend {
  const client = new BedrockRuntimeClient(modelClientConfig('bedrock-runtime', testClientOptions(scripted.endpoint, options)));
  clients.push(client);
  return new BedrockConverseBackend({ client, modelId: MODEL_ID, maxTokens: 512, temperature: 0.3 });
}

async function failureOf(promise: Promise<unknown>): Promise<ModelError> {
  const failure = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(failure instanceof ModelError)) throw new Error(`expected a ModelError, got ${String(failure)}`);
  return failure;
}

beforeEach(async () => {
  scripted = await startScriptedEndpoint();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await scripted.stop();
});

describe('BedrockConverseBackend', () => {
  test('sends system prompts, alternating messages with toolUse/toolResult blocks, and the toolConfig', async () => {
    scripted.answer(converseReply([{ text: 'Case 12 is open; case 13 is closed.' }]));

    await backend().chat(CONVERSATION, [LOOKUP]);

    const [request] = scripted.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/model/${MODEL_ID}/converse`);
    expect(scripted.jsonBody(0)).toEqual({
      system: [{ text: 'You are a caseworker assistant.' }, { text: 'Summary so far: the caller asked about two cases.' }],
      messages: [
        { role: 'user', content: [{ text: 'What is the status of cases 12 and 13?' }] },
        {
          role: 'assistant',
          content: [
            { text: 'Let me look both up.' },
            { toolUse: { toolUseId: 'tu_12', name: 'lookup_case', input: { caseNumber: '12' } } },
            { toolUse: { toolUseId: 'tu_13', name: 'lookup_case', input: { caseNumber: '13' } } },
          ],
        },
        {
          // Both results of the assistant's turn in one user message, as Converse requires.
          role: 'user',
          content: [
            { toolResult: { toolUseId: 'tu_12', content: [{ text: '{"status":"open"}' }] } },
            { toolResult: { toolUseId: 'tu_13', content: [{ text: '{"status":"closed"}' }] } },
          ],
        },
      ],
      toolConfig: {
        tools: [{ toolSpec: { name: 'lookup_case', description: 'Find a case by number', inputSchema: { json: LOOKUP.inputSchema } } }],
      },
      inferenceConfig: { maxTokens: 512, temperature: 0.3 },
    });
  });

  test('parses text and toolUse blocks and the usage', async () => {
    scripted.answer(
      converseReply([
        { text: 'I will check case 14.' },
        { toolUse: { toolUseId: 'tu_14', name: 'lookup_case', input: { caseNumber: '14' } } },
      ]),
    );

    const reply = await backend().chat(CONVERSATION, [LOOKUP]);

    expect(reply).toEqual({
      text: 'I will check case 14.',
      toolCalls: [{ id: 'tu_14', name: 'lookup_case', input: { caseNumber: '14' } }],
      usage: { input: 88, output: 14 },
    });
  });

  test('leaves out toolConfig when there are no tools, and estimates usage the model did not report', async () => {
    scripted.answer(converseReply([{ text: 'Hello.' }], undefined));

    const reply = await backend().chat([{ role: 'user', content: 'Hi' }]);

    expect(scripted.jsonBody(0)).not.toHaveProperty('toolConfig');
    expect(scripted.jsonBody(0)).not.toHaveProperty('system');
    expect(reply.text).toBe('Hello.');
    expect(reply.usage.input).toBeGreaterThan(0);
    expect(reply.usage.output).toBeGreaterThan(0);
  });

  test('a ThrottlingException twice, then success: the SDK retries and the turn gets the reply', async () => {
    scripted.answer(
      awsError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.'),
      awsError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.'),
      converseReply([{ text: 'Case 12 is open.' }]),
    );

    const reply = await backend().chat(CONVERSATION, [LOOKUP]);

    expect(reply.text).toBe('Case 12 is open.');
    expect(scripted.requests).toHaveLength(3);
  });

  test.each([
    ['throttling beyond the attempts', 429, 'ThrottlingException'],
    ['a persistent 500', 500, 'InternalServerException'],
  ])('%s is a ModelError after the retries, without the service message', async (_case, status, type) => {
    scripted.answerAlways(awsError(status, type, 'failed while processing: What is the status of cases 12 and 13?'));

    const failure = await failureOf(backend().chat(CONVERSATION, [LOOKUP]));

    expect(scripted.requests).toHaveLength(MODEL_MAX_ATTEMPTS);
    expect(failure.message).toBe(
      `Bedrock Converse with ${MODEL_ID} failed: ${type}, HTTP ${status}, after ${MODEL_MAX_ATTEMPTS} attempts, request id req-${type}`,
    );
    expect(failure.httpStatus).toBe(502);
    expect(failure.cause).toMatchObject({ name: type, $metadata: { httpStatusCode: status } });
  });

  test('a 400 ValidationException is not retried, and its message (which may quote input) is not passed on', async () => {
    scripted.answer(awsError(400, 'ValidationException', 'messages.0.content.0.text: What is the status of cases 12 and 13? is too long'));

    const failure = await failureOf(backend().chat(CONVERSATION, [LOOKUP]));

    expect(scripted.requests).toHaveLength(1);
    expect(failure.message).toBe(`Bedrock Converse with ${MODEL_ID} failed: ValidationException, HTTP 400, request id req-ValidationException`);
    expect(failure.cause).toMatchObject({ name: 'ValidationException' });
  });

  test('a model that does not answer within the request timeout is a ModelError', async () => {
    scripted.answer({ ...converseReply([{ text: 'too late' }]), delayMs: 5_000 });

    const failure = await failureOf(backend({ requestTimeoutMs: 200, maxAttempts: 1 }).chat(CONVERSATION, [LOOKUP]));

    expect(failure.message).toBe(`Bedrock Converse with ${MODEL_ID} failed: the request timed out`);
    expect(failure.cause).toMatchObject({ name: 'TimeoutError' });
  });

  test('an endpoint that refuses connections is a ModelError', async () => {
    const closed = scripted.endpoint;
    await scripted.stop();
    scripted = await startScriptedEndpoint();

    const failure = await failureOf(backend({ endpoint: closed, maxAttempts: 1 }).chat(CONVERSATION, [LOOKUP]));

    expect(failure.message).toBe(`Bedrock Converse with ${MODEL_ID} failed: the connection to the endpoint failed (ECONNREFUSED)`);
  });

  test('a 200 without an output message is a ModelError', async () => {
    scripted.answer(jsonResponse({ stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 0, totalTokens: 1 } }));

    const failure = await failureOf(backend().chat(CONVERSATION, [LOOKUP]));

    expect(failure.message).toBe(`Bedrock Converse with ${MODEL_ID} returned an unusable reply: the response has no output message`);
  });
});

describe('inference profiles', () => {
  const client = new BedrockRuntimeClient({ region: 'us-gov-west-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  afterAll(() => client.destroy());

  test.each([
    'us.anthropic.claude-3-5-sonnet-20240620-v1:0',
    'us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0',
    'eu.amazon.nova-pro-v1:0',
    'apac.anthropic.claude-3-haiku-20240307-v1:0',
    'global.anthropic.claude-sonnet-4-20250514-v1:0',
    'arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.anthropic.claude-3-haiku-20240307-v1:0',
    'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6',
  ])('%s is refused at construction unless allowed', (modelId) => {
    expect(() => new BedrockConverseBackend({ client, modelId })).toThrow(ValidationError);
    expect(() => new BedrockConverseBackend({ client, modelId })).toThrow(/modelId: .* is an inference profile/);
    expect(() => new BedrockConverseBackend({ client, modelId, allowInferenceProfile: true })).not.toThrow();
  });

  test.each([
    'anthropic.claude-3-haiku-20240307-v1:0',
    'amazon.titan-text-express-v1',
    'meta.llama3-8b-instruct-v1:0',
    'arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
    'arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdef123456',
  ])('%s is an in-region model and accepted', (modelId) => {
    expect(() => new BedrockConverseBackend({ client, modelId })).not.toThrow();
  });

  test('an allowed profile reaches the service under its own id', async () => {
    scripted.answer(converseReply([{ text: 'ok' }]));
    const profileClient = new BedrockRuntimeClient(modelClientConfig('bedrock-runtime', testClientOptions(scripted.endpoint)));
    clients.push(profileClient);
    const modelId = 'us-gov.anthropic.claude-3-haiku-20240307-v1:0';

    await new BedrockConverseBackend({ client: profileClient, modelId, allowInferenceProfile: true }).chat([{ role: 'user', content: 'Hi' }]);

    expect(scripted.requests[0].path).toBe(`/model/${modelId}/converse`);
  });
});

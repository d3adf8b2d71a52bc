import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { modelClientConfig } from '../../../../../lambda/core/adapters/model/client-settings';
import { SageMakerChatBackend } from '../../../../../lambda/core/adapters/model/sagemaker-chat-backend';
import { ModelError } from '../../../../../lambda/core/domain/errors';
import type { ChatMessage } from '../../../../../lambda/core/ports/model-backend';
import { eventStreamResponse } from './support/event-stream';
import { awsError, jsonResponse, startScriptedEndpoint, testClientOptions, type ScriptedEndpoint } from './support/scripted-endpoint';
import { LOOKUP } from './support/tools';

/**
 * What moto cannot show: the request body the container receives, the
 * streamed path (InvokeEndpointWithResponseStream, which moto lacks) and the
 * runtime's ModelError. The real SDK client talks to a scripted container.
 */

/** A resumed tool turn: every role the port has. */
const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You are a caseworker assistant.' },
  { role: 'user', content: 'What is the status of case 12?' },
  { role: 'assistant', content: '', toolCalls: [{ id: 'call_a', name: 'lookup_case', input: { caseNumber: '12' } }] },
  { role: 'tool', content: '{"status":"open"}', toolCallId: 'call_a' },
];

let scripted: ScriptedEndpoint;
let client: SageMakerRuntimeClient;

beforeEach(async () => {
  scripted = await startScriptedEndpoint();
  client = new SageMakerRuntimeClient(modelClientConfig('runtime.sagemaker', testClientOptions(scripted.endpoint)));
});

afterEach(async () => {
  client.destroy();
  await scripted.stop();
});

function payloadPart(text: string) {
  return { event: 'PayloadPart', body: text, contentType: 'application/octet-stream' };
}

describe('SageMakerChatBackend request and streaming', () => {
  test('the container receives the OpenAI chat-completions body', async () => {
    scripted.answer(jsonResponse({ choices: [{ message: { content: 'Case 12 is open.' } }], usage: { prompt_tokens: 60, completion_tokens: 5 } }));
    const backend = new SageMakerChatBackend({ client, endpointName: 'statehouse-llm', maxTokens: 300, temperature: 0.1 });

    await backend.chat(CONVERSATION, [LOOKUP]);

    const [request] = scripted.requests;
    expect(request.path).toBe('/endpoints/statehouse-llm/invocations');
    expect(request.headers['content-type']).toBe('application/json');
    expect(scripted.jsonBody(0)).toEqual({
      messages: [
        { role: 'system', content: 'You are a caseworker assistant.' },
        { role: 'user', content: 'What is the status of case 12?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'lookup_case', arguments: '{"caseNumber":"12"}' } }],
        },
        { role: 'tool', content: '{"status":"open"}', tool_call_id: 'call_a' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup_case', description: 'Find a case by number', parameters: LOOKUP.inputSchema } }],
      max_tokens: 300,
      temperature: 0.1,
    });
  });

  test('stream: true assembles the PayloadParts of InvokeEndpointWithResponseStream', async () => {
    // GIVEN a container that streams SSE, with events split across PayloadParts
    const sse =
      'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Case 12 "}}]}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_b","type":"function","function":{"name":"lookup_case","arguments":"{\\"caseNumber\\":"}}]}}]}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"13\\"}"}}]}}]}\n\n' +
      'data: {"choices":[],"usage":{"prompt_tokens":61,"completion_tokens":12}}\n\n' +
      'data: [DONE]\n\n';
    scripted.answer(eventStreamResponse([payloadPart(sse.slice(0, 50)), payloadPart(sse.slice(50, 173)), payloadPart(sse.slice(173))]));
    const backend = new SageMakerChatBackend({ client, endpointName: 'statehouse-llm', stream: true });

    // WHEN
    const reply = await backend.chat(CONVERSATION, [LOOKUP]);

    // THEN the reply is whole, and the request asked for a stream with usage
    expect(reply).toEqual({
      text: 'Case 12 ',
      toolCalls: [{ id: 'call_b', name: 'lookup_case', input: { caseNumber: '13' } }],
      usage: { input: 61, output: 12 },
    });
    expect(scripted.requests[0].path).toBe('/endpoints/statehouse-llm/invocations-response-stream');
    expect(scripted.jsonBody(0)).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 1024 });
  });

  test('a ModelStreamError event mid-stream is a ModelError', async () => {
    scripted.answer(
      eventStreamResponse([
        payloadPart('data: {"choices":[{"delta":{"content":"Case 12"}}]}\n\n'),
        { exception: 'ModelStreamError', body: { Message: 'generation failed on: Case 12', ErrorCode: 'ModelStreamError' } },
      ]),
    );
    const backend = new SageMakerChatBackend({ client, endpointName: 'statehouse-llm', stream: true });

    const failure = await backend.chat(CONVERSATION).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ModelError);
    expect((failure as ModelError).message).toBe('SageMaker endpoint statehouse-llm failed: ModelStreamError');
    expect((failure as ModelError).cause).toMatchObject({ name: 'ModelStreamError' });
  });

  test("the container's own error (the runtime's ModelError) is a ModelError without the container's message", async () => {
    scripted.answer(
      {
        ...awsError(424, 'ModelError', 'Received client error (400) from primary'),
        body: JSON.stringify({
          Message: 'Received client error (400) from primary with message "prompt too long: What is the status of case 12?"',
          OriginalStatusCode: 400,
          OriginalMessage: 'prompt too long: What is the status of case 12?',
          LogStreamArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/statehouse-llm',
        }),
      },
    );
    const backend = new SageMakerChatBackend({ client, endpointName: 'statehouse-llm' });

    const failure = await backend.chat(CONVERSATION).catch((error: unknown) => error);

    // A 424 is a client fault: no retry.
    expect(scripted.requests).toHaveLength(1);
    expect(failure).toBeInstanceOf(ModelError);
    const { message, cause } = failure as ModelError;
    expect(message).toBe(
      'SageMaker endpoint statehouse-llm failed: ModelError, HTTP 424, the model container answered 400, request id req-ModelError',
    );
    expect(cause).toMatchObject({ name: 'ModelError', OriginalStatusCode: 400 });
  });
});

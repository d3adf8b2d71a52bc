import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { modelClientConfig } from '../../../../../lambda/core/adapters/model/client-settings';
import { SageMakerChatBackend } from '../../../../../lambda/core/adapters/model/sagemaker-chat-backend';
import { ModelError } from '../../../../../lambda/core/domain/errors';
import type { ChatMessage } from '../../../../../lambda/core/ports/model-backend';
import { startMoto, type MotoServer } from '../../../../helpers/moto';
import { queueEndpointResults } from './support/moto-endpoint-results';
import { testClientOptions } from './support/scripted-endpoint';
import { LOOKUP } from './support/tools';

/** InvokeEndpoint through the real SDK client against moto, which plays the LMI/TGI container's answers. */

let moto: MotoServer;
let client: SageMakerRuntimeClient;
let turn = 0;

/** A fresh conversation per call: moto answers a repeated request from its memory, not the queue. */
function conversation(): ChatMessage[] {
  turn += 1;
  return [
    { role: 'system', content: 'You are a caseworker assistant.' },
    { role: 'user', content: `Question ${turn}: what is the status of case 12?` },
  ];
}

function backend(): SageMakerChatBackend {
  return new SageMakerChatBackend({ client, endpointName: 'statehouse-llm', maxTokens: 256, temperature: 0.2 });
}

beforeAll(async () => {
  moto = await startMoto();
  client = new SageMakerRuntimeClient(modelClientConfig('runtime.sagemaker', testClientOptions(moto.endpoint)));
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

describe('SageMakerChatBackend on moto', () => {
  test('text and usage of a chat completion round-trip', async () => {
    // GIVEN the container answers with a plain chat completion
    await queueEndpointResults(moto, [
      {
        Body: JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Case 12 is open.' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 31, completion_tokens: 6, total_tokens: 37 },
        }),
      },
    ]);

    // WHEN the backend is asked
    const reply = await backend().chat(conversation(), [LOOKUP]);

    // THEN the reply carries the container's text and counts
    expect(reply).toEqual({ text: 'Case 12 is open.', toolCalls: [], usage: { input: 31, output: 6 } });
  });

  test('tool calls come back with their id, name and parsed arguments', async () => {
    await queueEndpointResults(moto, [
      {
        Body: JSON.stringify({
          choices: [
            {
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  { id: 'call_1', type: 'function', function: { name: 'lookup_case', arguments: '{"caseNumber":"12"}' } },
                  // TGI sends the arguments as an object rather than a JSON string.
                  { id: 'call_2', type: 'function', function: { name: 'lookup_case', arguments: { caseNumber: '13' } } },
                ],
              },
              finish_reason: 'tool_calls',
            },
          ],
          usage: { prompt_tokens: 40, completion_tokens: 18 },
        }),
      },
    ]);

    const reply = await backend().chat(conversation(), [LOOKUP]);

    expect(reply).toEqual({
      text: '',
      toolCalls: [
        { id: 'call_1', name: 'lookup_case', input: { caseNumber: '12' } },
        { id: 'call_2', name: 'lookup_case', input: { caseNumber: '13' } },
      ],
      usage: { input: 40, output: 18 },
    });
  });

  test('a completion without usage is charged by estimate', async () => {
    await queueEndpointResults(moto, [{ Body: JSON.stringify({ choices: [{ message: { content: 'Open.' } }] }) }]);

    const reply = await backend().chat(conversation());

    expect(reply.text).toBe('Open.');
    expect(reply.usage.input).toBeGreaterThan(0);
    expect(reply.usage.output).toBeGreaterThan(0);
  });

  test.each([
    ['a body that is not JSON', '<html>502 Bad Gateway</html>', 'the body is not JSON'],
    ['JSON without choices', JSON.stringify({ generated_text: 'Case 12 is open.' }), 'not a chat completion (choices'],
    ['an empty choices list', JSON.stringify({ choices: [] }), 'not a chat completion (choices'],
    ['a choice with a numeric content', JSON.stringify({ choices: [{ message: { content: 42 } }] }), 'choices.0.message.content'],
    [
      'tool-call arguments that are not JSON',
      JSON.stringify({ choices: [{ message: { tool_calls: [{ id: 'c', function: { name: 'lookup_case', arguments: '{"caseNum' } }] } }] }),
      'the arguments of tool call 1 are not JSON',
    ],
    [
      'a tool call without an id',
      JSON.stringify({ choices: [{ message: { tool_calls: [{ function: { name: 'lookup_case', arguments: '{}' } }] } }] }),
      'tool_calls.0.id',
    ],
  ])('%s is a ModelError naming the problem, not the content', async (_case, body, problem) => {
    await queueEndpointResults(moto, [{ Body: body }]);

    const failure = await backend()
      .chat(conversation())
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(ModelError);
    const { message } = failure as ModelError;
    expect(message).toContain('SageMaker endpoint statehouse-llm returned an unusable reply');
    expect(message).toContain(problem);
    expect(message).not.toContain('Case 12');
    expect(message).not.toContain('caseNum');
    expect(message).not.toContain('Bad Gateway');
  });
});

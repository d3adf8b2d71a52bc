import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { AGENT_IDLE_SESSION_TTL_SECONDS, BedrockInlineAgentBackend } from '../../../../../lambda/core/adapters/model/bedrock-agent-backend';
import { modelClientConfig } from '../../../../../lambda/core/adapters/model/client-settings';
import { KnowledgeBaseRetriever } from '../../../../../lambda/core/adapters/model/knowledge-base-retriever';
import { ModelError } from '../../../../../lambda/core/domain/errors';
import type { ChatMessage } from '../../../../../lambda/core/ports/model-backend';
import { eventStreamResponse, type StreamMessage } from './support/event-stream';
import { awsError, jsonResponse, startScriptedEndpoint, testClientOptions, type ScriptedEndpoint } from './support/scripted-endpoint';

/**
 * InvokeInlineAgent and Retrieve through the real BedrockAgentRuntimeClient,
 * against a scripted agent that answers with the service's event stream.
 */

const FOUNDATION_MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const INSTRUCTION = 'You answer questions about benefit cases using the agency handbook.';

const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'Summary so far: the caller asked about case 12.' },
  { role: 'user', content: 'Is case 12 open?' },
  { role: 'assistant', content: 'Yes, case 12 is open.' },
  { role: 'user', content: 'Who handles it?' },
];

function chunk(text: string): StreamMessage {
  return { event: 'chunk', body: JSON.stringify({ bytes: Buffer.from(text, 'utf-8').toString('base64') }) };
}

function orchestrationUsage(inputTokens: number, outputTokens: number): StreamMessage {
  return {
    event: 'trace',
    body: JSON.stringify({
      sessionId: 'session-1',
      trace: { orchestrationTrace: { modelInvocationOutput: { traceId: 't1', metadata: { usage: { inputTokens, outputTokens } } } } },
    }),
  };
}

let scripted: ScriptedEndpoint;
let client: BedrockAgentRuntimeClient;

beforeEach(async () => {
  scripted = await startScriptedEndpoint();
  client = new BedrockAgentRuntimeClient(modelClientConfig('bedrock-agent-runtime', testClientOptions(scripted.endpoint)));
});

afterEach(async () => {
  client.destroy();
  await scripted.stop();
});

function agent(): BedrockInlineAgentBackend {
  return new BedrockInlineAgentBackend({ client, foundationModel: FOUNDATION_MODEL, instruction: INSTRUCTION, newSessionId: () => 'turn-session-1' });
}

describe('BedrockInlineAgentBackend', () => {
  test('sends the last user message as input and the rest as instruction and history', async () => {
    scripted.answer(eventStreamResponse([chunk('Team B handles it.')], { 'x-amz-bedrock-agent-session-id': 'turn-session-1' }));

    await agent().chat(CONVERSATION);

    const [request] = scripted.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/agents/turn-session-1');
    expect(scripted.jsonBody(0)).toEqual({
      foundationModel: FOUNDATION_MODEL,
      instruction: `${INSTRUCTION}\n\nSummary so far: the caller asked about case 12.`,
      idleSessionTTLInSeconds: AGENT_IDLE_SESSION_TTL_SECONDS,
      enableTrace: true,
      inputText: 'Who handles it?',
      inlineSessionState: {
        conversationHistory: {
          messages: [
            { role: 'user', content: [{ text: 'Is case 12 open?' }] },
            { role: 'assistant', content: [{ text: 'Yes, case 12 is open.' }] },
          ],
        },
      },
    });
  });

  test('collects the streamed chunks into the text and sums the usage of the traces', async () => {
    scripted.answer(
      eventStreamResponse([
        orchestrationUsage(120, 30),
        chunk('Team B '),
        // A multi-byte character split across two chunks.
        { event: 'chunk', body: JSON.stringify({ bytes: Buffer.from([0x68, 0x61, 0x6e, 0x64, 0x6c, 0x65, 0x73, 0x20, 0x69, 0x74, 0x20, 0xe2, 0x80]).toString('base64') }) },
        { event: 'chunk', body: JSON.stringify({ bytes: Buffer.from([0x94, 0x20, 0x73, 0x69, 0x6e, 0x63, 0x65, 0x20, 0x4d, 0x61, 0x79, 0x2e]).toString('base64') }) },
        orchestrationUsage(150, 12),
      ]),
    );

    const reply = await agent().chat(CONVERSATION);

    expect(reply).toEqual({ text: 'Team B handles it — since May.', toolCalls: [], usage: { input: 270, output: 42 } });
  });

  test('without traces the usage is estimated', async () => {
    scripted.answer(eventStreamResponse([chunk('Team B handles it.')]));

    const reply = await agent().chat([{ role: 'user', content: 'Who handles case 12?' }]);

    expect(scripted.jsonBody(0)).not.toHaveProperty('inlineSessionState');
    expect(reply.text).toBe('Team B handles it.');
    expect(reply.usage.input).toBeGreaterThan(0);
    expect(reply.usage.output).toBeGreaterThan(0);
  });

  test('an exception event in the stream is a ModelError without its message', async () => {
    scripted.answer(
      eventStreamResponse([chunk('Team'), { exception: 'dependencyFailedException', body: { message: 'model failed on: Who handles it?', resourceName: 'model' } }]),
    );

    const failure = await agent().chat(CONVERSATION).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ModelError);
    expect((failure as ModelError).message).toBe(`Bedrock inline agent on ${FOUNDATION_MODEL} failed: DependencyFailedException`);
    expect((failure as ModelError).cause).toMatchObject({ name: 'DependencyFailedException' });
  });

  test('an HTTP error before the stream is a ModelError', async () => {
    scripted.answer(awsError(403, 'AccessDeniedException', 'not authorized to invoke the model'));

    const failure = await agent().chat(CONVERSATION).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ModelError);
    expect((failure as ModelError).message).toBe(
      `Bedrock inline agent on ${FOUNDATION_MODEL} failed: AccessDeniedException, HTTP 403, request id req-AccessDeniedException`,
    );
  });

  test('a conversation that does not end with a user message is refused before any request', async () => {
    const failure = await agent()
      .chat([...CONVERSATION, { role: 'assistant', content: 'Anything else?' }])
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ModelError);
    expect((failure as ModelError).message).toBe(
      `Bedrock inline agent on ${FOUNDATION_MODEL} answers a user message; this conversation ends with a message of role assistant`,
    );
    expect(scripted.requests).toHaveLength(0);
  });

  test('an inference profile as foundation model is refused unless allowed', () => {
    const props = { client, foundationModel: 'us-gov.anthropic.claude-3-haiku-20240307-v1:0', instruction: INSTRUCTION };

    expect(() => new BedrockInlineAgentBackend(props)).toThrow(/foundationModel: .* is an inference profile/);
    expect(() => new BedrockInlineAgentBackend({ ...props, allowInferenceProfile: true })).not.toThrow();
  });
});

describe('KnowledgeBaseRetriever', () => {
  test('retrieves passages with their score and location', async () => {
    scripted.answer(
      jsonResponse({
        retrievalResults: [
          {
            content: { type: 'TEXT', text: 'Cases are assigned to teams by county.' },
            location: { type: 'S3', s3Location: { uri: 's3://agency-handbook/assignment.pdf' } },
            score: 0.82,
            metadata: { page: 4 },
          },
          {
            content: { type: 'TEXT', text: 'Team B covers the northern counties.' },
            location: { type: 'WEB', webLocation: { url: 'https://intranet.example.gov/teams' } },
            score: 0.61,
          },
          // An image passage has no text for a text tool.
          { content: { type: 'IMAGE', byteContent: 'data:image/png;base64,AAAA' }, location: { type: 'S3', s3Location: { uri: 's3://agency-handbook/map.png' } }, score: 0.4 },
        ],
      }),
    );
    const retriever = new KnowledgeBaseRetriever({ client, knowledgeBaseId: 'KB12345678', numberOfResults: 3 });

    const passages = await retriever.retrieve('Who handles cases in the north?');

    expect(scripted.requests[0].path).toBe('/knowledgebases/KB12345678/retrieve');
    expect(scripted.jsonBody(0)).toEqual({
      retrievalQuery: { text: 'Who handles cases in the north?' },
      retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 3 } },
    });
    expect(passages).toEqual([
      { text: 'Cases are assigned to teams by county.', score: 0.82, location: { type: 'S3', uri: 's3://agency-handbook/assignment.pdf' } },
      { text: 'Team B covers the northern counties.', score: 0.61, location: { type: 'WEB', uri: 'https://intranet.example.gov/teams' } },
    ]);
  });

  test('a failed retrieval is a ModelError', async () => {
    scripted.answer(awsError(404, 'ResourceNotFoundException', 'knowledge base KB12345678 not found'));
    const retriever = new KnowledgeBaseRetriever({ client, knowledgeBaseId: 'KB12345678' });

    const failure = await retriever.retrieve('Who handles cases in the north?').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ModelError);
    expect((failure as ModelError).message).toBe(
      'Bedrock knowledge base KB12345678 retrieval failed: ResourceNotFoundException, HTTP 404, request id req-ResourceNotFoundException',
    );
    expect(scripted.jsonBody(0)).toMatchObject({ retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5 } } });
  });
});

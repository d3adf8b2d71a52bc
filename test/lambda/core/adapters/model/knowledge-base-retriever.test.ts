import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { modelClientConfig } from '../../../../../lambda/core/adapters/model/client-settings';
import { KnowledgeBaseRetriever } from '../../../../../lambda/core/adapters/model/knowledge-base-retriever';
import { ModelError } from '../../../../../lambda/core/domain/errors';
import { awsError, jsonResponse, startScriptedEndpoint, testClientOptions, type ScriptedEndpoint } from './support/scripted-endpoint';

/** Retrieve through the real BedrockAgentRuntimeClient, against a scripted knowledge base. */

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

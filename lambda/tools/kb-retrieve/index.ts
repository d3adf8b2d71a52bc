import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { parseFipsServices } from '../../core/adapters/model/backend-config';
import { modelClientConfig } from '../../core/adapters/model/client-settings';
import { KnowledgeBaseRetriever, type RetrievedPassage } from '../../core/adapters/model/knowledge-base-retriever';
import { ENV } from '../../../lib/contract/env-names';
import { inputObject, parseToolTask, ToolFailedError } from '../tool-task';

/**
 * The `search_knowledge_base` tool: Bedrock knowledge-base Retrieve for the
 * model's query; returns the passages with their scores and locations.
 */

// Created once per execution environment (Powertools' pattern).
const logger = new Logger();
const tracer = new Tracer();
const knowledgeBaseId = process.env[ENV.KNOWLEDGE_BASE_ID];
if (!knowledgeBaseId) throw new Error(`environment: ${ENV.KNOWLEDGE_BASE_ID} is not set`);
const region = process.env.AWS_REGION ?? '';
const clientConfig = modelClientConfig('bedrock-agent-runtime', { region, fipsServices: parseFipsServices(process.env[ENV.FIPS_SERVICES]) });
const retriever = new KnowledgeBaseRetriever({
  client: tracer.captureAWSv3Client(new BedrockAgentRuntimeClient(clientConfig)),
  knowledgeBaseId,
});

export interface SearchInput {
  readonly query: string;
  readonly maxResults?: number;
}

function parseInput(input: unknown): SearchInput {
  const { query, maxResults } = inputObject(input);
  if (typeof query !== 'string' || query.trim() === '') throw new ToolFailedError('query must be the text to search for');
  if (maxResults !== undefined && (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1)) {
    throw new ToolFailedError('maxResults must be a whole number from 1 to 10');
  }
  return { query, maxResults: maxResults as number | undefined };
}

export const handler = async (event: unknown): Promise<{ passages: RetrievedPassage[] }> => {
  const task = parseToolTask(event, parseInput);
  logger.appendKeys({ tenant: task.tenant, session: task.session, toolCallId: task.toolCallId });
  try {
    const passages = await retriever.retrieve(task.input.query, task.input.maxResults);
    logger.info('knowledge base searched', { passages: passages.length });
    return { passages };
  } catch (error) {
    logger.error('knowledge base search failed', { error: error as Error });
    // The retriever's ModelError message names the operation and the failure, never the query.
    throw new ToolFailedError((error as Error).message, { cause: error });
  } finally {
    logger.resetKeys();
  }
};

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { parseFipsServices } from '../../core/adapters/model/backend-config';
import { systemClock } from '../../core/adapters/system-clock';
import { ENV } from '../../../lib/contract/env-names';
import { parseToolTask } from '../tool-task';
import { parseReleaseInput, recordRelease, type ReleaseOutput } from './release';

/**
 * The `release_records` tool: runs in the Standard workflow after a records
 * officer approved the call, and records the release in the reference table.
 */

// Created once per execution environment (Powertools' pattern).
const logger = new Logger();
const tracer = new Tracer();
const tableName = process.env[ENV.REFERENCE_TABLE];
if (!tableName) throw new Error(`environment: ${ENV.REFERENCE_TABLE} is not set`);
const keyAttribute = process.env[ENV.REFERENCE_KEY_ATTRIBUTE];
if (!keyAttribute) throw new Error(`environment: ${ENV.REFERENCE_KEY_ATTRIBUTE} is not set`);
// SC-13: the -fips DynamoDB host where the region facts list one.
const useFipsEndpoint = parseFipsServices(process.env[ENV.FIPS_SERVICES]).has('dynamodb');
const client = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({ region: process.env.AWS_REGION, useFipsEndpoint })));

export const handler = async (event: unknown): Promise<ReleaseOutput> => {
  const task = parseToolTask(event, parseReleaseInput);
  logger.appendKeys({ tenant: task.tenant, session: task.session, toolCallId: task.toolCallId });
  try {
    const release = await recordRelease({ client, tableName, keyAttribute, clock: systemClock }, task);
    logger.info('release recorded', { releaseId: release.releaseId, records: release.recordIds.length });
    return release;
  } catch (error) {
    logger.error('release not recorded', { error: error as Error });
    throw error;
  } finally {
    logger.resetKeys();
  }
};

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

/**
 * The bundle benchmark's baseline (bench/bundle.ts): the least a function of
 * this kit can be, Powertools' three utilities and a traced DynamoDB client
 * made at module scope (Powertools' pattern), one call per invocation.
 */
const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();
const client = tracer.captureAWSv3Client(new DynamoDBClient({ region: process.env.AWS_REGION }));

export async function handler(event: { readonly key: string }): Promise<unknown> {
  metrics.addMetric('Reads', 'Count', 1);
  logger.info('read', { key: event.key });
  const { Item } = await client.send(new GetItemCommand({ TableName: process.env.TABLE_NAME, Key: { pk: { S: event.key } } }));
  metrics.publishStoredMetrics();
  return Item;
}

import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';

/**
 * DynamoDB stream records as Lambda delivers them to a function with an
 * event source mapping on the table (NEW_AND_OLD_IMAGES), built from items
 * really stored: what `npm run deploy:local` and the tests hand the
 * stream-driven functions (the summarizer, the memory extractor), since
 * moto's Lambda runs no event source mappings without Docker.
 * Record shape: docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
 */

let sequence = 100_000_000_000_000_000_000n;

export function streamRecord(
  item: Record<string, AttributeValue>,
  streamArn: string,
  eventName: 'INSERT' | 'MODIFY',
  region = 'us-east-1',
): DynamoDBRecord {
  const serial = String(++sequence);
  return {
    eventID: `ev-${serial}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: 0,
      Keys: { pk: item.pk, sk: item.sk } as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
      NewImage: item as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
      SequenceNumber: serial,
      SizeBytes: JSON.stringify(item).length,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

/** Every item of a table, as stored (a consistent Scan, page by page). */
export async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

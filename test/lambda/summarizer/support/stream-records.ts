import { DescribeTableCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { streamRecord } from '../../../../lib/emulator/stream-records';

/**
 * DynamoDB stream records as Lambda delivers them (NEW_AND_OLD_IMAGES,
 * INSERT of event items), built from the items really stored in moto's table.
 */

async function itemsOf(client: DynamoDBClient, tableName: string, pk: string): Promise<Record<string, AttributeValue>[]> {
  const { Items = [] } = await client.send(
    new ScanCommand({
      TableName: tableName,
      ConsistentRead: true,
      FilterExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
    }),
  );
  return Items.sort((a, b) => ((a.sk.S ?? '') < (b.sk.S ?? '') ? -1 : 1));
}

/** One record per event item of each session (`T#tenant#S#session`), in seq order; `header` adds a MODIFY of the header. */
export async function streamEventFor(
  client: DynamoDBClient,
  tableName: string,
  pks: readonly string[],
  options: { header?: boolean } = {},
): Promise<DynamoDBStreamEvent> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = Table?.LatestStreamArn ?? `${Table?.TableArn}/stream/unknown`;
  const records: DynamoDBRecord[] = [];
  for (const pk of pks) {
    for (const item of await itemsOf(client, tableName, pk)) {
      const isEvent = item.sk.S?.startsWith('E#') === true;
      if (isEvent) records.push(streamRecord(item, streamArn, 'INSERT'));
      else if (options.header) records.push(streamRecord(item, streamArn, 'MODIFY'));
    }
  }
  return { Records: records };
}

/** The raw header item, attribute values as stored. */
export async function rawHeader(client: DynamoDBClient, tableName: string, pk: string): Promise<Record<string, AttributeValue>> {
  const header = (await itemsOf(client, tableName, pk)).find((item) => item.sk.S === '~HEAD');
  if (!header) throw new Error(`no header for ${pk}`);
  return header;
}

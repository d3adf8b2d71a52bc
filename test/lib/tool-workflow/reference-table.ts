import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { REFERENCE_TABLE_SCHEMA } from '../../../lib/contract/reference-table';

/** The reference table exactly as the ReferenceData construct declares it by default (key schema, billing). */
export async function createReferenceTable(client: DynamoDBClient, tableName: string, partitionKeyName: string = REFERENCE_TABLE_SCHEMA.partitionKey.name): Promise<void> {
  const { partitionKey, billingMode } = REFERENCE_TABLE_SCHEMA;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: partitionKeyName, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: partitionKeyName, AttributeType: partitionKey.type }],
      BillingMode: billingMode,
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 300 }, { TableName: tableName });
}

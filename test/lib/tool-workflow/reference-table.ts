import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { REFERENCE_TABLE_SCHEMA } from '../../../lambda/tools/reference-table-schema';

/** The reference table exactly as the ReferenceData construct declares it (key schema, billing). */
export async function createReferenceTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, billingMode } = REFERENCE_TABLE_SCHEMA;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: partitionKey.name, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: partitionKey.name, AttributeType: partitionKey.type }],
      BillingMode: billingMode,
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
}

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { NoPendingApprovalError } from '../domain/errors';
import type { TaskTokenStore } from '../ports/tool-workflows';
import { taskTokenUpdate } from './session-items';

export interface DynamoDbTaskTokenStoreProps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/**
 * Task tokens on the session header, written by the approval-wait task with
 * one UpdateItem. It needs only the table: no payload bucket, no model.
 */
export class DynamoDbTaskTokenStore implements TaskTokenStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(props: DynamoDbTaskTokenStoreProps) {
    this.documents = DynamoDBDocumentClient.from(props.client);
    this.tableName = props.tableName;
  }

  async storeTaskToken(tenant: string, session: string, toolCallId: string, taskToken: string): Promise<void> {
    try {
      await this.documents.send(new UpdateCommand(taskTokenUpdate(this.tableName, tenant, session, toolCallId, taskToken)));
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') throw new NoPendingApprovalError(toolCallId);
      throw error;
    }
  }
}

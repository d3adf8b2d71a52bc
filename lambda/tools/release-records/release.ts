import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/ports/clock';
import { referenceItemKey, RELEASE_RECORD_KIND } from '../../../lib/contract/reference-table';
import { inputObject, ToolFailedError, type ToolTaskPayload } from '../tool-task';

/**
 * Recording a release of case records: one conditional PutItem into the
 * reference table (AU-2: the release itself is a record), so a retried task
 * with the same tool call finds its own release instead of writing a second.
 */

export interface ReleaseInput {
  readonly caseId: string;
  readonly recordIds: string[];
  readonly justification: string;
}

export interface ReleaseOutput {
  readonly releaseId: string;
  readonly caseId: string;
  readonly recordIds: string[];
  readonly releasedAt: string;
}

export interface ReleaseDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The table's partition key attribute (ReferenceData sets it in the function's environment). */
  readonly keyAttribute: string;
  readonly clock: Clock;
}

export function parseReleaseInput(input: unknown): ReleaseInput {
  const { caseId, recordIds, justification } = inputObject(input);
  if (typeof caseId !== 'string' || caseId === '') throw new ToolFailedError('caseId must be a case id such as FOIA-4411');
  if (!Array.isArray(recordIds) || recordIds.length === 0 || !recordIds.every((id) => typeof id === 'string')) {
    throw new ToolFailedError('recordIds must be a non-empty list of record ids');
  }
  if (typeof justification !== 'string' || justification.trim() === '') throw new ToolFailedError('justification must say why the records are released');
  return { caseId, recordIds, justification };
}

/**
 * One release per tool call of a session: the key a retry finds again, in
 * the calling tenant's part of the table (`T#<tenant>#RELEASE#<session>#<toolCallId>`).
 */
export function releaseKey(task: Pick<ToolTaskPayload, 'tenant' | 'session' | 'toolCallId'>): string {
  return referenceItemKey(task.tenant, RELEASE_RECORD_KIND, `${task.session}#${task.toolCallId}`);
}

export async function recordRelease(deps: ReleaseDeps, task: ToolTaskPayload<ReleaseInput>): Promise<ReleaseOutput> {
  const releaseId = releaseKey(task);
  const releasedAt = deps.clock.now().toISOString();
  try {
    await deps.client.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: {
          [deps.keyAttribute]: releaseId,
          kind: 'release',
          releasedCaseId: task.input.caseId,
          recordIds: task.input.recordIds,
          justification: task.input.justification,
          tenant: task.tenant,
          session: task.session,
          toolCallId: task.toolCallId,
          releasedAt,
        },
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': deps.keyAttribute },
      }),
    );
    return { releaseId, caseId: task.input.caseId, recordIds: task.input.recordIds, releasedAt };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return alreadyRecorded(deps, task, releaseId);
    throw new ToolFailedError(`the release could not be recorded (${(error as Error).name})`, { cause: error });
  }
}

/** A retry of the same tool call: answer with the release already stored, if it is the same one. */
async function alreadyRecorded(deps: ReleaseDeps, task: ToolTaskPayload<ReleaseInput>, releaseId: string): Promise<ReleaseOutput> {
  const { Item: stored } = await deps.client.send(new GetCommand({ TableName: deps.tableName, Key: { [deps.keyAttribute]: releaseId }, ConsistentRead: true }));
  if (stored === undefined || stored.releasedCaseId !== task.input.caseId) {
    throw new ToolFailedError(`tool call ${task.toolCallId} already recorded a different release`);
  }
  return { releaseId, caseId: stored.releasedCaseId as string, recordIds: stored.recordIds as string[], releasedAt: stored.releasedAt as string };
}

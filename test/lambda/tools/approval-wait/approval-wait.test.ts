import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDbTaskTokenStore } from '../../../../lambda/core/adapters/dynamodb-task-token-store';
import { executionNameFor } from '../../../../lambda/core/domain/pending-tool';
import { newSessionHeader, type PendingTool, type SessionHeader } from '../../../../lambda/core/domain/session-header';
import { HEADER_SK, sessionPk } from '../../../../lambda/core/domain/session-keys';
import { findTool } from '../../../../lib/tools/catalog';
import { createApprovalWaitHandler } from '../../../../lambda/tools/approval-wait/handler';
import { startMotoSessions, type MotoSessions } from '../../core/support/moto-sessions';

/** The approval-wait task on moto's DynamoDB: one conditional UpdateItem that leaves `version` alone. */
let store: MotoSessions;
let handler: ReturnType<typeof createApprovalWaitHandler>;
let serial = 0;

beforeAll(async () => {
  store = await startMotoSessions();
  handler = createApprovalWaitHandler({
    tokens: new DynamoDbTaskTokenStore({ client: store.dynamodb, tableName: store.tableName }),
    logger: new Logger({ serviceName: 'approval-wait-test', logLevel: 'SILENT' }),
  });
});

afterAll(async () => {
  await store?.stop();
});

const tenant = 'agency-a';

async function sessionAwaiting(status: SessionHeader['status'] = 'awaiting_approval'): Promise<string> {
  const session = `s-${++serial}`;
  const pendingTool: PendingTool = {
    toolCallId: 'call-1',
    tool: 'release_records',
    input: { caseId: 'FOIA-1', recordIds: ['a'], justification: 'the statute allows it' },
    callSeq: 3,
    requestId: 'r-1',
    requestedBy: 'alice',
    approval: findTool('release_records')?.approval,
    executionName: executionNameFor(tenant, session, 3, 'call-1'),
  };
  const header = newSessionHeader({ tenant, session, owner: 'alice', agent: 'assistant', maxTokens: 1000, ttlSeconds: 3600, now: new Date() });
  await store.repository.create(tenant, session, { ...header, version: 4, status, pendingTool });
  return session;
}

async function headerOf(session: string) {
  const { Item } = await store.dynamodb.send(
    new GetItemCommand({ TableName: store.tableName, Key: { pk: { S: sessionPk(tenant, session) }, sk: { S: HEADER_SK } }, ConsistentRead: true }),
  );
  return Item;
}

describe('approval-wait', () => {
  test('stores the task token on the pending call with one UpdateItem; version stays as it was', async () => {
    const session = await sessionAwaiting();
    store.calls.reset();

    await expect(handler({ taskToken: 'AQ-token-1', tenant, session, toolCallId: 'call-1' })).resolves.toEqual({ stored: true });

    expect(store.calls.counts).toEqual({ UpdateItem: 1 });
    const item = await headerOf(session);
    expect(item?.pendingTool.M?.taskToken).toEqual({ S: 'AQ-token-1' });
    expect(item?.version).toEqual({ N: '4' });
    const { header } = await store.repository.load(tenant, session, 0);
    expect(header.pendingTool?.taskToken).toBe('AQ-token-1');
  });

  test.each<[string, () => Promise<{ session: string; toolCallId: string }>]>([
    ['another tool call', async () => ({ session: await sessionAwaiting(), toolCallId: 'call-2' })],
    ['a session that needs no approval', async () => ({ session: await sessionAwaiting('awaiting_tool'), toolCallId: 'call-1' })],
    ['a session that does not exist', async () => ({ session: 'never-created', toolCallId: 'call-1' })],
  ])('refuses %s with Statehouse.NoPendingApproval, writing nothing', async (_case, arrange) => {
    const { session, toolCallId } = await arrange();
    const before = await headerOf(session);
    await expect(handler({ taskToken: 'AQ-token-2', tenant, session, toolCallId })).rejects.toMatchObject({ name: 'Statehouse.NoPendingApproval' });
    expect(await headerOf(session)).toEqual(before);
  });

  test('an event that is not a PendingApproval is Statehouse.ValidationError', async () => {
    await expect(handler({ taskToken: 'x', tenant, session: 's/../other', toolCallId: 'call-1' })).rejects.toMatchObject({ name: 'Statehouse.ValidationError' });
    await expect(handler({ tenant, session: 's-1', toolCallId: 'call-1' })).rejects.toMatchObject({ name: 'Statehouse.ValidationError' });
  });
});

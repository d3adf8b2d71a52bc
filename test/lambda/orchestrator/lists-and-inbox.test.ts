import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { ToolCall } from '../../../lambda/core/ports/model-backend';
import { APPROVAL_SK, sessionPk } from '../../../lambda/core/domain/session-keys';
import { executionNameFor } from '../../../lambda/core/domain/pending-tool';
import { motoDynamoDbClient } from '../../helpers/moto';
import { reply, ScriptedModel } from '../core/support/scripted-model';
import { ALICE, ALICE_AS_OFFICER, ALVIN, api, BOB, OLIVIA, OSCAR_C, ROLE_A } from './support/api-events';
import type { ApiResponse } from './support/orchestrator-harness';
import { SLOW_SHORT_APPROVAL, startToolHarness, type ToolHarness } from './support/tool-harness';

/**
 * GET /sessions (the caller's own sessions, newest first) and GET /approvals
 * (pending approvals the caller's role may decide, across sessions), each
 * page one Query of the list index, on moto; the approvals come from real
 * turns through the local Step Functions workflow and the real approval-wait
 * and resume handlers. Only the model is scripted.
 */
let harness: ToolHarness;
let serial = 0;
const nextId = (prefix: string) => `${prefix}-${++serial}`;

beforeAll(async () => {
  harness = await startToolHarness();
});

afterAll(async () => {
  await harness?.stop();
});

const RELEASE: ToolCall = {
  id: 'call-release',
  name: 'release_records',
  input: { caseId: 'FOIA-4411', recordIds: ['REC-1'], justification: 'The requester asked for their own case file.' },
};
const REASON = 'The requester is the subject of these records.';

type Send = (event: Parameters<ReturnType<ToolHarness['orchestrator']>['send']>[0]) => Promise<ApiResponse>;

/** Every page of a list, following the cursor; the pages' sizes too. */
async function allPages(send: Send, route: 'list' | 'inbox', query: Record<string, string>, caller: string) {
  const items: any[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await send(api[route]({ ...query, ...(cursor ? { cursor } : {}) }, caller));
    expect(page.statusCode).toBe(200);
    const entries = route === 'list' ? page.body.sessions : page.body.approvals;
    items.push(...entries);
    sizes.push(entries.length);
    cursor = page.body.cursor;
  } while (cursor);
  return { items, sizes };
}

async function awaitingApproval(send: Send, caller = ALICE) {
  const sessionId = nextId('inbox');
  expect((await send(api.create({ sessionId }, caller))).statusCode).toBe(201);
  const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Release my case file FOIA-4411.' }, caller));
  expect(turn).toMatchObject({ statusCode: 202, body: { status: 'awaiting_approval' } });
  return sessionId;
}

describe('GET /sessions', () => {
  test("250 sessions page newest first, every one exactly once, only the caller's own, filters by status", async () => {
    const { send } = harness.orchestrator(ScriptedModel.responding(() => reply('Noted.')));
    const created: string[] = [];
    for (let i = 0; i < 250; i++) {
      // Zero-padded: two sessions created in the same millisecond are ordered by id, which then agrees with creation.
      const sessionId = `many-${String(i).padStart(3, '0')}`;
      expect((await send(api.create({ sessionId }, ALVIN))).statusCode).toBe(201);
      created.push(sessionId);
    }
    // Someone else's sessions, in the same tenant and in another: never in Alvin's list.
    await send(api.create({ sessionId: nextId('other') }, ALICE));
    await send(api.create({ sessionId: nextId('other') }, BOB));
    // One of Alvin's sessions takes a turn (updatedAt moves; the order is by creation and stays).
    expect((await send(api.turn(created[10], { requestId: 'r-1', message: 'Hello.' }, ALVIN))).statusCode).toBe(200);

    const { items, sizes } = await allPages(send, 'list', { limit: '40' }, ALVIN);

    expect(items.map((item) => item.sessionId)).toEqual([...created].reverse());
    expect(sizes.slice(0, -1).every((size) => size === 40)).toBe(true);
    expect(items[0]).toEqual({
      sessionId: created[249],
      agent: expect.any(String),
      status: 'idle',
      lastSeq: 0,
      tokens: { input: 0, output: 0 },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    const touched = items.find((item) => item.sessionId === created[10]);
    expect(touched.lastSeq).toBe(2);

    const defaults = await send(api.list({}, ALVIN));
    expect(defaults.body.sessions).toHaveLength(25);
    expect(defaults.body.cursor).toEqual(expect.any(String));

    const awaiting = await allPages(send, 'list', { status: 'awaiting_approval', limit: '100' }, ALVIN);
    expect(awaiting.items).toEqual([]);
  });

  test('a session awaiting approval is listed with its status; a filter on an agent the session does not have finds nothing', async () => {
    const { send } = harness.orchestrator(ScriptedModel.answering(reply('A records officer must approve the release first.', [RELEASE])));
    const caller = `arn:aws-us-gov:sts::111122223333:assumed-role/AgencyAApp/${nextId('filter')}`;
    const sessionId = await awaitingApproval(send, caller);
    const listed = await send(api.list({ status: 'awaiting_approval' }, caller));
    expect(listed.body.sessions.map((item: any) => [item.sessionId, item.status])).toEqual([[sessionId, 'awaiting_approval']]);
    const agent = listed.body.sessions[0].agent;
    expect((await send(api.list({ agent }, caller))).body.sessions).toHaveLength(1);
    expect((await send(api.list({ agent: 'no-such-agent' }, caller))).body.sessions).toEqual([]);
  });

  test("another caller's cursor, a forged cursor, bad limits and unknown parameters are 400s that change nothing", async () => {
    const { send } = harness.orchestrator(ScriptedModel.responding(() => reply('Noted.')));
    for (let i = 0; i < 3; i++) await send(api.create({ sessionId: nextId('cursor') }, ALVIN));
    const alvins = await send(api.list({ limit: '1' }, ALVIN));
    expect(alvins.body.cursor).toEqual(expect.any(String));
    const before = await harness.base.snapshot();

    const forged = Buffer.from(JSON.stringify({ pk: 'T#agency-a#S#x', sk: '~HEAD', gpk: 'T#agency-b#OWNER#x', gsk: 'x' })).toString('base64url');
    const refused = [
      await send(api.list({ cursor: alvins.body.cursor }, ALICE)),
      await send(api.list({ cursor: alvins.body.cursor }, BOB)),
      await send(api.list({ cursor: forged }, ALVIN)),
      await send(api.list({ cursor: 'not a cursor' }, ALVIN)),
      await send(api.list({ cursor: Buffer.from('[1,2]').toString('base64url') }, ALVIN)),
      await send(api.list({ limit: '0' }, ALVIN)),
      await send(api.list({ limit: '101' }, ALVIN)),
      await send(api.list({ limit: '1e3' }, ALVIN)),
      await send(api.list({ status: 'done' }, ALVIN)),
      await send(api.list({ agent: '../x' }, ALVIN)),
      await send(api.list({ owner: ALICE }, ALVIN)),
      await send(api.list({ tenant: 'agency-b' }, ALVIN)),
      await send(api.inbox({ cursor: alvins.body.cursor }, OLIVIA)),
      await send(api.inbox({ role: 'RecordsOfficer' }, ALVIN)),
    ];
    for (const response of refused) expect(response).toMatchObject({ statusCode: 400, body: { error: { code: 'ValidationError' } } });
    expect(refused[0].body.error.message).toMatch(/cursor/);
    expect(await harness.base.snapshot()).toBe(before);
  });

  test('an unsigned or unmapped caller gets 403', async () => {
    const { send } = harness.orchestrator(ScriptedModel.responding(() => reply('Noted.')));
    expect((await send(api.list({}, null))).statusCode).toBe(403);
    expect((await send(api.inbox({}, 'arn:aws-us-gov:sts::999988887777:assumed-role/RecordsOfficer/eve'))).statusCode).toBe(403);
  });
});

describe('GET /approvals', () => {
  test('a pending approval is in the inbox of its approver role only: not the requester, not another role, not another tenant', async () => {
    const model = ScriptedModel.answering(
      reply('A records officer must approve the release first.', [RELEASE]),
      reply('A records officer must approve the release first.', [RELEASE]),
      reply('Released.'),
    );
    const { send } = harness.orchestrator(model);
    const first = await awaitingApproval(send);
    const second = await awaitingApproval(send, ALVIN);

    const inbox = await allPages(send, 'inbox', {}, OLIVIA);
    const mine = inbox.items.filter((item) => item.sessionId === first || item.sessionId === second);
    // Oldest first: the longest wait at the top.
    expect(mine.map((item) => item.sessionId)).toEqual([first, second]);
    expect(mine[0]).toEqual({
      sessionId: first,
      toolCallId: RELEASE.id,
      tool: 'release_records',
      input: RELEASE.input,
      requestedBy: `${ROLE_A}#alice`,
      approverRoles: ['RecordsOfficer'],
      requestedAt: expect.any(String),
      decideBy: new Date(Date.parse(mine[0].requestedAt) + 259_200_000).toISOString(),
    });

    // The requester (in her own role, or as an officer herself), another role, another tenant's officer: none sees them.
    for (const caller of [ALICE, ALICE_AS_OFFICER, ALVIN, BOB, OSCAR_C]) {
      const seen = await allPages(send, 'inbox', {}, caller);
      expect(seen.items.filter((item) => item.sessionId === first)).toEqual([]);
    }
    // Alice as an officer still sees Alvin's request: she did not ask for it.
    expect((await allPages(send, 'inbox', {}, ALICE_AS_OFFICER)).items.map((item) => item.sessionId)).toContain(second);
  });

  test('a decision takes the approval out of the inbox in the same write as the approval event', async () => {
    const model = ScriptedModel.answering(reply('A records officer must approve the release first.', [RELEASE]), reply('Released.'));
    const { send } = harness.orchestrator(model);
    const sessionId = await awaitingApproval(send);
    const inboxKey = { pk: { S: sessionPk('agency-a', sessionId) }, sk: { S: APPROVAL_SK } };
    const inspector = motoDynamoDbClient(harness.base.store.moto);
    const tableName = harness.base.store.tableName;
    expect((await inspector.send(new GetItemCommand({ TableName: tableName, Key: inboxKey }))).Item).toBeDefined();

    const decided = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: REASON }, OLIVIA));
    expect(decided.statusCode).toBe(200);

    expect((await inspector.send(new GetItemCommand({ TableName: tableName, Key: inboxKey }))).Item).toBeUndefined();
    const inbox = await allPages(send, 'inbox', {}, OLIVIA);
    expect(inbox.items.filter((item) => item.sessionId === sessionId)).toEqual([]);
  });

  test('an approval nobody decided in time leaves the inbox when the workflow resumes the turn', async () => {
    const model = ScriptedModel.answering(reply('A records officer must approve the release first.', [RELEASE]), reply('No officer decided in time.'));
    const { send } = harness.orchestrator(model, { slowStateMachineArn: SLOW_SHORT_APPROVAL });
    const sessionId = await awaitingApproval(send);
    // The tool_call is event 3; its execution is named after where the call lives.
    const name = executionNameFor('agency-a', sessionId, 3, RELEASE.id);
    const execution = harness.sfn.executions(SLOW_SHORT_APPROVAL).find((candidate) => candidate.name === name);
    if (!execution) throw new Error(`no execution ${name}`);
    expect((await harness.sfn.finished(execution.executionArn)).status).toBe('SUCCEEDED');

    expect((await send(api.read(sessionId))).body.session.status).toBe('idle');
    const inbox = await allPages(send, 'inbox', {}, OLIVIA);
    expect(inbox.items.filter((item) => item.sessionId === sessionId)).toEqual([]);
  });

  test('deleting the session deletes its inbox entry', async () => {
    const { send } = harness.orchestrator(ScriptedModel.answering(reply('A records officer must approve the release first.', [RELEASE])));
    const sessionId = await awaitingApproval(send);
    expect((await allPages(send, 'inbox', {}, OLIVIA)).items.map((item) => item.sessionId)).toContain(sessionId);
    expect((await send(api.delete(sessionId))).statusCode).toBe(200);
    expect((await allPages(send, 'inbox', {}, OLIVIA)).items.map((item) => item.sessionId)).not.toContain(sessionId);
  });
});

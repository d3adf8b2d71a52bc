import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbSessionRepository } from '../../../../lambda/core/adapters/dynamodb-session-repository';
import { StepFunctionsSlowToolStarter } from '../../../../lambda/core/adapters/step-functions/slow-tool-starter';
import { StepFunctionsToolRunner } from '../../../../lambda/core/adapters/step-functions/sync-tool-runner';
import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { createSession } from '../../../../lambda/core/domain/create-session';
import { SessionNotFoundError, ValidationError } from '../../../../lambda/core/domain/errors';
import { genesisHash, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import { resumeTurn } from '../../../../lambda/core/domain/resume-turn';
import { runTurn, type TurnDeps } from '../../../../lambda/core/domain/run-turn';
import { RECENT_REQUESTS_KEPT } from '../../../../lambda/core/domain/session-header';
import { EVENT_SK_PREFIX, eventSk, requestSk, sessionPk } from '../../../../lambda/core/domain/session-keys';
import { ToolPolicy } from '../../../../lambda/core/domain/tool-policy';
import type { TurnTools } from '../../../../lambda/core/domain/turn-rounds';
import type { TurnRequest } from '../../../../lambda/core/domain/turn-request';
import type { TurnResult } from '../../../../lambda/core/domain/turn-result';
import { seedTurns } from '../../../helpers/seed-session';
import { createSessionTable, motoClientConfig, motoDynamoDbClient } from '../../../helpers/moto';
import { reply, ScriptedModel } from '../support/scripted-model';
import { soleAgent } from '../support/agents';
import { PARTITION } from '../support/tool-workflows';
import { startMotoSessions, type MotoSessions } from '../support/moto-sessions';

/**
 * Idempotency for the session's whole life: a request's marker item, written
 * in its turn's transaction, answers a retry however many turns came after it.
 * Real DynamoDB and S3 adapters on moto; only the model is scripted.
 */
let moto: MotoSessions;
/** A client of its own for counting items, so the count never shows in the call counts under test. */
let inspector: DynamoDBClient;
/** The running test's table: each test gets its own, as moto copies the whole table on every transaction. */
let tableName: string;
let sessions: DynamoDbSessionRepository;
let tableSerial = 0;
let sessionSerial = 0;

beforeAll(async () => {
  moto = await startMotoSessions();
  inspector = motoDynamoDbClient(moto.moto);
});

afterAll(async () => {
  inspector?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  tableName = `lifelong-${++tableSerial}`;
  await createSessionTable(moto.dynamodb, tableName);
  sessions = new DynamoDbSessionRepository({ client: moto.dynamodb, tableName, payloads: moto.payloads });
});

async function countItems(): Promise<number> {
  const { Count } = await inspector.send(new ScanCommand({ TableName: tableName, Select: 'COUNT', ConsistentRead: true }));
  return Count ?? 0;
}

async function newSession(): Promise<{ tenant: string; session: string }> {
  const ids = { tenant: 'agency-i', session: `s-${++sessionSerial}` };
  await createSession({ sessions, clock: systemClock, agents: soleAgent(ScriptedModel.echoing()).agents }, { ...ids, owner: 'alice', maxTokens: 10_000_000 });
  return ids;
}

/** A small context window keeps moto's per-turn work flat over a long session. */
function deps(model: ScriptedModel, tools?: TurnTools): TurnDeps {
  return { sessions, ...soleAgent(model, tools?.policy.toolsFor('agency-i').map((tool) => tool.name)), clock: systemClock, limits: { contextEvents: 4 }, tools };
}

/**
 * Enough newer turns that the header's recent map no longer holds the request:
 * planned by the domain and seeded (seedTurns), as real commits of them on
 * moto cost seconds each in a long session; what the test then does is real.
 */
async function turnsAfter(ids: { tenant: string; session: string }, count: number): Promise<void> {
  const { header } = await sessions.load(ids.tenant, ids.session, 0);
  await seedTurns(moto.dynamodb, tableName, ids, header, count, (i) => ({
    requestId: `later-${ids.session}-${i}`,
    actor: 'alice',
    message: `question ${i}`,
    reply: reply(`echo: question ${i}`),
  }));
}

function turn(ids: { tenant: string; session: string }, requestId: string, message: string): TurnRequest {
  return { ...ids, requestId, actor: 'alice', message };
}

describe('a request id is answered for the life of the session', () => {
  test('a turn retried 100 turns later returns its stored result (replayed), writes nothing and leaves the version alone', async () => {
    const ids = await newSession();
    const first = await runTurn(deps(ScriptedModel.answering(reply('the first answer'))), turn(ids, 'r-0', 'the first question'));
    // 100 later turns, as the turn planner writes them (events, markers, the header's recent map of the newest 20), seeded
    // with BatchWriteItem: through 100 real commits moto's transactions, which copy the table per item, cost a minute.
    const { header: seeded } = await sessions.load(ids.tenant, ids.session, 0);
    await seedTurns(moto.dynamodb, tableName, ids, seeded, 100, (i) => ({
      requestId: `r-${i}`,
      actor: 'alice',
      message: `question ${i}`,
      reply: reply(`echo: question ${i}`),
    }));
    // The retry's path is real from here on: the session is 101 turns long and r-0 has left the header's map.
    expect(Object.keys((await sessions.load(ids.tenant, ids.session, 0)).header.recentRequests)).not.toContain('r-0');
    const itemsBefore = await countItems();
    const { header: before } = await sessions.load(ids.tenant, ids.session, 0);

    // The model may run again (the header remembers only recent requests); its answer is never stored.
    moto.calls.reset();
    const retried = await runTurn(deps(ScriptedModel.answering(reply('a second, different answer'))), turn(ids, 'r-0', 'the first question'));

    expect(retried).toEqual({ ...first, replayed: true });
    expect(retried.reply).toBe('the first answer');
    // The refused commit carried the stored marker back: no read beyond the turn's own two round trips.
    expect(moto.calls.counts).toEqual({ Query: 1, TransactWriteItems: 1 });
    expect(await countItems()).toBe(itemsBefore);
    const { header: after } = await sessions.load(ids.tenant, ids.session, 0);
    expect(after.version).toBe(before.version);
    expect(after.lastSeq).toBe(before.lastSeq);
  });

  test('an old request id reused for another message is refused, and nothing is written', async () => {
    const ids = await newSession();
    await runTurn(deps(ScriptedModel.echoing()), turn(ids, 'r-0', 'one thing'));
    await turnsAfter(ids, RECENT_REQUESTS_KEPT);
    const itemsBefore = await countItems();

    await expect(runTurn(deps(ScriptedModel.echoing()), turn(ids, 'r-0', 'another thing'))).rejects.toThrow(ValidationError);
    expect(await countItems()).toBe(itemsBefore);
  });

  test('concurrent attempts of the same new request write it once; every attempt gets the one result', async () => {
    const ids = await newSession();
    const model = ScriptedModel.echoing();
    moto.calls.reset();
    const attempts = await Promise.all(Array.from({ length: 6 }, () => runTurn(deps(model), turn(ids, 'r-new', 'only once, please'))));

    expect(attempts.filter((result) => !result.replayed)).toHaveLength(1);
    // All six read the session before any committed; five commits were refused on the marker, which answered them.
    expect(moto.calls.counts).toEqual({ Query: 6, TransactWriteItems: 6 });
    const [winner] = attempts.filter((result) => !result.replayed);
    for (const attempt of attempts) expect(attempt).toEqual({ ...winner, replayed: attempt.replayed });
    const { header } = await sessions.load(ids.tenant, ids.session, 10);
    expect(header).toMatchObject({ version: 1, lastSeq: 2 });
    const log = await sessions.readEvents(ids.tenant, ids.session, { resolvePayloads: true });
    expect(log.events.map((event) => [event.type, event.content])).toEqual([
      ['user', 'only once, please'],
      ['assistant', 'echo: only once, please'],
    ]);
    await expect(sessions.readRequestMarker(ids.tenant, ids.session, 'r-new')).resolves.toMatchObject({
      turn: { turnSeq: 1, result: { version: 1, lastSeq: 2 } },
      reply: 'echo: only once, please',
    });
  });

  test('markers stay outside the events: below E# in the key order, out of load and readEvents, removed with the session', async () => {
    const ids = await newSession();
    await runTurn(deps(ScriptedModel.echoing()), turn(ids, 'r-1', 'hello'));
    await runTurn(deps(ScriptedModel.echoing()), turn(ids, 'r-2', 'again'));
    expect(requestSk('r-1') < EVENT_SK_PREFIX).toBe(true);
    const key = (sk: string) => ({ pk: { S: sessionPk(ids.tenant, ids.session) }, sk: { S: sk } });
    const { Item: marker } = await moto.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: key(requestSk('r-1')) }));
    const { Item: event } = await moto.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: key(eventSk(1)) }));
    // TTL removes a marker with the events its commit wrote.
    expect(marker?.expiresAt).toEqual(event?.expiresAt);

    // Fewer events than the page holds, and still no marker in it.
    const loaded = await sessions.load(ids.tenant, ids.session, 50);
    expect(loaded.events.map((stored) => stored.seq)).toEqual([4, 3, 2, 1]);
    const page = await sessions.readEvents(ids.tenant, ids.session);
    expect(page.events.map((stored) => stored.seq)).toEqual([1, 2, 3, 4]);

    const itemsBefore = await countItems();
    await expect(sessions.delete(ids.tenant, ids.session)).resolves.toBe(7);
    expect(await countItems()).toBe(itemsBefore - 7);
    await expect(sessions.readRequestMarker(ids.tenant, ids.session, 'r-1')).resolves.toBeUndefined();
    await expect(sessions.load(ids.tenant, ids.session, 5)).rejects.toThrow(SessionNotFoundError);
  });
});

describe('a request id is answered for the life of the session, around a slow tool call', () => {
  let sfn: SFNClient;
  let tools: TurnTools;

  beforeAll(async () => {
    // moto records executions without running them (state-machine execution is off): the call stays pending.
    sfn = new SFNClient(motoClientConfig(moto.moto));
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: 'statehouse-slow-tools',
        roleArn: `arn:${PARTITION}:iam::111122223333:role/statehouse-slow-tools`,
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
      }),
    );
    const archive = {
      name: 'archive',
      description: 'Archive a case file; takes a while.',
      inputSchema: { type: 'object', properties: { caseId: { type: 'string' } }, required: ['caseId'], additionalProperties: false },
      implementation: { kind: 'lambda' as const, handler: 'archive' },
      timeoutSeconds: 60,
      mode: 'slow' as const,
    };
    tools = {
      policy: ToolPolicy.of([archive]),
      // No fast tool is enabled, so the Express runner is never called.
      runner: new StepFunctionsToolRunner({ client: sfn, stateMachineArn: stateMachineArn ?? '' }),
      slowTools: new StepFunctionsSlowToolStarter({ client: sfn, stateMachineArn: stateMachineArn ?? '' }),
    };
  });

  afterAll(() => sfn?.destroy());

  const ARCHIVE = { id: 'call-archive', name: 'archive', input: { caseId: 'FOIA-7' } };

  test('while the session waits on a slow call, an old retry reads its marker (one GetItem) instead of a 409', async () => {
    const ids = await newSession();
    const first = await runTurn(deps(ScriptedModel.echoing(), tools), turn(ids, 'r-old', 'an early question'));
    await turnsAfter(ids, RECENT_REQUESTS_KEPT);
    const waiting = await runTurn(deps(ScriptedModel.answering(reply('Archiving.', [ARCHIVE])), tools), turn(ids, 'r-slow', 'archive FOIA-7'));
    expect(waiting.status).toBe('awaiting_tool');
    const itemsBefore = await countItems();

    moto.calls.reset();
    const retried = await runTurn(deps(ScriptedModel.answering(), tools), turn(ids, 'r-old', 'an early question'));

    expect(retried).toEqual({ ...first, replayed: true });
    expect(moto.calls.counts).toEqual({ Query: 1, GetItem: 1 });
    expect(await countItems()).toBe(itemsBefore);
    // A new request still waits its turn.
    await expect(runTurn(deps(ScriptedModel.answering(), tools), turn(ids, 'r-new', 'next'))).rejects.toMatchObject({ code: 'SessionAwaiting' });
  });

  test('a resumed turn updates its marker in the resume commit: retried long after, it returns the finished turn', async () => {
    const ids = await newSession();
    const waiting = await runTurn(deps(ScriptedModel.answering(reply('Archiving.', [ARCHIVE])), tools), turn(ids, 'r-slow', 'archive FOIA-7'));
    expect(waiting).toMatchObject({ status: 'awaiting_tool', lastSeq: 3 });

    moto.calls.reset();
    const resumed = await resumeTurn(deps(ScriptedModel.answering(reply('FOIA-7 is archived.', [], { input: 30, output: 7 })), tools), {
      kind: 'statehouse.resume',
      tenant: ids.tenant,
      session: ids.session,
      toolCallId: ARCHIVE.id,
      result: { ok: true, output: { archived: true } },
    });
    expect(resumed).toMatchObject({ resumed: true, status: 'idle', lastSeq: 5 });
    // The resume still costs one read and one write: the marker rides in the same transaction.
    expect(moto.calls.counts).toEqual({ Query: 1, TransactWriteItems: 1 });
    const recent: TurnResult = await runTurn(deps(ScriptedModel.answering(), tools), turn(ids, 'r-slow', 'archive FOIA-7'));
    expect(recent).toMatchObject({ status: 'idle', reply: 'FOIA-7 is archived.', toolCalls: [ARCHIVE], usage: { input: 40, output: 12 }, replayed: true });

    await turnsAfter(ids, RECENT_REQUESTS_KEPT);
    const late = await runTurn(deps(ScriptedModel.echoing(), tools), turn(ids, 'r-slow', 'archive FOIA-7'));

    expect(late).toEqual(recent);
    const log = await sessions.readEvents(ids.tenant, ids.session, { limit: 1000, resolvePayloads: true });
    const { header } = await sessions.load(ids.tenant, ids.session, 0);
    expect(verifyChain(log.events, genesisHash(ids.tenant, ids.session))).toMatchObject({ ok: true, lastSeq: header.lastSeq });
  });
});

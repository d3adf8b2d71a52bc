import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDbSessionRepository } from '../../../lambda/core/adapters/dynamodb-session-repository';
import { ModelError } from '../../../lambda/core/domain/errors';
import { genesisHash, verifyChain } from '../../../lambda/core/domain/hash-chain';
import { eventSk, sessionPk } from '../../../lambda/core/domain/session-keys';
import { MODEL_ERROR_MESSAGE } from '../../../lambda/core/http/error-body';
import { verifySession } from '../../../lambda/orchestrator/verify-session';
import { reply, ScriptedModel } from '../core/support/scripted-model';
import { ALICE, ALVIN, api, BOB, ROLE_A } from './support/api-events';
import { quietTelemetry, startOrchestratorHarness, type OrchestratorHarness } from './support/orchestrator-harness';

/** The session API through the orchestrator's handler, on moto's DynamoDB and S3; only the model is scripted. */
let harness: OrchestratorHarness;
let serial = 0;
const nextId = (prefix: string) => `${prefix}-${++serial}`;

beforeAll(async () => {
  harness = await startOrchestratorHarness();
});

afterAll(async () => {
  await harness?.stop();
});

describe('session API: happy path', () => {
  test('create → turn → turn → read page by page → verify → delete → read is 404', async () => {
    const send = harness.handlerWith(ScriptedModel.echoing());

    const created = await send(api.create({ sessionId: 'happy-1' }));
    expect(created.statusCode).toBe(201);
    expect(created.headers).toMatchObject({ 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    expect(created.body.session).toMatchObject({
      sessionId: 'happy-1',
      status: 'idle',
      version: 0,
      lastSeq: 0,
      // The actor is the caller's role ARN (partition from the caller's ARN) and role session name.
      owner: `${ROLE_A}#alice`,
      budget: { maxTokens: 1_000_000 },
      summary: '',
      summaryUpToSeq: 0,
    });

    const first = await send(api.turn('happy-1', { requestId: 'r-1', message: 'Hello' }));
    expect(first.statusCode).toBe(200);
    expect(first.body).toMatchObject({ requestId: 'r-1', version: 1, turnSeq: 1, lastSeq: 2, reply: 'echo: Hello', status: 'idle', replayed: false });
    const second = await send(api.turn('happy-1', { requestId: 'r-2', message: 'Again' }));
    expect(second.body).toMatchObject({ version: 2, turnSeq: 3, lastSeq: 4, reply: 'echo: Again' });

    // limit=1 walks the log one event per page; the last page has no cursor.
    const pages: unknown[][] = [];
    let afterSeq: number | undefined = 0;
    while (afterSeq !== undefined) {
      const page = await send(api.read('happy-1', { afterSeq: String(afterSeq), limit: '1' }));
      expect(page.statusCode).toBe(200);
      expect(page.body.session).toMatchObject({ sessionId: 'happy-1', version: 2, lastSeq: 4, tokens: { input: 20, output: 10 } });
      expect(page.body.session).not.toHaveProperty('recentRequests');
      expect(page.body.session).not.toHaveProperty('lastHash');
      pages.push(page.body.events);
      afterSeq = page.body.nextAfterSeq;
    }
    expect(pages).toHaveLength(4);
    expect(pages.flat()).toEqual([
      expect.objectContaining({ seq: 1, type: 'user', content: 'Hello', actor: `${ROLE_A}#alice` }),
      expect.objectContaining({ seq: 2, type: 'assistant', content: 'echo: Hello', actor: 'model' }),
      expect.objectContaining({ seq: 3, type: 'user', content: 'Again' }),
      expect.objectContaining({ seq: 4, type: 'assistant', content: 'echo: Again' }),
    ]);
    // Each event shows its place in the hash chain, linked across pages from the session's genesis: a client can recompute it.
    const events = pages.flat() as { prevHash: string; hash: string }[];
    expect(events.map((event) => event.prevHash)).toEqual([genesisHash('agency-a', 'happy-1'), ...events.slice(0, -1).map((event) => event.hash)]);
    expect(verifyChain(events as never, genesisHash('agency-a', 'happy-1'))).toMatchObject({ ok: true, lastSeq: 4 });

    const whole = await send(api.read('happy-1'));
    expect(whole.body.events).toHaveLength(4);
    expect(whole.body).not.toHaveProperty('nextAfterSeq');

    const verified = await send(api.verify('happy-1'));
    expect(verified).toMatchObject({ statusCode: 200, body: { valid: true, events: 4 } });

    const deleted = await send(api.delete('happy-1'));
    // The header, the four events and the two turns' request markers.
    expect(deleted).toMatchObject({ statusCode: 200, body: { sessionId: 'happy-1', deletedItems: 7 } });

    const gone = await send(api.read('happy-1'));
    expect(gone).toMatchObject({ statusCode: 404, body: { error: { code: 'SessionNotFound' } } });
    expect(await harness.snapshot()).not.toContain('happy-1');
  });

  test('a create without a body gets a generated id and the deployment budget; a smaller budget may be asked for, a larger not', async () => {
    const send = harness.handlerWith(ScriptedModel.answering());
    const generated = await send(api.create());
    expect(generated.statusCode).toBe(201);
    expect(generated.body.session.sessionId).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
    expect(generated.body.session.budget).toEqual({ maxTokens: 1_000_000 });

    const smaller = await send(api.create({ sessionId: nextId('small'), maxTokens: 5_000 }));
    expect(smaller.body.session.budget).toEqual({ maxTokens: 5_000 });

    const larger = await send(api.create({ sessionId: nextId('large'), maxTokens: 1_000_001 }));
    expect(larger).toMatchObject({ statusCode: 400, body: { error: { code: 'ValidationError' } } });
    expect(larger.body.error.details.issues).toEqual([
      { path: 'body.maxTokens', message: "may not exceed this deployment's session budget of 1000000 tokens" },
    ]);
  });

  test('a retried turn (same requestId) returns the stored result and writes nothing', async () => {
    const send = harness.handlerWith(ScriptedModel.answering(reply('only once')));
    const sessionId = nextId('retry');
    await send(api.create({ sessionId }));
    const first = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Hi' }));
    const before = await harness.snapshot();

    const again = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Hi' }));

    expect(again.statusCode).toBe(200);
    expect(again.body).toEqual({ ...first.body, replayed: true });
    expect(await harness.snapshot()).toBe(before);
  });
});

describe('session API: tenant isolation', () => {
  test("another tenant's caller gets 404 on every route of a session it does not own, and nothing is written", async () => {
    const alice = harness.handlerWith(ScriptedModel.echoing());
    const sessionId = nextId('isolated');
    await alice(api.create({ sessionId }));
    await alice(api.turn(sessionId, { requestId: 'r-1', message: 'tenant A secret' }));
    const before = await harness.snapshot();
    const model = ScriptedModel.answering();
    const bob = harness.handlerWith(model);

    const responses = [
      await bob(api.read(sessionId, undefined, BOB)),
      await bob(api.turn(sessionId, { requestId: 'r-2', message: 'let me in' }, BOB)),
      await bob(api.verify(sessionId, BOB)),
      await bob(api.delete(sessionId, BOB)),
    ];

    // 404, not 403: another tenant cannot even learn that the session id exists.
    for (const response of responses) {
      expect(response).toMatchObject({ statusCode: 404, body: { error: { code: 'SessionNotFound' } } });
      expect(JSON.stringify(response.body)).not.toContain('tenant A secret');
      expect(JSON.stringify(response.body)).not.toContain('agency-a');
    }
    expect(model.prompts).toHaveLength(0);
    expect(await harness.snapshot()).toBe(before);
    expect((await alice(api.read(sessionId))).body.events).toHaveLength(2);
  });

  test('within a tenant, another principal may read and verify but not send turns or delete (403)', async () => {
    const alice = harness.handlerWith(ScriptedModel.echoing());
    const sessionId = nextId('shared');
    await alice(api.create({ sessionId }));
    await alice(api.turn(sessionId, { requestId: 'r-1', message: 'hello' }));
    const before = await harness.snapshot();
    const alvin = harness.handlerWith(ScriptedModel.answering());

    expect((await alvin(api.read(sessionId, undefined, ALVIN))).statusCode).toBe(200);
    expect((await alvin(api.verify(sessionId, ALVIN))).body).toEqual({ valid: true, events: 2 });
    expect(await alvin(api.turn(sessionId, { requestId: 'r-2', message: 'mine now' }, ALVIN))).toMatchObject({
      statusCode: 403,
      body: { error: { code: 'Forbidden' } },
    });
    expect(await alvin(api.delete(sessionId, ALVIN))).toMatchObject({ statusCode: 403, body: { error: { code: 'Forbidden' } } });
    expect(await harness.snapshot()).toBe(before);
  });

  test('the same session id in two tenants is two sessions', async () => {
    const send = harness.handlerWith(ScriptedModel.echoing());
    const sessionId = nextId('same-id');
    expect((await send(api.create({ sessionId }, ALICE))).statusCode).toBe(201);
    expect((await send(api.create({ sessionId }, BOB))).statusCode).toBe(201);
    await send(api.turn(sessionId, { requestId: 'r-1', message: 'from bob' }, BOB));
    expect((await send(api.read(sessionId, undefined, ALICE))).body.events).toEqual([]);
    expect((await send(api.read(sessionId, undefined, BOB))).body.events).toHaveLength(2);
  });
});

describe('session API: budgets and model failures', () => {
  test('a session created with a tiny budget refuses the turn with 429, and nothing is written', async () => {
    const model = ScriptedModel.answering(reply('never'));
    const send = harness.handlerWith(model);
    const sessionId = nextId('tiny');
    await send(api.create({ sessionId, maxTokens: 3 }));
    const before = await harness.snapshot();

    const refused = await send(api.turn(sessionId, { requestId: 'r-1', message: 'a prompt longer than three tokens' }));

    expect(refused).toMatchObject({
      statusCode: 429,
      body: { error: { code: 'BudgetExceeded', details: { usedTokens: 0, maxTokens: 3 } } },
    });
    expect(model.prompts).toHaveLength(0);
    expect(await harness.snapshot()).toBe(before);
  });

  test('a model failure is a 502 with a safe message, and nothing is written', async () => {
    const send = harness.handlerWith(
      ScriptedModel.answering(new Error('container said: SECRET-PROMPT-TEXT'), new ModelError('InvokeEndpoint failed: ModelError, HTTP 424')),
    );
    const sessionId = nextId('model-down');
    await send(api.create({ sessionId }));
    const before = await harness.snapshot();

    for (const requestId of ['r-1', 'r-2']) {
      const failed = await send(api.turn(sessionId, { requestId, message: 'SECRET-PROMPT-TEXT' }));
      expect(failed).toMatchObject({ statusCode: 502, body: { error: { code: 'ModelError', message: MODEL_ERROR_MESSAGE } } });
      expect(JSON.stringify(failed.body)).not.toContain('SECRET');
    }
    expect(await harness.snapshot()).toBe(before);
  });
});

describe('session API: concurrency', () => {
  const PARALLEL = 8;

  test(`${PARALLEL} parallel turns on one session: winners 200, losers 409 SessionBusy with currentVersion, no lost or duplicated events`, async () => {
    const send = harness.handlerWith(ScriptedModel.echoing());
    const sessionId = nextId('contended');
    await send(api.create({ sessionId }));

    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => send(api.turn(sessionId, { requestId: `r-${i}`, message: `client ${i}` }))),
    );

    const winners = responses.filter((response) => response.statusCode === 200);
    const losers = responses.filter((response) => response.statusCode !== 200);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    expect(winners.length + losers.length).toBe(PARALLEL);
    for (const loser of losers) {
      expect(loser).toMatchObject({ statusCode: 409, body: { error: { code: 'SessionBusy' } } });
      expect(loser.body.error.details.currentVersion).toBeGreaterThan(loser.body.error.details.seenVersion);
    }
    expect(winners.map((winner) => winner.body.version).sort((a, b) => a - b)).toEqual(Array.from({ length: winners.length }, (_, i) => i + 1));

    const read = await send(api.read(sessionId));
    const events = read.body.events as { seq: number; type: string; content: string }[];
    expect(read.body.session).toMatchObject({ version: winners.length, lastSeq: 2 * winners.length });
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 2 * winners.length }, (_, i) => i + 1));
    // Every winner's message is there exactly once, right before its reply; no loser's message is there at all.
    for (const winner of winners) {
      const message = `client ${winner.body.requestId.slice(2)}`;
      const at = events.findIndex((event) => event.type === 'user' && event.content === message);
      expect(events.filter((event) => event.content === message)).toHaveLength(1);
      expect(events[at + 1]).toMatchObject({ type: 'assistant', content: `echo: ${message}` });
    }
    expect(events.filter((event) => event.type === 'user')).toHaveLength(winners.length);
    expect((await send(api.verify(sessionId))).body).toEqual({ valid: true, events: 2 * winners.length });
  });
});

describe('session API: telemetry', () => {
  /** Runs `act` with stdout and stderr captured: Powertools writes its JSON log lines there (warnings and errors to stderr). */
  async function captureOutput(act: () => Promise<void>): Promise<string> {
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
    try {
      await act();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    return lines.join('');
  }

  async function turnWithLogs(logContent: boolean): Promise<string> {
    const { metrics } = quietTelemetry();
    const logger = new Logger({ serviceName: 'orchestrator-test', logLevel: 'DEBUG' });
    const send = harness.handlerWith(
      ScriptedModel.answering(reply('REPLY-CANARY', [], { input: 12, output: 7 }), new Error('PROMPT-CANARY echoed by a broken backend')),
      { logger, metrics, logContent },
    );
    const sessionId = nextId('logged');
    return captureOutput(async () => {
      await send(api.create({ sessionId }));
      await send(api.turn(sessionId, { requestId: 'r-1', message: 'PROMPT-CANARY' }));
      await send(api.turn(sessionId, { requestId: 'r-2', message: 'PROMPT-CANARY again' }));
    });
  }

  test('by default no prompt or model output reaches the log, even when the model fails quoting it', async () => {
    const output = await turnWithLogs(false);
    expect(output).toContain('request completed');
    expect(output).toContain('model call failed');
    expect(output).not.toContain('PROMPT-CANARY');
    expect(output).not.toContain('REPLY-CANARY');
  });

  test('LOG_CONTENT=true logs the prompt and the reply', async () => {
    const output = await turnWithLogs(true);
    expect(output).toContain('PROMPT-CANARY');
    expect(output).toContain('REPLY-CANARY');
  });

  test('turns count TurnsCompleted, TokensIn/Out, TurnConflicts and ModelErrors', async () => {
    const { logger, metrics } = quietTelemetry();
    const added: [string, number][] = [];
    jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      added.push([name, value]);
      return metrics;
    });
    const send = harness.handlerWith(
      ScriptedModel.answering(reply('ok', [], { input: 12, output: 7 }), new Error('down'), reply('a'), reply('b')),
      { logger, metrics },
    );
    const sessionId = nextId('metered');
    await send(api.create({ sessionId }));
    await send(api.turn(sessionId, { requestId: 'r-1', message: 'one' }));
    await send(api.turn(sessionId, { requestId: 'r-2', message: 'two' }));
    // Two turns sent at once: both read version 1, so (on moto's one-at-a-time client) the second to write loses.
    await Promise.all([
      send(api.turn(sessionId, { requestId: 'r-3', message: 'three' })),
      send(api.turn(sessionId, { requestId: 'r-4', message: 'four' })),
    ]);

    const count = (metric: string) => added.filter(([name]) => name === metric).length;
    expect(added).toEqual(expect.arrayContaining([['TurnsCompleted', 1], ['TokensIn', 12], ['TokensOut', 7], ['ModelErrors', 1]]));
    expect(count('ModelErrors')).toBe(1);
    expect(count('TurnConflicts')).toBeGreaterThanOrEqual(1);
    expect(count('TurnsCompleted') + count('TurnConflicts')).toBe(3);
  });
});

describe('session API: verify', () => {
  async function sessionWithTurns(turns: number): Promise<string> {
    const send = harness.handlerWith(ScriptedModel.echoing());
    const sessionId = nextId('audited');
    await send(api.create({ sessionId }));
    for (let i = 1; i <= turns; i++) await send(api.turn(sessionId, { requestId: `r-${i}`, message: `m${i}` }));
    return sessionId;
  }

  const key = (sessionId: string, seq: number) => ({ pk: { S: sessionPk('agency-a', sessionId) }, sk: { S: eventSk(seq) } });

  test('verification pages through the log, each page anchored on the last: a gap at a page boundary is found', async () => {
    const sessionId = await sessionWithTurns(4);
    const { repository, dynamodb, tableName } = harness.store;
    const header = async () => (await repository.load('agency-a', sessionId, 0)).header;
    // Pages of 3 over 8 events: 1-3, 4-6, 7-8.
    expect(await verifySession(repository, 'agency-a', sessionId, await header(), 3)).toEqual({ valid: true, events: 8 });

    await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: key(sessionId, 4) }));
    expect(await verifySession(repository, 'agency-a', sessionId, await header(), 3)).toEqual({
      valid: false,
      events: 3,
      brokenAtSeq: 5,
      reason: 'seq_gap',
    });
  });

  test('a changed, removed or truncated event is found, with the seq where the chain breaks', async () => {
    const send = harness.handlerWith(ScriptedModel.answering());
    const { dynamodb, tableName } = harness.store;

    const changed = await sessionWithTurns(2);
    await dynamodb.send(
      new UpdateItemCommand({ TableName: tableName, Key: key(changed, 2), UpdateExpression: 'SET content = :c', ExpressionAttributeValues: { ':c': { S: 'rewritten' } } }),
    );
    expect((await send(api.verify(changed))).body).toEqual({ valid: false, events: 1, brokenAtSeq: 2, reason: 'hash_mismatch' });

    const removed = await sessionWithTurns(2);
    await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: key(removed, 2) }));
    expect((await send(api.verify(removed))).body).toEqual({ valid: false, events: 1, brokenAtSeq: 3, reason: 'seq_gap' });

    const truncated = await sessionWithTurns(2);
    await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: key(truncated, 4) }));
    expect((await send(api.verify(truncated))).body).toEqual({ valid: false, events: 3, brokenAtSeq: 4, reason: 'header_mismatch' });
  });
});

describe('session API: tool calls and server faults', () => {
  test('a tool call the deployment does not offer is not run: the model is told, answers, and the session stays idle', async () => {
    // No tools are configured here (tool-turns.test.ts covers them): the call is refused as not_allowed, not left pending.
    const model = ScriptedModel.answering(
      reply('Let me look that up.', [{ id: 'call-1', name: 'lookup_case', input: { caseId: 12 } }]),
      reply('I cannot look cases up here.'),
    );
    const send = harness.handlerWith(model);
    const sessionId = nextId('tooling');
    await send(api.create({ sessionId }));

    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'status of case 12?' }));

    expect(turn).toMatchObject({
      statusCode: 200,
      body: { status: 'idle', reply: 'I cannot look cases up here.', toolCalls: [{ id: 'call-1', name: 'lookup_case', input: { caseId: 12 } }] },
    });
    const events = (await send(api.read(sessionId))).body.events;
    expect(events.map((event: { type: string }) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result', 'assistant']);
    expect(JSON.parse(events[3].content)).toEqual({ ok: false, error: 'not_allowed', message: 'tool "lookup_case" is not available in this session' });
    expect(model.toolLists[0]).toBeUndefined();
    expect((await send(api.read(sessionId))).body.session).toMatchObject({ status: 'idle', lastSeq: 5 });
  });

  test('an unexpected failure is a 500 with a reference and nothing about its cause; the log has the stack', async () => {
    const { metrics } = quietTelemetry();
    const logged: string[] = [];
    const logger = new Logger({ serviceName: 'orchestrator-test', logLevel: 'ERROR' });
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    // A real fault of the real store: the function pointed at a table that does not exist.
    const misconfigured = new DynamoDbSessionRepository({ client: harness.store.dynamodb, tableName: 'no-such-table', payloads: harness.store.payloads });
    const send = harness.handlerWith(ScriptedModel.answering(), { sessions: misconfigured, logger, metrics });
    const event = api.read('any-session');

    let response;
    try {
      response = await send(event);
    } finally {
      spy.mockRestore();
    }

    expect(response).toMatchObject({ statusCode: 500, body: { error: { code: 'InternalError' } } });
    expect(response.body.error.message).toBe(`internal error; quote reference ${event.requestContext.requestId} when reporting it`);
    expect(JSON.stringify(response.body)).not.toContain('no-such-table');
    const line = JSON.parse(logged.join('').trim().split('\n').pop() ?? '{}');
    expect(line).toMatchObject({ level: 'ERROR', message: 'request failed', apiRequestId: event.requestContext.requestId, statusCode: 500 });
    expect(line.error.name).toBe('ResourceNotFoundException');
    expect(line.error.stack).toEqual(expect.any(String));
  });
});

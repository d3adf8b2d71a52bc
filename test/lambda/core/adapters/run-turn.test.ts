import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { createSession } from '../../../../lambda/core/domain/create-session';
import {
  BudgetExceededError,
  ForbiddenError,
  ModelError,
  ValidationError,
} from '../../../../lambda/core/domain/errors';
import { genesisHash, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import { runTurn, type TurnDeps } from '../../../../lambda/core/domain/run-turn';
import type { TurnRequest } from '../../../../lambda/core/domain/turn-request';
import { reply, ScriptedModel } from '../support/scripted-model';
import { soleAgent } from '../support/agents';
import { startMotoSessions, type MotoSessions } from '../support/moto-sessions';

/** runTurn end to end on the real DynamoDB and S3 adapters (moto); only the model is scripted. */
let store: MotoSessions;
let sessionSerial = 0;

beforeAll(async () => {
  store = await startMotoSessions();
});

afterAll(async () => {
  await store?.stop();
});

async function newSession(maxTokens = 100_000): Promise<{ tenant: string; session: string }> {
  const ids = { tenant: 'agency-a', session: `s-${++sessionSerial}` };
  await createSession({ sessions: store.repository, clock: systemClock, agents: soleAgent(ScriptedModel.answering()).agents }, { ...ids, owner: 'alice', maxTokens });
  return ids;
}

function deps(model: ScriptedModel, limits?: TurnDeps['limits']): TurnDeps {
  return { sessions: store.repository, ...soleAgent(model), clock: systemClock, limits };
}

function turn(ids: { tenant: string; session: string }, requestId: string, message: string): TurnRequest {
  return { ...ids, requestId, actor: 'alice', message };
}

describe('runTurn on DynamoDB and S3', () => {
  test('a turn round-trips: the reply comes back and the session holds a verified chain', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('Hello, Alice.', [], { input: 40, output: 6 }));

    const result = await runTurn(deps(model), turn(ids, 'r-1', 'Hello'));

    expect(result).toEqual({
      requestId: 'r-1',
      version: 1,
      turnSeq: 1,
      lastSeq: 2,
      reply: 'Hello, Alice.',
      toolCalls: [],
      status: 'idle',
      usage: { input: 40, output: 6 },
      replayed: false,
    });
    expect(model.prompts).toEqual([[{ role: 'user', content: 'Hello' }]]);
    const { header, events } = await store.repository.load(ids.tenant, ids.session, 10, { resolvePayloads: true });
    expect(header).toMatchObject({ version: 1, lastSeq: 2, status: 'idle', tokens: { input: 40, output: 6 } });
    expect(events.map((event) => [event.seq, event.type, event.content])).toEqual([
      [2, 'assistant', 'Hello, Alice.'],
      [1, 'user', 'Hello'],
    ]);
    expect(verifyChain([...events].reverse(), genesisHash(ids.tenant, ids.session))).toEqual({
      ok: true,
      lastSeq: 2,
      lastHash: header.lastHash,
    });
  });

  test('the model sees earlier turns of the session', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('first answer'), reply('second answer'));
    await runTurn(deps(model), turn(ids, 'r-1', 'first question'));
    await runTurn(deps(model), turn(ids, 'r-2', 'second question'));

    expect(model.prompts[1]).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'second question' },
    ]);
  });

  test('every turn costs one Query and one TransactWriteItems, however long the session', async () => {
    const ids = await newSession();
    const model = ScriptedModel.echoing();
    for (let i = 1; i <= 8; i++) {
      store.calls.reset();
      await runTurn(deps(model, { contextEvents: 4 }), turn(ids, `r-${i}`, `message ${i}`));
      expect(store.calls.counts).toEqual({ Query: 1, TransactWriteItems: 1 });
    }
  });

  test('a retried requestId returns the stored result, calls no model and writes nothing', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('only once', [], { input: 7, output: 2 }));
    const first = await runTurn(deps(model), turn(ids, 'r-1', 'do it'));
    const itemsBefore = await store.countItems();

    store.calls.reset();
    const retried = await runTurn(deps(model), turn(ids, 'r-1', 'do it'));

    expect(retried).toEqual({ ...first, replayed: true });
    expect(model.prompts).toHaveLength(1);
    expect(store.calls.counts).toEqual({ Query: 1 });
    expect(await store.countItems()).toBe(itemsBefore);
  });

  test('a retry of a turn older than the loaded window reads its events back, still writing nothing', async () => {
    const ids = await newSession();
    const model = ScriptedModel.echoing();
    const limits = { contextEvents: 2 };
    const first = await runTurn(deps(model, limits), turn(ids, 'r-1', 'early'));
    for (let i = 2; i <= 4; i++) await runTurn(deps(model, limits), turn(ids, `r-${i}`, `later ${i}`));
    const itemsBefore = await store.countItems();

    store.calls.reset();
    const retried = await runTurn(deps(model, limits), turn(ids, 'r-1', 'early'));

    expect(retried).toEqual({ ...first, replayed: true });
    expect(store.calls.counts).toEqual({ Query: 2 });
    expect(await store.countItems()).toBe(itemsBefore);
  });

  test('a requestId reused for a different message is refused', async () => {
    const ids = await newSession();
    await runTurn(deps(ScriptedModel.echoing()), turn(ids, 'r-1', 'one thing'));
    await expect(runTurn(deps(ScriptedModel.echoing()), turn(ids, 'r-1', 'another thing'))).rejects.toThrow(ValidationError);
  });

  test('a model that throws is a ModelError and writes nothing', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('fine'), new Error('endpoint returned 500'));
    await runTurn(deps(model), turn(ids, 'r-1', 'first'));
    const itemsBefore = await store.countItems();

    store.calls.reset();
    const failure = runTurn(deps(model), turn(ids, 'r-2', 'second'));

    await expect(failure).rejects.toThrow(ModelError);
    await expect(failure).rejects.toMatchObject({ httpStatus: 502, cause: new Error('endpoint returned 500') });
    expect(store.calls.counts).toEqual({ Query: 1 });
    expect(await store.countItems()).toBe(itemsBefore);
    const { header } = await store.repository.load(ids.tenant, ids.session, 0);
    expect(header.version).toBe(1);
  });

  test('a turn the budget cannot pay for is refused before the model is called', async () => {
    const ids = await newSession(60);
    const model = ScriptedModel.answering(reply('spent', [], { input: 50, output: 5 }));
    await runTurn(deps(model), turn(ids, 'r-1', 'hi'));
    const itemsBefore = await store.countItems();

    await expect(runTurn(deps(model), turn(ids, 'r-2', 'a question worth more than five tokens'))).rejects.toThrow(
      BudgetExceededError,
    );
    expect(model.prompts).toHaveLength(1);
    expect(await store.countItems()).toBe(itemsBefore);
  });

  test('a tool call without tools configured is refused as a tool result; the model answers and its retry replays the whole turn', async () => {
    const ids = await newSession();
    const call = { id: 'call-1', name: 'search_records', input: { query: 'FY25 budget' } };
    const model = ScriptedModel.answering(reply('Let me look that up.', [call]), reply('I have no search tool here.'));
    const first = await runTurn(deps(model), turn(ids, 'r-1', 'What was the FY25 budget?'));

    expect(first).toMatchObject({ status: 'idle', toolCalls: [call], lastSeq: 5, reply: 'I have no search tool here.', usage: { input: 20, output: 10 } });
    expect(model.prompts[1].at(-1)).toEqual({
      role: 'tool',
      toolCallId: 'call-1',
      content: '{"error":"not_allowed","message":"tool \\"search_records\\" is not available in this session","ok":false}',
    });
    await expect(runTurn(deps(model), turn(ids, 'r-1', 'What was the FY25 budget?'))).resolves.toEqual({ ...first, replayed: true });
    await expect(runTurn(deps(ScriptedModel.echoing()), turn(ids, 'r-2', 'hello?'))).resolves.toMatchObject({ status: 'idle' });
  });

  test('only the owner may take turns or read stored results', async () => {
    const ids = await newSession();
    await runTurn(deps(ScriptedModel.echoing()), turn(ids, 'r-1', 'mine'));
    const intruder = { ...turn(ids, 'r-1', 'mine'), actor: 'mallory' };
    await expect(runTurn(deps(ScriptedModel.echoing()), intruder)).rejects.toThrow(ForbiddenError);
  });

  test('a turn on a session that does not exist is SessionNotFound (404)', async () => {
    await expect(
      runTurn(deps(ScriptedModel.echoing()), turn({ tenant: 'agency-a', session: 'never-created' }, 'r-1', 'hi')),
    ).rejects.toMatchObject({ httpStatus: 404, code: 'SessionNotFound' });
  });

  test('a message above the payload threshold is stored in S3 and comes back whole', async () => {
    const ids = await newSession(1_000_000);
    const message = 'The record reads: ' + 'r'.repeat(100 * 1024);
    const model = ScriptedModel.echoing();
    // Above the default message limit too: a deployment may accept larger messages than it keeps inline.
    await runTurn(deps(model, { contextTokens: 100_000, maxMessageBytes: 128 * 1024 }), turn(ids, 'r-1', message));

    const stored = await store.repository.load(ids.tenant, ids.session, 2);
    expect(stored.events[1]).toMatchObject({ type: 'user', s3Ref: expect.stringMatching(/^agency-a\//) });
    expect(stored.events[1].content).toBeUndefined();
    const resolved = await store.repository.load(ids.tenant, ids.session, 2, { resolvePayloads: true });
    expect(resolved.events[1].content).toBe(message);
    expect(resolved.events[0].content).toBe(`echo: ${message}`);
  });
});

import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { createSession } from '../../../../lambda/core/domain/create-session';
import { runTurn, type TurnDeps } from '../../../../lambda/core/domain/run-turn';
import type { TurnRequest } from '../../../../lambda/core/domain/turn-request';
import { reply, ScriptedModel } from '../support/scripted-model';
import { startMotoSessions, type MotoSessions } from '../support/moto-sessions';

/**
 * Idempotency for the session's whole life: a request's marker item, written
 * in its turn's transaction, answers a retry however many turns came after it.
 * Real DynamoDB and S3 adapters on moto; only the model is scripted.
 */
let store: MotoSessions;
let sessionSerial = 0;

beforeAll(async () => {
  store = await startMotoSessions();
});

afterAll(async () => {
  await store?.stop();
});

async function newSession(): Promise<{ tenant: string; session: string }> {
  const ids = { tenant: 'agency-i', session: `s-${++sessionSerial}` };
  await createSession({ sessions: store.repository, clock: systemClock }, { ...ids, owner: 'alice', maxTokens: 10_000_000 });
  return ids;
}

/** A small context window keeps moto's per-turn work flat over a long session. */
function deps(model: ScriptedModel): TurnDeps {
  return { sessions: store.repository, model, clock: systemClock, limits: { contextEvents: 4 } };
}

function turn(ids: { tenant: string; session: string }, requestId: string, message: string): TurnRequest {
  return { ...ids, requestId, actor: 'alice', message };
}

describe('a request id is answered for the life of the session', () => {
  test('a turn retried 100 turns later returns its stored result (replayed), writes nothing and leaves the version alone', async () => {
    const ids = await newSession();
    const first = await runTurn(deps(ScriptedModel.answering(reply('the first answer'))), turn(ids, 'r-0', 'the first question'));
    const later = ScriptedModel.echoing();
    for (let i = 1; i <= 100; i++) await runTurn(deps(later), turn(ids, `r-${i}`, `question ${i}`));
    const itemsBefore = await store.countItems();
    const { header: before } = await store.repository.load(ids.tenant, ids.session, 0);

    // The model may run again (the header remembers only recent requests); its answer is never stored.
    const retried = await runTurn(deps(ScriptedModel.answering(reply('a second, different answer'))), turn(ids, 'r-0', 'the first question'));

    expect(retried).toEqual({ ...first, replayed: true });
    expect(retried.reply).toBe('the first answer');
    expect(await store.countItems()).toBe(itemsBefore);
    const { header: after } = await store.repository.load(ids.tenant, ids.session, 0);
    expect(after.version).toBe(before.version);
    expect(after.lastSeq).toBe(before.lastSeq);
  });
});

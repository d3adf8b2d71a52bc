import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { createSession } from '../../../../lambda/core/domain/create-session';
import { genesisHash, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import { runTurn } from '../../../../lambda/core/domain/run-turn';
import { reply, ScriptedModel } from '../support/scripted-model';
import { soleAgent } from '../support/agents';
import { startMotoSessions, type MotoSessions } from '../support/moto-sessions';

/**
 * A Lambda killed mid-turn leaves no partial turn: the process running the
 * turn is SIGKILLed at each phase; afterwards the session holds either the
 * whole turn or none of it, and a retry with the same requestId completes it
 * exactly once.
 */
const CHILD = path.join(__dirname, '..', 'support', 'turn-child.ts');
const TS_NODE = path.join(__dirname, '..', '..', '..', '..', 'node_modules', '.bin', 'ts-node');

let store: MotoSessions;
beforeAll(async () => {
  store = await startMotoSessions();
});
afterAll(async () => {
  await store?.stop();
});

/** Runs one turn in a child and kills it when it prints `phase`; resolves with what it printed. */
function turnKilledAt(session: string, requestId: string, phase: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      TS_NODE,
      ['--transpile-only', CHILD, store.moto.endpoint, store.tableName, store.bucket, 'agency-k', session, requestId],
      { env: { ...process.env, MODEL_DELAY_MS: '2000' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(phase)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', () => resolve(out));
  });
}

test.each(['LOADED', 'MODEL', 'COMMIT', 'DONE'])('killed at %s: all of the turn or none of it, and a retry completes it once', async (phase) => {
  // GIVEN a session with one committed turn
  const session = `killed-${phase.toLowerCase()}`;
  await createSession({ sessions: store.repository, clock: systemClock, agents: soleAgent(ScriptedModel.echoing()).agents }, { tenant: 'agency-k', session, owner: 'alice', maxTokens: 100_000 });
  await runTurn(
    { sessions: store.repository, clock: systemClock, ...soleAgent(ScriptedModel.answering(reply('first'))) },
    { tenant: 'agency-k', session, requestId: 'r-1', actor: 'alice', message: 'first' },
  );

  // WHEN the next turn's process is killed at `phase`
  const printed = await turnKilledAt(session, 'r-2', phase);
  expect(printed.split('\n')).toContain(phase);

  // THEN the session holds the first turn, and the second turn entirely or not at all
  const after = await store.repository.load('agency-k', session, 10);
  // Before the write nothing is visible; after it returned all of it; during it, one or the other.
  const expected = { LOADED: [1], MODEL: [1], COMMIT: [1, 2], DONE: [2] }[phase]!;
  expect(expected).toContain(after.header.version);
  expect(after.header.lastSeq).toBe(after.header.version * 2);
  expect(after.events).toHaveLength(after.header.version * 2);

  // AND a retry of the same request completes it exactly once
  const retry = await runTurn(
    { sessions: store.repository, clock: systemClock, ...soleAgent(ScriptedModel.echoing()) },
    { tenant: 'agency-k', session, requestId: 'r-2', actor: 'alice', message: 'hello' },
  );
  expect(retry.version).toBe(2);
  expect(retry.replayed).toBe(after.header.version === 2);
  const final = await store.repository.readEvents('agency-k', session, { limit: 100 });
  expect(final.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  expect(verifyChain(final.events, genesisHash('agency-k', session))).toMatchObject({ ok: true, lastSeq: 4 });
});

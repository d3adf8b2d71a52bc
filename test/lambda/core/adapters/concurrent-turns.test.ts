import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { createSession } from '../../../../lambda/core/domain/create-session';
import { SessionBusyError } from '../../../../lambda/core/domain/errors';
import { genesisHash, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import { runTurn, type TurnDeps } from '../../../../lambda/core/domain/run-turn';
import type { TurnResult } from '../../../../lambda/core/domain/turn-result';
import { ScriptedModel } from '../support/scripted-model';
import { soleAgent } from '../support/agents';
import { startMotoSessions, type MotoSessions } from '../support/moto-sessions';

/** Optimistic concurrency on the real conditional transaction: turns on one session never interleave. */
// Sixteen clients contend for sixteen versions: about 136 attempts in all (each round of contention has one winner), every one a real conditional commit.
const CLIENTS = 16;
const BACKOFF_MS = 25;
const tenant = 'agency-a';
const session = 'contended';
let store: MotoSessions;

beforeAll(async () => {
  store = await startMotoSessions();
  await createSession({ sessions: store.repository, clock: systemClock, agents: soleAgent(ScriptedModel.echoing()).agents }, { tenant, session, owner: 'alice', maxTokens: 10_000_000 });
});

afterAll(async () => {
  await store?.stop();
});

test(`${CLIENTS} concurrent turns on one session: one winner per version, every loser SessionBusy, no lost or duplicated events`, async () => {
  const deps: TurnDeps = { sessions: store.repository, ...soleAgent(ScriptedModel.echoing()), clock: systemClock };
  const losses: unknown[] = [];

  // Each client retries its own requestId until it wins, with jittered backoff, as a well-behaved client does on 409.
  async function client(index: number): Promise<TurnResult> {
    const request = { tenant, session, requestId: `r-${index}`, actor: 'alice', message: `message from client ${index}` };
    for (let attempt = 1; ; attempt++) {
      try {
        return await runTurn(deps, request);
      } catch (error) {
        losses.push(error);
        if (!(error instanceof SessionBusyError)) throw error;
        await sleep(Math.random() * BACKOFF_MS * Math.min(attempt, 8));
      }
    }
  }

  const results = await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));

  expect(losses.length).toBeGreaterThan(0);
  for (const loss of losses) {
    expect(loss).toBeInstanceOf(SessionBusyError);
    const busy = loss as SessionBusyError;
    expect(busy.currentVersion).toBeGreaterThan(busy.seenVersion);
  }
  // A retry may find its turn already committed and replay it; each version still has exactly one winner.
  const versions = results.map((result) => result.version).sort((a, b) => a - b);
  expect(versions).toEqual(Array.from({ length: CLIENTS }, (_, i) => i + 1));

  const { header } = await store.repository.load(tenant, session, 0);
  expect(header).toMatchObject({ version: CLIENTS, lastSeq: 2 * CLIENTS });
  const { events, nextAfterSeq } = await store.repository.readEvents(tenant, session, {
    limit: 1000,
    resolvePayloads: true,
  });
  expect(nextAfterSeq).toBeUndefined();
  expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 2 * CLIENTS }, (_, i) => i + 1));
  for (let index = 0; index < CLIENTS; index++) {
    const message = `message from client ${index}`;
    expect(events.filter((event) => event.type === 'user' && event.content === message)).toHaveLength(1);
    expect(events.filter((event) => event.type === 'assistant' && event.content === `echo: ${message}`)).toHaveLength(1);
  }
  // Each turn's two events are adjacent: turns never interleave.
  for (let i = 0; i < events.length; i += 2) {
    expect(events[i + 1].content).toBe(`echo: ${events[i].content}`);
  }
  expect(verifyChain(events, genesisHash(tenant, session))).toEqual({ ok: true, lastSeq: 2 * CLIENTS, lastHash: header.lastHash });
});

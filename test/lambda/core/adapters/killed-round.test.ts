import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { RoundOutcome } from '../../../../lib/contract/agent-loop';
import { StepFunctionsAgentLoop } from '../../../../lambda/core/adapters/step-functions/agent-loop-starter';
import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { enqueueTurn, runRound, type BackgroundDeps } from '../../../../lambda/core/domain/background-turn';
import { createSession } from '../../../../lambda/core/domain/create-session';
import { genesisHash, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import type { SessionEvent } from '../../../../lambda/core/domain/session-event';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../../helpers/local-stepfunctions';
import { soleAgent } from '../support/agents';
import { startMotoSessions, type MotoSessions } from '../support/moto-sessions';
import { ROUND_BACKGROUND, ROUND_PHASES, threeRoundReply, WAITING_PHASES, type RoundPhase } from '../support/round-child';
import { ScriptedModel } from '../support/scripted-model';
import { stateMachineArn } from '../support/tool-workflows';

/**
 * A round function killed mid-round leaves no partial round, and the loop's
 * Retry of that round (the same `event.round`) does it exactly once: the
 * process running one round of a three-round background turn is SIGKILLed
 * at each phase; the retry asks the model again only when the kill came
 * before the commit landed, and the turn then ends with one copy of every
 * round. Real adapters against moto and the local Step Functions endpoint;
 * the model is the only double, and this test plays the loop.
 */
const CHILD = path.join(__dirname, '..', 'support', 'round-child.ts');
const TS_NODE = path.join(__dirname, '..', '..', '..', '..', 'node_modules', '.bin', 'ts-node');
const TENANT = 'agency-k';
const LOOP = stateMachineArn('agent-loop-played-by-the-test');
const ROUNDS = 3;

let store: MotoSessions;
let sfn: LocalStepFunctions;
let client: SFNClient;
/** The turn's events when no round is killed: what every killed run must end with. */
let unkilled: readonly EventFacts[];

beforeAll(async () => {
  store = await startMotoSessions();
  sfn = await startLocalStepFunctions();
  client = new SFNClient(sfn.clientConfig());
  // The loop's execution only has to start; the test runs its rounds.
  sfn.register(LOOP, { StartAt: 'PlayedByTheTest', States: { PlayedByTheTest: { Type: 'Succeed' } } }, {});
  const model = ScriptedModel.responding(threeRoundReply);
  await enqueued('unkilled', model);
  await playFrom('unkilled', model, 0);
  unkilled = factsOf(await eventsOf('unkilled'));
});

afterAll(async () => {
  client?.destroy();
  await sfn?.stop();
  await store?.stop();
});

function depsOf(model: ScriptedModel): BackgroundDeps {
  return {
    sessions: store.repository,
    clock: systemClock,
    ...soleAgent(model),
    loop: new StepFunctionsAgentLoop({ client, stateMachineArn: LOOP }),
    background: ROUND_BACKGROUND,
  };
}

/** A new session with a background turn enqueued: its user event committed and its loop started. */
async function enqueued(session: string, model: ScriptedModel): Promise<void> {
  const deps = depsOf(model);
  await createSession(deps, { tenant: TENANT, session, owner: 'alice', maxTokens: 100_000 });
  await enqueueTurn(deps, { tenant: TENANT, session, requestId: 'r-1', actor: 'alice', message: 'When is the response due?' });
}

const roundOf = (session: string, round: number) => ({ kind: 'statehouse.round' as const, tenant: TENANT, session, requestId: 'r-1', round });

/** Plays the loop from `round`: a Round per `continue`, until `done`. */
async function playFrom(session: string, model: ScriptedModel, round: number): Promise<RoundOutcome> {
  let outcome = await runRound(depsOf(model), roundOf(session, round));
  while (outcome.status === 'continue') outcome = await runRound(depsOf(model), roundOf(session, outcome.round));
  return outcome;
}

async function eventsOf(session: string) {
  return (await store.repository.readEvents(TENANT, session, { limit: 100, resolvePayloads: true })).events;
}

type EventFacts = Pick<SessionEvent, 'seq' | 'type' | 'content' | 'actor' | 'toolCallId'>;
/** What a copy of the turn must repeat exactly (times and hashes differ from run to run). */
const factsOf = (events: readonly SessionEvent[]): EventFacts[] =>
  events.map(({ seq, type, content, actor, toolCallId }) => ({ seq, type, content, actor, toolCallId }));

/** Runs the round in a child, answering each phase it waits at, and SIGKILLs it at `phase`; resolves with the phases it announced. */
function roundKilledAt(session: string, round: number, phase: RoundPhase): Promise<{ phases: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const args = [store.moto.endpoint, store.tableName, store.bucket, sfn.endpoint, LOOP, TENANT, session, 'r-1', String(round)];
    const child = spawn(TS_NODE, ['--transpile-only', CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const phases: string[] = [];
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      phases.push(line);
      if (line === phase) child.kill('SIGKILL');
      else if ((WAITING_PHASES as readonly string[]).includes(line)) child.stdin.write('go\n');
    });
    child.on('error', reject);
    child.stdin.on('error', reject);
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve({ phases, signal }) : reject(new Error(`the child ended without its kill: ${phases.join(' ')} ${errors}`))));
  });
}

// Every phase of a round that continues (round 2, after one committed round) and of the round that ends the turn
// (round 3, which rewrites the marker and frees the session); round 1 takes round 2's path.
const CASES = [2, 3].flatMap((round) => ROUND_PHASES.map((phase) => [round, phase] as const));

test.each(CASES)('round %i of 3 killed at %s: its retry does it once, and the turn ends with one copy of every round', async (round, phase) => {
  // GIVEN a background turn whose earlier rounds committed
  const session = `killed-r${round}-${phase.toLowerCase()}`;
  const model = ScriptedModel.responding(threeRoundReply);
  await enqueued(session, model);
  for (let done = 0; done < round - 1; done++) {
    await expect(runRound(depsOf(model), roundOf(session, done))).resolves.toEqual({ status: 'continue', round: done + 1 });
  }
  const before = await store.repository.load(TENANT, session, 0);
  expect(before.header.activeTurn?.rounds).toBe(round - 1);

  // WHEN the round's process is killed at `phase`
  const killed = await roundKilledAt(session, round - 1, phase);
  expect(killed.phases).toEqual(ROUND_PHASES.slice(0, ROUND_PHASES.indexOf(phase) + 1));

  // THEN the round committed entirely or not at all: before the write nothing, after it all; during it, one or the other
  const after = await store.repository.load(TENANT, session, 0);
  const landed = round < ROUNDS ? after.header.activeTurn?.rounds === round : after.header.activeTurn === undefined;
  if (phase !== 'COMMIT') expect(landed).toBe(phase === 'DONE');
  if (!landed) {
    expect(after.header).toEqual(before.header);
    expect(await eventsOf(session)).toHaveLength(before.header.lastSeq);
  }

  // AND the loop's retry of the same round asks the model only if the commit had not landed
  const asked = model.prompts.length;
  const retried = await runRound(depsOf(model), roundOf(session, round - 1));
  expect(model.prompts.length - asked).toBe(landed ? 0 : 1);
  expect(retried.status).toBe(round < ROUNDS ? 'continue' : 'done');
  if (round < ROUNDS) expect(retried.round).toBe(round);

  // AND the remaining rounds end the turn with one copy of every round's events
  if (retried.status === 'continue') await expect(playFrom(session, model, retried.round)).resolves.toMatchObject({ status: 'done', round: ROUNDS });
  expect(model.prompts.length).toBe(landed ? ROUNDS - 1 : ROUNDS);
  const events = await eventsOf(session);
  expect(factsOf(events)).toEqual(unkilled);
  expect(events.map((event) => event.seq)).toEqual(unkilled.map((_event, index) => index + 1));
  expect(events.filter((event) => event.type === 'assistant')).toHaveLength(ROUNDS);
  expect(verifyChain(events, genesisHash(TENANT, session))).toMatchObject({ ok: true, lastSeq: events.length });

  const final = await store.repository.load(TENANT, session, 0);
  expect(final.header.activeTurn).toBeUndefined();
  expect(final.header.status).toBe('idle');
  const marker = await store.repository.readRequestMarker(TENANT, session, 'r-1');
  expect(marker?.progress).toMatchObject({ status: 'completed', rounds: ROUNDS });
});

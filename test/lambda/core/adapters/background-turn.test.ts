import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AGENT_LOOP_ERRORS, type RoundOutcome } from '../../../../lib/contract/agent-loop';
import { referenceItemKey } from '../../../../lib/contract/reference-table';
import { modelToolDeclaration } from '../../../../lib/contract/tool-declaration';
import { findTool } from '../../../../lib/tools/catalog';
import { asRoundError } from '../../../../lambda/agent-loop/handler';
import { toModelError } from '../../../../lambda/core/adapters/model/model-errors';
import { StepFunctionsAgentLoop } from '../../../../lambda/core/adapters/step-functions/agent-loop-starter';
import { StepFunctionsSlowToolStarter } from '../../../../lambda/core/adapters/step-functions/slow-tool-starter';
import { StepFunctionsToolRunner } from '../../../../lambda/core/adapters/step-functions/sync-tool-runner';
import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { agentLoopExecutionName, cancelTurn, enqueueTurn, readTurn, runRound, type BackgroundDeps } from '../../../../lambda/core/domain/background-turn';
import { createSession } from '../../../../lambda/core/domain/create-session';
import { SessionAwaitingError, TurnEndedError } from '../../../../lambda/core/domain/errors';
import { genesisHash, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import { runTurn } from '../../../../lambda/core/domain/run-turn';
import { ToolPolicy } from '../../../../lambda/core/domain/tool-policy';
import type { Clock } from '../../../../lambda/core/ports/clock';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../../helpers/local-stepfunctions';
import { motoDynamoDbClient } from '../../../helpers/moto';
import { createReferenceTable } from '../../../lib/tool-workflow/reference-table';
import { soleAgent } from '../support/agents';
import { startMotoSessions, type MotoSessions } from '../support/moto-sessions';
import { reply, ScriptedModel } from '../support/scripted-model';
import { registerLookupCase, stateMachineArn } from '../support/tool-workflows';

/**
 * Background turns in the domain: enqueueTurn, runRound (the test plays the
 * agent loop, one round at a time, as its Round task would), readTurn and
 * cancelTurn, on moto with the real session store, fast tools through the
 * local Step Functions endpoint (lookup_case's real GetItem on moto), and
 * the loop's StartExecution and StopExecution through the real adapter.
 * Only the model is scripted. The synthesized loop itself runs in
 * test/e2e (agent-loop.test.ts).
 */

const TENANT = 'agency-b';
const REFERENCE_TABLE = 'statehouse-reference-bg';
const FAST = stateMachineArn('statehouse-bg-fast-tools');
const SLOW = stateMachineArn('statehouse-bg-slow-tools');
const LOOP = stateMachineArn('statehouse-bg-agent-loop');
const ARCHIVE = {
  name: 'archive',
  description: 'Archive a case file; needs a records officer.',
  inputSchema: { type: 'object', properties: { caseId: { type: 'string' } }, required: ['caseId'], additionalProperties: false },
  timeoutSeconds: 60,
  mode: 'slow' as const,
  approval: { approverRoles: ['records-officer'], timeoutSeconds: 600 },
};
const lookup = (id: string, caseId = 'FOIA-9') => ({ id, name: 'lookup_case', input: { caseId } });

let store: MotoSessions;
let sfn: LocalStepFunctions;
let sfnClient: SFNClient;
let background: DynamoDBClient;
let serial = 0;

beforeAll(async () => {
  store = await startMotoSessions();
  background = motoDynamoDbClient(store.moto);
  await createReferenceTable(background, REFERENCE_TABLE);
  await background.send(new PutItemCommand({ TableName: REFERENCE_TABLE, Item: { caseId: { S: referenceItemKey(TENANT, 'caseId', 'FOIA-9') }, status: { S: 'open' } } }));
  sfn = await startLocalStepFunctions();
  sfnClient = new SFNClient(sfn.clientConfig());
  registerLookupCase(sfn, FAST, background, REFERENCE_TABLE, '$.Item.status.S');
  sfn.register(SLOW, { StartAt: 'Started', States: { Started: { Type: 'Succeed' } } }, {});
  // The loop as this suite needs it: an execution that runs until it is stopped (the test plays its rounds).
  sfn.register(LOOP, { StartAt: 'Rounds', States: { Rounds: { Type: 'Wait', Seconds: 3600, End: true } } }, {}, { waitMs: 3_600_000 });
});

afterAll(async () => {
  sfnClient?.destroy();
  background?.destroy();
  await sfn?.stop();
  await store?.stop();
});

function deps(model: ScriptedModel, overrides: { clock?: Clock; deadlineSeconds?: number; maxRounds?: number } = {}): BackgroundDeps {
  return {
    sessions: store.repository,
    ...soleAgent(model, ['lookup_case', 'archive']),
    clock: overrides.clock ?? systemClock,
    tools: {
      policy: ToolPolicy.of([modelToolDeclaration(findTool('lookup_case')!), ARCHIVE]),
      runner: new StepFunctionsToolRunner({ client: sfnClient, stateMachineArn: FAST }),
      slowTools: new StepFunctionsSlowToolStarter({ client: sfnClient, stateMachineArn: SLOW }),
    },
    loop: new StepFunctionsAgentLoop({ client: sfnClient, stateMachineArn: LOOP }),
    background: { deadlineSeconds: overrides.deadlineSeconds ?? 3600, maxRounds: overrides.maxRounds ?? 50 },
  };
}

async function newSession(): Promise<{ tenant: string; session: string }> {
  const ids = { tenant: TENANT, session: `s-bg-${++serial}` };
  await createSession({ sessions: store.repository, clock: systemClock, agents: soleAgent(ScriptedModel.answering()).agents }, { ...ids, owner: 'alice', maxTokens: 1_000_000 });
  return ids;
}

const turn = (ids: { tenant: string; session: string }, requestId: string, message: string) => ({ ...ids, requestId, actor: 'alice', message });
const round = (ids: { tenant: string; session: string }, requestId: string, at: number) => ({ kind: 'statehouse.round' as const, ...ids, requestId, round: at });

/** Plays the loop: rounds until the turn is done (or waits on a slow call), as the Round → Choice → Round states do. */
async function playRounds(background: BackgroundDeps, ids: { tenant: string; session: string }, requestId: string, from = 0): Promise<RoundOutcome[]> {
  const outcomes: RoundOutcome[] = [];
  let at = from;
  for (;;) {
    const outcome = await runRound(background, round(ids, requestId, at));
    outcomes.push(outcome);
    if (outcome.status !== 'continue') return outcomes;
    at = outcome.round;
  }
}

async function chainOf(ids: { tenant: string; session: string }) {
  const { events } = await store.repository.readEvents(ids.tenant, ids.session, { limit: 1000, resolvePayloads: true });
  const { header } = await store.repository.load(ids.tenant, ids.session, 0);
  expect(verifyChain(events, genesisHash(ids.tenant, ids.session))).toEqual({ ok: true, lastSeq: header.lastSeq, lastHash: header.lastHash });
  return { events, header };
}

describe('a background turn', () => {
  test('is recorded and its loop started in one commit; a retry of the request starts the same execution and writes nothing', async () => {
    const ids = await newSession();
    store.calls.reset();

    const view = await enqueueTurn(deps(ScriptedModel.answering()), turn(ids, 'r-1', 'Research FOIA-9 thoroughly.'));

    expect(view).toMatchObject({ requestId: 'r-1', mode: 'background', status: 'queued', rounds: 0, turnSeq: 1, lastSeq: 1, usage: { input: 0, output: 0 } });
    expect(store.calls.counts).toEqual({ Query: 1, TransactWriteItems: 1 });
    const name = agentLoopExecutionName(ids.tenant, ids.session, 'r-1');
    const started = sfn.executions(LOOP).filter((execution) => execution.name === name);
    expect(started).toHaveLength(1);
    expect(JSON.parse(started[0].input)).toEqual({ tenant: ids.tenant, session: ids.session, requestId: 'r-1', round: 0 });

    store.calls.reset();
    const again = await enqueueTurn(deps(ScriptedModel.answering()), turn(ids, 'r-1', 'Research FOIA-9 thoroughly.'));
    expect(again).toEqual(view);
    expect(store.calls.counts.TransactWriteItems).toBeUndefined();
    expect(sfn.executions(LOOP).filter((execution) => execution.name === name)).toHaveLength(1);
    await expect(enqueueTurn(deps(ScriptedModel.answering()), turn(ids, 'r-1', 'something else'))).rejects.toThrow(/already used for a different message/);
  });

  test('six rounds with a tool in each: every round one Query and one TransactWriteItems, visible as it commits, the chain whole', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(
      ...Array.from({ length: 5 }, (_, i) => reply(`Step ${i + 1}: looking again.`, [lookup(`c${i + 1}`)])),
      reply('FOIA-9 is open; six checks agree.', [], { input: 40, output: 9 }),
    );
    const background = deps(model);
    await enqueueTurn(background, turn(ids, 'r-6', 'Check FOIA-9 six times.'));

    const perRound: Record<string, number>[] = [];
    const seen: number[] = [];
    let at = 0;
    for (;;) {
      store.calls.reset();
      const outcome = await runRound(background, round(ids, 'r-6', at));
      perRound.push({ ...store.calls.counts });
      const view = await readTurn(background, { ...ids, requestId: 'r-6', actor: 'alice' });
      seen.push(view.lastSeq);
      if (outcome.status !== 'continue') {
        expect(outcome).toEqual({ status: 'done', round: 6 });
        expect(view).toMatchObject({ status: 'completed', rounds: 6, reply: 'FOIA-9 is open; six checks agree.', usage: { input: 90, output: 34 } });
        break;
      }
      expect(outcome.round).toBe(at + 1);
      expect(view).toMatchObject({ status: 'running', rounds: at + 1 });
      at = outcome.round;
    }

    // Five tool rounds of 3 events (reply, call, result), then the answer: each round's events are readable when it commits.
    expect(seen).toEqual([4, 7, 10, 13, 16, 17]);
    expect(perRound.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => ({ Query: 1, TransactWriteItems: 1 })));
    expect(perRound[5]).toEqual({ Query: 1, TransactWriteItems: 1 });
    expect(model.prompts).toHaveLength(6);
    const { events, header } = await chainOf(ids);
    expect(events.filter((event) => event.type === 'tool_result').map((event) => JSON.parse(event.content))).toEqual(Array.from({ length: 5 }, () => ({ ok: true, output: 'open' })));
    expect(header).toMatchObject({ status: 'idle', version: 7 });
    expect(header.activeTurn).toBeUndefined();
    // A retry of the request after it ended returns the finished turn.
    await expect(enqueueTurn(background, turn(ids, 'r-6', 'Check FOIA-9 six times.'))).resolves.toMatchObject({ status: 'completed', rounds: 6 });
  });

  test('a round asked for again after its commit asks nothing and answers as it did (the loop retried it)', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('Looking.', [lookup('c1')]), reply('Open.'));
    const background = deps(model);
    await enqueueTurn(background, turn(ids, 'r-1', 'Status of FOIA-9?'));

    const first = await runRound(background, round(ids, 'r-1', 0));
    const versionAfter = (await store.repository.load(ids.tenant, ids.session, 0)).header.version;
    store.calls.reset();
    const retried = await runRound(background, round(ids, 'r-1', 0));

    expect(retried).toEqual(first);
    expect(store.calls.counts).toEqual({ Query: 1 });
    expect((await store.repository.load(ids.tenant, ids.session, 0)).header.version).toBe(versionAfter);
    expect(model.prompts).toHaveLength(1);
  });

  test('while it runs the session takes no other turn: 409 naming the running turn, sync or background', async () => {
    const ids = await newSession();
    await enqueueTurn(deps(ScriptedModel.answering()), turn(ids, 'r-long', 'A long job.'));

    const background = enqueueTurn(deps(ScriptedModel.answering()), turn(ids, 'r-next', 'Another.'));
    await expect(background).rejects.toBeInstanceOf(SessionAwaitingError);
    await expect(background).rejects.toMatchObject({ httpStatus: 409, activeRequestId: 'r-long' });
    await expect(runTurn(deps(ScriptedModel.answering()), turn(ids, 'r-sync', 'Now?'))).rejects.toMatchObject({ httpStatus: 409, activeRequestId: 'r-long' });
  });

  test('a throttled model leaves the round uncommitted and is named for the loop\'s Retry; the retried round commits once', async () => {
    const ids = await newSession();
    const throttled = toModelError('Bedrock Converse', Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } }));
    const model = ScriptedModel.answering(throttled, reply('Answered after the retry.'));
    const background = deps(model);
    await enqueueTurn(background, turn(ids, 'r-1', 'Hello.'));
    const before = (await store.repository.load(ids.tenant, ids.session, 0)).header;

    const failure = await runRound(background, round(ids, 'r-1', 0)).catch((error: unknown) => asRoundError(error) as Error);

    expect(failure).toMatchObject({ name: AGENT_LOOP_ERRORS.MODEL_THROTTLED });
    expect((await store.repository.load(ids.tenant, ids.session, 0)).header.version).toBe(before.version);
    await expect(runRound(background, round(ids, 'r-1', 0))).resolves.toEqual({ status: 'done', round: 1 });
    expect((await chainOf(ids)).events.map((event) => event.type)).toEqual(['user', 'assistant']);
  });
});

describe('ending a background turn early', () => {
  test('cancel while running: the next step boundary ends it cancelled, work kept, why recorded; the session is free again', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('Looking.', [lookup('c1')]), reply('never asked'));
    const background = deps(model);
    await enqueueTurn(background, turn(ids, 'r-1', 'Status of FOIA-9?'));
    await runRound(background, round(ids, 'r-1', 0));

    const asked = await cancelTurn(background, { ...ids, requestId: 'r-1', actor: 'alice', reason: 'the requester withdrew' });
    expect(asked).toMatchObject({ status: 'running', cancelRequested: { by: 'alice', reason: 'the requester withdrew' } });
    await expect(runRound(background, round(ids, 'r-1', 1))).resolves.toEqual({ status: 'done', round: 1 });

    expect(model.prompts).toHaveLength(1);
    const view = await readTurn(background, { ...ids, requestId: 'r-1', actor: 'alice' });
    expect(view).toMatchObject({ status: 'cancelled', rounds: 1, reason: 'cancelled by alice: the requester withdrew', reply: 'Looking.' });
    const { events, header } = await chainOf(ids);
    expect(events.map((event) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result', 'turn_end']);
    expect(JSON.parse(events[4].content)).toEqual({ requestId: 'r-1', status: 'cancelled', reason: 'cancelled by alice: the requester withdrew' });
    expect(header.status).toBe('idle');
    await expect(cancelTurn(background, { ...ids, requestId: 'r-1', actor: 'alice', reason: 'again' })).rejects.toBeInstanceOf(TurnEndedError);
    await expect(runTurn(deps(ScriptedModel.answering(reply('Free again.'))), turn(ids, 'r-2', 'Next?'))).resolves.toMatchObject({ reply: 'Free again.' });
  });

  test('cancel while it waits for an approver: it ends now, and the loop execution is stopped', async () => {
    const ids = await newSession();
    const background = deps(ScriptedModel.answering(reply('Archiving needs an officer.', [{ id: 'c-arch', name: 'archive', input: { caseId: 'FOIA-9' } }])));
    await enqueueTurn(background, turn(ids, 'r-1', 'Archive FOIA-9.'));
    const waiting = await runRound(background, round(ids, 'r-1', 0));
    expect(waiting).toMatchObject({ status: 'awaiting_approval', round: 1, slowTool: { tool: 'archive', toolCallId: 'c-arch', approvalRequired: true } });
    // The loop, not the slow-tool workflow, runs a background turn's slow call.
    expect(sfn.executions(SLOW).filter((execution) => execution.input.includes(ids.session))).toHaveLength(0);

    const cancelled = await cancelTurn(background, { ...ids, requestId: 'r-1', actor: 'alice', reason: 'not needed' });

    expect(cancelled).toMatchObject({ status: 'cancelled', rounds: 1 });
    const execution = sfn.executions(LOOP).find((entry) => entry.name === agentLoopExecutionName(ids.tenant, ids.session, 'r-1'));
    await expect(sfn.finished(execution!.executionArn)).resolves.toMatchObject({ status: 'ABORTED' });
    const { header } = await chainOf(ids);
    expect(header).toMatchObject({ status: 'idle' });
    expect(header.pendingTool).toBeUndefined();
    // The loop's wait, answered late, finds the turn over.
    await expect(runRound(background, { ...round(ids, 'r-1', 1), resume: { kind: 'statehouse.resume', ...ids, toolCallId: 'c-arch', result: { ok: true, output: 'archived' } } })).resolves.toMatchObject({ status: 'done' });
  });

  test("an approver's wait ends by the turn's deadline: the loop waits at most until then", async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('Archiving needs an officer.', [{ id: 'c-arch', name: 'archive', input: { caseId: 'FOIA-9' } }]));
    await enqueueTurn(deps(model, { deadlineSeconds: 120 }), turn(ids, 'r-1', 'Archive FOIA-9.'));

    const waiting = await runRound(deps(model), round(ids, 'r-1', 0));

    // The tool's own approval timeout is 600 s; the turn has at most 120 s left.
    expect(waiting.slowTool?.approvalTimeoutSeconds).toBeGreaterThan(0);
    expect(waiting.slowTool?.approvalTimeoutSeconds).toBeLessThanOrEqual(120);
  });

  test('past its deadline the next round ends it incomplete, with what it did kept', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('Looking.', [lookup('c1')]));
    await enqueueTurn(deps(model, { deadlineSeconds: 60 }), turn(ids, 'r-1', 'Status of FOIA-9?'));
    await runRound(deps(model), round(ids, 'r-1', 0));
    const later: Clock = { now: () => new Date(Date.now() + 61_000) };

    await expect(runRound(deps(model, { clock: later }), round(ids, 'r-1', 1))).resolves.toEqual({ status: 'done', round: 1 });

    const view = await readTurn(deps(model), { ...ids, requestId: 'r-1', actor: 'alice' });
    expect(view).toMatchObject({ status: 'incomplete', rounds: 1 });
    expect(view.reason).toMatch(/^the turn's deadline \(.+\) passed$/);
    expect((await chainOf(ids)).events.map((event) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result', 'turn_end']);
  });

  test('at its round limit it ends incomplete: the limit is the background one, not the synchronous turn\'s', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(...Array.from({ length: 8 }, (_, i) => reply(`Again ${i}.`, [lookup(`c${i}`)])));
    const background = deps(model, { maxRounds: 6 });
    await enqueueTurn(background, turn(ids, 'r-1', 'Loop forever.'));

    const outcomes = await playRounds(background, ids, 'r-1');

    // The synchronous limit is 4 tool rounds; the background limit of 6 lets 6 rounds run tools, the 7th is refused.
    expect(outcomes.at(-1)).toEqual({ status: 'done', round: 7 });
    expect(model.prompts).toHaveLength(7);
    const view = await readTurn(background, { ...ids, requestId: 'r-1', actor: 'alice' });
    expect(view).toMatchObject({ status: 'incomplete', rounds: 7 });
  });

  test('only the owner reads or cancels a turn; an unknown turn is a 404', async () => {
    const ids = await newSession();
    await enqueueTurn(deps(ScriptedModel.answering()), turn(ids, 'r-1', 'Hello.'));

    await expect(readTurn(deps(ScriptedModel.answering()), { ...ids, requestId: 'r-1', actor: 'mallory' })).rejects.toMatchObject({ httpStatus: 403 });
    await expect(cancelTurn(deps(ScriptedModel.answering()), { ...ids, requestId: 'r-1', actor: 'mallory', reason: 'x' })).rejects.toMatchObject({ httpStatus: 403 });
    await expect(readTurn(deps(ScriptedModel.answering()), { ...ids, requestId: 'r-none', actor: 'alice' })).rejects.toMatchObject({ httpStatus: 404, code: 'TurnNotFound' });
  });
});

describe('a synchronous turn out of time', () => {
  /** A clock the scripted model moves on: each model call "takes" `callMs`. */
  function slowModelClock(callMs: number, ...replies: ReturnType<typeof reply>[]) {
    let offset = 0;
    const clock: Clock = { now: () => new Date(Date.now() + offset) };
    let call = 0;
    const model = ScriptedModel.responding(() => {
      offset += callMs;
      const next = replies[call++];
      if (!next) throw new Error('the scripted model has no more replies');
      return next;
    });
    return { clock, model };
  }

  test('moves to the background before a model call that would not fit: 202, what it did kept, the loop goes on from there', async () => {
    const ids = await newSession();
    const { clock, model } = slowModelClock(
      8_000,
      reply('Looking once.', [lookup('c1')]),
      reply('Looking twice.', [lookup('c2')]),
      reply('FOIA-9 is open.'),
    );
    const background = deps(model, { clock });
    const sync = { ...background, overflow: { loop: background.loop, background: background.background, answerWithinMs: 27_000, modelCallMs: 25_000 } };

    // 8 s for the first call; the second is expected to take at most 2 x 8 + 1 = 17 s: 8 + 17 fits in 27, so it is asked.
    // After it, 16 + 17 does not: the turn commits two rounds and moves to the background.
    const result = await runTurn(sync, turn(ids, 'r-1', 'Check FOIA-9.'));

    expect(result).toMatchObject({ status: 'running', reply: 'Looking twice.', background: { requestId: 'r-1', status: 'running', rounds: 2 } });
    expect(result.background?.message).toContain(`GET /sessions/${ids.session}/turns/r-1`);
    expect(model.prompts).toHaveLength(2);
    const execution = sfn.executions(LOOP).find((entry) => entry.name === agentLoopExecutionName(ids.tenant, ids.session, 'r-1'));
    expect(JSON.parse(execution!.input)).toEqual({ ...ids, requestId: 'r-1', round: 2 });
    await expect(readTurn(background, { ...ids, requestId: 'r-1', actor: 'alice' })).resolves.toMatchObject({ status: 'running', rounds: 2 });

    await expect(playRounds(background, ids, 'r-1', 2)).resolves.toEqual([{ status: 'done', round: 3 }]);

    await expect(readTurn(background, { ...ids, requestId: 'r-1', actor: 'alice' })).resolves.toMatchObject({ status: 'completed', rounds: 3, reply: 'FOIA-9 is open.' });
    // The client's retry of the request now gets the finished turn.
    await expect(runTurn(sync, turn(ids, 'r-1', 'Check FOIA-9.'))).resolves.toMatchObject({ status: 'idle', reply: 'FOIA-9 is open.', replayed: true });
    expect((await chainOf(ids)).events.map((event) => event.type)).toEqual([
      'user', 'assistant', 'tool_call', 'tool_result', 'assistant', 'tool_call', 'tool_result', 'assistant',
    ]);
  });

  test('a turn that fits answers as always: 200, no loop started', async () => {
    const ids = await newSession();
    const { clock, model } = slowModelClock(2_000, reply('Looking.', [lookup('c1')]), reply('Open.'));
    const background = deps(model, { clock });
    const sync = { ...background, overflow: { loop: background.loop, background: background.background, answerWithinMs: 27_000, modelCallMs: 25_000 } };

    await expect(runTurn(sync, turn(ids, 'r-1', 'Check FOIA-9.'))).resolves.toMatchObject({ status: 'idle', reply: 'Open.' });
    expect(sfn.executions(LOOP).some((entry) => entry.name === agentLoopExecutionName(ids.tenant, ids.session, 'r-1'))).toBe(false);
  });
});

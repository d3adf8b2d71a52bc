import { toModelError } from '../../lambda/core/adapters/model/model-errors';
import { canonicalJson } from '../../lambda/core/domain/canonical-json';
import type { ModelBackend, ToolCall } from '../../lambda/core/ports/model-backend';
import { AGENT_LOOP_ERRORS } from '../../lib/contract/agent-loop';
import { AGENT_LOOP_STATES } from '../../lib/constructs/agent-loop/agent-loop';
import { reply, ScriptedModel } from '../lambda/core/support/scripted-model';
import { ALICE, api, OLIVIA, ROLE_A, ROLE_OFFICER } from '../lambda/orchestrator/support/api-events';
import { replayStatePath, startAgentLoopRuntime, type AgentLoopRuntime } from './support/synthesized-agent-loop';
import type { OrchestratorFunction } from './support/synthesized-runtime';

/**
 * Background turns of GovWest end to end: a client's `mode: "background"`
 * through the real orchestrator handler starts the agent loop, exactly as
 * synthesized, on the local Step Functions endpoint; its Round tasks run the
 * real round function, its slow call the real approval wait and
 * release-records code, the fast tools the synthesized Express workflow, all
 * on moto. Only the model is scripted. No assertion is about time; the test
 * waits on the execution's end, its task token, and the model being asked.
 */
const TENANT = 'agency-a';
const REQUESTER = `${ROLE_A}#alice`;
const APPROVER = `${ROLE_OFFICER}#olivia`;

const deadlineCall = (n: number): ToolCall => ({ id: `call-deadline-${n}`, name: 'compute_deadline', input: { startDate: '2026-11-20', businessDays: n } });
const RELEASE: ToolCall = {
  id: 'call-release',
  name: 'release_records',
  input: { caseId: 'FOIA-4411', recordIds: ['REC-1', 'REC-2'], justification: 'The requester asked for their own case file.' },
};

/** What Bedrock's SDK throws when it throttles, and a 400 it would answer the same way again, as the adapter types them. */
const sdkError = (name: string, httpStatusCode: number) => toModelError('Bedrock Converse', Object.assign(new Error('x'), { name, $metadata: { httpStatusCode } }));
const THROTTLED = sdkError('ThrottlingException', 429);
const REFUSED = sdkError('ValidationException', 400);

let loop: AgentLoopRuntime;
let serial = 0;

beforeAll(async () => {
  // GIVEN GovWest synthesized: its agent loop and tool workflows registered with the real function code, on moto
  loop = await startAgentLoopRuntime('GovWest');
});

afterAll(async () => {
  await loop?.stop();
});

async function newSession(orchestrator: OrchestratorFunction): Promise<string> {
  const sessionId = `loop-${++serial}`;
  expect(await orchestrator.send(api.create({ sessionId }))).toMatchObject({ statusCode: 201 });
  return sessionId;
}

/** The model's `call`-th reply (from 0) is held until `release()`; `asked` settles when that call is made: the round is in its model call. */
function holding(model: ScriptedModel, call: number): { model: ModelBackend; asked: Promise<void>; release: () => void } {
  let release!: () => void;
  let entered!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const asked = new Promise<void>((resolve) => (entered = resolve));
  let calls = 0;
  return {
    model: {
      async chat(messages, tools, options) {
        if (calls++ === call) {
          entered();
          await released;
        }
        return model.chat(messages, tools, options);
      },
    },
    asked,
    release,
  };
}

/** Starts a background turn as a client does: 202 and the queued turn. */
async function startTurn(orchestrator: OrchestratorFunction, sessionId: string, requestId: string, message: string) {
  const queued = await orchestrator.send(api.turn(sessionId, { requestId, message, mode: 'background' }));
  expect(queued).toMatchObject({ statusCode: 202, body: { turn: { requestId, mode: 'background', status: 'queued', rounds: 0 } } });
  return { queued, executionArn: loop.executionArn(TENANT, sessionId, requestId) };
}

const roundsOf = (sessionId: string) => loop.rounds.filter((call) => call.event.session === sessionId);
const shapeOf = (events: { seq: number; type: string; actor: string }[]) => events.map((event) => [event.seq, event.type, event.actor]);

async function expectIdleAndVerified(orchestrator: OrchestratorFunction, sessionId: string, events: number): Promise<void> {
  const header = await loop.runtime.header(TENANT, sessionId);
  expect(header).toMatchObject({ status: 'idle' });
  expect(header).not.toHaveProperty('activeTurn');
  expect(header).not.toHaveProperty('pendingTool');
  expect((await orchestrator.send(api.verify(sessionId))).body).toEqual({ valid: true, events });
}

describe('GovWest agent loop, executed as synthesized', () => {
  test('six rounds, a fast tool in each of the first five: SUCCEEDED, the turn completed, the events in order, the chain verifies', async () => {
    // GIVEN a model that asks for compute_deadline in five replies and then answers; its fourth call is held
    const scripted = ScriptedModel.responding((_messages, call) =>
      call < 5 ? reply(`Step ${call + 1}: computing deadline ${call + 1}.`, [deadlineCall(call + 1)]) : reply('All five deadlines are computed.'),
    );
    const held = holding(scripted, 3);
    const orchestrator = loop.wire(held.model);
    const sessionId = await newSession(orchestrator);
    const fastBefore = loop.runtime.sfn.executions(loop.runtime.fastStateMachineArn).length;

    // WHEN the client starts a background turn
    const { queued, executionArn } = await startTurn(orchestrator, sessionId, 'r-1', 'Compute five response deadlines for FOIA-4411.');
    const { turnSeq } = queued.body.turn;

    // THEN while round 4 asks the model, the turn shows three rounds committed and their events can be read
    await held.asked;
    expect((await orchestrator.send(api.readTurn(sessionId, 'r-1'))).body.turn).toMatchObject({ status: 'running', rounds: 3, turnSeq });
    const soFar = await orchestrator.send(api.read(sessionId, { afterSeq: String(turnSeq) }));
    expect(soFar.body.events.map((event: { type: string }) => event.type)).toEqual(Array(3).fill(['assistant', 'tool_call', 'tool_result']).flat());
    held.release();

    // AND the execution succeeds
    const done = await loop.runtime.sfn.finished(executionArn);
    expect(done).toMatchObject({ status: 'SUCCEEDED' });
    expect(JSON.parse(done.input)).toEqual({ tenant: TENANT, session: sessionId, requestId: 'r-1', round: 0 });

    // AND the turn is completed with six rounds and the model's answer
    const turn = (await orchestrator.send(api.readTurn(sessionId, 'r-1'))).body.turn;
    expect(turn).toMatchObject({ requestId: 'r-1', mode: 'background', status: 'completed', rounds: 6, reply: 'All five deadlines are computed.', turnSeq, lastSeq: 17 });
    expect(turn).not.toHaveProperty('reason');

    // AND the log holds each round's reply, call and result in order, then the answer
    const rest = await orchestrator.send(api.read(sessionId, { afterSeq: String(turnSeq) }));
    const events = rest.body.events;
    expect(shapeOf(events)).toEqual([
      ...[1, 2, 3, 4, 5].flatMap((n) => [
        [turnSeq + 3 * n - 2, 'assistant', 'model'],
        [turnSeq + 3 * n - 1, 'tool_call', 'model'],
        [turnSeq + 3 * n, 'tool_result', 'tool:compute_deadline'],
      ]),
      [turnSeq + 16, 'assistant', 'model'],
    ]);
    for (const n of [1, 2, 3, 4, 5]) {
      const call = deadlineCall(n);
      expect(events[3 * n - 2]).toMatchObject({ toolCallId: call.id, toolName: call.name, content: canonicalJson(call.input) });
      expect(JSON.parse(events[3 * n - 1].content)).toMatchObject({ ok: true, output: { startDate: '2026-11-20', businessDays: n, deadline: expect.any(String) } });
    }
    expect(events.at(-1).content).toBe('All five deadlines are computed.');
    expect(scripted.prompts).toHaveLength(6);
    // AND each tool ran once, through the synthesized Express workflow
    expect(loop.runtime.sfn.executions(loop.runtime.fastStateMachineArn).slice(fastBefore).map((e) => e.status)).toEqual(Array(5).fill('SUCCEEDED'));
    // AND the round function was asked once a round, with the rounds committed so far
    const rounds = roundsOf(sessionId);
    expect(rounds.map((call) => [call.event.kind, call.event.round, call.error])).toEqual([0, 1, 2, 3, 4, 5].map((n) => ['statehouse.round', n, undefined]));
    expect(rounds.map((call) => call.outcome)).toEqual([...[1, 2, 3, 4, 5].map((round) => ({ status: 'continue', round })), { status: 'done', round: 6 }]);
    await expectIdleAndVerified(orchestrator, sessionId, 17);

    // AND (for the record) the states this execution went through: the definition replayed with the same round outcomes
    const path = await replayStatePath(loop.definition, done.input, rounds.map((call) => call.outcome));
    const perRound = [AGENT_LOOP_STATES.ROUND, AGENT_LOOP_STATES.ROUND_COMMITTED, AGENT_LOOP_STATES.NEXT_STEP];
    expect(path.entered).toEqual([...Array(6).fill(perRound).flat(), AGENT_LOOP_STATES.TURN_DONE]);
  });

  test('a throttled model: the loop\'s Retry asks the Round again; the turn completes with exactly one answer', async () => {
    // GIVEN a model that is throttled twice, then answers
    const scripted = ScriptedModel.answering(THROTTLED, THROTTLED, reply('Here is the answer, after the throttling.'));
    const orchestrator = loop.wire(scripted);
    const sessionId = await newSession(orchestrator);

    // WHEN a background turn runs
    const { executionArn } = await startTurn(orchestrator, sessionId, 'r-1', 'Summarize FOIA-4411.');

    // THEN the execution succeeds after the Round failed twice as ModelThrottled and was retried
    expect(await loop.runtime.sfn.finished(executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    expect(roundsOf(sessionId).map((call) => [call.event.kind, call.event.round, call.error ?? call.outcome])).toEqual([
      ['statehouse.round', 0, AGENT_LOOP_ERRORS.MODEL_THROTTLED],
      ['statehouse.round', 0, AGENT_LOOP_ERRORS.MODEL_THROTTLED],
      ['statehouse.round', 0, { status: 'done', round: 1 }],
    ]);
    expect(scripted.prompts).toHaveLength(3);
    // AND the turn is completed with one round; the failed attempts wrote nothing: one user event, one answer
    expect((await orchestrator.send(api.readTurn(sessionId, 'r-1'))).body.turn).toMatchObject({ status: 'completed', rounds: 1, reply: 'Here is the answer, after the throttling.' });
    expect(shapeOf((await orchestrator.send(api.read(sessionId))).body.events)).toEqual([
      [1, 'user', REQUESTER],
      [2, 'assistant', 'model'],
    ]);
    await expectIdleAndVerified(orchestrator, sessionId, 2);
  });

  test('a model that fails for good: RoundFailed records the turn as failed, naming the error; the session takes a new turn', async () => {
    // GIVEN a model that always answers a 400
    const scripted = ScriptedModel.responding(() => REFUSED);
    const orchestrator = loop.wire(scripted);
    const sessionId = await newSession(orchestrator);

    // WHEN a background turn runs
    const { executionArn } = await startTurn(orchestrator, sessionId, 'r-1', 'Summarize FOIA-4411.');

    // THEN the Round is not retried: RoundFailed runs and the execution fails with the round's own error
    const done = await loop.runtime.sfn.finished(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'Statehouse.ModelError' });
    expect(JSON.parse(done.cause ?? '')).toMatchObject({ errorType: 'Statehouse.ModelError' });
    expect(scripted.prompts).toHaveLength(1);
    const rounds = roundsOf(sessionId);
    expect(rounds.map((call) => [call.event.kind, call.error ?? call.outcome])).toEqual([
      ['statehouse.round', 'Statehouse.ModelError'],
      ['statehouse.round-failed', { status: 'done', round: 0 }],
    ]);
    expect(rounds[1].event).toMatchObject({ failure: { Error: 'Statehouse.ModelError', Cause: done.cause } });

    // AND the turn is failed, the reason naming the error; the log ends with the turn's end
    const turn = (await orchestrator.send(api.readTurn(sessionId, 'r-1'))).body.turn;
    expect(turn).toMatchObject({ status: 'failed', rounds: 0 });
    expect(turn.reason).toContain('Statehouse.ModelError');
    const { events } = (await orchestrator.send(api.read(sessionId))).body;
    expect(shapeOf(events)).toEqual([
      [1, 'user', REQUESTER],
      [2, 'turn_end', 'orchestrator'],
    ]);
    expect(JSON.parse(events[1].content)).toEqual({ requestId: 'r-1', status: 'failed', reason: turn.reason });
    await expectIdleAndVerified(orchestrator, sessionId, 2);

    // WHEN the client sends a new background turn, the model working again
    const again = loop.wire(ScriptedModel.answering(reply('Working again.')));
    const next = await startTurn(again, sessionId, 'r-2', 'Try again, please.');

    // THEN it runs to its answer
    expect(await loop.runtime.sfn.finished(next.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await again.send(api.readTurn(sessionId, 'r-2'))).body.turn).toMatchObject({ status: 'completed', rounds: 1, reply: 'Working again.' });
    await expectIdleAndVerified(again, sessionId, 4);
  });

  test('approval inside the loop: awaiting_approval on the task token; the requester is refused, an officer approves; the slow tool runs; the next round answers', async () => {
    // GIVEN a model that asks for release_records, then answers on its result
    const scripted = ScriptedModel.answering(reply('A records officer must approve the release first.', [RELEASE]), reply('Your two records were released.'));
    const orchestrator = loop.wire(scripted);
    const { send } = orchestrator;
    const sessionId = await newSession(orchestrator);

    // WHEN a background turn runs until the slow call's approval wait
    const { executionArn } = await startTurn(orchestrator, sessionId, 'r-1', 'Release my case file FOIA-4411.');
    const token = await loop.runtime.sfn.waitingTaskToken(executionArn);

    // THEN the turn awaits approval, and the real approval wait stored the execution's token on the header
    expect((await send(api.readTurn(sessionId, 'r-1'))).body.turn).toMatchObject({ status: 'awaiting_approval', rounds: 1 });
    expect(await loop.runtime.header(TENANT, sessionId)).toMatchObject({
      status: 'awaiting_approval',
      activeTurn: { requestId: 'r-1', status: 'awaiting_approval' },
      pendingTool: { toolCallId: RELEASE.id, requestedBy: REQUESTER, taskToken: token },
    });
    // AND the loop's own `Notify approvers` announced the wait on the topic, and the officers' inbox lists it
    const notices = (await loop.runtime.approvalNotices()).filter((notice) => notice.attributes.session === sessionId);
    expect(notices).toEqual([{ message: expect.stringContaining(`Tool release_records (call ${RELEASE.id}) in session ${sessionId}`), attributes: { tenant: TENANT, tool: 'release_records', session: sessionId } }]);
    const inbox = await send(api.inbox({}, OLIVIA));
    expect(inbox.body.approvals.filter((entry: { sessionId: string }) => entry.sessionId === sessionId)).toEqual([
      expect.objectContaining({ toolCallId: RELEASE.id, tool: 'release_records', requestedBy: REQUESTER, approverRoles: ['RecordsOfficer'] }),
    ]);

    // WHEN the requester approves her own call
    const refused = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: 'I approve my own request.' }, ALICE));
    // THEN it is 403 and the execution still waits on the same token
    expect(refused).toMatchObject({ statusCode: 403, body: { error: { code: 'Forbidden', message: 'the requester cannot approve their own request' } } });
    expect(await loop.runtime.sfn.waitingTaskToken(executionArn)).toBe(token);

    // WHEN a records officer approves
    const reason = 'The requester is the subject of these records.';
    const approved = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason }, OLIVIA));
    expect(approved).toMatchObject({ statusCode: 200, body: { replayed: false, decision: { approved: true, approver: APPROVER, reason } } });

    // THEN the loop runs release-records, then the round after the slow call answers, and the execution succeeds
    expect(await loop.runtime.sfn.finished(executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    const rounds = roundsOf(sessionId);
    expect(rounds.map((call) => [call.event.round, call.event.resume === undefined, call.outcome])).toEqual([
      [0, true, expect.objectContaining({ status: 'awaiting_approval', round: 1, slowTool: expect.objectContaining({ tool: RELEASE.name, toolCallId: RELEASE.id }) })],
      [1, false, { status: 'done', round: 2 }],
    ]);
    const releaseId = `T#${TENANT}#RELEASE#${sessionId}#${RELEASE.id}`;
    expect(await loop.runtime.referenceItem(releaseId)).toMatchObject({ releasedCaseId: 'FOIA-4411', toolCallId: RELEASE.id, tenant: TENANT });
    expect(rounds[1].event.resume).toMatchObject({ kind: 'statehouse.resume', toolCallId: RELEASE.id, result: { ok: true, output: { releaseId } }, decision: approved.body.decision });

    // AND the turn is completed, the approval in the log between the call and its result
    expect((await send(api.readTurn(sessionId, 'r-1'))).body.turn).toMatchObject({ status: 'completed', rounds: 2, reply: 'Your two records were released.' });
    const { events } = (await send(api.read(sessionId))).body;
    expect(shapeOf(events)).toEqual([
      [1, 'user', REQUESTER],
      [2, 'assistant', 'model'],
      [3, 'tool_call', 'model'],
      [4, 'approval', APPROVER],
      [5, 'tool_result', 'tool:release_records'],
      [6, 'assistant', 'model'],
    ]);
    expect(JSON.parse(events[3].content)).toMatchObject({ approved: true, approver: APPROVER, reason });
    expect(scripted.prompts[1].at(-1)).toEqual({ role: 'tool', toolCallId: RELEASE.id, content: events[4].content });
    await expectIdleAndVerified(orchestrator, sessionId, 6);
  });

  test('cancel while running: the next step boundary ends the turn cancelled, with a turn_end event', async () => {
    // GIVEN a turn whose second round is held in its model call
    const scripted = ScriptedModel.answering(reply('Let me compute that.', [deadlineCall(10)]), reply('This answer comes too late.'));
    const held = holding(scripted, 1);
    const orchestrator = loop.wire(held.model);
    const sessionId = await newSession(orchestrator);
    const { executionArn } = await startTurn(orchestrator, sessionId, 'r-1', 'When is FOIA-4411 due?');
    await held.asked;

    // WHEN the owner cancels
    const cancel = await orchestrator.send(api.cancel(sessionId, 'r-1', { reason: 'no longer needed' }));
    expect(cancel).toMatchObject({ statusCode: 202, body: { turn: { status: 'running', rounds: 1, cancelRequested: { by: REQUESTER, reason: 'no longer needed' } } } });
    held.release();

    // THEN the held round finds the session moved on (SessionBusy, retried), and its retry ends the turn: the execution ends
    expect(await loop.runtime.sfn.finished(executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    expect(roundsOf(sessionId).map((call) => [call.event.round, call.error ?? call.outcome])).toEqual([
      [0, { status: 'continue', round: 1 }],
      [1, AGENT_LOOP_ERRORS.SESSION_BUSY],
      [1, { status: 'done', round: 1 }],
    ]);
    const turn = (await orchestrator.send(api.readTurn(sessionId, 'r-1'))).body.turn;
    expect(turn).toMatchObject({ status: 'cancelled', rounds: 1, reason: `cancelled by ${REQUESTER}: no longer needed` });
    // AND the first round's work is kept, the late answer is not, and a turn_end says why
    const { events } = (await orchestrator.send(api.read(sessionId))).body;
    expect(events.map((event: { type: string }) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result', 'turn_end']);
    expect(JSON.parse(events[4].content)).toEqual({ requestId: 'r-1', status: 'cancelled', reason: turn.reason });
    await expectIdleAndVerified(orchestrator, sessionId, 5);
  });

  test('cancel while awaiting approval: the turn ends at once and its execution is stopped (ABORTED)', async () => {
    const orchestrator = loop.wire(ScriptedModel.answering(reply('A records officer must approve the release first.', [RELEASE])));
    const sessionId = await newSession(orchestrator);
    const { executionArn } = await startTurn(orchestrator, sessionId, 'r-1', 'Release my case file FOIA-4411.');
    await loop.runtime.sfn.waitingTaskToken(executionArn);
    expect((await orchestrator.send(api.readTurn(sessionId, 'r-1'))).body.turn).toMatchObject({ status: 'awaiting_approval' });

    // WHEN the owner cancels
    const cancel = await orchestrator.send(api.cancel(sessionId, 'r-1', { reason: 'filed by mistake' }));

    // THEN the turn is cancelled now, and the execution waiting on the approval is stopped
    expect(cancel).toMatchObject({ statusCode: 200, body: { turn: { status: 'cancelled', reason: `cancelled by ${REQUESTER}: filed by mistake` } } });
    expect(await loop.runtime.sfn.finished(executionArn)).toMatchObject({ status: 'ABORTED' });
    expect(roundsOf(sessionId)).toHaveLength(1);
    // The cancel's commit took the approval out of the officers' inbox.
    const inbox = await orchestrator.send(api.inbox({}, OLIVIA));
    expect(inbox.body.approvals.map((entry: { sessionId: string }) => entry.sessionId)).not.toContain(sessionId);
    const { events } = (await orchestrator.send(api.read(sessionId))).body;
    expect(events.map((event: { type: string }) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'turn_end']);
    await expectIdleAndVerified(orchestrator, sessionId, 4);
    // AND nobody can approve the call any more
    expect((await orchestrator.send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: 'Too late.' }, OLIVIA))).statusCode).toBe(409);
  });

  test('past the deadline: the next step boundary ends the turn incomplete, the earlier round\'s events kept', async () => {
    // GIVEN a 60-second deadline and a clock that the first model call moves past it
    let offsetMs = 0;
    const clock = { now: () => new Date(Date.now() + offsetMs) };
    const scripted = ScriptedModel.responding((_messages, call) => {
      if (call === 0) offsetMs += 61_000;
      return reply('Let me compute that.', [deadlineCall(10)]);
    });
    const orchestrator = loop.wire(scripted, { clock, background: { ...loop.background, deadlineSeconds: 60 } });
    const sessionId = await newSession(orchestrator);

    // WHEN a background turn runs
    const { queued, executionArn } = await startTurn(orchestrator, sessionId, 'r-1', 'When is FOIA-4411 due?');

    // THEN the second round asks nothing: the turn is incomplete, the reason naming the deadline
    expect(await loop.runtime.sfn.finished(executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    expect(scripted.prompts).toHaveLength(1);
    const turn = (await orchestrator.send(api.readTurn(sessionId, 'r-1'))).body.turn;
    expect(turn).toMatchObject({ status: 'incomplete', rounds: 1, deadline: queued.body.turn.deadline, reason: `the turn's deadline (${queued.body.turn.deadline}) passed` });
    const { events } = (await orchestrator.send(api.read(sessionId))).body;
    expect(events.map((event: { type: string }) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result', 'turn_end']);
    expect(JSON.parse(events[3].content)).toMatchObject({ ok: true, output: { businessDays: 10 } });
    await expectIdleAndVerified(orchestrator, sessionId, 5);
  });

  test("an approver's wait ends by the deadline: it gets what is left of the turn when its round commits, not when the round began", async () => {
    // GIVEN a 60-second deadline on a clock of the test's, and a first model call that takes (on that clock) all but 1.9 s of it
    let nowMs = Date.now();
    const clock = { now: () => new Date(nowMs) };
    const scripted = ScriptedModel.responding((_messages, call) => {
      if (call > 0) return reply('No records officer decided in time; ask again later.');
      nowMs += 58_100;
      return reply('A records officer must approve the release first.', [RELEASE]);
    });
    const orchestrator = loop.wire(scripted, { clock, background: { ...loop.background, deadlineSeconds: 60 } });
    const sessionId = await newSession(orchestrator);

    // WHEN the turn waits for an approver
    const { executionArn } = await startTurn(orchestrator, sessionId, 'r-1', 'Release my case file FOIA-4411.');
    await loop.runtime.sfn.waitingTaskToken(executionArn);

    // THEN the wait is capped at the 1.9 s left (whole seconds, rounded up: the wait ends at the deadline, not before), not the 60 s left when the round began
    const [waiting] = roundsOf(sessionId);
    expect(waiting.outcome).toMatchObject({ status: 'awaiting_approval', slowTool: { approvalRequired: true, approvalTimeoutSeconds: 2 } });
    // AND nobody deciding, the wait ends and the next round opens with approval_timeout
    expect(await loop.runtime.sfn.finished(executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    const { events } = (await orchestrator.send(api.read(sessionId))).body;
    expect(events.map((event: { type: string }) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result', 'assistant']);
    expect(JSON.parse(events[3].content)).toEqual({ ok: false, error: 'approval_timeout', message: 'No approver decided within 2 seconds.' });
    await expectIdleAndVerified(orchestrator, sessionId, 5);
  });

  test('two background turns on one session: the second is a 409 naming the running turn', async () => {
    const held = holding(ScriptedModel.answering(reply('The first turn\'s answer.')), 0);
    const orchestrator = loop.wire(held.model);
    const sessionId = await newSession(orchestrator);
    const { executionArn } = await startTurn(orchestrator, sessionId, 'r-1', 'A long job.');
    await held.asked;

    const second = await orchestrator.send(api.turn(sessionId, { requestId: 'r-2', message: 'Another long job.', mode: 'background' }));

    expect(second).toMatchObject({ statusCode: 409, body: { error: { code: 'SessionAwaiting', details: { status: 'running', runningTurn: 'r-1' } } } });
    expect(second.body.error.message).toContain('r-1');
    held.release();
    expect(await loop.runtime.sfn.finished(executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    expect(loop.runtime.sfn.executions(loop.loopArn).filter((execution) => execution.name === executionArn.split(':').at(-1))).toHaveLength(1);
    expect((await orchestrator.send(api.readTurn(sessionId, 'r-1'))).body.turn).toMatchObject({ status: 'completed' });
    expect((await orchestrator.send(api.readTurn(sessionId, 'r-2'))).statusCode).toBe(404);
    await expectIdleAndVerified(orchestrator, sessionId, 2);
  });
});

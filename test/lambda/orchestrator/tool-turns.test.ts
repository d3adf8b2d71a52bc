import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsDecisionSender } from '../../../lambda/core/adapters/step-functions/decision-sender';
import { canonicalJson } from '../../../lambda/core/domain/canonical-json';
import { executionNameFor } from '../../../lambda/core/domain/pending-tool';
import type { ToolCall } from '../../../lambda/core/ports/model-backend';
import { createResumeHandler } from '../../../lambda/orchestrator/resume-handler';
import { REFERENCE_TABLE_SCHEMA } from '../../../lib/contract/reference-table';
import { reply, ScriptedModel } from '../core/support/scripted-model';
import { ALICE, ALICE_AS_OFFICER, ALVIN, api, BOB, OLIVIA, ROLE_A, ROLE_OFFICER } from './support/api-events';
import type { ApiResponse } from './support/orchestrator-harness';
import { FAST, FAST_SHORT_TIMEOUT, HARNESS_TOOLS, REFERENCE_TABLE, SLOW, SLOW_MISSING, SLOW_SHORT_APPROVAL, startToolHarness, type ToolHarness } from './support/tool-harness';

/**
 * Tools through the orchestrator: fast tools inside the turn (Express
 * workflow, StartSyncExecution), slow and approval-gated tools after it
 * (Standard workflow, task token, approvals route, resume). Real storage on
 * moto, the real SDK Step Functions client against the local endpoint
 * running the test definitions, the real approval-wait and resume handlers;
 * only the model is scripted. No assertion is about time.
 */
let harness: ToolHarness;
let serial = 0;
const nextId = (prefix: string) => `${prefix}-${++serial}`;

beforeAll(async () => {
  harness = await startToolHarness();
});

afterEach(() => {
  harness.restoreToolFunctions();
});

afterAll(async () => {
  await harness?.stop();
});

const ALICE_ACTOR = `${ROLE_A}#alice`;
const OLIVIA_ACTOR = `${ROLE_OFFICER}#olivia`;
const REASON = 'The requester is the subject of these records; release is allowed under the statute.';

const deadlineCall = (id = 'call-deadline', input: ToolCall['input'] = { startDate: '2026-11-20', businessDays: 10 }): ToolCall => ({
  id,
  name: 'compute_deadline',
  input,
});
const RELEASE: ToolCall = {
  id: 'call-release',
  name: 'release_records',
  input: { caseId: 'FOIA-4411', recordIds: ['REC-1', 'REC-2'], justification: 'The requester asked for their own case file.' },
};

type Send = (event: Parameters<ReturnType<ToolHarness['orchestrator']>['send']>[0]) => Promise<ApiResponse>;

async function newSession(send: Send): Promise<string> {
  const sessionId = nextId('tools');
  expect((await send(api.create({ sessionId }))).statusCode).toBe(201);
  return sessionId;
}

async function eventsOf(send: Send, sessionId: string): Promise<{ seq: number; type: string; content: string; actor: string; toolCallId?: string }[]> {
  return (await send(api.read(sessionId))).body.events;
}

const shapes = (events: Awaited<ReturnType<typeof eventsOf>>) => events.map((event) => [event.seq, event.type, event.actor]);

/** The Standard execution of a session's slow call; its name is derived from where the call lives. */
function executionOf(sessionId: string, callSeq: number, toolCallId: string, stateMachine = SLOW) {
  const name = executionNameFor('agency-a', sessionId, callSeq, toolCallId);
  const execution = harness.sfn.executions(stateMachine).find((candidate) => candidate.name === name);
  if (!execution) throw new Error(`no execution ${name} of ${stateMachine}`);
  return execution;
}

/** A turn that calls release_records: 202, the session awaiting approval, the workflow waiting on its token. */
async function awaitingApproval(options: Parameters<ToolHarness['orchestrator']>[1] = {}, ...after: ReturnType<typeof reply>[]) {
  const model = ScriptedModel.answering(reply('A records officer must approve the release first.', [RELEASE]), ...after);
  const orchestrator = harness.orchestrator(model, options);
  const sessionId = await newSession(orchestrator.send);
  const turn = await orchestrator.send(api.turn(sessionId, { requestId: 'r-1', message: 'Release my case file FOIA-4411.' }));
  return { model, orchestrator, send: orchestrator.send, sessionId, turn };
}

describe('fast tools run inside the turn', () => {
  test('the model gets the tool result and answers; the turn is still one Query and one TransactWriteItems', async () => {
    const model = ScriptedModel.answering(reply('Let me compute that.', [deadlineCall()]), reply('The deadline is 7 December 2026.'));
    const { send } = harness.orchestrator(model);
    const sessionId = await newSession(send);
    // The real compute-deadline handler, watched.
    const seen: unknown[] = [];
    const real = harness.functions.computeDeadline;
    harness.functions.computeDeadline = (input) => {
      seen.push(input);
      return real(input);
    };

    harness.base.store.calls.reset();
    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'When is the response due?' }));

    expect(harness.base.store.calls.counts).toEqual({ Query: 1, TransactWriteItems: 1 });
    expect(turn).toMatchObject({
      statusCode: 200,
      body: { status: 'idle', turnSeq: 1, lastSeq: 5, reply: 'The deadline is 7 December 2026.', toolCalls: [deadlineCall()], usage: { input: 20, output: 10 } },
    });
    expect(seen).toEqual([{ tool: 'compute_deadline', toolCallId: 'call-deadline', input: { startDate: '2026-11-20', businessDays: 10 }, tenant: 'agency-a', session: sessionId }]);
    // The model was offered the enabled tools, and saw the result as a tool message after its call.
    expect(model.toolLists[0]?.map((tool) => tool.name)).toEqual([...HARNESS_TOOLS]);
    // 10 federal business days after Friday 20 November 2026, Thanksgiving (26 November) skipped.
    const output = { startDate: '2026-11-20', businessDays: 10, deadline: '2026-12-07', holidaysSkipped: [{ date: '2026-11-26', name: expect.any(String) }] };
    expect(model.prompts[1].slice(-2)).toEqual([
      { role: 'assistant', content: 'Let me compute that.', toolCalls: [deadlineCall()] },
      { role: 'tool', toolCallId: 'call-deadline', content: expect.any(String) },
    ]);
    expect(JSON.parse((model.prompts[1].at(-1) as { content: string }).content)).toEqual({ ok: true, output });
    const events = await eventsOf(send, sessionId);
    expect(shapes(events)).toEqual([
      [1, 'user', ALICE_ACTOR],
      [2, 'assistant', 'model'],
      [3, 'tool_call', 'model'],
      [4, 'tool_result', 'tool:compute_deadline'],
      [5, 'assistant', 'model'],
    ]);
    expect((await send(api.verify(sessionId))).body).toEqual({ valid: true, events: 5 });
  });

  test('several calls in one reply run side by side and their results keep the order of the calls', async () => {
    const calls = [deadlineCall('call-a', { startDate: '2026-11-20', businessDays: 5 }), deadlineCall('call-b', { startDate: '2026-11-20', businessDays: 20 })];
    const model = ScriptedModel.answering(reply('Two deadlines.', calls), reply('Both computed.'));
    const { send } = harness.orchestrator(model);
    const sessionId = await newSession(send);

    await send(api.turn(sessionId, { requestId: 'r-1', message: 'Compute both.' }));

    const results = (await eventsOf(send, sessionId)).filter((event) => event.type === 'tool_result');
    expect(results.map((event) => [event.toolCallId, JSON.parse(event.content).output.businessDays])).toEqual([
      ['call-a', 5],
      ['call-b', 20],
    ]);
  });

  test("a tool's failure reaches the model as a tool error, and the turn goes on", async () => {
    const model = ScriptedModel.answering(reply('Computing.', [deadlineCall()]), reply('The calculator is down; try again later.'));
    const { send } = harness.orchestrator(model);
    const sessionId = await newSession(send);
    harness.functions.computeDeadline = async () => {
      throw new Error('holiday calendar unavailable');
    };

    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'When is it due?' }));

    expect(turn).toMatchObject({ statusCode: 200, body: { status: 'idle', reply: 'The calculator is down; try again later.' } });
    const result = (await eventsOf(send, sessionId)).find((event) => event.type === 'tool_result');
    expect(JSON.parse(result?.content ?? '')).toEqual({ ok: false, error: 'tool_failed', message: 'the tool failed' });
    expect(model.prompts[1].at(-1)).toMatchObject({ role: 'tool', content: result?.content });
  });

  test("a tool past its timeout is a timeout error the model sees", async () => {
    const model = ScriptedModel.answering(reply('Computing.', [deadlineCall()]), reply('It took too long.'));
    const { send } = harness.orchestrator(model, { fastStateMachineArn: FAST_SHORT_TIMEOUT });
    const sessionId = await newSession(send);
    harness.functions.computeDeadline = () => new Promise(() => undefined);

    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'When is it due?' }));

    expect(turn).toMatchObject({ statusCode: 200, body: { status: 'idle', reply: 'It took too long.' } });
    const result = (await eventsOf(send, sessionId)).find((event) => event.type === 'tool_result');
    expect(JSON.parse(result?.content ?? '')).toMatchObject({ ok: false, error: 'timeout' });
  });

  test('input that fails the tool schema is not run: the model is told what is wrong', async () => {
    const model = ScriptedModel.answering(
      reply('Computing.', [deadlineCall('call-bad', { startDate: '2026-02-30', businessDays: 0, extra: true })]),
      reply('I sent a bad date; which start date did you mean?'),
    );
    const { send } = harness.orchestrator(model);
    const sessionId = await newSession(send);
    const executionsBefore = harness.sfn.executions(FAST).length;

    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Due date from 30 February?' }));

    expect(turn).toMatchObject({ statusCode: 200, body: { status: 'idle' } });
    expect(harness.sfn.executions(FAST)).toHaveLength(executionsBefore);
    const result = (await eventsOf(send, sessionId)).find((event) => event.type === 'tool_result');
    expect(result?.actor).toBe('orchestrator');
    const output = JSON.parse(result?.content ?? '');
    expect(output).toMatchObject({ ok: false, error: 'invalid_input' });
    expect(output.message).toContain('input/startDate must match format "date"');
    expect(output.message).toContain('input/businessDays must be >= 1');
    expect(output.message).toContain('must NOT have additional properties ("extra")');
  });

  test("a tool the tenant's policy does not allow is neither offered nor run", async () => {
    const model = ScriptedModel.answering(reply('Releasing.', [RELEASE]), reply('I may not release records for you.'));
    const { send } = harness.orchestrator(model, { policy: { 'agency-a': ['compute_deadline'] } });
    const sessionId = await newSession(send);
    const before = harness.sfn.executions().length;

    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Release the file.' }));

    expect(turn).toMatchObject({ statusCode: 200, body: { status: 'idle', reply: 'I may not release records for you.' } });
    expect(model.toolLists[0]?.map((tool) => tool.name)).toEqual(['compute_deadline']);
    expect(harness.sfn.executions()).toHaveLength(before);
    const result = (await eventsOf(send, sessionId)).find((event) => event.type === 'tool_result');
    expect(JSON.parse(result?.content ?? '')).toEqual({
      ok: false,
      error: 'not_allowed',
      message: 'tool "release_records" is not available in this session',
    });
  });

  test('a budget spent by the tool round ends the turn there: the results are kept and charged, the session idle', async () => {
    const model = ScriptedModel.answering(reply('Computing.', [deadlineCall()], { input: 30, output: 5 }), reply('never asked'));
    const { send } = harness.orchestrator(model);
    const sessionId = nextId('budget');
    await send(api.create({ sessionId, maxTokens: 50 }));

    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'When is it due?' }));

    expect(turn).toMatchObject({ statusCode: 200, body: { status: 'idle', reply: 'Computing.', lastSeq: 4, usage: { input: 30, output: 5 } } });
    expect(model.prompts).toHaveLength(1);
    expect((await send(api.read(sessionId))).body.session).toMatchObject({ status: 'idle', tokens: { input: 30, output: 5 } });
    // The next turn cannot be paid for at all: refused before anything runs.
    expect(await send(api.turn(sessionId, { requestId: 'r-2', message: 'And then?' }))).toMatchObject({ statusCode: 429 });
  });

  test('a model that keeps calling tools is stopped after the round limit; its last calls are refused and the turn ends idle', async () => {
    const script = Array.from({ length: 5 }, (_, i) => reply(`round ${i + 1}`, [deadlineCall(`call-${i + 1}`)]));
    const { send } = harness.orchestrator(ScriptedModel.answering(...script));
    const sessionId = await newSession(send);

    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Keep computing.' }));

    expect(turn).toMatchObject({ statusCode: 200, body: { status: 'idle', reply: 'round 5', lastSeq: 16 } });
    const last = (await eventsOf(send, sessionId)).at(-1);
    expect(last).toMatchObject({ type: 'tool_result', toolCallId: 'call-5', actor: 'orchestrator' });
    expect(JSON.parse(last?.content ?? '')).toMatchObject({ ok: false, error: 'not_allowed', message: expect.stringContaining('limit of 4 tool rounds') });
  });
});

describe('slow tools wait for approval in the Standard workflow', () => {
  test('a slow tool call answers 202, commits the call as pending and starts its execution; the token never shows', async () => {
    const { send, sessionId, turn } = await awaitingApproval();

    expect(turn).toMatchObject({ statusCode: 202, body: { status: 'awaiting_approval', lastSeq: 3, toolCalls: [RELEASE] } });
    const execution = executionOf(sessionId, 3, RELEASE.id);
    expect(JSON.parse(execution.input)).toEqual({
      tool: 'release_records',
      toolCallId: RELEASE.id,
      input: RELEASE.input,
      tenant: 'agency-a',
      session: sessionId,
      requestId: 'r-1',
      requestedBy: ALICE_ACTOR,
      approvalRequired: true,
      approvalTimeoutSeconds: 259200,
    });
    const described = await harness.sfnClient.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
    expect(described.status).toBe('RUNNING');

    const token = await harness.sfn.waitingTaskToken(execution.executionArn);
    const read = await send(api.read(sessionId));
    expect(read.body.session).toMatchObject({
      status: 'awaiting_approval',
      pendingTool: {
        toolCallId: RELEASE.id,
        tool: 'release_records',
        input: RELEASE.input,
        requestedBy: ALICE_ACTOR,
        approvalRequired: true,
        approverRoles: ['RecordsOfficer'],
      },
    });
    expect(JSON.stringify(read.body)).not.toContain(token);
    expect(JSON.stringify(read.body)).not.toContain('executionName');
  });

  test('a turn while the call waits is 409 SessionAwaiting and writes nothing', async () => {
    const { send, sessionId } = await awaitingApproval();
    // Once the workflow has stored its token, nothing else writes to the session until a decision.
    await harness.sfn.waitingTaskToken(executionOf(sessionId, 3, RELEASE.id).executionArn);
    const before = await harness.base.snapshot();
    const refused = await send(api.turn(sessionId, { requestId: 'r-2', message: 'Anything else?' }));
    expect(refused).toMatchObject({ statusCode: 409, body: { error: { code: 'SessionAwaiting', details: { status: 'awaiting_approval' } } } });
    expect(await harness.base.snapshot()).toBe(before);
  });

  test('approved: the decision is logged, the workflow runs the tool and resumes the turn, and the session is idle with a verified chain', async () => {
    const { model, send, sessionId } = await awaitingApproval({}, reply('Your two records were released.'));
    const execution = executionOf(sessionId, 3, RELEASE.id);
    await harness.sfn.waitingTaskToken(execution.executionArn);
    const released: unknown[] = [];
    const real = harness.functions.releaseRecords;
    harness.functions.releaseRecords = (input) => {
      released.push(input);
      return real(input);
    };

    harness.base.store.calls.reset();
    const approved = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: REASON }, OLIVIA));
    expect(harness.base.store.calls.counts).toEqual({ Query: 1, TransactWriteItems: 1 });

    expect(approved).toMatchObject({
      statusCode: 200,
      body: { sessionId, toolCallId: RELEASE.id, replayed: false, decision: { approved: true, approver: OLIVIA_ACTOR, reason: REASON } },
    });
    const done = await harness.sfn.finished(execution.executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '')).toEqual({ resumed: true, status: 'idle', version: 3, lastSeq: 6 });
    expect(released).toEqual([{ tool: 'release_records', toolCallId: RELEASE.id, input: RELEASE.input, tenant: 'agency-a', session: sessionId }]);

    const read = await send(api.read(sessionId));
    expect(read.body.session).toMatchObject({ status: 'idle', version: 3, lastSeq: 6 });
    expect(read.body.session).not.toHaveProperty('pendingTool');
    expect(shapes(read.body.events)).toEqual([
      [1, 'user', ALICE_ACTOR],
      [2, 'assistant', 'model'],
      [3, 'tool_call', 'model'],
      [4, 'approval', OLIVIA_ACTOR],
      [5, 'tool_result', 'tool:release_records'],
      [6, 'assistant', 'model'],
    ]);
    const [, , , approval, result, answer] = read.body.events;
    expect(approval.content).toBe(canonicalJson(approved.body.decision));
    expect(JSON.parse(result.content)).toEqual({
      ok: true,
      output: { releaseId: `T#agency-a#RELEASE#${sessionId}#${RELEASE.id}`, caseId: 'FOIA-4411', recordIds: ['REC-1', 'REC-2'], releasedAt: expect.any(String) },
    });
    // The release itself is recorded in the reference table by the real tool.
    const recorded = await harness.base.store.dynamodb.send(
      new GetItemCommand({ TableName: REFERENCE_TABLE, Key: { [REFERENCE_TABLE_SCHEMA.partitionKey.name]: { S: `T#agency-a#RELEASE#${sessionId}#${RELEASE.id}` } }, ConsistentRead: true }),
    );
    expect(recorded.Item?.toolCallId).toEqual({ S: RELEASE.id });
    expect(answer.content).toBe('Your two records were released.');
    expect(model.prompts[1].at(-1)).toEqual({ role: 'tool', toolCallId: RELEASE.id, content: result.content });
    expect((await send(api.verify(sessionId))).body).toEqual({ valid: true, events: 6 });

    // The request that asked now returns the finished turn.
    const retried = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Release my case file FOIA-4411.' }));
    expect(retried).toMatchObject({ statusCode: 200, body: { status: 'idle', replayed: true, reply: 'Your two records were released.', lastSeq: 6 } });
    // The call is no longer pending: another decision is refused.
    const late = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: false, reason: 'changed my mind' }, OLIVIA));
    expect(late).toMatchObject({ statusCode: 409, body: { error: { code: 'NoPendingApproval' } } });
  });

  test('denied: the tool never runs; the model is told and answers; the denial is in the log', async () => {
    const { send, sessionId } = await awaitingApproval({}, reply('The records officer denied the release.'));
    const execution = executionOf(sessionId, 3, RELEASE.id);
    await harness.sfn.waitingTaskToken(execution.executionArn);
    let runs = 0;
    harness.functions.releaseRecords = async () => ++runs;

    const denied = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: false, reason: 'Third-party data in REC-2.' }, OLIVIA));

    expect(denied).toMatchObject({ statusCode: 200, body: { decision: { approved: false } } });
    expect((await harness.sfn.finished(execution.executionArn)).status).toBe('SUCCEEDED');
    expect(runs).toBe(0);
    const events = await eventsOf(send, sessionId);
    expect(events.map((event) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'approval', 'tool_result', 'assistant']);
    expect(JSON.parse(events[4].content)).toEqual({ ok: false, error: 'denied', message: 'the approver denied the call' });
    expect(events[4].actor).toBe('orchestrator');
    expect((await send(api.read(sessionId))).body.session.status).toBe('idle');
    expect((await send(api.verify(sessionId))).body).toEqual({ valid: true, events: 6 });
  });

  test('no decision in time: the approval times out, the tool never runs, and the turn resumes with approval_timeout', async () => {
    const { send, sessionId } = await awaitingApproval({ slowStateMachineArn: SLOW_SHORT_APPROVAL }, reply('No records officer decided in time.'));
    const execution = executionOf(sessionId, 3, RELEASE.id, SLOW_SHORT_APPROVAL);

    expect((await harness.sfn.finished(execution.executionArn)).status).toBe('SUCCEEDED');

    const events = await eventsOf(send, sessionId);
    expect(events.map((event) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result', 'assistant']);
    expect(JSON.parse(events[3].content)).toMatchObject({ ok: false, error: 'approval_timeout' });
    expect((await send(api.read(sessionId))).body.session.status).toBe('idle');
    const late = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: REASON }, OLIVIA));
    expect(late).toMatchObject({ statusCode: 409, body: { error: { code: 'NoPendingApproval' } } });
  });

  test('a resume the budget cannot pay a model answer for still records the result and frees the session', async () => {
    const model = ScriptedModel.answering(reply('A records officer must approve the release first.', [RELEASE], { input: 60, output: 10 }));
    const { send } = harness.orchestrator(model);
    const sessionId = nextId('budget');
    await send(api.create({ sessionId, maxTokens: 100 }));
    expect((await send(api.turn(sessionId, { requestId: 'r-1', message: 'Release my case file FOIA-4411.' }))).statusCode).toBe(202);
    const execution = executionOf(sessionId, 3, RELEASE.id);
    await harness.sfn.waitingTaskToken(execution.executionArn);

    await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: REASON }, OLIVIA));

    expect(JSON.parse((await harness.sfn.finished(execution.executionArn)).output ?? '')).toMatchObject({ resumed: true, status: 'idle', lastSeq: 5 });
    expect(model.prompts).toHaveLength(1);
    const events = await eventsOf(send, sessionId);
    expect(events.map((event) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'approval', 'tool_result']);
  });

  test('the requester cannot approve their own call, in their role or as a records officer; a caller without the role cannot either', async () => {
    const { send, sessionId } = await awaitingApproval();
    await harness.sfn.waitingTaskToken(executionOf(sessionId, 3, RELEASE.id).executionArn);
    const before = await harness.base.snapshot();
    const decide = (caller: string) => send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: REASON }, caller));

    for (const requester of [ALICE, ALICE_AS_OFFICER]) {
      expect(await decide(requester)).toMatchObject({
        statusCode: 403,
        body: { error: { code: 'Forbidden', message: 'the requester cannot approve their own request' } },
      });
    }
    const noRole = await decide(ALVIN);
    expect(noRole).toMatchObject({ statusCode: 403, body: { error: { code: 'Forbidden' } } });
    expect(noRole.body.error.message).toContain('RecordsOfficer');
    // Another tenant cannot even see the session.
    expect(await decide(BOB)).toMatchObject({ statusCode: 404, body: { error: { code: 'SessionNotFound' } } });
    expect(await harness.base.snapshot()).toBe(before);
  });

  test('a decision before the workflow waits is 409 ApprovalNotReady (Retry-After); once it waits, the same decision goes through', async () => {
    const release = harness.holdApprovalWait();
    const { send, sessionId } = await awaitingApproval({}, reply('Released.'));
    const body = { toolCallId: RELEASE.id, approved: true, reason: REASON };

    const early = await send(api.approve(sessionId, body, OLIVIA));
    expect(early).toMatchObject({ statusCode: 409, headers: { 'Retry-After': '2' }, body: { error: { code: 'ApprovalNotReady', details: { toolCallId: RELEASE.id } } } });

    release();
    const execution = executionOf(sessionId, 3, RELEASE.id);
    await harness.sfn.waitingTaskToken(execution.executionArn);
    expect(await send(api.approve(sessionId, body, OLIVIA))).toMatchObject({ statusCode: 200, body: { replayed: false } });
    expect((await harness.sfn.finished(execution.executionArn)).status).toBe('SUCCEEDED');
  });

  test('a decision recorded but not delivered is sent again by a retry, which returns the stored decision', async () => {
    // The first attempt reaches a Step Functions endpoint that is down.
    const unreachable = new SFNClient({ ...harness.sfn.clientConfig(), endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const { send, sessionId, model } = await awaitingApproval({ decisions: new StepFunctionsDecisionSender({ client: unreachable }) }, reply('Released.'));
    const execution = executionOf(sessionId, 3, RELEASE.id);
    await harness.sfn.waitingTaskToken(execution.executionArn);

    const first = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: REASON }, OLIVIA));
    expect(first).toMatchObject({ statusCode: 502, body: { error: { code: 'ToolWorkflowError' } } });
    expect((await send(api.read(sessionId))).body.session.pendingTool.decision).toMatchObject({ approved: true, approver: OLIVIA_ACTOR });

    const retry = harness.orchestrator(model).send;
    const again = await retry(api.approve(sessionId, { toolCallId: RELEASE.id, approved: false, reason: 'a different answer' }, OLIVIA));
    expect(again).toMatchObject({ statusCode: 200, body: { replayed: true, decision: { approved: true, reason: REASON } } });
    expect((await harness.sfn.finished(execution.executionArn)).status).toBe('SUCCEEDED');
    expect((await eventsOf(retry, sessionId)).filter((event) => event.type === 'approval')).toHaveLength(1);
    unreachable.destroy();
  });

  test('a turn whose workflow could not start is 502 but committed; its retry starts the workflow once, and later retries start nothing new', async () => {
    const model = ScriptedModel.answering(reply('A records officer must approve the release first.', [RELEASE]), reply('Released.'));
    const broken = harness.orchestrator(model, { slowStateMachineArn: SLOW_MISSING });
    const sessionId = await newSession(broken.send);
    const message = 'Release my case file FOIA-4411.';

    const first = await broken.send(api.turn(sessionId, { requestId: 'r-1', message }));
    expect(first).toMatchObject({ statusCode: 502, body: { error: { code: 'ToolWorkflowError' } } });
    expect((await broken.send(api.read(sessionId))).body.session).toMatchObject({ status: 'awaiting_approval', lastSeq: 3 });

    const { send } = harness.orchestrator(model);
    for (let attempt = 0; attempt < 2; attempt++) {
      const retried = await send(api.turn(sessionId, { requestId: 'r-1', message }));
      expect(retried).toMatchObject({ statusCode: 202, body: { status: 'awaiting_approval', replayed: true, lastSeq: 3 } });
    }
    const name = executionNameFor('agency-a', sessionId, 3, RELEASE.id);
    expect(harness.sfn.executions(SLOW).filter((execution) => execution.name === name)).toHaveLength(1);
    expect(model.prompts).toHaveLength(1);

    const execution = executionOf(sessionId, 3, RELEASE.id);
    await harness.sfn.waitingTaskToken(execution.executionArn);
    await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: REASON }, OLIVIA));
    expect((await harness.sfn.finished(execution.executionArn)).status).toBe('SUCCEEDED');
  });

  test('two approvers at once: one decision is recorded and delivered, exactly one of them hears 200, the other a 409', async () => {
    const { send, sessionId } = await awaitingApproval({}, reply('Released.'));
    const execution = executionOf(sessionId, 3, RELEASE.id);
    await harness.sfn.waitingTaskToken(execution.executionArn);
    const oscar = OLIVIA.replace('/olivia', '/oscar');

    const answers = await Promise.all([
      send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: REASON }, OLIVIA)),
      send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: false, reason: 'Not without redactions.' }, oscar)),
    ]);

    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 409]);
    expect(['SessionBusy', 'ApprovalClosed', 'NoPendingApproval']).toContain(answers.find((answer) => answer.statusCode === 409)?.body.error.code);
    expect((await harness.sfn.finished(execution.executionArn)).status).toBe('SUCCEEDED');
    const approvals = (await eventsOf(send, sessionId)).filter((event) => event.type === 'approval');
    expect(approvals).toHaveLength(1);
    expect((await send(api.verify(sessionId))).body.valid).toBe(true);
  });

  test('an approval body is strict: unknown fields, a missing or over-long reason, a non-boolean decision are 400 and write nothing', async () => {
    const { send, sessionId } = await awaitingApproval();
    await harness.sfn.waitingTaskToken(executionOf(sessionId, 3, RELEASE.id).executionArn);
    const before = await harness.base.snapshot();
    const body = { toolCallId: RELEASE.id, approved: true, reason: REASON };
    const cases: [unknown, string][] = [
      [{ ...body, tenant: 'agency-b' }, 'body.tenant'],
      [{ ...body, approver: 'someone-else' }, 'body.approver'],
      [{ ...body, reason: '' }, 'body.reason'],
      [{ ...body, reason: '   ' }, 'body.reason'],
      [{ ...body, reason: 'x'.repeat(2001) }, 'body.reason'],
      [{ ...body, approved: 'yes' }, 'body.approved'],
      [{ approved: true, reason: REASON }, 'body.toolCallId'],
      [{ ...body, toolCallId: 'has spaces' }, 'body.toolCallId'],
    ];
    for (const [invalid, path] of cases) {
      const refused = await send(api.approve(sessionId, invalid, OLIVIA));
      expect(refused).toMatchObject({ statusCode: 400, body: { error: { code: 'ValidationError' } } });
      expect(refused.body.error.details.issues.map((issue: { path: string }) => issue.path)).toContain(path);
    }
    expect(await harness.base.snapshot()).toBe(before);
  });

  test('a resume the workflow repeats is a no-op', async () => {
    const { send, sessionId, orchestrator } = await awaitingApproval({}, reply('Released.'));
    const execution = executionOf(sessionId, 3, RELEASE.id);
    await harness.sfn.waitingTaskToken(execution.executionArn);
    await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: REASON }, OLIVIA));
    await harness.sfn.finished(execution.executionArn);
    const before = await harness.base.snapshot();

    const again = await createResumeHandler(orchestrator.deps)({
      kind: 'statehouse.resume',
      tenant: 'agency-a',
      session: sessionId,
      toolCallId: RELEASE.id,
      result: { ok: true, output: { released: 2 } },
    });

    expect(again).toEqual({ resumed: false, reason: 'not_pending' });
    expect(await harness.base.snapshot()).toBe(before);
  });
});

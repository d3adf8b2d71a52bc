import { canonicalJson } from '../../lambda/core/domain/canonical-json';
import { executionNameFor } from '../../lambda/core/domain/pending-tool';
import type { ToolCall } from '../../lambda/core/ports/model-backend';
import { reply, ScriptedModel } from '../lambda/core/support/scripted-model';
import { ALICE, ALICE_AS_OFFICER, api, OLIVIA, ROLE_A, ROLE_OFFICER } from '../lambda/orchestrator/support/api-events';
import { startSynthesizedRuntime, type OrchestratorFunction, type SynthesizedRuntime } from './support/synthesized-runtime';

/**
 * The tool loop of GovWest end to end: the session API through the real
 * orchestrator handler, both tool workflows exactly as synthesized (executed
 * by the local Step Functions endpoint), every Task served by the real
 * function code, moto for DynamoDB and S3. Only the model is scripted.
 * No assertion is about time.
 */
const TENANT = 'agency-a';
const REQUESTER = `${ROLE_A}#alice`;
const APPROVER = `${ROLE_OFFICER}#olivia`;

const RELEASE: ToolCall = {
  id: 'call-release',
  name: 'release_records',
  input: { caseId: 'FOIA-4411', recordIds: ['REC-1', 'REC-2'], justification: 'The requester asked for their own case file.' },
};
const DEADLINE: ToolCall = { id: 'call-deadline', name: 'compute_deadline', input: { startDate: '2026-11-20', businessDays: 10 } };
const releaseIdOf = (sessionId: string) => `T#${TENANT}#RELEASE#${sessionId}#${RELEASE.id}`;

let runtime: SynthesizedRuntime;
let serial = 0;

beforeAll(async () => {
  // GIVEN GovWest synthesized, its two workflows registered with the real function code, on moto
  runtime = await startSynthesizedRuntime('GovWest');
});

afterAll(async () => {
  await runtime?.stop();
});

async function newSession(orchestrator: OrchestratorFunction): Promise<string> {
  const sessionId = `e2e-${++serial}`;
  expect(await orchestrator.send(api.create({ sessionId }))).toMatchObject({ statusCode: 201, body: { session: { sessionId, status: 'idle' } } });
  return sessionId;
}

/** A turn in which the model asks for release_records: the API's answer and the Standard execution it started. */
async function releaseTurn(...after: ReturnType<typeof reply>[]) {
  const model = ScriptedModel.answering(reply('A records officer must approve the release first.', [RELEASE]), ...after);
  const orchestrator = runtime.orchestrator(model);
  const sessionId = await newSession(orchestrator);
  const turn = await orchestrator.send(api.turn(sessionId, { requestId: 'r-1', message: 'Release my case file FOIA-4411.' }));
  const name = executionNameFor(TENANT, sessionId, 3, RELEASE.id);
  const execution = runtime.sfn.executions(runtime.slowStateMachineArn).find((candidate) => candidate.name === name);
  return { model, orchestrator, sessionId, turn, execution };
}

const typesOf = (events: { type: string }[]) => events.map((event) => event.type);

describe('GovWest tool loop, end to end on the synthesized workflows', () => {
  test('approval: 202 and waiting; the requester cannot approve; a records officer approves; the tool runs and the turn resumes', async () => {
    // WHEN the model calls release_records in a turn
    const { model, orchestrator, sessionId, turn, execution } = await releaseTurn(reply('Your two records were released.'));
    const { send } = orchestrator;

    // THEN the turn answers 202, the session awaits approval, and the Standard execution runs
    expect(turn).toMatchObject({ statusCode: 202, body: { status: 'awaiting_approval', lastSeq: 3, toolCalls: [RELEASE] } });
    expect((await send(api.read(sessionId))).body.session).toMatchObject({ status: 'awaiting_approval', pendingTool: { toolCallId: RELEASE.id, requestedBy: REQUESTER } });
    expect(execution).toMatchObject({ status: 'RUNNING' });
    expect(JSON.parse(execution!.input)).toMatchObject({ tool: 'release_records', tenant: TENANT, session: sessionId, requestedBy: REQUESTER, approvalRequired: true });

    // AND the real approval-wait code stored the execution's task token on the session header
    const token = await runtime.sfn.waitingTaskToken(execution!.executionArn);
    expect((await runtime.header(TENANT, sessionId))?.pendingTool).toMatchObject({ toolCallId: RELEASE.id, taskToken: token });
    expect(runtime.invocations.approvalWait.at(-1)?.input).toEqual({ taskToken: token, tenant: TENANT, session: sessionId, toolCallId: RELEASE.id });
    // AND the synthesized `Notify approvers` state announced it on the topic before the wait: where, what and who, never the input
    const notices = (await runtime.approvalNotices()).filter((notice) => notice.attributes.session === sessionId);
    expect(notices).toEqual([
      {
        message: `Tool release_records (call ${RELEASE.id}) in session ${sessionId} of tenant ${TENANT} waits for approval, asked by ${REQUESTER}. See GET /approvals (statehouse approvals list) and decide with POST /sessions/${sessionId}/approvals. The call waits 259200 seconds.`,
        attributes: { tenant: TENANT, tool: 'release_records', session: sessionId },
      },
    ]);
    expect(notices[0].message).not.toContain('FOIA-4411');

    // WHEN the requester tries to approve (in her own role, and holding the approver role too)
    const before = await runtime.snapshot();
    for (const requester of [ALICE, ALICE_AS_OFFICER]) {
      const refused = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason: 'I approve my own request.' }, requester));
      // THEN it is 403, and nothing changed: no item, no record, the execution still waits on the same token
      expect(refused).toMatchObject({ statusCode: 403, body: { error: { code: 'Forbidden', message: 'the requester cannot approve their own request' } } });
    }
    expect(await runtime.snapshot()).toBe(before);
    expect(await runtime.sfn.waitingTaskToken(execution!.executionArn)).toBe(token);
    expect(runtime.sfn.executions(runtime.slowStateMachineArn).find((e) => e.name === execution!.name)?.status).toBe('RUNNING');

    // WHEN a records officer, another actor, approves with a reason
    const reason = 'The requester is the subject of these records; release is allowed under the statute.';
    const approved = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: true, reason }, OLIVIA));
    expect(approved).toMatchObject({ statusCode: 200, body: { sessionId, toolCallId: RELEASE.id, replayed: false, decision: { approved: true, approver: APPROVER, reason } } });

    // THEN the Standard workflow runs release-records, which records the release in the reference table
    const done = await runtime.sfn.finished(execution!.executionArn);
    expect(done).toMatchObject({ status: 'SUCCEEDED' });
    const releaseId = releaseIdOf(sessionId);
    expect(await runtime.referenceItem(releaseId)).toMatchObject({ releasedCaseId: 'FOIA-4411', recordIds: ['REC-1', 'REC-2'], toolCallId: RELEASE.id, tenant: TENANT });
    // AND it invoked the orchestrator with the resume event, the decision included
    expect(JSON.parse(done.output ?? '')).toMatchObject({ kind: 'statehouse.resume', tenant: TENANT, session: sessionId, toolCallId: RELEASE.id, result: { ok: true }, decision: approved.body.decision });

    // AND the session is idle, its log in the order the code writes it, the approval naming the approver and the reason
    const read = await send(api.read(sessionId));
    expect(read.body.session).toMatchObject({ status: 'idle', lastSeq: 6 });
    expect(read.body.session).not.toHaveProperty('pendingTool');
    const events = read.body.events;
    expect(events.map((event: { seq: number; type: string; actor: string }) => [event.seq, event.type, event.actor])).toEqual([
      [1, 'user', REQUESTER],
      [2, 'assistant', 'model'],
      [3, 'tool_call', 'model'],
      [4, 'approval', APPROVER],
      [5, 'tool_result', 'tool:release_records'],
      [6, 'assistant', 'model'],
    ]);
    expect(events[2]).toMatchObject({ toolCallId: RELEASE.id, toolName: RELEASE.name, content: canonicalJson(RELEASE.input) });
    expect(events[3].content).toBe(canonicalJson(approved.body.decision));
    expect(JSON.parse(events[3].content)).toMatchObject({ approved: true, approver: APPROVER, reason });
    expect(JSON.parse(events[4].content)).toEqual({
      ok: true,
      output: { releaseId, caseId: 'FOIA-4411', recordIds: ['REC-1', 'REC-2'], releasedAt: expect.any(String) },
    });
    expect(events[5].content).toBe('Your two records were released.');
    expect(model.prompts[1].at(-1)).toEqual({ role: 'tool', toolCallId: RELEASE.id, content: events[4].content });
    // AND the hash chain verifies through the API
    expect((await send(api.verify(sessionId))).body).toEqual({ valid: true, events: 6 });
  });

  test('denial: the tool never runs, the model sees denied, the session is idle', async () => {
    const { orchestrator, sessionId, turn, execution } = await releaseTurn(reply('The records officer denied the release.'));
    const { send } = orchestrator;
    expect(turn.statusCode).toBe(202);
    await runtime.sfn.waitingTaskToken(execution!.executionArn);
    const releasesBefore = runtime.invocations.releaseRecords.length;

    // WHEN the records officer denies the call
    const reason = 'REC-2 holds third-party data.';
    const denied = await send(api.approve(sessionId, { toolCallId: RELEASE.id, approved: false, reason }, OLIVIA));
    expect(denied).toMatchObject({ statusCode: 200, body: { decision: { approved: false, approver: APPROVER, reason } } });

    // THEN the workflow ends without running release-records: no invocation, no record
    expect((await runtime.sfn.finished(execution!.executionArn)).status).toBe('SUCCEEDED');
    expect(runtime.invocations.releaseRecords).toHaveLength(releasesBefore);
    expect(await runtime.referenceItem(releaseIdOf(sessionId))).toBeUndefined();
    // AND the model was told, as a tool_result error `denied` on the orchestrator's behalf
    const { body } = await send(api.read(sessionId));
    expect(body.session.status).toBe('idle');
    expect(typesOf(body.events)).toEqual(['user', 'assistant', 'tool_call', 'approval', 'tool_result', 'assistant']);
    expect(JSON.parse(body.events[3].content)).toMatchObject({ approved: false, approver: APPROVER, reason });
    expect(body.events[4].actor).toBe('orchestrator');
    expect(JSON.parse(body.events[4].content)).toEqual({ ok: false, error: 'denied', message: `${APPROVER} denied the call: ${reason}` });
    expect(body.events[5].content).toBe('The records officer denied the release.');
    expect((await send(api.verify(sessionId))).body).toEqual({ valid: true, events: 6 });
  });

  test('a fast tool inside the turn: compute_deadline through the synthesized Express workflow, 200 with the answer built on its output', async () => {
    const model = ScriptedModel.answering(reply('Let me compute that.', [DEADLINE]), reply('The response is due on 7 December 2026.'));
    const orchestrator = runtime.orchestrator(model);
    const sessionId = await newSession(orchestrator);
    const executionsBefore = runtime.sfn.executions(runtime.fastStateMachineArn).length;

    runtime.calls.reset();
    const turn = await orchestrator.send(api.turn(sessionId, { requestId: 'r-1', message: 'When is the response to FOIA-4411 due?' }));

    // THEN 200 with the model's final answer, the turn still one Query and one TransactWriteItems
    expect(turn).toMatchObject({ statusCode: 200, body: { status: 'idle', lastSeq: 5, reply: 'The response is due on 7 December 2026.', toolCalls: [DEADLINE] } });
    expect(runtime.calls.counts).toEqual({ Query: 1, TransactWriteItems: 1 });
    // AND one Express execution ran the real compute-deadline code: 10 business days after 20 Nov 2026, Thanksgiving skipped
    const executions = runtime.sfn.executions(runtime.fastStateMachineArn).slice(executionsBefore);
    expect(executions.map((execution) => execution.status)).toEqual(['SUCCEEDED']);
    const output = {
      ok: true,
      output: { startDate: '2026-11-20', businessDays: 10, deadline: '2026-12-07', holidaysSkipped: [{ date: '2026-11-26', name: 'Thanksgiving Day' }] },
    };
    expect(JSON.parse(executions[0].output ?? '')).toEqual(output);
    expect(runtime.invocations.computeDeadline.at(-1)?.input).toEqual({ input: DEADLINE.input, tenant: TENANT, session: sessionId, toolCallId: DEADLINE.id });
    // AND the model answered having seen that output as the tool's message
    expect(model.prompts).toHaveLength(2);
    const toolMessage = model.prompts[1].at(-1) as { role: string; toolCallId: string; content: string };
    expect(toolMessage).toMatchObject({ role: 'tool', toolCallId: DEADLINE.id });
    expect(JSON.parse(toolMessage.content)).toEqual(output);
    // AND the log holds the call and its result, and verifies
    const { body } = await orchestrator.send(api.read(sessionId));
    expect(body.events.map((event: { type: string; actor: string }) => [event.type, event.actor])).toEqual([
      ['user', REQUESTER],
      ['assistant', 'model'],
      ['tool_call', 'model'],
      ['tool_result', 'tool:compute_deadline'],
      ['assistant', 'model'],
    ]);
    expect(JSON.parse(body.events[3].content)).toEqual(output);
    expect((await orchestrator.send(api.verify(sessionId))).body).toEqual({ valid: true, events: 5 });
  });
});

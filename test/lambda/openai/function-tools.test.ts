import OpenAI from 'openai';
import { Agent, OpenAIResponsesModel, Runner, setTracingDisabled, tool } from '@openai/agents';
import { z } from 'zod';
import { handoffToolName } from '../../../lib/contract/agent';
import { canonicalJson } from '../../../lambda/core/domain/canonical-json';
import { genesisHash, verifyChain } from '../../../lambda/core/domain/hash-chain';
import { executionNameFor } from '../../../lambda/core/domain/pending-tool';
import type { ToolCall } from '../../../lambda/core/ports/model-backend';
import type { OrchestratorDeps } from '../../../lambda/orchestrator/orchestrator-deps';
import { agentDefinition, TEST_AGENT } from '../core/support/agents';
import { reply, ScriptedModel } from '../core/support/scripted-model';
import { BINDING, startScriptedGuardrail, type ScriptedGuardrail } from '../core/support/scripted-guardrail';
import { stateMachineArn } from '../core/support/tool-workflows';
import { StepFunctionsAgentLoop } from '../../../lambda/core/adapters/step-functions/agent-loop-starter';
import { ALICE, api, OLIVIA, ROLE_A } from '../orchestrator/support/api-events';
import { HARNESS_TOOLS, SLOW, startToolHarness, type ToolHarness } from '../orchestrator/support/tool-harness';
import { openAiFor } from './support/openai-transport';
import { createHandler } from '../../../lambda/orchestrator/handler';
import { parseResponse } from '../orchestrator/support/orchestrator-harness';

/**
 * Client-side function tools on `POST /v1/responses`, through the official
 * `openai` package and the OpenAI Agents SDK: the agent's own tools run in
 * the deployment (the real compute-deadline and release-records handlers on
 * their workflows), the client's functions are handed to the client as
 * `function_call` items, and their outputs come back as
 * `function_call_output` items. Sessions on moto; only the model (and the
 * guardrail) is scripted.
 */

let harness: ToolHarness;
let guardrail: ScriptedGuardrail;
let serial = 0;

/** An agent loop that never runs a round: a background request the session refuses never starts it. */
const LOOP = stateMachineArn('statehouse-function-tools-agent-loop');

beforeAll(async () => {
  harness = await startToolHarness();
  guardrail = await startScriptedGuardrail();
  harness.sfn.register(LOOP, { StartAt: 'Rounds', States: { Rounds: { Type: 'Wait', Seconds: 3600, End: true } } }, {}, { waitMs: 3_600_000 });
  setTracingDisabled(true);
});

afterAll(async () => {
  await guardrail?.stop();
  await harness?.stop();
});

const TENANT = 'agency-a';
const ALICE_ACTOR = `${ROLE_A}#alice`;

/** The client's function: it reads the intake form from the agency's own case system, which the deployment cannot reach. */
const FORM_TOOL = {
  type: 'function' as const,
  name: 'fetch_intake_form',
  description: "Reads a FOIA case's intake form from the case system.",
  parameters: { type: 'object', properties: { caseId: { type: 'string' } }, required: ['caseId'], additionalProperties: false },
  strict: true,
};
const FORM_CALL: ToolCall = { id: 'call-form-1', name: 'fetch_intake_form', input: { caseId: 'FOIA-4411' } };
const FORM_OUTPUT = '{"requester":"J. Doe","request":"my own case file"}';
const DEADLINE_CALL: ToolCall = { id: 'call-deadline', name: 'compute_deadline', input: { startDate: '2026-11-20', businessDays: 10 } };

const outputOf = (call: ToolCall, output: string) => ({ type: 'function_call_output' as const, call_id: call.id, output });
const key = () => `fn-${++serial}`;

function sessionOf(response: OpenAI.Responses.Response): string {
  return (response as unknown as { conversation: { id: string } }).conversation.id.slice('conv_'.length);
}

async function headerOf(session: string) {
  return (await harness.base.store.repository.load(TENANT, session, 0)).header;
}

async function eventsOf(session: string) {
  return (await harness.base.store.repository.readEvents(TENANT, session, { resolvePayloads: true })).events;
}

/** The deployment's deps with background turns on. */
function withLoop(deps: OrchestratorDeps): OrchestratorDeps {
  return { ...deps, loop: new StepFunctionsAgentLoop({ client: harness.sfnClient, stateMachineArn: LOOP }), background: { deadlineSeconds: 3600, maxRounds: 50 } };
}

/** A conversation whose last response handed these calls to the client: the session waits for their outputs. */
async function waitingOn(calls: readonly ToolCall[], ...after: ReturnType<typeof reply>[]) {
  const model = ScriptedModel.answering(reply('Let me read the forms.', [...calls]), ...after);
  const deps = withLoop(harness.orchestrator(model).deps);
  const openai = openAiFor(deps);
  const first = await openai.responses.create({ model: TEST_AGENT, input: 'What did the requesters ask for?', tools: [FORM_TOOL] }, { headers: { 'Idempotency-Key': key() } });
  expect(first.output.filter((item) => item.type === 'function_call').map((item) => (item as { call_id: string }).call_id)).toEqual(calls.map((call) => call.id));
  return { model, deps, openai, first, session: sessionOf(first) };
}

describe('the openai package: a function tool round trip', () => {
  test('a call of the client\'s function ends the response with its function_call item; its output, sent with previous_response_id, is the call\'s result', async () => {
    const model = ScriptedModel.answering(reply('', [FORM_CALL]), reply('The requester asked for their own case file.'));
    const { deps } = harness.orchestrator(model);
    const openai = openAiFor(deps);

    const first = await openai.responses.create({ model: TEST_AGENT, input: 'What did the requester of FOIA-4411 ask for?', tools: [FORM_TOOL] });

    expect(first.status).toBe('completed');
    expect(first.output).toEqual([{ type: 'function_call', id: 'fc_3', call_id: FORM_CALL.id, name: FORM_TOOL.name, arguments: canonicalJson(FORM_CALL.input), status: 'completed' }]);
    expect(first.output_text).toBe('');
    expect(first.tools).toEqual([{ type: 'function', name: FORM_TOOL.name, description: FORM_TOOL.description, parameters: FORM_TOOL.parameters, strict: true }]);
    // The model was offered the agent's own tools and the client's function after them.
    expect(model.toolLists[0]?.map((spec) => spec.name)).toEqual([...HARNESS_TOOLS, FORM_TOOL.name]);
    expect(model.toolLists[0]?.at(-1)).toEqual({ name: FORM_TOOL.name, description: FORM_TOOL.description, inputSchema: FORM_TOOL.parameters });
    const session = sessionOf(first);
    // The call is held on the session, durably: it takes no message until the call is answered.
    expect(await headerOf(session)).toMatchObject({ status: 'awaiting_client', clientCalls: [{ toolCallId: FORM_CALL.id, name: FORM_TOOL.name }] });

    const second = await openai.responses.create({ previous_response_id: first.id, input: [outputOf(FORM_CALL, FORM_OUTPUT)], tools: [FORM_TOOL] });

    expect(second).toMatchObject({ status: 'completed', output_text: 'The requester asked for their own case file.' });
    expect(sessionOf(second)).toBe(session);
    expect(model.prompts[1].slice(-2)).toEqual([
      { role: 'assistant', content: '', toolCalls: [FORM_CALL] },
      { role: 'tool', toolCallId: FORM_CALL.id, content: canonicalJson({ ok: true, output: FORM_OUTPUT }) },
    ]);
    // The call and its result are in the hash chain; the result is the client's, sent by alice.
    const events = await eventsOf(session);
    expect(events.map((event) => [event.seq, event.type, event.actor])).toEqual([
      [1, 'user', ALICE_ACTOR],
      [2, 'assistant', 'model'],
      [3, 'tool_call', 'model'],
      [4, 'tool_result', `client:${ALICE_ACTOR}`],
      [5, 'assistant', 'model'],
    ]);
    expect(verifyChain(events, genesisHash(TENANT, session))).toMatchObject({ ok: true });
    const header = await headerOf(session);
    expect(header.status).toBe('idle');
    expect(header).not.toHaveProperty('clientCalls');
    // Both responses read back as they were answered.
    await expect(openai.responses.retrieve(first.id)).resolves.toMatchObject({ status: 'completed', output: first.output });
    await expect(openai.responses.retrieve(second.id)).resolves.toMatchObject({ status: 'completed', output_text: second.output_text });
  });

  test('the same through a conversation: server-side calls of the same reply run in the deployment, and only the client\'s call is handed over; items list both', async () => {
    const model = ScriptedModel.answering(reply('Reading the form and computing the deadline.', [DEADLINE_CALL, FORM_CALL]), reply('Due 7 December 2026; the requester wants their case file.'));
    const { deps } = harness.orchestrator(model);
    const openai = openAiFor(deps);
    const ran: unknown[] = [];
    const real = harness.functions.computeDeadline;
    harness.functions.computeDeadline = (input) => {
      ran.push(input);
      return real(input);
    };
    const conversation = await openai.conversations.create({});

    const first = await openai.responses.create({ conversation: conversation.id, input: 'When is FOIA-4411 due, and what was asked?', tools: [FORM_TOOL] });
    harness.restoreToolFunctions();

    expect(first.output.map((item) => item.type)).toEqual(['message', 'function_call']);
    expect(first.output_text).toBe('Reading the form and computing the deadline.');
    expect(first.output[1]).toMatchObject({ call_id: FORM_CALL.id, name: FORM_TOOL.name });
    expect(ran).toHaveLength(1);
    const second = await openai.responses.create({ conversation: conversation.id, input: [outputOf(FORM_CALL, FORM_OUTPUT)], tools: [FORM_TOOL] });
    expect(second.output_text).toBe('Due 7 December 2026; the requester wants their case file.');

    const items = await openai.conversations.items.list(conversation.id);
    expect(items.data.map((item) => [item.type, (item as { role?: string }).role ?? (item as { call_id?: string }).call_id])).toEqual([
      ['message', 'user'],
      ['message', 'assistant'],
      ['function_call', DEADLINE_CALL.id],
      ['function_call', FORM_CALL.id],
      ['function_call_output', DEADLINE_CALL.id],
      ['function_call_output', FORM_CALL.id],
      ['message', 'assistant'],
    ]);
    // The client's output reads back as the client sent it; the agent's call with its arguments.
    expect(items.data[5]).toMatchObject({ type: 'function_call_output', output: FORM_OUTPUT });
    expect(items.data[3]).toMatchObject({ type: 'function_call', name: FORM_TOOL.name, arguments: canonicalJson(FORM_CALL.input) });
  });

  test("one wait at a time: a slow call or a handoff in the reply that hands calls to the client is refused to the model, and nothing else waits", async () => {
    const release: ToolCall = { id: 'call-release', name: 'release_records', input: { caseId: 'FOIA-4411', recordIds: ['REC-1'], justification: 'Asked for.' } };
    const handoff: ToolCall = { id: 'call-handoff', name: handoffToolName('billing'), input: {} };
    const model = ScriptedModel.answering(reply('', [release, FORM_CALL, handoff]));
    const agents = {
      defaultAgent: TEST_AGENT,
      agents: { [TEST_AGENT]: agentDefinition(TEST_AGENT, { tools: [...HARNESS_TOOLS], handoffs: ['billing'] }), billing: agentDefinition('billing') },
    };
    const { deps } = harness.orchestrator(model, { agents: { agents, modelFor: () => model } });
    const executions = harness.sfn.executions(SLOW).length;

    const first = await openAiFor(deps).responses.create({ model: TEST_AGENT, input: 'Release FOIA-4411 and read its form.', tools: [FORM_TOOL] });

    expect(first.output).toEqual([expect.objectContaining({ type: 'function_call', call_id: FORM_CALL.id })]);
    const header = await headerOf(sessionOf(first));
    expect(header).toMatchObject({ status: 'awaiting_client', agent: TEST_AGENT, clientCalls: [{ toolCallId: FORM_CALL.id }] });
    expect(header).not.toHaveProperty('pendingTool');
    expect(harness.sfn.executions(SLOW)).toHaveLength(executions);
    const results = (await eventsOf(sessionOf(first))).filter((event) => event.type === 'tool_result');
    expect(results.map((event) => [event.toolCallId, JSON.parse(event.content).message])).toEqual([
      [release.id, expect.stringMatching(/^slow tools wait while the client's functions \("fetch_intake_form"\) run; call "release_records" again once they have answered/)],
      [handoff.id, expect.stringMatching(/^the session cannot be handed over while the client's functions \("fetch_intake_form"\) run/)],
    ]);
  });

  test('stream: true streams the handed-over call as function_call events, even when the reply has no text', async () => {
    const model = ScriptedModel.answering(reply('', [FORM_CALL]));
    const { deps } = harness.orchestrator(model);
    const openai = openAiFor({ ...deps, streamText: () => undefined });

    const stream = await openai.responses.create({ model: TEST_AGENT, input: 'What was asked in FOIA-4411?', tools: [FORM_TOOL], stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);

    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const [, , added, delta, done, itemDone, completed] = events;
    const item = { type: 'function_call', id: 'fc_3', call_id: FORM_CALL.id, name: FORM_TOOL.name, arguments: canonicalJson(FORM_CALL.input), status: 'completed' };
    expect(added).toMatchObject({ output_index: 0, item: { ...item, arguments: '', status: 'in_progress' } });
    expect(delta).toMatchObject({ item_id: 'fc_3', output_index: 0, delta: item.arguments });
    expect(done).toMatchObject({ item_id: 'fc_3', output_index: 0, arguments: item.arguments });
    expect(itemDone).toMatchObject({ output_index: 0, item });
    expect(completed.type === 'response.completed' && completed.response.output).toEqual([item]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
  });

  test('a retry with the same Idempotency-Key returns the stored response and writes nothing, for the call and for its answer', async () => {
    const { model, openai, first } = await waitingOn([FORM_CALL], reply('They asked for their case file.'));
    const answerKey = key();
    const answer = await openai.responses.create({ previous_response_id: first.id, input: [outputOf(FORM_CALL, FORM_OUTPUT)] }, { headers: { 'Idempotency-Key': answerKey } });
    const before = await harness.base.snapshot();
    const prompts = model.prompts.length;

    const retried = await openai.responses.create({ previous_response_id: first.id, input: [outputOf(FORM_CALL, FORM_OUTPUT)] }, { headers: { 'Idempotency-Key': answerKey } });

    expect(retried).toMatchObject({ id: answer.id, status: 'completed', output_text: 'They asked for their case file.' });
    expect(model.prompts).toHaveLength(prompts);
    expect(await harness.base.snapshot()).toBe(before);
    // The same key with other outputs is another request: refused, nothing written.
    const reused = await openai.responses
      .create({ previous_response_id: first.id, input: [outputOf(FORM_CALL, 'something else')] }, { headers: { 'Idempotency-Key': answerKey } })
      .catch((error: unknown) => error);
    expect(reused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((reused as Error).message).toMatch(/was already used for a different message/);
    expect(await harness.base.snapshot()).toBe(before);
  });

  test('the agent goes on from the outputs as from a message: it may hand the client another call, and a retry of the first answer is still its stored response', async () => {
    const second: ToolCall = { id: 'call-form-2', name: FORM_TOOL.name, input: { caseId: 'FOIA-4412' } };
    const { model, openai, first, session } = await waitingOn([FORM_CALL], reply('The requester mentions FOIA-4412 too.', [second]), reply('Both ask for case files.'));
    const answerKey = key();
    const answer = await openai.responses.create({ previous_response_id: first.id, input: [outputOf(FORM_CALL, FORM_OUTPUT)], tools: [FORM_TOOL] }, { headers: { 'Idempotency-Key': answerKey } });
    expect(answer.output.map((item) => item.type)).toEqual(['message', 'function_call']);
    expect(await headerOf(session)).toMatchObject({ status: 'awaiting_client', clientCalls: [{ toolCallId: second.id }] });
    const before = await harness.base.snapshot();

    const retried = await openai.responses.create({ previous_response_id: first.id, input: [outputOf(FORM_CALL, FORM_OUTPUT)], tools: [FORM_TOOL] }, { headers: { 'Idempotency-Key': answerKey } });

    expect(retried).toMatchObject({ id: answer.id, output: answer.output });
    expect(await harness.base.snapshot()).toBe(before);
    const last = await openai.responses.create({ previous_response_id: answer.id, input: [outputOf(second, '{"request":"the appeal file"}')], tools: [FORM_TOOL] });
    expect(last.output_text).toBe('Both ask for case files.');
    expect(model.prompts).toHaveLength(3);
    const events = await eventsOf(session);
    expect(events.map((event) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result', 'assistant', 'tool_call', 'tool_result', 'assistant']);
    expect(verifyChain(events, genesisHash(TENANT, session))).toMatchObject({ ok: true });
  });

  test('the retry of the response that handed the calls over is answered with it, not refused as a message while calls wait', async () => {
    const model = ScriptedModel.answering(reply('', [FORM_CALL]));
    const { deps } = harness.orchestrator(model);
    const openai = openAiFor(deps);
    const request = { model: TEST_AGENT, input: 'What was asked in FOIA-4411?', tools: [FORM_TOOL] };
    const idempotency = { headers: { 'Idempotency-Key': key() } };
    const first = await openai.responses.create(request, idempotency);
    const before = await harness.base.snapshot();

    const retried = await openai.responses.create(request, idempotency);

    expect(retried).toMatchObject({ id: first.id, status: 'completed', output: first.output });
    expect(model.prompts).toHaveLength(1);
    expect(await harness.base.snapshot()).toBe(before);
  });

  test("the client's output goes through the agent's guardrail like any tool result: masked before the model sees it, the intervention in the chain", async () => {
    const model = ScriptedModel.answering(reply('', [FORM_CALL]), reply('The requester wants their case file.'));
    const agents = { defaultAgent: TEST_AGENT, agents: { [TEST_AGENT]: agentDefinition(TEST_AGENT, { tools: [...HARNESS_TOOLS], guardrail: BINDING }) } };
    const { deps } = harness.orchestrator(model, { agents: { agents, modelFor: () => model } });
    const guarded: OrchestratorDeps = { ...deps, guardrailFor: () => guardrail.guardrail() };
    const openai = openAiFor(guarded);
    const first = await openai.responses.create({ model: TEST_AGENT, input: 'What was asked in FOIA-4411?', tools: [FORM_TOOL] });

    await openai.responses.create({ previous_response_id: first.id, input: [outputOf(FORM_CALL, 'Write to j.doe@example.gov with the file.')] });

    const masked = canonicalJson({ ok: true, output: 'Write to {EMAIL} with the file.' });
    expect(model.prompts[1].at(-1)).toEqual({ role: 'tool', toolCallId: FORM_CALL.id, content: masked });
    const events = await eventsOf(sessionOf(first));
    expect(events.slice(3).map((event) => [event.type, event.toolCallId])).toEqual([
      ['tool_result', FORM_CALL.id],
      ['guardrail', FORM_CALL.id],
      ['assistant', undefined],
    ]);
    expect(events[3].content).toBe(masked);
    expect(verifyChain(events, genesisHash(TENANT, sessionOf(first)))).toMatchObject({ ok: true });
  });

  test('a slow call the model makes after the outputs waits for its approval; the resumed turn completes the response that answered the calls', async () => {
    const release: ToolCall = { id: 'call-release', name: 'release_records', input: { caseId: 'FOIA-4411', recordIds: ['REC-1'], justification: 'The requester asked for their own case file.' } };
    const { openai, first, session } = await waitingOn(
      [FORM_CALL],
      reply('A records officer must approve the release.', [release]),
      reply('The case file was released to the requester.'),
    );
    const answerKey = key();
    const answered = await openai.responses.create({ previous_response_id: first.id, input: [outputOf(FORM_CALL, FORM_OUTPUT)] }, { headers: { 'Idempotency-Key': answerKey } });
    expect(answered.status).toBe('in_progress');
    // The approval, through the session API, and the workflow's resume of the turn.
    const { send } = harness.orchestrator(ScriptedModel.answering(reply('The case file was released to the requester.')));
    const execution = harness.sfn.executions(SLOW).find((candidate) => candidate.name === executionNameFor(TENANT, session, 6, release.id));
    await harness.sfn.waitingTaskToken(execution!.executionArn);
    const approval = await send(api.approve(session, { toolCallId: release.id, approved: true, reason: 'The requester is the subject of the records.' }, OLIVIA));
    expect(approval.statusCode).toBe(200);
    expect((await harness.sfn.finished(execution!.executionArn)).status).toBe('SUCCEEDED');

    // The response that answered the calls is the turn that waited: its messages before and after the approval.
    const messages = ['A records officer must approve the release.', 'The case file was released to the requester.'];
    const texts = (response: OpenAI.Responses.Response) => response.output.map((item) => (item.type === 'message' ? item.content.map((part) => (part.type === 'output_text' ? part.text : '')).join('') : item.type));
    const retrieved = await openai.responses.retrieve(answered.id);
    expect(retrieved.status).toBe('completed');
    expect(texts(retrieved)).toEqual(messages);
    const retried = await openai.responses.create({ previous_response_id: first.id, input: [outputOf(FORM_CALL, FORM_OUTPUT)] }, { headers: { 'Idempotency-Key': answerKey } });
    expect(retried).toMatchObject({ id: answered.id, status: 'completed' });
    expect(texts(retried)).toEqual(messages);
  });
});

describe('the OpenAI Agents SDK: a Runner over an OpenAIResponsesModel runs the function tool itself', () => {
  test('in a conversation: the SDK runs the tool on the handed-over call and sends its output back, and the agent answers from it', async () => {
    const model = ScriptedModel.answering(reply('', [FORM_CALL]), reply('The requester asked for their own case file.'));
    const { deps } = harness.orchestrator(model);
    const sent: Record<string, unknown>[] = [];
    const openai = openAiFor(deps, ALICE, { onRequest: (body) => sent.push(body) });
    const calledWith: unknown[] = [];
    const fetchIntakeForm = tool({
      name: FORM_TOOL.name,
      description: FORM_TOOL.description,
      parameters: z.object({ caseId: z.string() }),
      execute: async (input) => {
        calledWith.push(input);
        return FORM_OUTPUT;
      },
    });
    const agent = new Agent({ name: 'caseworker', model: new OpenAIResponsesModel(openai, TEST_AGENT), tools: [fetchIntakeForm] });
    const conversation = await openai.conversations.create({});

    const result = await new Runner().run(agent, 'What did the requester of FOIA-4411 ask for?', { conversationId: conversation.id });

    expect(result.finalOutput).toBe('The requester asked for their own case file.');
    expect(calledWith).toEqual([FORM_CALL.input]);
    // What the SDK sent: the message, then only the output, in the same conversation, with its tool each time.
    const responses = sent.filter((body) => 'input' in body);
    expect(responses).toHaveLength(2);
    expect(responses[1]).toMatchObject({ conversation: conversation.id, input: [{ type: 'function_call_output', call_id: FORM_CALL.id, output: FORM_OUTPUT }] });
    expect(responses.map((body) => (body.tools as { name: string }[]).map((spec) => spec.name))).toEqual([[FORM_TOOL.name], [FORM_TOOL.name]]);
    expect(model.prompts[1].at(-1)).toEqual({ role: 'tool', toolCallId: FORM_CALL.id, content: canonicalJson({ ok: true, output: FORM_OUTPUT }) });
  });

  test('with previousResponseId: the next run chains from the last response of the tool run', async () => {
    const model = ScriptedModel.answering(reply('FOIA-4411 is open.'), reply('', [FORM_CALL]), reply('They asked for their case file.'));
    const { deps } = harness.orchestrator(model);
    const openai = openAiFor(deps);
    const fetchIntakeForm = tool({ name: FORM_TOOL.name, description: FORM_TOOL.description, parameters: z.object({ caseId: z.string() }), execute: async () => FORM_OUTPUT });
    const agent = new Agent({ name: 'caseworker', model: new OpenAIResponsesModel(openai, TEST_AGENT), tools: [fetchIntakeForm] });
    const runner = new Runner();

    const opened = await runner.run(agent, 'Is FOIA-4411 open?');
    const asked = await runner.run(agent, 'What did its requester ask for?', { previousResponseId: opened.lastResponseId });

    expect(asked.finalOutput).toBe('They asked for their case file.');
    expect(model.prompts[2].map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'tool']);
  });

  test('without a conversation or previous response the SDK resends the history with the call: refused, with what to do instead', async () => {
    const model = ScriptedModel.answering(reply('', [FORM_CALL]));
    const { deps } = harness.orchestrator(model);
    const fetchIntakeForm = tool({ name: FORM_TOOL.name, description: FORM_TOOL.description, parameters: z.object({ caseId: z.string() }), execute: async () => FORM_OUTPUT });
    const agent = new Agent({ name: 'caseworker', model: new OpenAIResponsesModel(openAiFor(deps), TEST_AGENT), tools: [fetchIntakeForm] });

    const failure = await new Runner().run(agent, 'What was asked in FOIA-4411?').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as Error).message).toMatch(/continue a conversation with previous_response_id or conversation/);
  });
});

describe('bad inputs are a 400 that names what is wrong, and write nothing', () => {
  const TWO = [FORM_CALL, { ...FORM_CALL, id: 'call-form-2', input: { caseId: 'FOIA-4412' } }];

  test.each<[string, (first: string) => Record<string, unknown>, RegExp]>([
    ['an unknown call id', (first) => ({ previous_response_id: first, input: [outputOf(TWO[0], 'a'), outputOf(TWO[1], 'b'), { ...outputOf(TWO[0], 'c'), call_id: 'call-nope' }] }), /input: the conversation waits for no function calls "call-nope"; it waits for the outputs of "call-form-1", "call-form-2"/],
    ['a missing output', (first) => ({ previous_response_id: first, input: [outputOf(TWO[0], 'a')] }), /input: holds no output for the function calls "call-form-2"/],
    ['two outputs for one call', (first) => ({ previous_response_id: first, input: [outputOf(TWO[0], 'a'), outputOf(TWO[0], 'b'), outputOf(TWO[1], 'c')] }), /input: holds more than one output for the function calls "call-form-1"/],
    ['a message while calls wait', (first) => ({ previous_response_id: first, input: 'And the deadline?' }), /input: session is awaiting_client: it waits for the outputs of the client's function calls "call-form-1", "call-form-2"/],
    ['a background message while calls wait', (first) => ({ previous_response_id: first, input: 'And the deadline?', background: true }), /input: session is awaiting_client/],
    ['a message beside the outputs', (first) => ({ previous_response_id: first, input: [outputOf(TWO[0], 'a'), outputOf(TWO[1], 'b'), { role: 'user', content: 'Thanks.' }] }), /must be one user message, or the function_call_output items/],
    ['the array form of an output', (first) => ({ previous_response_id: first, input: [{ ...outputOf(TWO[0], ''), output: [{ type: 'input_text', text: 'a' }] }, outputOf(TWO[1], 'b')] }), /output: must be a string: the array form/],
    ['a function_call sent back', (first) => ({ previous_response_id: first, input: [{ type: 'function_call', call_id: TWO[0].id, name: FORM_TOOL.name, arguments: '{}' }] }), /input\.0\.type: must be a user message or a function_call_output/],
    ['outputs in the background', (first) => ({ previous_response_id: first, input: [outputOf(TWO[0], 'a'), outputOf(TWO[1], 'b')], background: true }), /background: client-side function tools are served in the foreground only/],
    ['a function named as an agent tool', (first) => ({ previous_response_id: first, input: [outputOf(TWO[0], 'a'), outputOf(TWO[1], 'b')], tools: [{ ...FORM_TOOL, name: 'compute_deadline' }] }), /tools\[0\]\.name: "compute_deadline" is the name of a tool of the agent assistant/],
  ])('%s', async (_case, body, message) => {
    const { openai, first } = await waitingOn(TWO);
    const before = await harness.base.snapshot();

    const failure = await openai.responses.create(body(first.id) as never).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as Error).message).toMatch(message);
    expect(await harness.base.snapshot()).toBe(before);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['a function named as an agent tool, in a new conversation', { model: TEST_AGENT, input: 'x', tools: [{ ...FORM_TOOL, name: 'release_records' }] }, /tools\[0\]\.name: "release_records" is the name of a tool of the agent assistant/],
    ['two functions of one name', { model: TEST_AGENT, input: 'x', tools: [FORM_TOOL, FORM_TOOL] }, /tools\[1\]\.name: "fetch_intake_form" names two functions/],
    ['a function name OpenAI would refuse', { model: TEST_AGENT, input: 'x', tools: [{ ...FORM_TOOL, name: 'fetch intake form' }] }, /tools\.0\.name: must be 1 to 64 letters, digits/],
    ['a hosted tool', { model: TEST_AGENT, input: 'x', tools: [FORM_TOOL, { type: 'file_search', vector_store_ids: ['vs_1'] }] }, /tools\.1\.type: "file_search" tools are not served/],
    ['a field of a function tool this deployment does not serve', { model: TEST_AGENT, input: 'x', tools: [{ ...FORM_TOOL, defer_loading: true }] }, /tools\.0\.defer_loading: is not a field of this request/],
    ['tool_choice: required', { model: TEST_AGENT, input: 'x', tools: [FORM_TOOL], tool_choice: 'required' }, /tool_choice: only "auto" is served/],
    ['parallel_tool_calls: false', { model: TEST_AGENT, input: 'x', tools: [FORM_TOOL], parallel_tool_calls: false }, /parallel_tool_calls: only true is served/],
    ['tools in the background', { model: TEST_AGENT, input: 'x', tools: [FORM_TOOL], background: true }, /background: client-side function tools are served in the foreground only/],
    ['outputs without a conversation', { model: TEST_AGENT, input: [outputOf(FORM_CALL, 'a')] }, /input: function_call_output items answer the calls of a conversation/],
    ['too many functions', { model: TEST_AGENT, input: 'x', tools: Array.from({ length: 129 }, (_, index) => ({ ...FORM_TOOL, name: `f${index}` })) }, /tools: may declare at most 128 functions/],
  ])('%s', async (_case, body, message) => {
    const { deps } = harness.orchestrator(ScriptedModel.answering());
    const before = await harness.base.snapshot();

    const failure = await openAiFor(deps).responses.create(body as never).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as Error).message).toMatch(message);
    expect(await harness.base.snapshot()).toBe(before);
  });

  test('outputs for a conversation that waits for none are refused by their ids', async () => {
    const { deps } = harness.orchestrator(ScriptedModel.answering(reply('FOIA-4411 is open.')));
    const openai = openAiFor(deps);
    const first = await openai.responses.create({ model: TEST_AGENT, input: 'Is FOIA-4411 open?' });
    const before = await harness.base.snapshot();

    const failure = await openai.responses.create({ previous_response_id: first.id, input: [outputOf(FORM_CALL, 'a')] }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as Error).message).toMatch(/the conversation waits for no function call outputs; "call-form-1" answer no call it handed over/);
    expect(await harness.base.snapshot()).toBe(before);
  });
});

describe("the session API on a session that waits for the client's calls", () => {
  test('a turn is 409 SessionAwaiting naming the calls, in both modes; the session reads as awaiting_client; nothing is written', async () => {
    const { deps, session } = await waitingOn([FORM_CALL]);
    const send = async (event: Parameters<ReturnType<typeof createHandler>>[0]) => parseResponse(await createHandler(deps)(event));
    const before = await harness.base.snapshot();

    const turn = await send(api.turn(session, { requestId: key(), message: 'And the deadline?' }));
    const background = await send(api.turn(session, { requestId: key(), message: 'And the deadline?', mode: 'background' }));

    for (const refused of [turn, background]) {
      expect(refused).toMatchObject({
        statusCode: 409,
        body: { error: { code: 'SessionAwaiting', details: { status: 'awaiting_client', clientCallIds: [FORM_CALL.id] } } },
      });
      expect(refused.body.error.message).toMatch(/waits for the outputs of the client's function calls "call-form-1"/);
    }
    expect(await harness.base.snapshot()).toBe(before);
    const read = await send(api.read(session));
    expect(read.body.session).toMatchObject({ status: 'awaiting_client', clientCalls: [{ toolCallId: FORM_CALL.id, name: FORM_TOOL.name }] });
    expect((await send(api.verify(session))).body).toEqual({ valid: true, events: 3 });
  });
});

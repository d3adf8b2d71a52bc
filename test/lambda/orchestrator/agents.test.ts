import { delegateToolName, handoffToolName, type AgentDefinition } from '../../../lib/contract/agent';
import { sealEvents } from '../../../lambda/core/domain/hash-chain';
import { newSessionHeader } from '../../../lambda/core/domain/session-header';
import { headerUpdateFor } from '../../../lambda/core/domain/turn-plan';
import type { ToolCall } from '../../../lambda/core/ports/model-backend';
import { agentDefinition, team } from '../core/support/agents';
import { reply, ScriptedModel } from '../core/support/scripted-model';
import { api, ROLE_A } from './support/api-events';
import type { ApiResponse } from './support/orchestrator-harness';
import { FAST, SLOW, startToolHarness, type ToolHarness } from './support/tool-harness';

/**
 * Agents through the orchestrator: sessions created for an agent, turns run
 * with its instructions, model and tools, delegates inside the turn and the
 * chain, handoffs between turns. Real storage on moto, real fast tools through
 * the local Step Functions endpoint; only the models are scripted, one per agent.
 */
let harness: ToolHarness;
let serial = 0;

beforeAll(async () => {
  harness = await startToolHarness();
});

afterAll(async () => {
  await harness?.stop();
});

const INTAKE = agentDefinition('intake', {
  description: 'Takes FOIA requests.',
  instructions: 'You are the FOIA intake agent of the agency.',
  tools: ['compute_deadline', 'release_records'],
  delegates: ['research'],
  handoffs: ['billing'],
});
const RESEARCH = agentDefinition('research', {
  description: 'Finds what the agency holds on a case.',
  instructions: 'You research case records and answer in one sentence.',
  tools: ['compute_deadline'],
  delegates: ['research'],
});
const BILLING = agentDefinition('billing', {
  description: 'Answers questions about FOIA fees.',
  instructions: 'You answer questions about FOIA fees.',
});

interface Models {
  readonly intake: ScriptedModel;
  readonly research?: ScriptedModel;
  readonly billing?: ScriptedModel;
}

/** The handler for a deployment of the three agents, each on its own scripted model. */
function deployment(models: Models, research: Partial<AgentDefinition> = {}) {
  const unused = () => ScriptedModel.answering();
  const agents = team('intake', [
    [INTAKE, models.intake],
    [{ ...RESEARCH, ...research }, models.research ?? unused()],
    [BILLING, models.billing ?? unused()],
  ]);
  return harness.orchestrator(models.intake, { agents }).send;
}

type Send = ReturnType<typeof deployment>;

async function newSession(send: Send, body: Record<string, unknown> = {}): Promise<string> {
  const sessionId = `agents-${++serial}`;
  const created = await send(api.create({ sessionId, ...body }));
  expect(created.statusCode).toBe(201);
  return sessionId;
}

const ask = (id: string, request: string, agent = 'research'): ToolCall => ({ id, name: delegateToolName(agent), input: { request } });
const deadline = (id: string): ToolCall => ({ id, name: 'compute_deadline', input: { startDate: '2026-11-20', businessDays: 10 } });
const systemPromptOf = (model: ScriptedModel, call: number) => model.prompts[call][0];
const toolNames = (model: ScriptedModel, call: number) => model.toolLists[call]?.map((tool) => tool.name);
const resultContent = (events: ApiResponse['body']['events'], toolCallId: string) =>
  JSON.parse(events.find((event: { type: string; toolCallId?: string }) => event.type === 'tool_result' && event.toolCallId === toolCallId).content);

describe('a session belongs to one agent', () => {
  test('two agents on two models: each is asked with its own instructions and tools, and a session keeps its agent', async () => {
    const models = { intake: ScriptedModel.answering(reply('Intake here.')), billing: ScriptedModel.answering(reply('Fees are waived.'), reply('Still waived.')) };
    const send = deployment(models);
    const withIntake = await newSession(send);
    const withBilling = await newSession(send, { agent: 'billing' });

    await send(api.turn(withIntake, { requestId: 'r-1', message: 'I want my case file.' }));
    await send(api.turn(withBilling, { requestId: 'r-1', message: 'What will it cost?' }));
    const second = await send(api.turn(withBilling, { requestId: 'r-2', message: 'And next year?' }));

    expect(systemPromptOf(models.intake, 0)).toEqual({ role: 'system', content: INTAKE.instructions });
    expect(toolNames(models.intake, 0)).toEqual(['compute_deadline', 'release_records', 'ask_research', 'handoff_to_billing']);
    expect(models.billing.prompts.map((prompt) => prompt[0])).toEqual([
      { role: 'system', content: BILLING.instructions },
      { role: 'system', content: BILLING.instructions },
    ]);
    // Billing has no tools, delegates or handoffs: it is offered none.
    expect(models.billing.toolLists).toEqual([undefined, undefined]);
    expect(second.body.reply).toBe('Still waived.');

    const read = await send(api.read(withBilling));
    expect(read.body.session).toMatchObject({ sessionId: withBilling, agent: 'billing' });
    expect(read.body.events.map((event: { agent: string; agentVersion: string }) => [event.agent, event.agentVersion])).toEqual(
      Array(4).fill(['billing', 'billing-v1']),
    );
    expect((await send(api.read(withIntake))).body.session.agent).toBe('intake');
  });

  test('an unknown agent is a 400 naming the known ones, and writes nothing', async () => {
    const send = deployment({ intake: ScriptedModel.answering() });
    const before = await harness.base.snapshot();

    const unknown = await send(api.create({ sessionId: 'agents-unknown', agent: 'legal' }));
    const malformed = await send(api.create({ sessionId: 'agents-malformed', agent: 'Legal Team' }));

    expect(unknown).toMatchObject({ statusCode: 400, body: { error: { code: 'ValidationError' } } });
    expect(unknown.body.error.message).toBe('agent: "legal" is not an agent of this deployment; its agents are intake, research, billing');
    expect(malformed).toMatchObject({ statusCode: 400, body: { error: { code: 'ValidationError' } } });
    expect(await harness.base.snapshot()).toBe(before);
  });

  test('a session from before agents belongs to the default agent: it loads, verifies, and takes turns with it', async () => {
    const models = { intake: ScriptedModel.answering(reply('Welcome back.')) };
    const send = deployment(models);
    const sessionId = `agents-legacy-${++serial}`;
    // A header and a turn as they were written before agents: no agent on either, none in the hashes.
    const owner = `${ROLE_A}#alice`;
    const { agent: _none, ...header } = newSessionHeader({ tenant: 'agency-a', session: sessionId, owner, agent: 'unused', maxTokens: 100_000, ttlSeconds: 3600, now: new Date() });
    await harness.base.store.repository.create('agency-a', sessionId, header);
    const time = new Date().toISOString();
    const old = sealEvents(
      [
        { seq: 1, type: 'user', content: 'Hello.', tokens: 2, actor: owner, time },
        { seq: 2, type: 'assistant', content: 'Hello, how can I help?', tokens: 6, actor: 'model', time },
      ],
      header.lastHash,
    );
    await harness.base.store.repository.commitTurn('agency-a', sessionId, 0, old, headerUpdateFor(header, { events: old, usage: { input: 5, output: 6 } }, undefined, new Date(), 3600));

    expect((await send(api.read(sessionId))).body.session.agent).toBe('intake');
    expect((await send(api.verify(sessionId))).body).toEqual({ valid: true, events: 2 });
    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Hello again.' }));

    expect(turn).toMatchObject({ statusCode: 200, body: { reply: 'Welcome back.' } });
    expect(models.intake.prompts[0]).toEqual([
      { role: 'system', content: INTAKE.instructions },
      { role: 'user', content: 'Hello.' },
      { role: 'assistant', content: 'Hello, how can I help?' },
      { role: 'user', content: 'Hello again.' },
    ]);
    // The first turn with agents records the agent it ran, so a later change of default does not move the session.
    expect((await harness.base.store.repository.load('agency-a', sessionId, 0)).header.agent).toBe('intake');
    expect((await send(api.verify(sessionId))).body).toEqual({ valid: true, events: 4 });
  });
});

describe('delegates run inside the turn', () => {
  test("a delegate call runs the delegate on its own model, in the same chain; the turn is still 1 Query and 1 TransactWriteItems", async () => {
    const models = {
      intake: ScriptedModel.answering(reply('Let me ask research.', [ask('c1', 'When is case 4411 due?')]), reply('Case 4411 is due on 7 December 2026.')),
      research: ScriptedModel.answering(reply('Computing.', [deadline('d1')]), reply('Due 7 December 2026.', [], { input: 30, output: 6 })),
    };
    const send = deployment(models);
    const sessionId = await newSession(send);
    const fastRuns = harness.sfn.executions(FAST).length;

    harness.base.store.calls.reset();
    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'When must the agency answer on case 4411?' }));

    expect(harness.base.store.calls.counts).toEqual({ Query: 1, TransactWriteItems: 1 });
    expect(harness.sfn.executions(FAST)).toHaveLength(fastRuns + 1);
    expect(turn).toMatchObject({
      statusCode: 200,
      body: { status: 'idle', reply: 'Case 4411 is due on 7 December 2026.', toolCalls: [ask('c1', 'When is case 4411 due?')], usage: { input: 60, output: 21 } },
    });
    // Four model calls: the caller, the delegate twice (around its fast tool), the caller again.
    expect([models.intake.prompts.length, models.research.prompts.length]).toEqual([2, 2]);
    // The delegate sees its instructions and the request: nothing of the session or its caller's instructions.
    expect(models.research.prompts[0]).toEqual([
      { role: 'system', content: RESEARCH.instructions },
      { role: 'user', content: 'When is case 4411 due?' },
    ]);
    expect(toolNames(models.research, 0)).toEqual(['compute_deadline', 'ask_research']);
    expect(models.intake.prompts[1].at(-1)).toEqual({ role: 'tool', toolCallId: 'c1', content: '{"ok":true,"output":"Due 7 December 2026."}' });

    const { events } = (await send(api.read(sessionId))).body;
    expect(events.map((event: Record<string, unknown>) => [event.seq, event.type, event.actor, event.agent, event.delegationDepth])).toEqual([
      [1, 'user', `${ROLE_A}#alice`, 'intake', undefined],
      [2, 'assistant', 'model', 'intake', undefined],
      [3, 'tool_call', 'model', 'intake', undefined],
      [4, 'user', 'agent:intake', 'research', 1],
      [5, 'assistant', 'model', 'research', 1],
      [6, 'tool_call', 'model', 'research', 1],
      [7, 'tool_result', 'tool:compute_deadline', 'research', 1],
      [8, 'assistant', 'model', 'research', 1],
      [9, 'tool_result', 'agent:research', 'intake', undefined],
      [10, 'assistant', 'model', 'intake', undefined],
    ]);
    expect((await send(api.verify(sessionId))).body).toEqual({ valid: true, events: 10 });

    // The next turn's context holds the caller's conversation, not the delegate's.
    const later = ScriptedModel.answering(reply('You are welcome.'));
    await deployment({ intake: later })(api.turn(sessionId, { requestId: 'r-2', message: 'Thanks.' }));
    expect(later.prompts[0]).toEqual([
      { role: 'system', content: INTAKE.instructions },
      { role: 'user', content: 'When must the agency answer on case 4411?' },
      { role: 'assistant', content: 'Let me ask research.', toolCalls: [ask('c1', 'When is case 4411 due?')] },
      { role: 'tool', toolCallId: 'c1', content: '{"ok":true,"output":"Due 7 December 2026."}' },
      { role: 'assistant', content: 'Case 4411 is due on 7 December 2026.' },
      { role: 'user', content: 'Thanks.' },
    ]);
  });

  test.each([
    ['outside its own definition', {}, 'tool "release_records" is not available in this session'],
    ['that is slow, even one in its definition', { tools: ['compute_deadline', 'release_records'] }, 'slow tools are not available to delegates; answer without it'],
  ])('a delegate cannot call a tool %s: refused as a tool result, never run', async (_case, research, message) => {
    const release: ToolCall = { id: 'd1', name: 'release_records', input: { caseId: 'FOIA-4411', recordIds: ['REC-1'], justification: 'The requester asked for their own case file.' } };
    const models = {
      intake: ScriptedModel.answering(reply('', [ask('c1', 'Release the file.')]), reply('Research could not do it.')),
      research: ScriptedModel.answering(reply('', [release]), reply('I cannot release records.')),
    };
    const send = deployment(models, research);
    const sessionId = await newSession(send);
    const slowRuns = harness.sfn.executions(SLOW).length;

    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'Release my case file.' }));

    expect(turn).toMatchObject({ statusCode: 200, body: { status: 'idle', reply: 'Research could not do it.' } });
    expect(harness.sfn.executions(SLOW)).toHaveLength(slowRuns);
    expect(toolNames(models.research, 0)).toEqual(['compute_deadline', 'ask_research']);
    const { events } = (await send(api.read(sessionId))).body;
    expect(resultContent(events, 'd1')).toEqual({ ok: false, error: 'not_allowed', message });
    expect(resultContent(events, 'c1')).toEqual({ ok: true, output: 'I cannot release records.' });
  });

  test('a delegation past the depth limit is refused as a tool result inside the deepest delegate', async () => {
    const models = {
      intake: ScriptedModel.answering(reply('', [ask('c1', 'Dig into case 4411.')]), reply('Research found two records.')),
      research: ScriptedModel.answering(
        reply('', [ask('d1', 'Dig deeper.')]), // depth 1 asks research again: depth 2
        reply('', [ask('e1', 'Deeper still.')]), // depth 2 may not ask: the default limit is 2
        reply('Nothing deeper; two records.'), // depth 2 answers
        reply('Two records.'), // depth 1 answers
      ),
    };
    const send = deployment(models);
    const sessionId = await newSession(send);

    const turn = await send(api.turn(sessionId, { requestId: 'r-1', message: 'What do you hold on case 4411?' }));

    expect(turn).toMatchObject({ statusCode: 200, body: { reply: 'Research found two records.' } });
    expect(toolNames(models.research, 0)).toEqual(['compute_deadline', 'ask_research']);
    expect(toolNames(models.research, 1)).toEqual(['compute_deadline']);
    const { events } = (await send(api.read(sessionId))).body;
    expect(resultContent(events, 'e1')).toEqual({ ok: false, error: 'not_allowed', message: 'the delegation depth limit of 2 was reached; answer without "ask_research"' });
    expect(events.find((event: { toolCallId?: string; type: string }) => event.toolCallId === 'e1' && event.type === 'tool_result').delegationDepth).toBe(2);
    expect(resultContent(events, 'd1')).toEqual({ ok: true, output: 'Nothing deeper; two records.' });
    expect((await send(api.verify(sessionId))).body).toMatchObject({ valid: true });
  });

  test("a delegation its token budget, or the session's, cannot pay for is refused before the delegate's model is asked", async () => {
    const own = { intake: ScriptedModel.answering(reply('', [ask('c1', 'Everything on case 4411, with dates and record ids.')]), reply('Research is over its budget.')), research: ScriptedModel.answering() };
    const send = deployment(own, { limits: { delegationTokenBudget: 5 } });
    const sessionId = await newSession(send);
    await send(api.turn(sessionId, { requestId: 'r-1', message: 'What do you hold?' }));
    expect(resultContent((await send(api.read(sessionId))).body.events, 'c1')).toEqual({
      ok: false,
      error: 'not_allowed',
      message: 'the token budget cannot pay for asking research; answer with what you have',
    });

    // The session's budget: the caller's reply spends nearly all of it.
    const session = { intake: ScriptedModel.answering(reply('Asking.', [ask('c1', 'Everything on case 4411.')], { input: 60, output: 35 })), research: ScriptedModel.answering() };
    const sendSession = deployment(session);
    const small = await newSession(sendSession, { maxTokens: 100 });
    const turn = await sendSession(api.turn(small, { requestId: 'r-1', message: 'What do you hold?' }));
    expect(turn).toMatchObject({ statusCode: 200, body: { reply: 'Asking.', usage: { input: 60, output: 35 } } });
    expect(resultContent((await sendSession(api.read(small))).body.events, 'c1')).toMatchObject({ ok: false, error: 'not_allowed' });
    expect([own.research.prompts.length, session.research.prompts.length]).toEqual([0, 0]);
  });
});

describe('a handoff moves the session to another agent', () => {
  test('the turn answers with the acknowledgment, the handoff is an event, and the next turn goes to the new agent', async () => {
    const models = {
      intake: ScriptedModel.answering(reply('', [{ id: 'c1', name: handoffToolName('billing'), input: {} }])),
      billing: ScriptedModel.answering(reply('The first 100 pages are free.')),
    };
    const send = deployment(models);
    const sessionId = await newSession(send);

    const handedOver = await send(api.turn(sessionId, { requestId: 'r-1', message: 'How much will copies cost?' }));
    expect(handedOver).toMatchObject({
      statusCode: 200,
      body: { reply: 'I have handed this conversation to billing (Answers questions about FOIA fees.); it answers your next message.' },
    });
    const read = await send(api.read(sessionId));
    expect(read.body.session.agent).toBe('billing');
    expect(read.body.events.map((event: Record<string, unknown>) => [event.type, event.actor, event.agent])).toEqual([
      ['user', `${ROLE_A}#alice`, 'intake'],
      ['assistant', 'model', 'intake'],
      ['tool_call', 'model', 'intake'],
      ['tool_result', 'orchestrator', 'intake'],
      ['handoff', 'orchestrator', 'intake'],
      ['assistant', 'orchestrator', 'intake'],
    ]);
    expect(JSON.parse(read.body.events[4].content)).toEqual({ from: 'intake', to: 'billing' });

    const next = await send(api.turn(sessionId, { requestId: 'r-2', message: 'And for 300 pages?' }));
    expect(next.body.reply).toBe('The first 100 pages are free.');
    expect(models.intake.prompts).toHaveLength(1);
    // Billing takes the conversation as it stands, under its own instructions.
    expect(models.billing.prompts[0][0]).toEqual({ role: 'system', content: BILLING.instructions });
    expect(models.billing.prompts[0]).toContainEqual({ role: 'user', content: 'How much will copies cost?' });
    expect((await send(api.verify(sessionId))).body).toEqual({ valid: true, events: 8 });
  });
});

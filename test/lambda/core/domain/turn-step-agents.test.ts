import { delegateToolName, handoffToolName } from '../../../../lib/contract/agent';
import { DEFAULT_SESSION_LIMITS } from '../../../../lib/contract/session-limits';
import { stampOf } from '../../../../lambda/core/domain/agents';
import { genesisHash, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import { newSessionHeader, type SessionHeader } from '../../../../lambda/core/domain/session-header';
import { ToolPolicy } from '../../../../lambda/core/domain/tool-policy';
import { userEventFor } from '../../../../lambda/core/domain/turn-plan';
import { nextTurnStep, startStretch, type TurnRules, type TurnState, type TurnStep, type TurnTransition } from '../../../../lambda/core/domain/turn-step';
import type { ModelReply, ToolCall } from '../../../../lambda/core/ports/model-backend';
import { agentDefinition } from '../support/agents';

/** The step function with agents: pure inputs to the expected step, no doubles, no I/O. */
const TENANT = 'agency-a';
const SESSION = 's-agents';
const TIME = '2026-01-05T10:00:00.000Z';

const tool = (name: string, mode: 'fast' | 'slow') => ({
  name,
  description: `The ${name} tool.`,
  inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'], additionalProperties: false },
  timeoutSeconds: 5,
  mode,
});
const lookup = tool('lookup', 'fast');
const archive = tool('archive', 'slow');
const redact = tool('redact', 'fast');

const intake = agentDefinition('intake', {
  instructions: 'You take FOIA requests.',
  tools: ['lookup', 'archive'],
  delegates: ['research'],
  handoffs: ['billing'],
});
const research = agentDefinition('research', {
  description: 'Finds records about a case.',
  instructions: 'You research cases.',
  tools: ['lookup', 'archive'],
  delegates: ['research'],
});
const billing = agentDefinition('billing', { description: 'Answers questions about fees.', instructions: 'You answer fee questions.' });

function rules(overrides: { research?: Partial<typeof research>; limits?: Partial<TurnRules['limits']> } = {}): TurnRules {
  return {
    limits: { ...DEFAULT_SESSION_LIMITS, ...overrides.limits },
    policy: ToolPolicy.of([lookup, archive, redact]),
    agents: { defaultAgent: 'intake', agents: { intake, research: { ...research, ...overrides.research }, billing } },
  };
}

function header(maxTokens = 1_000_000): SessionHeader {
  return newSessionHeader({ tenant: TENANT, session: SESSION, owner: 'alice', agent: 'intake', maxTokens, ttlSeconds: 3600, now: new Date(TIME) });
}

function firstState(from = header()): TurnState {
  const request = { tenant: TENANT, session: SESSION, requestId: 'r-1', actor: 'alice', message: 'What do you have on case 4411?' };
  const user = userEventFor(from, request, TIME, stampOf(intake, 0));
  return startStretch({ tenant: TENANT, session: SESSION, agent: 'intake', requestId: 'r-1', requestedBy: 'alice', time: TIME, header: from, loaded: [], opening: [user] });
}

const reply = (text: string, toolCalls: ToolCall[] = [], usage = { input: 10, output: 5 }): ModelReply => ({ text, toolCalls, usage });
const call = (id: string, name: string, input: ToolCall['input']): ToolCall => ({ id, name, input });
const ASK_RESEARCH = delegateToolName('research');

function stepOf<K extends TurnStep['kind']>(transition: TurnTransition, kind: K): Extract<TurnStep, { kind: K }> {
  expect(transition.step.kind).toBe(kind);
  return transition.step as Extract<TurnStep, { kind: K }>;
}

/** Starts the stretch and feeds the session agent's first reply. */
function afterFirstReply(answer: ModelReply, turnRules = rules(), state = firstState()): TurnTransition {
  const asked = nextTurnStep(state, { kind: 'started' }, turnRules);
  return nextTurnStep(asked.state, { kind: 'model_replied', reply: answer }, turnRules);
}

const resultsOf = (state: TurnState) =>
  state.events.filter((event) => event.type === 'tool_result').map((event) => [event.toolCallId, event.actor, JSON.parse(event.content)]);

describe('nextTurnStep with agents', () => {
  test("the session's agent is asked with its instructions first and its own tools, delegates and handoffs", () => {
    const step = stepOf(nextTurnStep(firstState(), { kind: 'started' }, rules()), 'ask_model');

    expect(step.agent).toBe('intake');
    expect(step.messages).toEqual([
      { role: 'system', content: 'You take FOIA requests.' },
      { role: 'user', content: 'What do you have on case 4411?' },
    ]);
    // redact is enabled and allowed to the tenant, but not one of intake's tools.
    expect(step.tools.map((spec) => spec.name)).toEqual(['lookup', 'archive', 'ask_research', 'handoff_to_billing']);
    expect(step.tools[2]).toMatchObject({ description: 'Finds records about a case.', inputSchema: { required: ['request'] } });
  });

  test("a tool outside the agent's own list is refused as the policy refuses one, and never runs", () => {
    const next = afterFirstReply(reply('Redacting.', [call('c1', 'redact', { id: 'R-1' })]));

    expect(stepOf(next, 'ask_model').agent).toBe('intake');
    expect(resultsOf(next.state)).toEqual([
      ['c1', 'orchestrator', { ok: false, error: 'not_allowed', message: 'tool "redact" is not available in this session' }],
    ]);
  });

  test("a delegate call runs the delegate in the same chain: its request, its own context, and its answer as the call's result", () => {
    const turnRules = rules();
    const delegated = stepOf(afterFirstReply(reply('Asking research.', [call('c1', ASK_RESEARCH, { request: 'Records on case 4411?' })]), turnRules), 'delegate');
    expect(delegated.agent).toBe('research');
    const opened = delegated.state;
    expect(opened.events).toEqual([
      expect.objectContaining({ seq: 4, type: 'user', content: 'Records on case 4411?', actor: 'agent:intake', agent: 'research', agentVersion: 'research-v1', delegationDepth: 1 }),
    ]);

    // The delegate's own loop: it sees its instructions and the request, never the session's conversation.
    const asked = stepOf(nextTurnStep(opened, { kind: 'started' }, turnRules), 'ask_model');
    expect(asked).toMatchObject({ agent: 'research', messages: [{ role: 'system', content: 'You research cases.' }, { role: 'user', content: 'Records on case 4411?' }] });
    expect(asked.tools.map((spec) => spec.name)).toEqual(['lookup', 'ask_research']);
    const answered = nextTurnStep(opened, { kind: 'model_replied', reply: reply('Two records: R-1 and R-2.', [], { input: 20, output: 8 }) }, turnRules);
    expect(answered.step).toEqual({ kind: 'finish', reason: 'answered' });

    // Fed back: the caller gets the answer as its tool result and is asked again.
    const back = nextTurnStep(afterFirstReply(reply('Asking research.', [call('c1', ASK_RESEARCH, { request: 'Records on case 4411?' })]), turnRules).state, { kind: 'delegated', delegate: answered.state, reason: 'answered' }, turnRules);
    const again = stepOf(back, 'ask_model');
    expect(again.agent).toBe('intake');
    expect(again.messages.at(-1)).toEqual({ role: 'tool', toolCallId: 'c1', content: '{"ok":true,"output":"Two records: R-1 and R-2."}' });
    expect(again.messages.some((message) => message.content === 'You research cases.')).toBe(false);
    expect(back.state.events.map((event) => [event.seq, event.type, event.agent, event.delegationDepth])).toEqual([
      [1, 'user', 'intake', undefined],
      [2, 'assistant', 'intake', undefined],
      [3, 'tool_call', 'intake', undefined],
      [4, 'user', 'research', 1],
      [5, 'assistant', 'research', 1],
      [6, 'tool_result', 'intake', undefined],
    ]);
    expect(resultsOf(back.state)).toEqual([['c1', 'agent:research', { ok: true, output: 'Two records: R-1 and R-2.' }]]);
    expect(back.state.usage).toEqual({ input: 30, output: 13 });
    expect(verifyChain(back.state.events, genesisHash(TENANT, SESSION))).toMatchObject({ ok: true, lastSeq: 6 });
  });

  test('a delegate may not go past the depth limit: the call is refused as a tool result, and is not offered', () => {
    const turnRules = rules({ research: { limits: { maxDelegationDepth: 0 } } });
    const opened = stepOf(afterFirstReply(reply('', [call('c1', ASK_RESEARCH, { request: 'Dig.' })]), turnRules), 'delegate').state;
    expect(opened.delegation).toMatchObject({ depth: 1, maxDepth: 1 });

    const asked = stepOf(nextTurnStep(opened, { kind: 'started' }, turnRules), 'ask_model');
    expect(asked.tools.map((spec) => spec.name)).toEqual(['lookup']);
    const refused = nextTurnStep(opened, { kind: 'model_replied', reply: reply('', [call('d1', ASK_RESEARCH, { request: 'Deeper.' })]) }, turnRules);
    expect(stepOf(refused, 'ask_model').agent).toBe('research');
    expect(resultsOf(refused.state)).toEqual([
      ['d1', 'orchestrator', { ok: false, error: 'not_allowed', message: 'the delegation depth limit of 1 was reached; answer without "ask_research"' }],
    ]);
  });

  test('a delegate whose token budget cannot pay for its prompt is refused before it writes anything', () => {
    const turnRules = rules({ research: { limits: { delegationTokenBudget: 3 } } });
    const next = afterFirstReply(reply('Asking.', [call('c1', ASK_RESEARCH, { request: 'Records on case 4411, all of them, with dates?' })]), turnRules);

    expect(stepOf(next, 'ask_model').agent).toBe('intake');
    expect(next.state.events.map((event) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result']);
    expect(resultsOf(next.state)).toEqual([
      ['c1', 'orchestrator', { ok: false, error: 'not_allowed', message: 'the token budget cannot pay for asking research; answer with what you have' }],
    ]);
  });

  test('a delegate that spends its budget mid-way stops; its caller is told it did not answer', () => {
    const turnRules = rules({ research: { limits: { delegationTokenBudget: 40 } } });
    const waiting = afterFirstReply(reply('', [call('c1', ASK_RESEARCH, { request: 'Dig.' })]), turnRules);
    const opened = stepOf(waiting, 'delegate').state;
    const ran = nextTurnStep(opened, { kind: 'model_replied', reply: reply('Looking.', [call('d1', 'lookup', { id: 'R-1' })], { input: 30, output: 10 }) }, turnRules);
    const spent = nextTurnStep(ran.state, { kind: 'tools_ran', results: [{ toolCallId: 'd1', output: { ok: true, output: 'R-1' } }] }, turnRules);
    expect(spent.step).toEqual({ kind: 'finish', reason: 'budget' });

    const back = nextTurnStep(waiting.state, { kind: 'delegated', delegate: spent.state, reason: 'budget' }, turnRules);
    expect(stepOf(back, 'ask_model').agent).toBe('intake');
    expect(resultsOf(back.state).at(-1)).toEqual([
      'c1',
      'agent:research',
      { ok: false, error: 'tool_failed', message: 'research ran out of tokens before it answered; answer with what you have' },
    ]);
    expect(back.state.usage).toEqual({ input: 40, output: 15 });
  });

  test('a delegate is refused a slow tool, so the session never waits on a call a delegate made', () => {
    const turnRules = rules();
    const opened = stepOf(afterFirstReply(reply('', [call('c1', ASK_RESEARCH, { request: 'Archive R-1.' })]), turnRules), 'delegate').state;
    const next = nextTurnStep(opened, { kind: 'model_replied', reply: reply('', [call('d1', 'archive', { id: 'R-1' })]) }, turnRules);

    expect(stepOf(next, 'ask_model').agent).toBe('research');
    expect(resultsOf(next.state)).toEqual([
      ['d1', 'orchestrator', { ok: false, error: 'not_allowed', message: 'slow tools are not available to delegates; answer without it' }],
    ]);
  });

  test('a handoff ends the stretch with the handoff event and its acknowledgment; the state names the next agent', () => {
    const next = afterFirstReply(reply('', [call('c1', handoffToolName('billing'), {})]));

    expect(next.step).toEqual({ kind: 'finish', reason: 'handoff' });
    expect(next.state.handoffTo).toBe('billing');
    expect(next.state.events.slice(-3).map((event) => [event.type, event.actor, event.content])).toEqual([
      ['tool_result', 'orchestrator', '{"ok":true,"output":"the session goes to billing, which answers from the next message"}'],
      ['handoff', 'orchestrator', '{"from":"intake","to":"billing"}'],
      ['assistant', 'orchestrator', 'I have handed this conversation to billing (Answers questions about fees.); it answers your next message.'],
    ]);
    expect(verifyChain(next.state.events, genesisHash(TENANT, SESSION))).toMatchObject({ ok: true });
  });

  test('a handoff beside a slow call is refused: the session waits on the call with its own agent', () => {
    const next = afterFirstReply(reply('', [call('c1', handoffToolName('billing'), {}), call('c2', 'archive', { id: 'R-1' })]));

    expect(stepOf(next, 'await_tool').pending).toMatchObject({ toolCallId: 'c2' });
    expect(next.state.handoffTo).toBeUndefined();
    expect(resultsOf(next.state)).toEqual([['c1', 'orchestrator', expect.objectContaining({ ok: false, error: 'not_allowed' })]]);
  });

  test('a state waiting on a delegate is plain JSON: carried as JSON, it takes the same answer to the same step', () => {
    const turnRules = rules();
    const waiting = afterFirstReply(reply('', [call('c1', ASK_RESEARCH, { request: 'Dig.' })]), turnRules);
    const delegate = stepOf(waiting, 'delegate').state;
    const answered = nextTurnStep(delegate, { kind: 'model_replied', reply: reply('Found it.') }, turnRules).state;
    const carried = JSON.parse(JSON.stringify({ waiting: waiting.state, answered })) as { waiting: TurnState; answered: TurnState };

    expect(carried).toEqual({ waiting: waiting.state, answered });
    expect(nextTurnStep(carried.waiting, { kind: 'delegated', delegate: carried.answered, reason: 'answered' }, turnRules)).toEqual(
      nextTurnStep(waiting.state, { kind: 'delegated', delegate: answered, reason: 'answered' }, turnRules),
    );
    expect(() => nextTurnStep(waiting.state, { kind: 'tools_ran', results: [] }, turnRules)).toThrow(/no tools were running/);
  });
});

import { BudgetExceededError, ModelError } from '../../../../lambda/core/domain/errors';
import { genesisHash, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import { newSessionHeader, type SessionHeader } from '../../../../lambda/core/domain/session-header';
import { ToolPolicy } from '../../../../lambda/core/domain/tool-policy';
import { userEventFor } from '../../../../lambda/core/domain/turn-plan';
import {
  nextTurnStep,
  startStretch,
  type TurnRules,
  type TurnState,
  type TurnStep,
  type TurnTransition,
} from '../../../../lambda/core/domain/turn-step';
import type { ModelReply, ToolCall } from '../../../../lambda/core/ports/model-backend';
import { DEFAULT_SESSION_LIMITS } from '../../../../lib/contract/session-limits';
import { stampOf } from '../../../../lambda/core/domain/agents';
import { agentDefinition, TEST_AGENT } from '../support/agents';

/** The turn's step function, pure inputs to the expected step: no doubles, no I/O. */
const TENANT = 'agency-a';
const SESSION = 's-step';
const TIME = '2026-01-05T10:00:00.000Z';

/** Declared inline, so the test depends on the policy's rules and not on the catalog's tools. */
const lookup = {
  name: 'lookup',
  description: 'Look a record up.',
  inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'], additionalProperties: false },
  implementation: { kind: 'lambda' as const, handler: 'lookup' },
  timeoutSeconds: 5,
  mode: 'fast' as const,
};
const archive = { ...lookup, name: 'archive', description: 'Archive a record, later.', mode: 'slow' as const };
const release = {
  ...lookup,
  name: 'release',
  description: 'Release a record once approved.',
  mode: 'slow' as const,
  approval: { approverRoles: ['RecordsOfficer'], timeoutSeconds: 3600 },
};
const ENABLED = [lookup, archive, release];

/** One agent that may call every enabled tool and has no instructions, so its prompts hold only the conversation. */
const AGENT = agentDefinition(TEST_AGENT, { tools: ENABLED.map((tool) => tool.name) });

const rules = (limits: Partial<TurnRules['limits']> = {}): TurnRules => ({
  limits: { ...DEFAULT_SESSION_LIMITS, ...limits },
  policy: ToolPolicy.of(ENABLED),
  agents: { defaultAgent: TEST_AGENT, agents: { [TEST_AGENT]: AGENT } },
});

function header(maxTokens = 1_000_000): SessionHeader {
  return newSessionHeader({ tenant: TENANT, session: SESSION, owner: 'alice', agent: TEST_AGENT, maxTokens, ttlSeconds: 3600, now: new Date(TIME) });
}

function firstState(from: SessionHeader = header(), message = 'Find record R-1 and release it.'): TurnState {
  const user = userEventFor(from, { tenant: TENANT, session: SESSION, requestId: 'r-1', actor: 'alice', message }, TIME, stampOf(AGENT, 0));
  return startStretch({ tenant: TENANT, session: SESSION, agent: TEST_AGENT, requestId: 'r-1', requestedBy: 'alice', time: TIME, header: from, loaded: [], opening: [user] });
}

const reply = (text: string, toolCalls: ToolCall[] = [], usage = { input: 10, output: 5 }): ModelReply => ({ text, toolCalls, usage });
const call = (id: string, name: string, input: ToolCall['input'] = { id: 'R-1' }): ToolCall => ({ id, name, input });

/** Starts a stretch and feeds it the model's first reply. */
function afterFirstReply(answer: ModelReply, turnRules = rules(), state = firstState()): TurnTransition {
  const asked = nextTurnStep(state, { kind: 'started' }, turnRules);
  expect(asked.step.kind).toBe('ask_model');
  return nextTurnStep(asked.state, { kind: 'model_replied', reply: answer }, turnRules);
}

function stepOf<K extends TurnStep['kind']>(transition: TurnTransition, kind: K): Extract<TurnStep, { kind: K }> {
  expect(transition.step.kind).toBe(kind);
  return transition.step as Extract<TurnStep, { kind: K }>;
}

const resultsOf = (state: TurnState) =>
  state.events.filter((event) => event.type === 'tool_result').map((event) => [event.toolCallId, event.actor, JSON.parse(event.content)]);

describe('nextTurnStep', () => {
  test('the first step asks the model with the context and the tools the tenant may call', () => {
    const { state, step } = nextTurnStep(firstState(), { kind: 'started' }, rules());

    expect(step).toEqual({
      kind: 'ask_model',
      agent: TEST_AGENT,
      messages: [{ role: 'user', content: 'Find record R-1 and release it.' }],
      tools: ENABLED.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
    });
    expect(state).toEqual(firstState());
  });

  test('a reply without tool calls finishes the stretch as answered, its event chained and its tokens counted', () => {
    const { state, step } = afterFirstReply(reply('Done.', [], { input: 40, output: 6 }));

    expect(step).toEqual({ kind: 'finish', reason: 'answered' });
    expect(state.events.map((event) => [event.seq, event.type, event.content])).toEqual([
      [1, 'user', 'Find record R-1 and release it.'],
      [2, 'assistant', 'Done.'],
    ]);
    expect(verifyChain(state.events, genesisHash(TENANT, SESSION))).toMatchObject({ ok: true, lastSeq: 2 });
    expect(state).toMatchObject({ usage: { input: 40, output: 6 }, modelCalls: 1, callsRecorded: 0 });
  });

  test('fast calls are run_tools; their results, fed back, go to the model in the order of the calls', () => {
    const turnRules = rules();
    const ran = afterFirstReply(reply('Looking.', [call('c1', 'lookup'), call('c2', 'lookup', { id: 'R-2' })]), turnRules);

    expect(stepOf(ran, 'run_tools')).toEqual({
      kind: 'run_tools',
      runs: [
        { tool: 'lookup', toolCallId: 'c1', input: { id: 'R-1' }, tenant: TENANT, session: SESSION },
        { tool: 'lookup', toolCallId: 'c2', input: { id: 'R-2' }, tenant: TENANT, session: SESSION },
      ],
      decided: [],
    });
    const next = nextTurnStep(
      ran.state,
      {
        kind: 'tools_ran',
        results: [
          { toolCallId: 'c2', output: { ok: true, output: 'two' } },
          { toolCallId: 'c1', output: { ok: true, output: 'one' } },
        ],
      },
      turnRules,
    );

    const asked = stepOf(next, 'ask_model');
    expect(asked.messages.slice(-2)).toEqual([
      { role: 'tool', toolCallId: 'c1', content: '{"ok":true,"output":"one"}' },
      { role: 'tool', toolCallId: 'c2', content: '{"ok":true,"output":"two"}' },
    ]);
    expect(resultsOf(next.state)).toEqual([
      ['c1', 'tool:lookup', { ok: true, output: 'one' }],
      ['c2', 'tool:lookup', { ok: true, output: 'two' }],
    ]);
    expect(next.state.toolRound).toBeUndefined();
    expect(verifyChain(next.state.events, genesisHash(TENANT, SESSION))).toMatchObject({ ok: true, lastSeq: 6 });
  });

  test('a refused call gets its result without running: alone it goes straight back to the model; beside a fast call it is decided', () => {
    const alone = afterFirstReply(reply('Trying.', [call('c1', 'drop_tables')]));
    expect(stepOf(alone, 'ask_model').messages.at(-1)).toEqual({
      role: 'tool',
      toolCallId: 'c1',
      content: '{"error":"not_allowed","message":"tool \\"drop_tables\\" is not available in this session","ok":false}',
    });
    expect(resultsOf(alone.state)).toEqual([['c1', 'orchestrator', expect.objectContaining({ error: 'not_allowed' })]]);

    const mixed = afterFirstReply(reply('Both.', [call('c1', 'drop_tables'), call('c2', 'lookup', { wrong: 1 }), call('c3', 'lookup')]));
    const step = stepOf(mixed, 'run_tools');
    expect(step.runs.map((run) => run.toolCallId)).toEqual(['c3']);
    expect(step.decided).toEqual([
      { toolCallId: 'c1', actor: 'orchestrator', output: expect.objectContaining({ ok: false, error: 'not_allowed' }) },
      { toolCallId: 'c2', actor: 'orchestrator', output: expect.objectContaining({ ok: false, error: 'invalid_input' }) },
    ]);
  });

  test('a slow call ends the stretch awaiting the tool; one needing approval awaits approval; a second slow call is refused', () => {
    const slow = afterFirstReply(reply('Archiving.', [call('c1', 'archive')]));
    expect(stepOf(slow, 'await_tool').pending).toMatchObject({ toolCallId: 'c1', tool: 'archive', callSeq: 3, requestId: 'r-1', requestedBy: 'alice' });
    expect(slow.state.events.map((event) => event.type)).toEqual(['user', 'assistant', 'tool_call']);

    const gated = afterFirstReply(reply('Releasing.', [call('c1', 'release'), call('c2', 'archive')]));
    expect(stepOf(gated, 'await_approval').pending).toMatchObject({ toolCallId: 'c1', approval: release.approval });
    expect(resultsOf(gated.state)).toEqual([
      ['c2', 'orchestrator', expect.objectContaining({ error: 'not_allowed', message: expect.stringMatching(/^only one slow tool call can wait at a time/) })],
    ]);
  });

  test('fast calls beside a slow one run first, then the stretch awaits the slow one', () => {
    const turnRules = rules();
    const ran = afterFirstReply(reply('Both.', [call('c1', 'lookup'), call('c2', 'archive')]), turnRules);
    expect(stepOf(ran, 'run_tools').runs.map((run) => run.toolCallId)).toEqual(['c1']);

    const next = nextTurnStep(ran.state, { kind: 'tools_ran', results: [{ toolCallId: 'c1', output: { ok: true, output: 'found' } }] }, turnRules);
    expect(stepOf(next, 'await_tool').pending).toMatchObject({ toolCallId: 'c2' });
    expect(resultsOf(next.state)).toEqual([['c1', 'tool:lookup', { ok: true, output: 'found' }]]);
  });

  test('at the round limit every call of the reply is refused with the limit, and the stretch finishes', () => {
    const turnRules = rules({ maxToolRounds: 1 });
    const first = afterFirstReply(reply('Round one.', [call('c1', 'drop_tables')]), turnRules);
    expect(first.step.kind).toBe('ask_model');

    const second = nextTurnStep(first.state, { kind: 'model_replied', reply: reply('Round two.', [call('c2', 'lookup')]) }, turnRules);

    expect(second.step).toEqual({ kind: 'finish', reason: 'limit' });
    expect(resultsOf(second.state).at(-1)).toEqual([
      'c2',
      'orchestrator',
      { ok: false, error: 'not_allowed', message: "the turn's limit of 1 tool rounds was reached; answer with what you have" },
    ]);
  });

  test('past the call limit every call of the reply is refused with the limit, and the stretch finishes', () => {
    const turnRules = rules({ maxToolCallsPerTurn: 2 });
    const first = afterFirstReply(reply('Two.', [call('c1', 'drop_tables'), call('c2', 'drop_tables')]), turnRules);

    const second = nextTurnStep(first.state, { kind: 'model_replied', reply: reply('One more.', [call('c3', 'lookup')]) }, turnRules);

    expect(second.step).toEqual({ kind: 'finish', reason: 'limit' });
    expect(second.state.callsRecorded).toBe(3);
    expect(resultsOf(second.state).at(-1)).toEqual([
      'c3',
      'orchestrator',
      { ok: false, error: 'not_allowed', message: "the turn's limit of 2 tool calls was reached; answer with what you have" },
    ]);
  });

  test('a budget spent once tools ran ends the stretch with what it has; a turn it cannot pay for at all is refused', () => {
    // The first prompt fits; the model's reported usage then spends the budget.
    const turnRules = rules();
    const ran = afterFirstReply(reply('Looking.', [call('c1', 'lookup')], { input: 60, output: 40 }), turnRules, firstState(header(100)));
    const next = nextTurnStep(ran.state, { kind: 'tools_ran', results: [{ toolCallId: 'c1', output: { ok: true, output: 'found' } }] }, turnRules);

    expect(next.step).toEqual({ kind: 'finish', reason: 'budget' });
    expect(next.state.events.map((event) => event.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result']);
    expect(next.state.usage).toEqual({ input: 60, output: 40 });

    expect(() => nextTurnStep(firstState(header(3)), { kind: 'started' }, turnRules)).toThrow(BudgetExceededError);
  });

  test('a reply the session cannot store is a ModelError; an outcome that answers no step is a driver defect', () => {
    expect(() => afterFirstReply(reply('Bad.', [], { input: -1, output: 0 }))).toThrow(ModelError);
    const asked = nextTurnStep(firstState(), { kind: 'started' }, rules());
    expect(() => nextTurnStep(asked.state, { kind: 'tools_ran', results: [] }, rules())).toThrow(/no tools were running/);
    const ran = afterFirstReply(reply('Looking.', [call('c1', 'lookup')]));
    expect(() => nextTurnStep(ran.state, { kind: 'tools_ran', results: [] }, rules())).toThrow(/no result for tool call "c1"/);
    expect(() => nextTurnStep(ran.state, { kind: 'model_replied', reply: reply('again') }, rules())).toThrow(/while tools were running/);
  });

  test('the state is plain JSON: a state carried as JSON between invocations gives the same next step', () => {
    const turnRules = rules();
    const ran = afterFirstReply(reply('Both.', [call('c1', 'lookup'), call('c2', 'release')]), turnRules);
    const carried = JSON.parse(JSON.stringify(ran.state)) as TurnState;
    expect(carried).toEqual(ran.state);

    const outcome = { kind: 'tools_ran', results: [{ toolCallId: 'c1', output: { ok: true, output: 'found' } }] } as const;
    expect(nextTurnStep(carried, outcome, turnRules)).toEqual(nextTurnStep(ran.state, outcome, turnRules));
  });
});

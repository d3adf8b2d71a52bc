import fc from 'fast-check';
import { delegateToolName, handoffToolName, type AgentDefinition } from '../../../../lib/contract/agent';
import { DEFAULT_SESSION_LIMITS } from '../../../../lib/contract/session-limits';
import { stampOf } from '../../../../lambda/core/domain/agents';
import { clientResults } from '../../../../lambda/core/domain/client-calls';
import { genesisHash, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import { newSessionHeader } from '../../../../lambda/core/domain/session-header';
import { ToolPolicy } from '../../../../lambda/core/domain/tool-policy';
import { userEventFor } from '../../../../lambda/core/domain/turn-plan';
import { runModelRounds } from '../../../../lambda/core/domain/turn-rounds';
import { nextTurnStep, startStretch, type TurnRules, type TurnState } from '../../../../lambda/core/domain/turn-step';
import type { Guardrail } from '../../../../lambda/core/ports/guardrail';
import type { ToolCall, ToolSpec } from '../../../../lambda/core/ports/model-backend';
import type { RoundsOutcome } from '../../../../lambda/core/domain/turn-plan';
import { agentDefinition, team } from '../support/agents';
import { reply, ScriptedModel } from '../support/scripted-model';

/**
 * A turn commits in one TransactWriteItems of at most 100 items: its events,
 * the approvers' inbox entry (a turn that leaves or ends a wait for
 * approval), the request's marker and the header. The step function asks a model only
 * while everything the reply may still bring fits, guardrail interventions
 * included. Here the models call as many tools, delegates and client
 * functions as they may in every round, and the guardrail intervenes on
 * every text it is shown: the turn must still fit, and so must the request
 * that answers the client's calls.
 */

const TENANT = 'agency-a';
const SESSION = 's-room';
const TIME = '2026-01-05T10:00:00.000Z';
const TRANSACTION_ITEMS = 100;
/** The inbox entry, the marker and the header: the inbox entry counted always, as the step function does. */
const BESIDE_EVENTS = 3;

/** A guardrail that masks every text it is shown (to itself): each check is an intervention, and so an event. */
const maskingEverything: Guardrail = {
  binding: { guardrailIdentifier: 'gr-room', guardrailVersion: '1' },
  async check(text) {
    return { action: 'MASKED', text, summary: { policies: ['sensitiveInformationPolicy'], filters: [], entities: ['EMAIL'] } };
  },
};

function definitions(guarded: boolean): AgentDefinition[] {
  const guardrail = guarded ? { guardrail: maskingEverything.binding } : {};
  return [
    agentDefinition('intake', { tools: ['lookup'], delegates: ['research'], handoffs: ['billing'], ...guardrail }),
    agentDefinition('research', { tools: ['lookup'], delegates: ['research'], ...guardrail }),
    agentDefinition('billing'),
  ];
}

/** The client's function the session's agent is offered (the OpenAI-compatible API's function tools). */
const CLIENT_TOOL: ToolSpec = { name: 'consult_client', description: "The client's own function.", inputSchema: { type: 'object' } };

function start(): Parameters<typeof runModelRounds>[1] {
  const header = newSessionHeader({ tenant: TENANT, session: SESSION, owner: 'alice', agent: 'intake', maxTokens: 1_000_000, ttlSeconds: 3600, now: new Date(TIME) });
  const request = { tenant: TENANT, session: SESSION, requestId: 'r-1', actor: 'alice', message: 'Everything on case 4411, please.' };
  const user = userEventFor(header, request, TIME, stampOf(definitions(false)[0], 0));
  return { tenant: TENANT, session: SESSION, agent: 'intake', requestId: 'r-1', requestedBy: 'alice', time: TIME, header, loaded: [], opening: [user], clientTools: [CLIENT_TOOL] };
}

/** The stretch of the request that answers the client's calls a first stretch ended with: their results open it, after that stretch's commit. */
function answering(first: Parameters<typeof runModelRounds>[1], outcome: RoundsOutcome): Parameters<typeof runModelRounds>[1] {
  const last = outcome.events[outcome.events.length - 1];
  const header = { ...first.header, lastSeq: last.seq, lastHash: last.hash, status: 'awaiting_client' as const, clientCalls: outcome.clientCalls };
  const outputs = (outcome.clientCalls ?? []).map((call) => ({ toolCallId: call.toolCallId, output: `the client's answer to ${call.toolCallId}` }));
  const opening = clientResults(header, { tenant: TENANT, session: SESSION, requestId: 'r-2', actor: 'alice', outputs }, stampOf(definitions(false)[0], 0), TIME);
  const loaded = [...first.opening, ...outcome.events].reverse();
  return { ...first, header, requestId: 'r-2', loaded, opening };
}

/**
 * A reply of `count` calls: delegates, refused tools (no tool is deployed here, so each is refused), a handoff and
 * the client's function, as `kinds` picks them. A delegate is not offered the client's function: its call is refused.
 */
function calls(round: number, kinds: readonly number[]): ToolCall[] {
  return kinds.map((kind, index): ToolCall => {
    const id = `r${round}-c${index}`;
    if (kind === 0) return { id, name: delegateToolName('research'), input: { request: `Dig into part ${index}.` } };
    if (kind === 1) return { id, name: handoffToolName('billing'), input: {} };
    if (kind === 3) return { id, name: CLIENT_TOOL.name, input: { part: index } };
    return { id, name: 'lookup', input: { id: `R-${index}` } };
  });
}

describe('a turn always fits one transaction', () => {
  // The kit's limit of tool calls is 16; the step function must hold for any, so the property draws it too.
  test('whatever the models call and whatever the guardrail does, the events plus marker and header stay within 100 items', async () => {
    const maxCalls = fc.integer({ min: 1, max: 40 });
    // Some replies call nothing but the client's function: the most calls the answering request must hold.
    const perReply = fc.oneof(fc.array(fc.nat({ max: 3 }), { maxLength: 40 }), fc.array(fc.constant(3), { maxLength: 40 }));
    await fc.assert(
      fc.asyncProperty(maxCalls, fc.boolean(), fc.array(perReply, { minLength: 1, maxLength: 8 }), fc.array(perReply, { maxLength: 8 }), async (maxToolCallsPerTurn, guarded, intakeScripts, researchScripts) => {
        const limits = { ...DEFAULT_SESSION_LIMITS, maxToolCallsPerTurn };
        // A reply brings at most the limit's calls (a longer one is the backend's fault, refused before the step function).
        const intakeScript = intakeScripts.map((kinds) => kinds.slice(0, maxToolCallsPerTurn));
        const researchScript = researchScripts.map((kinds) => kinds.slice(0, maxToolCallsPerTurn));
        const intake = ScriptedModel.responding((_messages, call) => reply(`intake ${call}`, calls(call, intakeScript[call] ?? [])));
        const research = ScriptedModel.responding((_messages, call) => reply(`research ${call}`, calls(100 + call, researchScript[call] ?? [])));
        const members = definitions(guarded);
        const { agents, modelFor } = team('intake', [
          [members[0], intake],
          [members[1], research],
          [members[2], ScriptedModel.answering()],
        ]);

        const deps = { agents, modelFor, limits, guardrailFor: (agent: string) => (guarded && agent !== 'billing' ? maskingEverything : undefined) };
        const first = start();
        const outcome = await runModelRounds(deps, first);

        expect(outcome.events.length + BESIDE_EVENTS).toBeLessThanOrEqual(TRANSACTION_ITEMS);
        expect(verifyChain(outcome.events, genesisHash(TENANT, SESSION))).toMatchObject({ ok: true });
        if (!outcome.clientCalls) return;
        // The request that answers the client's calls opens with their results (each masked: an intervention more), and still asks the model.
        const answer = answering(first, outcome);
        const answered = await runModelRounds(deps, answer);
        expect(answered.events.length + BESIDE_EVENTS).toBeLessThanOrEqual(TRANSACTION_ITEMS);
        expect(answered.modelCalls).toBeGreaterThanOrEqual(1);
        expect(verifyChain(answered.events, answer.header.lastHash)).toMatchObject({ ok: true });
      }),
      { numRuns: 300 },
    );
  });

  test('a guarded agent keeps room for the interventions of its reply; an unguarded one asks with the same events', () => {
    // With 30 calls a reply may bring 1 + 2 x 30 events and a handoff's 2: 63 beside the user event fit in 97.
    // Guarded, it may bring 1 + 2 x 30 interventions more: 124 do not, so the stretch ends at the limit instead.
    const limits = { ...DEFAULT_SESSION_LIMITS, maxToolCallsPerTurn: 30 };
    const rulesOf = (guarded: boolean): TurnRules => ({
      limits,
      policy: ToolPolicy.of([]),
      agents: { defaultAgent: 'intake', agents: Object.fromEntries(definitions(guarded).map((definition) => [definition.name, definition])) },
    });
    const state: TurnState = startStretch(start());

    expect(nextTurnStep(state, { kind: 'started' }, rulesOf(false)).step.kind).toBe('ask_model');
    expect(nextTurnStep(state, { kind: 'started' }, rulesOf(true)).step).toEqual({ kind: 'finish', reason: 'limit' });
  });

  test.each([
    [false, 40, TRANSACTION_ITEMS - BESIDE_EVENTS - (1 + 2 * 40 + 2)],
    [true, 16, Math.floor((TRANSACTION_ITEMS - BESIDE_EVENTS - (1 + 2 * 16 + 1 + 2 * 16 + 2)) / 2)],
  ])("guarded %s, %i calls a reply: the client's calls handed over stop where their answering request still has room to ask the model", (guarded, maxToolCallsPerTurn, room) => {
    const limits = { ...DEFAULT_SESSION_LIMITS, maxToolCallsPerTurn };
    const rules: TurnRules = {
      limits,
      policy: ToolPolicy.of([]),
      agents: { defaultAgent: 'intake', agents: Object.fromEntries(definitions(guarded).map((definition) => [definition.name, definition])) },
    };
    const asked = nextTurnStep(startStretch(start()), { kind: 'started' }, rules);
    const replied = nextTurnStep(asked.state, { kind: 'model_replied', reply: reply('', calls(0, Array.from({ length: maxToolCallsPerTurn }, () => 3))) }, rules);

    expect(replied.step.kind).toBe('await_client');
    expect(replied.step.kind === 'await_client' && replied.step.calls.map((call) => call.toolCallId)).toEqual(Array.from({ length: room }, (_, index) => `r0-c${index}`));
    // The calls past the bound are refused with a result the model sees next time, not handed over.
    const refusals = replied.state.events.filter((event) => event.type === 'tool_result');
    expect(refusals).toHaveLength(maxToolCallsPerTurn - room);
    expect(JSON.parse(refusals[0].content)).toMatchObject({ ok: false, error: 'not_allowed', message: expect.stringMatching(new RegExp(`at most ${room} calls of the client's functions can wait at once`)) });
  });

  test("a delegate started by a guarded caller counts an intervention on each of the caller's results as owed", () => {
    const rulesOf = (guarded: boolean): TurnRules => ({
      limits: DEFAULT_SESSION_LIMITS,
      policy: ToolPolicy.of([]),
      agents: { defaultAgent: 'intake', agents: Object.fromEntries(definitions(guarded).map((definition) => [definition.name, definition])) },
    });
    const owed = (guarded: boolean) => {
      const asked = nextTurnStep(startStretch(start()), { kind: 'started' }, rulesOf(guarded));
      const replied = nextTurnStep(asked.state, { kind: 'model_replied', reply: reply('', calls(0, [0, 2])) }, rulesOf(guarded));
      expect(replied.step.kind).toBe('delegate');
      return replied.step.kind === 'delegate' ? replied.step.state.delegation?.eventsBefore : undefined;
    };

    // user, assistant, two calls: 4 events, then a result per call, and with a guardrail an intervention per result.
    expect(owed(false)).toBe(4 + 2);
    expect(owed(true)).toBe(4 + 2 * 2);
  });
});

import type { ChatMessage, ModelReply, ToolCall, ToolSpec } from '../ports/model-backend';
import type { ToolDeclaration } from '../../../lib/contract/tool-declaration';
import type { ToolRunInput, ToolRunOutput } from '../../../lib/contract/workflow-contract';
import type { SessionLimits } from '../../../lib/contract/session-limits';
import { assertWithinBudget } from './budget';
import { buildContext } from './context-builder';
import { BudgetExceededError } from './errors';
import { sealEvents } from './hash-chain';
import { pendingToolFor, statusWhilePending } from './pending-tool';
import type { EventDraft, SessionEvent } from './session-event';
import type { PendingTool, SessionHeader, TokenUsage } from './session-header';
import { ORCHESTRATOR_ACTOR, toolActor, toolResultDraft } from './tool-events';
import { refused, type ToolPolicy } from './tool-policy';
import { addUsage, assertUsableReply, replyDrafts } from './turn-plan';

/**
 * The turn as a pure step function: given the state of the turn so far and
 * the outcome of the last step, what to do next. No I/O and no awaits; a
 * driver executes the steps (in-process for a synchronous turn, see
 * turn-rounds.ts) and feeds their outcomes back.
 *
 * The state is plain JSON (no class instances, no functions), so a driver
 * may carry it between invocations, as a Step Functions state machine
 * carries its state. The deployment's rules (limits and tool policy) are
 * not state: every invocation has them from its configuration.
 *
 * A stretch runs the model, then the tools it calls, then the model again,
 * until the model answers without calling a tool, calls a slow tool (the
 * session then waits for it), or reaches the turn's limits. A call the
 * policy refuses, or whose input fails its schema, is not run: it gets a
 * tool result saying why, and the model goes on. When the session's budget
 * runs out after tools have run, the stretch ends with what it has.
 */

/** What a step function invocation needs besides the state: the deployment's rules. */
export interface TurnRules {
  readonly limits: SessionLimits;
  readonly policy: ToolPolicy;
}

/** A result the turn decided without running a tool (refused, invalid input, limit reached), or a tool's own output. */
export interface DecidedResult {
  readonly toolCallId: string;
  readonly output: ToolRunOutput;
  /** The orchestrator for a decided result, the tool for its own output. */
  readonly actor: string;
}

/** What became of one call of a model reply. */
export type SettledCall =
  | { readonly kind: 'decided'; readonly call: ToolCall; readonly result: DecidedResult }
  | { readonly kind: 'run'; readonly call: ToolCall; readonly tool: string }
  | { readonly kind: 'pending'; readonly call: ToolCall };

/** The calls of the last model reply while their fast tools run, in the order the model made them. */
export interface ToolRound {
  readonly calls: readonly SettledCall[];
  readonly pending?: PendingTool;
}

/** Where a stretch starts: the session as read, and the new events that open the stretch. Plain JSON. */
export interface StretchStart {
  readonly tenant: string;
  readonly session: string;
  readonly header: SessionHeader;
  /** The events read with the header, newest first. */
  readonly loaded: readonly SessionEvent[];
  /** New events that open this stretch, chained after the header: the user event, or an approval and a tool result. */
  readonly opening: readonly SessionEvent[];
  /** The time recorded on every event of the stretch. */
  readonly time: string;
  /** The request the stretch belongs to, and who sent it: a slow call made now records both. */
  readonly requestId: string;
  readonly requestedBy: string;
}

/** The state of a stretch of a turn. Plain JSON throughout. */
export interface TurnState extends Omit<StretchStart, 'opening'> {
  /** The events of this stretch, chained after the header: its opening events, then what the rounds added. */
  readonly events: readonly SessionEvent[];
  /** Tokens the model calls of this stretch used. */
  readonly usage: TokenUsage;
  /** Model replies received in this stretch. */
  readonly modelCalls: number;
  /** Tool calls the model made in this stretch. */
  readonly callsRecorded: number;
  /** Present while a run_tools step is out. */
  readonly toolRound?: ToolRound;
}

/** The outcome of the last step, fed back to the step function. */
export type TurnOutcome =
  | { readonly kind: 'started' }
  | {
      readonly kind: 'model_replied';
      readonly reply: ModelReply;
      /** Calls of the reply the driver refused before the policy saw them (a guardrail blocked their input): these results, never run. */
      readonly refused?: readonly { readonly toolCallId: string; readonly output: ToolRunOutput }[];
    }
  /** One output per call of the run_tools step, in any order. */
  | { readonly kind: 'tools_ran'; readonly results: readonly { readonly toolCallId: string; readonly output: ToolRunOutput }[] };

export type FinishReason = 'answered' | 'limit' | 'budget';

/**
 * The next step. A discriminated union on `kind`, so a step kind can be
 * added (a `delegate` to another agent) without changing the others.
 */
export type TurnStep =
  /** Ask the model with these messages; `tools` is empty when the tenant may call none. */
  | { readonly kind: 'ask_model'; readonly messages: readonly ChatMessage[]; readonly tools: readonly ToolSpec[] }
  /** Run these fast tools (at most `limits.toolConcurrency` at a time); `decided` are the reply's other results, already known. */
  | { readonly kind: 'run_tools'; readonly runs: readonly ToolRunInput[]; readonly decided: readonly DecidedResult[] }
  /** The stretch ends; the session waits for the slow call (its workflow starts after the commit). */
  | { readonly kind: 'await_tool'; readonly pending: PendingTool }
  /** The same, for a call that needs an approver's decision first. */
  | { readonly kind: 'await_approval'; readonly pending: PendingTool }
  /** The stretch ends with what it has. */
  | { readonly kind: 'finish'; readonly reason: FinishReason };

export interface TurnTransition {
  readonly state: TurnState;
  readonly step: TurnStep;
}

/** A stretch's first state: nothing asked yet. */
export function startStretch(input: StretchStart): TurnState {
  const { opening, ...rest } = input;
  return { ...rest, events: opening, usage: { input: 0, output: 0 }, modelCalls: 0, callsRecorded: 0 };
}

/**
 * The step function. Throws, as the synchronous turn always has, when the
 * turn cannot go on: BudgetExceededError before anything ran (the turn is
 * refused and writes nothing), ModelError for a reply the session cannot
 * store, and Error for an outcome that does not answer the last step (a
 * driver's defect).
 */
export function nextTurnStep(state: TurnState, outcome: TurnOutcome, rules: TurnRules): TurnTransition {
  switch (outcome.kind) {
    case 'started':
      if (state.modelCalls > 0 || state.toolRound) throw new Error('the stretch has started already');
      return askOrEnd(state, rules);
    case 'model_replied':
      if (state.toolRound) throw new Error('a model reply arrived while tools were running');
      return afterReply(state, outcome.reply, rules, outcome.refused ?? []);
    case 'tools_ran':
      if (!state.toolRound) throw new Error('tool results arrived, but no tools were running');
      return afterTools(state, outcome.results, rules);
  }
}

/** Ask the model again, unless the session's budget cannot pay for the prompt. */
function askOrEnd(state: TurnState, rules: TurnRules): TurnTransition {
  const { header } = state;
  const context = buildContext({
    summary: header.summary,
    summaryUpToSeq: header.summaryUpToSeq,
    eventsNewestFirst: [...state.events].reverse().concat(state.loaded),
    maxTokens: rules.limits.contextTokens,
  });
  try {
    assertWithinBudget({ tokens: addUsage(header.tokens, state.usage), budget: header.budget }, context.estimatedTokens);
  } catch (error) {
    // Before anything ran, a turn the budget cannot pay for is refused and writes nothing. Once tools have
    // run (or a slow call's result is in), that work is kept: the stretch ends here, recorded and charged.
    const opensWithUser = state.events.some((event) => event.type === 'user');
    if (!(error instanceof BudgetExceededError) || (state.modelCalls === 0 && opensWithUser)) throw error;
    return { state, step: { kind: 'finish', reason: 'budget' } };
  }
  return { state, step: { kind: 'ask_model', messages: context.messages, tools: rules.policy.specsFor(state.tenant) } };
}

function afterReply(state: TurnState, reply: ModelReply, rules: TurnRules, refusedCalls: RefusedCalls): TurnTransition {
  const { limits } = rules;
  assertUsableReply(reply, limits);
  const round = state.modelCalls;
  const replyEvents = sealAfter(state.events, replyDrafts(reply, nextSeq(state.events), state.time));
  const replied: TurnState = {
    ...state,
    events: [...state.events, ...replyEvents],
    usage: addUsage(state.usage, reply.usage),
    modelCalls: round + 1,
    callsRecorded: state.callsRecorded + reply.toolCalls.length,
  };
  if (reply.toolCalls.length === 0) return { state: replied, step: { kind: 'finish', reason: 'answered' } };

  const limitReached =
    round >= limits.maxToolRounds
      ? `the turn's limit of ${limits.maxToolRounds} tool rounds was reached; answer with what you have`
      : state.callsRecorded + reply.toolCalls.length > limits.maxToolCallsPerTurn
        ? `the turn's limit of ${limits.maxToolCallsPerTurn} tool calls was reached; answer with what you have`
        : undefined;
  const [, ...callEvents] = replyEvents;
  const toolRound = settleCalls(state, reply.toolCalls, callEvents, limitReached, rules.policy, refusedCalls);
  const runs = toolRound.calls.flatMap((settled) =>
    settled.kind === 'run'
      ? [{ tool: settled.tool, toolCallId: settled.call.id, input: settled.call.input, tenant: state.tenant, session: state.session }]
      : [],
  );
  if (runs.length === 0) return endRound(replied, toolRound, [], limitReached !== undefined, rules);
  const decided = toolRound.calls.flatMap((settled) => (settled.kind === 'decided' ? [settled.result] : []));
  return { state: { ...replied, toolRound }, step: { kind: 'run_tools', runs, decided } };
}

function afterTools(state: TurnState, results: Extract<TurnOutcome, { kind: 'tools_ran' }>['results'], rules: TurnRules): TurnTransition {
  const { toolRound, ...rest } = state;
  if (!toolRound) throw new Error('no tools were running');
  const outputs = new Map(results.map((result) => [result.toolCallId, result.output]));
  const ran: DecidedResult[] = toolRound.calls.flatMap((settled) => {
    if (settled.kind !== 'run') return [];
    const output = outputs.get(settled.call.id);
    if (output === undefined) throw new Error(`no result for tool call ${JSON.stringify(settled.call.id)}`);
    return [{ toolCallId: settled.call.id, output, actor: toolActor(settled.tool) }];
  });
  // A round with tools to run never reached a limit: at the limit every call is refused.
  return endRound(rest, toolRound, ran, false, rules);
}

/** Appends the round's results in the order of the calls, then waits for the slow call, ends at the limit, or asks again. */
function endRound(state: TurnState, toolRound: ToolRound, ran: readonly DecidedResult[], limitReached: boolean, rules: TurnRules): TurnTransition {
  const byId = new Map(ran.map((result) => [result.toolCallId, result]));
  let seq = nextSeq(state.events);
  const drafts = toolRound.calls.flatMap((settled) => {
    const result = settled.kind === 'decided' ? settled.result : settled.kind === 'run' ? byId.get(settled.call.id) : undefined;
    return result ? [toolResultDraft(settled.call, result.output, seq++, result.actor, state.time)] : [];
  });
  const settled: TurnState = { ...state, events: [...state.events, ...sealAfter(state.events, drafts)] };
  const { pending } = toolRound;
  if (pending) {
    return { state: settled, step: statusWhilePending(pending) === 'awaiting_approval' ? { kind: 'await_approval', pending } : { kind: 'await_tool', pending } };
  }
  if (limitReached) return { state: settled, step: { kind: 'finish', reason: 'limit' } };
  return askOrEnd(settled, rules);
}

type RefusedCalls = NonNullable<Extract<TurnOutcome, { kind: 'model_replied' }>['refused']>;

/** A tool that needs approval is always slow, whatever its declared mode. */
function isSlow(tool: Pick<ToolDeclaration, 'mode' | 'approval'>): boolean {
  return tool.mode === 'slow' || tool.approval !== undefined;
}

function settleCalls(
  state: TurnState,
  calls: readonly ToolCall[],
  callEvents: readonly SessionEvent[],
  limitReached: string | undefined,
  policy: ToolPolicy,
  refusedCalls: RefusedCalls,
): ToolRound {
  let pending: PendingTool | undefined;
  const decided = (call: ToolCall, output: ToolRunOutput): SettledCall => ({
    kind: 'decided',
    call,
    result: { toolCallId: call.id, output, actor: ORCHESTRATOR_ACTOR },
  });
  const settled = calls.map((call, index): SettledCall => {
    if (limitReached !== undefined) return decided(call, refused('not_allowed', limitReached).output);
    const refusedEarly = refusedCalls.find((entry) => entry.toolCallId === call.id);
    if (refusedEarly) return decided(call, refusedEarly.output);
    const check = policy.check(state.tenant, call);
    if (!check.ok) return decided(call, check.output);
    if (!isSlow(check.tool)) return { kind: 'run', call, tool: check.tool.name };
    if (pending !== undefined) {
      const message = `only one slow tool call can wait at a time; call ${JSON.stringify(check.tool.name)} again once ${JSON.stringify(pending.tool)} has finished`;
      return decided(call, refused('not_allowed', message).output);
    }
    pending = pendingToolFor(call, check.tool, callEvents[index].seq, state);
    return { kind: 'pending', call };
  });
  return pending ? { calls: settled, pending } : { calls: settled };
}

function nextSeq(events: readonly SessionEvent[]): number {
  return events[events.length - 1].seq + 1;
}

/** Seals drafts onto the end of the chain. */
function sealAfter(events: readonly SessionEvent[], drafts: readonly EventDraft[]): SessionEvent[] {
  return sealEvents(drafts, events[events.length - 1].hash);
}

import type { ChatMessage, ModelReply, ToolCall, ToolSpec } from '../ports/model-backend';
import { delegateToolName, handoffToolName, type AgentDefinition, type AgentDirectory } from '../../../lib/contract/agent';
import type { ToolDeclaration } from '../../../lib/contract/tool-declaration';
import type { ToolRunInput, ToolRunOutput } from '../../../lib/contract/workflow-contract';
import type { SessionLimits } from '../../../lib/contract/session-limits';
import {
  agentActor,
  agentDefinition,
  delegateRequest,
  delegateSpec,
  delegationDepthOf,
  handoffAcknowledgment,
  handoffDraft,
  handoffSpec,
  isAgent,
  isHandoffInput,
  stampOf,
} from './agents';
import { assertWithinBudget } from './budget';
import { buildContext } from './context-builder';
import { MEMORY_TOOL_NAMES, RECALL_SPEC, RECALL_TOOL, recallQuery, REMEMBER_SPEC, REMEMBER_TOOL, REMEMBERED, rememberInput } from './memory-tools';
import { BudgetExceededError } from './errors';
import { sealEvents } from './hash-chain';
import { pendingToolFor, statusWhilePending } from './pending-tool';
import type { EventDraft, SessionEvent } from './session-event';
import type { ClientCall, PendingTool, SessionHeader, TokenUsage } from './session-header';
import { estimateTokens } from './token-estimate';
import { ORCHESTRATOR_ACTOR, toolActor, toolResultDraft } from './tool-events';
import { notAvailable, refused, type ToolCaller, type ToolPolicy } from './tool-policy';
import { addUsage, assertUsableReply, replyDrafts } from './turn-plan';

/**
 * The turn as a pure step function: given the state of the turn so far and
 * the outcome of the last step, what to do next. No I/O and no awaits; a
 * driver executes the steps (in-process for a synchronous turn, see
 * turn-rounds.ts) and feeds their outcomes back.
 *
 * The state is plain JSON (no class instances, no functions), so a driver
 * may carry it between invocations, as a Step Functions state machine
 * carries its state. The deployment's rules (limits, tool policy and
 * agents) are not state: every invocation has them from its configuration.
 *
 * A stretch runs the session's agent: its model, then the tools it calls,
 * then its model again, until the model answers without calling a tool,
 * calls a slow tool (the session then waits for it), hands the session to
 * another agent, or reaches the turn's limits. A call the policy or the
 * agent's own list of tools refuses, or whose input fails its schema, is not
 * run: it gets a tool result saying why, and the model goes on. When the
 * session's budget runs out after tools have run, the stretch ends with what
 * it has.
 *
 * A call of one of the agent's delegates is a `delegate` step: the delegate
 * runs as a stretch of its own state (its instructions, model and tools, its
 * own events in the same chain, marked with its name and depth), and its
 * answer becomes the call's result. Delegates wait for no slow call and hand
 * nothing over, so a session still has at most one pending call.
 *
 * A call of one of the client's own functions (StretchStart.clientTools) is
 * not run here: the other calls of its reply run as usual, then the stretch
 * ends (`await_client`) and the client runs it. Its result opens the stretch
 * of the request that brings the client's output (client-calls.ts).
 */

/** What a step function invocation needs besides the state: the deployment's rules. */
export interface TurnRules {
  readonly limits: SessionLimits;
  readonly policy: ToolPolicy;
  readonly agents: AgentDirectory;
  /**
   * A background turn's limit of model calls of the session's agent, in
   * place of the synchronous turn's maxToolRounds (delegates keep theirs).
   * Each round commits on its own, so the call limit and the commit's room
   * hold per round.
   */
  readonly maxRounds?: number;
}

/** A result the turn decided without running a tool (refused, invalid input, limit reached), or a tool's (or delegate's) own output. */
export interface DecidedResult {
  readonly toolCallId: string;
  readonly output: ToolRunOutput;
  /** The orchestrator for a decided result, the tool (or delegate) for its own output. */
  readonly actor: string;
}

/** What became of one call of a model reply. */
export type SettledCall =
  | { readonly kind: 'decided'; readonly call: ToolCall; readonly result: DecidedResult }
  | { readonly kind: 'run'; readonly call: ToolCall; readonly tool: string }
  | { readonly kind: 'pending'; readonly call: ToolCall }
  /** A call of the client's function: the client runs it after the stretch. */
  | { readonly kind: 'client'; readonly call: ToolCall }
  | { readonly kind: 'delegate'; readonly call: ToolCall; readonly agent: string; readonly request: string };

/** The calls of a model reply, in the order the model made them. */
export interface SettledRound {
  readonly calls: readonly SettledCall[];
  readonly pending?: PendingTool;
  /** The agent a handoff call of the reply gives the session to. */
  readonly handoff?: { readonly agent: string; readonly call: ToolCall };
  /** The reply's calls of the client's functions, in order; absent when it made none. */
  readonly client?: readonly ClientCall[];
}

/** A round while its fast tools, then its delegates, run. */
export interface ToolRound extends SettledRound {
  /** What is out: the fast tools (a run_tools step) or one delegate (a delegate step). */
  readonly awaiting: 'tools' | 'delegate';
  /** Results of the calls that ran or were delegated so far. */
  readonly results: readonly DecidedResult[];
}

/** Where a stretch starts: the session as read, and the new events that open the stretch. Plain JSON. */
export interface StretchStart {
  readonly tenant: string;
  readonly session: string;
  readonly header: SessionHeader;
  /** The agent the state runs: the session's, or (in a delegate's state) the delegate. */
  readonly agent: string;
  /** The events read with the header, newest first. */
  readonly loaded: readonly SessionEvent[];
  /**
   * New events that open this stretch, chained after the header: the user
   * event, or an approval and a tool result; none for a background turn's
   * next round, which goes on from the session as committed.
   */
  readonly opening: readonly SessionEvent[];
  /** Model calls the session's agent made in this turn's earlier rounds (a background turn's): they count toward its round limit. */
  readonly roundsBefore?: number;
  /** The time recorded on every event of the stretch. */
  readonly time: string;
  /** The request the stretch belongs to, and who sent it: a slow call made now records both. */
  readonly requestId: string;
  readonly requestedBy: string;
  /**
   * The client's own functions (the OpenAI-compatible API's function tools),
   * offered to the session's agent beside its own tools, never to a delegate.
   * Their names never clash with the agent's tools (client-calls.ts checks).
   * @default none
   */
  readonly clientTools?: readonly ToolSpec[];
  /**
   * What recall found of the session owner's memory for this turn
   * (recall-memory.ts), in the session's agent's context only, never a
   * delegate's. @default none
   */
  readonly memory?: string;
}

/** A delegated call: what the delegate's state knows of the call it answers, and what it may spend. */
export interface Delegation {
  /** 1 for a delegate of the session's agent, 2 for a delegate's delegate. */
  readonly depth: number;
  /** The deepest delegation its own calls may open. */
  readonly maxDepth: number;
  /** The agent that asked, and the call it asked with. */
  readonly caller: string;
  readonly toolCallId: string;
  /** Tokens this delegated call may spend; absent: only the session's budget limits it. */
  readonly tokenBudget?: number;
  /** Tokens the session had spent when the delegate started, its callers' spending in this turn included. */
  readonly spentBefore: TokenUsage;
  /** Events the turn's commit holds besides this delegate's: written before it, and owed to its callers' rounds. */
  readonly eventsBefore: number;
}

/** The state of a stretch of a turn (or of a delegated call in it). Plain JSON throughout. */
export interface TurnState extends Omit<StretchStart, 'opening'> {
  /** The events of this stretch, chained after the header: its opening events, then what the rounds added. */
  readonly events: readonly SessionEvent[];
  /** Tokens the model calls of this stretch used, its delegates' included. */
  readonly usage: TokenUsage;
  /** Model replies this state's agent received. */
  readonly modelCalls: number;
  /** Tool calls the models of the turn made, delegates' included: the turn's limit counts them all. */
  readonly callsRecorded: number;
  /** Present while a run_tools or delegate step is out. */
  readonly toolRound?: ToolRound;
  /** Present in a delegate's state. */
  readonly delegation?: Delegation;
  /** Set when the stretch ended by a handoff: the agent of the session's following turns. */
  readonly handoffTo?: string;
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
  | { readonly kind: 'tools_ran'; readonly results: readonly { readonly toolCallId: string; readonly output: ToolRunOutput }[] }
  /**
   * The delegate step's state, driven to its finish, and why it finished.
   * `output` is the call's result as the caller's guardrail let it through
   * (masked or withheld; its interventions then end the delegate's events);
   * absent, the result is the delegate's answer (delegateAnswer) as is.
   */
  | { readonly kind: 'delegated'; readonly delegate: TurnState; readonly reason: FinishReason; readonly output?: ToolRunOutput };

export type FinishReason = 'answered' | 'limit' | 'budget' | 'handoff';

/** A discriminated union on `kind`, so a step kind can be added without changing the others. */
export type TurnStep =
  /** Ask `agent`'s model with these messages; `tools` is empty when the agent may call none. */
  | { readonly kind: 'ask_model'; readonly agent: string; readonly messages: readonly ChatMessage[]; readonly tools: readonly ToolSpec[] }
  /** Run these fast tools (at most `limits.toolConcurrency` at a time); `decided` are the reply's other results, already known. */
  | { readonly kind: 'run_tools'; readonly runs: readonly ToolRunInput[]; readonly decided: readonly DecidedResult[] }
  /**
   * Run the delegate `agent`: drive `state` (its first state) with this same
   * function, from `started` to its `finish`, and feed that back as `delegated`.
   */
  | { readonly kind: 'delegate'; readonly agent: string; readonly state: TurnState }
  /** The stretch ends; the session waits for the slow call (its workflow starts after the commit). */
  | { readonly kind: 'await_tool'; readonly pending: PendingTool }
  /** The same, for a call that needs an approver's decision first. */
  | { readonly kind: 'await_approval'; readonly pending: PendingTool }
  /** The stretch ends; the client runs these calls of its functions and sends their outputs in its next request. */
  | { readonly kind: 'await_client'; readonly calls: readonly ClientCall[] }
  /** The stretch (or the delegate's state) ends with what it has. */
  | { readonly kind: 'finish'; readonly reason: FinishReason };

export interface TurnTransition {
  readonly state: TurnState;
  readonly step: TurnStep;
}

/**
 * A turn commits in one TransactWriteItems, which holds at most 100 items:
 * its events, the approvers' inbox entry (when the turn leaves or ends a
 * wait for approval), the request's marker and the header. The model is
 * asked only while the events its reply may still bring fit beside those
 * already owed.
 */
const COMMIT_EVENT_ROOM = 100 - 3;
/** What a handoff writes after its round: the handoff event and the acknowledgment. */
const HANDOFF_EVENTS = 2;

const NO_USAGE: TokenUsage = { input: 0, output: 0 };

/** A stretch's first state: nothing asked yet. */
export function startStretch(input: StretchStart): TurnState {
  const { opening, ...rest } = input;
  return { ...rest, events: opening, usage: NO_USAGE, modelCalls: 0, callsRecorded: 0 };
}

/**
 * The step function. Throws, as the synchronous turn always has, when the
 * turn cannot go on: BudgetExceededError before anything ran (the turn is
 * refused and writes nothing), ModelError for a reply the session cannot
 * store, AgentUnavailableError for a session whose agent is no longer
 * deployed, and Error for an outcome that does not answer the last step (a
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
      if (state.toolRound?.awaiting !== 'tools') throw new Error('tool results arrived, but no tools were running');
      return afterTools(state, outcome.results, rules);
    case 'delegated':
      if (state.toolRound?.awaiting !== 'delegate') throw new Error("a delegate's answer arrived, but no delegate was running");
      return afterDelegate(state, outcome, rules);
  }
}

function depthOf(state: TurnState): number {
  return state.delegation?.depth ?? 0;
}

/** The deepest delegation the state's calls may open: the session's agent's limit, narrowed by each delegate's own. */
function maxDepthOf(state: TurnState, rules: TurnRules): number {
  return state.delegation?.maxDepth ?? delegationDepthOf(agentDefinition(rules.agents, state.agent));
}

/** Events the commit holds once this state's round is settled: written before it, its own, and owed to its callers. */
function eventsOwed(state: TurnState): number {
  return (state.delegation?.eventsBefore ?? 0) + state.events.length;
}

/**
 * The most events one model reply can bring: its text, each call and its
 * result, and (for the session's agent) a handoff. A guarded agent's reply
 * may bring one intervention more for its text, and two more per call: on
 * the call's input and on its result (a tool's, or a delegate's answer).
 */
function replyEventsAtMost(state: TurnState, rules: TurnRules): number {
  const calls = rules.limits.maxToolCallsPerTurn;
  const interventions = isGuarded(state, rules) ? 1 + 2 * calls : 0;
  return 1 + 2 * calls + interventions + (depthOf(state) === 0 ? HANDOFF_EVENTS : 0);
}

function isGuarded(state: TurnState, rules: TurnRules): boolean {
  return agentDefinition(rules.agents, state.agent).guardrail !== undefined;
}

/**
 * The most calls of the client's functions one reply may hand over. The
 * request that answers them opens its stretch with a result per call (and,
 * for a guarded agent, room for an intervention on each) and must still have
 * room to ask the model once, so that its commit fits too.
 */
function clientCallsAtMost(state: TurnState, rules: TurnRules): number {
  const perResult = isGuarded(state, rules) ? 2 : 1;
  return Math.max(0, Math.floor((COMMIT_EVENT_ROOM - replyEventsAtMost(state, rules)) / perResult));
}

/** Why the budgets cannot pay for a prompt: the session's, and a delegated call's own. */
function budgetRefusal(state: TurnState, promptTokens: number): BudgetExceededError | undefined {
  try {
    const spent = addUsage(state.delegation?.spentBefore ?? state.header.tokens, state.usage);
    assertWithinBudget({ tokens: spent, budget: state.header.budget }, promptTokens);
    const own = state.delegation?.tokenBudget;
    if (own !== undefined) assertWithinBudget({ tokens: state.usage, budget: { maxTokens: own } }, promptTokens);
    return undefined;
  } catch (error) {
    if (error instanceof BudgetExceededError) return error;
    throw error;
  }
}

/** Ask the model again, unless the budgets cannot pay for the prompt or the commit has no room for its reply. */
function askOrEnd(state: TurnState, rules: TurnRules): TurnTransition {
  const { header } = state;
  const agent = agentDefinition(rules.agents, state.agent);
  if (eventsOwed(state) + replyEventsAtMost(state, rules) > COMMIT_EVENT_ROOM) {
    return { state, step: { kind: 'finish', reason: 'limit' } };
  }
  const depth = depthOf(state);
  // A delegate sees its request and its own rounds, never the session it serves.
  const context = buildContext({
    instructions: agent.instructions,
    memory: state.delegation ? '' : state.memory,
    summary: state.delegation ? '' : header.summary,
    summaryUpToSeq: state.delegation ? 0 : header.summaryUpToSeq,
    eventsNewestFirst: [...state.events]
      .reverse()
      .concat(state.loaded)
      .filter((event) => (event.delegationDepth ?? 0) === depth),
    maxTokens: rules.limits.contextTokens,
  });
  const overBudget = budgetRefusal(state, context.estimatedTokens);
  if (overBudget) {
    // Before anything ran, a turn the budget cannot pay for is refused and writes nothing. Once tools have
    // run (or a slow call's result is in), that work is kept: the stretch ends here, recorded and charged.
    // A delegate that cannot pay ends too; its caller is told.
    const opensWithUser = state.events.some((event) => event.type === 'user');
    if (!state.delegation && state.modelCalls === 0 && opensWithUser) throw overBudget;
    return { state, step: { kind: 'finish', reason: 'budget' } };
  }
  return { state, step: { kind: 'ask_model', agent: state.agent, messages: context.messages, tools: toolsOffered(state, agent, rules) } };
}

/**
 * The agent's tools that the tenant's policy allows (a delegate is not
 * offered slow ones), then its delegates while it may still delegate, then
 * (for the session's agent only) its handoffs and the client's functions.
 */
function toolsOffered(state: TurnState, agent: AgentDefinition, rules: TurnRules): ToolSpec[] {
  const depth = depthOf(state);
  const own = rules.policy
    .toolsFor(state.tenant, callerOf(state))
    .filter((tool) => agent.tools.includes(tool.name) && !(depth > 0 && isSlow(tool)))
    .map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
  const known = (names: readonly string[] = []) => names.filter((name) => isAgent(rules.agents, name)).map((name) => rules.agents.agents[name]);
  const delegates = depth < maxDepthOf(state, rules) ? known(agent.delegates).map(delegateSpec) : [];
  const handoffs = depth === 0 ? known(agent.handoffs).map(handoffSpec) : [];
  const client = depth === 0 ? (state.clientTools ?? []) : [];
  // The person's memory is the session's agent's, never a delegate's.
  const memory = depth === 0 && agent.memory ? [REMEMBER_SPEC, RECALL_SPEC] : [];
  return [...own.filter((tool) => !(memory.length > 0 && MEMORY_TOOL_NAMES.includes(tool.name))), ...delegates, ...handoffs, ...memory, ...client];
}

function afterReply(state: TurnState, reply: ModelReply, rules: TurnRules, refusedCalls: RefusedCalls): TurnTransition {
  const { limits } = rules;
  assertUsableReply(reply, limits);
  const agent = agentDefinition(rules.agents, state.agent);
  const round = (state.roundsBefore ?? 0) + state.modelCalls;
  const replyEvents = sealAfter(state, replyDrafts(reply, nextSeq(state), state.time), rules);
  const replied: TurnState = {
    ...state,
    events: [...state.events, ...replyEvents],
    usage: addUsage(state.usage, reply.usage),
    modelCalls: state.modelCalls + 1,
    callsRecorded: state.callsRecorded + reply.toolCalls.length,
  };
  if (reply.toolCalls.length === 0) return { state: replied, step: { kind: 'finish', reason: 'answered' } };

  const maxToolRounds = depthOf(state) === 0 && rules.maxRounds !== undefined ? rules.maxRounds : (agent.limits?.maxToolRounds ?? limits.maxToolRounds);
  const limitReached =
    round >= maxToolRounds
      ? `the turn's limit of ${maxToolRounds} tool rounds was reached; answer with what you have`
      : state.callsRecorded + reply.toolCalls.length > limits.maxToolCallsPerTurn
        ? `the turn's limit of ${limits.maxToolCallsPerTurn} tool calls was reached; answer with what you have`
        : undefined;
  const [, ...callEvents] = replyEvents;
  const settled = settleCalls(replied, agent, reply.toolCalls, callEvents, limitReached, rules, refusedCalls);
  const runs = settled.calls.flatMap((call) =>
    call.kind === 'run'
      ? [{ tool: call.tool, toolCallId: call.call.id, input: call.call.input, tenant: state.tenant, session: state.session }]
      : [],
  );
  if (runs.length === 0) return delegateOrEnd(replied, settled, [], limitReached !== undefined, rules);
  const decided = settled.calls.flatMap((call) => (call.kind === 'decided' ? [call.result] : []));
  return { state: { ...replied, toolRound: { ...settled, awaiting: 'tools', results: [] } }, step: { kind: 'run_tools', runs, decided } };
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
  return delegateOrEnd(rest, toolRound, ran, false, rules);
}

/** The delegate's events join the caller's chain, its spending the caller's, and its answer (or why there is none) is the call's result. */
function afterDelegate(state: TurnState, outcome: Extract<TurnOutcome, { kind: 'delegated' }>, rules: TurnRules): TurnTransition {
  const { delegate, reason } = outcome;
  const { toolRound, ...rest } = state;
  if (!toolRound) throw new Error('no delegate was running');
  const toolCallId = delegate.delegation?.toolCallId;
  const running = toolRound.calls.some((settled) => settled.kind === 'delegate' && settled.call.id === toolCallId);
  if (!running || toolRound.results.some((result) => result.toolCallId === toolCallId)) {
    throw new Error(`no delegate was running for tool call ${JSON.stringify(toolCallId)}`);
  }
  if (delegate.events[0]?.prevHash !== chainEnd(rest).hash) {
    throw new Error("the delegate's events do not continue its caller's chain");
  }
  const answered: TurnState = {
    ...rest,
    events: [...rest.events, ...delegate.events],
    usage: addUsage(rest.usage, delegate.usage),
    callsRecorded: delegate.callsRecorded,
  };
  const result = { toolCallId: toolCallId as string, output: outcome.output ?? delegateAnswer(delegate, reason), actor: agentActor(delegate.agent) };
  return delegateOrEnd(answered, toolRound, [...toolRound.results, result], false, rules);
}

/** The result of a delegated call: the delegate's last answer, or (when it finished without one) why there is none. */
export function delegateAnswer(delegate: TurnState, reason: FinishReason): ToolRunOutput {
  const own = delegate.events.filter((event) => event.delegationDepth === delegate.delegation?.depth && event.type === 'assistant');
  const answer = own[own.length - 1];
  if (reason === 'answered' && answer) return { ok: true, output: answer.content };
  const why = reason === 'budget' ? 'ran out of tokens' : 'reached its limits';
  return { ok: false, error: 'tool_failed', message: `${delegate.agent} ${why} before it answered; answer with what you have` };
}

/** Starts the round's next delegate that has no result yet, or ends the round. */
function delegateOrEnd(state: TurnState, round: SettledRound, results: readonly DecidedResult[], limitReached: boolean, rules: TurnRules): TurnTransition {
  let known = results;
  for (const settled of round.calls) {
    if (settled.kind !== 'delegate' || known.some((result) => result.toolCallId === settled.call.id)) continue;
    const delegate = delegateState(state, round, settled, rules);
    // The delegate's first step, computed here too: a delegate that could not even ask is refused, and writes nothing.
    const first = askOrEnd(delegate, rules).step;
    if (first.kind === 'ask_model') {
      return { state: { ...state, toolRound: { ...round, awaiting: 'delegate', results: known } }, step: { kind: 'delegate', agent: settled.agent, state: delegate } };
    }
    const why =
      first.kind === 'finish' && first.reason === 'budget'
        ? `the token budget cannot pay for asking ${settled.agent}`
        : `the turn has no room left to ask ${settled.agent}`;
    known = [...known, { toolCallId: settled.call.id, output: refused('not_allowed', `${why}; answer with what you have`).output, actor: ORCHESTRATOR_ACTOR }];
  }
  return endRound(state, round, known, limitReached, rules);
}

/** A delegate's first state: its request, chained after its caller's events, and what it may spend. */
function delegateState(caller: TurnState, round: SettledRound, settled: Extract<SettledCall, { kind: 'delegate' }>, rules: TurnRules): TurnState {
  const definition = agentDefinition(rules.agents, settled.agent);
  const depth = depthOf(caller) + 1;
  const last = chainEnd(caller);
  const request: EventDraft = {
    seq: last.seq + 1,
    type: 'user',
    content: settled.request,
    tokens: estimateTokens(settled.request),
    actor: agentActor(caller.agent),
    time: caller.time,
    toolCallId: settled.call.id,
    toolName: settled.call.name,
    ...stampOf(definition, depth),
  };
  const callerLeft = caller.delegation?.tokenBudget === undefined ? undefined : caller.delegation.tokenBudget - total(caller.usage);
  const tokenBudget = smallest(definition.limits?.delegationTokenBudget, callerLeft);
  return {
    tenant: caller.tenant,
    session: caller.session,
    header: caller.header,
    agent: settled.agent,
    loaded: [],
    time: caller.time,
    requestId: caller.requestId,
    requestedBy: caller.requestedBy,
    events: sealEvents([request], last.hash),
    usage: NO_USAGE,
    modelCalls: 0,
    callsRecorded: caller.callsRecorded,
    delegation: {
      depth,
      maxDepth: Math.min(maxDepthOf(caller, rules), depth + delegationDepthOf(definition)),
      caller: caller.agent,
      toolCallId: settled.call.id,
      ...(tokenBudget === undefined ? {} : { tokenBudget }),
      spentBefore: addUsage(caller.delegation?.spentBefore ?? caller.header.tokens, caller.usage),
      // The caller's round still owes a result per call (and, guarded, an intervention on each result), and the
      // handoff's events when it hands over.
      eventsBefore: eventsOwed(caller) + round.calls.length * (isGuarded(caller, rules) ? 2 : 1) + (round.handoff ? HANDOFF_EVENTS : 0),
    },
  };
}

/** Appends the round's results in the order of the calls, then waits for the slow call, hands over, ends at the limit, or asks again. */
function endRound(state: TurnState, round: SettledRound, results: readonly DecidedResult[], limitReached: boolean, rules: TurnRules): TurnTransition {
  const byId = new Map(results.map((result) => [result.toolCallId, result]));
  let seq = nextSeq(state);
  const drafts = round.calls.flatMap((settled) => {
    const result = settled.kind === 'decided' ? settled.result : byId.get(settled.call.id);
    return result ? [toolResultDraft(settled.call, result.output, seq++, result.actor, state.time)] : [];
  });
  const settledState: TurnState = { ...state, events: [...state.events, ...sealAfter(state, drafts, rules)] };
  const { pending, handoff, client } = round;
  if (pending) {
    return { state: settledState, step: statusWhilePending(pending) === 'awaiting_approval' ? { kind: 'await_approval', pending } : { kind: 'await_tool', pending } };
  }
  if (client) return { state: settledState, step: { kind: 'await_client', calls: client } };
  if (handoff) return handOver(settledState, handoff, rules);
  if (limitReached) return { state: settledState, step: { kind: 'finish', reason: 'limit' } };
  return askOrEnd(settledState, rules);
}

/** The session goes to `handoff.agent` from its next turn: the handoff event, then the acknowledgment the turn answers with. */
function handOver(state: TurnState, handoff: NonNullable<SettledRound['handoff']>, rules: TurnRules): TurnTransition {
  const target = agentDefinition(rules.agents, handoff.agent);
  const seq = nextSeq(state);
  const acknowledgment = handoffAcknowledgment(target);
  const drafts: EventDraft[] = [
    handoffDraft(state.agent, target.name, handoff.call, seq, state.time),
    { seq: seq + 1, type: 'assistant', content: acknowledgment, tokens: estimateTokens(acknowledgment), actor: ORCHESTRATOR_ACTOR, time: state.time },
  ];
  return {
    state: { ...state, events: [...state.events, ...sealAfter(state, drafts, rules)], handoffTo: target.name },
    step: { kind: 'finish', reason: 'handoff' },
  };
}

type RefusedCalls = NonNullable<Extract<TurnOutcome, { kind: 'model_replied' }>['refused']>;

/** A tool that needs approval is always slow, whatever its declared mode. */
function isSlow(tool: Pick<ToolDeclaration, 'mode' | 'approval'>): boolean {
  return tool.mode === 'slow' || tool.approval !== undefined;
}

function settleCalls(
  state: TurnState,
  agent: AgentDefinition,
  calls: readonly ToolCall[],
  callEvents: readonly SessionEvent[],
  limitReached: string | undefined,
  rules: TurnRules,
  refusedCalls: RefusedCalls,
): SettledRound {
  const depth = depthOf(state);
  const delegates = new Map((agent.delegates ?? []).map((name) => [delegateToolName(name), name]));
  // Only the session's own agent may hand the session over; to a delegate these are tools it does not have.
  const handoffs = new Map(depth === 0 ? (agent.handoffs ?? []).map((name) => [handoffToolName(name), name]) : []);
  const clientNames = new Set(depth === 0 ? (state.clientTools ?? []).map((tool) => tool.name) : []);
  const clientRoom = clientNames.size > 0 ? clientCallsAtMost(state, rules) : 0;
  let pending: PendingTool | undefined;
  let handoff: SettledRound['handoff'];
  const client: ClientCall[] = [];
  const decided = (call: ToolCall, output: ToolRunOutput): SettledCall => ({
    kind: 'decided',
    call,
    result: { toolCallId: call.id, output, actor: ORCHESTRATOR_ACTOR },
  });
  let settled: readonly SettledCall[] = calls.map((call, index): SettledCall => {
    if (limitReached !== undefined) return decided(call, refused('not_allowed', limitReached).output);
    const refusedEarly = refusedCalls.find((entry) => entry.toolCallId === call.id);
    if (refusedEarly) return decided(call, refusedEarly.output);
    const delegate = delegates.get(call.name);
    if (delegate !== undefined) {
      if (!isAgent(rules.agents, delegate)) return decided(call, notAvailable(call.name).output);
      const maxDepth = maxDepthOf(state, rules);
      if (depth + 1 > maxDepth) {
        return decided(call, refused('not_allowed', `the delegation depth limit of ${maxDepth} was reached; answer without ${JSON.stringify(call.name)}`).output);
      }
      const request = delegateRequest(call.input);
      if (request === undefined) {
        return decided(call, refused('invalid_input', `the input of ${JSON.stringify(call.name)} must be { "request": "<what to ask>" }`).output);
      }
      return { kind: 'delegate', call, agent: delegate, request };
    }
    const target = handoffs.get(call.name);
    if (target !== undefined) {
      if (!isAgent(rules.agents, target)) return decided(call, notAvailable(call.name).output);
      if (handoff) return decided(call, refused('not_allowed', `the session is already being handed to ${handoff.agent}`).output);
      if (!isHandoffInput(call.input)) return decided(call, refused('invalid_input', `${JSON.stringify(call.name)} takes no input: {}`).output);
      handoff = { agent: target, call };
      return decided(call, { ok: true, output: `the session goes to ${target}, which answers from the next message` });
    }
    if (depth === 0 && agent.memory && MEMORY_TOOL_NAMES.includes(call.name)) {
      if (call.name === REMEMBER_TOOL) {
        const remembered = rememberInput(call.input);
        return decided(call, 'refusal' in remembered ? refused('invalid_input', remembered.refusal).output : REMEMBERED);
      }
      if (recallQuery(call.input) === undefined) return decided(call, refused('invalid_input', 'the input of "recall" must be { "query": "<what to look for>" }').output);
      return { kind: 'run', call, tool: RECALL_TOOL };
    }
    if (clientNames.has(call.name)) {
      if (client.length >= clientRoom) {
        const message = `at most ${clientRoom} calls of the client's functions can wait at once; call ${JSON.stringify(call.name)} again once these are answered`;
        return decided(call, refused('not_allowed', message).output);
      }
      client.push({ toolCallId: call.id, name: call.name });
      return { kind: 'client', call };
    }
    // A tool outside the agent's own list is refused as the policy refuses one: the model learns nothing of it.
    if (!agent.tools.includes(call.name)) return decided(call, notAvailable(call.name).output);
    const check = rules.policy.check(state.tenant, call, callerOf(state));
    if (!check.ok) return decided(call, check.output);
    if (!isSlow(check.tool)) return { kind: 'run', call, tool: check.tool.name };
    // The session waits on one pending call at a time; a delegate, inside the turn, cannot make it wait.
    if (depth > 0) return decided(call, refused('not_allowed', 'slow tools are not available to delegates; answer without it').output);
    if (pending !== undefined) {
      const message = `only one slow tool call can wait at a time; call ${JSON.stringify(check.tool.name)} again once ${JSON.stringify(pending.tool)} has finished`;
      return decided(call, refused('not_allowed', message).output);
    }
    pending = pendingToolFor(call, check.tool, callEvents[index].seq, state);
    return { kind: 'pending', call };
  });
  const refuse = (refusedCall: ToolCall, message: string) => {
    settled = settled.map((entry) => (entry.call.id === refusedCall.id ? decided(refusedCall, refused('not_allowed', message).output) : entry));
  };
  if (client.length > 0) {
    // The session waits on one thing at a time: the client's calls, handed over now, come first.
    const waiting = `the client's functions (${[...new Set(client.map((entry) => JSON.stringify(entry.name)))].join(', ')})`;
    const slow = pending && settled.find((entry) => entry.call.id === pending?.toolCallId)?.call;
    if (slow) refuse(slow, `slow tools wait while ${waiting} run; call ${JSON.stringify(slow.name)} again once they have answered`);
    if (handoff) refuse(handoff.call, `the session cannot be handed over while ${waiting} run; hand it over once they have answered`);
    return { calls: settled, client };
  }
  if (handoff && pending) {
    // The session cannot move while it waits on a call its agent made.
    const message = `the session cannot be handed over while ${JSON.stringify(pending.tool)} is pending; hand it over once that call has finished`;
    refuse(handoff.call, message);
    return { calls: settled, pending };
  }
  return { calls: settled, ...(pending ? { pending } : {}), ...(handoff ? { handoff } : {}) };
}

/** Who the policy sees calling: the actor the turn acts for, through the model of the state's agent (a delegate's own, in its state). */
function callerOf(state: TurnState): ToolCaller {
  return { actor: state.requestedBy, agent: state.agent };
}

/**
 * Where the state's chain ends: its newest event, or (a stretch that opened
 * with no new event: a background turn's next round) the session's own end.
 */
export function chainEnd(state: Pick<TurnState, 'events' | 'header'>): { readonly seq: number; readonly hash: string } {
  const last = state.events[state.events.length - 1];
  return last ? { seq: last.seq, hash: last.hash } : { seq: state.header.lastSeq, hash: state.header.lastHash };
}

function nextSeq(state: Pick<TurnState, 'events' | 'header'>): number {
  return chainEnd(state).seq + 1;
}

/** Seals drafts onto the end of the state's chain, each marked with the state's agent, its version and depth. */
function sealAfter(state: TurnState, drafts: readonly EventDraft[], rules: TurnRules): SessionEvent[] {
  const stamp = stampOf(agentDefinition(rules.agents, state.agent), depthOf(state));
  return sealEvents(
    drafts.map((draft) => ({ ...draft, ...stamp })),
    chainEnd(state).hash,
  );
}

function total(usage: TokenUsage): number {
  return usage.input + usage.output;
}

function smallest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

import type { Guardrail } from '../ports/guardrail';
import type { ChatMessage, ModelBackend, ModelReply, ToolSpec } from '../ports/model-backend';
import type { SlowToolStarter, ToolRunner } from '../ports/tool-workflows';
import type { ToolRunInput, ToolRunOutput } from '../../../lib/contract/workflow-contract';
import type { SessionLimits } from '../../../lib/contract/session-limits';
import { agentDefinition, stampOf, type AgentModels } from './agents';
import { ModelError, StatehouseError } from './errors';
import { guardOpening, guardReply, guardToolResult, withInterventions, type PendingIntervention } from './guard';
import { refused, ToolPolicy } from './tool-policy';
import { assertUsableReply, type RoundsOutcome } from './turn-plan';
import { recallQuery, RECALL_TOOL } from './memory-tools';
import { startRecall, type RecallDeps } from './recall-memory';
import {
  delegateAnswer,
  nextTurnStep,
  startStretch,
  type FinishReason,
  type StretchStart,
  type TurnOutcome,
  type TurnRules,
  type TurnState,
  type TurnStep,
} from './turn-step';

/** The tools of a deployment: who may call what, and the workflows that run them. */
export interface TurnTools {
  readonly policy: ToolPolicy;
  readonly runner: ToolRunner;
  readonly slowTools: SlowToolStarter;
}

/** The agents (each asked through its own model), tools and limits of a deployment. */
export interface RoundsDeps extends AgentModels {
  /** @default no tools: every call the model makes is refused as not_allowed */
  readonly tools?: TurnTools;
  readonly limits: SessionLimits;
  /**
   * An agent's guardrail (its definition's `guardrail`): it checks the
   * user's message, the agent's replies and tool inputs, and the results of
   * the tools it calls (guard.ts), whatever the model backend. A delegate's
   * texts go through the delegate's own guardrail.
   * @default none: nothing is checked and no guardrail is called
   */
  guardrailFor?(agent: string): Guardrail | undefined;
  /** The person's memory, for the `recall` tool of an agent with memory (memory-tools.ts). @default none: recall finds nothing */
  readonly memory?: RecallDeps;
}

/** Where a stretch starts: the session as read, and the new events that open the stretch. */
export type RoundsInput = StretchStart;

export interface RoundsOptions {
  /**
   * Stop before the session's agent's model is asked once it was asked this
   * many times here: a background turn's round asks once, commits, and the
   * agent loop asks for the next round. @default no stop: the stretch runs to its end
   */
  readonly modelCallsAtMost?: number;
  /**
   * Asked before each model call of the session's agent after its first:
   * true stops the stretch there, at a round boundary, as modelCallsAtMost
   * does (a synchronous turn out of time moves to the background).
   * @default never
   */
  readonly stopBeforeAsk?: () => boolean;
  /**
   * The text of each reply of the session's agent as it arrives (a
   * streaming turn): `round` counts the turn's model calls from 1. A
   * guarded agent's text is passed on only once the guardrail checked it,
   * whole, so nothing it would block or mask is ever sent. Delegates'
   * replies are their callers' tool results, not streamed.
   */
  readonly onText?: (round: number, delta: string) => void;
  /** A background turn's limit of model calls (TurnRules.maxRounds). */
  readonly maxRounds?: number;
}

const NO_TOOLS = ToolPolicy.of([]);

/**
 * The synchronous driver of the turn's step function (turn-step.ts): it
 * executes each step in-process (asks the agent's model, runs the fast
 * tools, drives a delegate's state to its answer) and feeds the outcome
 * back, until the stretch finishes or waits for a slow call. Nothing is
 * written here: the caller commits every event at once, so a turn stays one
 * read and one write whatever its tools and delegates did.
 *
 * With a guardrail, each check runs between the steps, and what it blocked
 * or masked is recorded in the chain before the outcome it changed.
 */
export async function runModelRounds(deps: RoundsDeps, input: RoundsInput, options: RoundsOptions = {}): Promise<RoundsOutcome> {
  const rules: TurnRules = {
    limits: deps.limits,
    policy: deps.tools?.policy ?? NO_TOOLS,
    agents: deps.agents,
    ...(options.maxRounds === undefined ? {} : { maxRounds: options.maxRounds }),
  };
  const guardrail = deps.guardrailFor?.(input.agent);
  let start = input;
  if (guardrail) {
    const opening = await guardOpening(guardrail, input);
    if (opening.kind === 'blocked') return opening.outcome;
    start = opening.start;
  }
  const { state, step } = await drive(deps, rules, startStretch(start), options);
  const agent = state.handoffTo ?? state.agent;
  const made = { events: state.events, usage: state.usage, agent, modelCalls: state.modelCalls };
  if (step.kind === 'await_tool' || step.kind === 'await_approval') return { ...made, pending: step.pending };
  if (step.kind === 'await_client') return { ...made, clientCalls: step.calls };
  return step.kind === 'finish' ? { ...made, finish: step.reason } : { ...made, continues: true };
}

type EndStep = Extract<TurnStep, { kind: 'await_tool' | 'await_approval' | 'await_client' | 'finish' }> | Extract<TurnStep, { kind: 'ask_model' }>;

/**
 * Drives one state to its end: the stretch's, or (called again for a
 * delegate step) a delegate's, whose end is fed back to its caller.
 */
async function drive(
  deps: RoundsDeps,
  rules: TurnRules,
  first: TurnState,
  boundary: Pick<RoundsOptions, 'modelCallsAtMost' | 'stopBeforeAsk' | 'onText'> = {},
): Promise<{ state: TurnState; step: EndStep }> {
  const guardrail = deps.guardrailFor?.(first.agent);
  let state = first;
  let outcome: TurnOutcome = { kind: 'started' };
  for (;;) {
    const next = nextTurnStep(state, outcome, rules);
    state = next.state;
    const { step } = next;
    switch (step.kind) {
      case 'ask_model': {
        // A round boundary: the state is committed as it is, and the next round asks from the session.
        const { modelCallsAtMost, stopBeforeAsk } = boundary;
        if (modelCallsAtMost !== undefined && state.modelCalls >= modelCallsAtMost) return { state, step };
        if (stopBeforeAsk && state.modelCalls > 0 && stopBeforeAsk()) return { state, step };
        const round = (state.roundsBefore ?? 0) + state.modelCalls + 1;
        const onText = boundary.onText;
        const streamed = onText && !guardrail ? (delta: string) => onText(round, delta) : undefined;
        const reply = await askModel(deps.modelFor(step.agent), step.messages, step.tools, streamed);
        if (!guardrail) {
          outcome = { kind: 'model_replied', reply };
          break;
        }
        // The step function would refuse a malformed reply too; refused here, it never reaches the guardrail.
        assertUsableReply(reply, deps.limits);
        const guarded = await guardReply(guardrail, reply);
        if (onText && guarded.reply.text !== '') onText(round, guarded.reply.text);
        state = withInterventions(state, guarded.pending, stampOf(agentDefinition(rules.agents, state.agent), state.delegation?.depth ?? 0));
        outcome = { kind: 'model_replied', reply: guarded.reply, refused: guarded.refused };
        break;
      }
      case 'run_tools': {
        const ran = await runTools(deps, step.runs, guardrail, state);
        state = withInterventions(state, ran.pending, stampOf(agentDefinition(rules.agents, state.agent), state.delegation?.depth ?? 0));
        outcome = { kind: 'tools_ran', results: ran.results };
        break;
      }
      case 'delegate': {
        const opened = await openDelegate(deps.guardrailFor?.(step.agent), step.state);
        if (opened.kind === 'blocked') {
          outcome = { kind: 'delegated', delegate: opened.state, reason: 'answered', output: opened.output };
          break;
        }
        const delegated = await drive(deps, rules, opened.state);
        // A delegate is never offered a slow tool or the client's functions, and refused one it calls: it only finishes (and has no round limit).
        if (delegated.step.kind !== 'finish') throw new Error(`delegate ${step.agent} ended waiting on a tool`);
        outcome = await delegatedOutcome(guardrail, rules, state, delegated.state, delegated.step.reason);
        break;
      }
      case 'await_tool':
      case 'await_approval':
      case 'await_client':
      case 'finish':
        return { state, step };
    }
  }
}

type OpenedDelegate =
  | { readonly kind: 'go_on'; readonly state: TurnState }
  /** The delegate's guardrail blocked the request: the delegate is never asked, and its caller gets this result. */
  | { readonly kind: 'blocked'; readonly state: TurnState; readonly output: ToolRunOutput };

/**
 * A delegate's request is its user message: its own guardrail checks it, as
 * the session's agent's checks the user's, before the delegate's model sees
 * it (the caller's guardrail checked it already, as the call's input).
 */
async function openDelegate(guardrail: Guardrail | undefined, state: TurnState): Promise<OpenedDelegate> {
  if (!guardrail) return { kind: 'go_on', state };
  const { events, ...rest } = state;
  const opening = await guardOpening(guardrail, { ...rest, opening: events });
  if (opening.kind === 'go_on') return { kind: 'go_on', state: { ...state, events: opening.start.opening } };
  const answer = opening.outcome.events.at(-1)?.content ?? '';
  return {
    kind: 'blocked',
    state: { ...state, events: opening.outcome.events },
    output: refused('not_allowed', `${state.agent}'s guardrail blocked the request: ${answer}`).output,
  };
}

/**
 * What a delegate step feeds back. With a guardrail on the caller, the
 * delegate's answer is a tool result like any other: checked before the
 * caller's model sees it, whatever the delegate's own guardrail let through;
 * the caller's interventions end the delegate's events, stamped with the
 * caller. A delegate that did not answer leaves the orchestrator's refusal,
 * which needs no check.
 */
async function delegatedOutcome(
  guardrail: Guardrail | undefined,
  rules: TurnRules,
  caller: TurnState,
  delegate: TurnState,
  reason: FinishReason,
): Promise<TurnOutcome> {
  const answer = delegateAnswer(delegate, reason);
  const toolCallId = delegate.delegation?.toolCallId;
  const call = caller.toolRound?.calls.find((settled) => settled.call.id === toolCallId)?.call;
  if (!guardrail || !answer.ok || !call) return { kind: 'delegated', delegate, reason };
  const guarded = await guardToolResult(guardrail, { id: call.id, name: call.name }, answer);
  if (!guarded.pending) return { kind: 'delegated', delegate, reason };
  const stamp = stampOf(agentDefinition(rules.agents, caller.agent), caller.delegation?.depth ?? 0);
  return { kind: 'delegated', delegate: withInterventions(delegate, [guarded.pending], stamp), reason, output: guarded.output };
}

interface ToolsRan {
  readonly results: { toolCallId: string; output: ToolRunOutput }[];
  readonly pending: PendingIntervention[];
}

/** Runs the tools; with a guardrail, each result is checked as soon as its tool returns. */
async function runTools(deps: RoundsDeps, runs: readonly ToolRunInput[], guardrail: Guardrail | undefined, state: TurnState): Promise<ToolsRan> {
  const runner = deps.tools?.runner;
  const runOne = async (input: ToolRunInput): Promise<ToolRunOutput> => {
    // `recall` is the agent's own, run here: the person's records, ranked on the call's query.
    if (input.tool === RECALL_TOOL) {
      const recalled = await startRecall(deps.memory, state.tenant, state.header.owner, recallQuery(input.input) ?? '').forAgent(state.agent);
      return { ok: true, output: recalled.text || 'nothing in this person\'s memory bears on that' };
    }
    // The policy without tools allows no call, so a run step of a declared tool always comes with its runner.
    if (!runner) throw new Error('a tool run was planned without tools configured');
    return runner.run(input);
  };
  const ran = await mapBounded(runs, deps.limits.toolConcurrency, async (run) => {
    const output = await runOne(run);
    if (!guardrail) return { toolCallId: run.toolCallId, output };
    const guarded = await guardToolResult(guardrail, { id: run.toolCallId, name: run.tool }, output);
    return { toolCallId: run.toolCallId, output: guarded.output, pending: guarded.pending };
  });
  return {
    results: ran.map(({ toolCallId, output }) => ({ toolCallId, output })),
    pending: ran.flatMap((entry) => (entry.pending ? [entry.pending] : [])),
  };
}

/** At most `limit` calls of `fn` in flight; results in the order of `items`. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

async function askModel(
  model: ModelBackend,
  messages: readonly ChatMessage[],
  tools: readonly ToolSpec[],
  onText?: (delta: string) => void,
): Promise<ModelReply> {
  try {
    return await model.chat(messages, tools.length > 0 ? tools : undefined, onText ? { onText } : undefined);
  } catch (error) {
    if (error instanceof StatehouseError) throw error;
    throw new ModelError(`model backend failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

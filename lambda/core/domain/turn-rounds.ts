import type { ChatMessage, ModelBackend, ModelReply, ToolSpec } from '../ports/model-backend';
import type { SlowToolStarter, ToolRunner } from '../ports/tool-workflows';
import type { ToolRunInput, ToolRunOutput } from '../../../lib/contract/workflow-contract';
import type { SessionLimits } from '../../../lib/contract/session-limits';
import { ModelError, StatehouseError } from './errors';
import { ToolPolicy } from './tool-policy';
import type { RoundsOutcome } from './turn-plan';
import { nextTurnStep, startStretch, type StretchStart, type TurnOutcome, type TurnRules, type TurnState } from './turn-step';

/** The tools of a deployment: who may call what, and the workflows that run them. */
export interface TurnTools {
  readonly policy: ToolPolicy;
  readonly runner: ToolRunner;
  readonly slowTools: SlowToolStarter;
}

export interface RoundsDeps {
  readonly model: ModelBackend;
  /** @default no tools: every call the model makes is refused as not_allowed */
  readonly tools?: TurnTools;
  readonly limits: SessionLimits;
}

/** Where a stretch starts: the session as read, and the new events that open the stretch. */
export type RoundsInput = StretchStart;

const NO_TOOLS = ToolPolicy.of([]);

/**
 * The synchronous driver of the turn's step function (turn-step.ts): it
 * executes each step in-process (asks the model, runs the fast tools) and
 * feeds the outcome back, until the stretch finishes or waits for a slow
 * call. Nothing is written here: the caller commits every event at once, so
 * a turn stays one read and one write whatever its tools did.
 */
export async function runModelRounds(deps: RoundsDeps, input: RoundsInput): Promise<RoundsOutcome> {
  const rules: TurnRules = { limits: deps.limits, policy: deps.tools?.policy ?? NO_TOOLS };
  let state: TurnState = startStretch(input);
  let outcome: TurnOutcome = { kind: 'started' };
  for (;;) {
    const next = nextTurnStep(state, outcome, rules);
    state = next.state;
    const { step } = next;
    switch (step.kind) {
      case 'ask_model':
        outcome = { kind: 'model_replied', reply: await askModel(deps.model, step.messages, step.tools) };
        break;
      case 'run_tools':
        outcome = { kind: 'tools_ran', results: await runTools(deps, step.runs) };
        break;
      case 'await_tool':
      case 'await_approval':
        return { events: state.events, usage: state.usage, pending: step.pending };
      case 'finish':
        return { events: state.events, usage: state.usage };
    }
  }
}

async function runTools(deps: RoundsDeps, runs: readonly ToolRunInput[]): Promise<{ toolCallId: string; output: ToolRunOutput }[]> {
  const runner = deps.tools?.runner;
  // The policy without tools allows no call, so a run step always comes with its runner.
  if (!runner) throw new Error('a tool run was planned without tools configured');
  return mapBounded(runs, deps.limits.toolConcurrency, async (run) => ({ toolCallId: run.toolCallId, output: await runner.run(run) }));
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

async function askModel(model: ModelBackend, messages: readonly ChatMessage[], tools: readonly ToolSpec[]): Promise<ModelReply> {
  try {
    return await model.chat(messages, tools.length > 0 ? tools : undefined);
  } catch (error) {
    if (error instanceof StatehouseError) throw error;
    throw new ModelError(`model backend failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

import type { Guardrail } from '../ports/guardrail';
import type { ChatMessage, ModelBackend, ModelReply, ToolSpec } from '../ports/model-backend';
import type { SlowToolStarter, ToolRunner } from '../ports/tool-workflows';
import type { ToolRunInput, ToolRunOutput } from '../../../lib/contract/workflow-contract';
import type { SessionLimits } from '../../../lib/contract/session-limits';
import { ModelError, StatehouseError } from './errors';
import { guardOpening, guardReply, guardToolResult, withInterventions, type PendingIntervention } from './guard';
import { ToolPolicy } from './tool-policy';
import { assertUsableReply, type RoundsOutcome } from './turn-plan';
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
  /**
   * Checks the user's message, the model's replies and tool inputs, and the
   * tools' results (guard.ts), whatever the model backend.
   * @default none: nothing is checked and no guardrail is called
   */
  readonly guardrail?: Guardrail;
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
 *
 * With a guardrail, each check runs between the steps, and what it blocked
 * or masked is recorded in the chain before the outcome it changed.
 */
export async function runModelRounds(deps: RoundsDeps, input: RoundsInput): Promise<RoundsOutcome> {
  const rules: TurnRules = { limits: deps.limits, policy: deps.tools?.policy ?? NO_TOOLS };
  const { guardrail } = deps;
  let start = input;
  if (guardrail) {
    const opening = await guardOpening(guardrail, input);
    if (opening.kind === 'blocked') return opening.outcome;
    start = opening.start;
  }
  let state: TurnState = startStretch(start);
  let outcome: TurnOutcome = { kind: 'started' };
  for (;;) {
    const next = nextTurnStep(state, outcome, rules);
    state = next.state;
    const { step } = next;
    switch (step.kind) {
      case 'ask_model': {
        const reply = await askModel(deps.model, step.messages, step.tools);
        if (!guardrail) {
          outcome = { kind: 'model_replied', reply };
          break;
        }
        // The step function would refuse a malformed reply too; refused here, it never reaches the guardrail.
        assertUsableReply(reply, deps.limits);
        const guarded = await guardReply(guardrail, reply);
        state = withInterventions(state, guarded.pending);
        outcome = { kind: 'model_replied', reply: guarded.reply, refused: guarded.refused };
        break;
      }
      case 'run_tools': {
        const ran = await runTools(deps, step.runs);
        state = withInterventions(state, ran.pending);
        outcome = { kind: 'tools_ran', results: ran.results };
        break;
      }
      case 'await_tool':
      case 'await_approval':
        return { events: state.events, usage: state.usage, pending: step.pending };
      case 'finish':
        return { events: state.events, usage: state.usage };
    }
  }
}

interface ToolsRan {
  readonly results: { toolCallId: string; output: ToolRunOutput }[];
  readonly pending: PendingIntervention[];
}

/** Runs the tools; with a guardrail, each result is checked as soon as its tool returns. */
async function runTools(deps: RoundsDeps, runs: readonly ToolRunInput[]): Promise<ToolsRan> {
  const runner = deps.tools?.runner;
  // The policy without tools allows no call, so a run step always comes with its runner.
  if (!runner) throw new Error('a tool run was planned without tools configured');
  const { guardrail } = deps;
  const ran = await mapBounded(runs, deps.limits.toolConcurrency, async (run) => {
    const output = await runner.run(run);
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

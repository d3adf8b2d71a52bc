import type { ChatMessage, ModelBackend, ModelReply, ToolCall, ToolSpec } from '../ports/model-backend';
import type { SlowToolStarter, ToolRunner } from '../ports/tool-workflows';
import type { ToolDeclaration } from '../../../lib/contract/tool-declaration';
import type { ToolRunOutput } from '../../../lib/contract/workflow-contract';
import { assertWithinBudget } from './budget';
import { buildContext } from './context-builder';
import { BudgetExceededError, ModelError, StatehouseError } from './errors';
import { sealEvents } from './hash-chain';
import { pendingToolFor } from './pending-tool';
import type { EventDraft, SessionEvent } from './session-event';
import type { PendingTool, SessionHeader, TokenUsage } from './session-header';
import { ORCHESTRATOR_ACTOR, toolActor, toolResultDraft } from './tool-events';
import { refused, ToolPolicy } from './tool-policy';
import type { SessionLimits } from '../../../lib/contract/session-limits';
import { addUsage, assertUsableReply, replyDrafts, type RoundsOutcome } from './turn-plan';

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

export interface RoundsInput {
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

const NO_TOOLS = ToolPolicy.of([]);

/**
 * The model, then the tools it calls, then the model again, until it
 * answers without calling a tool, calls a slow tool (the session then waits
 * for it), or reaches the turn's limits. Nothing is written here: the
 * caller commits every event at once, so a turn stays one read and one
 * write whatever its tools did.
 *
 * A call the policy refuses, or whose input fails its schema, is not run:
 * it gets a tool result saying why, and the model goes on. So does a tool's
 * failure or timeout. When the session's budget runs out after tools have
 * run, the stretch ends with what it has (the model's last answer).
 */
export async function runModelRounds(deps: RoundsDeps, input: RoundsInput): Promise<RoundsOutcome> {
  const { limits } = deps;
  const { header } = input;
  const events: SessionEvent[] = [...input.opening];
  const specs = (deps.tools?.policy ?? NO_TOOLS).specsFor(input.tenant);
  let usage: TokenUsage = { input: 0, output: 0 };
  let callsRecorded = 0;
  const opensWithUser = input.opening.some((event) => event.type === 'user');

  for (let round = 0; ; round++) {
    const context = buildContext({
      summary: header.summary,
      summaryUpToSeq: header.summaryUpToSeq,
      eventsNewestFirst: [...events].reverse().concat(input.loaded),
      maxTokens: limits.contextTokens,
    });
    try {
      assertWithinBudget({ tokens: addUsage(header.tokens, usage), budget: header.budget }, context.estimatedTokens);
    } catch (error) {
      // Before anything ran, a turn the budget cannot pay for is refused and writes nothing. Once tools have
      // run (or a slow call's result is in), that work is kept: the stretch ends here, recorded and charged.
      if (!(error instanceof BudgetExceededError) || (round === 0 && opensWithUser)) throw error;
      return { events, usage };
    }
    const reply = await askModel(deps.model, context.messages, specs);
    assertUsableReply(reply, limits);
    usage = addUsage(usage, reply.usage);
    const [, ...callEvents] = append(events, replyDrafts(reply, nextSeq(events), input.time));
    if (reply.toolCalls.length === 0) return { events, usage };

    const limitReached =
      round >= limits.maxToolRounds
        ? `the turn's limit of ${limits.maxToolRounds} tool rounds was reached; answer with what you have`
        : callsRecorded + reply.toolCalls.length > limits.maxToolCallsPerTurn
          ? `the turn's limit of ${limits.maxToolCallsPerTurn} tool calls was reached; answer with what you have`
          : undefined;
    callsRecorded += reply.toolCalls.length;
    const settled = await settleCalls(deps, input, reply.toolCalls, callEvents, limitReached);
    let seq = nextSeq(events);
    append(
      events,
      settled.results.map(({ call, output, actor }) => toolResultDraft(call, output, seq++, actor, input.time)),
    );
    if (settled.pending) return { events, usage, pending: settled.pending };
    if (limitReached) return { events, usage };
  }
}

interface SettledCalls {
  /** One result per call that is not pending, in the order the model made the calls. */
  readonly results: readonly { readonly call: ToolCall; readonly output: ToolRunOutput; readonly actor: string }[];
  readonly pending?: PendingTool;
}

/** A tool that needs approval is always slow, whatever its declared mode. */
function isSlow(tool: ToolDeclaration): boolean {
  return tool.mode === 'slow' || tool.approval !== undefined;
}

type Disposition =
  | { readonly kind: 'result'; readonly output: ToolRunOutput; readonly actor: string }
  | { readonly kind: 'fast'; readonly tool: ToolDeclaration; readonly runner: ToolRunner }
  | { readonly kind: 'pending' };

async function settleCalls(
  deps: RoundsDeps,
  input: RoundsInput,
  calls: readonly ToolCall[],
  callEvents: readonly SessionEvent[],
  limitReached: string | undefined,
): Promise<SettledCalls> {
  const tools = deps.tools;
  const policy = tools?.policy ?? NO_TOOLS;
  let pending: PendingTool | undefined;
  const dispositions: Disposition[] = calls.map((call, index) => {
    if (limitReached !== undefined) return { kind: 'result', output: refused('not_allowed', limitReached).output, actor: ORCHESTRATOR_ACTOR };
    const check = policy.check(input.tenant, call);
    if (!check.ok) return { kind: 'result', output: check.output, actor: ORCHESTRATOR_ACTOR };
    if (!isSlow(check.tool) && tools) return { kind: 'fast', tool: check.tool, runner: tools.runner };
    if (pending !== undefined) {
      const message = `only one slow tool call can wait at a time; call ${JSON.stringify(check.tool.name)} again once ${JSON.stringify(pending.tool)} has finished`;
      return { kind: 'result', output: refused('not_allowed', message).output, actor: ORCHESTRATOR_ACTOR };
    }
    pending = pendingToolFor(call, check.tool, callEvents[index].seq, input);
    return { kind: 'pending' };
  });

  const outputs = await mapBounded(dispositions, deps.limits.toolConcurrency, async (disposition, index) => {
    if (disposition.kind !== 'fast') return disposition;
    const call = calls[index];
    const output = await disposition.runner.run({
      tool: disposition.tool.name,
      toolCallId: call.id,
      input: call.input,
      tenant: input.tenant,
      session: input.session,
    });
    return { kind: 'result' as const, output, actor: toolActor(disposition.tool.name) };
  });

  const results = outputs.flatMap((outcome, index) =>
    outcome.kind === 'result' ? [{ call: calls[index], output: outcome.output, actor: outcome.actor }] : [],
  );
  return pending ? { results, pending } : { results };
}

/** At most `limit` calls of `fn` in flight; results in the order of `items`. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function nextSeq(events: readonly SessionEvent[]): number {
  return events[events.length - 1].seq + 1;
}

/** Seals drafts onto the end of the chain and returns them. */
function append(events: SessionEvent[], drafts: readonly EventDraft[]): SessionEvent[] {
  const sealed = sealEvents(drafts, events[events.length - 1].hash);
  events.push(...sealed);
  return sealed;
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

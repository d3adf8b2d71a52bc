import type { AgentStamp } from './agents';
import type { ToolRunOutput } from '../../../lib/contract/workflow-contract';
import type { GuardOutcome, Guardrail, GuardSummary } from '../ports/guardrail';
import type { ModelReply, ToolCall } from '../ports/model-backend';
import { canonicalJson, type JsonValue } from './canonical-json';
import { sealEvents } from './hash-chain';
import { messageDigest } from './idempotency';
import type { EventDraft, SessionEvent } from './session-event';
import { GUARDRAIL_ACTOR, guardrailDraft, SOURCE_OF_SUBJECT, type GuardrailIntervention, type GuardSubject } from './guardrail-event';
import { estimateTokens } from './token-estimate';
import { ORCHESTRATOR_ACTOR } from './tool-events';
import { refused } from './tool-policy';
import type { RoundsOutcome } from './turn-plan';
import { chainEnd, type StretchStart, type TurnState } from './turn-step';

/**
 * The guardrail applied to a turn, for every model backend: the user's
 * message before any model sees it, the model's reply and the tool inputs it
 * wrote, and each tool's result before the model sees it. Converse's own
 * guardrailConfig skips tool results, so the turn asks ApplyGuardrail itself.
 *
 * BLOCKED text goes no further and is not stored; MASKED text is what goes
 * on and what is stored. Each intervention becomes a `guardrail` event
 * (guardrail-event.ts). Empty text is never sent.
 */

/** What the session stores for a user message the guardrail blocked: that one was withheld, never what it said. */
export const WITHHELD_MESSAGE = '[withheld: the guardrail blocked this message]';
/** What the session stores (and the model is shown) for a tool input the guardrail blocked. */
export const WITHHELD_INPUT: JsonValue = { withheld: 'the guardrail blocked this input' };

/** An intervention before it is sealed into the chain, and the call it concerns. */
export interface PendingIntervention {
  readonly intervention: GuardrailIntervention;
  readonly call?: { readonly id: string; readonly name: string };
}

type Intervened = Exclude<GuardOutcome, { action: 'NONE' }>;

async function ask(guardrail: Guardrail, subject: GuardSubject, text: string): Promise<GuardOutcome> {
  if (text.trim().length === 0) return { action: 'NONE' };
  return guardrail.check(text, SOURCE_OF_SUBJECT[subject]);
}

function interventionOf(guardrail: Guardrail, subject: GuardSubject, outcome: Intervened, messageDigest?: string): GuardrailIntervention {
  const { policies, filters, entities } = outcome.summary;
  return {
    subject,
    source: SOURCE_OF_SUBJECT[subject],
    action: outcome.action,
    policies,
    filters,
    entities,
    guardrail: guardrail.binding,
    ...(messageDigest === undefined ? {} : { messageDigest }),
  };
}

/** The names of what intervened, for a message to the model: `contentPolicy (VIOLENCE)`. */
function described(summary: GuardSummary): string {
  const names = [...summary.filters, ...summary.entities];
  return `${summary.policies.join(', ')}${names.length > 0 ? ` (${names.join(', ')})` : ''}`;
}

function parsedJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

function isToolRunOutput(value: JsonValue | undefined): value is ToolRunOutput & JsonValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return value.ok === true ? 'output' in value : value.ok === false && typeof value.error === 'string' && typeof value.message === 'string';
}

function withheldResult(outcome: Intervened): ToolRunOutput {
  return refused('not_allowed', `the guardrail withheld this tool's result (${described(outcome.summary)})`).output;
}

// ----- the opening of a stretch: the user's message, or a slow tool's result -----

export type GuardedOpening =
  /** The stretch goes on from `start` (its opening events as stored, guardrail events included). */
  | { readonly kind: 'go_on'; readonly start: StretchStart }
  /** The user's message was blocked: nothing reaches the model, and these events are the whole stretch. */
  | { readonly kind: 'blocked'; readonly outcome: RoundsOutcome };

interface CheckedOpening {
  readonly draft: EventDraft;
  readonly pending?: PendingIntervention;
  /** The guardrail's blocked message, when the user's message was blocked. */
  readonly answer?: string;
}

/** An event back to its draft (every field but the chain's and the storage's), to be sealed again. */
function draftOf(event: SessionEvent): EventDraft {
  const { prevHash: _prevHash, hash: _hash, s3Ref: _s3Ref, ...draft } = event;
  return draft;
}

async function checkOpeningEvent(guardrail: Guardrail, event: SessionEvent): Promise<CheckedOpening> {
  const draft = draftOf(event);
  if (event.type === 'user') {
    const outcome = await ask(guardrail, 'user_input', event.content);
    if (outcome.action === 'NONE') return { draft };
    const content = outcome.action === 'MASKED' ? outcome.text : WITHHELD_MESSAGE;
    return {
      draft: { ...draft, content, tokens: estimateTokens(content) },
      pending: { intervention: interventionOf(guardrail, 'user_input', outcome, messageDigest(event.content)) },
      ...(outcome.action === 'BLOCKED' ? { answer: outcome.message } : {}),
    };
  }
  // A slow tool's own result (a refusal the workflow decided is the orchestrator's and needs no check).
  if (event.type === 'tool_result' && event.actor !== ORCHESTRATOR_ACTOR && event.toolCallId !== undefined) {
    const call = { id: event.toolCallId, name: event.toolName ?? '' };
    const guarded = await guardToolResult(guardrail, call, JSON.parse(event.content) as ToolRunOutput);
    if (!guarded.pending) return { draft };
    const content = canonicalJson(guarded.output);
    return { draft: { ...draft, content, tokens: estimateTokens(content) }, pending: guarded.pending };
  }
  return { draft };
}

/**
 * Checks the events that open a stretch. Unchanged when nothing intervened
 * (same events, same hashes); otherwise the opening is sealed again from the
 * same anchor, each intervention right after the event it concerns.
 */
export async function guardOpening(guardrail: Guardrail, start: StretchStart): Promise<GuardedOpening> {
  const checked = await Promise.all(start.opening.map((event) => checkOpeningEvent(guardrail, event)));
  if (checked.every((entry) => entry.pending === undefined)) return { kind: 'go_on', start };
  const first = start.opening[0];
  const drafts: EventDraft[] = [];
  for (const entry of checked) {
    drafts.push({ ...entry.draft, seq: first.seq + drafts.length });
    if (entry.pending) {
      const { agent, agentVersion, delegationDepth } = entry.draft;
      drafts.push(guardrailDraft(entry.pending.intervention, first.seq + drafts.length, start.time, entry.pending.call, { agent, agentVersion, delegationDepth }));
    }
  }
  const blocked = checked.find((entry) => entry.answer !== undefined);
  if (blocked?.answer !== undefined) {
    // The guardrail answers for the model, which is never asked; the answer belongs to the agent the message was sent to.
    const { agent, agentVersion, delegationDepth } = blocked.draft;
    drafts.push({
      seq: first.seq + drafts.length,
      type: 'assistant',
      content: blocked.answer,
      tokens: estimateTokens(blocked.answer),
      actor: GUARDRAIL_ACTOR,
      time: start.time,
      ...(agent === undefined ? {} : { agent }),
      ...(agentVersion === undefined ? {} : { agentVersion }),
      ...(delegationDepth === undefined ? {} : { delegationDepth }),
    });
    return { kind: 'blocked', outcome: { events: sealEvents(drafts, first.prevHash), usage: { input: 0, output: 0 } } };
  }
  return { kind: 'go_on', start: { ...start, opening: sealEvents(drafts, first.prevHash) } };
}

// ----- a model reply: its text and the inputs of the tools it calls -----

export interface GuardedReply {
  /** The reply as it goes on: a blocked text replaced by the guardrail's message, masked text and inputs as masked. */
  readonly reply: ModelReply;
  /** Calls whose input the guardrail blocked: refused with these results, never run. */
  readonly refused: readonly { readonly toolCallId: string; readonly output: ToolRunOutput }[];
  readonly pending: readonly PendingIntervention[];
}

export async function guardReply(guardrail: Guardrail, reply: ModelReply): Promise<GuardedReply> {
  const [text, ...inputs] = await Promise.all([
    ask(guardrail, 'model_output', reply.text),
    ...reply.toolCalls.map((call) => ask(guardrail, 'tool_input', canonicalJson(call.input))),
  ]);
  const pending: PendingIntervention[] = [];
  const refusals: { toolCallId: string; output: ToolRunOutput }[] = [];
  if (text.action !== 'NONE') pending.push({ intervention: interventionOf(guardrail, 'model_output', text) });
  const toolCalls = reply.toolCalls.map((call, index): ToolCall => {
    const outcome = inputs[index];
    if (outcome.action === 'NONE') return call;
    pending.push({ intervention: interventionOf(guardrail, 'tool_input', outcome), call });
    const masked = outcome.action === 'MASKED' ? parsedJson(outcome.text) : undefined;
    if (masked !== undefined) return { ...call, input: masked };
    const why = outcome.action === 'MASKED' ? 'masked this call\'s input, which no longer parses as JSON' : 'blocked this call\'s input';
    refusals.push({ toolCallId: call.id, output: refused('not_allowed', `the guardrail ${why} (${described(outcome.summary)}); the call did not run`).output });
    return { ...call, input: WITHHELD_INPUT };
  });
  const replyText = text.action === 'NONE' ? reply.text : text.action === 'MASKED' ? text.text : text.message;
  return { reply: { ...reply, text: replyText, toolCalls }, refused: refusals, pending };
}

// ----- a tool's result -----

/** A tool's result before the model sees it: as masked, or withheld when blocked (or masked beyond parsing). */
export async function guardToolResult(
  guardrail: Guardrail,
  call: { readonly id: string; readonly name: string },
  output: ToolRunOutput,
): Promise<{ readonly output: ToolRunOutput; readonly pending?: PendingIntervention }> {
  const outcome = await ask(guardrail, 'tool_result', canonicalJson(output));
  if (outcome.action === 'NONE') return { output };
  const pending = { intervention: interventionOf(guardrail, 'tool_result', outcome), call };
  const masked = outcome.action === 'MASKED' ? parsedJson(outcome.text) : undefined;
  return { output: isToolRunOutput(masked) ? masked : withheldResult(outcome), pending };
}

/** The stretch's state with the interventions sealed onto the end of its chain, before the outcome they belong to. */
export function withInterventions(state: TurnState, pending: readonly PendingIntervention[], stamp?: AgentStamp): TurnState {
  if (pending.length === 0) return state;
  const last = chainEnd(state);
  const drafts = pending.map((entry, index) => guardrailDraft(entry.intervention, last.seq + 1 + index, state.time, entry.call, stamp));
  return { ...state, events: [...state.events, ...sealEvents(drafts, last.hash)] };
}

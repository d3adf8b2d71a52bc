import type { GuardrailBinding } from '../../../lib/contract/agent';
import type { GuardSource, GuardSummary } from '../ports/guardrail';
import { canonicalJson } from './canonical-json';
import type { EventDraft, SessionEvent } from './session-event';
import { estimateTokens } from './token-estimate';

/**
 * A guardrail's intervention in the log (AU-3: what was blocked or masked,
 * where, by which guardrail version): one `guardrail` event, chained like
 * any other. It names the policy and entity types that intervened and never
 * holds the text they matched.
 */

/** What the guardrail was checking. */
export type GuardSubject = 'user_input' | 'model_output' | 'tool_input' | 'tool_result';

/**
 * User messages and tool results go into a model (INPUT); the model's reply
 * and the tool inputs it wrote come out of it (OUTPUT). So the prompt-attack
 * filter, which evaluates input only, also sees what a tool brings back.
 */
export const SOURCE_OF_SUBJECT: Readonly<Record<GuardSubject, GuardSource>> = {
  user_input: 'INPUT',
  model_output: 'OUTPUT',
  tool_input: 'OUTPUT',
  tool_result: 'INPUT',
};

/** The actor of a guardrail event, and of the answer a blocked message gets instead of the model's. */
export const GUARDRAIL_ACTOR = 'guardrail';

/** One intervention as the event records it. */
export interface GuardrailIntervention extends GuardSummary {
  readonly subject: GuardSubject;
  readonly source: GuardSource;
  readonly action: 'BLOCKED' | 'MASKED';
  readonly guardrail: GuardrailBinding;
  /**
   * sha256 of the user's message, for a user_input the session stores
   * changed: a retry of the request is still recognised as the same message.
   */
  readonly messageDigest?: string;
}

/** What the turn's result tells the client about one intervention. */
export interface GuardrailNotice extends GuardSummary {
  readonly subject: GuardSubject;
  readonly action: 'BLOCKED' | 'MASKED';
  /** The call whose input or result it was (tool_input, tool_result). */
  readonly toolCallId?: string;
}

export function guardrailDraft(
  intervention: GuardrailIntervention,
  seq: number,
  time: string,
  call?: { readonly id: string; readonly name: string },
  /** The agent whose text was checked (and its definition's version, its delegation depth), as its other events carry them. */
  stamp?: Pick<EventDraft, 'agent' | 'agentVersion' | 'delegationDepth'>,
): EventDraft {
  const content = canonicalJson(intervention);
  return {
    seq,
    type: 'guardrail',
    content,
    tokens: estimateTokens(content),
    actor: GUARDRAIL_ACTOR,
    time,
    ...(call ? { toolCallId: call.id, toolName: call.name } : {}),
    ...Object.fromEntries(Object.entries(stamp ?? {}).filter(([, value]) => value !== undefined)),
  };
}

export function interventionOf(event: SessionEvent): GuardrailIntervention {
  if (event.type !== 'guardrail') throw new Error(`event ${event.seq} is not a guardrail event`);
  return JSON.parse(event.content) as GuardrailIntervention;
}

/** The guardrail's interventions among a turn's events, in order, as the client is told them. */
export function guardrailNotices(turnEvents: readonly SessionEvent[]): GuardrailNotice[] {
  return turnEvents
    .filter((event) => event.type === 'guardrail')
    .map((event) => {
      const { subject, action, policies, filters, entities } = interventionOf(event);
      return { subject, action, policies, filters, entities, ...(event.toolCallId === undefined ? {} : { toolCallId: event.toolCallId }) };
    });
}

/**
 * The digest of the message a turn's user event stands for, when a guardrail
 * changed what the event holds (the intervention follows the user event);
 * undefined when the event holds the message as sent.
 */
export function recordedMessageDigest(turnEvents: readonly SessionEvent[], userEvent: SessionEvent): string | undefined {
  const next = turnEvents.find((event) => event.seq === userEvent.seq + 1);
  if (next?.type !== 'guardrail') return undefined;
  const intervention = interventionOf(next);
  return intervention.subject === 'user_input' ? intervention.messageDigest : undefined;
}

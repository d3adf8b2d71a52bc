import type { GuardrailBinding } from '../../../lib/contract/agent';

/**
 * The guardrail port: one check of one text, as Bedrock's ApplyGuardrail
 * makes it, whatever model backend the turn runs on. The adapter speaks
 * bedrock-runtime; the domain sees only this.
 */

/** ApplyGuardrail's `source`: text going INTO a model (the user's message, a tool's result) or coming OUT of one (its reply, its tool inputs). */
export type GuardSource = 'INPUT' | 'OUTPUT';

/**
 * What intervened, by name only: never the text that matched. Each list is
 * sorted and holds each name once.
 */
export interface GuardSummary {
  /** Policy types, as ApplyGuardrail names its assessments: `contentPolicy`, `topicPolicy`, `wordPolicy`, `sensitiveInformationPolicy`, ... */
  readonly policies: readonly string[];
  /** Content filter types (`HATE`, `PROMPT_ATTACK`), denied topic names, managed word lists (`PROFANITY`), grounding filter types. */
  readonly filters: readonly string[];
  /** Sensitive-information entity types (`EMAIL`, `US_SOCIAL_SECURITY_NUMBER`) and the names of regex filters. */
  readonly entities: readonly string[];
}

export type GuardOutcome =
  | { readonly action: 'NONE' }
  /** The text must go no further; `message` is the guardrail's configured blocked message. */
  | { readonly action: 'BLOCKED'; readonly message: string; readonly summary: GuardSummary }
  /** The text may go on as `text`, with what the guardrail anonymized replaced (`{EMAIL}`). */
  | { readonly action: 'MASKED'; readonly text: string; readonly summary: GuardSummary };

export interface Guardrail {
  /** Which guardrail and published version this is, for the record of what it did. */
  readonly binding: GuardrailBinding;
  /** Throws when the guardrail cannot be asked: the turn then fails closed and writes nothing. */
  check(text: string, source: GuardSource): Promise<GuardOutcome>;
}

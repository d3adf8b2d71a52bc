/**
 * A session's limits: one type and one set of defaults, used by the
 * configuration (lib/config), the constructs that pass them to the functions
 * (AgentOrchestrator, through the variables of env-names.ts) and the turn
 * domain (lambda/core/domain). Named so a fork can audit them.
 */
export interface SessionLimits {
  /** Newest events read with the header: K in `Query(Limit = K + 1)`. */
  readonly contextEvents: number;
  /** Upper bound of the prompt's estimated tokens (the summary and newest user message are always sent). */
  readonly contextTokens: number;
  /** Tokens a session may spend in all; a turn past it is refused (429). Also the most a create request may ask for. */
  readonly tokenBudget: number;
  /** Days after the last turn before DynamoDB TTL removes the session (header and events together). */
  readonly ttlDays: number;
  /** Event contents above this many UTF-8 bytes go to the payload bucket first; the event keeps the reference. */
  readonly inlineThresholdBytes: number;
  /** Largest user message accepted, in UTF-8 bytes. */
  readonly maxMessageBytes: number;
  /**
   * Tool calls in one model reply, and tool calls a turn runs in all its
   * rounds. A DynamoDB transaction holds at most 100 writes; a turn writes
   * the user event, one assistant event per model call, two events per tool
   * call (call and result), at most one reply of refused calls at the end,
   * the request marker and the header: 1 + (rounds + 1) + 2 x 16 + 2 x 16 + 2 = 72 at the defaults.
   * Delegates' events and guardrail interventions come on top: the step
   * function asks a model only while its reply's events still fit
   * (lambda/core/domain/turn-step.ts, COMMIT_EVENT_ROOM).
   */
  readonly maxToolCallsPerTurn: number;
  /** Model calls that may run tools before the turn must answer: the model is asked at most this many times plus one. */
  readonly maxToolRounds: number;
  /** Fast tools of one model reply that run at the same time. */
  readonly toolConcurrency: number;
}

/** The limits a target gets unless its configuration (`session.*`) says otherwise. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  contextEvents: 50,
  contextTokens: 16_000,
  tokenBudget: 2_000_000,
  // AU-11 is the agency's records schedule; 90 idle days is a working default, not a retention rule.
  ttlDays: 90,
  inlineThresholdBytes: 64 * 1024,
  // About 8k tokens, well inside one DynamoDB item.
  maxMessageBytes: 32 * 1024,
  maxToolCallsPerTurn: 16,
  maxToolRounds: 4,
  toolConcurrency: 4,
};

/** The limits the configuration may set per target; the rest are the kit's. */
export const CONFIGURABLE_SESSION_LIMITS = ['contextEvents', 'contextTokens', 'tokenBudget', 'ttlDays', 'inlineThresholdBytes'] as const;
export type ConfigurableSessionLimit = (typeof CONFIGURABLE_SESSION_LIMITS)[number];

/** Bounds of the configurable limits, checked by the configuration and again by the functions at cold start. */
export const SESSION_LIMIT_BOUNDS: Readonly<Record<ConfigurableSessionLimit, { readonly min: number; readonly max: number; readonly why: string }>> = {
  contextEvents: { min: 1, max: 500, why: 'one Query page' },
  contextTokens: { min: 1, max: 1_000_000, why: 'no model takes a longer context' },
  tokenBudget: { min: 1, max: 1_000_000_000_000, why: 'a safe integer budget' },
  ttlDays: { min: 1, max: 3650, why: 'ten years' },
  // An event item stays far below DynamoDB's 400 KB item limit and a turn's writes below the 4 MB transaction limit.
  inlineThresholdBytes: { min: 0, max: 128 * 1024, why: 'event items stay far below DynamoDB\'s 400 KB item limit' },
};

const SECONDS_PER_DAY = 24 * 60 * 60;

/** The session's time to live in seconds. */
export function ttlSecondsOf(limits: Pick<SessionLimits, 'ttlDays'>): number {
  return limits.ttlDays * SECONDS_PER_DAY;
}

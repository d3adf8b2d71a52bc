/** Per-deployment limits of a turn. Defaults are named so a fork can audit them. */
export interface TurnLimits {
  /** Events read with the header: K in `Query(Limit = K + 1)`. */
  readonly historyEvents: number;
  /** Upper bound of the prompt's estimated tokens (the summary and newest user message are always sent). */
  readonly contextTokens: number;
  /** Largest user message accepted, in UTF-8 bytes. */
  readonly maxMessageBytes: number;
  /**
   * Tool calls in one model reply, and tool calls a turn runs in all its
   * rounds. A DynamoDB transaction holds at most 100 writes; a turn writes
   * the user event, one assistant event per model call, two events per tool
   * call (call and result), at most one reply of refused calls at the end,
   * and the header: 1 + (rounds + 1) + 2 x 16 + 2 x 16 + 1 = 71 at the defaults.
   */
  readonly maxToolCallsPerTurn: number;
  /** Model calls that may run tools before the turn must answer: the model is asked at most this many times plus one. */
  readonly maxToolRounds: number;
  /** Fast tools of one model reply that run at the same time. */
  readonly toolConcurrency: number;
  /** Idle time after which DynamoDB TTL removes the session. */
  readonly sessionTtlSeconds: number;
}

export const DEFAULT_TURN_LIMITS: TurnLimits = {
  historyEvents: 40,
  contextTokens: 16_000,
  maxMessageBytes: 256 * 1024,
  maxToolCallsPerTurn: 16,
  maxToolRounds: 4,
  toolConcurrency: 4,
  sessionTtlSeconds: 30 * 24 * 60 * 60,
};

/** Per-deployment limits of a turn. Defaults are named so a fork can audit them. */
export interface TurnLimits {
  /** Events read with the header: K in `Query(Limit = K + 1)`. */
  readonly historyEvents: number;
  /** Upper bound of the prompt's estimated tokens (the summary and newest user message are always sent). */
  readonly contextTokens: number;
  /** Largest user message accepted, in UTF-8 bytes. */
  readonly maxMessageBytes: number;
  /** A DynamoDB transaction holds at most 100 writes; a turn writes two events plus one per tool call. */
  readonly maxToolCallsPerTurn: number;
  /** Idle time after which DynamoDB TTL removes the session. */
  readonly sessionTtlSeconds: number;
}

export const DEFAULT_TURN_LIMITS: TurnLimits = {
  historyEvents: 40,
  contextTokens: 16_000,
  maxMessageBytes: 256 * 1024,
  maxToolCallsPerTurn: 16,
  sessionTtlSeconds: 30 * 24 * 60 * 60,
};

/**
 * What happened in a session, one item per event, append-only; `guardrail`: what a guardrail blocked or masked
 * (guardrail-event.ts); `handoff`: the session moved to another agent (agents.ts); `turn_end`: a background
 * turn ended without its answer (cancelled, incomplete, failed) and why (background-turn.ts).
 */
export const EVENT_TYPES = ['user', 'assistant', 'tool_call', 'tool_result', 'approval', 'summary', 'guardrail', 'handoff', 'turn_end'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The fields an event is created with; everything the hash covers except `prevHash`. */
export interface EventDraft {
  readonly seq: number;
  readonly type: EventType;
  readonly content: string;
  /** Estimated or reported tokens of `content`, for budgets and context sizing. */
  readonly tokens: number;
  /** Who produced the event: the caller's principal, `model`, or a tool. */
  readonly actor: string;
  /** ISO-8601 time the turn was taken. */
  readonly time: string;
  /** Links a tool_call to its tool_result (and to the model's tool-call id). */
  readonly toolCallId?: string;
  readonly toolName?: string;
  /**
   * The agent that produced or received the event, and the version of its
   * definition that served the turn. Absent on events written before agents.
   */
  readonly agent?: string;
  readonly agentVersion?: string;
  /** Set on the events of a delegated call: 1 for a delegate of the session's agent, 2 for a delegate's delegate. */
  readonly delegationDepth?: number;
}

/** An event in the hash chain. */
export interface SessionEvent extends EventDraft {
  readonly prevHash: string;
  /** sha256(prevHash + canonicalJson(event without hash and s3Ref)), hex. */
  readonly hash: string;
  /**
   * Set when the content lives in the payload store. A storage detail, so the
   * hash does not cover it: moving content in or out of S3 keeps the chain valid.
   */
  readonly s3Ref?: string;
}

/**
 * An event as stored: large content is replaced by its `s3Ref` until the
 * reader asks for it to be resolved.
 */
export type StoredEvent = Omit<SessionEvent, 'content'> & { readonly content?: string };

export function isResolved(event: StoredEvent): event is SessionEvent {
  return typeof event.content === 'string';
}

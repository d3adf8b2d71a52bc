import type { ApprovalRule } from '../../../lib/contract/tool-declaration';
import type { ApprovalDecision } from '../../../lib/contract/workflow-contract';
import type { JsonValue } from './canonical-json';
import { genesisHash } from './hash-chain';
import { assertSessionId, assertTenantId } from './session-keys';
import { ValidationError } from './errors';

import type { TurnStatus } from '../../../lib/contract/agent-loop';

/**
 * `running`: a background turn holds the session (activeTurn);
 * `awaiting_client`: a turn ended handing calls of the client's own functions
 * to the client (clientCalls), and the session waits for their outputs.
 */
export const SESSION_STATUSES = ['idle', 'awaiting_tool', 'awaiting_approval', 'running', 'awaiting_client'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export interface TokenUsage {
  readonly input: number;
  readonly output: number;
}

/**
 * What a retried request gets back: the parts of its turn result that are not
 * already in the event log. The reply and tool calls are read from the turn's
 * events (seq `turnSeq`..`result.lastSeq`), so a long reply never grows the header.
 */
export interface RecordedResult {
  readonly version: number;
  readonly lastSeq: number;
  readonly status: SessionStatus;
  readonly usage: TokenUsage;
}

export interface RecordedTurn {
  /** Seq of the turn's user event: the first event the turn wrote. */
  readonly turnSeq: number;
  readonly result: RecordedResult;
}

/**
 * The slow tool call a session waits on (status `awaiting_tool` or
 * `awaiting_approval`); there is at most one. Its Standard workflow execution
 * is named after it, so starting it again is idempotent.
 */
export interface PendingTool {
  readonly toolCallId: string;
  readonly tool: string;
  readonly input: JsonValue;
  /** Seq of the tool_call event. */
  readonly callSeq: number;
  /** The turn that made the call and the caller who sent it; the approver must be someone else. */
  readonly requestId: string;
  readonly requestedBy: string;
  /** The tool's approval rule when it was called (absent: no approval needed). */
  readonly approval?: ApprovalRule;
  /** The Standard workflow execution's name. */
  readonly executionName: string;
  /** Stored by the approval-wait task once the workflow waits; a bearer credential, never shown by the API. */
  readonly taskToken?: string;
  /** Stored with the approval event; sent to the workflow as the task's output. */
  readonly decision?: ApprovalDecision;
}

/**
 * A call of one of the client's own functions (a function tool of the
 * OpenAI-compatible API) that the client has not answered yet. The client
 * runs it, not the deployment: the turn that made it ended there, and the
 * session takes no message until one request brings the output of every
 * outstanding call (client-calls.ts).
 */
export interface ClientCall {
  readonly toolCallId: string;
  /** The function's name, as the model called it. */
  readonly name: string;
}

/**
 * The background turn a session runs (lib/contract/agent-loop.ts), present
 * exactly while one runs: the session takes no other turn meanwhile.
 */
export interface ActiveTurn {
  readonly requestId: string;
  readonly requestedBy: string;
  /** Seq of the turn's user event. */
  readonly turnSeq: number;
  readonly status: Extract<TurnStatus, 'queued' | 'running' | 'awaiting_approval' | 'awaiting_tool'>;
  /** Rounds committed: model calls of the session's agent in this turn. */
  readonly rounds: number;
  /** Rounds committed when the loop's execution was started: its input, the same on every start of it. */
  readonly startRound: number;
  /** Tokens the turn spent so far. */
  readonly usage: TokenUsage;
  /** ISO time past which the next step boundary ends the turn `incomplete`. */
  readonly deadline: string;
  /** The agent loop's execution (agentLoopExecutionName). */
  readonly executionName: string;
  /** Set by a cancel request: the next step boundary ends the turn `cancelled`. */
  readonly cancel?: { readonly by: string; readonly reason: string; readonly at: string };
}

/** The one mutable item of a session. Its `version` orders every turn. */
export interface SessionHeader {
  readonly version: number;
  readonly lastSeq: number;
  readonly lastHash: string;
  /** Written by the summarizer, which never changes `version`. */
  readonly summary: string;
  readonly summaryUpToSeq: number;
  /** The principal that created the session; the only one that may take turns. */
  readonly owner: string;
  /**
   * The agent whose turns the session takes: the one it was created for, or
   * the one a handoff moved it to. Absent on sessions created before agents,
   * which belong to the deployment's default agent (agents.ts).
   */
  readonly agent?: string;
  readonly tokens: TokenUsage;
  readonly budget: { readonly maxTokens: number };
  /** requestId → turn, newest `RECENT_REQUESTS_KEPT` only; every request also has its marker item. */
  readonly recentRequests: Readonly<Record<string, RecordedTurn>>;
  readonly status: SessionStatus;
  /** Present exactly while `status` is `awaiting_tool` or `awaiting_approval`. */
  readonly pendingTool?: PendingTool;
  /** Present exactly while a background turn runs. */
  readonly activeTurn?: ActiveTurn;
  /**
   * Present exactly while `status` is `awaiting_client`: the calls of the
   * client's functions the last turn ended with, in the order the model made
   * them; never more than one reply's calls (turn-step.ts bounds them).
   */
  readonly clientCalls?: readonly ClientCall[];
  /** Epoch seconds; DynamoDB TTL removes the session after it. */
  readonly expiresAt: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * The header fields a turn replaces. Summary fields are absent so a turn never
 * overwrites the summarizer's work. `pendingTool`, `activeTurn` and
 * `clientCalls` are always given: undefined removes them, so a turn cannot
 * leave a stale pending call, background turn or client call behind by omission.
 */
export type TurnHeaderUpdate = Pick<
  SessionHeader,
  'lastSeq' | 'lastHash' | 'tokens' | 'recentRequests' | 'status' | 'expiresAt' | 'updatedAt' | 'agent'
> & {
  readonly pendingTool: PendingTool | undefined;
  readonly activeTurn: ActiveTurn | undefined;
  readonly clientCalls: readonly ClientCall[] | undefined;
  /**
   * Not a header field: what the same commit does to the approvers' inbox
   * (`add` the new pending approval, `remove` the one this commit ends).
   * Absent: the inbox is untouched. See `inboxChange`.
   */
  readonly inbox?: 'add' | 'remove';
};

/**
 * What a commit that moves the session from `before`'s pending call to
 * `after` does to the inbox: a new call awaiting approval is added, a call
 * awaiting approval that the commit resolves (decided, timed out, cancelled)
 * is removed. An undecided approval stays in the inbox until it ends.
 */
export function inboxChange(before: PendingTool | undefined, after: PendingTool | undefined): TurnHeaderUpdate['inbox'] {
  const awaiting = (pending: PendingTool | undefined) => (pending?.approval !== undefined ? pending : undefined);
  const was = awaiting(before);
  const now = awaiting(after);
  if (now && now.toolCallId !== was?.toolCallId) return 'add';
  if (was && now?.toolCallId !== was.toolCallId) return 'remove';
  return undefined;
}

/** What an approval decision changes on the header, besides `version`. */
export interface ApprovalHeaderUpdate {
  readonly lastSeq: number;
  readonly lastHash: string;
  /** The pending call decided; the write is refused unless it is still pending and undecided. */
  readonly toolCallId: string;
  readonly decision: ApprovalDecision;
  readonly expiresAt: number;
  readonly updatedAt: string;
}

/**
 * The fast path of idempotency: a retry within the newest turns is answered
 * from the header, with no model call; an older one by its request marker
 * (idempotency.ts). Enough for a client's backoff window, few enough to keep
 * the header small.
 */
export const RECENT_REQUESTS_KEPT = 20;

export function expiresAtFrom(now: Date, ttlSeconds: number): number {
  return Math.floor(now.getTime() / 1000) + ttlSeconds;
}

export interface NewSessionInput {
  readonly tenant: string;
  readonly session: string;
  readonly owner: string;
  readonly agent: string;
  readonly maxTokens: number;
  readonly ttlSeconds: number;
  readonly now: Date;
}

export function newSessionHeader(input: NewSessionInput): SessionHeader {
  assertTenantId(input.tenant);
  assertSessionId(input.session);
  if (input.owner.length === 0) throw new ValidationError('owner', 'is required');
  if (input.agent.length === 0) throw new ValidationError('agent', 'is required');
  if (!Number.isSafeInteger(input.maxTokens) || input.maxTokens <= 0) {
    throw new ValidationError('maxTokens', `${input.maxTokens} is not a positive integer`);
  }
  const time = input.now.toISOString();
  return {
    version: 0,
    lastSeq: 0,
    lastHash: genesisHash(input.tenant, input.session),
    summary: '',
    summaryUpToSeq: 0,
    owner: input.owner,
    agent: input.agent,
    tokens: { input: 0, output: 0 },
    budget: { maxTokens: input.maxTokens },
    recentRequests: {},
    status: 'idle',
    expiresAt: expiresAtFrom(input.now, input.ttlSeconds),
    createdAt: time,
    updatedAt: time,
  };
}

/** A header past its TTL may still be returned until DynamoDB sweeps it; it counts as gone. */
export function isExpired(header: SessionHeader, now: Date): boolean {
  return header.expiresAt <= Math.floor(now.getTime() / 1000);
}

import type { TurnStatus } from '../contract/agent-loop';
import type { ApprovalDecision } from '../contract/workflow-contract';

/**
 * What the session API answers, as JSON on the wire (lambda/orchestrator/README.md).
 * Written here, not imported from the function: the library's client loads
 * no Lambda code. test/client/statehouse-client.test.ts checks at compile
 * time that what the orchestrator declares fits these types.
 */

/** `awaiting_client`: the session waits for the outputs of the client's function calls, sent through `POST /v1/responses`. */
export type SessionStatus = 'idle' | 'awaiting_tool' | 'awaiting_approval' | 'running' | 'awaiting_client';
export type { TurnStatus };

export interface TokenUsage {
  readonly input: number;
  readonly output: number;
}

export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
}

/** `session` in every answer about one. */
export interface SessionView {
  readonly sessionId: string;
  readonly agent: string;
  readonly status: SessionStatus;
  readonly version: number;
  readonly lastSeq: number;
  /** `<role ARN>#<role session name>`, or an IAM user's ARN. */
  readonly owner: string;
  readonly summary: string;
  readonly summaryUpToSeq: number;
  readonly tokens: TokenUsage;
  readonly budget: { readonly maxTokens: number };
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
  /** While a slow call waits. */
  readonly pendingTool?: {
    readonly toolCallId: string;
    readonly tool: string;
    readonly input: unknown;
    readonly requestedBy: string;
    readonly approvalRequired: boolean;
    readonly approverRoles?: readonly string[];
    readonly decision?: ApprovalDecision;
  };
  /** While the client's function calls wait for their outputs. */
  readonly clientCalls?: readonly { readonly toolCallId: string; readonly name: string }[];
}

export type EventType = 'user' | 'assistant' | 'tool_call' | 'tool_result' | 'approval' | 'summary' | 'guardrail' | 'handoff' | 'turn_end';

/** One event of the session's log. */
export interface EventView {
  readonly seq: number;
  readonly type: EventType;
  readonly content: string;
  readonly tokens: number;
  readonly actor: string;
  readonly time: string;
  readonly toolCallId?: string;
  readonly toolName?: string;
  readonly agent?: string;
  readonly agentVersion?: string;
  readonly delegationDepth?: number;
  /**
   * The hash chain (lib/contract/hash-chain.ts): the hash before this event
   * and this event's own, for the client to recompute. Absent from a
   * deployment from before the API showed them.
   */
  readonly prevHash?: string;
  readonly hash?: string;
}

/** A guardrail's intervention in a turn: names only, never the text. */
export interface GuardrailNotice {
  /** user_input, model_output, tool_input, tool_result */
  readonly subject: string;
  readonly action: 'BLOCKED' | 'MASKED';
  readonly policies: readonly string[];
  readonly filters: readonly string[];
  readonly entities: readonly string[];
  readonly toolCallId?: string;
}

/** A synchronous turn's answer. */
export interface TurnResult {
  readonly requestId: string;
  readonly version: number;
  readonly turnSeq: number;
  readonly lastSeq: number;
  readonly reply: string;
  readonly toolCalls: readonly ToolCall[];
  readonly status: SessionStatus;
  readonly usage: TokenUsage;
  /** The stored result of an earlier attempt with the same requestId. */
  readonly replayed: boolean;
  readonly guardrail?: readonly GuardrailNotice[];
  /** Out of time: the turn goes on in the background, follow it with readTurn. */
  readonly background?: { readonly requestId: string; readonly status: 'running'; readonly rounds: number; readonly message: string };
}

/** `GET /sessions/{id}/turns/{requestId}`, and a background turn's answer. */
export interface TurnView {
  readonly requestId: string;
  readonly mode: 'sync' | 'background';
  readonly status: TurnStatus;
  readonly rounds?: number;
  readonly usage: TokenUsage;
  readonly turnSeq: number;
  readonly lastSeq: number;
  readonly reply?: string;
  readonly toolCalls?: readonly ToolCall[];
  readonly guardrail?: readonly GuardrailNotice[];
  readonly deadline?: string;
  readonly reason?: string;
  readonly cancelRequested?: { readonly by: string; readonly reason: string; readonly at: string };
}

/** `GET /sessions/{id}/verify`. */
export type SessionVerification =
  | { readonly valid: true; readonly events: number }
  | { readonly valid: false; readonly events: number; readonly brokenAtSeq: number; readonly reason: string };

/** `POST /sessions` body. */
export interface CreateSessionRequest {
  readonly sessionId?: string;
  /** @default the deployment's default agent */
  readonly agent?: string;
  /** At most the deployment's per-session budget. */
  readonly maxTokens?: number;
}

/** `GET /sessions/{id}`: one page of events after `afterSeq`. */
export interface SessionPage {
  readonly session: SessionView;
  readonly events: readonly EventView[];
  /** Pass back as `afterSeq`; absent on the last page. */
  readonly nextAfterSeq?: number;
}

export interface TurnRequest {
  /** The turn's idempotency key. @default a random UUID (the client keeps it across its own retries) */
  readonly requestId?: string;
  readonly message: string;
  /** @default 'sync' */
  readonly mode?: 'sync' | 'background';
  /** Server-sent events while the agent answers (sync turns, where the deployment streams). */
  readonly stream?: boolean;
}

/** What an iterator of a streamed turn yields: the reply's pieces, then the committed result. */
export type TurnStreamEvent =
  | { readonly type: 'text'; readonly round: number; readonly text: string }
  | { readonly type: 'result'; readonly result: TurnResult };

/** A streamed turn: iterate it for its events; `requestId` is what a retry must send. */
export interface TurnEventStream extends AsyncIterable<TurnStreamEvent> {
  readonly requestId: string;
}

export interface ApprovalRequest {
  readonly toolCallId: string;
  readonly approved: boolean;
  /** 1 to 2,000 characters, recorded in the session's log. */
  readonly reason: string;
}

/** `POST /sessions/{id}/approvals`. */
export interface ApprovalAnswer {
  readonly sessionId: string;
  readonly toolCallId: string;
  readonly decision: ApprovalDecision;
  /** Decided already: the stored decision is returned (and sent to the workflow again). */
  readonly replayed: boolean;
}

/** `DELETE /sessions/{id}`. */
export interface DeletedSession {
  readonly sessionId: string;
  readonly deletedItems: number;
}

/** One of the caller's sessions, as `GET /sessions` lists it. */
export interface SessionListEntry {
  readonly sessionId: string;
  readonly agent: string;
  readonly status: SessionView['status'];
  readonly lastSeq: number;
  readonly tokens: SessionView['tokens'];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
}

/** `GET /sessions`: newest first; `cursor` asks for the next page. */
export interface SessionList {
  readonly sessions: readonly SessionListEntry[];
  readonly cursor?: string;
}

/** A pending approval the caller's role may decide, as `GET /approvals` lists it. */
export interface ApprovalListEntry {
  readonly sessionId: string;
  readonly toolCallId: string;
  readonly tool: string;
  readonly input: unknown;
  readonly requestedBy: string;
  readonly approverRoles: readonly string[];
  readonly requestedAt: string;
  /** The workflow stops waiting then: the call ends as approval_timeout. */
  readonly decideBy: string;
}

/** `GET /approvals`: oldest first; `cursor` asks for the next page. A page may be short and still have a cursor. */
export interface ApprovalList {
  readonly approvals: readonly ApprovalListEntry[];
  readonly cursor?: string;
}

export interface SessionListQuery {
  /** 1 to 100. @default 25 */
  readonly limit?: number;
  readonly cursor?: string;
  readonly agent?: string;
  readonly status?: SessionView['status'];
}

export interface ApprovalListQuery {
  readonly limit?: number;
  readonly cursor?: string;
}

/** One record of a person's memory, as `GET /memory` lists it (lambda/orchestrator/memory-routes.ts). */
export interface MemoryRecordView {
  readonly id: string;
  readonly kind: 'fact' | 'preference' | 'episode';
  readonly text: string;
  /** The agent whose session taught it. */
  readonly agent: string;
  /** `actor`: every agent with memory scope "actor" recalls it; `agent`: only `agent` does. */
  readonly scope: 'actor' | 'agent';
  /** The events it came from: verify them with `statehouse verify <session>`. */
  readonly source: { readonly session: string; readonly fromSeq: number; readonly toSeq: number; readonly hash: string };
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly audience: string;
}

export interface MemoryListing {
  readonly actor: string;
  /** Newest first. */
  readonly records: readonly MemoryRecordView[];
  readonly profile: { readonly records: number; readonly evicted: number; readonly lastEvictedAt?: string };
  readonly limits: { readonly maxRecords: number; readonly retentionDays: Readonly<Record<'fact' | 'preference' | 'episode', number>> };
}

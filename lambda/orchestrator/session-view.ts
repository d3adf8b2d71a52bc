import type { AgentDirectory } from '../../lib/contract/agent';
import { sessionAgentOf } from '../core/domain/agents';
import type { SessionEvent } from '../core/domain/session-event';
import type { PendingTool, SessionHeader } from '../core/domain/session-header';
import type { ApprovalListing, SessionListing } from '../core/domain/session-lists';

/**
 * What the API shows of a session: allowlists, so a field added to the header
 * or the event later stays internal until it is listed here. Each event shows
 * its `prevHash` and `hash`, so a client can recompute the chain itself
 * (lib/contract/hash-chain.ts) as well as ask the verify route. The header's
 * bookkeeping (recent request ids, the chain's last hash) and the events'
 * storage references are not shown: clients retry by requestId, and where
 * content lives is the store's business.
 */
const SESSION_FIELDS = ['status', 'version', 'lastSeq', 'owner', 'summary', 'summaryUpToSeq', 'tokens', 'budget', 'createdAt', 'updatedAt'] as const;
const EVENT_FIELDS = ['seq', 'type', 'content', 'tokens', 'actor', 'time', 'toolCallId', 'toolName', 'agent', 'agentVersion', 'delegationDepth', 'prevHash', 'hash'] as const;

/**
 * The pending tool call as clients see it: what waits, for whom, and whether
 * it is decided. The task token (a bearer credential that resumes the
 * workflow) and the execution name stay internal.
 */
export interface PendingToolView {
  readonly toolCallId: string;
  readonly tool: string;
  readonly input: PendingTool['input'];
  readonly requestedBy: string;
  readonly approvalRequired: boolean;
  readonly approverRoles?: readonly string[];
  readonly decision?: PendingTool['decision'];
}

export type SessionView = Pick<SessionHeader, (typeof SESSION_FIELDS)[number]> & {
  readonly sessionId: string;
  /** The agent that takes the session's turns (the default agent for a session from before agents). */
  readonly agent: string;
  /** ISO-8601, where the header keeps epoch seconds for DynamoDB TTL. */
  readonly expiresAt: string;
  readonly pendingTool?: PendingToolView;
  /** The calls of the client's functions the session waits on (status `awaiting_client`). */
  readonly clientCalls?: readonly { readonly toolCallId: string; readonly name: string }[];
};

export type EventView = Pick<SessionEvent, (typeof EVENT_FIELDS)[number]>;

function pick<T extends object, K extends keyof T>(source: T, fields: readonly K[]): Pick<T, K> {
  // Absent optional fields stay absent rather than showing as null.
  return Object.fromEntries(fields.filter((field) => source[field] !== undefined).map((field) => [field, source[field]])) as Pick<T, K>;
}

function pendingToolView(pending: PendingTool): PendingToolView {
  return {
    toolCallId: pending.toolCallId,
    tool: pending.tool,
    input: pending.input,
    requestedBy: pending.requestedBy,
    approvalRequired: pending.approval !== undefined,
    ...(pending.approval ? { approverRoles: pending.approval.approverRoles } : {}),
    ...(pending.decision ? { decision: pending.decision } : {}),
  };
}

export function sessionView(sessionId: string, header: SessionHeader, agents: AgentDirectory): SessionView {
  return {
    sessionId,
    agent: sessionAgentOf(header, agents),
    ...pick(header, SESSION_FIELDS),
    expiresAt: new Date(header.expiresAt * 1000).toISOString(),
    ...(header.pendingTool ? { pendingTool: pendingToolView(header.pendingTool) } : {}),
    ...(header.clientCalls ? { clientCalls: header.clientCalls.map(({ toolCallId, name }) => ({ toolCallId, name })) } : {}),
  };
}

export function eventView(event: SessionEvent): EventView {
  return pick(event, EVENT_FIELDS);
}

/** A session in its owner's list: the listing's fields, the agent resolved as `sessionView` resolves it, times as ISO-8601. */
export function sessionListingView(listing: SessionListing, agents: AgentDirectory) {
  return {
    sessionId: listing.sessionId,
    agent: sessionAgentOf(listing, agents),
    status: listing.status,
    lastSeq: listing.lastSeq,
    tokens: listing.tokens,
    createdAt: listing.createdAt,
    updatedAt: listing.updatedAt,
    expiresAt: new Date(listing.expiresAt * 1000).toISOString(),
  };
}

/** An inbox entry: what is asked (tool and input), by whom, since when, and the last moment a decision is waited for. */
export function approvalListingView(listing: ApprovalListing) {
  return {
    sessionId: listing.sessionId,
    toolCallId: listing.toolCallId,
    tool: listing.tool,
    input: listing.input,
    requestedBy: listing.requestedBy,
    approverRoles: listing.approverRoles,
    requestedAt: listing.requestedAt,
    decideBy: new Date(Date.parse(listing.requestedAt) + listing.timeoutSeconds * 1000).toISOString(),
  };
}

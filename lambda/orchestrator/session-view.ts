import type { AgentDirectory } from '../../lib/contract/agent';
import { sessionAgentOf } from '../core/domain/agents';
import type { SessionEvent } from '../core/domain/session-event';
import type { PendingTool, SessionHeader } from '../core/domain/session-header';

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
  };
}

export function eventView(event: SessionEvent): EventView {
  return pick(event, EVENT_FIELDS);
}

import type { Clock } from '../ports/clock';
import type { SessionRepository } from '../ports/session-repository';
import type { DecisionSender } from '../ports/tool-workflows';
import type { ApprovalDecision } from '../../../lib/contract/workflow-contract';
import { actorIdentity, isSameParty } from './actor';
import { ApprovalNotReadyError, ForbiddenError, NoPendingApprovalError, SessionNotFoundError } from './errors';
import { sealEvents } from './hash-chain';
import { expiresAtFrom, isExpired, type PendingTool } from './session-header';
import { approvalDraft } from './tool-events';

export interface DecideApprovalDeps {
  readonly sessions: SessionRepository;
  readonly clock: Clock;
  readonly decisions: DecisionSender;
  readonly sessionTtlSeconds: number;
}

export interface ApprovalRequest {
  /** From the authenticated caller, never from the request body. */
  readonly tenant: string;
  readonly session: string;
  readonly toolCallId: string;
  readonly approved: boolean;
  readonly reason: string;
  /** The caller: `<role ARN>#<role session name>`; its role must be one of the tool's approver roles. */
  readonly approver: string;
}

export interface ApprovalOutcome {
  readonly decision: ApprovalDecision;
  /** True when the call was decided already: the stored decision is returned and sent again. */
  readonly replayed: boolean;
}

/**
 * An approver's decision on a pending call (AC-5: separation of duties). It
 * is recorded first, as an approval event and on the pending call, in one
 * write (two DynamoDB round trips in all), then sent to the waiting workflow
 * as its task's output. A repeated decision returns and resends the stored
 * one, so a client may retry until the workflow has it.
 */
export async function decideApproval(deps: DecideApprovalDeps, request: ApprovalRequest): Promise<ApprovalOutcome> {
  const { tenant, session, toolCallId } = request;
  const { header } = await deps.sessions.load(tenant, session, 0);
  const now = deps.clock.now();
  if (isExpired(header, now)) throw new SessionNotFoundError(tenant, session);
  const pending = header.pendingTool;
  if (header.status !== 'awaiting_approval' || !pending || pending.toolCallId !== toolCallId || !pending.approval) {
    throw new NoPendingApprovalError(toolCallId);
  }
  authorizeApprover(pending, request.approver);

  if (pending.decision) {
    if (pending.taskToken !== undefined) await deps.decisions.sendDecision(pending.taskToken, pending.decision);
    return { decision: pending.decision, replayed: true };
  }
  if (pending.taskToken === undefined) throw new ApprovalNotReadyError(toolCallId);

  const decision: ApprovalDecision = {
    approved: request.approved,
    approver: request.approver,
    reason: request.reason,
    decidedAt: now.toISOString(),
  };
  const [event] = sealEvents([approvalDraft({ id: pending.toolCallId, name: pending.tool }, decision, header.lastSeq + 1, decision.decidedAt)], header.lastHash);
  await deps.sessions.commitApproval(tenant, session, header.version, event, {
    lastSeq: event.seq,
    lastHash: event.hash,
    toolCallId,
    decision,
    expiresAt: expiresAtFrom(now, deps.sessionTtlSeconds),
    updatedAt: decision.decidedAt,
  });
  await deps.decisions.sendDecision(pending.taskToken, decision);
  return { decision, replayed: false };
}

/** Only a caller in one of the tool's approver roles, and never the party that asked for the call. */
function authorizeApprover(pending: PendingTool, approver: string): void {
  if (isSameParty(approver, pending.requestedBy)) {
    throw new ForbiddenError('the requester cannot approve their own request');
  }
  const roles = pending.approval?.approverRoles ?? [];
  const { roleName } = actorIdentity(approver);
  if (roleName === undefined || !roles.includes(roleName)) {
    throw new ForbiddenError(
      `only callers in the role${roles.length === 1 ? '' : 's'} ${roles.join(', ')} may decide on ${pending.tool}; the caller's role is ${roleName ?? 'none'}`,
    );
  }
}

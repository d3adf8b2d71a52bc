import { createHash } from 'node:crypto';
import type { SlowToolStarter } from '../ports/tool-workflows';
import type { ToolCall } from '../ports/model-backend';
import type { ToolDeclaration } from '../../../lib/contract/tool-declaration';
import type { SlowToolRunInput } from '../../../lib/contract/workflow-contract';
import { StatehouseError, ToolWorkflowError } from './errors';
import type { PendingTool, SessionStatus } from './session-header';

/**
 * Step Functions execution names: 1 to 80 of letters, digits, `-` and `_`.
 * The name is a hash of where the call lives, so every retry of a start
 * asks for the same execution, and the call's seq keeps a model that reuses
 * tool-call ids in one session from colliding with an earlier execution.
 */
export function executionNameFor(tenant: string, session: string, callSeq: number, toolCallId: string): string {
  const digest = createHash('sha256').update([tenant, session, String(callSeq), toolCallId].join('\u0000'), 'utf8').digest('hex');
  return `statehouse-${digest.slice(0, 64)}`;
}

export interface PendingToolRequest {
  readonly tenant: string;
  readonly session: string;
  readonly requestId: string;
  readonly requestedBy: string;
}

export function pendingToolFor(call: ToolCall, tool: Pick<ToolDeclaration, 'name' | 'approval'>, callSeq: number, request: PendingToolRequest): PendingTool {
  return {
    toolCallId: call.id,
    tool: tool.name,
    input: call.input,
    callSeq,
    requestId: request.requestId,
    requestedBy: request.requestedBy,
    ...(tool.approval ? { approval: tool.approval } : {}),
    executionName: executionNameFor(request.tenant, request.session, callSeq, call.id),
  };
}

export function statusWhilePending(pending: PendingTool): Extract<SessionStatus, 'awaiting_approval' | 'awaiting_tool'> {
  return pending.approval ? 'awaiting_approval' : 'awaiting_tool';
}

/** The Standard workflow's input, built from the stored call alone, so a retried start sends the same input. */
export function slowToolRunInput(tenant: string, session: string, pending: PendingTool): SlowToolRunInput {
  return {
    tool: pending.tool,
    toolCallId: pending.toolCallId,
    input: pending.input,
    tenant,
    session,
    requestId: pending.requestId,
    requestedBy: pending.requestedBy,
    approvalRequired: pending.approval !== undefined,
    approvalTimeoutSeconds: pending.approval?.timeoutSeconds ?? 0,
  };
}

/** Starts (or starts again: idempotent) the workflow of a committed pending call. */
export async function startPendingTool(starter: SlowToolStarter, tenant: string, session: string, pending: PendingTool): Promise<void> {
  try {
    await starter.start(pending.executionName, slowToolRunInput(tenant, session, pending));
  } catch (error) {
    if (error instanceof StatehouseError && !(error instanceof ToolWorkflowError)) throw error;
    throw new ToolWorkflowError(
      'the turn was recorded, but its tool workflow could not be started; retry the request with the same requestId',
      { cause: error },
    );
  }
}

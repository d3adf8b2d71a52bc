import type { ApprovalDecision, ToolRunOutput } from '../../../lib/contract/workflow-contract';
import { canonicalJson } from './canonical-json';
import type { EventDraft } from './session-event';
import { estimateTokens } from './token-estimate';

/** The actor of a result the orchestrator decided itself (a refused call), rather than a tool. */
export const ORCHESTRATOR_ACTOR = 'orchestrator';

/** The actor of a result a tool's workflow produced. */
export function toolActor(toolName: string): string {
  return `tool:${toolName}`;
}

const CLIENT_ACTOR_PREFIX = 'client:';

/**
 * The actor of a result the client supplied for a call of its own function:
 * the principal that sent it (AU-3), marked as the client's, since neither a
 * tool of the deployment nor the orchestrator produced it.
 */
export function clientActor(principal: string): string {
  return `${CLIENT_ACTOR_PREFIX}${principal}`;
}

export function isClientActor(actor: string): boolean {
  return actor.startsWith(CLIENT_ACTOR_PREFIX);
}

/** A tool result is stored as the canonical JSON of its ToolRunOutput: what the model is shown. */
export function toolResultDraft(
  call: { readonly id: string; readonly name: string },
  output: ToolRunOutput,
  seq: number,
  actor: string,
  time: string,
): EventDraft {
  const content = canonicalJson(output);
  return { seq, type: 'tool_result', content, tokens: estimateTokens(content), actor, time, toolCallId: call.id, toolName: call.name };
}

/** An approver's decision, in the log (AU-10: who decided what, when), as the canonical JSON of the decision. */
export function approvalDraft(
  call: { readonly id: string; readonly name: string },
  decision: ApprovalDecision,
  seq: number,
  time: string,
): EventDraft {
  const content = canonicalJson(decision);
  return {
    seq,
    type: 'approval',
    content,
    tokens: estimateTokens(content),
    actor: decision.approver,
    time,
    toolCallId: call.id,
    toolName: call.name,
  };
}
